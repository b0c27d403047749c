"""Evaluation: entries explain themselves, and unknown or missing answers are never read as no."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from screening import (
    AnswersError,
    AnswersFile,
    RulePack,
    engine,
    evaluate,
    load_pack,
    parse_answers,
)
from screening.answers import answer_problems, read_answers_bytes
from screening.catalogue import PSEUDO_LANGUAGE, speaking
from screening.citations import cited_as
from screening.export import checklist_json, checklist_markdown
from screening.language import DISCLAIMER
from screening.logic import asked_states
from screening.models import ANSWERS, KINDS, Answer, AnswerState, Entry
from screening.open_entries import entry_text
from tests.conftest import MINI_PACK, json_strings, write_pack


def run(pack: RulePack, **answers: Answer) -> dict[str, Entry]:
    checklist = evaluate(pack, AnswersFile(answers=answers))
    return {e.rule_id: e for e in checklist.entries}


class TestEntries:
    """A rule whose condition holds puts one entry on the checklist, with its reasons."""

    def test_an_entry_carries_rule_kind_section_text_because_sources_and_rationale(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "no", "monitoring": "no"}))
        (entry,) = checklist.entries
        assert entry.model_dump(mode="json") == {
            "rule_id": "setting-monitoring",
            "kind": "arrange",
            "section": "Setting",
            "summary": "Arrange monitoring",
            "text": "Arrange monitoring by trained staff.",
            "because": [{"item": "monitoring", "answer": "no"}],
            "open_items": [],
            "raised_if": [],
            "sources": [
                {
                    "id": "src-b",
                    "citation": "Author B. Another study. J Test. 2021;2:3-4.",
                    "doi": None,
                    "url": None,
                    "revised": None,
                    "sections": None,
                    "background": False,
                }
            ],
            "source_says": [],
            "rationale": "Side effects need watching.",
            "done": False,
            "note": None,
        }


class TestTheChecklistIsTheViewModel:
    """A view renders from the checklist alone: what was asked, and each source in full."""

    def test_every_question_asked_is_carried_in_form_order_with_its_answer(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "yes"}))
        assert [(i.id, i.section, i.state) for i in checklist.items] == [
            ("history", "Substance use", "yes"),
            ("active", "Substance use", "not_assessed"),
            ("monitoring", "Setting", "not_assessed"),
        ]
        assert checklist.question("active") == "Non-medical use in the past 12 months?"
        assert checklist.label("history") == "substance use history"

    def test_a_follow_up_that_is_not_asked_is_not_carried(self, mini_pack: RulePack) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "no"}))
        assert [i.id for i in checklist.items] == ["history", "monitoring"]
        assert checklist.label("active") == "active"

    def test_sections_follow_the_form(self, mini_pack: RulePack) -> None:
        checklist = evaluate(mini_pack, AnswersFile())
        assert checklist.sections == ("Substance use", "Setting")

    def test_a_source_is_resolved_with_what_a_reader_needs_to_find_it(
        self, shipped_pack: RulePack
    ) -> None:
        checklist = evaluate(shipped_pack, AnswersFile())
        cited = {s.id: s for s in checklist.cited}
        for source in shipped_pack.sources:
            if source.id in cited:
                ref = cited[source.id]
                assert (ref.citation, ref.doi, ref.url, ref.revised) == (
                    source.citation,
                    source.doi,
                    source.url,
                    source.revised,
                )
                assert ref.sections == (tuple(source.sections) if source.sections else None)
                assert ref.background is bool(source.background)
        assert any(ref.background for ref in cited.values())

    def test_cited_lists_each_source_once_in_order_of_first_citation(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(
            mini_pack, AnswersFile(answers={"history": "yes", "active": "yes", "monitoring": "no"})
        )
        assert [s.id for s in checklist.cited] == ["src-a", "src-b"]

    def test_every_rule_that_holds_is_listed_not_only_the_first(self, mini_pack: RulePack) -> None:
        entries = run(mini_pack, history="yes", active="yes", monitoring="no")
        assert list(entries) == ["substance-history", "substance-active", "setting-monitoring"]

    def test_a_rule_whose_condition_fails_adds_nothing(self, mini_pack: RulePack) -> None:
        assert run(mini_pack, history="no", monitoring="yes") == {}

    def test_the_checklist_names_the_rule_set_and_carries_the_disclaimer(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={}, patient_reference="Bed 4"))
        assert (checklist.rule_set.name, checklist.rule_set.version) == ("Mini pack", "0.1.0")
        assert checklist.rule_set.sha256 == mini_pack.sha256
        assert checklist.disclaimer == DISCLAIMER
        assert checklist.patient_reference == "Bed 4"


class TestUnknownAndUnanswered:
    """Unknown and unanswered items keep a rule open: a verify entry names them."""

    def test_an_unknown_answer_yields_a_verify_entry_naming_the_item(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(
            mini_pack, AnswersFile(answers={"history": "no", "monitoring": "unknown"})
        )
        (entry,) = checklist.entries
        assert entry.kind == "verify"
        assert entry.open_items == ("monitoring",)
        assert entry.raised_if == ("no",)
        assert entry_text(entry, checklist.label) == (
            "Find out: monitoring? If no: Arrange monitoring"
        )

    def test_an_unanswered_item_is_not_assessed_and_yields_a_verify_entry(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "no"}))
        assert checklist.not_assessed == ("monitoring",)
        (entry,) = checklist.entries
        assert [b.model_dump() for b in entry.because] == [
            {"item": "monitoring", "answer": "not_assessed"}
        ]
        assert (entry.kind, entry.open_items, entry.raised_if) == (
            "verify",
            ("monitoring",),
            ("no",),
        )
        assert entry_text(entry, checklist.label) == (
            "Find out: monitoring? If no: Arrange monitoring"
        )

    def test_an_entry_open_on_two_items_names_both_and_no_single_deciding_answer(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(
            mini_pack, AnswersFile(answers={"history": "unknown", "monitoring": "yes"})
        )
        entry = next(e for e in checklist.entries if e.rule_id == "substance-active")
        assert entry.open_items == ("history", "active")
        assert entry.raised_if == ()
        assert entry_text(entry, checklist.label) == (
            "Find out: substance use history; active use? Depending on the answers: "
            "Discuss current non-medical use"
        )

    def test_an_open_entry_shows_the_answers_that_held_beside_the_open_one(
        self, mini_pack: RulePack
    ) -> None:
        entry = run(mini_pack, history="yes", active="unknown", monitoring="yes")[
            "substance-active"
        ]
        assert [(b.item, b.answer) for b in entry.because] == [
            ("history", "yes"),
            ("active", "unknown"),
        ]
        assert entry.open_items == ("active",)

    def test_an_either_rule_open_on_two_items_names_no_single_deciding_answer(
        self, tmp_path: Path
    ) -> None:
        either = MINI_PACK["rules-main.yaml"] + (
            "  - id: either\n"
            '    section: "Setting"\n'
            "    kind: discuss\n"
            '    when: {any: [{item: history, is: "yes"}, {item: monitoring, is: "no"}]}\n'
            '    summary: "Discuss either point"\n'
            '    text: "Discuss either point."\n'
            '    rationale: "Either raises it."\n'
            "    sources: [src-a]\n"
        )
        pack = load_pack(write_pack(tmp_path, {"rules-main.yaml": either}))
        answers = AnswersFile(answers={"history": "unknown", "monitoring": "unknown"})
        (entry,) = [e for e in evaluate(pack, answers).entries if e.rule_id == "either"]
        assert (entry.open_items, entry.raised_if) == (("history", "monitoring"), ())

    def test_an_empty_answers_file_lists_every_asked_item_as_not_assessed(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile())
        assert checklist.not_assessed == ("history", "active", "monitoring")


class TestConditionalItems:
    """A follow-up is asked only while its asked_if holds or is still open."""

    def test_a_follow_up_is_not_asked_when_its_parent_is_no(self, mini_pack: RulePack) -> None:
        assert "active" not in asked_states(mini_pack, {"history": "no"})

    def test_a_follow_up_is_asked_when_its_parent_is_unknown(self, mini_pack: RulePack) -> None:
        assert asked_states(mini_pack, {"history": "unknown"})["active"] == "not_assessed"

    def test_a_follow_up_of_a_hidden_follow_up_is_hidden_too(self, tmp_path: Path) -> None:
        items = MINI_PACK["items.yaml"] + (
            "  - id: daily\n"
            '    section: "Substance use"\n'
            '    label: "daily use"\n'
            '    question: "Use every day?"\n'
            '    help: "Asked only when there is active use."\n'
            "    sources: [src-a]\n"
            '    asked_if: {item: active, is: "yes"}\n'
        )
        pack = load_pack(write_pack(tmp_path, {"items.yaml": items}))
        assert asked_states(pack, {"history": "no"}) == {
            "history": "no",
            "monitoring": "not_assessed",
        }
        with pytest.raises(AnswersError) as caught:
            evaluate(pack, AnswersFile(answers={"history": "no", "daily": "yes"}), "a.json")
        assert str(caught.value) == (
            "a.json: daily: answered, but not asked given the other answers: "
            "it is asked only when active use is Yes"
        )

    def test_answering_a_follow_up_that_is_not_asked_is_refused(self, mini_pack: RulePack) -> None:
        with pytest.raises(AnswersError) as caught:
            evaluate(mini_pack, AnswersFile(answers={"history": "no", "active": "yes"}), "a.json")
        assert str(caught.value) == (
            "a.json: active: answered, but not asked given the other answers: "
            "it is asked only when substance use history is Yes"
        )

    def test_answer_problems_works_out_what_is_asked_when_not_given_it(
        self, mini_pack: RulePack
    ) -> None:
        answers = AnswersFile(answers={"history": "no", "active": "yes"})
        assert [str(p) for p in answer_problems(mini_pack, answers, "a.json")] == [
            "a.json: active: answered, but not asked given the other answers: "
            "it is asked only when substance use history is Yes"
        ]

    def test_an_unknown_item_id_is_refused(self, mini_pack: RulePack) -> None:
        with pytest.raises(AnswersError) as caught:
            evaluate(mini_pack, AnswersFile(answers={"histroy": "no"}), "a.json")
        assert str(caught.value) == "a.json: histroy: unknown item id (not in this rule pack)"

    def test_a_refusal_of_answers_from_no_named_file_calls_them_answers(
        self, mini_pack: RulePack
    ) -> None:
        with pytest.raises(AnswersError) as caught:
            evaluate(mini_pack, AnswersFile(answers={"histroy": "no"}))
        assert str(caught.value) == "answers: histroy: unknown item id (not in this rule pack)"


class TestParseAnswers:
    """Answers files: the public JSON shape, and a clear message for each way it can be wrong."""

    def test_a_valid_file_is_read(self) -> None:
        answers = parse_answers(
            '{"answers": {"history": "yes"}, "patient_reference": "X"}', "a.json"
        )
        assert answers == AnswersFile(answers={"history": "yes"}, patient_reference="X")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                '{"answers": {"history": "maybe"}}',
                'a.json: history: answer must be "yes", "no" or "unknown", got "maybe"',
            ),
            (
                '{"answers": {"history": false}}',
                'a.json: history: answer must be "yes", "no" or "unknown", got false',
            ),
            (
                '{"answers": {"history": "No"}}',
                'a.json: history: answer must be "yes", "no" or "unknown", got "No"',
            ),
            (
                '{"answers": {',
                "a.json:1: not valid JSON: Expecting property name enclosed in double quotes (column 14)",
            ),
            ("[]", 'a.json: expected a JSON object like {"answers": {...}}'),
            ('{"answers": []}', "a.json: answers: Input should be a valid dictionary"),
            (
                '{"answer": {}}',
                "a.json: answer: unknown field (expected answers, patient_reference, clinician, date, discussed)",
            ),
            (
                '{"answers": {"history": "yes", "history": "no"}}',
                "a.json:1: history: duplicate key in JSON",
            ),
        ],
    )
    def test_a_bad_file_is_refused_with_one_clear_line(self, text: str, message: str) -> None:
        with pytest.raises(AnswersError) as caught:
            parse_answers(text, "a.json")
        assert str(caught.value) == message


class TestExports:
    """JSON is stable byte for byte; Markdown reads well and prints typed text literally."""

    def test_the_same_answers_give_the_same_json_bytes(self, mini_pack: RulePack) -> None:
        answers = AnswersFile(answers={"history": "yes", "active": "unknown"})
        assert checklist_json(evaluate(mini_pack, answers)) == checklist_json(
            evaluate(mini_pack, answers)
        )

    def test_markdown_escapes_a_typed_patient_reference(self, mini_pack: RulePack) -> None:
        checklist = evaluate(mini_pack, AnswersFile(patient_reference="**bold** <b>x</b>"))
        text = checklist_markdown(checklist)
        assert r"Patient reference: \*\*bold\*\* \<b\>x\</b\>" in text
        assert text.startswith("# Ketamine for pain: discussion checklist\n\n> " + DISCLAIMER)

    def test_markdown_lists_entries_with_a_tick_box_reasons_and_sources(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "no", "monitoring": "no"}))
        text = checklist_markdown(checklist)
        assert "- [ ] Arrange monitoring by trained staff." in text
        assert "  - Because: monitoring = No" in text
        assert "  - Rule `setting-monitoring` (arrange); sources: src-b" in text


def test_a_lone_surrogate_in_a_typed_field_is_refused_as_not_text() -> None:
    with pytest.raises(AnswersError) as caught:
        parse_answers('{"answers": {}, "patient_reference": "A\\ud800B"}', "a.json")
    assert str(caught.value) == (
        "a.json: patient_reference: Input should be a valid string, "
        "unable to parse raw data as a unicode string"
    )


def test_an_answers_file_with_a_byte_order_mark_is_read() -> None:
    data = b"\xef\xbb\xbf" + b'{"answers": {"history": "no"}}'
    assert read_answers_bytes(data, "a.json").answers == {"history": "no"}


def test_an_answers_file_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(AnswersError) as caught:
        read_answers_bytes(b'{"answers": "\xff"}', "a.json")
    assert str(caught.value) == "a.json:1: not UTF-8 text"


def test_a_patient_reference_longer_than_a_reference_is_refused() -> None:
    with pytest.raises(AnswersError) as caught:
        parse_answers('{"answers": {}, "patient_reference": "' + "x" * 201 + '"}', "a.json")
    assert (
        str(caught.value) == "a.json: patient_reference: String should have at most 200 characters"
    )


# Rules listed against the order a checklist shows: a later section first, and within a
# section the kinds backwards, so only the engine's sort can put them right.
UNORDERED_RULES = """\
rules:
  - id: setting-document
    section: "Setting"
    kind: document
    when: {item: monitoring, is: "no"}
    summary: "Document who monitors"
    text: "Document who will monitor."
    rationale: "A record helps the next team."
    sources: [src-b]
  - id: substance-document
    section: "Substance use"
    kind: document
    when: {item: history, is: "yes"}
    summary: "Document the history"
    text: "Document the substance use history."
    rationale: "A record helps the next team."
    sources: [src-a]
  - id: substance-arrange
    section: "Substance use"
    kind: arrange
    when: {item: history, is: "yes"}
    summary: "Arrange a misuse plan"
    text: "Arrange a plan against misuse."
    rationale: "Ketamine can be misused."
    sources: [src-a]
