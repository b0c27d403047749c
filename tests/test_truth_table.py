"""One truth table, every form of the condition language held to it: the per-row engine (a
condition's value, and the entry `evaluate` makes of it), the vectorised engine and the
FHIRPath a Questionnaire carries, run by fhirpathpy. The table is data, written by hand
(tests/fixtures/truth-table/conditions.json), not derived from any of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from screening import evaluate
from screening.algebra import (
    ANSWER_TABLE,
    OPEN_STATES,
    SETTLING,
    STATES,
    Tri,
    condition_items,
    condition_size,
    leaf_value,
    leaves,
)
from screening.batch import vector
from screening.fhir.questionnaire import ANSWER_CODINGS, condition_fhirpath, questionnaire
from screening.logic import asked_states, compile_condition, compile_value
from screening.models import ANSWERS, AllOf, Answer, AnswersFile, AnyOf, ItemIs, NotOf, RulePack
from screening.words import ANSWER_WORDS
from tests.fhir_helpers import enabled, questions, response_for, run_fhirpath

FIXTURE = Path(__file__).parent / "fixtures" / "truth-table" / "conditions.json"
ITEMS = ("a", "b", "c")
"""The items the table's conditions read; each hangs on a gate, answered No to hide it."""
ITEM_STATES = (*STATES, "not_asked")


class Case(NamedTuple):
    name: str
    when: dict[str, Any]
    states: dict[str, str]
    expected: str


def table_cases() -> list[Case]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    found = [
        Case(
            f"a is {'/'.join(leaf['is'])}, a {state}",
            {"item": "a", "is": leaf["is"]},
            {"a": state},
            leaf[state],
        )
        for leaf in data["leaves"]
        for state in ITEM_STATES
    ]
    both = [{"item": "a", "is": "yes"}, {"item": "b", "is": "yes"}]
    for form in ("all", "any"):
        found += [
            Case(f"{form}: a {a}, b {b}", {form: both}, {"a": a, "b": b}, expected)
            for a, b, expected in data["connectives"][form]
        ]
    found += [
        Case(f"not: a {a}", {"not": both[0]}, {"a": a}, expected)
        for a, expected in data["connectives"]["not"]
    ]
    found += [Case(c["name"], c["when"], c["states"], c["expected"]) for c in data["cases"]]
    return found


CASES = table_cases()
IDS = [case.name for case in CASES]


def truth_pack(*, gated: bool = True) -> RulePack:
    """Gates always asked, a, b and c each asked when its gate is Yes (`gated`, else always);
    a rule per case, and a follow-up per case (`f-N`) asked unless the case's condition is
    false."""
    item = {"section": "S", "question": "Q?", "help": "H", "sources": ["s"]}
    gates = {i: {"item": f"{i}-gate", "is": "yes"} if gated else None for i in ITEMS}
    items: list[dict[str, Any]] = [
        {**item, "id": f"{i}-gate", "label": f"{i} gate"} for i in ITEMS
    ] + [{**item, "id": i, "label": i, "asked_if": gates[i]} for i in ITEMS]
    items += [
        {**item, "id": f"f-{n}", "label": f"f {n}", "asked_if": case.when}
        for n, case in enumerate(CASES)
    ]
    rules = [
        {
            "id": f"case-{n}",
            "section": "S",
            "kind": "discuss",
            "when": case.when,
            "text": "T",
            "summary": "Discuss the point.",
            "rationale": "R",
            "sources": ["s"],
        }
        for n, case in enumerate(CASES)
    ]
    return RulePack.model_validate(
        {
            "meta": {"name": "P", "version": "1", "status": "draft", "date": "2026-01-01"},
            "sources": [{"id": "s", "citation": "C"}],
            "items": items,
            "rules": rules,
            "sha256": "0" * 64,
        }
    )


PACK = truth_pack()


def answers_for(case: Case) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for item in ITEMS:
        state = case.states.get(item, "not_assessed")
        answers[f"{item}-gate"] = "no" if state == "not_asked" else "yes"
        answer = next((a for a in ANSWERS if a == state), None)
        if answer is not None:
            answers[item] = answer
    return answers


WORDS = {Tri.TRUE: "true", Tri.FALSE: "false", Tri.OPEN: "open"}


class TestPerRow:
    """The per-row engine gives the table's value, with and without its witnesses, and
    `evaluate` raises the point when true, lists it open when open and leaves it out when
    false."""

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_the_value_is_the_tables(self, case: Case) -> None:
        states = asked_states(PACK, answers_for(case))
        condition = PACK.rules[CASES.index(case)].when
        assert WORDS[compile_condition(condition)(states).value] == case.expected
        assert WORDS[compile_value(condition)(states)] == case.expected

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_the_checklist_shows_what_the_value_says(self, case: Case) -> None:
        checklist = evaluate(PACK, AnswersFile.model_validate({"answers": answers_for(case)}))
        entry = next(
            (e for e in checklist.entries if e.rule_id == PACK.rules[CASES.index(case)].id), None
        )
        shown = "false" if entry is None else ("open" if entry.open_items else "true")
        assert shown == case.expected


