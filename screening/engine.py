"""Turn answers into a discussion checklist, every entry explained by rule, answers and sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from screening.answers import answer_problems
from screening.citations import cited_as
from screening.errors import AnswersError, Problem
from screening.language import DISCLAIMER
from screening.logic import Evaluator, Tri, asked_states, compiled
from screening.models import (
    SOURCE_STRENGTHS,
    Answer,
    AnswersFile,
    AnswerState,
    Checklist,
    Rule,
    RulePack,
    Source,
)
from screening.open_entries import open_entry_text
from screening.words import kind_rank, section_rank


def evaluate(pack: RulePack, answers: AnswersFile, source: str = "answers") -> Checklist:
    """Evaluate every rule; raise `AnswersError` before anything is evaluated if answers are bad."""
    states = asked_states(pack, answers.answers)
    problems = answer_problems(pack, answers, source, states)
    if problems:
        raise AnswersError(problems)
    section_order = section_rank(pack.sections)
    deciding = _DecidingAnswers(pack, answers.answers)
    sources = {s.id: _source_ref(s) for s in pack.sources}
    names = {s.id: cited_as(s) for s in pack.sources}
    entries = [
        entry
        for rule, condition in compiled(pack).rules
        if (
            entry := _entry(
                pack, rule, condition, states, deciding=deciding, sources=sources, names=names
            )
        )
    ]

    # By section in form order, then by kind, so the screen, the PDF and the files agree.
    entries.sort(key=lambda e: (section_order(str(e["section"])), kind_rank(e["kind"])))
    _mark_discussed(entries, answers, source)
    # One validation of plain data is several times faster than building each model in Python.
    return Checklist.model_validate(
        {
            "rule_set": {
                "name": pack.meta.name,
                "version": pack.meta.version,
                "status": pack.meta.status,
                "sha256": pack.sha256,
            },
            "entries": entries,
            "statements": _statements(entries),
            "not_assessed": [i for i, s in states.items() if s == "not_assessed"],
            "disclaimer": DISCLAIMER,
            "patient_reference": answers.patient_reference,
            "clinician": answers.clinician,
            "date": answers.date,
            "items": [
                {
                    "id": item.id,
                    "section": item.section,
                    "label": item.label,
                    "question": item.question,
                    "state": states[item.id],
                }
                for item in pack.items
                if item.id in states
            ],
        }
    )


def _statements(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries' statements once each, strongest first (`models.ordered_statements`)."""
    found = {tuple(sorted(s.items())): s for e in entries for s in e["source_says"]}
    return sorted(found.values(), key=lambda s: SOURCE_STRENGTHS.index(s["strength"]))


def _source_ref(source: Source) -> dict[str, Any]:
    """A source as an entry carries it: everything a view prints, nothing the pack keeps for
    the committee alone (grade, note)."""
    return source.model_dump(include={"id", "citation", "doi", "url", "revised", "sections"}) | {
        "background": bool(source.background)
    }


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


class _DecidingAnswers:
    """Which answers to a not-yet-known item would raise a rule: "If yes", "If no".

    Each answer is tried as if given, follow-ups shown or hidden by it, with the rule's own
    three-valued condition; the states for each (item, answer) are worked out once per
    evaluation, as several open entries often wait on the same question.
    """

    def __init__(self, pack: RulePack, answers: Mapping[str, Answer]) -> None:
        self._pack = pack
        self._answers = answers
        self._states: dict[tuple[str, Answer], dict[str, AnswerState]] = {}

    def raising(self, condition: Evaluator, item_id: str) -> tuple[Answer, ...]:
        found: list[Answer] = []
        for answer in DECIDING_ANSWERS:
            key = (item_id, answer)
            if key not in self._states:
                self._states[key] = asked_states(self._pack, {**self._answers, item_id: answer})
            if condition(self._states[key]).value is Tri.TRUE:
                found.append(answer)
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
    sources: Mapping[str, dict[str, Any]],
    names: Mapping[str, str],
) -> dict[str, Any] | None:
    """The entry a rule adds, as plain data: its own kind when it holds, verify when open."""
    outcome = condition(states)
    if outcome.value is Tri.FALSE:
        return None
    entry: dict[str, Any] = {
        "rule_id": rule.id,
        "kind": rule.kind,
        "section": rule.section,
        "summary": rule.summary or "",
        "text": rule.text,
        "because": [{"item": i, "answer": states[i]} for i in outcome.witnesses],
        "open_items": (),
        "sources": [sources[s] for s in rule.sources],
        "source_says": [
            {**said.model_dump(), "cited_as": names[said.source]} for said in rule.source_says
        ],
        "rationale": rule.rationale,
    }
    if outcome.value is Tri.OPEN:
        open_items = [i for i in outcome.witnesses if states[i] in ("unknown", "not_assessed")]
        raising = deciding.raising(condition, open_items[0]) if len(open_items) == 1 else ()
        entry["kind"] = "verify"
        entry["open_items"] = open_items
        entry["raised_if"] = raising
        entry["text"] = open_entry_text(
            [pack.item(i).label for i in open_items], raising, rule.headline
        )
    return entry
