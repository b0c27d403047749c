"""The answers a question takes and the one walk over conditions that every reader of them uses.

One table says, for each answer state, its words, its LOINC answer code, its code in a batch
table and whether it settles a question. Conditions are three-valued and ordered, false <
open < true, as small integers: `all` is the least of its parts, `any` the greatest and `not`
is `TRUE - x`. The per-row engine (`logic`), the vectorised engine (`batch.vector`), the
sentences (`describe`), the FHIRPath translation (`fhir.questionnaire`) and the pack checks
are folds over a condition (`fold`) that read the table; none spells an answer out again.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from screening.catalogue import N_
from screening.models import (
    ANSWERS,
    AllOf,
    Answer,
    AnswerState,
    AnyOf,
    Condition,
    ItemIs,
    NotOf,
)


class Tri(enum.IntEnum):
    """A condition's value, ordered false < open < true, so `all` is the least of its parts,
    `any` the greatest and `not` is `TRUE - x` (`negate`)."""

    FALSE = 0
    OPEN = 1
    TRUE = 2


def negate(value: Tri) -> Tri:
    """`not`: true and false swap, open stays open."""
    return _NEGATED[value]


_NEGATED = (Tri.TRUE, Tri.OPEN, Tri.FALSE)


@dataclass(frozen=True)
class AnswerRow:
    """One answer state and every way the program writes or reads it."""

    value: AnswerState
    words: str
    """How a reader sees it: the catalogue's English key, looked up where it is shown
    (`words.ANSWER_WORDS`)."""
    loinc: str | None
    """Its answer code in LOINC's Yes / No / Unknown list (LL2817-6); None if it is no answer."""
    loinc_display: str | None
    """LOINC's own display for the code, which stays LOINC's whatever the reader's language."""
    batch_code: int
    """Its int8 code in the vectorised engine's columns (`batch.vector`)."""
    cell: str
    """How a batch table's cell writes it; blank is asked but not answered."""
    settles: bool
    """Whether answering it settles an open question; Unknown leaves it open."""
    opens: bool
    """Whether it leaves a leaf open when the leaf does not name it (Unknown, not assessed)."""
    if_answered: str | None = None
    """For an answer that settles a question, how an open point says what it would raise
    ("If yes: {summary}"), whole, as a language may put the answer anywhere."""


NOT_ASSESSED: AnswerState = "not_assessed"
"""The state of a question asked but not answered."""

ANSWER_TABLE: tuple[AnswerRow, ...] = (
    AnswerRow(
        value="yes",
        words=N_("Yes"),
        loinc="LA33-6",
        loinc_display="Yes",
        batch_code=1,
        cell="yes",
        settles=True,
        opens=False,
        if_answered=N_("If yes: {summary}"),
    ),
    AnswerRow(
        value="no",
        words=N_("No"),
        loinc="LA32-8",
        loinc_display="No",
        batch_code=2,
        cell="no",
        settles=True,
        opens=False,
        if_answered=N_("If no: {summary}"),
    ),
    AnswerRow(
        value="unknown",
        words=N_("Unknown"),
        loinc="LA4489-6",
        loinc_display="Unknown",
        batch_code=3,
        cell="unknown",
        settles=False,
        opens=True,
    ),
    AnswerRow(
        value=NOT_ASSESSED,
        words=N_("not assessed"),
        loinc=None,
        loinc_display=None,
        batch_code=0,
        cell="",
        settles=False,
        opens=True,
    ),
)
"""Every answer state, the answers in the order a form offers them (`models.ANSWERS`), then
not assessed."""

ROWS: Mapping[AnswerState, AnswerRow] = {row.value: row for row in ANSWER_TABLE}
STATES: tuple[AnswerState, ...] = tuple(ROWS)
"""Every state an asked item can be in."""
ANSWER_ROWS: tuple[AnswerRow, ...] = tuple(ROWS[a] for a in ANSWERS)
"""The rows of the answers a clinician can give."""
SETTLING: tuple[Answer, ...] = tuple(a for a in ANSWERS if ROWS[a].settles)
"""The answers that settle an open question, in form order."""
IF_ANSWERED: Mapping[Answer, str] = {
    a: r.if_answered for a, r in zip(ANSWERS, ANSWER_ROWS, strict=True) if r.if_answered
}
"""For each settling answer, how an open point says what it would raise."""
LOINC_CHOICES = ", ".join(f"{r.loinc_display} ({r.loinc})" for r in ANSWER_ROWS[:-1]) + (
    f" or {ANSWER_ROWS[-1].loinc_display} ({ANSWER_ROWS[-1].loinc})"
)
"""The answers' LOINC codings, for a message: 'Yes (LA33-6), No (LA32-8) or Unknown (...)'."""
OPEN_STATES: frozenset[AnswerState] = frozenset(r.value for r in ANSWER_TABLE if r.opens)
"""The states that leave a leaf not naming them open."""

ANSWER_CHOICES = ", ".join(f'"{a}"' for a in ANSWERS[:-1]) + f' or "{ANSWERS[-1]}"'
"""The answers as a file writes them, for a message: '"yes", "no" or "unknown"'."""

