"""A rule pack's conditions evaluated over many answer sets at once, on int8 arrays.

The engine's three-valued logic on small integers: FALSE=0 < OPEN=1 < TRUE=2, so `all` is
the minimum, `any` the maximum and `not` is 2 - x. Answers are coded per item (blank, yes,
no, unknown, and HIDDEN for a follow-up that is not asked); a leaf is a lookup table indexed
by that code. Follow-ups are resolved parents first, as `screening.logic.visible_states`
does, so hiding cascades. The per-row engine stays the reference: tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from numpy.typing import NDArray

from screening.logic import condition_items
from screening.models import AllOf, AnswerState, Condition, ItemIs, NotOf, RulePack

Codes = NDArray[np.int8]
"""One int8 per answer set: an item's answer code, or a condition's three-valued result."""

FALSE, OPEN, TRUE = 0, 1, 2
BLANK, YES, NO, UNKNOWN, HIDDEN = 0, 1, 2, 3, 4
ANSWER_CODES: dict[str, int] = {"": BLANK, "yes": YES, "no": NO, "unknown": UNKNOWN}
"""A cell's text to its code; blank (empty or missing) means asked but not assessed."""
STATE_OF_CODE: dict[int, AnswerState | None] = {
    BLANK: "not_assessed",
    YES: "yes",
    NO: "no",
    UNKNOWN: "unknown",
    HIDDEN: None,
}
"""A code back to the engine's state; None is a question that is not asked."""


def _leaf_table(values: Sequence[str]) -> NDArray[np.int8]:
    """What a leaf gives for each answer code, exactly as `logic.compile_condition`'s leaf."""
    return np.array(
        [
            OPEN,
            TRUE if "yes" in values else FALSE,
            TRUE if "no" in values else FALSE,
            TRUE if "unknown" in values else OPEN,
            FALSE,
        ],
        dtype=np.int8,
    )


class _Evaluator:
    """Evaluates conditions over coded columns, computing each distinct leaf once."""

    def __init__(self, codes: Mapping[str, Codes]) -> None:
        self.codes = codes
        self.leaves: dict[tuple[str, tuple[str, ...]], Codes] = {}

    def __call__(self, condition: Condition) -> Codes:
        if isinstance(condition, ItemIs):
            key = (condition.item, tuple(sorted(condition.values)))
            if key not in self.leaves:
                self.leaves[key] = _leaf_table(condition.values)[self.codes[condition.item]]
            return self.leaves[key]
        if isinstance(condition, NotOf):
            return (TRUE - self(condition.not_)).astype(np.int8, copy=False)
        if isinstance(condition, AllOf):
            return reduce(np.minimum, (self(c) for c in condition.all))
        return reduce(np.maximum, (self(c) for c in condition.any))


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


def _witnesses(
    condition: Condition, visible: Mapping[str, Codes]
) -> tuple[Codes, list[tuple[str, NDArray[np.bool_]]]]:
    """A condition's value and, per leaf in reading order, whether it decided that value.

    Mirrors `logic._merge`: `all` keeps its false parts when false, its true and open parts
    otherwise; `any` keeps the parts whose value is its own; `not` keeps its part's.
    """
    if isinstance(condition, ItemIs):
        codes = visible[condition.item]
        value = _leaf_table(condition.values)[codes]
        return value, [(condition.item, codes != HIDDEN)]
    if isinstance(condition, NotOf):
        value, leaves = _witnesses(condition.not_, visible)
        return (TRUE - value).astype(np.int8), leaves
    subconditions = condition.all if isinstance(condition, AllOf) else condition.any
    parts = [_witnesses(c, visible) for c in subconditions]
    values = [v for v, _ in parts]
    if isinstance(condition, AllOf):
        value = reduce(np.minimum, values)
        kept = [(v == FALSE) == (value == FALSE) for v in values]
    else:
        value = reduce(np.maximum, values)
        kept = [v == value for v in values]
    return value, [
        (i, w & k) for (_, leaves), k in zip(parts, kept, strict=True) for i, w in leaves
    ]


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
