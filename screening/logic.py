"""Three-valued (Kleene) evaluation of conditions, with the answers that decided them.

An item answered `unknown`, or asked but unanswered (`not_assessed`), makes its leaf OPEN:
neither true nor false. OPEN propagates as in Kleene logic, so a condition that hinges on
missing knowledge stays open instead of silently counting as "no".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from screening.models import AllOf, AnswerState, AnyOf, Condition, ItemIs, NotOf


class Tri(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    OPEN = "open"


_NOT = {Tri.TRUE: Tri.FALSE, Tri.FALSE: Tri.TRUE, Tri.OPEN: Tri.OPEN}


@dataclass(frozen=True)
class Outcome:
    """A condition's value and the items whose answers decided it (or left it open)."""

    value: Tri
    witnesses: tuple[str, ...]


def _merge(outcomes: list[Outcome], value: Tri, keep: set[Tri]) -> Outcome:
    witnesses = (w for o in outcomes if o.value in keep for w in o.witnesses)
    return Outcome(value, tuple(dict.fromkeys(witnesses)))


def evaluate_condition(condition: Condition, states: Mapping[str, AnswerState]) -> Outcome:
    """Evaluate `condition`; an item absent from `states` is not asked and its leaf is false.

    A question that is not asked cannot raise a point, so its leaf is FALSE with no witness.
    """
    if isinstance(condition, ItemIs):
        state = states.get(condition.item)
        if state is None:
            return Outcome(Tri.FALSE, ())
        if state in ("unknown", "not_assessed"):
            return Outcome(Tri.OPEN, (condition.item,))
        value = Tri.TRUE if state in condition.values else Tri.FALSE
        return Outcome(value, (condition.item,))
    if isinstance(condition, NotOf):
        inner = evaluate_condition(condition.not_, states)
        return Outcome(_NOT[inner.value], inner.witnesses)
    if isinstance(condition, AllOf):
        parts = [evaluate_condition(c, states) for c in condition.all]
        values = {p.value for p in parts}
        if Tri.FALSE in values:
            return _merge(parts, Tri.FALSE, {Tri.FALSE})
        if Tri.OPEN in values:
            return _merge(parts, Tri.OPEN, {Tri.TRUE, Tri.OPEN})
        return _merge(parts, Tri.TRUE, {Tri.TRUE})
    if isinstance(condition, AnyOf):
        parts = [evaluate_condition(c, states) for c in condition.any]
        values = {p.value for p in parts}
        if Tri.TRUE in values:
            return _merge(parts, Tri.TRUE, {Tri.TRUE})
        if Tri.OPEN in values:
            return _merge(parts, Tri.OPEN, {Tri.OPEN})
        return _merge(parts, Tri.FALSE, {Tri.FALSE})
    raise TypeError(f"not a condition: {condition!r}")


def condition_items(condition: Condition) -> tuple[str, ...]:
    """The items a condition reads, in order of first mention."""
    if isinstance(condition, ItemIs):
        return (condition.item,)
    if isinstance(condition, NotOf):
        return condition_items(condition.not_)
    parts = condition.all if isinstance(condition, AllOf) else condition.any
    return tuple(dict.fromkeys(i for part in parts for i in condition_items(part)))
