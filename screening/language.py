"""Fixed wording: the non-diagnostic statement, and the guard against verdict language.

The list of verdict words lives here and only here; `rules/README.md` documents it.
"""

from __future__ import annotations

import re

DISCLAIMER = (
    "This is a discussion checklist, not a recommendation, a diagnosis or a decision. "
    "It lists points for the clinician to discuss, verify, arrange or document; "
    "it does not say whether ketamine is appropriate for this patient."
)

_VERDICT_PATTERN = re.compile(  # the one list of verdict words, each with every form
    r"\b(?:"
    r"(?:in)?eligib\w*"
    r"|recommend\w*"
    r"|candida(?:te|tes|cy|cies)"
    r"|(?:dis)?approv\w*"
    r"|scor(?:e|es|ed|ing|er|ers)"
    r")\b",
    re.IGNORECASE,
)


def verdict_words(text: str) -> list[str]:
    """The verdict words found in `text`, as written, in order."""
    return [m.group(0) for m in _VERDICT_PATTERN.finditer(text)]
