"""The checklist as typed data: the result of an evaluation and the whole view model.

It carries everything any view or export shows (the rule set, each entry with its reasons,
sources and what they say, the questions asked and their answers, the marks), so renderers
take the checklist and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    model_serializer,
    model_validator,
)

from screening.models.answers import AnswersFile, DiscussedMark, Note
from screening.models.base import Answer, AnswerState, Kind, _Frozen
from screening.models.pack import SOURCE_STRENGTHS, SourceStrength


class Because(_Frozen):
    """One answer that made a rule's condition hold, or left it open."""

    item: str
    answer: AnswerState


class SourceRef(_Frozen):
    """A source behind an entry, resolved from the pack, so every view can cite it in full."""

    id: str
    citation: str
    doi: str | None = None
    url: str | None = None
    revised: str | None = Field(
        default=None, description="For prescribing information: the label revision relied on."
    )
    sections: tuple[str, ...] | None = Field(
        default=None, description="The sections of the source the pack relies on."
    )
    background: bool = Field(
        default=False,
        description="Background reading for patients: stands beside a guideline or label, "
        "never alone behind a point.",
    )
    grade: str | None = Field(
        default=None,
        description="The pack's evidence grade and level of certainty for the source; absent "
        "from checklists made before 0.4.0.",
    )

    @model_serializer(mode="wrap")
    def _without_missing_grade(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A source with no grade dumps as before 0.4.0, so an older record's fingerprint stays."""
        data = handler(self)
        if isinstance(data, dict) and self.grade is None:
            data.pop("grade", None)
        return data


class StatementRef(_Frozen):
    """What a source an entry cites itself says about its point, as the checklist carries it:
    attributed (`cited_as`), so no view needs the pack. Information with its citation, never
    a statement about the patient."""

    source: str
    cited_as: str = Field(description="The short name the statement is attributed to.")
    section: str = Field(description="Where in the source it says so.")
    strength: SourceStrength
    statement: str = Field(description="The source's own words.")


class AskedItem(_Frozen):
    """A question the form asked, with its answer, so a view can show it without the pack."""

    id: str
    section: str
    label: str
    question: str
    state: AnswerState


class Entry(_Frozen):
    """One point on the discussion checklist, with everything needed to explain it."""

    rule_id: str
    kind: Kind
    section: str
    summary: str = Field(
        default="",
        description="The rule's one-line headline; empty in records made before 1.1, and for "
        "a rule of a pack of schema 1.0, which has none.",
    )
    text: str = Field(
        description="The rule's own text, as the pack wrote it, for an open entry too (what "
        "the point says if its question is answered so that it raises it): structure, never "
        "a sentence of the program's, which each view words from `open_items` and `raised_if` "
        "in its own language. In records made before 0.4.0, an open entry's text is the "
        "sentence the release that made it printed."
    )
    because: tuple[Because, ...]
    open_items: tuple[str, ...] = Field(
        default=(),
        description="Items whose unknown or missing answer left the rule open; empty when it held.",
    )
    raised_if: tuple[Answer, ...] = Field(
        default=(),
        description="For an entry left open by one item: the answers to it that would raise "
        "the point (yes, no); empty otherwise.",
    )
    sources: tuple[SourceRef, ...]
    source_says: tuple[StatementRef, ...] = Field(
        default=(),
        description="What the entry's own sources state about its point, in their words, "
        "for an open entry too (what applies if its question is answered so that it raises "
        "the point); empty in records made before 0.4.0.",
    )
    rationale: str
    done: StrictBool = False
    note: Note | None = None


class RuleSetRef(_Frozen):
    name: str
    version: str
    status: str
    sha256: str


class Checklist(_Frozen):
    """The result of an evaluation: entries to discuss, never a verdict."""

    rule_set: RuleSetRef
    entries: tuple[Entry, ...]
    not_assessed: tuple[str, ...]
    disclaimer: str
    patient_reference: str | None = None
    clinician: str | None = None
    date: str | None = None
    items: tuple[AskedItem, ...] = Field(
        default=(),
        description="Every question asked, in the form's order, with its answer or "
        "not_assessed; empty in records made before 0.3.0.",
    )
    statements: tuple[StatementRef, ...] = Field(
        default=(),
        description="The entries' source statements once each, strongest first, then in the "
        "order the entries give them: the checklist's 'What the sources say'; empty in "
        "records made before 0.4.0. Only points raised by the answers; an open point's "
        "statements are in `open_statements`.",
    )
    open_statements: tuple[StatementRef, ...] = Field(
        default=(),
        description="The open entries' contraindications and do-nots not already in "
        "`statements`, once each, strongest first: what applies if an open question is "
        "answered so that it raises its point. Every statement stays under its entry.",
    )
    rule_order: tuple[str, ...] = Field(
        default=(),
        exclude=True,
        repr=False,
        description="The pack's rule ids in the pack's order, for a view that lists points "
        "that way (the FHIR response's discussed points). Not part of the checklist's JSON, "
        "whose shape stays; a checklist read back from JSON has none, and such a view then "
        "follows the entries' order.",
    )
    rule_headlines: tuple[tuple[str, str], ...] = Field(
        default=(),
        exclude=True,
        repr=False,
        description="Each of the pack's rules as (id, headline), in the pack's order, for a "
        "view that names a point not on this checklist (the app's marks on points the answers "
        "have settled). Not part of the checklist's JSON, as `rule_order`; a checklist read "
        "back from JSON has none.",
    )

    def __eq__(self, other: object) -> bool:
        """Equal when they say the same: a field left out of the JSON (`rule_order`, how one
        view may list points) is left out here too, so a checklist read back from its JSON
        equals the evaluated one. (Pydantic v2 has no per-field `compare=False`.)"""
        if not isinstance(other, Checklist):
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def _compared(self) -> tuple[object, ...]:
        fields = type(self).model_fields
        return tuple(getattr(self, f) for f, info in fields.items() if not info.exclude)

    @model_validator(mode="after")
    def _statements_of_the_entries(self) -> Checklist:
        """The list at the top says what the entries say, no more and no less."""
        raised = ordered_statements(e for e in self.entries if not e.open_items)
        if self.statements != raised:
            raise ValueError(
                "statements must list the entries' source statements behind points raised, "
                "each once"
            )
        if self.open_statements != open_top_statements(self.entries):
            raise ValueError(
                "open_statements must list the open entries' contraindications and do-nots "
                "not in statements, each once"
            )
        return self

    @property
    def sections(self) -> tuple[str, ...]:
        """Sections in the form's order: of the questions asked, then of any entry beyond them."""
        found = [i.section for i in self.items] + [e.section for e in self.entries]
        return tuple(dict.fromkeys(found))

    def asked(self, item_id: str) -> AskedItem | None:
        """The question asked with this id, if the checklist carries it."""
        return next((i for i in self.items if i.id == item_id), None)

    def label(self, item_id: str) -> str:
        """The item's short label, or its id when the checklist (an old record) has none."""
        found = self.asked(item_id)
        return found.label if found else item_id

    def question(self, item_id: str) -> str:
        """The item's question, or its id when the checklist (an old record) has none."""
        found = self.asked(item_id)
        return found.question if found else item_id

    def answers_file(self) -> AnswersFile:
        """The answers file this checklist was made from: every answer given, in the form's
        order, the details, and the marks on its entries (an empty mark is no mark)."""
        return AnswersFile(
            answers={i.id: i.state for i in self.items if i.state != "not_assessed"},
            patient_reference=self.patient_reference,
            clinician=self.clinician,
            date=self.date,
            discussed={
                e.rule_id: DiscussedMark(done=e.done, note=e.note)
                for e in self.entries
                if e.done or e.note
            },
        )

    def in_rule_order(self, entries: Iterable[Entry]) -> list[Entry]:
        """These entries in the pack's rule order (`rule_order`); a rule it does not name, or
        every rule when it is empty, keeps the order given, after those it names."""
        place = {rule_id: n for n, rule_id in enumerate(self.rule_order)}
        return sorted(entries, key=lambda e: place.get(e.rule_id, len(place)))

    @property
    def cited(self) -> tuple[SourceRef, ...]:
        """Every source the entries cite, once each, in order of first citation."""
        return tuple({s.id: s for e in self.entries for s in e.sources}.values())


OPEN_TOP_STRENGTHS: tuple[SourceStrength, ...] = ("contraindication", "do-not")
"""The strengths the top block lists for open points; a mostly blank form leaves many open."""


def open_top_statements(entries: Iterable[Entry]) -> tuple[StatementRef, ...]:
    """The open entries' statements for the top block: contraindications and do-nots only,
    none already listed for a raised entry, once each, strongest first."""
    listed = list(entries)
    raised = set(ordered_statements(e for e in listed if not e.open_items))
    return tuple(
        s
        for s in ordered_statements(e for e in listed if e.open_items)
        if s.strength in OPEN_TOP_STRENGTHS and s not in raised
    )


def ordered_statements(entries: Iterable[Entry]) -> tuple[StatementRef, ...]:
    """Every entry's source statements once each: strongest first, then in entry order."""
    found = dict.fromkeys(s for e in entries for s in e.source_says)
    return tuple(sorted(found, key=lambda s: SOURCE_STRENGTHS.index(s.strength)))
