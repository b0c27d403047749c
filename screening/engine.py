"""Turn answers into a discussion checklist, every entry explained by rule, answers and sources."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from operator import itemgetter
from typing import Any

from screening.algebra import NOT_ASSESSED, OPEN_STATES, SETTLING, STATES, Tri, condition_items
from screening.answer_checks import answer_problems
from screening.catalogue import N_, Said
from screening.citations import cited_as
from screening.errors import AnswersError, Problem
from screening.language import DISCLAIMER
from screening.logic import (
    Evaluator,
    Outcome,
    ValueOf,
    answer_in_place,
    compiled,
    given_states,
    pack_visible_states,
    states_if_answered,
)
from screening.models import (
    OPEN_TOP_STRENGTHS,
    SOURCE_STRENGTHS,
    Answer,
    AnswersFile,
    AnswerState,
    AskedItem,
    Because,
    Checklist,
    DiscussedMark,
    Entry,
    Rule,
    RulePack,
    RuleSetRef,
    Source,
    SourceRef,
    StatementRef,
)
from screening.words import kind_rank, section_rank

NO_ENTRY_MARKED = N_("marked discussed, but this rule raises no checklist entry with these answers")


def evaluate(pack: RulePack, answers: AnswersFile, source: str = "answers") -> Checklist:
    """Evaluate every rule; raise `AnswersError` before anything is evaluated if answers are bad."""
    given = given_states(pack, answers.answers)
    states = pack_visible_states(pack, given)
    problems = answer_problems(pack, answers, source, states)
    if problems:
        raise AnswersError(problems)
    parts = _parts(pack)
    found = compiled(pack)
    deciding = _DecidingAnswers(pack, given, states)
    ranked: list[tuple[tuple[int, int], dict[str, Any], Entry | None]] = []
    for (rule, condition), value, (reads, memo) in zip(
        found.rules, found.values, parts.memo, strict=True
    ):
        pattern = reads(given)
        decided = memo.get(pattern, _UNDECIDED) if memo is not None else _UNDECIDED
        if decided is _UNDECIDED:
            decided = _decide(rule, condition, value, states, deciding=deciding, parts=parts)
            if memo is not None and parts.may_remember(memo):
                memo[pattern] = decided
        elif memo is not None and decided is not None and decided[2] is None:
            # Met a second time: worth the model, validated once and shared from now on.
            rank, entry, _ = decided
            decided = memo[pattern] = (rank, entry, Entry.model_validate(entry))
        if decided is not None:
            ranked.append(decided)
    # By section in form order, then by kind, so the screen, the PDF and the files agree;
    # the sort is stable, so rules of the same section and kind keep the pack's order.
    ranked.sort(key=itemgetter(0))
    entries = [entry for _, entry, _ in ranked]
    # One validation of plain data is several times faster than building each model in Python;
    # the parts made once per pack (`_Parts`) and the entries decided before go in as the
    # frozen models they are.
    return Checklist.model_validate(
        {
            "rule_set": parts.rule_set,
            "entries": _mark_discussed(ranked, answers, source),
            "statements": _statements([e for e in entries if not e["open_items"]]),
            "open_statements": _open_statements(entries),
            "not_assessed": [i for i, s in states.items() if s == NOT_ASSESSED],
            "disclaimer": DISCLAIMER,
            "patient_reference": answers.patient_reference,
            "clinician": answers.clinician,
            "date": answers.date,
            "items": [parts.asked[i, s] for i, s in states.items()],
            "rule_order": parts.rule_order,
            "rule_headlines": parts.rule_headlines,
        }
    )


def _statements(entries: list[dict[str, Any]]) -> list[StatementRef]:
    """The entries' statements once each, strongest first (`models.ordered_statements`).

    Equal statements are one shared object (`_Parts`), so each is found once by identity."""
    found = {id(s): s for e in entries for s in e["source_says"]}
    return sorted(found.values(), key=lambda s: SOURCE_STRENGTHS.index(s.strength))


def _open_statements(entries: list[dict[str, Any]]) -> list[StatementRef]:
    """The open entries' contraindications and do-nots for the top block, once each, none
    listed already for a raised entry (`models.open_top_statements`)."""
    raised = {id(s) for s in _statements([e for e in entries if not e["open_items"]])}
    return [
        s
        for s in _statements([e for e in entries if e["open_items"]])
        if s.strength in OPEN_TOP_STRENGTHS and id(s) not in raised
    ]


class _Parts:
    """What a checklist takes from the pack alone, made (and validated) once per pack and
    shared by every evaluation: the rule set, each rule's fixed fields and sources, each
    (item, answer) as `because` and `items` carry it, each rule's place in the order and its
    headline. The models are frozen, so sharing them is safe; `Checklist.model_validate`
    takes them as they are.
    """

    def __init__(self, pack: RulePack) -> None:
        self.rule_set = RuleSetRef(
            name=pack.meta.name,
            version=pack.meta.version,
            status=pack.meta.status,
            sha256=pack.sha256,
        )
        self.rule_order = tuple(rule.id for rule in pack.rules)
        self.rule_headlines = tuple((rule.id, rule.headline) for rule in pack.rules)
        sources = {s.id: SourceRef.model_validate(_source_ref(s)) for s in pack.sources}
        names = {s.id: s for s in pack.sources}
        section_order = section_rank(pack.sections)
        statements: dict[StatementRef, StatementRef] = {}  # equal statements share one object
        self.fixed: dict[str, dict[str, Any]] = {}
        self.rank: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
        for rule in pack.rules:
            self.fixed[rule.id] = {
                "rule_id": rule.id,
                "kind": rule.kind,
                "section": rule.section,
                "summary": rule.summary or "",
                "text": rule.text,
                "sources": tuple(sources[s] for s in rule.sources),
                "source_says": tuple(
                    statements.setdefault(ref, ref)
                    for ref in (
                        StatementRef(**said.model_dump(), cited_as=cited_as(names[said.source]))
                        for said in rule.source_says
                    )
                ),
                "rationale": rule.rationale,
            }
            section = section_order(rule.section)
            self.rank[rule.id] = (
                (section, kind_rank(rule.kind)),
                (section, kind_rank("verify")),
            )
        states = STATES
        self.because = {(i.id, s): Because(item=i.id, answer=s) for i in pack.items for s in states}
        self.asked = {
            (i.id, s): AskedItem(
                id=i.id, section=i.section, label=i.label, question=i.question, state=s
            )
            for i in pack.items
            for s in states
        }
        cyclic = compiled(pack).followers is None  # refused at load: nothing is remembered
        self.remembered = 0
        self.memo: tuple[tuple[Callable[..., Hashable], dict[Hashable, _Decided] | None], ...]
        self.memo = tuple(
            (_getter(_deciding_items(pack, rule)), None if cyclic else {}) for rule in pack.rules
        )
        """Per rule, in pack order: what picks the answers that decide its entry out of every
        item's state (`given_states`), and the entries decided so far by those answers."""

    def may_remember(self, memo: dict[Hashable, _Decided]) -> bool:
        """Whether one more entry may be remembered in this rule's memo: within its bound and
        the pack's, which keep memory small whatever the pack (a few KB an entry)."""
        if len(memo) >= MAX_PATTERNS_PER_RULE or self.remembered >= MAX_PATTERNS_PER_PACK:
            return False
        self.remembered += 1
        return True


