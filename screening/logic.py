"""Three-valued (Kleene) evaluation of conditions, with the answers that decided them.

An item answered `unknown`, or asked but unanswered (`not_assessed`), makes its leaf OPEN:
neither true nor false. OPEN propagates as in Kleene logic, so a condition that hinges on
missing knowledge stays open instead of silently counting as "no".
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple

from screening.models import (
    ANSWERS,
    AllOf,
    Answer,
    AnswerState,
    Condition,
    Item,
    ItemIs,
    NotOf,
    Rule,
    RulePack,
)


class Tri(enum.IntEnum):
    """Ordered false < open < true, so `all` is the least of its parts, `any` the greatest
    and `not` is `TRUE - x`."""

    FALSE = 0
    OPEN = 1
    TRUE = 2


class Outcome(NamedTuple):
    """A condition's value and the items whose answers decided it (or left it open)."""

    value: Tri
    witnesses: tuple[str, ...]


Evaluator = Callable[[Mapping[str, AnswerState]], Outcome]
"""A condition as a function of the states, with the answers that decided it."""
ValueOf = Callable[[Mapping[str, AnswerState]], Tri]
"""A condition as a function of the states, its value alone: what deciding what is asked,
and whether a rule holds at all, need; several times cheaper than an `Evaluator`."""

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


def compile_value(condition: Condition) -> ValueOf:
    """`compile_condition`'s value alone, with no witnesses: the same semantics, short-cut
    (`all` stops at a false part, `any` at a true one)."""
    if isinstance(condition, ItemIs):
        item = condition.item
        table: dict[AnswerState | None, Tri] = {None: Tri.FALSE}
        every: tuple[AnswerState, ...] = (*ANSWERS, "not_assessed")
        for state in every:
            if state in condition.values:
                table[state] = Tri.TRUE
            else:
                table[state] = Tri.OPEN if state in _OPEN_STATES else Tri.FALSE
        return lambda states: table[states.get(item)]
    if isinstance(condition, NotOf):
        inner = compile_value(condition.not_)
        return lambda states: _NEGATED[inner(states)]
    parts = tuple(
        compile_value(c) for c in (condition.all if isinstance(condition, AllOf) else condition.any)
    )
    if len(parts) == 1:
        return parts[0]
    if isinstance(condition, AllOf):

        def all_of(states: Mapping[str, AnswerState]) -> Tri:
            least = Tri.TRUE
            for part in parts:
                value = part(states)
                if value is Tri.FALSE:
                    return value
                if value is Tri.OPEN:
                    least = value
            return least

        return all_of

    def any_of(states: Mapping[str, AnswerState]) -> Tri:
        most = Tri.FALSE
        for part in parts:
            value = part(states)
            if value is Tri.TRUE:
                return value
            if value is Tri.OPEN:
                most = value
        return most

    return any_of


_NEGATED = (Tri.TRUE, Tri.OPEN, Tri.FALSE)
"""`not`, indexed by the value: `TRUE - x`."""


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

    def __init__(self, given: Mapping[str, AnswerState], asked_if: Mapping[str, ValueOf]):
        self.given = given
        self.asked_if = asked_if
        self.decided: dict[str, AnswerState | None] = {}

    def state(self, item_id: str) -> AnswerState | None:
        if item_id not in self.decided:
            self.decided[item_id] = None  # a cycle (refused at load) reads as not asked
            condition = self.asked_if.get(item_id)
            if item_id in self.given and (condition is None or condition(self) is not Tri.FALSE):
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
    given: Mapping[str, AnswerState], asked_if: Mapping[str, ValueOf]
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
    values: tuple[ValueOf, ...]
    """Each rule's value alone, in the order of `rules`."""
    asked_if: dict[str, ValueOf]
    followers: dict[str, tuple[str, ...]] | None
    """For each item, the follow-ups whose being asked hangs on it, directly or through other
    follow-ups, parents before their follow-ups; None when the follow-ups form a cycle."""
    parents_first: bool
    """Whether every follow-up comes after the items its `asked_if` reads, in form order, so
    one pass in that order decides what is asked."""


def _parents_first(items: Sequence[Item]) -> bool:
    seen: set[str] = set()
    known = {i.id for i in items}
    for item in items:
        if item.asked_if is not None and not all(
            p in seen for p in condition_items(item.asked_if) if p in known
        ):
            return False
        seen.add(item.id)
    return True


