"""One Markdown escaper for every Markdown the product writes: typed text prints literally."""

from __future__ import annotations

import re

from screening.text import NOT_WHITESPACE_CONTROLS

_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&$])")
"""Inline specials; `$` too, which Streamlit reads as the start of maths."""
_CONTROLS = NOT_WHITESPACE_CONTROLS
"""Control and bidirectional characters, removed: a terminal showing the file would obey
them, and they could reorder what a reader sees. Whitespace controls fold to spaces."""
_WEB = re.compile(r"https?://[^\s<>]+")
_LINE_START = re.compile(r"^(\d+)([.)])|^([#>+=-])")


def md_escape(text: str, block: bool = False) -> str:
    """Text that Markdown shows as typed, with line breaks folded to spaces and control
    characters removed.

    Only what would change meaning is escaped, so the raw Markdown stays readable. `block`
    text starts a line, where `#`, `>`, `-` or `1.` would make a heading, quote or list.
    """
    escaped = _SPECIALS.sub(r"\\\1", " ".join(_CONTROLS.sub("", text).split()))
    if not block:
        return escaped
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)


def is_web_address(url: str) -> bool:
    """An http(s) address with nothing in it that could end a link early: the only kind any
    export links to."""
    return _WEB.fullmatch(url) is not None


def md_link(text: str, url: str) -> str:
    """A Markdown link for a web address only; the `<>` form survives `)` in a DOI.

    Anything that is not an http(s) address is printed as text, never linked.
    """
    if not is_web_address(url):
        return md_escape(text)
    return f"[{md_escape(text)}](<{url}>)"
