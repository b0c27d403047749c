"""Turn answers into a discussion checklist, every entry explained by rule, answers and sources."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from screening.describe import describe_condition
from screening.errors import AnswersError, Problem
from screening.fhir.response import answers_from_response, questionnaire_problems
from screening.language import DISCLAIMER
from screening.limits import MAX_ANSWERS, MAX_ANSWERS_BYTES, MAX_NUMBER_DIGITS
from screening.logic import Evaluator, Tri, visible_states
from screening.models import (
    NOTE_MAX_LENGTH,
    Answer,
    AnswersFile,
    AnswerState,
    Checklist,
    Rule,
    RulePack,
)
from screening.open_entries import open_entry_text
from screening.words import kind_rank, section_rank


def asked_states(pack: RulePack, answers: Mapping[str, Answer]) -> dict[str, AnswerState]:
    """The state of every item asked given the other answers; an absent item is not asked.

    An item whose `asked_if` is open (its parent unknown) is asked, since it can't be ruled
    out. Hiding cascades: a parent that is not asked reads as false for its follow-ups.
    """
    given = {item.id: answers.get(item.id, "not_assessed") for item in pack.items}
    return visible_states(given, pack.compiled_asked_if)  # type: ignore[arg-type]


def answer_problems(
    pack: RulePack,
    answers: AnswersFile,
    source: str,
    states: Mapping[str, AnswerState] | None = None,
) -> list[Problem]:
    """Answers to another questionnaire, or that name no item of the pack, or answer a question
    that is not asked; marks that name no rule of the pack."""
    problems = questionnaire_problems(pack, answers, source)
    if problems:
        return problems
    rule_ids = {rule.id for rule in pack.rules}
    problems = [
        Problem(source, "unknown item id (not in this rule pack)", ref=item_id)
        for item_id in answers.answers
        if not pack.has_item(item_id)
    ]
    problems += [
        Problem(
            source,
            "marked discussed, but no rule of this rule pack has this id",
            ref=f"discussed.{rule_id}",
        )
        for rule_id in answers.discussed
        if rule_id not in rule_ids
    ]
    if problems:
        return problems
    if states is None:
        states = asked_states(pack, answers.answers)
    for item_id in answers.answers:
        condition = pack.item(item_id).asked_if
        if item_id not in states and condition is not None:
            problems.append(
                Problem(
                    source,
                    "answered, but not asked given the other answers: it is asked only when "
                    + describe_condition(condition, pack),
                    ref=item_id,
                )
            )
    return problems


def read_answers_bytes(data: bytes, source: str) -> AnswersFile:
    """An answers file's bytes, read the same way by the CLI and the app (a BOM is allowed).

    A FHIR QuestionnaireResponse is read too, recognised by its `resourceType`. Bounded: a
    file over `MAX_ANSWERS_BYTES` is refused unread, and bytes that are not UTF-8 are refused
    naming their line.
    """
    if len(data) > MAX_ANSWERS_BYTES:
        raise AnswersError([Problem(source, f"file is larger than {MAX_ANSWERS_BYTES:,} bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AnswersError([Problem(source, "not UTF-8 text", line)]) from None
    return parse_answers(text, source)


class _NumberTooLongError(Exception):
    """A JSON number with more digits than any answers file needs (and Python would read)."""


def _bounded_int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_DIGITS:
        raise _NumberTooLongError
    return int(digits)


def _bounded_float(digits: str) -> float:
    if len(digits) > MAX_NUMBER_DIGITS:
        raise _NumberTooLongError
    return float(digits)


def parse_answers(text: str, source: str) -> AnswersFile:
    """Read an answers JSON document; refuse duplicate keys, which JSON would silently merge.

    Every step is linear in the text: duplicates are found with a set, numbers longer than
    `MAX_NUMBER_DIGITS` are refused before conversion, and more than `MAX_ANSWERS` answers
    are refused before validation.
    """

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                line = _line_of_key(text, key)
                raise AnswersError([Problem(source, "duplicate key in JSON", line, key)])
            seen.add(key)
        return dict(pairs)

    try:
        data = json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
        )
    except json.JSONDecodeError as exc:
        raise AnswersError(
            [Problem(source, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)]
        ) from None
    except _NumberTooLongError:
        found = re.search(rf"[-+.eE\d]{{{MAX_NUMBER_DIGITS + 1},}}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise AnswersError(
            [
                Problem(
                    source,
                    f"a number longer than {MAX_NUMBER_DIGITS} digits: no field of an answers "
                    "file is a number",
                    line,
                )
            ]
        ) from None
    except RecursionError:
        raise AnswersError([Problem(source, "not an answers file: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise AnswersError([Problem(source, 'expected a JSON object like {"answers": {...}}')])
    if "resourceType" in data:
        return answers_from_response(data, source)
    for field in ("answers", "discussed"):
        entries = data.get(field)
        if isinstance(entries, dict) and len(entries) > MAX_ANSWERS:
            raise AnswersError(
                [
                    Problem(
                        source,
                        f"holds {len(entries):,} entries; at most {MAX_ANSWERS:,} are read",
                        ref=field,
                    )
                ]
            )
    try:
        return AnswersFile.model_validate(data)
    except ValidationError as exc:
        raise AnswersError([_answer_problem(source, e) for e in exc.errors()]) from None


def _line_of_key(text: str, key: str) -> int | None:
    """The line where `key` appears a second time as a JSON key, if it can be found."""
    quoted = re.escape(json.dumps(key)) + r"\s*:"
    found = list(itertools.islice(re.finditer(quoted, text), 2))
    return text.count("\n", 0, found[-1].start()) + 1 if len(found) == 2 else None


_MARK_MESSAGES = {
    "bool_type": "must be true or false, got {input}",
    "missing": 'missing: a mark needs "done": true or false',
    "string_type": "must be text or null, got {input}",
    "string_too_long": f"longer than {NOTE_MAX_LENGTH} characters",
    "model_type": 'must be an object like {{"done": true, "note": "..."}}, got {input}',
    "dict_type": 'must be an object like {{"<rule id>": {{"done": true}}}}, got {input}',
    "extra_forbidden": "unknown field (expected done, note)",
}
"""What is wrong with a discussed mark, by pydantic's error type."""


