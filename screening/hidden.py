"""What would make a reader see something other than what is stored: bidirectional
controls, invisible characters, control characters, stray combining marks, letters of a
script the pack does not declare, words mixing alphabets, and digits or signs read as the
letters they look like. The wording guard (`screening.language`) refuses them in a pack and
flags them in free text.

Most texts are ASCII, which holds no bidirectional control, invisible character or combining
mark, and whose letters are Latin: such a text is told apart at C speed, and the `regex` module
(Unicode's properties) is imported only for a text that needs it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache
from types import ModuleType

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

_ASCII = frozenset(map(chr, range(128)))
"""No ASCII character is a bidirectional control, invisible or a combining mark, and each of its
letters and digits is Latin or Common: with Latin declared, only its controls are refused."""

_ASCII_CONTROLS = frozenset(c for c in _ASCII if unicodedata.category(c) == "Cc")


@lru_cache(maxsize=8192)  # asked per character of each pack text: a few hundred distinct ones
def drawn_as_nothing(char: str) -> bool:
    """Whether a browser or a PDF viewer may draw `char` as nothing at all: a default-ignorable
    code point (Unicode's own list, assigned or not), one not assigned in this program's
    Unicode (a newer viewer may draw it as nothing), a private-use or surrogate code point."""
    category = unicodedata.category(char)
    return (
        char in _INVISIBLE_LETTERS
        or category in ("Cf", "Cn", "Co", "Cs")
        # Unicode lists no other letter, number, punctuation, symbol, space or control as
        # default-ignorable (tests/test_language_speed.py checks): only marks are asked.
        or (category[0] == "M" and bool(_regex().match(r"\p{Default_Ignorable_Code_Point}", char)))
    )


@cache
def _regex() -> ModuleType:
    import regex  # noqa: PLC0415 - 7-11 ms to import, and an ASCII text never needs it

    return regex


@lru_cache(maxsize=8192)  # asked per letter of each pack text: a few hundred distinct pairs
def in_script(char: str, script: str) -> bool:
    return bool(_regex().match(rf"\p{{Script={script}}}", char))


def is_script_name(name: str) -> bool:
    """Whether `name` is a Unicode script name (Latin, Greek, Cyrillic, Han, ...)."""
    if name in DEFAULT_SCRIPTS:
        return True  # as `regex` says (tests/test_language_speed.py), without importing it
    if not re.fullmatch(r"[A-Za-z][A-Za-z_]*", name):
        return False
    try:
        _regex().compile(rf"\p{{Script={name}}}")
    except _regex().error:
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
    # Every test below is of one character alone: each distinct character is tested once,
    # and an ASCII one only for what it can be (tests/test_language_speed.py checks each).
    composed = set(unicodedata.normalize("NFC", text))
    rare = composed - _ASCII if "Latin" in scripts else composed
    bidi = sorted({c for c in rare if c in _BIDI_CONTROLS})
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
    invisible = sorted({c for c in rare if c not in _BIDI_CONTROLS and drawn_as_nothing(c)})
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
        {
            c
            for c in rare | (composed & _ASCII_CONTROLS)
            if unicodedata.category(c) == "Cc" and c not in "\t\n\r"
        }
    )
    if controls:
        found.append(
            Said(
                N_("holds a control character ({characters})"),
                characters=", ".join(_codepoint(c) for c in controls),
            )
        )
    marks = sorted(
        {c for c in rare if unicodedata.category(c) in ("Mn", "Me") and in_script(c, "Inherited")}
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
            for c in rare
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
    if text.isascii():
        return []  # ASCII letters are all Latin: no word mixes anything
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text))
    return [
        w
        for w in words
        if not w.isascii()  # ASCII letters are all Latin: such a word mixes nothing
        and any(c.isascii() for c in w)
        and any(not any(in_script(c, s) for s in ("Latin", *ALWAYS_ALLOWED_SCRIPTS)) for c in w)
    ]


_DIGIT_LETTERS: dict[str, str] = {
    "0": "o",
    "1": "li",
    "2": "z",
    "3": "e",
    "4": "a",
    "5": "s",
    "6": "gb",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "il",
    "|": "li",
}
"""Digits and signs read as letters inside a word ("sc0re"); each may stand for these letters."""

_MAX_SWAPS = 6
"""A word's first few digit-for-letter swaps are tried both ways; enough for any real word."""

_WORD_WITH_SWAPS = re.compile(r"[\w@$!|]+")
_SIGN = re.compile(f"[{re.escape(''.join(_DIGIT_LETTERS))}]")
_DIGIT = re.compile(r"\d")


def _swapped(word: str, choice: int) -> str | None:
    """The word with its digits and signs read as letters, the `choice`-th way ("sc0re" ->
    "score"), or None when it has none to read or no letter to read them beside."""
    core = word.rstrip("!|").lstrip("|!")
    signs = [c for c in core if c in _DIGIT_LETTERS]
    if not signs or not any(c.isalpha() for c in core):
        return None
    letters = []
    for sign in signs[:_MAX_SWAPS]:
        options = _DIGIT_LETTERS[sign]
        letters.append(options[choice % len(options)])
        choice //= len(options)
    swaps = iter(letters)
    read = "".join(next(swaps, c) if c in _DIGIT_LETTERS else c for c in core)
    return word.replace(core, read, 1)


def digit_readings(seen: str) -> Iterator[str]:
    """The text with digits read as spaces, then once per way its words' digits and signs can
    be read as letters (every length kept, so positions match across readings)."""
    yield _DIGIT.sub(" ", seen)
    if not _SIGN.search(seen):
        return  # no word to read another way
    # Only a word holding a digit or sign can be read another way; whether it can does not
    # depend on the way (`_swapped`), so the words are picked once.
    words = [
        m
        for m in _WORD_WITH_SWAPS.finditer(seen)
        if _SIGN.search(m.group(0)) and _swapped(m.group(0), 0) is not None
    ]
    ways = max((_ways(m.group(0)) for m in words), default=0)
    for choice in range(ways):
        text = list(seen)
        for m in words:
            read = _swapped(m.group(0), choice)
            if read is not None and len(read) == len(m.group(0)):
                text[m.start() : m.end()] = read
        yield "".join(text)


def _ways(word: str) -> int:
    count = 1
    for sign in [c for c in word if c in _DIGIT_LETTERS][:_MAX_SWAPS]:
        count *= len(_DIGIT_LETTERS[sign])
    return count
