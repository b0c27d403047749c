"""What would make a reader see something other than what is stored: bidirectional
controls, invisible characters, control characters, stray combining marks, letters of a
script the pack does not declare, and words mixing alphabets. The wording guard
(`screening.language`) refuses them in a pack and flags them in free text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import regex

from screening.catalogue import N_, Said
from screening.text import BIDI_CONTROLS

DEFAULT_SCRIPTS: tuple[str, ...] = ("Latin",)
"""The pack's scripts when `pack.yaml` declares none: English text, Latin letters."""

ALWAYS_ALLOWED_SCRIPTS = ("Common", "Inherited")
"""Digits, punctuation, symbols and marks that belong to no one script."""

_BIDI_CONTROLS = frozenset(BIDI_CONTROLS)
"""Marks, embeddings, overrides and isolates: each can show stored text in another order."""

_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Blank characters that Unicode counts as letters or symbols, so category alone misses them."""


@lru_cache(maxsize=8192)  # asked per character of each pack text: a few hundred distinct ones
def drawn_as_nothing(char: str) -> bool:
    """Whether a browser or a PDF viewer may draw `char` as nothing at all: a default-ignorable
    code point (Unicode's own list, assigned or not), one not assigned in this program's
    Unicode (a newer viewer may draw it as nothing), a private-use or surrogate code point."""
    return (
        char in _INVISIBLE_LETTERS
        or unicodedata.category(char) in ("Cf", "Cn", "Co", "Cs")
        or bool(_DEFAULT_IGNORABLE.match(char))
    )


_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")


@lru_cache(maxsize=8192)  # asked per letter of each pack text: a few hundred distinct pairs
def in_script(char: str, script: str) -> bool:
    return bool(regex.match(rf"\p{{Script={script}}}", char))


def is_script_name(name: str) -> bool:
    """Whether `name` is a Unicode script name (Latin, Greek, Cyrillic, Han, ...)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z_]*", name):
        return False
    try:
        regex.compile(rf"\p{{Script={name}}}")
    except regex.error:
        return False
    return name not in ALWAYS_ALLOWED_SCRIPTS


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"


def _script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ")[0].title() if name else f"U+{ord(char):04X}"


# shape: five checks of one text in a row, each refusal a whole sentence for the catalogue
def hidden_text(text: str, scripts: Sequence[str] = DEFAULT_SCRIPTS) -> list[str]:
    """What would make a reader see something other than what is stored, each as a sentence:
    bidirectional controls, invisible characters, control characters, combining marks left
    over after composing (NFC), and letters of a script the pack does not declare."""
    found: list[str] = []
    # Every test below is of one character alone: each distinct character is tested once.
    composed = set(unicodedata.normalize("NFC", text))
    bidi = sorted({c for c in composed if c in _BIDI_CONTROLS})
    if bidi:
        found.append(
            Said(
                N_(
                    "holds a bidirectional control character ({characters}): it can show the "
                    "text in another order than it is stored"
                ),
                characters=", ".join(_codepoint(c) for c in bidi),
            )
        )
    invisible = sorted({c for c in composed if c not in _BIDI_CONTROLS and drawn_as_nothing(c)})
    if invisible:
        found.append(
            Said(
                N_(
                    "holds an invisible character ({characters}): a viewer may draw it as "
                    "nothing, and a word can hide behind it"
                ),
                characters=", ".join(_codepoint(c) for c in invisible[:8]),
            )
        )
    controls = sorted(
        {c for c in composed if unicodedata.category(c) == "Cc" and c not in "\t\n\r"}
    )
    if controls:
        found.append(
            Said(
                N_("holds a control character ({characters})"),
                characters=", ".join(_codepoint(c) for c in controls),
            )
        )
    marks = sorted(
        {
            c
            for c in composed
            if unicodedata.category(c) in ("Mn", "Me") and in_script(c, "Inherited")
        }
    )
    if marks:
        found.append(
            Said(
                N_(
                    "holds a combining mark that does not form a letter ({characters}): it can "
                    "disguise a word; write the accented letter itself"
                ),
                characters=", ".join(_codepoint(c) for c in marks),
            )
        )
    allowed = (*scripts, *ALWAYS_ALLOWED_SCRIPTS)
    foreign = sorted(
        {
            c
            for c in composed
            if not drawn_as_nothing(c)
            and unicodedata.category(c)[0] in "LMN"
            and not any(in_script(c, s) for s in allowed)
        }
    )
    if foreign:
        names = sorted({_script_of(c) for c in foreign})
        found.append(
            Said(
                N_(
                    "uses letters of a script the pack does not declare ({scripts}: {letters}); "
                    "declared: {declared}"
                ),
                scripts=", ".join(names),
                letters="".join(foreign[:8]),
                declared=", ".join(scripts),
            )
        )
    return found


def lookalike_words(text: str) -> list[str]:
    """Words mixing Latin letters with letters of another alphabet (a Cyrillic `\u0456` for
    the `i` of "eligible"): look-alike letters that would let a verdict word slip past."""
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text))
    return [
        w
        for w in words
        if not w.isascii()  # ASCII letters are all Latin: such a word mixes nothing
        and any(c.isascii() for c in w)
        and any(not any(in_script(c, s) for s in ("Latin", *ALWAYS_ALLOWED_SCRIPTS)) for c in w)
    ]
