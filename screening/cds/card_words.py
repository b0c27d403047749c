"""The words a CDS card takes from its rule, kept per language as text and as JSON.

A per-point card's rule words (its heading, the rule's text, what the sources say, the
sources) and an open point's words with one question open (made when the service starts,
`prepare_cards`) are pack and catalogue words, never anything a call brings: kept, a call
only words its answers and joins the pieces (`screening.cds.cards`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations
from json.encoder import encode_basestring
from typing import Any

from screening.algebra import IF_ANSWERED, condition_items
from screening.catalogue import N_, _, active_language
from screening.citations import source_markdown
from screening.describe import item_list
from screening.fhir.questionnaire import DEFAULT_BASE, check_base, questionnaire_id_of
from screening.markdown import md_escape
from screening.models import (
    Answer,
    Checklist,
    Entry,
    RulePack,
    RuleSetRef,
    SourceRef,
    StatementRef,
)
from screening.open_entries import entry_headline, entry_text, open_entry_text
from screening.statements import (
    ABSENT_POINT_NOTE,
    STATEMENTS_HEADING,
    statement_text,
)
from screening.words import (
    ANSWER_WORDS,
    KIND_WORDS,
    NO_ANSWER_NEEDED,
    STATUS_WARNINGS,
    answers_behind,
)

MAX_SUMMARY = 139
"""CDS Hooks wants a card's summary under 140 characters."""

SHORT_OPEN_PREFIX = N_("Find out. ")
"""Starts an open entry's summary when its full wording is too long for a card (shown with
`_`, in the language of the render)."""


def topic_system(pack_name: str, base: str = DEFAULT_BASE) -> str:
    """The CodeSystem of the cards' topics, named from the pack's name: each rule id is a
    code, as is `SUMMARY_CODE`."""
    return f"{check_base(base)}/CodeSystem/{questionnaire_id_of(pack_name)}-rules"


@dataclass(frozen=True)
class FromRecord:
    """An answer taken from the patient's record: which item, and the coded data behind it."""

    item: str
    label: str
    display: str
    resource: str
    date: str | None

    def words(self) -> str:
        when = f", {self.date}" if self.date else ""
        return _("{label} = Yes, from the record: {display} ({resource}{when})").format(
            label=self.label, display=self.display, resource=self.resource, when=when
        )


def rule_set_label(rule_set: RuleSetRef) -> str:
    return f"{rule_set.name} {rule_set.version} ({rule_set.status})"


@dataclass(frozen=True, slots=True)
class Piece:
    """Words of a card kept per language and rule: as text, and as they read inside a JSON
    string (UTF-8)."""

    text: str
    json: bytes


def json_inner(text: str) -> bytes:
    """`text` as it reads inside a JSON string written by `json.dumps(..., ensure_ascii=False)`
    (Starlette's `JSONResponse`), UTF-8. Escaping goes character by character, so pieces
    escaped apart join into the whole escaped at once."""
    return encode_basestring(text)[1:-1].encode("utf-8")


def piece(text: str) -> Piece:
    return Piece(text, json_inner(text))


def text_of(part: str | Piece) -> str:
    return part.text if isinstance(part, Piece) else part


@dataclass(frozen=True, slots=True)
class _RuleCard:
    """A card's words from its rule alone, in one language, the same for every call: pack
    words only, never an answer. `sources` and `source_says` are the entry's, to tell a rule
    of another pack with the same id and words from this one."""

    sources: tuple[SourceRef, ...]
    source_says: tuple[StatementRef, ...]
    summary: Piece
    """A raised entry's summary."""
    raised: Piece
    """A raised entry's detail up to its answers: the status warning, the heading, the rule's
    text escaped as a block, what the sources say."""
    opening: Piece
    """An open entry's detail before its text: the status warning and the heading."""
    if_applies: Piece
    """An open entry's detail after its text: what the sources say, the rule's text."""
    tail: Piece
    """A card not shown, why it matters, the sources."""
    topic: tuple[str, str]
    """The topic's code and display."""
    source_json: bytes