_PARTS = "_checklist_parts"

MAX_PATTERNS_PER_RULE = 1024
"""How many patterns of answers each rule's entry is remembered for, per pack; a pattern
beyond them is decided afresh, as the first one was. The shipped pack's rules have at most
64 patterns each (448 in all: their items and the questions those hang on, 4 states each)."""
MAX_PATTERNS_PER_PACK = 16_384
"""How many entries a pack remembers in all, so memory stays bounded (tens of MB at most)
however many rules and items a pack has."""

_UNDECIDED: Any = object()

_Decided = tuple[tuple[int, int], dict[str, Any], Entry | None] | None
"""A rule's entry with its rank in the checklist's order, as plain data and, once the same
answers have met it again, as the model; None when the rule raises no entry."""


def _deciding_items(pack: RulePack, rule: Rule) -> tuple[str, ...]:
    """The items whose answers decide a rule's entry: those its condition reads and every
    question they hang on (through `asked_if`, at any depth), which decides whether they are
    asked. The entry, its open items and its "If yes / If no" are a function of these alone."""
    found: dict[str, None] = {}
    pending = list(condition_items(rule.when))
    while pending:
        item_id = pending.pop()
        if item_id in found or not pack.has_item(item_id):  # an unknown item is refused at load
            continue
        found[item_id] = None
        asked_if = pack.item(item_id).asked_if
        if asked_if is not None:
            pending += condition_items(asked_if)
    return tuple(sorted(found))


