"""QuestionnaireResponse in and out: the same answers as an answers file, in FHIR's shape.

A response names its questionnaire as `url|version`; Unknown is an answer (LOINC LA4489-6)
and a blank question is left out, so answers -> response -> answers is the identity.
Reading refuses anything that would change what the answers mean: another questionnaire
or version, a code other than Yes / No / Unknown, two answers to one question, a modifier
extension. Identifiers (`subject.reference`) are never read: only the display texts that
play the answers file's `patient_reference` and `clinician`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import PrivateAttr, ValidationError

from screening.errors import AnswersError, Problem
from screening.fhir.questionnaire import (
    ANSWER_CODINGS,
    CODE_ANSWERS,
    DEFAULT_BASE,
    LOINC,
    questionnaire_canonical,
    questionnaire_id,
    section_link_id,
)
from screening.limits import MAX_ANSWERS, MAX_RESPONSE_ITEM_DEPTH
from screening.models import Answer, AnswersFile, RulePack

RESOURCE_TYPE = "QuestionnaireResponse"
READABLE_STATUSES = ("in-progress", "completed", "amended", "stopped")
"""`entered-in-error` is refused: such a response must not be used."""
MAX_ECHO = 160
"""A problem quotes at most this much of a value: enough for a questionnaire url."""


class ResponseAnswers(AnswersFile):
    """Answers read from a QuestionnaireResponse, remembering which questionnaire they answer.

    The questionnaire is checked against the pack with the other answer checks
    (`answer_problems`), so every reader of answers refuses a response to another version.
    """

    _questionnaire: str = PrivateAttr(default="")

    @property
    def questionnaire(self) -> str:
        return self._questionnaire


def _echo(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def questionnaire_response(
    pack: RulePack, answers: AnswersFile, base: str = DEFAULT_BASE, source: str = "answers"
) -> dict[str, Any]:
    """The answers as an R4 QuestionnaireResponse; raise `AnswersError` if they are not valid."""
    from screening.answers import answer_problems  # noqa: PLC0415 - answers.py reads responses

    problems = answer_problems(pack, answers, source)
    if problems:
        raise AnswersError(problems)
    resource: dict[str, Any] = {
        "resourceType": RESOURCE_TYPE,
        "questionnaire": questionnaire_canonical(pack, base),
        "status": "completed",
    }
    # FHIR has no empty strings: an empty reference or name is no reference or name.
    if answers.patient_reference:
        resource["subject"] = {"display": fhir_string(answers.patient_reference)}
    if answers.date is not None:
        resource["authored"] = answers.date
    if answers.clinician:
        resource["author"] = {"display": fhir_string(answers.clinician)}
    groups = []
    for section in pack.sections:
        answered = [
            {
                "linkId": item.id,
                "text": item.question,
                "answer": [{"valueCoding": dict(ANSWER_CODINGS[answers.answers[item.id]])}],
            }
            for item in pack.items
            if item.section == section and item.id in answers.answers
        ]
        if answered:
            groups.append({"linkId": section_link_id(section), "text": section, "item": answered})
    if groups:
        resource["item"] = groups
    return resource


def fhir_string(text: str) -> str:
    """Text as a FHIR string, which allows no whitespace but space, tab, CR and LF: any other
    (a no-break space, say) becomes a plain space."""
    return re.sub(r"[^\S \t\r\n]", " ", text)


def response_json(
    pack: RulePack, answers: AnswersFile, base: str = DEFAULT_BASE, source: str = "answers"
) -> str:
    """The response as JSON text: the same answers give the same bytes."""
    resource = questionnaire_response(pack, answers, base, source)
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def answers_from_response(data: dict[str, Any], source: str) -> ResponseAnswers:
    """Read a QuestionnaireResponse's answers; raise `AnswersError` listing what is wrong.

    Only its shape is checked here; which questionnaire it answers, and whether each answer
    names a question of the pack that is asked, is checked against the pack by the engine.
    """
    kind = data.get("resourceType")
    if kind != RESOURCE_TYPE:
        raise AnswersError(
            [
                Problem(
                    source,
                    f"a FHIR {_echo(kind)} resource is not answers: expected a "
                    "QuestionnaireResponse or an answers file",
                    ref="resourceType",
                )
            ]
        )
    problems: list[Problem] = []
    canonical = data.get("questionnaire")
    if not isinstance(canonical, str) or "|" not in canonical:
        problems.append(
            Problem(
                source,
                "must name the questionnaire it answers as url|version, got " + _echo(canonical),
                ref="questionnaire",
            )
        )
    status = data.get("status")
    if status not in READABLE_STATUSES:
        problems.append(
            Problem(
                source,
                f"must be one of {', '.join(READABLE_STATUSES)}, got {_echo(status)}",
                ref="status",
            )
        )
    answers = _collect_answers(data, source, problems)
    fields = {
        "patient_reference": _display(data, "subject", source, problems),
        "clinician": _display(data, "author", source, problems),
        "date": _authored(data, source, problems),
    }
    if problems:
        raise AnswersError(problems)
    try:
        read = ResponseAnswers.model_validate(
            {"answers": answers, **{k: v for k, v in fields.items() if v is not None}}
        )
    except ValidationError as exc:
        where = {"patient_reference": "subject.display", "clinician": "author.display"}
        raise AnswersError(
            [
                Problem(
                    source,
                    str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"],
                    ref=where.get(str(e["loc"][0]), "authored"),
                )
                for e in exc.errors()
            ]
        ) from None
    read._questionnaire = str(canonical)
    return read


def _display(data: dict[str, Any], field: str, source: str, problems: list[Problem]) -> Any:
    """A reference's display text; its `reference` (an identifier) is never read."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(Problem(source, "must be a FHIR Reference (an object)", ref=field))
        return None
    display = value.get("display")
    if display is not None and not isinstance(display, str):
        problems.append(Problem(source, "must be text", ref=f"{field}.display"))
        return None
    return display


