"""The session's language: chosen in the sidebar, kept for the session, English at first.

Every page draws inside `screening.speaking(language)` (app.py), so each word of ours goes
through the message catalogue; the pack's own words stay as the pack wrote them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st

from screening import _, available_languages, language_name, speaking

LANGUAGE = "app__language"
"""Session-state key of the language picker: the tag of the language chosen."""
LANGUAGES = available_languages()
"""The languages with a catalogue, looked for once per process (a look through the catalogue
folder on every rerun of every page was 1 % of the form's)."""
FIRST = LANGUAGES[0]
"""The language a session starts in: the one the words are written in."""
_named = functools.cache(language_name)
"""A language's name as the picker lists it, from Babel's locale data once per language."""


def chosen() -> str:
    """The language this session chose (read before any widget is drawn)."""
    value = st.session_state.get(LANGUAGE)
    return value if isinstance(value, str) and value in LANGUAGES else FIRST


def picker() -> str:
    """The language picker in the sidebar, on every page; returns the language chosen."""
    value: str = st.sidebar.selectbox(
        _("Language"),
        LANGUAGES,
        format_func=_named,
        key=LANGUAGE,
        help=_(
            "The language of the app's own words. Questions, rules and sources stay as the "
            "rule pack wrote them."
        ),
    )
    return value


_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


def in_session_language(callback: Callable[_Params, _Result]) -> Callable[_Params, _Result]:
    """A widget callback that speaks the session's language: Streamlit runs a callback before
    the page's script, outside app.py's `speaking`, so the words it keeps for the page to show
    would otherwise be English."""

    @functools.wraps(callback)
    def in_language(*args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
        with speaking(chosen()):
            return callback(*args, **kwargs)

    return in_language