def _followers(asked_if: Mapping[str, Condition]) -> dict[str, tuple[str, ...]] | None:
    """Each item's follow-ups at any depth, in an order that puts every parent first."""
    parents = {i: condition_items(c) for i, c in asked_if.items()}
    order: list[str] = []
    state: dict[str, bool] = {}  # False while being visited, True once placed

    def place(item_id: str) -> bool:
        if item_id in state:
            return state[item_id]
        state[item_id] = False
        if not all(place(p) for p in parents.get(item_id, ())):
            return False
        state[item_id] = True
        order.append(item_id)
        return True

    if not all(place(i) for i in parents):
        return None
    ancestors: dict[str, set[str]] = {}
    for item_id in order:
        ancestors[item_id] = {
            a for p in parents.get(item_id, ()) for a in (p, *ancestors.get(p, ()))
        }
    followers: dict[str, list[str]] = {}
    for item_id in order:
        for ancestor in ancestors[item_id]:
            followers.setdefault(ancestor, []).append(item_id)
    return {i: tuple(f) for i, f in followers.items()}


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
            values=tuple(compile_value(rule.when) for rule in pack.rules),
            asked_if={i.id: compile_value(i.asked_if) for i in pack.items if i.asked_if},
            followers=_followers({i.id: i.asked_if for i in pack.items if i.asked_if}),
            parents_first=_parents_first(pack.items),
        )
        pack.__dict__[_COMPILED] = found
    return found


def asked_states(pack: RulePack, answers: Mapping[str, Answer]) -> dict[str, AnswerState]:
    """The state of every item asked given the other answers; an absent item is not asked.

    An item whose `asked_if` is open (its parent unknown) is asked, since it can't be ruled
    out. Hiding cascades: a parent that is not asked reads as false for its follow-ups.
    """
    return pack_visible_states(pack, given_states(pack, answers))


def pack_visible_states(pack: RulePack, given: Mapping[str, AnswerState]) -> dict[str, AnswerState]:
    """`visible_states` with the pack's own follow-ups; `given` is `given_states`.

    When the form puts every follow-up after its parents (as the shipped pack does), one pass
    in form order decides each item from those before it; otherwise items are decided as
    they are read (`_Resolved`). Both give the same states.
    """
    found = compiled(pack)
    if not found.parents_first:
        return visible_states(given, found.asked_if)
    asked_if = found.asked_if
    states: dict[str, AnswerState] = {}
    for item_id, state in given.items():
        condition = asked_if.get(item_id)
        if condition is None or condition(states) is not Tri.FALSE:
            states[item_id] = state
    return states


def given_states(pack: RulePack, answers: Mapping[str, Answer]) -> dict[str, AnswerState]:
    """Every item's answer, or `not_assessed`, before asking which items are asked."""
    return {item.id: answers.get(item.id, "not_assessed") for item in pack.items}


def states_if_answered(
    pack: RulePack,
    given: Mapping[str, AnswerState],
    states: Mapping[str, AnswerState],
    item_id: str,
    answer: Answer,
) -> dict[str, AnswerState]:
    """The states `asked_states` would give had `item_id` been answered `answer`.

    `given` is `given_states` of the same answers and `states` their `asked_states`; only
    the item and the follow-ups hanging on it are decided again (`answer_in_place`).
    """
    changed = dict(states)
    found = compiled(pack)
    if found.followers is None:  # a cycle (refused at load): the whole pass decides
        return visible_states({**given, item_id: answer}, found.asked_if)
    answer_in_place(
        changed, item_id, answer, given=given, asked_if=found.asked_if, followers=found.followers
    )
    return changed


def answer_in_place(
    states: dict[str, AnswerState],
    item_id: str,
    answer: AnswerState,
    *,
    given: Mapping[str, AnswerState],
    asked_if: Mapping[str, ValueOf],
    followers: Mapping[str, tuple[str, ...]],
) -> None:
    """Change `states` to what they would be had `item_id` been answered `answer`.

    An answer changes only its own item and whether the follow-ups that hang on it (at any
    depth) are asked, so only those are decided again, parents first. Answering with the
    item's own `given` state again restores `states` (the order of its keys aside).
    `asked_if` and `followers` are the pack's (`compiled`); a pack whose follow-ups form a
    cycle has no `followers` and is decided by whole passes instead.
    """
    if item_id in states:
        states[item_id] = answer
    for follower in followers.get(item_id, ()):
        if asked_if[follower](states) is Tri.FALSE:
            states.pop(follower, None)
        else:
            states[follower] = given[follower]
