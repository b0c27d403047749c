"""The form's lazy panels, opened as a click would open them, for AppTest.

Streamlit draws what is inside the *Save or resume* panel, the *Start a new screening*
confirmation, each question to find out and each checklist point's *Why?* and *Note* only
while they are open (their `on_change="rerun"`), so a test opens them first.
"""

from __future__ import annotations

from streamlit.runtime.state.common import user_key_from_element_id
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import TextArea

from app_pages.form.checklist_view import FIND_OUT_KEY

SAVE_PANEL = "save_panel"


def open_panel(at: AppTest, key: str) -> AppTest:
    """Open an expander or popover drawn with this key, as a click on it would, and rerun."""
    at.session_state[key] = True
    return at.run()


def open_save_panel(at: AppTest) -> AppTest:
    return open_panel(at, SAVE_PANEL)


def start_again(at: AppTest, where: str) -> AppTest:
    """*Start a new screening*, then its confirmation, from the form or the checklist."""
    open_panel(at, f"start_again_popover__{where}")
    return at.button(key=f"start_again__{where}").click().run()


def question_keys(at: AppTest) -> list[str]:
    """The keys of the checklist's questions to find out, in their order on screen."""
    keys = [user_key_from_element_id(group.proto.id) for group in at.expander]
    return [k for k in keys if k and k.startswith(FIND_OUT_KEY)]


def open_every_question(at: AppTest) -> AppTest:
    """Open every question to find out on the checklist, so that its points are drawn."""
    for key in question_keys(at):
        at.session_state[key] = True
    return at.run()


def open_why(at: AppTest, *points: str) -> AppTest:
    """Open the *Why?* of these points, each named "held__<rule id>" (the rule holds) or
    "open__<rule id>" (left open), as its tick box's key ends."""
    for point in points:
        at.session_state[f"why_popover__{point}"] = True
    return at.run()


def open_note(at: AppTest, point: str) -> TextArea:
    """Open the *Note* of this point ("held__<rule id>" or "open__<rule id>"): its text field."""
    open_panel(at, f"note_popover__{point}")
    return at.text_area(key=f"note__{point}")


def open_every_point(at: AppTest) -> AppTest:
    """Open the *Why?* and the *Note* of every point on the checklist."""
    open_every_question(at)
    for point in [str(c.key).removeprefix("tick__") for c in at.checkbox]:
        at.session_state[f"why_popover__{point}"] = True
        at.session_state[f"note_popover__{point}"] = True
    return at.run()