def _getter(items: tuple[str, ...]) -> Callable[[Mapping[str, AnswerState]], Hashable]:
    """A function picking these items' states out of all, as one hashable pattern."""
    if not items:
        return lambda _: ()
    return itemgetter(*items)


def _parts(pack: RulePack) -> _Parts:
    """The pack's shared parts, kept beside its compiled conditions (see `logic.compiled`)."""
    found = pack.__dict__.get(_PARTS)
    if not isinstance(found, _Parts):
        found = _Parts(pack)
        pack.__dict__[_PARTS] = found
    return found


def _source_ref(source: Source) -> dict[str, Any]:
    """A source as an entry carries it: everything a view prints (the PDF's References print
    the grade from format 4 on), nothing the pack keeps for the committee alone (note)."""
    fields = {"id", "citation", "doi", "url", "revised", "sections", "grade"}
    return source.model_dump(include=fields) | {"background": bool(source.background)}


def _mark_discussed(
    ranked: list[tuple[tuple[int, int], dict[str, Any], Entry | None]],
    answers: AnswersFile,
    source: str,
) -> list[Entry | dict[str, Any]]:
    """The entries with each mark copied onto its own; a mark for a rule that raises no entry
    is refused, as an answer to a question not asked is, so a file never claims a point that
    is not there."""
    raised = {str(entry["rule_id"]) for _, entry, _ in ranked}
    problems = [
        Problem(
            source,
            Said(NO_ENTRY_MARKED),
            ref=f"discussed.{rule_id}",
        )
        for rule_id in answers.discussed
        if rule_id not in raised
    ]
    if problems:
        raise AnswersError(problems)
    marks = answers.discussed
    return [
        entry | {"done": mark.done, "note": mark.note}
        if (mark := marks.get(entry["rule_id"])) is not None
        else entry
        if model is None
        else model
        for _, entry, model in ranked
    ]


def checklist_with_marks(
    checklist: Checklist, discussed: Mapping[str, DiscussedMark], source: str = "answers"
) -> Checklist:
    """The checklist carrying exactly these marks on its entries, folded in as data: what
    `evaluate` gives for the same answers with these marks, without evaluating again.

    A mark for a rule that raises no entry is refused, as `evaluate` refuses it.
    """
    raised = {entry.rule_id for entry in checklist.entries}
    problems = [
        Problem(
            source,
            Said(NO_ENTRY_MARKED),
            ref=f"discussed.{rule_id}",
        )
        for rule_id in discussed
        if rule_id not in raised
    ]
    if problems:
        raise AnswersError(problems)
    unmarked = DiscussedMark(done=False)
    entries = tuple(
        entry.model_copy(
            update={
                "done": discussed.get(entry.rule_id, unmarked).done,
                "note": discussed.get(entry.rule_id, unmarked).note,
            }
        )
        for entry in checklist.entries
    )
    return checklist.model_copy(update={"entries": entries})