"""


class TestEntryOrder:
    """Entries come by section in form order, then by kind (discuss, verify, arrange, document)."""

    def test_entries_are_ordered_by_section_then_kind_not_by_rule_file_order(
        self, tmp_path: Path
    ) -> None:
        pack = load_pack(write_pack(tmp_path, {"rules-a.yaml": UNORDERED_RULES}))
        assert [r.id for r in pack.rules][:3] == [
            "setting-document",
            "substance-document",
            "substance-arrange",
        ]
        answers = AnswersFile(answers={"history": "yes", "active": "unknown", "monitoring": "no"})
        entries = evaluate(pack, answers).entries
        assert [(e.section, e.kind, e.rule_id) for e in entries] == [
            ("Substance use", "discuss", "substance-history"),
            ("Substance use", "verify", "substance-active"),
            ("Substance use", "arrange", "substance-arrange"),
            ("Substance use", "document", "substance-document"),
            ("Setting", "arrange", "setting-monitoring"),
            ("Setting", "document", "setting-document"),
        ]

    @pytest.mark.parametrize("answer", ["yes", "no"])
    def test_the_shipped_pack_orders_entries_of_every_kind_by_section_then_kind(
        self, shipped_pack: RulePack, answer: Answer
    ) -> None:
        given = {i.id: answer for i in shipped_pack.items}
        asked = asked_states(shipped_pack, given)
        answers = AnswersFile(answers={i: a for i, a in given.items() if i in asked})
        entries = evaluate(shipped_pack, answers).entries
        sections = list(shipped_pack.sections)
        keys = [(sections.index(e.section), KINDS.index(e.kind)) for e in entries]
        assert keys == sorted(keys)
        kinds_in_a_section = {(e.section, e.kind) for e in entries}
        assert len(kinds_in_a_section) > len({e.section for e in entries}), (
            "no section holds two kinds, so this answer set cannot show the order by kind"
        )


def test_the_checklist_carries_the_clinician_and_date_it_was_made_for(mini_pack: RulePack) -> None:
    checklist = evaluate(mini_pack, AnswersFile(clinician="Dr A", date="2026-11-25"))
    assert (checklist.clinician, checklist.date) == ("Dr A", "2026-11-25")
    text = checklist_markdown(checklist)
    assert "- Clinician: Dr A\n- Date: 2026-11-25\n" in text


class TestDatesAndDetails:
    """The core holds the answers file's limits, so the CLI and the form accept the same files."""

    def test_a_date_after_2999_is_refused_by_the_core(self, mini_pack: RulePack) -> None:
        with pytest.raises(AnswersError) as refused:
            parse_answers('{"answers": {}, "date": "3000-01-01"}', "a.json")
        assert [str(p) for p in refused.value.problems] == [
            'a.json: date: must be no later than 2999-12-31, got "3000-01-01"'
        ]

    def test_the_last_day_of_2999_is_a_date_the_core_takes(self) -> None:
        assert parse_answers('{"date": "2999-12-31"}', "a.json").date == "2999-12-31"