@dataclass(frozen=True, slots=True)
class _OpenWords:
    """What an open point says of itself: its summary, its text escaped as a block, what is
    still to find out (after a blank line)."""

    summary: Piece
    text: Piece
    still: Piece


_RULE_CACHE = 4096
"""Rules' worded cards kept (per language, base and rule set): the shipped pack has about 50."""


class _RuleCards:
    """Every rule's `_RuleCard` of one rule set, in one language and base, worded when first
    shown, and the sentences every card of that language shares."""

    def __init__(self, language: str, base: str, rule_set: RuleSetRef) -> None:
        self.label = rule_set_label(rule_set)
        self.system = topic_system(rule_set.name, base)
        self.warning = warning_lines(language, rule_set.status)  # a card may be shown alone
        self.cards: dict[tuple[str, str, str, str, str], _RuleCard] = {}
        self.answers_line = "\n\n" + _("**Answers that raised it:** {answers}")
        self.still_line = "\n\n" + _(
            "**Still to find out:** {questions}. Unknown or unanswered is never read as No."
        )
        self.no_answer_needed = md_escape(_(NO_ANSWER_NEEDED))
        self.answer_words = {state: plain_escaped(words) for state, words in ANSWER_WORDS.items()}
        self.plain_open = _plain_open_shapes()
        self.prepared: dict[tuple[str, str, tuple[Answer, ...]], _OpenWords] = {}

    def of(self, entry: Entry) -> _RuleCard:
        key = (entry.rule_id, entry.kind, entry.summary, entry.text, entry.rationale)
        card = self.cards.get(key)
        if card is None or card.sources != entry.sources or card.source_says != entry.source_says:
            if len(self.cards) >= _RULE_CACHE:
                self.cards.clear()
            card = self.cards[key] = self._worded(entry)
        return card

    def source(self, entry: Entry) -> dict[str, Any]:
        """The card's `source`, a new object for each card."""
        code, display = self.of(entry).topic
        return {
            "label": self.label,
            "topic": {"system": self.system, "code": code, "display": display},
        }

    def answers_escaped(
        self, checklist: Checklist, entry: Entry, label: Callable[[str], str]
    ) -> str:
        """`md_escape(answers_behind(...))`, put together from each label and answer escaped
        once (`plain_escaped`): the same text, as escaping plain words goes word by word."""
        parts = []
        for because in entry.because:
            name, word = plain_escaped(label(because.item)), self.answer_words[because.answer]
            if name is None or word is None:
                return md_escape(answers_behind(checklist, entry, label))
            parts.append(f"{name} = {word}")
        return "; ".join(parts) or self.no_answer_needed

    def open_words(self, entry: Entry, label: Callable[[str], str]) -> _OpenWords:
        """An open entry's words: made before the first call for one question open
        (`prepare_cards`), else worded now and not kept (which questions are open comes
        from a patient's answers)."""
        if len(entry.open_items) == 1:
            key = (entry.summary or entry.text, label(entry.open_items[0]), entry.raised_if)
            made = self.prepared.get(key)
            if made is not None:
                return made
        return self._open_words(entry, label)

    def prepare(self, pack: RulePack) -> None:
        """Word every open point of `pack` with one question open (each question its
        condition reads, each set of answers that could raise it) before any call."""
        settling = tuple(IF_ANSWERED)
        raising: list[tuple[Answer, ...]] = [
            (),
            *((a,) for a in settling),
            *permutations(settling, 2),
        ]
        labels = {i.id: i.label for i in pack.items}
        label: Callable[[str], str] = labels.__getitem__
        for rule in pack.rules:
            for item in condition_items(rule.when):
                for answers in raising:
                    entry = Entry(
                        rule_id=rule.id,
                        kind=rule.kind,
                        section=rule.section,
                        summary=rule.summary or "",
                        text=rule.text,
                        because=(),
                        open_items=(item,),
                        raised_if=answers,
                        sources=(),
                        rationale=rule.rationale,
                    )
                    key = (entry.summary or entry.text, label(item), answers)
                    self.prepared[key] = self._open_words(entry, label)

    def _open_words(self, entry: Entry, label: Callable[[str], str]) -> _OpenWords:
        """The entry's words as the checklist words them, in the language of the render
        (`label` naming its questions): what to find out and what the answer would raise,
        shortened to its headline when too long for a summary."""
        text = entry_text(entry, label)  # worded once, for the summary and the detail
        summary = text if len(text) <= MAX_SUMMARY else _(SHORT_OPEN_PREFIX) + entry_headline(entry)
        questions = [label(i) for i in entry.open_items]
        one = plain_escaped(questions[0]) if len(questions) == 1 else None
        still = self.still_line.format(questions=one or md_escape(item_list(questions)))
        return _OpenWords(
            summary=piece(summary),
            text=piece(self.open_text(entry, questions, text)),
            still=piece(still),
        )

    def open_text(self, entry: Entry, questions: list[str], text: str) -> str:
        """`md_escape(text, block=True)` of an open entry's `entry_text`: the text itself when
        its sentence has no Markdown in this language (`_plain_open_shapes`), its questions and
        the rule's headline are plain words with none either, and it starts no block."""
        headline = entry.summary or entry.text  # what an open entry's text ends with
        plain = (
            (len(questions), entry.raised_if) in self.plain_open
            and not text[:1].isdigit()
            and text[:1] not in _BLOCK_STARTS
            and plain_escaped(headline) == headline
            and all(plain_escaped(q) == q for q in questions)
        )
        return text if plain else md_escape(text, block=True)

    def _worded(self, entry: Entry) -> _RuleCard:
        head = _("**{kind}** (rule {rule})").format(
            kind=KIND_WORDS[entry.kind], rule=f"`{entry.rule_id}`"
        )
        says: list[str] = []
        if entry.source_says:
            says += ["", f"**{_(STATEMENTS_HEADING)}:**", ""]
            says += [f"- {md_escape(statement_text(s))}" for s in entry.source_says]
        # Each card may be shown alone, so each says what a card not shown means.
        tail = ["", f"*{md_escape(_(ABSENT_POINT_NOTE))}*"]
        why = _("**Why it matters:** {rationale}").format(rationale=md_escape(entry.rationale))
        tail += ["", why, "", _("**Sources**"), ""]
        tail += [f"- {source_markdown(s)}" for s in entry.sources]
        if_applies = _("**If it applies:** {text}").format(text=escaped(entry.text))
        opening = "\n".join([*self.warning, head, "", ""])
        said = "".join(f"\n{line}" for line in says)
        topic = (entry.rule_id, KIND_WORDS[entry.kind])
        source = {
            "label": self.label,
            "topic": {"system": self.system, "code": topic[0], "display": topic[1]},
        }
        return _RuleCard(
            sources=entry.sources,
            source_says=entry.source_says,
            summary=piece(entry.summary or entry.text),
            raised=piece(opening + escaped_block(entry.text) + said),
            opening=piece(opening),
            if_applies=piece(f"{said}\n\n{if_applies}"),
            tail=piece("".join(f"\n{line}" for line in tail)),
            topic=topic,
            source_json=json.dumps(source, ensure_ascii=False, separators=(",", ":")).encode(),
        )


