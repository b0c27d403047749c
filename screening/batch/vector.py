"""A rule pack's conditions evaluated over many answer sets at once, on int8 arrays.

The engine's three-valued logic on the small integers of `screening.algebra` (FALSE=0 <
OPEN=1 < TRUE=2), so `all` is the minimum, `any` the maximum and `not` is 2 - x. Answers are
coded per item by the answer table's batch codes (and HIDDEN for a follow-up that is not
asked); a leaf is a lookup table indexed by that code, made by `algebra.leaf_codes`.
Follow-ups are resolved parents first, as `screening.logic.visible_states` does, so hiding
cascades. The per-row engine stays the reference: tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from numpy.typing import NDArray

from screening.algebra import (
    ANSWER_TABLE,
    NOT_ASKED_CODE,
    Path,
    Tri,
    Walk,
    condition_items,
    fold,
    leaf_codes,
)
from screening.models import AllOf, AnswerState, AnyOf, Condition, ItemIs, NotOf, RulePack

Codes = NDArray[np.int8]
"""One int8 per answer set: an item's answer code, or a condition's three-valued result."""

FALSE, OPEN, TRUE = int(Tri.FALSE), int(Tri.OPEN), int(Tri.TRUE)
HIDDEN = NOT_ASKED_CODE
BLANK, YES, NO, UNKNOWN = (
    next(r.batch_code for r in ANSWER_TABLE if r.value == s)
    for s in ("not_assessed", "yes", "no", "unknown")
)
ANSWER_CODES: dict[str, int] = {r.cell: r.batch_code for r in ANSWER_TABLE}
"""A cell's text to its code; blank (empty or missing) means asked but not assessed."""
STATE_OF_CODE: dict[int, AnswerState | None] = {
    **{r.batch_code: r.value for r in ANSWER_TABLE},
    HIDDEN: None,
}
"""A code back to the engine's state; None is a question that is not asked."""


def _leaf_table(values: Sequence[str]) -> NDArray[np.int8]:
    """What a leaf gives for each answer code, exactly as the per-row engine's leaf
    (`algebra.leaf_value`), the not-asked code last."""
    return np.array(leaf_codes(values), dtype=np.int8)  # type: ignore[arg-type]  # cells' words


class _Evaluator(Walk[Codes]):
    """Evaluates conditions over coded columns, computing each distinct leaf once: the
    shared order on small integers, `all` the minimum, `any` the maximum, `not` 2 - x."""

    def __init__(self, codes: Mapping[str, Codes]) -> None:
        self.codes = codes
        self.leaves: dict[tuple[str, tuple[str, ...]], Codes] = {}

    def __call__(self, condition: Condition) -> Codes:
        return fold(condition, self)

    def leaf(self, node: ItemIs, path: Path) -> Codes:
        key = (node.item, tuple(sorted(node.values)))
        if key not in self.leaves:
            self.leaves[key] = _leaf_table(node.values)[self.codes[node.item]]
        return self.leaves[key]

    def not_(self, node: NotOf, part: Codes) -> Codes:
        return (TRUE - part).astype(np.int8, copy=False)

    def all(self, node: AllOf, parts: list[Codes]) -> Codes:
        return reduce(np.minimum, parts)

    def any(self, node: AnyOf, parts: list[Codes]) -> Codes:
        return reduce(np.maximum, parts)


def follow_up_order(pack: RulePack) -> tuple[str, ...]:
    """Follow-up items, each after every item its `asked_if` reads (cycles are refused at load)."""
    asked_if = {i.id: i.asked_if for i in pack.items if i.asked_if is not None}
    order: dict[str, None] = {}

    def visit(item_id: str, path: frozenset[str]) -> None:
        condition = asked_if.get(item_id)
        if item_id in order or condition is None or item_id in path:
            return
        for parent in condition_items(condition):
            visit(parent, path | {item_id})
        order[item_id] = None

    for item_id in asked_if:
        visit(item_id, frozenset())
    return tuple(order)


