"""One Markdown escaper for every Markdown the product writes: typed text prints literally."""

from __future__ import annotations

import re

_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&$])")
"""Inline specials; `$` too, which Streamlit reads as the start of maths."""
_LINE_START = re.compile(r"^(\d+)([.)])|^([#>+=-])")


def md_escape(text: str, block: bool = False) -> str:
    """Text that Markdown shows as typed, with line breaks folded to spaces.

    Only what would change meaning is escaped, so the raw Markdown stays readable. `block`
    text starts a line, where `#`, `>`, `-` or `1.` would make a heading, quote or list.
    """
    escaped = _SPECIALS.sub(r"\\\1", " ".join(text.split()))
    if not block:
        return escaped
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)