def _answer_problem(source: str, error: Any) -> Problem:
    loc = error["loc"]
    if loc and loc[0] == "discussed" and error["type"] in _MARK_MESSAGES:
        shown = json.dumps(error["input"], ensure_ascii=False)
        message = _MARK_MESSAGES[error["type"]].format(input=shown[:40])
        return Problem(source, message, ref=".".join(str(p) for p in loc))
    if len(loc) == 2 and loc[0] == "answers":
        return Problem(
            source,
            f'answer must be "yes", "no" or "unknown", got {json.dumps(error["input"])}',
            ref=str(loc[1]),
        )
    field = ".".join(str(p) for p in loc) or "(document)"
    if error["type"] == "extra_forbidden":
        return Problem(
            source,
            "unknown field (expected answers, patient_reference, clinician, date, discussed)",
            ref=field,
        )
    if error["type"] == "value_error":
        reason = str(error["ctx"]["error"])
        return Problem(source, f"{reason}, got {json.dumps(error['input'])}", ref=field)
    return Problem(source, error["msg"], ref=field)


def evaluate(pack: RulePack, answers: AnswersFile, source: str = "answers") -> Checklist:
    """Evaluate every rule; raise `AnswersError` before anything is evaluated if answers are bad."""
    states = asked_states(pack, answers.answers)
    problems = answer_problems(pack, answers, source, states)
    if problems:
        raise AnswersError(problems)
    section_order = section_rank(pack.sections)
    deciding = _DecidingAnswers(pack, answers.answers)
    entries = [
        e
        for rule, condition in pack.compiled_rules
        if (e := _entry(pack, rule, condition, states, deciding)) is not None
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
            "not_assessed": [i for i, s in states.items() if s == "not_assessed"],
            "disclaimer": DISCLAIMER,
            "patient_reference": answers.patient_reference,
            "clinician": answers.clinician,
            "date": answers.date,
        }
    )


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
    deciding: _DecidingAnswers,
) -> dict[str, Any] | None:
    """The entry a rule adds, as plain data: its own kind when it holds, verify when open."""
    outcome = condition(states)
    if outcome.value is Tri.FALSE:
        return None
    entry: dict[str, Any] = {
        "rule_id": rule.id,
        "kind": rule.kind,
        "section": rule.section,
        "summary": rule.summary,
        "text": rule.text,
        "because": [{"item": i, "answer": states[i]} for i in outcome.witnesses],
        "open_items": (),
        "sources": [{"id": s, "citation": pack.source(s).citation} for s in rule.sources],
        "rationale": rule.rationale,
    }
    if outcome.value is Tri.OPEN:
        open_items = [i for i in outcome.witnesses if states[i] in ("unknown", "not_assessed")]
        raising = deciding.raising(condition, open_items[0]) if len(open_items) == 1 else ()
        entry["kind"] = "verify"
        entry["open_items"] = open_items
        entry["raised_if"] = raising
        entry["text"] = open_entry_text(
            [pack.item(i).label for i in open_items], raising, rule.summary
        )
    return entry
