"""Any sequence of what a clinician does on the form leaves form, progress and checklist agreeing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from screening import AnswersFile, evaluate, load_pack
from tests.app_helpers import open_every_question, open_save_panel, start_again

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ITEMS = ("history", "active", "monitoring")

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("answer"),
            st.sampled_from(ITEMS),
            st.sampled_from(["yes", "no", "unknown", None]),
        ),
        st.tuples(st.just("build")),
        st.tuples(st.just("tick")),
        st.tuples(st.just("visit")),
        st.tuples(st.just("start_again")),
        st.tuples(
            st.just("upload"), st.sampled_from(ITEMS), st.sampled_from(["yes", "no", "unknown"])
        ),
    ),
    max_size=8,
)


def shown(at: AppTest) -> dict[str, str]:
    """The answers the form shows, by item id (blank ones left out)."""
    return {
        str(w.key).removeprefix("answer__"): str(w.value)
        for w in at.segmented_control
        if str(w.key).startswith("answer__") and w.value is not None
    }


def to_form(at: AppTest) -> None:
    if at.button and any(b.key == "back" for b in at.button):
        at.button(key="back").click().run()


def do(at: AppTest, action: tuple[object, ...]) -> None:
    kind = action[0]
    on_form = any(str(w.key).startswith("answer__") for w in at.segmented_control)
    if kind == "answer":
        to_form(at)
        item, value = action[1], action[2]
        if any(w.key == f"answer__{item}" for w in at.segmented_control):
            at.segmented_control(key=f"answer__{item}").set_value(value).run()
    elif kind == "build" and on_form:
        open_every_question(at.button(key="build").click().run())
    elif kind == "tick" and at.checkbox:
        at.checkbox[0].check().run()
    elif kind == "visit":
        at.switch_page("app_pages/about.py").run()
        at.switch_page("app_pages/form/page.py").run()
    elif kind == "start_again":
        start_again(at, "form" if on_form else "checklist")
    elif kind == "upload":
        to_form(at)
        content = json.dumps({"answers": {action[1]: action[2]}}).encode()
        open_save_panel(at)
        at.file_uploader(key="upload__answers").set_value(
            ("a.json", content, "application/json")
        ).run()


class TestFormStateProperty:
    """Whatever the order of answers, builds, ticks, visits, uploads and new screenings."""

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=actions)
    @example(
        steps=[
            ("answer", "history", "yes"),
            ("answer", "active", "yes"),
            ("answer", "history", "no"),
        ]
    )
    @example(steps=[("answer", "monitoring", "no"), ("build",), ("tick",), ("visit",), ("build",)])
    @example(
        steps=[("answer", "history", "yes"), ("build",), ("tick",), ("upload", "monitoring", "no")]
    )
    def test_the_form_the_progress_and_the_checklist_always_agree(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, steps: list[tuple[object, ...]]
    ) -> None:
        monkeypatch.setenv("SCREENING_RULES_DIR", str(mini_dir))
        at = AppTest.from_file(APP, default_timeout=30).run()
        for step in steps:
            do(at, step)
            assert not at.exception
        to_form(at)
        answers = shown(at)
        asked = [w for w in at.segmented_control if str(w.key).startswith("answer__")]
        assert at.get("progress")[0].text == f"{len(answers)} of {len(asked)} answered"
        open_every_question(at.button(key="build").click().run())
        expected = evaluate(load_pack(mini_dir), AnswersFile.model_validate({"answers": answers}))
        on_screen = {str(c.key).split("__", 2)[2] for c in at.checkbox}
        assert on_screen == {e.rule_id for e in expected.entries}
