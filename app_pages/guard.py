"""What the browser does so that no typed character is lost, on every page of the app.

Streamlit sends a text field's value when the field loses focus (or on Enter), and some paths
skip or outrun that moment. One small script, installed once per tab, closes them:

- **Esc** in a text field (a note's popover) first hands the text over, then closes;
- a click on a **download** or a **page link** made while typed text is still on its way, or
  while the page is running, waits until that run has finished, then clicks again: the file
  is built from what is on screen, and the page switch is not swallowed by the run that
  carries the text (the browser sends the switch first, so the text's run undid it); an open
  note is closed first and its run let finish, as the run that closing starts withdrew the
  file the click asked for;
- an **answer or tick** clicked while the page is still arriving waits until it has all
  arrived, then is clicked: sent at once, its run made the server drop the rest of the page,
  and the questions or ticks below it came back empty;
- a **paste** longer than the room left keeps the characters that fit and says so (Streamlit
  would silently drop the whole paste);
- **leaving the page** (reload, Back out of the app, closing the tab) asks first while the
  form holds work;
- a **reload** hands this tab's recovery token back to the server once (`form.recovery`);
- text **typed and not yet sent** by its field (no Enter, no click away) is sent after a
  pause in typing, into the copy kept for a reload only: a page that goes away sends its
  field's text too late, as the server stops a session's run when its tab disconnects.

Nothing here sends anything anywhere but the app's own server, and nothing is stored in the
browser except the random token, in the tab's `sessionStorage`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime import Runtime

from app_pages.form import memory
from screening import FREE_TEXT_MAX_LENGTH, N_, NOTE_MAX_LENGTH, _

NAME = "screening_guard"
KEY = "page_guard"
ASKED_AT = "guard__asked_at"
IN_A_BROWSER = "guard__in_a_browser"
GIVE_UP_SECONDS = 8.0
"""How long a new session waits for its tab to say which screening it held before drawing the
page all the same: an answer lost on its way must never leave the page blank (seen in CI and
under load). A screening kept for a reload is then not restored in this session; it stays in
server memory until it expires."""
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


WAITING = N_(
    "Opening the screening: looking for one this browser tab held before a reload, kept in "
    "this server's memory…"
)
"""Shown in place of the page until the tab has said whether it held a screening."""


def in_a_browser() -> bool:
    """Whether this session is served to a browser tab, the only place a token can be kept.

    A session run with no connection (Streamlit's AppTest, `bench/app.py`) has no request
    headers and no tab to ask: it has nothing to restore, and its pages are drawn at once.
    """
    found: bool | None = st.session_state.get(IN_A_BROWSER)
    if found is None:  # a session's headers do not change; reading them cost 10 % of a rerun
        found = st.session_state[IN_A_BROWSER] = bool(st.context.headers)
    return found


def typed_field(key: object, text: object) -> tuple[str, str] | None:
    """What the tab says is typed in a field and not yet sent, if the field is one the guard
    watches (a note, the patient reference, the clinician; never an answer) and the text fits
    it, as the field itself would refuse more; None for anything else the tab may send."""
    if not isinstance(key, str) or not isinstance(text, str):
        return None
    limit = next((n for prefix, n in LIMITS.items() if key.startswith(prefix)), None)
    return (key, text) if limit is not None and len(text) <= limit else None


def guard() -> bool:
    """Mount the tab's guard (hidden), restore the form the tab held before a reload, and say
    whether the page may be drawn in this run.

    Not before the tab has answered whether it held a screening: a form drawn empty while the
    restore is on its way can be clicked, and that click sends the empty form's values, which
    then wiped the restored answers (or kept them from being restored), under load 3 times in
    12. Until the tab answers, the session shows that it is looking, and holds no widget that
    a click could send.
    """
    st.html(HIDDEN)
    handed = memory.handed()
    result = _component()(
        key=KEY,
        data={
            "token": memory.token() if handed else None,
            "ask": None if handed else memory.asking(),
            "unsaved": memory.has_work(),
            "limits": LIMITS,
        },
        height=0,
        on_resume_change=lambda: None,
        on_typed_change=lambda: None,
    )
    typed = getattr(result, "typed", None)
    field = typed_field(typed.get("key"), typed.get("text")) if isinstance(typed, dict) else None
    if handed and field is not None:
        memory.hold_typed(*field)  # kept for a reload only
    old = getattr(result, "resume", None)
    if not handed and old is not None:
        memory.restore(str(old))
        st.rerun()  # the page is not drawn yet: give the tab its new token at once
    if handed or not in_a_browser():
        return True
    asked_at: float = st.session_state.setdefault(ASKED_AT, time.monotonic())
    if time.monotonic() - asked_at > GIVE_UP_SECONDS:
        memory.restore("")  # no answer came: draw the page, with nothing restored
        return True
    st.info(_(WAITING), icon=":material/hourglass_top:")
    _rerun_when_given_up(asked_at)
    return False


@st.fragment(run_every=1.0)
def _rerun_when_given_up(asked_at: float) -> None:
    """While the page waits for the tab, look each second whether to stop waiting; the server
    needs no word from the tab for it, which is the point."""
    if time.monotonic() - asked_at > GIVE_UP_SECONDS:
        st.rerun(scope="app")