_BLOCK_STARTS = "#>+=-"
"""What makes a line a heading, a quote or a list item (`md_escape`, `block`), as do digits."""

_OPEN_QUESTIONS_PROBED = 6
"""Open points of up to this many questions are worded without escaping, when they may be."""


def _plain_open_shapes() -> frozenset[tuple[int, tuple[Answer, ...]]]:
    """The shapes of an open point (how many questions are open, which answers would raise
    it) whose sentence in the active language holds no Markdown and starts no block: worded
    from plain words, with no Markdown, its text reads the same escaped. Every shape probed,
    from the catalogue alone."""
    settling = tuple(IF_ANSWERED)
    raising = [(), *((a,) for a in settling), *permutations(settling, 2)]
    shapes = set()
    for n in range(1, _OPEN_QUESTIONS_PROBED + 1):
        for answers in raising:
            probe = open_entry_text(["a"] * n, answers, "b")
            if md_escape(probe, block=True) == probe:
                shapes.add((n, answers))
    return frozenset(shapes)


@lru_cache(maxsize=_RULE_CACHE)
def plain_escaped(text: str) -> str | None:
    """`md_escape` of a label or an answer's words (pack and catalogue words, never an answer)
    when they are plain: not empty, printable, single spaces between words. Plain words
    escaped apart and joined with plain separators read as the whole escaped at once; None
    for any other text, which is escaped whole."""
    plain = text.isprintable() and " ".join(text.split()) == text and text != ""
    return md_escape(text) if plain else None