class _DecidingAnswers:
    """Which answers to a not-yet-known item would raise a rule: "If yes", "If no".

    Each answer is tried as if given, follow-ups shown or hidden by it, with the rules' own
    three-valued condition. The states for an answer are derived from the evaluation's own
    states (`logic.answer_in_place`: only the item and the follow-ups hanging on it change),
    on one scratch copy that is put back after each try: no second visibility pass.
    """

    def __init__(
        self, pack: RulePack, given: Mapping[str, AnswerState], states: Mapping[str, AnswerState]
    ) -> None:
        self._pack = pack
        self._compiled = compiled(pack)
        self._given = given
        self._states = states
        self._scratch: dict[str, AnswerState] | None = None

    def raising(self, condition: ValueOf, item_id: str) -> tuple[Answer, ...]:
        """The deciding answers to `item_id` that would make the condition hold."""
        asked_if, followers = self._compiled.asked_if, self._compiled.followers
        if followers is None:  # a cycle (refused at load): whole passes
            return tuple(
                answer
                for answer in DECIDING_ANSWERS
                if condition(
                    states_if_answered(self._pack, self._given, self._states, item_id, answer)
                )
                is Tri.TRUE
            )
        if self._scratch is None:
            self._scratch = dict(self._states)
        scratch = self._scratch
        given = self._given
        found: list[Answer] = []
        for answer in DECIDING_ANSWERS:
            answer_in_place(
                scratch, item_id, answer, given=given, asked_if=asked_if, followers=followers
            )
            if condition(scratch) is Tri.TRUE:
                found.append(answer)
        back = given[item_id]  # the answer as given puts the scratch states back
        answer_in_place(scratch, item_id, back, given=given, asked_if=asked_if, followers=followers)
        return tuple(found)


DECIDING_ANSWERS: tuple[Answer, ...] = SETTLING
"""The answers that settle an open question; Unknown leaves it open (`algebra.ANSWER_TABLE`)."""


def _decide(
    rule: Rule,
    condition: Evaluator,
    value: ValueOf,
    states: Mapping[str, AnswerState],
    *,
    deciding: _DecidingAnswers,
    parts: _Parts,
) -> _Decided:
    """The entry a rule adds with these states, if any (see `_entry`), its "If yes / If no"
    included for a point left open by one item."""
    # Most rules are false for a given set of answers: their value alone says so.
    if value(states) is Tri.FALSE:
        return None
    rank, entry = _entry(rule, condition(states), states, parts)
    open_items = entry["open_items"]
    if len(open_items) == 1:
        entry["raised_if"] = deciding.raising(value, open_items[0])
    return rank, entry, None


def _entry(
    rule: Rule, outcome: Outcome, states: Mapping[str, AnswerState], parts: _Parts
) -> tuple[tuple[int, int], dict[str, Any]]:
    """The entry a rule that is not false adds, as plain data, with its rank in the
    checklist's order: its own kind when it holds, verify when open. An entry left open by
    one item gets its "If yes / If no" (`raised_if`) once every rule has been read."""
    because = parts.because
    entry = parts.fixed[rule.id] | {
        "because": [because[i, states[i]] for i in outcome.witnesses],
        "open_items": (),
    }
    held_rank, open_rank = parts.rank[rule.id]
    if outcome.value is Tri.TRUE:
        return held_rank, entry
    open_items = [i for i in outcome.witnesses if states[i] in OPEN_STATES]
    entry["kind"] = "verify"
    entry["open_items"] = open_items
    # An open point keeps its rule's text and what its sources say, as structure: each view
    # words it from its open items and `raised_if` ("Find out: ...? If yes: ...",
    # `open_entries`), so an Unknown is never silently read as No, in any language.
    entry["raised_if"] = ()
    return open_rank, entry
