"""Every word a reader sees for a kind, an answer or a pack status, the order of sections, and
how the answers behind a point read.

Each table is defined here once and rendered many ways (screen, Markdown, PDF, cards, review,
audit); a second table of the same words would drift. PDF formats already written keep the
words they printed as data in `screening.pdf.contract`, so old files stay checkable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from screening.algebra import ANSWER_TABLE
from screening.catalogue import N_, Words, _
from screening.models import KINDS, AnswerState, Checklist, Entry, Kind, Status

PRODUCT_TITLE = N_("Ketamine for pain: discussion checklist")
"""The title of a checklist, atop every export that has one."""

FIND_OUT_HEADING = N_("To find out")
"""The heading above the questions not yet answered, each with what its answer would raise."""

NOT_ASSESSED_HEADING = N_("Not assessed")
"""The heading above the questions left unanswered that would raise no point either way."""

KIND_ORDER: tuple[Kind, ...] = KINDS
"""The kinds in the order a checklist lists them within a section."""

KIND_WORDS: Mapping[Kind, str] = Words(
    {
        "discuss": N_("Discuss"),
        "verify": N_("Verify"),
        "arrange": N_("Arrange"),
        "document": N_("Document"),
    }
)
"""What the clinician is asked to do, as a heading or label; in `KIND_ORDER`."""

ANSWER_WORDS: Mapping[AnswerState, str] = Words({row.value: row.words for row in ANSWER_TABLE})
"""An answer as a reader sees it (`algebra.ANSWER_TABLE`); `not_assessed` is an item asked
but left unanswered."""

STATUS_WORDS: Mapping[Status, str] = Words(
    {
        "draft": N_("draft: not yet reviewed by the committee"),
        "in_review": N_("in review by the committee"),
        "approved": N_("approved by the committee"),
        "retired": N_("retired: no longer in use"),
    }
)
"""A pack's status, said in full, for a reviewer."""

STATUS_WARNINGS: Mapping[Status, str] = Words(
    {
        "draft": N_("This rule pack is a draft: its content has not completed clinical review."),
        "in_review": N_(
            "This rule pack is in review: its content has not completed clinical review."
        ),
        "retired": N_("This rule pack has been retired: its content may be out of date."),
    }
)
"""The warning shown above a form or checklist made with a pack that is not approved."""


def kind_rank(kind: Kind) -> int:
    """A kind's place in `KIND_ORDER`, to sort by."""
    return KIND_ORDER.index(kind)


def section_rank(sections: Sequence[str]) -> Callable[[str], int]:
    """A sort key that puts sections in the form's order; a section the form lacks goes last."""
    order = {section: n for n, section in enumerate(sections)}
    return lambda section: order.get(section, len(order))


_Row = TypeVar("_Row")


def by_section(rows: Iterable[_Row], section: Callable[[_Row], str]) -> dict[str, list[_Row]]:
    """Rows grouped by section, sections in the order they first appear, rows kept in order."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(section(row), []).append(row)
    return groups


NO_ANSWER_NEEDED = N_("no answer needed")
"""Said of a point that every set of answers raises."""


def answers_behind(
    checklist: Checklist, entry: Entry, label: Callable[[str], str] | None = None
) -> str:
    """The answers that raised or left open an entry, as a reader sees them:
    "substance use history = Yes; monitoring = Unknown", or that none was needed; `label`
    names the items (`checklist.label` unless given)."""
    label = label or checklist.label
    found = "; ".join(f"{label(b.item)} = {ANSWER_WORDS[b.answer]}" for b in entry.because)
    return found or _(NO_ANSWER_NEEDED)