def _authored(data: dict[str, Any], source: str, problems: list[Problem]) -> str | None:
    """The day the answers were given: the date part of `authored`, as written."""
    value = data.get("authored")
    if value is None:
        return None
    match = re.match(r"(\d{4}-\d{2}-\d{2})(?:T\S*)?$", value) if isinstance(value, str) else None
    if match is None:
        problems.append(
            Problem(source, f"must be a FHIR date or dateTime, got {_echo(value)}", ref="authored")
        )
        return None
    return match[1]


def _collect_answers(
    data: dict[str, Any], source: str, problems: list[Problem]
) -> dict[str, Answer]:
    """Every answered item, wherever it is nested; walked without recursion, to a fixed depth
    and at most `MAX_ANSWERS` items (groups and follow-ups included)."""
    answers: dict[str, Answer] = {}
    if "modifierExtension" in data:
        problems.append(_modifier_problem(source, "modifierExtension"))
    stack: list[tuple[Any, str, int]] = [(data.get("item", []), "item", 1)]
    walked = 0
    while stack:
        items, where, depth = stack.pop()
        walked += len(items) if isinstance(items, list) else 0
        if walked > MAX_ANSWERS:
            problems.append(
                Problem(source, f"holds more than {MAX_ANSWERS:,} items; no more are read")
            )
            break
        if not isinstance(items, list):
            problems.append(Problem(source, "must be a list of items", ref=where))
        elif depth > MAX_RESPONSE_ITEM_DEPTH:
            problems.append(
                Problem(
                    source, f"items are nested more than {MAX_RESPONSE_ITEM_DEPTH} deep", ref=where
                )
            )
        else:
            for n, item in enumerate(items):
                here = f"{where}[{n}]"
                stack += _read_item(
                    item, here, depth, source=source, problems=problems, answers=answers
                )
    return answers


def _read_item(
    item: Any,
    here: str,
    depth: int,
    *,
    source: str,
    problems: list[Problem],
    answers: dict[str, Answer],
) -> list[tuple[Any, str, int]]:
    """Record one item's answer; return the item lists nested in it, to read next."""
    if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
        problems.append(Problem(source, "an item needs a linkId", ref=here))
        return []
    link_id = item["linkId"]
    if "modifierExtension" in item:
        problems.append(_modifier_problem(source, link_id))
    nested = [(item["item"], f"{here}.item", depth + 1)] if "item" in item else []
    given = item.get("answer", [])
    if not isinstance(given, list):
        problems.append(Problem(source, "answer must be a list", ref=link_id))
    elif len(given) > 1:
        problems.append(Problem(source, "has more than one answer", ref=link_id))
    elif given:
        if isinstance(given[0], dict) and "item" in given[0]:
            nested.append((given[0]["item"], f"{here}.answer[0].item", depth + 1))
        answer = _answer(given[0], link_id, source, problems)
        if answer is not None and link_id in answers:
            problems.append(Problem(source, "is answered twice", ref=link_id))
        elif answer is not None:
            answers[link_id] = answer
    return nested


def _answer(answer: Any, link_id: str, source: str, problems: list[Problem]) -> Answer | None:
    coding = answer.get("valueCoding") if isinstance(answer, dict) else None
    code = coding.get("code") if isinstance(coding, dict) else None
    if not isinstance(coding, dict) or coding.get("system") != LOINC or code not in CODE_ANSWERS:
        shown = _echo(coding if coding is not None else answer)
        problems.append(
            Problem(
                source,
                "answer must be a LOINC Yes (LA33-6), No (LA32-8) or Unknown (LA4489-6) "
                f"coding, got {shown}",
                ref=link_id,
            )
        )
        return None
    return CODE_ANSWERS[str(code)]


def _modifier_problem(source: str, ref: str) -> Problem:
    return Problem(
        source,
        "has a modifierExtension, which could change what the answers mean: not read",
        ref=ref,
    )


def questionnaire_problems(pack: RulePack, answers: AnswersFile, source: str) -> list[Problem]:
    """A response to another questionnaire, or another version of it, cannot be evaluated.

    The questionnaire is recognised by the last part of its url and its version, whatever
    base a clinic published it under.
    """
    if not isinstance(answers, ResponseAnswers):
        return []
    url, _, version = answers.questionnaire.partition("|")
    ours = questionnaire_id(pack)
    if not url.endswith(f"/Questionnaire/{ours}"):
        return [
            Problem(
                source,
                f"answers another questionnaire, {_echo(url)}; this rule pack's is "
                f"Questionnaire/{ours} version {pack.meta.version}",
                ref="questionnaire",
            )
        ]
    if version != pack.meta.version:
        return [
            Problem(
                source,
                f"answers version {_echo(version)} of the questionnaire, but this rule pack is "
                f"version {pack.meta.version}: evaluate it with the pack of that version",
                ref="questionnaire",
            )
        ]
    return []