def test_the_vectorised_engine_gives_the_tables_value_for_every_case_at_once() -> None:
    rows = [answers_for(case) for case in CASES]
    given = {
        i.id: np.array([vector.ANSWER_CODES[r.get(i.id, "")] for r in rows], dtype=np.int8)
        for i in PACK.items
    }
    values = vector.evaluate(PACK, given).values
    got = [WORDS[Tri(int(values[rule.id][n]))] for n, rule in enumerate(PACK.rules)]
    assert got == [case.expected for case in CASES]


FHIRPATH_VALUES = {(True,): "true", (False,): "false", (): "open"}


@pytest.mark.parametrize("gated", [True, False], ids=["follow-ups", "questions always asked"])
def test_a_questionnaire_shows_a_follow_up_exactly_when_its_condition_is_not_false(
    gated: bool,
) -> None:
    """Read as an SDC renderer reads them: core `enableWhen` where that can say it, else the
    `enableWhenExpression`, run by fhirpathpy."""
    pack = truth_pack(gated=gated)
    shown = questions(questionnaire(pack))
    checked = 0
    for n, case in enumerate(CASES):
        if not gated and "not_asked" in case.states.values():
            continue  # with no gates, every question is asked
        answers = (
            answers_for(case)
            if gated
            else {i: a for i, a in answers_for(case).items() if not i.endswith("-gate")}
        )
        assert enabled(shown[f"f-{n}"], answers) is (case.expected != "false"), case.name
        checked += 1
    assert checked > len(CASES) // 2


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_fhirpath_a_questionnaire_carries_gives_the_tables_value(case: Case) -> None:
    expression = condition_fhirpath(PACK, PACK.rules[CASES.index(case)].when)
    result = tuple(run_fhirpath(expression, response_for(answers_for(case))))
    assert FHIRPATH_VALUES[result] == case.expected


class TestAnswerTable:
    """One table names every answer state; everything that writes or reads one uses it."""

    def test_the_answers_a_form_offers_come_first_in_order_then_not_assessed(self) -> None:
        assert (*ANSWERS, "not_assessed") == STATES
        assert [row.value for row in ANSWER_TABLE] == list(STATES)

    def test_only_yes_and_no_settle_a_question_and_unknown_or_blank_leave_a_leaf_open(
        self,
    ) -> None:
        assert SETTLING == ("yes", "no")
        assert {"unknown", "not_assessed"} == OPEN_STATES

    def test_the_words_the_codes_and_the_batch_cells_are_the_tables(self) -> None:
        for row in ANSWER_TABLE:
            assert ANSWER_WORDS[row.value] == row.words
            assert vector.ANSWER_CODES[row.cell] == row.batch_code
            assert vector.STATE_OF_CODE[row.batch_code] == row.value
            if row.loinc is not None:
                assert ANSWER_CODINGS[row.value]["code"] == row.loinc  # type: ignore[index]
        assert {c["code"] for c in ANSWER_CODINGS.values()} == {"LA33-6", "LA32-8", "LA4489-6"}
        assert vector.STATE_OF_CODE[vector.HIDDEN] is None
        assert sorted(r.batch_code for r in ANSWER_TABLE) == list(range(vector.HIDDEN))

    def test_each_answer_that_settles_a_question_says_what_it_would_raise_and_no_other(
        self,
    ) -> None:
        assert {r.value for r in ANSWER_TABLE if r.if_answered} == set(SETTLING)
        assert all("{summary}" in r.if_answered for r in ANSWER_TABLE if r.if_answered)

    def test_a_leaf_on_an_item_not_asked_is_false_whatever_it_names(self) -> None:
        assert leaf_value(("yes", "no", "unknown"), None) is Tri.FALSE


class TestTheWalk:
    """The one walk over conditions reads every leaf once, in order, at any depth."""

    def test_items_are_read_in_order_of_first_mention_each_once(self) -> None:
        b, a = ItemIs(item="b", is_="yes"), ItemIs(item="a", is_="no")
        condition = AllOf(all=[b, AnyOf(any=[a, NotOf(not_=b)])])
        assert condition_items(condition) == ("b", "a")
        assert [(leaf.node.item, leaf.path, leaf.negated) for leaf in leaves(condition)] == [
            ("b", ("all", 0), False),
            ("a", ("all", 1, "any", 0), False),
            ("b", ("all", 1, "any", 1, "not"), True),
        ]

    def test_a_condition_nested_deeper_than_the_stack_is_measured_without_recursion(
        self,
    ) -> None:
        condition: Any = ItemIs(item="a", is_="yes")
        for _ in range(5000):
            condition = NotOf.model_construct(not_=condition)
        assert condition_size(condition) == (5001, 5001)
