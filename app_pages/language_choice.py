"""The session's language: chosen in the sidebar, kept for the session, English at first.

Every page draws inside `screening.speaking(language)` (app.py), so each word of ours goes
through the message catalogue; the pack's own words stay as the pack wrote them.
"""

from __future__ import annotations

import streamlit as st

from screening import _, available_languages, language_name

LANGUAGE = "app__language"
"""Session-state key of the language picker: the tag of the language chosen."""
FIRST = available_languages()[0]
"""The language a session starts in: the one the words are written in."""


def chosen() -> str:
    """The language this session chose (read before any widget is drawn)."""
    value = st.session_state.get(LANGUAGE)
    return value if isinstance(value, str) and value in available_languages() else FIRST


def picker() -> str:
    """The language picker in the sidebar, on every page; returns the language chosen."""
    value: str = st.sidebar.selectbox(
        _("Language"),
        available_languages(),
        format_func=language_name,
        key=LANGUAGE,
        help=_(
            "The language of the app's own words. Questions, rules and sources stay as the "
            "rule pack wrote them."
        ),
    )
    return value
