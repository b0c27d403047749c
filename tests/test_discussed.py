"""Discussed marks: each entry can be marked done with a short note, and every export keeps it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from screening import AnswersError, RulePack, evaluate, parse_answers
from screening.export import checklist_json, checklist_markdown
from screening.models import NOTE_MAX_LENGTH, AnswersFile


def marked(answers: dict[str, str], discussed: dict[str, Any]) -> str:
    return json.dumps({"answers": answers, "discussed": discussed})


def refusal(text: str, pack: RulePack) -> str:
    with pytest.raises(AnswersError) as caught:
        evaluate(pack, parse_answers(text, "a.json"), "a.json")
    return str(caught.value)


class TestTheAnswersFile:
    """`discussed` maps a rule id to {"done": bool, "note": optional text}; bad marks are refused."""

    def test_a_mark_reaches_its_entry_and_no_other(self, mini_pack: RulePack) -> None:
        text = marked(
            {"history": "yes", "monitoring": "no"},
            {"substance-history": {"done": True, "note": "Talked it through"}},
        )
        checklist = evaluate(mini_pack, parse_answers(text, "a.json"))
        marks = {e.rule_id: (e.done, e.note) for e in checklist.entries}
        assert marks["substance-history"] == (True, "Talked it through")
        assert marks["setting-monitoring"] == (False, None)

    def test_a_mark_may_carry_a_note_without_being_done(self, mini_pack: RulePack) -> None:
        text = marked({"monitoring": "no"}, {"setting-monitoring": {"done": False, "note": "next"}})
        (entry,) = [
            e
            for e in evaluate(mini_pack, parse_answers(text, "a.json")).entries
            if e.rule_id == "setting-monitoring"
        ]
        assert (entry.done, entry.note) == (False, "next")

    def test_an_open_entry_can_be_marked(self, mini_pack: RulePack) -> None:
        text = marked({"history": "unknown"}, {"substance-history": {"done": True}})
        checklist = evaluate(mini_pack, parse_answers(text, "a.json"))
        (entry,) = [e for e in checklist.entries if e.rule_id == "substance-history"]
        assert (entry.kind, entry.done) == ("verify", True)

    def test_a_rule_id_not_in_the_pack_is_refused(self, mini_pack: RulePack) -> None:
        text = marked({}, {"no-such-rule": {"done": True}})
        assert refusal(text, mini_pack) == (
            "a.json: discussed.no-such-rule: marked discussed, but no rule of this rule pack "
            "has this id"
        )

    def test_a_mark_for_a_rule_that_raises_no_entry_is_refused(self, mini_pack: RulePack) -> None:
        text = marked({"monitoring": "yes"}, {"setting-monitoring": {"done": True}})
        assert refusal(text, mini_pack) == (
            "a.json: discussed.setting-monitoring: marked discussed, but this rule raises no "
            "checklist entry with these answers"
        )

    def test_the_note_limit_is_defined_once_and_is_500_characters(self) -> None:
        assert NOTE_MAX_LENGTH == 500
        parse_answers(marked({}, {"r": {"done": True, "note": "x" * NOTE_MAX_LENGTH}}), "a.json")

    @pytest.mark.parametrize(
        ("mark", "message"),
        [
            (
                {"r": {"done": True, "note": "x" * 501}},
                "a.json: discussed.r.note: longer than 500 characters",
            ),
            ({"r": {"done": "yes"}}, 'a.json: discussed.r.done: must be true or false, got "yes"'),
            ({"r": {"done": 1}}, "a.json: discussed.r.done: must be true or false, got 1"),
            ({"r": {}}, 'a.json: discussed.r.done: missing: a mark needs "done": true or false'),
            (
                {"r": {"done": True, "note": 5}},
                "a.json: discussed.r.note: must be text or null, got 5",
            ),
            (
                {"r": {"done": True, "notes": "x"}},
                "a.json: discussed.r.notes: unknown field (expected done, note)",
            ),
            (
                {"r": True},
                'a.json: discussed.r: must be an object like {"done": true, "note": "..."}, got true',
            ),
            (
                [],
                'a.json: discussed: must be an object like {"<rule id>": {"done": true}}, got []',
            ),
        ],
    )
    def test_a_bad_mark_is_refused_with_one_clear_line(self, mark: Any, message: str) -> None:
        with pytest.raises(AnswersError) as caught:
            parse_answers(json.dumps({"discussed": mark}), "a.json")
        assert str(caught.value) == message

    def test_answers_without_marks_save_as_before(self) -> None:
        saved = json.loads(AnswersFile(answers={"history": "yes"}).model_dump_json())
        assert saved == {
            "answers": {"history": "yes"},
            "patient_reference": None,
            "clinician": None,
            "date": None,
        }

    def test_marks_survive_saving_and_reading_back(self) -> None:
        answers = parse_answers(marked({}, {"r": {"done": True, "note": "n"}}), "a.json")
        assert parse_answers(answers.model_dump_json(), "a.json") == answers


class TestTheExports:
    """JSON carries `done` and `note` on every entry; Markdown ticks the box and prints the note."""

    def test_every_json_entry_has_done_and_note(self, mini_pack: RulePack) -> None:
        text = marked({"history": "yes", "monitoring": "no"}, {"substance-history": {"done": True}})
        data = json.loads(checklist_json(evaluate(mini_pack, parse_answers(text, "a.json"))))
        assert [(e["rule_id"], e["done"], e["note"]) for e in data["entries"]] == [
            ("substance-history", True, None),
            ("substance-active", False, None),
            ("setting-monitoring", False, None),
        ]

    def test_the_same_marks_give_the_same_json_bytes(self, mini_pack: RulePack) -> None:
        text = marked({"history": "yes"}, {"substance-history": {"done": True, "note": "é"}})
        first = checklist_json(evaluate(mini_pack, parse_answers(text, "a.json")))
        assert first == checklist_json(evaluate(mini_pack, parse_answers(text, "a.json")))

    def test_markdown_ticks_a_done_entry_and_prints_its_note_literally(
        self, mini_pack: RulePack
    ) -> None:
        text = marked(
            {"history": "yes", "monitoring": "no"},
            {"substance-history": {"done": True, "note": "**not bold** <b>x</b> [link](y)"}},
        )
        markdown = checklist_markdown(evaluate(mini_pack, parse_answers(text, "a.json")))
        assert (
            "- [x] Discuss the substance use history and a plan for misuse.\n"
            r"  - Note: \*\*not bold\*\* \<b\>x\</b\> \[link\](y)" + "\n"
        ) in markdown
        assert "- [ ] Arrange monitoring by trained staff.\n  - Because:" in markdown

    def test_markdown_prints_no_note_line_for_a_blank_note(self, mini_pack: RulePack) -> None:
        text = marked({"history": "yes"}, {"substance-history": {"done": False, "note": "  "}})
        markdown = checklist_markdown(evaluate(mini_pack, parse_answers(text, "a.json")))
        assert "Note:" not in markdown
