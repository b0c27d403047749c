"""Typed data of the screening core: the rule pack, the answers, and the checklist.

Every model is frozen and refuses unknown fields, so a typo in a rule file or an
answers file is an error the reviewer sees, never a field silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StringConstraints,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from screening.errors import Problem
from screening.language import NO_VOCABULARY, Vocabulary, is_script_name

Answer = Literal["yes", "no", "unknown"]
"""What a clinician can answer to an item."""

AnswerState = Literal["yes", "no", "unknown", "not_assessed"]
"""An item's state during evaluation: an answer, or `not_assessed` when asked but unanswered."""

Kind = Literal["discuss", "verify", "arrange", "document"]
"""What the clinician is asked to do about an entry."""

KINDS: tuple[Kind, ...] = get_args(Kind)
"""The kinds in the order a checklist lists them within a section."""

ANSWERS: tuple[Answer, ...] = get_args(Answer)
"""The answers a question takes, in the order a form offers them."""

Status = Literal["draft", "in_review", "approved", "retired"]

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", min_length=1, max_length=80),
]
"""Stable ids: lower case, digits, `_` and `-`, so they survive JSON, URLs and filenames."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


SUMMARY_MAX_CHARS = 100
"""A rule's summary is a headline: it must fit one line of a card, a PDF or a form."""

SUMMARY_VERBS: tuple[str, ...] = tuple(k.capitalize() for k in KINDS)
"""A summary opens with what the clinician is asked to do: Discuss, Verify, Arrange, Document."""


def _headline(value: str) -> str:
    """One line, verb first, at most `SUMMARY_MAX_CHARS`: a headline, never a paragraph."""
    if len(value.splitlines()) > 1:
        raise PydanticCustomError("summary", "must be one line; the full point goes in 'text'")
    if len(value) > SUMMARY_MAX_CHARS:
        raise PydanticCustomError(
            "summary",
            "is {length} characters; at most {limit} fit a headline, the rest goes in 'text'",
            {"length": len(value), "limit": SUMMARY_MAX_CHARS},
        )
    verb, _, rest = value.partition(" ")
    if verb not in SUMMARY_VERBS or not rest.strip():
        raise PydanticCustomError(
            "summary",
            "must start with what the clinician is asked to do ({verbs}), then say what",
            {"verbs": ", ".join(SUMMARY_VERBS)},
        )
    return value


Summary = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_headline),
    Field(
        description=f"The entry's headline: one line, verb first, at most {SUMMARY_MAX_CHARS} "
        "characters.",
        json_schema_extra={
            "maxLength": SUMMARY_MAX_CHARS,
            "pattern": rf"^\s*(?:{'|'.join(SUMMARY_VERBS)}) [^\n\r]*\S[^\n\r]*\s*$",
        },
    ),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _as_list(value: Any) -> Any:
    """`is: yes` is shorthand for `is: [yes]`; one shape keeps errors to one per mistake."""
    return value if isinstance(value, list) else [value]


class ItemIs(_Frozen):
    """Leaf condition: the item's answer is one of the given values."""

    item: Identifier
    is_: Annotated[
        list[Answer],
        Field(min_length=1),
        BeforeValidator(_as_list, json_schema_input_type=Answer | list[Answer]),
    ] = Field(alias="is")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def values(self) -> tuple[Answer, ...]:
        return tuple(self.is_)


class AllOf(_Frozen):
    """Holds when every part holds."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(_Frozen):
    """Holds when at least one part holds."""

    any: list[Condition] = Field(min_length=1)


class NotOf(_Frozen):
    """Holds when its part does not hold."""

    not_: Condition = Field(alias="not")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


_CONDITION_KEYS = ("item", "all", "any", "not")


def condition_tag(value: Any) -> str | None:
    """Pick the condition's form from the key it uses, so errors point inside that form."""
    if isinstance(value, dict):
        for key in _CONDITION_KEYS:
            if key in value:
                return key
        return None
    if isinstance(value, BaseModel):
        return {ItemIs: "item", AllOf: "all", AnyOf: "any", NotOf: "not"}.get(type(value))
    return None


