"""Whatever an answers file holds, evaluation gives a checklist or one clear refusal."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import AnswersError, RulePack, evaluate, parse_answers

ITEM_IDS = st.sampled_from(["history", "active", "monitoring", "nope", "", "History"])
VALUES = st.one_of(
    st.sampled_from(["yes", "no", "unknown", "Yes", "n/a", ""]),
    st.none(),
    st.booleans(),
    st.integers(),
)
DOCUMENTS = st.one_of(
    st.fixed_dictionaries(
        {"answers": st.dictionaries(ITEM_IDS, VALUES, max_size=4)},
        optional={"patient_reference": st.one_of(st.text(), st.integers(), st.none())},
    ),
    st.dictionaries(st.text(max_size=8), VALUES, max_size=3),
    st.lists(VALUES, max_size=3),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the pack is read-only
)
@given(DOCUMENTS)
def test_any_json_document_evaluates_or_is_refused_with_problems(
    mini_pack: RulePack, document: object
) -> None:
    try:
        checklist = evaluate(mini_pack, parse_answers(json.dumps(document), "a.json"), "a.json")
    except AnswersError as exc:
        assert exc.problems and all(str(p).startswith("a.json") for p in exc.problems)
    else:
        assert checklist.rule_set.sha256 == mini_pack.sha256


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_read_or_refused_with_problems(text: str) -> None:
    try:
        parse_answers(text, "a.json")
    except AnswersError as exc:
        assert exc.problems
