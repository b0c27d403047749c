"""The form's lazy panels, opened as a click would open them, for AppTest.

Streamlit draws what is inside the *Save or resume* panel and the *Start a new screening*
confirmation only while they are open (their `on_change="rerun"`), so a test opens them first.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

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