Condition = Annotated[
    Annotated[ItemIs, Tag("item")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(
        condition_tag,
        custom_error_type="condition",
        custom_error_message=(
            "a condition needs one of the keys 'item' (with 'is'), 'all', 'any' or 'not'"
        ),
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class Source(_Frozen):
    """A reference that rules and items may cite, pinned so a committee can check it."""

    id: Identifier
    citation: Text
    doi: str | None = None
    url: str | None = None
    revised: Text | None = Field(
        default=None, description="For prescribing information: the label revision relied on."
    )
    sections: list[Text] | None = Field(
        default=None, min_length=1, description="The sections of the source the pack relies on."
    )
    grade: str | None = None
    note: str | None = None
    background: bool | None = Field(
        default=None,
        description="Background reading (a lay overview): may stand beside a guideline or "
        "label, never alone behind a rule.",
    )
    short_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None
    ) = Field(
        default=None,
        description='What a statement quoted from the source is attributed to ("The ketamine '
        'label"); when absent, a short form of the citation.',
    )


class Item(_Frozen):
    """One yes / no / unknown question on the form."""

    id: Identifier
    section: Text
    label: Text = Field(description="Short noun phrase used when conditions are read aloud.")
    question: Text
    help: Text
    sources: list[Identifier] = Field(min_length=1)
    asked_if: Condition | None = None


SourceStrength = Literal["contraindication", "do-not", "should-not", "caution"]
"""How strongly a source states what it says: a contraindication, a "do not", a "should not
be used", or a caution. The source's own wording, never the pack's judgement of a patient."""

SOURCE_STRENGTHS: tuple[SourceStrength, ...] = get_args(SourceStrength)
"""The strengths, strongest first: the order a checklist lists statements in."""

STATEMENT_MAX_CHARS = 400
"""A source statement is a sentence or two quoted from the source, not a passage."""

MAX_STATEMENTS_PER_RULE = 8
"""Statements one rule may carry: each point quotes a few, never a section of the label."""


class SourceStatement(_Frozen):
    """What one of a rule's own sources itself says about the point, in its own words.

    Information with its citation, shown attributed ("The ketamine label (4 Contraindications):
    ..."); never combined into any statement about the patient.
    """

    source: Identifier = Field(description="The source that says it: one of the rule's sources.")
    section: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    strength: SourceStrength
    statement: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=STATEMENT_MAX_CHARS),
        Field(description="The source's own words, quoted."),
    ]


