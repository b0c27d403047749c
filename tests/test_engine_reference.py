"""The engine's shortcuts give what the plain definitions give, on any pack and answers.

The engine decides what is asked in one pass in form order when every follow-up comes after
its parents, and works out "If yes / If no" from the evaluation's own states instead of a
second visibility pass per hypothetical answer. Each is checked here against its definition:
`visible_states` (items decided as they are read) and a whole `asked_states` pass with the
answer put in.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import engine
from screening.engine import DECIDING_ANSWERS, evaluate
from screening.errors import AnswersError
from screening.logic import (
    Tri,
    asked_states,
    compiled,
    given_states,
    states_if_answered,
    visible_states,
)
from screening.models import ANSWERS, Answer, AnswersFile, AnswerState, Checklist, RulePack
from screening.open_entries import entry_text
from screening.pack.loader import load_pack
from tests.test_batch_vector import random_packs, random_rows

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PACKS = st.one_of(random_packs(), random_packs(cycle=True))


def answers_of(row: dict[str, str]) -> dict[str, Answer]:
    return {k: v for k, v in row.items() if v}  # type: ignore[misc]  # the rows' plain words


def by_definition(pack: RulePack, answers: dict[str, Answer]) -> dict[str, AnswerState]:
    return visible_states(given_states(pack, answers), compiled(pack).asked_if)


@SETTINGS
@given(PACKS, st.data())
def test_what_is_asked_is_what_deciding_each_item_as_it_is_read_gives_in_form_order(
    pack: RulePack, data: st.DataObject
) -> None:
    for row in random_rows(pack, data):
        answers = answers_of(row)
        assert list(asked_states(pack, answers).items()) == list(
            by_definition(pack, answers).items()
        ), row


@SETTINGS
@given(PACKS, st.data())
def test_the_states_had_an_item_been_answered_are_those_of_a_whole_pass_with_that_answer(
    pack: RulePack, data: st.DataObject
) -> None:
    for row in random_rows(pack, data):
        answers = answers_of(row)
        given_now = given_states(pack, answers)
        states = asked_states(pack, answers)
        for item in pack.items:
            for answer in ("yes", "no", "unknown"):
                expected = by_definition(pack, {**answers, item.id: answer})
                got = states_if_answered(pack, given_now, states, item.id, answer)
                assert got == expected, (row, item.id, answer)


@SETTINGS
@given(PACKS, st.data())
def test_an_open_point_names_exactly_the_answers_that_would_raise_it_and_every_question_asked(
    pack: RulePack, data: st.DataObject
) -> None:
    conditions = dict((rule.id, condition) for rule, condition in compiled(pack).rules)
    for row in random_rows(pack, data):
        answers = answers_of(row)
        try:
            checklist = evaluate(pack, AnswersFile.model_validate({"answers": answers}))
        except AnswersError:
            continue
        states = by_definition(pack, answers)
        assert [(i.id, i.state) for i in checklist.items] == list(states.items())
        for entry in checklist.entries:
            if len(entry.open_items) != 1:
                assert entry.raised_if == ()
                continue
            (item_id,) = entry.open_items
            expected = tuple(
                answer
                for answer in DECIDING_ANSWERS
                if conditions[entry.rule_id](
                    by_definition(pack, {**answers, item_id: answer})
                ).value
                is Tri.TRUE
            )
            assert entry.raised_if == expected, (row, entry.rule_id)


def decided_afresh(pack: RulePack, answers: AnswersFile) -> Checklist:
    """The checklist with nothing remembered from earlier evaluations of the pack."""
    fresh = pack.model_copy()
    fresh.__dict__.pop(engine._PARTS, None)
    return evaluate(fresh, answers)


@SETTINGS
@given(PACKS, st.data())
def test_an_entry_remembered_for_a_pattern_of_answers_is_the_one_decided_afresh(
    pack: RulePack, data: st.DataObject
) -> None:
    rows = random_rows(pack, data)
    for row in rows + rows:  # the second time round, every pattern has been met
        try:
            first = evaluate(pack, AnswersFile.model_validate({"answers": answers_of(row)}))
        except AnswersError:
            continue
        marks = {e.rule_id: {"done": True, "note": "seen"} for e in first.entries[::2]}
        answers = AnswersFile.model_validate({"answers": answers_of(row), "discussed": marks})
        remembered = evaluate(pack, answers)
        assert remembered == decided_afresh(pack, answers), row
        assert [e.done for e in remembered.entries] == [
            e.rule_id in marks for e in remembered.entries
        ]


def test_each_rule_remembers_at_most_its_bound_of_patterns_and_decides_the_rest_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pack = load_pack()
    monkeypatch.setattr(engine, "MAX_PATTERNS_PER_RULE", 3)
    pack.__dict__.pop(engine._PARTS, None)
    rng = random.Random(26)
    for _ in range(40):
        answers: dict[str, Answer] = {i.id: rng.choice(ANSWERS) for i in pack.items}
        answers = {i: a for i, a in answers.items() if i in asked_states(pack, answers)}
        got = evaluate(pack, AnswersFile.model_validate({"answers": answers}))
        assert got == decided_afresh(pack, AnswersFile.model_validate({"answers": answers}))
    assert max(len(memo or {}) for _, memo in engine._parts(pack).memo) <= 3
    pack.__dict__.pop(engine._PARTS, None)


def test_a_pack_remembers_at_most_its_bound_of_entries_in_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pack = load_pack().model_copy()
    pack.__dict__.pop(engine._PARTS, None)
    monkeypatch.setattr(engine, "MAX_PATTERNS_PER_PACK", 20)
    rng = random.Random(27)
    for _ in range(40):
        answers: dict[str, Answer] = {i.id: rng.choice(ANSWERS) for i in pack.items}
        answers = {i: a for i, a in answers.items() if i in asked_states(pack, answers)}
        got = evaluate(pack, AnswersFile.model_validate({"answers": answers}))
        assert got == decided_afresh(pack, AnswersFile.model_validate({"answers": answers}))
    assert sum(len(memo or {}) for _, memo in engine._parts(pack).memo) == 20


def test_the_same_open_question_reads_if_yes_or_if_no_as_the_other_answers_decide() -> None:
    """One rule, one open item, two sets of answers: the entry remembered for the first is
    never given for the second, whose answer would raise the point the other way."""
    item = {"section": "S", "question": "Q?", "help": "H", "sources": ["s"]}
    same = {
        "any": [
            {"all": [{"item": "a", "is": "yes"}, {"item": "b", "is": "yes"}]},
            {"all": [{"item": "a", "is": "no"}, {"item": "b", "is": "no"}]},
        ]
    }
    pack = RulePack.model_validate(
        {
            "meta": {"name": "P", "version": "1", "status": "draft", "date": "2026-01-01"},
            "sources": [{"id": "s", "citation": "C"}],
            "items": [{**item, "id": i, "label": i} for i in ("a", "b")],
            "rules": [
                {
                    "id": "r",
                    "section": "S",
                    "kind": "discuss",
                    "when": same,
                    "text": "T",
                    "summary": "Discuss the point.",
                    "rationale": "R",
                    "sources": ["s"],
                }
            ],
            "sha256": "0" * 64,
        }
    )
    for b, raised, text in (
        ("yes", ("yes",), "Find out: a? If yes: Discuss the point."),
        ("no", ("no",), "Find out: a? If no: Discuss the point."),
    ):
        checklist = evaluate(pack, AnswersFile.model_validate({"answers": {"b": b}}))
        (entry,) = checklist.entries
        assert (entry.raised_if, entry_text(entry, checklist.label)) == (raised, text)
