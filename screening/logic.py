"""Three-valued (Kleene) evaluation of conditions, with the answers that decided them.

An item answered `unknown`, or asked but unanswered (`not_assessed`), makes its leaf OPEN:
neither true nor false. OPEN propagates as in Kleene logic, so a condition that hinges on
missing knowledge stays open instead of silently counting as "no".
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from screening.models import AllOf, Answer, AnswerState, Condition, ItemIs, NotOf, Rule, RulePack


class Tri(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    OPEN = "open"


class Outcome(NamedTuple):
    """A condition's value and the items whose answers decided it (or left it open)."""

    value: Tri
    witnesses: tuple[str, ...]


Evaluator = Callable[[Mapping[str, AnswerState]], Outcome]

_NOTHING = Outcome(Tri.FALSE, ())
_OPEN_STATES = ("unknown", "not_assessed")


def _merge(outcomes: list[Outcome], value: Tri, keep: tuple[Tri, ...]) -> Outcome:
    witnesses = (w for o in outcomes if o.value in keep for w in o.witnesses)
    return Outcome(value, tuple(dict.fromkeys(witnesses)))


def compile_condition(condition: Condition) -> Evaluator:
    """Turn a condition into a function of the answers; rules are compiled once per pack.

    An item absent from the states is not asked: a question that is not asked cannot raise
    a point, so its leaf is FALSE with no witness. A leaf that lists `unknown` among its
    values holds for an Unknown answer; otherwise Unknown and not assessed leave it open.
    """
    if isinstance(condition, ItemIs):
        item, values = condition.item, condition.values
        true, false, open_ = (Outcome(v, (item,)) for v in (Tri.TRUE, Tri.FALSE, Tri.OPEN))

        def leaf(states: Mapping[str, AnswerState]) -> Outcome:
            state = states.get(item)
            if state is None:
                return _NOTHING
            if state in values:
                return true
            return open_ if state in _OPEN_STATES else false

        return leaf
    if isinstance(condition, NotOf):
        inner = compile_condition(condition.not_)
        flip = {Tri.TRUE: Tri.FALSE, Tri.FALSE: Tri.TRUE, Tri.OPEN: Tri.OPEN}
        return lambda states: Outcome(flip[(o := inner(states)).value], o.witnesses)
    if isinstance(condition, AllOf):
        conjuncts = [compile_condition(c) for c in condition.all]

        def all_of(states: Mapping[str, AnswerState]) -> Outcome:
            parts = [c(states) for c in conjuncts]
            values = [p.value for p in parts]
            if Tri.FALSE in values:
                return _merge(parts, Tri.FALSE, (Tri.FALSE,))
            if Tri.OPEN in values:
                return _merge(parts, Tri.OPEN, (Tri.TRUE, Tri.OPEN))
            return _merge(parts, Tri.TRUE, (Tri.TRUE,))

        return all_of
    disjuncts = [compile_condition(c) for c in condition.any]

    def any_of(states: Mapping[str, AnswerState]) -> Outcome:
        parts = [d(states) for d in disjuncts]
        values = [p.value for p in parts]
        if Tri.TRUE in values:
            return _merge(parts, Tri.TRUE, (Tri.TRUE,))
        if Tri.OPEN in values:
            return _merge(parts, Tri.OPEN, (Tri.OPEN,))
        return _merge(parts, Tri.FALSE, (Tri.FALSE,))

    return any_of


def evaluate_condition(condition: Condition, states: Mapping[str, AnswerState]) -> Outcome:
    """Evaluate a condition once; see `compile_condition` for the semantics."""
    return compile_condition(condition)(states)


def condition_items(condition: Condition) -> tuple[str, ...]:
    """The items a condition reads, in order of first mention."""
    if isinstance(condition, ItemIs):
        return (condition.item,)
    if isinstance(condition, NotOf):
        return condition_items(condition.not_)
    parts = condition.all if isinstance(condition, AllOf) else condition.any
    return tuple(dict.fromkeys(i for part in parts for i in condition_items(part)))


class _Resolved(Mapping[str, AnswerState]):
    """States decided on first read, so a follow-up's parents are resolved before it."""

    def __init__(self, given: Mapping[str, AnswerState], asked_if: Mapping[str, Evaluator]):
        self.given = given
        self.asked_if = asked_if
        self.decided: dict[str, AnswerState | None] = {}

    def state(self, item_id: str) -> AnswerState | None:
        if item_id not in self.decided:
            self.decided[item_id] = None  # a cycle (refused at load) reads as not asked
            condition = self.asked_if.get(item_id)
            if item_id in self.given and (
                condition is None or condition(self).value is not Tri.FALSE
            ):
                self.decided[item_id] = self.given[item_id]
        return self.decided[item_id]

    def __getitem__(self, item_id: str) -> AnswerState:
        state = self.state(item_id)
        if state is None:
            raise KeyError(item_id)
        return state

    def __iter__(self) -> Iterator[str]:
        return iter(self.given)

    def __len__(self) -> int:
        return len(self.given)


def visible_states(
    given: Mapping[str, AnswerState], asked_if: Mapping[str, Evaluator]
) -> dict[str, AnswerState]:
    """The states of the items that are asked, given every item's state; absent = not asked.

    A follow-up whose `asked_if` is open (its parent unknown) is asked, since it can't be
    ruled out. Hiding cascades: a parent that is not asked reads as false for its follow-ups.
    """
    if not asked_if:
        return dict(given)
    resolved = _Resolved(given, asked_if)
    return {i: s for i in given if (s := resolved.state(i)) is not None}


class CompiledPack(NamedTuple):
    """A pack's conditions as functions of the answers."""

    rules: tuple[tuple[Rule, Evaluator], ...]
    asked_if: dict[str, Evaluator]


_COMPILED = "_compiled_conditions"


def compiled(pack: RulePack) -> CompiledPack:
    """The pack's conditions, compiled once per pack object since every evaluation runs them all.

    Kept in the pack's instance dictionary, as `functools.cached_property` keeps its values,
    so the model needs no knowledge of this module; `RulePack.__getstate__` leaves it out.
    """
    found = pack.__dict__.get(_COMPILED)
    if not isinstance(found, CompiledPack):
        found = CompiledPack(
            rules=tuple((rule, compile_condition(rule.when)) for rule in pack.rules),
            asked_if={i.id: compile_condition(i.asked_if) for i in pack.items if i.asked_if},
        )
        pack.__dict__[_COMPILED] = found
    return found


def asked_states(pack: RulePack, answers: Mapping[str, Answer]) -> dict[str, AnswerState]:
    """The state of every item asked given the other answers; an absent item is not asked.

    An item whose `asked_if` is open (its parent unknown) is asked, since it can't be ruled
    out. Hiding cascades: a parent that is not asked reads as false for its follow-ups.
    """
    given: dict[str, AnswerState] = {
        item.id: answers.get(item.id, "not_assessed") for item in pack.items
    }
    return visible_states(given, compiled(pack).asked_if)
