"""The vectorised evaluator gives exactly the per-row engine's result, row by row, rule by rule."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.batch import vector
from screening.batch.run import results_table, run_batch
from screening.batch.table import read_table_bytes
from screening.engine import evaluate
from screening.errors import AnswersError
from screening.logic import Tri, asked_states, compiled
from screening.models import AnswersFile, RulePack

CELLS = ["", "yes", "no", "unknown"]
VALUE_SETS = st.lists(
    st.sampled_from(["yes", "no", "unknown"]), min_size=1, max_size=3, unique=True
)


def conditions(item_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.builds(lambda i, v: {"item": i, "is": v}, st.sampled_from(item_ids), VALUE_SETS)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(lambda p: {"all": p}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda p: {"any": p}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda p: {"not": p}, inner),
        ),
        max_leaves=6,
    )


@st.composite
def random_packs(draw: st.DrawFn, cycle: bool = False) -> RulePack:
    """A small pack built directly: follow-ups read earlier items only, so there is no cycle;
    the items are then put in any order, so a follow-up may come before its parent in the
    form. With `cycle`, the first item is asked only when the last is yes (refused at load,
    but the engine must not loop or differ on it)."""
    ids = [f"i{n}" for n in range(draw(st.integers(2, 6)))]
    items = []
    for n, item_id in enumerate(ids):
        asked_if = draw(st.one_of(st.none(), conditions(ids[:n]))) if n else None
        items.append(
            {
                "id": item_id,
                "section": "S",
                "label": item_id,
                "question": "Q?",
                "help": "H",
                "sources": ["s"],
                "asked_if": asked_if,
            }
        )
    if cycle:
        items[0]["asked_if"] = {"item": ids[-1], "is": "yes"}
    items = draw(st.permutations(items))
    rules = [
        {
            "id": f"r{n}",
            "section": "S",
            "kind": "discuss",
            "when": draw(conditions(ids)),
            "text": "T",
            "summary": "Discuss the point.",
            "rationale": "R",
            "sources": ["s"],
        }
        for n in range(draw(st.integers(1, 5)))
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


def random_rows(pack: RulePack, data: st.DataObject) -> list[dict[str, str]]:
    row = st.fixed_dictionaries({i.id: st.sampled_from(CELLS) for i in pack.items})
    return data.draw(st.lists(row, min_size=1, max_size=25))


def assert_same_as_engine(pack: RulePack, rows: list[dict[str, str]]) -> None:
    given_codes = {
        i.id: np.array([vector.ANSWER_CODES[r[i.id]] for r in rows], dtype=np.int8)
        for i in pack.items
    }
    result = vector.evaluate(pack, given_codes)
    open_items = {r.id: result.open_items(pack, r.id) for r in pack.rules}
    for n, row in enumerate(rows):
        answers = {k: v for k, v in row.items() if v}
        states = asked_states(pack, answers)  # type: ignore[arg-type]  # the rows' plain words
        hidden = {i for i, code in result.visible.items() if code[n] == vector.HIDDEN}
        assert hidden == {i.id for i in pack.items} - set(states), row
        try:
            checklist = evaluate(pack, AnswersFile.model_validate({"answers": answers}))
        except AnswersError:
            assert set(answers) & hidden, row  # refused: an answer to a question not asked
            continue
        assert not set(answers) & hidden, row
        entries = {e.rule_id: e for e in checklist.entries}
        for rule, condition in compiled(pack).rules:
            expected = {Tri.FALSE: vector.FALSE, Tri.OPEN: vector.OPEN, Tri.TRUE: vector.TRUE}[
                condition(states).value
            ]
            assert result.values[rule.id][n] == expected, (rule.id, row)
            assert (rule.id in entries) == (expected != vector.FALSE), (rule.id, row)
            if expected == vector.OPEN:
                assert open_items[rule.id][n] == entries[rule.id].open_items, (rule.id, row)
            else:
                assert n not in open_items[rule.id]


class TestSameAsThePerRowEngine:
    """Raised, open with the same open items, or not raised: the same for every row and rule."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test_on_the_shipped_pack_with_follow_ups_unknowns_and_blanks(
        self, shipped_pack: RulePack, data: st.DataObject
    ) -> None:
        assert_same_as_engine(shipped_pack, random_rows(shipped_pack, data))

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_packs(), st.data())
    def test_on_small_random_packs_with_nested_follow_ups(
        self, pack: RulePack, data: st.DataObject
    ) -> None:
        assert_same_as_engine(pack, random_rows(pack, data))


class TestTheWholeBatchPathAgreesWithTheEngine:
    """From CSV text to results: refused exactly when the engine refuses, else the same result."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_packs(), st.data())
    def test_every_row_of_a_csv_is_refused_or_evaluated_as_the_engine_does(
        self, pack: RulePack, data: st.DataObject
    ) -> None:
        rows = random_rows(pack, data)
        ids = [i.id for i in pack.items]
        text = "\n".join([",".join(ids), *(",".join(r[i] for i in ids) for r in rows)]) + "\n"
        result = run_batch(pack, read_table_bytes(text.encode(), "a.csv", pack))
        results = results_table(result).to_pylist()
        accepted = iter(results)
        for n, row in enumerate(rows, start=1):
            answers = AnswersFile.model_validate({"answers": {k: v for k, v in row.items() if v}})
            try:
                checklist = evaluate(pack, answers)
            except AnswersError:
                assert n in {p.row for p in result.problems}
                continue
            got = next(accepted)
            assert got["row"] == n
            entries = {e.rule_id: e for e in checklist.entries}
            for rule in pack.rules:
                expected = None
                if rule.id in entries:
                    expected = "open" if entries[rule.id].open_items else "raised"
                assert got[rule.id] == expected, (rule.id, row)
        assert next(accepted, None) is None
