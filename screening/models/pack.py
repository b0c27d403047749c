"""The rule pack as typed data: conditions, sources, items, rules, and the pack itself.

Validated whole at load (`screening.pack.loader`), before anything is evaluated.
"""

from __future__ import annotations

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
    StringConstraints,
    Tag,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from screening.catalogue import N_
from screening.hidden import is_script_name
from screening.language import NO_VOCABULARY, Vocabulary
from screening.models.base import (
    KINDS,
    Answer,
    Identifier,
    Kind,
    Status,
    Text,
    _Frozen,
)
from screening.validation_words import custom_message

SUMMARY_MAX_CHARS = 100
"""A rule's summary is a headline: it must fit one line of a card, a PDF or a form."""

SUMMARY_VERBS: tuple[str, ...] = tuple(k.capitalize() for k in KINDS)
"""A summary opens with what the clinician is asked to do: Discuss, Verify, Arrange, Document."""


_ONE_LINE = custom_message(N_("must be one line; the full point goes in 'text'"))
_TOO_LONG = custom_message(
    N_("is {length} characters; at most {limit} fit a headline, the rest goes in 'text'")
)
_VERB_FIRST = custom_message(
    N_("must start with what the clinician is asked to do ({verbs}), then say what")
)
_NOT_IN_1_0 = custom_message(N_("is not part of a rule in pack schema 1.0"))
_NOT_A_SCRIPT = custom_message(
    N_("is not a Unicode script name (such as Latin, Greek, Cyrillic, Han)")
)
_NO_CONDITION_KEY = custom_message(
    N_("a condition needs one of the keys 'item' (with 'is'), 'all', 'any' or 'not'")
)


def _headline(value: str) -> str:
    """One line, verb first, at most `SUMMARY_MAX_CHARS`: a headline, never a paragraph."""
    if len(value.splitlines()) > 1:
        raise PydanticCustomError("summary", _ONE_LINE)
    if len(value) > SUMMARY_MAX_CHARS:
        raise PydanticCustomError(
            "summary",
            _TOO_LONG,
            {"length": len(value), "limit": SUMMARY_MAX_CHARS},
        )
    verb, _, rest = value.partition(" ")
    if verb not in SUMMARY_VERBS or not rest.strip():
        raise PydanticCustomError(
            "summary",
            _VERB_FIRST,
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
        custom_error_message=_NO_CONDITION_KEY,
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
        raise PydanticCustomError("summary", _NOT_IN_1_0)


class RuleWithoutSummary(Rule):
    """A rule of a pack of schema 1.0, written before rules had a summary."""

    summary: Annotated[None, BeforeValidator(_no_summary)] = None


def _script_name(value: str) -> str:
    if not is_script_name(value):
        raise PydanticCustomError("script", _NOT_A_SCRIPT)
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