class Rule(_Frozen):
    """When its condition holds, a rule puts one entry on the checklist.

    Its summary is required by the current pack schema (`SummarisedRule`); a pack of schema
    1.0, read only to verify the PDFs it made, has none (`RuleWithoutSummary`).
    """

    id: Identifier
    section: Text
    kind: Kind
    when: Condition
    summary: Summary | None = None
    text: Text
    rationale: Text
    sources: list[Identifier] = Field(min_length=1)
    source_says: tuple[SourceStatement, ...] = Field(
        default=(),
        max_length=MAX_STATEMENTS_PER_RULE,
        description="What the rule's own sources state about the point (a contraindication, "
        "a do-not, a should-not, a caution), each in the source's words, with where it says it.",
    )

    @model_serializer(mode="wrap")
    def _without_empty_statements(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A rule that quotes no source dumps as it always has, so every pack's sha256 stays."""
        data = handler(self)
        if isinstance(data, dict) and not self.source_says:
            data.pop("source_says", None)
        return data

    @property
    def headline(self) -> str:
        """What the rule would raise, in one line: its summary, or its text if it has none."""
        return self.text if self.summary is None else self.summary


class SummarisedRule(Rule):
    """When its condition holds, a rule puts one entry on the checklist."""

    model_config = ConfigDict(title="Rule")
    summary: Summary


def _no_summary(value: Any) -> None:
    if value is not None:
        raise PydanticCustomError("summary", "is not part of a rule in pack schema 1.0")


class RuleWithoutSummary(Rule):
    """A rule of a pack of schema 1.0, written before rules had a summary."""

    summary: Annotated[None, BeforeValidator(_no_summary)] = None


def _script_name(value: str) -> str:
    if not is_script_name(value):
        raise PydanticCustomError(
            "script", "is not a Unicode script name (such as Latin, Greek, Cyrillic, Han)"
        )
    return value


class PackMeta(_Frozen):
    """Provenance of a rule pack, as a committee approves it."""

    name: Text
    version: Text
    status: Status
    date: Text
    reviewers: list[Text] = Field(default_factory=list)
    description: str | None = None
    scripts: list[Annotated[str, AfterValidator(_script_name)]] | None = Field(
        default=None,
        min_length=1,
        description="The Unicode scripts the pack's texts are written in; Latin when not given.",
    )


PackSchema = Literal["1.0", "1.1"]
"""What a pack's files must hold. 1.1 (screening 0.3.0 on): every rule has a summary, and the
wording guard refuses gatekeeping phrases. 1.0 (screening 0.1.0 and 0.2.0): no summaries, and
gatekeeping phrases not yet refused. Everything else is the same in both."""

CURRENT_PACK_SCHEMA: PackSchema = "1.1"
"""The schema `check`, the app and every command but `verify` read a pack by."""


class RulePack(_Frozen):
    """A validated rule pack. Only the loader builds one, after every check has passed."""

    meta: PackMeta
    sources: tuple[Source, ...]
    items: tuple[Item, ...]
    rules: tuple[Rule, ...]
    sha256: str
    pack_schema: PackSchema = Field(
        default=CURRENT_PACK_SCHEMA,
        description="The schema the pack was read by; not part of its content or its sha256.",
    )
    vocabulary: Vocabulary = Field(
        default=NO_VOCABULARY,
        description="The committee's verdict and gatekeeping vocabulary (vocabulary.yaml): what "
        "the guard refuses, not what a checklist says, so not part of the sha256.",
    )

    def __getstate__(self) -> dict[Any, Any]:
        """Pickled (to cross a process boundary) without the indexes below and the conditions
        `logic.compiled` keeps beside them, which cannot be pickled and are rebuilt on use."""
        state = super().__getstate__()
        fields = type(self).model_fields
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k in fields}
        return state

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        """Indexed once: evaluation looks items and sources up for every entry."""
        return {i.id: i for i in self.items}

    @cached_property
    def _sources_by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    def item(self, item_id: str) -> Item:
        return self._items_by_id[item_id]

    def source(self, source_id: str) -> Source:
        return self._sources_by_id[source_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._items_by_id

    @property
    def sections(self) -> tuple[str, ...]:
        """Sections in the order the items file introduces them."""
        return tuple(dict.fromkeys(i.section for i in self.items))


MIN_YEAR = 1900
MAX_YEAR = 2999
"""Dates run from 1900 (the PDF's date format) to 2999 (the form's date picker)."""

FREE_TEXT_MAX_LENGTH = 200
FreeText = Annotated[str, StringConstraints(max_length=FREE_TEXT_MAX_LENGTH)]
"""A reference or a name, not a note: long text has no place on the checklist's header."""


NOTE_MAX_LENGTH = 500
"""The longest note a discussed mark may carry: a line or two, not a clinical letter."""

Note = Annotated[str, StringConstraints(max_length=NOTE_MAX_LENGTH)]


class DiscussedMark(_Frozen):
    """What the clinician marked on one checklist entry: done or not, and an optional note."""

    done: StrictBool
    note: Note | None = None


class AnswersFile(_Frozen):
    """The answers a clinician gave; the public shape of an answers JSON file."""

    answers: dict[str, Answer] = Field(default_factory=dict)
    patient_reference: FreeText | None = None
    clinician: FreeText | None = None
    date: str | None = None
    discussed: dict[str, DiscussedMark] = Field(
        default_factory=dict,
        description="Marks by rule id; a rule must raise an entry with these answers.",
    )

    @model_serializer(mode="wrap")
    def _without_empty_marks(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Answers with no marks save as they always have, so older readers still take them."""
        data = handler(self)
        if isinstance(data, dict) and not self.discussed:
            data.pop("discussed", None)
        return data

    @field_validator("date")
    @classmethod
    def _calendar_date(cls, value: str | None) -> str | None:
        """One date rule for every export: the PDF's metadata needs a 4-digit year from 1900."""
        if value is not None:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError
                year = date.fromisoformat(value).year
                if year < MIN_YEAR:
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f"must be a calendar date from {MIN_YEAR} on, written YYYY-MM-DD"
                ) from None
            if year > MAX_YEAR:
                raise ValueError(f"must be no later than {MAX_YEAR}-12-31")
        return value

    def questionnaire_problems(self, pack: RulePack, source: str) -> list[Problem]:
        """Why these answers were given to another questionnaire than `pack`'s: never, for an
        answers file (a QuestionnaireResponse's answers, `screening.fhir.response`, say)."""
        del pack, source
        return []


def free_texts(answers: AnswersFile) -> dict[str, str | None]:
    """The free text of an answers file, by the name a reader knows each by."""
    return {
        "patient reference": answers.patient_reference,
        "clinician": answers.clinician,
        **{f"note on {rule_id}": mark.note for rule_id, mark in answers.discussed.items()},
    }


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
    text: str
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
    rule_text: str = Field(
        default="",
        description="For an open entry: the rule's own text, what the point says if its "
        "question is answered so that it raises it; empty for a raised entry, whose text is "
        "the rule's, and in records made before 0.4.0.",
    )

    @model_serializer(mode="wrap")
    def _without_empty_rule_text(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A raised entry dumps as before 0.4.0, so an older record's fingerprint stays."""
        data = handler(self)
        if isinstance(data, dict) and not self.rule_text:
            data.pop("rule_text", None)
        return data

    @property
    def if_applies(self) -> str:
        """What the point says if it is raised: the rule's own text, for an open entry too."""
        return self.rule_text or self.text


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
