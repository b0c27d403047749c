"""Fixed wording: the non-diagnostic statement, and the guard against verdict language.

The list of verdict words lives here and only here; `rules/README.md` documents it.
"""

from __future__ import annotations

import re
import unicodedata

DISCLAIMER = (
    "This is a discussion checklist, not a recommendation, a diagnosis or a decision. "
    "It lists points for the clinician to discuss, verify, arrange or document; "
    "it does not say whether ketamine is appropriate for this patient."
)

_VERDICT_PATTERN = re.compile(  # the one list of verdict words, each with every form
    r"\b(?:"
    r"\w*eligib\w*"  # eligible, ineligible, eligibility
    r"|\w*recommend\w*"  # recommended, unrecommended, recommendation
    r"|\w*candida(?:te|tes|cy|cies)"  # candidate, candidacy; not the fungus candida
    r"|\w*approv\w*"  # approve, preapproved, disapproval; not approximately
    r"|(?:re|pre|un)?scor(?:e|es|ed|ing|er|ers)"  # score, rescored; not underscore
    r"|\w*suitab\w*"  # suitable, unsuitable, suitability
    r")\b",
    re.IGNORECASE,
)


def _comparable(text: str) -> str:
    """Text as a reader sees it: compatibility forms folded (NFKC), invisible characters
    (soft hyphens, zero-width spaces: category Cf) dropped, `_` and digits read as spaces."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return re.sub(r"[_\d]", " ", visible)


def verdict_words(text: str) -> list[str]:
    """The verdict words a reader would see in `text`, in order.

    Invisible characters and full-width letters do not hide a word: `elig\\u00adible`
    prints as "eligible", so it is caught as "eligible".
    """
    return [m.group(0) for m in _VERDICT_PATTERN.finditer(_comparable(text))]


def lookalike_words(text: str) -> list[str]:
    """Words mixing Latin letters with letters of another alphabet (a Cyrillic `\u0456` for
    the `i` of "eligible"): look-alike letters that would let a verdict word slip past."""
    words = re.findall(r"[^\W\d_]+", _comparable(text))
    return [
        w
        for w in words
        if any(c.isascii() for c in w)
        and any(not unicodedata.name(c, "").startswith("LATIN") for c in w if not c.isascii())
    ]
