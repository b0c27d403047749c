"""The web form, driven through Streamlit's AppTest: what a clinician sees and what it keeps."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.state.common import user_key_from_element_id
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Checkbox, SpecialBlock, Title

import screening
from app_pages.form import checklist_view as checklist_view_module
from app_pages.form import memory
from screening import (
    AnswersFile,
    PackError,
    RulePack,
    asked_states,
    evaluate,
    load_pack,
    response_json,
)
from screening.language import DISCLAIMER
from tests.app_helpers import (
    open_every_point,
    open_every_question,
    open_note,
    open_save_panel,
    open_why,
    question_keys,
    start_again,
)
from tests.conftest import write_pack

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def start(monkeypatch: pytest.MonkeyPatch, rules_dir: Path | None = None) -> AppTest:
    if rules_dir is None:
        monkeypatch.delenv("SCREENING_RULES_DIR", raising=False)
    else:
        monkeypatch.setenv("SCREENING_RULES_DIR", str(rules_dir))
    return AppTest.from_file(APP, default_timeout=30).run()


def answer(at: AppTest, item_id: str, value: str | None) -> None:
    at.segmented_control(key=f"answer__{item_id}").set_value(value).run()


def asked(at: AppTest) -> dict[str, Any]:
    """The questions on screen and their answers, by item id."""
    return {
        str(w.key).removeprefix("answer__"): w.value
        for w in at.segmented_control
        if str(w.key).startswith("answer__")
    }


def build(at: AppTest) -> None:
    open_every_question(at.button(key="build").click().run())
    assert not at.exception


def entry_ids(at: AppTest) -> set[str]:
    """The rule ids of the checklist entries on screen, from their tick boxes."""
    return {str(c.key).split("__", 2)[2] for c in at.checkbox}


def questions(at: AppTest) -> list[str]:
    """The questions to find out on the checklist, as each one's panel is labelled."""
    return [group.label for group in at.expander if group.label.startswith("Find out: ")]


def tick(at: AppTest, rule_id: str) -> Checkbox:
    """The tick box of the entry that `rule_id` raised."""
    (found,) = [c for c in at.checkbox if str(c.key).endswith(f"__{rule_id}")]
    return found


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def calls_to(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[object]:
    """The positional arguments of each call made to `owner.name` from now on; calls go through."""
    calls: list[object] = []
    real = getattr(owner, name)

    def counting(*a: Any, **k: Any) -> Any:
        calls.append(a)
        return real(*a, **k)

    monkeypatch.setattr(owner, name, counting)
    return calls


def upload(at: AppTest, name: str, content: bytes) -> None:
    open_save_panel(at)
    at.file_uploader(key="upload__answers").set_value((name, content, "application/json")).run()


@dataclass(frozen=True)
class Download:
    """A download button's file name and what a click on it would give."""

    file_name: str | None
    data: Callable[[], object]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Download]:
    """The downloads offered, by button key, as of the last run: each is built when clicked."""
    offered: dict[str, Download] = {}
    real = MediaFileManager.add_deferred

    def add_deferred(
        self: MediaFileManager,
        data_callable: Any,
        mimetype: str | None,
        coordinates: str,
        file_name: str | None = None,
        *,
        element_id: str = "",
    ) -> str:
        offered[str(user_key_from_element_id(element_id))] = Download(file_name, data_callable)
        return real(self, data_callable, mimetype, coordinates, file_name, element_id=element_id)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return offered


@pytest.fixture
def mini(monkeypatch: pytest.MonkeyPatch, mini_dir: Path) -> AppTest:
    return start(monkeypatch, mini_dir)


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return start(monkeypatch)