def visible_codes(pack: RulePack, given: Mapping[str, Codes]) -> dict[str, Codes]:
    """Every item's code with HIDDEN where it is not asked, given the answers' codes.

    `given` holds a column per pack item, coded blank / yes / no / unknown. A follow-up whose
    `asked_if` is open is asked, as in the per-row engine; a hidden parent reads as false.
    """
    visible = dict(given)
    for item_id in follow_up_order(pack):
        asked_if = pack.item(item_id).asked_if
        if asked_if is None:  # pragma: no cover - follow_up_order lists follow-ups only
            continue
        asked = _Evaluator(visible)(asked_if)
        visible[item_id] = np.where(asked == FALSE, np.int8(HIDDEN), given[item_id]).astype(
            np.int8, copy=False
        )
    return visible


def evaluate_codes(pack: RulePack, visible: Mapping[str, Codes]) -> dict[str, Codes]:
    """Each rule's three-valued result (FALSE / OPEN / TRUE) per answer set, by rule id."""
    evaluator = _Evaluator(visible)
    return {rule.id: evaluator(rule.when) for rule in pack.rules}


_Witnessed = tuple[Codes, list[tuple[str, NDArray[np.bool_]]]]


class _Witnesses(Walk[_Witnessed]):
    """A condition's value and, per leaf in reading order, whether it decided that value.

    Mirrors `logic._Outcomes`: `all` keeps its false parts when false, its true and open parts
    otherwise; `any` keeps the parts whose value is its own; `not` keeps its part's.
    """

    def __init__(self, visible: Mapping[str, Codes]) -> None:
        self.visible = visible

    def leaf(self, node: ItemIs, path: Path) -> _Witnessed:
        codes = self.visible[node.item]
        return _leaf_table(node.values)[codes], [(node.item, codes != HIDDEN)]

    def not_(self, node: NotOf, part: _Witnessed) -> _Witnessed:
        value, leaves = part
        return (TRUE - value).astype(np.int8), leaves

    def all(self, node: AllOf, parts: list[_Witnessed]) -> _Witnessed:
        value = reduce(np.minimum, [v for v, _ in parts])
        return value, _kept(parts, [(v == FALSE) == (value == FALSE) for v, _ in parts])

    def any(self, node: AnyOf, parts: list[_Witnessed]) -> _Witnessed:
        value = reduce(np.maximum, [v for v, _ in parts])
        return value, _kept(parts, [v == value for v, _ in parts])


def _kept(
    parts: list[_Witnessed], kept: list[NDArray[np.bool_]]
) -> list[tuple[str, NDArray[np.bool_]]]:
    return [(i, w & k) for (_, leaves), k in zip(parts, kept, strict=True) for i, w in leaves]


def _witnesses(condition: Condition, visible: Mapping[str, Codes]) -> _Witnessed:
    return fold(condition, _Witnesses(visible))


def open_items(condition: Condition, visible: Mapping[str, Codes]) -> list[tuple[str, ...]]:
    """For answer sets where the condition is open, the items the engine names as open.

    Call it with the rows of open results only; it returns one tuple per row, in the
    engine's order (witnesses in reading order, each once, whose answer is unknown or blank).
    """
    _, leaves = _witnesses(condition, visible)
    rows = len(next(iter(visible.values()))) if visible else 0
    if not leaves or rows == 0:
        return [() for _ in range(rows)]
    named = np.stack([w & np.isin(visible[i], (BLANK, UNKNOWN)) for i, w in leaves], axis=1)
    patterns, inverse = np.unique(named, axis=0, return_inverse=True)
    names = [
        tuple(dict.fromkeys(i for (i, _), on in zip(leaves, pattern, strict=True) if on))
        for pattern in patterns
    ]
    return [names[k] for k in inverse.reshape(-1)]


@dataclass(frozen=True)
class Evaluation:
    """Every rule's result over the accepted answer sets, with the codes it was made from."""

    visible: dict[str, Codes]
    values: dict[str, Codes]

    def open_items(self, pack: RulePack, rule_id: str) -> dict[int, tuple[str, ...]]:
        """Row position to open items, for the rows where `rule_id` is open."""
        rows = np.flatnonzero(self.values[rule_id] == OPEN)
        subset = {i: c[rows] for i, c in self.visible.items()}
        rule = next(r for r in pack.rules if r.id == rule_id)
        return dict(zip(rows.tolist(), open_items(rule.when, subset), strict=True))


def evaluate(pack: RulePack, given: Mapping[str, Codes]) -> Evaluation:
    """Resolve follow-ups, then evaluate every rule: the whole table in a few numpy calls."""
    visible = visible_codes(pack, given)
    return Evaluation(visible, evaluate_codes(pack, visible))