def _answer_sets(pack: RulePack) -> list[AnswersFile]:
    """Answer sets that leave points open on one question and on several, and raise others."""
    found = [AnswersFile()]
    for answer in ANSWERS:
        given = {i.id: answer for i in pack.items}
        asked = asked_states(pack, given)
        found.append(AnswersFile(answers={i: a for i, a in given.items() if i in asked}))
    return found


class TestTheEngineStoresStructure:
    """An entry carries structure and the pack's own words only: every sentence a person
    reads about it is worded by the view, in the view's language, never by the engine."""

    def test_every_string_an_entry_carries_is_the_packs_own_under_the_pseudo_locale(
        self, shipped_pack: RulePack
    ) -> None:
        own = set(json_strings(shipped_pack.model_dump(mode="json")))
        own |= {cited_as(s) for s in shipped_pack.sources}  # the name a statement cites
        own |= {*get_args(AnswerState), *KINDS}  # the states and kinds, as codes
        entries: list[Entry] = []
        with speaking(PSEUDO_LANGUAGE):
            for answers in _answer_sets(shipped_pack):
                entries += evaluate(shipped_pack, answers).entries
        assert any(len(e.open_items) == 1 for e in entries)
        assert any(len(e.open_items) > 1 for e in entries)
        composed = {
            (e.rule_id, s)
            for e in entries
            for s in json_strings(e.model_dump(mode="json"))
            if s not in own
        }
        assert composed == set()

    def test_an_open_entry_carries_its_rules_text_and_summary_as_the_pack_wrote_them(
        self, shipped_pack: RulePack
    ) -> None:
        rules = {r.id: r for r in shipped_pack.rules}
        checklist = evaluate(shipped_pack, AnswersFile())
        opened = [e for e in checklist.entries if e.open_items]
        assert opened
        assert [(e.text, e.summary) for e in opened] == [
            (rules[e.rule_id].text, rules[e.rule_id].summary) for e in opened
        ]

    def test_an_entry_is_the_same_in_every_language(self, shipped_pack: RulePack) -> None:
        """Each evaluated afresh: the entries a pack remembers (`engine._Parts`) are shared by
        every language."""
        for answers in _answer_sets(shipped_pack):
            shipped_pack.__dict__.pop(engine._PARTS, None)
            with speaking(PSEUDO_LANGUAGE):
                pseudo = evaluate(shipped_pack, answers)
            shipped_pack.__dict__.pop(engine._PARTS, None)
            assert pseudo == evaluate(shipped_pack, answers)

    def test_the_view_words_an_open_entry_in_its_language(self, mini_pack: RulePack) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "no"}))
        (entry,) = checklist.entries
        with speaking(PSEUDO_LANGUAGE):
            worded = entry_text(entry, checklist.label)
        assert worded.endswith("Arrange monitoring")
        assert "Find out" not in worded
        assert entry.text == "Arrange monitoring by trained staff."