class TestForm:
    """The form asks every question with Yes / No / Unknown and nothing chosen in advance."""

    def test_every_question_starts_unanswered(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        first = len(asked_states(shipped_pack, {}))  # the pack's questions, follow-ups included
        assert not shipped.exception
        assert len(asked(shipped)) == first
        assert set(asked(shipped).values()) == {None}
        assert shipped.get("progress")[0].text == f"0 of {first} answered"

    def test_each_question_offers_yes_no_unknown_with_its_help(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        control = shipped.segmented_control(key="answer__substance_use_history")
        assert control.options == ["Yes", "No", "Unknown"]
        item = shipped_pack.item("substance_use_history")
        assert control.help.startswith(item.help[:20])
        assert "Sources" in control.help

    def test_items_are_grouped_by_section_in_pack_order(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        headings = [s.value for s in shipped.header]
        assert headings == list(shipped_pack.sections)

    def test_the_progress_line_counts_answers_including_unknown(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        given = {
            "chronic_pain_over_3_months": "yes",
            "condition_crps": "unknown",
            "substance_use_history": "no",
        }
        for item_id, value in given.items():
            answer(shipped, item_id, value)
        still = len(asked_states(shipped_pack, given))  # type: ignore[arg-type]  # plain words
        assert still < len(asked_states(shipped_pack, {}))  # the No hides follow-ups
        assert shipped.get("progress")[0].text == f"3 of {still} answered"

    def test_a_chosen_answer_can_be_cleared(self, shipped: AppTest, shipped_pack: RulePack) -> None:
        answer(shipped, "condition_crps", "yes")
        answer(shipped, "condition_crps", None)
        first = len(asked_states(shipped_pack, {}))
        assert shipped.get("progress")[0].text == f"0 of {first} answered"

    def test_the_page_says_it_is_a_discussion_checklist_not_a_recommendation(
        self, shipped: AppTest
    ) -> None:
        assert shipped.info[0].value == DISCLAIMER
        assert "not a recommendation" in DISCLAIMER

    def test_the_caption_gives_the_app_and_rule_pack_versions(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        caption = shipped.caption[0].value.replace("\\", "")
        assert f"App version {screening.__version__}" in caption
        assert f"version {shipped_pack.meta.version}" in caption

    def test_every_widget_has_a_key_and_help(self, shipped: AppTest) -> None:
        widgets = [*shipped.segmented_control, *shipped.text_input, *shipped.date_input]
        widgets += [*shipped.download_button, *shipped.button]
        assert all(w.key for w in widgets)
        assert all(w.help for w in widgets)


class TestChecklist:
    """Building the checklist shows the entries the rule pack raises, and never a verdict."""

    def test_a_full_fill_yields_the_expected_entries(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        answer(mini, "active", "yes")
        answer(mini, "monitoring", "no")
        build(mini)
        assert entry_ids(mini) == {"substance-history", "substance-active", "setting-monitoring"}
        shown = [c.label for c in mini.checkbox]
        assert "Arrange monitoring by trained staff." in shown
        assert not any("not assessed" in w for w in warnings(mini))

    def test_a_full_fill_of_the_shipped_pack_shows_what_the_engine_raises(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        cycle = ["yes", "no", "unknown"]
        answers = {item.id: cycle[n % 3] for n, item in enumerate(shipped_pack.items)}
        for parent in (
            "substance_use_history",
            "prior_ketamine_exposure",
            "course_planned",
            "pregnancy_possible",
            "psychosis_history",
        ):
            answers[parent] = "yes"
        for item_id, value in answers.items():
            answer(shipped, item_id, value)
        shown = len(asked_states(shipped_pack, answers))  # type: ignore[arg-type]  # plain words
        assert shipped.get("progress")[0].text == f"{shown} of {shown} answered"
        build(shipped)
        expected = evaluate(shipped_pack, AnswersFile.model_validate({"answers": answers}))
        assert entry_ids(shipped) == {e.rule_id for e in expected.entries}
        assert not any("not assessed" in w for w in warnings(shipped))

    def test_unanswered_items_are_listed_as_not_assessed_never_taken_as_no(
        self, mini: AppTest
    ) -> None:
        answer(mini, "history", "no")
        build(mini)
        assert any(w.startswith("**1 question(s) not assessed**") for w in warnings(mini))
        # Listed once: under To find out, with what it would raise; not again at the end.
        assert "Not assessed" not in [s.value for s in mini.subheader]
        assert not any("- Can trained staff monitor" in m.value for m in mini.markdown)
        monitoring = tick(mini, "setting-monitoring")
        assert monitoring.label == "If no: Arrange monitoring"
        assert "Find out: Can trained staff monitor the patient?" in questions(mini)

    def test_the_checklist_names_the_rule_pack_its_version_and_hash(
        self, mini: AppTest, mini_dir: Path
    ) -> None:
        build(mini)
        pack = load_pack(mini_dir)
        heading = next(m.value for m in mini.markdown if m.value.startswith("Rule pack"))
        assert "Mini pack" in heading
        assert "version 0.1.0 (draft)" in heading
        assert f"sha256 `{pack.sha256}`" in heading
        assert mini.info[0].value == DISCLAIMER

    def test_each_entry_explains_why_with_answers_rule_rationale_and_sources(
        self, mini: AppTest
    ) -> None:
        answer(mini, "history", "yes")
        build(mini)
        open_why(mini, "held__substance-history")
        shown = "\n".join(m.value for m in mini.markdown)
        assert "- substance use history: **Yes** (`history`)" in shown
        assert "**Rule** `substance-history`" in shown
        assert "**Why it matters.** Ketamine can be misused." in shown
        assert "Author A. A study." in shown

    def test_an_open_entry_says_which_answers_left_it_open(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        answer(mini, "active", "no")
        answer(mini, "monitoring", "unknown")
        build(mini)
        open_why(mini, "held__substance-history", "open__setting-monitoring")
        why = [m.value.split("\n\n")[:2] for m in mini.markdown if "**Rule**" in m.value]
        assert sorted(why) == [
            ["**Left open by these answers**", "- monitoring: **Unknown** (`monitoring`)"],
            ["**Raised by these answers**", "- substance use history: **Yes** (`history`)"],
        ]

    def test_the_checklist_opens_scrolled_to_the_top_and_the_form_does_not_move(
        self, mini: AppTest
    ) -> None:
        assert not mini.get("iframe")
        build(mini)
        (frame,) = mini.get("iframe")
        assert "scrollTo(0, 0)" in frame.proto.srcdoc

    def test_the_checklist_view_asks_the_pack_nothing(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Labels, questions and sources on the checklist come from the checklist itself."""
        asked_from_the_page: list[str] = []
        for name in ("item", "source"):
            real = getattr(RulePack, name)

            def spy(self: RulePack, key: str, real: Any = real) -> Any:
                if "app_pages/form/" in sys._getframe(1).f_code.co_filename:
                    asked_from_the_page.append(key)
                return real(self, key)

            monkeypatch.setattr(RulePack, name, spy)
        answer(mini, "history", "yes")
        answer(mini, "monitoring", "unknown")
        build(mini)
        open_every_point(mini)
        assert "Find out: Can trained staff monitor the patient?" in questions(mini)
        assert any("Author A. A study." in m.value for m in mini.markdown)
        assert asked_from_the_page == []

    def test_the_checklist_view_takes_the_checklist_and_never_a_pack(self) -> None:
        """Its parameters are the checklist and its own options; none is a rule pack."""
        hints = get_type_hints(checklist_view_module.checklist_view)
        assert list(hints) == ["checklist", "vocabulary", "shown", "return"]
        assert hints["checklist"] is screening.Checklist
        assert RulePack not in hints.values()
        assert not hasattr(checklist_view_module, "RulePack")

    def test_the_checklist_view_reads_nothing_of_the_pack_while_it_draws(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Not a rule, a headline, an item nor the verdict words: the marks the answers settled,
        a note's check, *Why?*, starting again and the downloads come from the checklist."""
        drawing: list[bool] = []
        read: list[str] = []
        real_view = checklist_view_module.checklist_view

        def view(*args: Any, **kwargs: Any) -> None:
            drawing.append(True)
            try:
                real_view(*args, **kwargs)
            finally:
                drawing.pop()

        def spy(self: RulePack, name: str) -> Any:
            if drawing:
                read.append(name)
            return object.__getattribute__(self, name)

        monkeypatch.setattr(checklist_view_module, "checklist_view", view)
        monkeypatch.setattr(RulePack, "__getattribute__", spy)
        answer(mini, "history", "yes")
        answer(mini, "monitoring", "unknown")
        build(mini)
        tick(mini, "setting-monitoring").check().run()
        open_note(mini, "held__substance-history").input("Not eligible today").run()
        mini.button(key="back").click().run()
        answer(mini, "monitoring", "yes")
        build(mini)
        open_every_point(mini)
        assert [i for i in mini.info if "no longer on this checklist" in i.value]
        assert [w for w in mini.warning if "eligible" in w.value]
        assert drawing == []
        assert read == []

    def test_entries_are_grouped_by_section_then_kind(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        answer(mini, "monitoring", "no")
        build(mini)
        headings = [s.value for s in mini.subheader]
        assert headings[:2] == ["Substance use", "Setting"]
        kinds = [m.value for m in mini.markdown if m.value in ("**Discuss**", "**Arrange**")]
        assert kinds == ["**Discuss**", "**Arrange**"]

    def test_the_downloads_are_offered(self, mini: AppTest) -> None:
        build(mini)
        labels = {b.key: b.label for b in mini.download_button}
        assert labels["download__json"] == "Checklist JSON"
        assert labels["download__markdown"] == "Checklist Markdown"
        assert labels["download__pdf"] == "Download PDF"
        assert labels["download__answers"] == "Answers JSON"

    def test_ticks_and_answers_are_kept_when_going_back_and_forth(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        build(mini)
        tick(mini, "substance-history").check().run()
        mini.button(key="back").click().run()
        assert asked(mini)["history"] == "yes"
        build(mini)
        assert tick(mini, "substance-history").value is True

    def test_a_tick_on_a_point_to_verify_does_not_tick_the_point_its_answer_raises(
        self, mini: AppTest
    ) -> None:
        answer(mini, "monitoring", "unknown")
        build(mini)
        assert tick(mini, "setting-monitoring").label == "If no: Arrange monitoring"
        tick(mini, "setting-monitoring").check().run()
        mini.button(key="back").click().run()
        answer(mini, "monitoring", "no")
        build(mini)
        assert tick(mini, "setting-monitoring").label == "Arrange monitoring by trained staff."
        assert tick(mini, "setting-monitoring").value is False

    def test_marks_on_a_point_to_verify_stay_in_sight_once_its_question_is_answered(
        self, mini: AppTest
    ) -> None:
        answer(mini, "monitoring", "unknown")
        build(mini)
        tick(mini, "setting-monitoring").check().run()
        open_note(mini, "open__setting-monitoring").input("Ask *the* ward").run()
        mini.button(key="back").click().run()
        answer(mini, "monitoring", "yes")
        build(mini)
        (shown,) = [i.value for i in mini.info if "no longer on this checklist" in i.value]
        assert "- Arrange monitoring (was to find out): ticked, note “Ask \\*the\\* ward”" in shown
        mini.button(key="back").click().run()
        answer(mini, "monitoring", "unknown")
        build(mini)
        assert tick(mini, "setting-monitoring").value is True
        assert not [i for i in mini.info if "no longer on this checklist" in i.value]

    def test_the_tick_on_a_point_to_verify_comes_back_with_the_same_point(
        self, mini: AppTest
    ) -> None:
        answer(mini, "monitoring", "unknown")
        build(mini)
        tick(mini, "setting-monitoring").check().run()
        mini.button(key="back").click().run()
        answer(mini, "history", "yes")
        build(mini)
        assert tick(mini, "setting-monitoring").value is True

    def test_starting_again_clears_the_ticks(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        build(mini)
        tick(mini, "substance-history").check().run()
        start_again(mini, "checklist")
        answer(mini, "history", "yes")
        build(mini)
        assert tick(mini, "substance-history").value is False


class TestTheChecklistCarriesTheForm:
    """The checklist the form makes gives back the answers, details and marks the form holds,
    so the checklist view's answers download is the checklist's own."""

    def test_its_answers_file_is_the_form_s_with_its_marks(self, mini_pack: RulePack) -> None:
        given = AnswersFile(
            answers={"history": "yes", "monitoring": "unknown"},
            patient_reference="bed 4",
            clinician="Dr A",
            date="2026-12-06",
        )
        unmarked = evaluate(mini_pack, given, source="form")
        first, last = unmarked.entries[0], unmarked.entries[-1]
        marks = {
            memory.tick_key(first): True,
            memory.note_key(last): "  ask the ward  ",
            memory.tick_key(last): False,
        }
        with_marks, checklist = memory.marked(mini_pack, given, unmarked, marks)
        assert with_marks.discussed
        assert checklist.answers_file() == with_marks
        assert memory.answers_json(checklist.answers_file()) == memory.answers_json(with_marks)
        assert memory.marked(mini_pack, given, unmarked, {})[1].answers_file() == given


class TestIdentifierWarning:
    """A patient reference that looks like an identifier is flagged beside the field."""

    def test_a_phone_number_as_the_reference_is_flagged_and_kept(self, mini: AppTest) -> None:
        mini.text_input(key="detail__patient_reference").input("07700 900123").run()
        assert any("looks like it holds a phone number" in w for w in warnings(mini))
        assert mini.text_input(key="detail__patient_reference").value == "07700 900123"

    def test_a_local_reference_is_not_flagged(self, mini: AppTest) -> None:
        mini.text_input(key="detail__patient_reference").input("Clinic 3, visit 2").run()
        assert not any("looks like it holds" in w for w in warnings(mini))


class TestVerdictFlag:
    """Free text that reads as a verdict is flagged beside its field, kept as typed."""

    def test_a_patient_reference_reading_as_a_verdict_is_flagged_and_kept(
        self, mini: AppTest
    ) -> None:
        reference = "ELIGIBLE - APPROVED FOR KETAMINE"
        mini.text_input(key="detail__patient_reference").input(reference).run()
        assert any(
            w.startswith("The patient reference reads as a verdict (ELIGIBLE, APPROVED)")
            for w in warnings(mini)
        )
        assert mini.text_input(key="detail__patient_reference").value == reference

    def test_a_clinician_reading_as_a_verdict_is_flagged(self, mini: AppTest) -> None:
        mini.text_input(key="detail__clinician").input("Dr A (recommends)").run()
        assert any(w.startswith("The clinician reads as a verdict") for w in warnings(mini))

    def test_a_note_reading_as_a_verdict_is_flagged_under_its_point(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        build(mini)
        open_note(mini, "held__substance-history").input("Suitable, go ahead").run()
        assert any(
            w.startswith("The note reads as a verdict (Suitable, go ahead)") for w in warnings(mini)
        )

    def test_an_ordinary_reference_is_not_flagged(self, mini: AppTest) -> None:
        mini.text_input(key="detail__patient_reference").input("Clinic 3, visit 2").run()
        assert not any("reads as a verdict" in w for w in warnings(mini))


class TestDiscussedMarks:
    """Ticks and notes are part of the record: kept, shown as typed, saved and resumed."""

    def test_a_note_is_shown_as_typed_under_its_point(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        build(mini)
        open_note(mini, "held__substance-history").input("**said** <b>no</b>").run()
        assert "Note: **said** <b>no</b>" in texts(mini)

    def test_a_point_s_why_and_note_are_drawn_only_while_open(self, mini: AppTest) -> None:
        """Drawn for every point on every rerun, they were most of the checklist's rerun."""
        answer(mini, "history", "yes")
        build(mini)
        assert not [m for m in mini.markdown if "**Rule**" in m.value]
        assert not mini.text_area
        open_why(mini, "held__substance-history")
        assert [m for m in mini.markdown if "**Rule** `substance-history`" in m.value]
        assert not mini.text_area
        mini.session_state["why_popover__held__substance-history"] = False
        open_note(mini, "held__substance-history")
        assert not [m for m in mini.markdown if "**Rule**" in m.value]
        assert [str(t.key) for t in mini.text_area] == ["note__held__substance-history"]

    def test_each_question_to_find_out_is_drawn_closed_and_its_points_once_opened(
        self, mini: AppTest
    ) -> None:
        """Every question drawn in full was most of what the browser did on Build (48 points
        for 7 answers), and the checklist read as long as the form."""
        mini.button(key="build").click().run()
        assert "Find out: Any history of substance use disorder?" in questions(mini)
        assert not [c for c in mini.checkbox if str(c.key).startswith("tick__open__")]
        open_every_question(mini)
        assert tick(mini, "setting-monitoring").label == "If no: Arrange monitoring"

    def test_a_tick_on_a_point_to_find_out_is_kept_while_its_question_is_closed(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        build(mini)  # every question opened
        tick(mini, "setting-monitoring").check().run()
        for key in question_keys(mini):
            mini.session_state[key] = False
        mini.run()
        assert not [c for c in mini.checkbox if str(c.key).startswith("tick__open__")]
        saved = json.loads(str(downloads["download__answers"].data()))
        assert saved["discussed"] == {"setting-monitoring": {"done": True, "note": None}}
        open_every_question(mini)
        assert tick(mini, "setting-monitoring").value is True

    def test_a_note_sent_as_its_popover_closes_is_kept_shown_and_saved(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        """The field is not drawn once closed (Esc, a click away): the memory keeps its text."""
        answer(mini, "history", "yes")
        build(mini)
        open_note(mini, "held__substance-history").input("Closed at once")
        mini.session_state["note_popover__held__substance-history"] = False
        mini.run()
        assert not mini.text_area
        assert "Note: Closed at once" in texts(mini)
        tick(mini, "substance-history").check().run()  # reruns with the field still closed
        assert "Note: Closed at once" in texts(mini)
        saved = json.loads(str(downloads["download__answers"].data()))
        assert saved["discussed"] == {"substance-history": {"done": True, "note": "Closed at once"}}
        assert open_note(mini, "held__substance-history").value == "Closed at once"

    def test_the_answers_are_evaluated_once_until_they_change(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A tick, a note or a popover reruns the checklist with the same answers."""
        calls: list[AnswersFile] = []

        def counted(pack: RulePack, given: AnswersFile, **options: Any) -> Any:
            calls.append(given)
            return evaluate(pack, given, **options)

        monkeypatch.setattr(memory, "evaluate", counted)
        answer(mini, "history", "yes")
        build(mini)
        tick(mini, "substance-history").check().run()
        open_why(mini, "held__substance-history")
        assert len(calls) == 1
        mini.button(key="back").click().run()
        answer(mini, "monitoring", "unknown")
        build(mini)
        assert [c.answers for c in calls] == [
            {"history": "yes"},
            {"history": "yes", "monitoring": "unknown"},
        ]
        assert tick(mini, "setting-monitoring").label == "If no: Arrange monitoring"

    def test_a_note_changed_and_closed_keeps_its_new_words_through_back_and_a_rebuild(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        """Streamlit hands back a value set for a field before it was drawn once the field is
        no longer drawn: the older note, loaded from the file, must not come back."""
        saved = {
            "answers": {"history": "yes"},
            "discussed": {"substance-history": {"done": False, "note": "Old"}},
        }
        upload(mini, "saved.json", json.dumps(saved).encode())
        build(mini)
        assert "Note: Old" in texts(mini)
        open_note(mini, "held__substance-history").input("New").run()
        mini.session_state["note_popover__held__substance-history"] = False
        mini.run()
        mini.run()
        assert "Note: New" in texts(mini)
        mini.button(key="back").click().run()
        open_save_panel(mini)
        saved_again = json.loads(str(downloads["download__answers_form"].data()))
        assert saved_again["discussed"] == {"substance-history": {"done": False, "note": "New"}}
        build(mini)
        assert "Note: New" in texts(mini)
        assert open_note(mini, "held__substance-history").value == "New"

    def test_a_note_longer_than_the_core_allows_cannot_be_typed(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        build(mini)
        assert open_note(mini, "held__substance-history").proto.max_chars == 500

    def test_ticks_and_notes_survive_going_back_and_forth(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        build(mini)
        tick(mini, "substance-history").check().run()
        open_note(mini, "held__substance-history").input("Agreed safeguards").run()
        mini.button(key="back").click().run()
        build(mini)
        assert tick(mini, "substance-history").value is True
        assert "Note: Agreed safeguards" in texts(mini)
        assert open_note(mini, "held__substance-history").value == "Agreed safeguards"

    def test_an_answers_file_with_marks_restores_ticks_and_notes(self, mini: AppTest) -> None:
        saved = {
            "answers": {"history": "yes", "monitoring": "unknown"},
            "discussed": {
                "substance-history": {"done": True, "note": "Agreed"},
                "setting-monitoring": {"done": False, "note": "Ask the ward"},
            },
        }
        upload(mini, "saved.json", json.dumps(saved).encode())
        build(mini)
        assert tick(mini, "substance-history").value is True
        assert tick(mini, "setting-monitoring").value is False
        assert open_note(mini, "open__setting-monitoring").value == "Ask the ward"
        assert "Note: Agreed" in texts(mini)

    def test_a_mark_on_a_point_these_answers_do_not_raise_is_refused_on_upload(
        self, mini: AppTest
    ) -> None:
        answer(mini, "history", "yes")
        saved = {"answers": {"history": "no"}, "discussed": {"substance-history": {"done": True}}}
        upload(mini, "saved.json", json.dumps(saved).encode())
        assert "discussed.substance-history: marked discussed" in mini.code[0].value
        assert asked(mini)["history"] == "yes"

    def test_open_points_are_listed_under_the_question_that_would_settle_them(
        self, mini: AppTest
    ) -> None:
        build(mini)
        assert "To find out" in [s.value for s in mini.subheader]
        assert "Find out: Any history of substance use disorder?" in questions(mini)
        assert tick(mini, "setting-monitoring").label == "If no: Arrange monitoring"

    def test_points_raised_come_first_then_each_open_question_once(self, shipped: AppTest) -> None:
        """A question whose points sit in several sections is listed once, after every point
        raised: a course planned opens points in three sections."""
        answer(shipped, "chronic_pain_over_3_months", "yes")
        answer(shipped, "monitoring_available", "no")
        build(shipped)
        headings = [s.value for s in shipped.subheader]
        find_out = headings.index("To find out")
        assert headings[:find_out] == ["Setting and monitoring"]  # the one section raising
        course = "Find out: Is a course of ketamine for pain being planned for this patient?"
        assert questions(shipped).count(course) == 1


class TestFollowUps:
    """A follow-up is asked only while its condition may hold; a stale answer is dropped, visibly."""

    def test_a_follow_up_appears_only_while_it_is_asked(self, shipped: AppTest) -> None:
        answer(shipped, "substance_use_history", "no")
        assert "substance_use_active" not in asked(shipped)
        answer(shipped, "substance_use_history", "yes")
        assert asked(shipped)["substance_use_active"] is None

    def test_a_dropped_answer_is_noted_and_never_reaches_the_checklist(
        self, shipped: AppTest
    ) -> None:
        answer(shipped, "substance_use_history", "yes")
        answer(shipped, "substance_use_active", "yes")
        answer(shipped, "substance_use_history", "no")
        assert "substance_use_active" not in asked(shipped)
        (note,) = [w for w in shipped.warning if w.value.startswith("Answer set aside")]
        assert "was answered **Yes**" in note.value
        assert "substance use history is Yes" in note.value
        build(shipped)
        assert "substance-active-use" not in entry_ids(shipped)

    def test_a_parent_s_no_is_undone_in_one_click_with_its_follow_up_answers(
        self, shipped: AppTest
    ) -> None:
        answer(shipped, "substance_use_history", "yes")
        answer(shipped, "substance_use_active", "yes")
        answer(shipped, "substance_use_history", "no")
        (undo,) = [b for b in shipped.button if b.key == "undo_change"]
        assert undo.label.startswith("Undo: “")
        assert undo.label.endswith("” back to Yes, and 1 answer(s) back")
        undo.click().run()
        assert asked(shipped)["substance_use_history"] == "yes"
        assert asked(shipped)["substance_use_active"] == "yes"
        assert not any(w.startswith("Answer set aside") for w in warnings(shipped))
        assert not [b for b in shipped.button if b.key == "undo_change"]

    def test_a_follow_up_asked_again_gets_its_answer_back_and_the_note_goes(
        self, shipped: AppTest
    ) -> None:
        answer(shipped, "substance_use_history", "yes")
        answer(shipped, "substance_use_active", "yes")
        answer(shipped, "substance_use_history", "no")
        answer(shipped, "substance_use_history", "unknown")
        assert asked(shipped)["substance_use_active"] == "yes"
        assert not any(w.startswith("Answer set aside") for w in warnings(shipped))

    def test_an_answer_set_aside_never_comes_back_after_a_new_screening(
        self, shipped: AppTest
    ) -> None:
        answer(shipped, "substance_use_history", "yes")
        answer(shipped, "substance_use_active", "yes")
        answer(shipped, "substance_use_history", "no")
        start_again(shipped, "form")
        answer(shipped, "substance_use_history", "yes")
        assert asked(shipped)["substance_use_active"] is None

    def test_a_follow_up_says_so_in_its_label_and_when_it_is_asked_first_in_its_help(
        self, shipped: AppTest
    ) -> None:
        answer(shipped, "substance_use_history", "yes")
        follow_up = shipped.segmented_control(key="answer__substance_use_active")
        assert follow_up.label.startswith("Follow-up: ")
        assert str(follow_up.help).startswith("*Follow-up: asked when substance use history is")
        parent = shipped.segmented_control(key="answer__substance_use_history")
        assert not parent.label.startswith("Follow-up")
        assert not str(parent.help).startswith("*Follow-up")

    def test_one_style_rule_indents_exactly_the_follow_ups(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        (style,) = [h.proto.body for h in shipped.get("html") if "margin-left" in h.proto.body]
        indented = set(re.findall(r"\.st-key-answer__(\w+)", style))
        assert indented == {item.id for item in shipped_pack.items if item.asked_if is not None}
        assert indented


class TestSaveAndResume:
    """Answers go out as an answers file and come back in; a bad file changes nothing."""

    def test_what_an_upload_fills_in_reaches_the_checklist_built_straight_after(
        self, mini: AppTest
    ) -> None:
        saved = {
            "answers": {"history": "yes"},
            "patient_reference": "A-12",
            "clinician": "Dr Who",
            "date": "2026-01-02",
        }
        upload(mini, "saved.json", json.dumps(saved).encode())
        build(mini)
        assert texts(mini) == ["Patient reference: A-12 · Clinician: Dr Who · Date: 2026-01-02"]
        assert "substance-history" in entry_ids(mini)

    def test_the_save_panel_draws_its_buttons_only_while_open(self, mini: AppTest) -> None:
        assert not mini.download_button
        assert not mini.get("file_uploader")
        open_save_panel(mini)
        assert {str(b.key) for b in mini.download_button} == {
            "download__answers_form",
            "download__answers_fhir",
        }
        assert [u.key for u in mini.get("file_uploader")] == ["upload__answers"]
        answer(mini, "history", "yes")
        assert mini.download_button, "an answer given with the panel open leaves it open"

    def test_an_answers_file_prefills_the_form(self, mini: AppTest) -> None:
        saved = {
            "answers": {"history": "yes", "active": "no"},
            "patient_reference": "A-12",
            "clinician": "Dr Who",
            "date": "2026-01-02",
        }
        upload(mini, "saved.json", json.dumps(saved).encode())
        assert not mini.exception
        assert asked(mini) == {"history": "yes", "active": "no", "monitoring": None}
        assert mini.text_input(key="detail__patient_reference").value == "A-12"
        assert mini.text_input(key="detail__clinician").value == "Dr Who"
        assert str(mini.date_input(key="detail__date").value) == "2026-01-02"
        assert mini.success[0].value == "Loaded 2 answer(s) from saved.json."

    def test_an_answer_to_a_follow_up_not_shown_is_dropped_with_a_note_naming_it(
        self, mini: AppTest
    ) -> None:
        saved = {"answers": {"history": "no", "active": "yes", "monitoring": "unknown"}}
        upload(mini, "saved.json", json.dumps(saved).encode())
        assert not mini.exception
        assert not mini.error
        assert asked(mini) == {"history": "no", "monitoring": "unknown"}
        assert mini.success[0].value == "Loaded 2 answer(s) from saved.json."
        assert (
            "saved.json: 1 answer(s) to questions not shown given the other answers were "
            "dropped, not evaluated: active"
        ) in [i.value for i in mini.info]
        build(mini)
        assert not mini.exception

    def test_a_response_that_kept_an_answer_its_form_hid_has_it_dropped_with_a_note(
        self, mini: AppTest, mini_pack: RulePack
    ) -> None:
        resource = response_json(
            evaluate(mini_pack, AnswersFile(answers={"history": "yes", "active": "yes"}))
        )
        no = '"code": "LA32-8"'  # the parent changed to No after its follow-up was answered
        kept = resource.replace('"code": "LA33-6"', no, 1)
        assert kept.count(no) == 1
        upload(mini, "lforms.fhir.json", kept.encode())
        assert not mini.exception
        assert not mini.error
        assert asked(mini) == {"history": "no", "monitoring": None}
        assert (
            "lforms.fhir.json: 1 answer(s) to questions not shown given the other answers were "
            "dropped, not evaluated (the form that made the response kept them): active"
        ) in [i.value for i in mini.info]

    def test_save_on_the_form_gives_the_answers_details_and_the_marks_made_on_the_checklist(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        answer(mini, "history", "yes")
        mini.text_input(key="detail__clinician").input("Dr Who").run()
        build(mini)
        tick(mini, "substance-history").check().run()
        open_note(mini, "open__setting-monitoring").input("Ask the ward").run()
        mini.button(key="back").click().run()
        open_save_panel(mini)
        saved = json.loads(str(downloads["download__answers_form"].data()))
        assert saved["answers"] == {"history": "yes"}
        assert saved["clinician"] == "Dr Who"
        assert saved["discussed"] == {
            "substance-history": {"done": True, "note": None},
            "setting-monitoring": {"done": False, "note": "Ask the ward"},
        }

    def test_save_on_the_form_keeps_a_note_sent_with_the_click_on_back(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        answer(mini, "history", "yes")
        build(mini)
        open_note(mini, "held__substance-history").input("Agreed")
        mini.button(key="back").click().run()
        open_save_panel(mini)
        saved = json.loads(str(downloads["download__answers_form"].data()))
        assert saved["discussed"] == {"substance-history": {"done": False, "note": "Agreed"}}

    def test_the_pdf_and_the_answers_of_one_screening_share_their_name_s_suffix(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        """Without a patient reference too, and after a tick (the marks do not rename it)."""
        answer(mini, "history", "yes")
        build(mini)
        tick(mini, "substance-history").check().run()
        names = {k: str(downloads[k].file_name) for k in ("download__pdf", "download__answers")}
        suffix = names["download__answers"].removeprefix("screening-answers_")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d_[0-9a-f]{8}\.json", suffix)  # date, fingerprint
        assert names["download__pdf"] == "discussion-checklist_" + suffix.replace(".json", ".pdf")
        for key, ext in (("download__json", ".json"), ("download__markdown", ".md")):
            assert downloads[key].file_name == "discussion-checklist_" + suffix.replace(
                ".json", ext
            )

    def test_the_answers_file_has_one_name_on_the_form_and_on_the_checklist(
        self, mini: AppTest, downloads: dict[str, Download]
    ) -> None:
        answer(mini, "history", "yes")
        open_save_panel(mini)
        on_form = downloads["download__answers_form"].file_name
        build(mini)
        assert downloads["download__answers"].file_name == on_form
        assert str(on_form).startswith("screening-answers_")

    def test_the_pages_are_made_on_a_session_s_first_run_only(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each st.Page looks its file up on the disk; a rerun reuses them, and still switches."""
        made = calls_to(monkeypatch, st, "Page")
        answer(mini, "history", "yes")
        mini.switch_page("app_pages/about.py").run()
        mini.switch_page("app_pages/form/page.py").run()
        assert made == []
        assert asked(mini)["history"] == "yes"

    def test_a_rerun_of_the_form_builds_no_checklist(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The checklist is built for the checklist view, or for a download when clicked."""
        answer(mini, "history", "yes")
        calls = calls_to(monkeypatch, memory, "evaluate")
        answer(mini, "monitoring", "no")
        assert calls == []
        build(mini)
        assert calls

    def test_the_loaded_message_shows_only_right_after_the_upload(self, mini: AppTest) -> None:
        upload(mini, "saved.json", json.dumps({"answers": {"history": "yes"}}).encode())
        assert [s.value for s in mini.success] == ["Loaded 1 answer(s) from saved.json."]
        answer(mini, "monitoring", "no")
        assert not mini.success
        assert asked(mini)["history"] == "yes"

    def test_the_loaded_message_is_gone_after_visiting_another_page(self, mini: AppTest) -> None:
        upload(mini, "saved.json", json.dumps({"answers": {"history": "yes"}}).encode())
        mini.switch_page("app_pages/about.py").run()
        mini.switch_page("app_pages/form/page.py").run()
        assert not mini.success
        assert asked(mini)["history"] == "yes"

    @pytest.mark.parametrize("field", ["patient_reference", "clinician"])
    def test_a_detail_as_long_as_an_answers_file_allows_loads_and_fits_the_field(
        self, mini: AppTest, field: str
    ) -> None:
        longest = "R" * 200  # FreeText's limit in screening/models.py
        upload(mini, "saved.json", json.dumps({"answers": {}, field: longest}).encode())
        assert not mini.error
        widget = mini.text_input(key=f"detail__{field}")
        assert widget.value == longest
        assert widget.proto.max_chars == 200

    @pytest.mark.parametrize("date", ["2099-01-01", "1900-01-01", "2999-12-31"])
    def test_a_date_far_from_today_survives_into_the_checklist(
        self, mini: AppTest, date: str
    ) -> None:
        upload(mini, "saved.json", json.dumps({"answers": {}, "date": date}).encode())
        assert str(mini.date_input(key="detail__date").value) == date
        build(mini)
        assert texts(mini) == [f"Date: {date}"]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"{not json", "not valid JSON"),
            (b"[1, 2]", "expected a JSON object"),
            (b'{"answers": {"history": "maybe"}}', 'answer must be "yes", "no" or "unknown"'),
            (b'{"answers": {"nonsense": "yes"}}', "nonsense: unknown item id"),
            (
                b'{"answers": {"history": "maybe", "nonsense": "yes"}}',
                'got "maybe"\nbad.json: nonsense: unknown item id',
            ),
            (
                b'{"answers": {}, "date": "02/01/2026"}',
                "date: must be a calendar date from 1900 on, written YYYY-MM-DD",
            ),
            (
                b'{"answers": {}, "date": "3000-01-01"}',
                'bad.json: date: must be no later than 2999-12-31, got "3000-01-01"',
            ),
            (b'{"answers": {}, "extra": 1}', "extra: unknown field"),
            (b"\xff\xfe\x00", "not UTF-8 text"),
            (b'{"answers": {},\n"date": ' + b"9" * 4301 + b"}", "bad.json:2: a number longer"),
            (
                json.dumps({"answers": {f"k{i}": "yes" for i in range(40_000)}}).encode(),
                "answers: holds 40,000 entries; at most 1,000 are read",
            ),
            (
                json.dumps({"answers": {f"k{i:03}": "yes" for i in range(900)}}).encode(),
                "... and 880 more problem(s)",
            ),
            (b"[" * 100_000, "nested too deeply"),
        ],
        ids=[
            "broken-json",
            "not-an-object",
            "bad-answer",
            "unknown-item",
            "bad-answer-and-unknown-item",
            "bad-date",
            "date-beyond-the-form",
            "unknown-field",
            "not-utf8",
            "4301-digit-integer",
            "40000-keys",
            "900-unknown-ids",
            "deep-nesting",
        ],
    )
    def test_a_bad_upload_says_why_and_keeps_the_answers(
        self, mini: AppTest, content: bytes, message: str
    ) -> None:
        answer(mini, "history", "yes")
        mini.text_input(key="detail__clinician").input("Dr Who").run()
        upload(mini, "bad.json", content)
        assert not mini.exception
        assert mini.error[0].value.startswith("bad.json was not loaded; the answers on the form")
        assert message in mini.code[0].value
        assert len(mini.code[0].value.splitlines()) <= 21
        assert asked(mini)["history"] == "yes"
        assert mini.text_input(key="detail__clinician").value == "Dr Who"

    def test_an_unexpected_error_reading_an_upload_keeps_the_form(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def boom(*_: object) -> None:
            raise ValueError("simulated bug")

        answer(mini, "history", "yes")
        monkeypatch.setattr("screening.answers.parse_answers", boom)
        upload(mini, "bad.json", b'{"answers": {}}')
        assert not mini.exception
        assert "could not be read: an unexpected error occurred" in mini.code[0].value
        assert asked(mini)["history"] == "yes"

    def test_a_file_loaded_over_a_filled_form_waits_until_the_person_says_replace(
        self, mini: AppTest
    ) -> None:
        answer(mini, "history", "yes")
        upload(mini, "other.json", json.dumps({"answers": {"monitoring": "no"}}).encode())
        (ask,) = [w.value for w in mini.warning if w.value.startswith("Load other.json?")]
        assert "the ticks and notes" in ask
        assert asked(mini)["history"] == "yes"
        mini.button(key="upload_replace").click().run()
        assert asked(mini)["history"] is None
        assert asked(mini)["monitoring"] == "no"
        assert [s.value for s in mini.success] == ["Loaded 1 answer(s) from other.json."]

    def test_a_file_loaded_over_a_filled_form_can_be_declined_and_changes_nothing(
        self, mini: AppTest
    ) -> None:
        answer(mini, "history", "yes")
        upload(mini, "other.json", json.dumps({"answers": {"monitoring": "no"}}).encode())
        mini.button(key="upload_keep").click().run()
        assert asked(mini)["history"] == "yes"
        assert asked(mini)["monitoring"] is None
        assert not [w for w in mini.warning if w.value.startswith("Load other.json?")]
        assert not mini.success

    def test_a_file_loaded_over_an_empty_form_loads_at_once(self, mini: AppTest) -> None:
        upload(mini, "other.json", json.dumps({"answers": {"monitoring": "no"}}).encode())
        assert asked(mini)["monitoring"] == "no"
        assert not [b for b in mini.button if b.key == "upload_replace"]

    def test_starting_again_clears_answers_details_and_ticks(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        mini.text_input(key="detail__clinician").input("Dr Who").run()
        start_again(mini, "form")
        assert set(asked(mini).values()) == {None}
        assert mini.text_input(key="detail__clinician").value == ""

    def test_starting_again_asks_to_confirm_and_closes_the_confirmation_once_done(
        self, mini: AppTest
    ) -> None:
        answer(mini, "history", "yes")
        assert not [b for b in mini.button if b.key == "start_again__form"]
        start_again(mini, "form")
        assert not [b for b in mini.button if b.key == "start_again__form"]


class TestSafety:
    """A refused pack shows its problems; typed text stays text; sessions and pages keep apart."""

    def test_an_invalid_pack_shows_its_problems_and_no_form(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        broken = MINI_RULES_WITH_UNKNOWN_ITEM
        folder = write_pack(tmp_path / "broken", {"rules-main.yaml": broken})
        with pytest.raises(PackError) as refused:
            load_pack(folder)
        at = start(monkeypatch, folder)
        assert not at.exception
        assert at.title[0].value == "The rule pack was refused"
        assert at.code[0].value == "\n".join(str(p) for p in refused.value.problems)
        assert "condition reads unknown item 'nowhere'" in at.code[0].value
        assert not at.segmented_control
        assert not at.button

    def test_other_pages_show_the_same_refusal(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        folder = write_pack(tmp_path / "broken", {"rules-main.yaml": MINI_RULES_WITH_UNKNOWN_ITEM})
        at = start(monkeypatch, folder)
        at.switch_page("app_pages/about.py").run()
        assert at.title[0].value == "The rule pack was refused"

    def test_a_missing_pack_folder_is_refused_too(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        at = start(monkeypatch, tmp_path / "nowhere")
        assert at.title[0].value == "The rule pack was refused"
        assert "no such rule pack folder" in at.code[0].value

    def test_a_pack_that_fails_unexpectedly_is_a_plain_message_and_no_form(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        def broken(directory: object) -> None:
            raise OSError("disk on fire")

        monkeypatch.setattr(screening, "load_pack", broken)
        at = start(monkeypatch, tmp_path / "unreadable")
        assert not at.exception
        assert at.title[0].value == "The rule pack could not be read"
        assert [e.value for e in at.error] == [
            "The rule pack could not be loaded, so no form is shown: an unexpected error "
            "occurred. The details are in the server's log; please report this."
        ]
        assert not at.segmented_control
        assert not at.button

    def test_markup_in_the_patient_reference_is_shown_literally(self, mini: AppTest) -> None:
        typed = "**b** <b>t</b> [l](https://e.org) :red[x] $x^2$"
        mini.text_input(key="detail__patient_reference").input(typed).run()
        build(mini)
        assert texts(mini)[0].startswith(f"Patient reference: {typed} · Date: ")
        assert not any(typed in m.value for m in [*mini.markdown, *mini.caption])

    def test_answers_survive_a_visit_to_another_page(self, mini: AppTest) -> None:
        answer(mini, "history", "yes")
        mini.text_input(key="detail__clinician").input("Dr Who").run()
        mini.switch_page("app_pages/about.py").run()
        assert not mini.segmented_control
        mini.switch_page("app_pages/form/page.py").run()
        assert asked(mini)["history"] == "yes"
        assert mini.text_input(key="detail__clinician").value == "Dr Who"

    def test_two_sessions_never_see_each_others_answers(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        first = start(monkeypatch, mini_dir)
        second = start(monkeypatch, mini_dir)
        answer(first, "history", "yes")
        first.text_input(key="detail__patient_reference").input("A-12").run()
        second.run()
        assert set(asked(second).values()) == {None}
        assert second.text_input(key="detail__patient_reference").value == ""

    def test_the_about_page_states_what_is_stored_and_lists_the_sources(
        self, shipped: AppTest, shipped_pack: RulePack
    ) -> None:
        shipped.switch_page("app_pages/about.py").run()
        assert not shipped.exception
        assert shipped.info[0].value == DISCLAIMER
        shown = "\n".join(m.value for m in shipped.markdown)
        assert "Nothing about a patient is written to disk" in shown
        assert all(f"**{s.id}**" in shown for s in shipped_pack.sources)

    def test_the_rule_pack_page_opens(self, shipped: AppTest) -> None:
        shipped.switch_page("app_pages/rule_pack.py").run()
        assert not shipped.exception

    @pytest.mark.parametrize(
        "page", ["app_pages/form/page.py", "app_pages/rule_pack.py", "app_pages/about.py"]
    )
    def test_each_page_opens_with_its_title_and_no_stray_text(
        self, shipped: AppTest, page: str
    ) -> None:
        """A bare string in a page script would be printed by Streamlit's magic."""
        shipped.switch_page(page).run()
        shown = [e for e in shipped.main if not isinstance(e, SpecialBlock)]
        # The tab's guard (app_pages/guard.py) comes first on every page, hidden; then the page.
        assert getattr(shown[0], "key", None) == "page_guard"
        assert isinstance(shown[1], Title)


MINI_RULES_WITH_UNKNOWN_ITEM = """\
rules:
  - id: setting-monitoring
    section: "Setting"
    kind: arrange
    when: {item: nowhere, is: "no"}
    summary: "Arrange monitoring"
    text: "Arrange monitoring by trained staff."
    rationale: "Side effects need watching."
    sources: [src-b]
"""


class TestARunCutShort:
    """A run that starts and is cut short before its page begins (a click under load) still
    counts: the form then writes its memory back into its widgets, as the browser may have
    dropped them. Before, the form believed them shown, and the blanks the browser then sent
    back cleared the memory."""

    def test_after_a_run_cut_short_the_form_writes_its_memory_back(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        answer(mini, "history", "yes")
        calls = calls_to(monkeypatch, memory, "remember")
        mini.session_state["page__runs"] += 1  # a run that started and drew nothing
        mini.run()
        assert len(calls) == 1
        assert asked(mini)["history"] == "yes"

    def test_right_after_a_full_run_of_the_form_nothing_is_written_back(
        self, mini: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The cheap path stays: the form just drawn shows what the memory holds."""
        answer(mini, "history", "yes")
        calls = calls_to(monkeypatch, memory, "remember")
        mini.run()
        assert calls == []
