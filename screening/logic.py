"""Three-valued (Kleene) evaluation of conditions, with the answers that decided them.

An item answered `unknown`, or asked but unanswered (`not_assessed`), makes its leaf OPEN:
neither true nor false. OPEN propagates as in Kleene logic, so a condition that hinges on
missing knowledge stays open instead of silently counting as "no". The values, the leaf's
table and the walk are `screening.algebra`'s; this is the per-row engine built on them,
the reference the vectorised engine is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple

from screening.algebra import (
    NOT_ASSESSED,
    Path,
    Tri,
    Walk,
    condition_items,
    fold,
    leaf_table,
    negate,
)
from screening.models import (
    AllOf,
    Answer,
    AnswerState,
    AnyOf,
    Condition,
    Item,
    ItemIs,
    NotOf,
    Rule,
    RulePack,
)


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


def _merge(outcomes: list[Outcome], value: Tri, keep: tuple[Tri, ...]) -> Outcome:
    witnesses = (w for o in outcomes if o.value in keep for w in o.witnesses)
    return Outcome(value, tuple(dict.fromkeys(witnesses)))


class _Outcomes(Walk[Evaluator]):
    """`compile_condition` as a fold: each form a function of the states, with witnesses."""

    def leaf(self, node: ItemIs, path: Path) -> Evaluator:
        item, table = node.item, leaf_table(node.values)
        found = {v: Outcome(v, (item,)) for v in Tri}

        def leaf(states: Mapping[str, AnswerState]) -> Outcome:
            state = states.get(item)
            return _NOTHING if state is None else found[table[state]]

        return leaf

    def not_(self, node: NotOf, part: Evaluator) -> Evaluator:
        return lambda states: Outcome(negate((o := part(states)).value), o.witnesses)

    def all(self, node: AllOf, parts: list[Evaluator]) -> Evaluator:
        def all_of(states: Mapping[str, AnswerState]) -> Outcome:
            outcomes = [c(states) for c in parts]
            value = min(o.value for o in outcomes)
            # False: the false parts decided it; else every part did, open or true.
            keep = (Tri.FALSE,) if value is Tri.FALSE else (Tri.TRUE, Tri.OPEN)
            return _merge(outcomes, value, keep)

        return all_of

    def any(self, node: AnyOf, parts: list[Evaluator]) -> Evaluator:
        def any_of(states: Mapping[str, AnswerState]) -> Outcome:
            outcomes = [d(states) for d in parts]
            value = max(o.value for o in outcomes)
            return _merge(outcomes, value, (value,))  # the parts with its own value decided it

        return any_of


def compile_condition(condition: Condition) -> Evaluator:
    """Turn a condition into a function of the answers; rules are compiled once per pack.

    An item absent from the states is not asked: a question that is not asked cannot raise
    a point, so its leaf is FALSE with no witness. A leaf that lists `unknown` among its
    values holds for an Unknown answer; otherwise Unknown and not assessed leave it open
    (`algebra.leaf_value`).
    """
    return fold(condition, _Outcomes())


def evaluate_condition(condition: Condition, states: Mapping[str, AnswerState]) -> Outcome:
    """Evaluate a condition once; see `compile_condition` for the semantics."""
    return compile_condition(condition)(states)


class _Values(Walk[ValueOf]):
    """`compile_value` as a fold: `all` stops at a false part, `any` at a true one."""

    def leaf(self, node: ItemIs, path: Path) -> ValueOf:
        item, table = node.item, leaf_table(node.values)
        return lambda states: table[states.get(item)]

    def not_(self, node: NotOf, part: ValueOf) -> ValueOf:
        return lambda states: negate(part(states))

    def all(self, node: AllOf, parts: list[ValueOf]) -> ValueOf:
        if len(parts) == 1:
            return parts[0]

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

    def any(self, node: AnyOf, parts: list[ValueOf]) -> ValueOf:
        if len(parts) == 1:
            return parts[0]

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


def compile_value(condition: Condition) -> ValueOf:
    """`compile_condition`'s value alone, with no witnesses: the same semantics, short-cut."""
    return fold(condition, _Values())


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
    return {item.id: answers.get(item.id, NOT_ASSESSED) for item in pack.items}


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


__all__ = [  # `Tri` and `condition_items` live in `screening.algebra`, named here as before
    "CompiledPack",
    "Evaluator",
    "Outcome",
    "Tri",
    "ValueOf",
    "answer_in_place",
    "asked_states",
    "compile_condition",
    "compile_value",
    "compiled",
    "condition_items",
    "evaluate_condition",
    "given_states",
    "pack_visible_states",
    "states_if_answered",
    "visible_states",
]