NOT_ASKED_CODE = len(ANSWER_TABLE)
"""The vectorised engine's code for a follow-up that is not asked (`batch.vector.HIDDEN`):
the one after the states' own codes, which number them from 0."""


def leaf_value(values: Sequence[AnswerState], state: AnswerState | None) -> Tri:
    """A leaf `item is values` for its item's state; None is an item not asked, which cannot
    raise a point. A state the leaf names holds (an Unknown too, when listed)."""
    if state is None:
        return Tri.FALSE
    if state in values:
        return Tri.TRUE
    return Tri.OPEN if ROWS[state].opens else Tri.FALSE


def leaf_table(values: Sequence[AnswerState]) -> dict[AnswerState | None, Tri]:
    """`leaf_value` for every state at once, None (not asked) included."""
    return {state: leaf_value(values, state) for state in (*STATES, None)}


def leaf_codes(values: Sequence[AnswerState]) -> tuple[Tri, ...]:
    """`leaf_value` indexed by batch code, the not-asked code last."""
    by_code = {row.batch_code: leaf_value(values, row.value) for row in ANSWER_TABLE}
    return (*(by_code[c] for c in range(len(by_code))), leaf_value(values, None))


_T = TypeVar("_T")

Path = tuple[str | int, ...]
"""Where a part sits in its condition as written: keys and list positions from the top,
e.g. `("all", 1, "not")`."""


class Walk(ABC, Generic[_T]):
    """What a fold makes of each form of condition, given what it made of the parts."""

    @abstractmethod
    def leaf(self, node: ItemIs, path: Path) -> _T: ...

    @abstractmethod
    def all(self, node: AllOf, parts: list[_T]) -> _T: ...

    @abstractmethod
    def any(self, node: AnyOf, parts: list[_T]) -> _T: ...

    @abstractmethod
    def not_(self, node: NotOf, part: _T) -> _T: ...


def _children(node: Condition) -> tuple[list[Condition], str]:
    if isinstance(node, NotOf):
        return [node.not_], "not"
    if isinstance(node, AllOf):
        return list(node.all), "all"
    if isinstance(node, AnyOf):
        return list(node.any), "any"
    return [], "item"


def fold(condition: Condition, walk: Walk[_T]) -> _T:
    """The one walk over a condition: parts first, each form handed to `walk`.

    Iterative, so a deeply nested condition (refused by the pack checks, which fold it to
    measure it) cannot exhaust the stack."""
    done: list[_T] = []
    pending: list[tuple[Condition, Path, bool]] = [(condition, (), False)]
    while pending:
        node, path, expanded = pending.pop()
        if isinstance(node, ItemIs):
            done.append(walk.leaf(node, path))
            continue
        children, key = _children(node)
        if not expanded:
            pending.append((node, path, True))
            if key == "not":
                pending.append((children[0], (*path, key), False))
            else:
                pending += [
                    (child, (*path, key, n), False)
                    for n, child in reversed(list(enumerate(children)))
                ]
            continue
        parts = done[len(done) - len(children) :]
        del done[len(done) - len(children) :]
        if isinstance(node, NotOf):
            done.append(walk.not_(node, parts[0]))
        elif isinstance(node, AllOf):
            done.append(walk.all(node, parts))
        elif isinstance(node, AnyOf):
            done.append(walk.any(node, parts))
    return done[0]


class Leaf(NamedTuple):
    """A leaf of a condition, where it is written and whether a `not` is above it."""

    node: ItemIs
    path: Path
    negated: bool


class _Leaves(Walk[list[Leaf]]):
    def leaf(self, node: ItemIs, path: Path) -> list[Leaf]:
        return [Leaf(node, path, negated=False)]

    def all(self, node: AllOf, parts: list[list[Leaf]]) -> list[Leaf]:
        return [leaf for part in parts for leaf in part]

    def any(self, node: AnyOf, parts: list[list[Leaf]]) -> list[Leaf]:
        return [leaf for part in parts for leaf in part]

    def not_(self, node: NotOf, part: list[Leaf]) -> list[Leaf]:
        return [leaf._replace(negated=True) for leaf in part]


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every leaf in reading order."""
    found: list[Leaf] = fold(condition, _Leaves())
    return iter(found)


def condition_items(condition: Condition) -> tuple[str, ...]:
    """The items a condition reads, in order of first mention."""
    return tuple(dict.fromkeys(leaf.node.item for leaf in leaves(condition)))


class _Size(Walk[tuple[int, int]]):
    def leaf(self, node: ItemIs, path: Path) -> tuple[int, int]:
        return 1, 1

    def all(self, node: AllOf, parts: list[tuple[int, int]]) -> tuple[int, int]:
        return 1 + sum(n for n, _ in parts), 1 + max(d for _, d in parts)

    def any(self, node: AnyOf, parts: list[tuple[int, int]]) -> tuple[int, int]:
        return 1 + sum(n for n, _ in parts), 1 + max(d for _, d in parts)

    def not_(self, node: NotOf, part: tuple[int, int]) -> tuple[int, int]:
        return 1 + part[0], 1 + part[1]


def condition_size(condition: Condition) -> tuple[int, int]:
    """How many parts a condition has and how deep they nest."""
    return fold(condition, _Size())
