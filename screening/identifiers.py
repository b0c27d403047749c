"""A warning, never a block, when a typed reference looks like it holds a patient identifier.

The patient reference is printed on every page of the checklist, so it should be a local
reference, not a date of birth, record number, phone number or e-mail address. These
patterns are a heuristic prompt for the clinician, not de-identification: a miss proves
nothing, and a match only asks the clinician to look again.
"""

from __future__ import annotations

import re

from screening.catalogue import N_, _

_LOOKS_LIKE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (N_("an e-mail address"), re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]{2,}")),
    (
        N_("a date, such as a date of birth"),
        re.compile(
            r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}[./-]\d{1,2}[./-]\d{1,2})\b"
            r"|\b(?:dob|d\.o\.b\.?|born)\b",
            re.IGNORECASE,
        ),
    ),
    (N_("a phone number"), re.compile(r"(?:\+\d|\(0|\b0)[\d ()./-]{7,}\d\b")),
    (
        N_("a record or health number"),
        re.compile(r"\b(?:mrn|nhs|hospital\s*(?:no|number))\b|\d{6,}", re.IGNORECASE),
    ),
)


def identifier_hints(text: str) -> list[str]:
    """What the text looks like it holds, e.g. ["a phone number"], in the language of the
    render; empty when nothing does."""
    squeezed = " ".join(text.split())
    return [_(what) for what, pattern in _LOOKS_LIKE if pattern.search(squeezed)]