_RULE_SETS: dict[tuple[str, str, str, str, str], _RuleCards] = {}


def rule_cards(language: str, base: str, rule_set: RuleSetRef) -> _RuleCards:
    """The rule cards of a rule set in `language` (the active one) and `base`, kept for the
    next call (a few rule sets at most: packs and languages a process serves)."""
    key = (language, base, rule_set.name, rule_set.version, rule_set.status)
    cards = _RULE_SETS.get(key)
    if cards is None:
        if len(_RULE_SETS) >= 64:
            _RULE_SETS.clear()
        cards = _RULE_SETS[key] = _RuleCards(language, base, rule_set)
    return cards


def prepare_cards(pack: RulePack, base: str = DEFAULT_BASE) -> None:
    """Word the per-point cards' open points of `pack` in the active language before the
    first call (`_RuleCards.prepare`): a service calls it once, at start."""
    meta = pack.meta
    rule_set = RuleSetRef(
        name=meta.name, version=meta.version, status=meta.status, sha256=pack.sha256
    )
    rule_cards(active_language(), base, rule_set).prepare(pack)


def card_words(
    checklist: Checklist,
    entry: Entry,
    rules: _RuleCards,
    label: Callable[[str], str],
    from_record: Sequence[FromRecord],
) -> tuple[_RuleCard, str | Piece, list[str | Piece]]:
    """A card's rule words, its summary and the parts of its detail, the rule's own words as
    kept pieces: what to do, the answers behind it, what is open, the sources, the answers
    taken from the record. An open entry reads as the checklist words it, what to find out
    and what the answer would raise (in the language of the render, `label` naming its
    questions), shortened to its headline when too long for a summary."""
    rule = rules.of(entry)
    answers = rules.answers_line.format(answers=rules.answers_escaped(checklist, entry, label))
    if entry.open_items:
        words = rules.open_words(entry, label)
        summary: str | Piece = words.summary
        detail: list[str | Piece] = [
            rule.opening,
            words.text,
            rule.if_applies,
            answers,
            words.still,
            rule.tail,
        ]
    else:
        summary = rule.summary
        detail = [rule.raised, answers, rule.tail]
    behind = {b.item for b in entry.because} if from_record else set()
    taken = [f.words() for f in from_record if f.item in behind]
    if taken:
        heading = _("**From the record** (confirm with the patient):")
        detail.append(f"\n\n{heading}\n\n" + "\n".join(f"- {md_escape(t)}" for t in taken))
    return rule, summary, detail


@lru_cache(maxsize=64)
def warning_lines(language: str, status: str) -> tuple[str, ...]:
    """The lines a card opens with for a pack of this status, in `language` (the active one,
    part of the key): the warning and a blank line, or none for an approved pack."""
    lines = tuple(f"**{md_escape(w)}**" for n, w in STATUS_WARNINGS.items() if n == status)
    return (*lines, "") if lines else ()


@lru_cache(maxsize=_RULE_CACHE)
def escaped(text: str) -> str:
    """`md_escape` of the pack's own words (a rule's text or headline, a statement), which
    every call repeats; never of words made from an answer."""
    return md_escape(text)


@lru_cache(maxsize=_RULE_CACHE)
def escaped_block(text: str) -> str:
    """`md_escape(..., block=True)` of a rule's own text, which every call repeats."""
    return md_escape(text, block=True)
