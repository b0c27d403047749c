"""Turn answers into a discussion checklist, every entry explained by rule, answers and sources."""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from screening.answer_checks import answer_problems
from screening.citations import cited_as
from screening.errors import AnswersError, Problem
from screening.language import DISCLAIMER
from screening.logic import (
    Evaluator,
    Tri,
    answer_in_place,
    compiled,
    given_states,
    pack_visible_states,
    states_if_answered,
)
from screening.models import (
    ANSWERS,
    OPEN_TOP_STRENGTHS,
    SOURCE_STRENGTHS,
    Answer,
    AnswersFile,
    AnswerState,
    AskedItem,
    Because,
    Checklist,
    DiscussedMark,
    Rule,
    RulePack,
    RuleSetRef,
    Source,
    SourceRef,
    StatementRef,
)
from screening.open_entries import open_entry_text
from screening.words import kind_rank, section_rank


def evaluate(pack: RulePack, answers: AnswersFile, source: str = "answers") -> Checklist:
    """Evaluate every rule; raise `AnswersError` before anything is evaluated if answers are bad."""
    given = given_states(pack, answers.answers)
    states = pack_visible_states(pack, given)
    problems = answer_problems(pack, answers, source, states)
    if problems:
        raise AnswersError(problems)
    parts = _parts(pack)
    deciding = _DecidingAnswers(pack, given, states)
    ranked = [
        found
        for rule, condition in compiled(pack).rules
        if (found := _entry(pack, rule, condition, states, deciding=deciding, parts=parts))
    ]
    # By section in form order, then by kind, so the screen, the PDF and the files agree;
    # the sort is stable, so rules of the same section and kind keep the pack's order.
    ranked.sort(key=itemgetter(0))
    entries = [entry for _, entry in ranked]
    _mark_discussed(entries, answers, source)
    # One validation of plain data is several times faster than building each model in Python;
    # the parts made once per pack (`_Parts`) go in as the frozen models they are.
    return Checklist.model_validate(
        {
            "rule_set": parts.rule_set,
            "entries": entries,
            "statements": _statements([e for e in entries if not e["open_items"]]),
            "open_statements": _open_statements(entries),
            "not_assessed": [i for i, s in states.items() if s == "not_assessed"],
            "disclaimer": DISCLAIMER,
            "patient_reference": answers.patient_reference,
            "clinician": answers.clinician,
            "date": answers.date,
            "items": [parts.asked[i, s] for i, s in states.items()],
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
    (item, answer) as `because` and `items` carry it, and each rule's place in the order.
    The models are frozen, so sharing them is safe; `Checklist.model_validate` takes them
    as they are.
    """

    def __init__(self, pack: RulePack) -> None:
        self.rule_set = RuleSetRef(
            name=pack.meta.name,
            version=pack.meta.version,
            status=pack.meta.status,
            sha256=pack.sha256,
        )
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
        states: tuple[AnswerState, ...] = (*ANSWERS, "not_assessed")
        self.because = {(i.id, s): Because(item=i.id, answer=s) for i in pack.items for s in states}
        self.asked = {
            (i.id, s): AskedItem(
                id=i.id, section=i.section, label=i.label, question=i.question, state=s
            )
            for i in pack.items
            for s in states
        }
        self.labels = {i.id: i.label for i in pack.items}


_PARTS = "_checklist_parts"


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


def _mark_discussed(entries: list[dict[str, Any]], answers: AnswersFile, source: str) -> None:
    """Copy each mark onto its entry; a mark for a rule that raises no entry is refused, as an
    answer to a question not asked is, so a file never claims a point that is not there."""
    raised = {str(entry["rule_id"]): entry for entry in entries}
    problems = [
        Problem(
            source,
            "marked discussed, but this rule raises no checklist entry with these answers",
            ref=f"discussed.{rule_id}",
        )
        for rule_id in answers.discussed
        if rule_id not in raised
    ]
    if problems:
        raise AnswersError(problems)
    for rule_id, mark in answers.discussed.items():
        raised[rule_id]["done"] = mark.done
        raised[rule_id]["note"] = mark.note


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
            "marked discussed, but this rule raises no checklist entry with these answers",
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

    Each answer is tried as if given, follow-ups shown or hidden by it, with the rule's own
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

    def raising(self, condition: Evaluator, item_id: str) -> tuple[Answer, ...]:
        asked_if, followers = self._compiled.asked_if, self._compiled.followers
        if followers is None:  # a cycle (refused at load): whole passes
            return tuple(
                answer
                for answer in DECIDING_ANSWERS
                if condition(
                    states_if_answered(self._pack, self._given, self._states, item_id, answer)
                ).value
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
            if condition(scratch).value is Tri.TRUE:
                found.append(answer)
        back = given[item_id]  # the answer as given puts the scratch states back
        answer_in_place(scratch, item_id, back, given=given, asked_if=asked_if, followers=followers)
        return tuple(found)


DECIDING_ANSWERS: tuple[Answer, ...] = ("yes", "no")
"""The answers that settle an open question; Unknown leaves it open."""


def _entry(
    pack: RulePack,
    rule: Rule,
    condition: Evaluator,
    states: Mapping[str, AnswerState],
    *,
    deciding: _DecidingAnswers,
    parts: _Parts,
) -> tuple[tuple[int, int], dict[str, Any]] | None:
    """The entry a rule adds, as plain data, with its rank in the checklist's order: its own
    kind when it holds, verify when open."""
    outcome = condition(states)
    if outcome.value is Tri.FALSE:
        return None
    because = parts.because
    entry = parts.fixed[rule.id] | {
        "because": [because[i, states[i]] for i in outcome.witnesses],
        "open_items": (),
    }
    held_rank, open_rank = parts.rank[rule.id]
    if outcome.value is Tri.TRUE:
        return held_rank, entry
    open_items = [i for i in outcome.witnesses if states[i] in ("unknown", "not_assessed")]
    raising = deciding.raising(condition, open_items[0]) if len(open_items) == 1 else ()
    entry["kind"] = "verify"
    entry["open_items"] = open_items
    # An open point keeps what its sources say: an Unknown is never silently read as No.
    entry["raised_if"] = raising
    entry["rule_text"] = rule.text
    entry["text"] = open_entry_text([parts.labels[i] for i in open_items], raising, rule.headline)
    return open_rank, entry
