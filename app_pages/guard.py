"""What the browser does so that no typed character is lost, on every page of the app.

Streamlit sends a text field's value when the field loses focus (or on Enter), and some paths
skip or outrun that moment. One small script, installed once per tab, closes them:

- **Esc** in a text field (a note's popover) first hands the text over, then closes;
- a click on a **download** or a **page link** made while typed text is still on its way, or
  while the page is running, waits until that run has finished, then clicks again: the file
  is built from what is on screen, and the page switch is not swallowed by the run that
  carries the text (the browser sends the switch first, so the text's run undid it);
- a **paste** longer than the room left keeps the characters that fit and says so (Streamlit
  would silently drop the whole paste);
- **leaving the page** (reload, Back out of the app, closing the tab) asks first while the
  form holds work;
- a **reload** hands this tab's recovery token back to the server once (`form.recovery`).

Nothing here sends anything anywhere but the app's own server, and nothing is stored in the
browser except the random token, in the tab's `sessionStorage`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime import Runtime

from app_pages.form import memory
from screening import FREE_TEXT_MAX_LENGTH, NOTE_MAX_LENGTH

NAME = "screening_guard"
KEY = "page_guard"
LIMITS = {
    "note__": NOTE_MAX_LENGTH,
    "detail__patient_reference": FREE_TEXT_MAX_LENGTH,
    "detail__clinician": FREE_TEXT_MAX_LENGTH,
}
"""Widget key prefixes and how many characters their fields take (as their `max_chars`)."""
HIDDEN = f"<style>.st-key-{KEY} {{ display: none; }}</style>"

JS = (Path(__file__).parent / "guard.js").read_text(encoding="utf-8")
"""The guard's script, read once per process (a file beside this one, linted as JavaScript)."""

_mount: Any = None
_runtime: object = None


def _component() -> Any:
    """The component, registered once per Streamlit runtime (AppTest makes one per test)."""
    global _mount, _runtime  # noqa: PLW0603 - one registration per runtime, not per rerun
    runtime = Runtime.instance() if Runtime.exists() else None
    if _mount is None or runtime is not _runtime:
        _mount = st.components.v2.component(NAME, js=JS, isolate_styles=False)
        _runtime = runtime
    return _mount


def guard() -> None:
    """Mount the tab's guard (hidden), and restore the form the tab held before a reload.

    Mounted before the page runs, so a restored form is drawn in the same run.
    """
    st.html(HIDDEN)
    handed = memory.handed()
    result = _component()(
        key=KEY,
        data={
            "token": memory.token() if handed else None,
            "unsaved": memory.has_work(),
            "limits": LIMITS,
        },
        height=0,
        on_resume_change=lambda: None,
    )
    old = getattr(result, "resume", None)
    if not handed and old is not None:
        memory.restore(str(old))
        st.rerun()  # the page is not drawn yet: give the tab its new token at once
