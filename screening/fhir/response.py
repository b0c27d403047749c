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

from screening.catalogue import N_, Said
from screening.errors import AnswersError, Problem
from screening.fhir.discussed import DISCUSSED_EXTENSION, discussed_url, read_discussed
from screening.fhir.questionnaire import (
    ANSWER_CODINGS,
    DEFAULT_BASE,
    canonical_of,
    questionnaire_id,
    section_link_id,
)
from screening.fhir.response_items import collect_answers
from screening.limits import MAX_ANSWERS
from screening.models import AnswersFile, Checklist, RulePack
from screening.text import echo_json
from screening.validation_words import error_said, value_error_said

RESOURCE_TYPE = "QuestionnaireResponse"

READABLE_STATUSES = ("in-progress", "completed", "amended", "stopped")
"""`entered-in-error` is refused: such a response must not be used."""


class ResponseAnswers(AnswersFile):
    """Answers read from a QuestionnaireResponse, remembering which questionnaire they answer.

    The questionnaire is checked against the pack with the other answer checks
    (`answer_problems`), so every reader of answers refuses a response to another version.
    """

    _questionnaire: str = PrivateAttr(default="")
    _texts: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def questionnaire(self) -> str:
        return self._questionnaire

    @property
    def texts(self) -> dict[str, Any]:
        """Each answered question's `text` as the response carries it (None when absent)."""
        return self._texts

    def questionnaire_problems(self, pack: RulePack, source: str) -> list[Problem]:
        return questionnaire_problems(pack, self, source)


_echo = echo_json


def questionnaire_response(checklist: Checklist, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The checklist's answers, details and marks as an R4 QuestionnaireResponse to the
    questionnaire of the pack that made it: one group per section, in the form's order."""
    resource: dict[str, Any] = {
        "resourceType": RESOURCE_TYPE,
        "questionnaire": canonical_of(checklist.rule_set.name, checklist.rule_set.version, base),
        "status": "completed",
    }
    # FHIR has no empty strings: an empty reference or name is no reference or name.
    if checklist.patient_reference:
        resource["subject"] = {"display": fhir_string(checklist.patient_reference)}
    if checklist.date is not None:
        resource["authored"] = checklist.date
    if checklist.clinician:
        resource["author"] = {"display": fhir_string(checklist.clinician)}
    given = checklist.answers_file().answers
    answered = [i for i in checklist.items if i.id in given]  # a blank question is left out
    groups = [
        {
            "linkId": section_link_id(section),
            "text": section,
            "item": [
                {
                    "linkId": item.id,
                    "text": item.question,
                    "answer": [{"valueCoding": dict(ANSWER_CODINGS[given[item.id]])}],
                }
                for item in answered
                if item.section == section
            ],
        }
        for section in dict.fromkeys(i.section for i in answered)
    ]
    if groups:
        resource["item"] = groups
    marks = discussed_extensions(checklist, base)
    if marks:
        resource = {"resourceType": RESOURCE_TYPE, "extension": marks, **resource}
    return resource


def discussed_extensions(checklist: Checklist, base: str = DEFAULT_BASE) -> list[dict[str, Any]]:
    """One extension per marked point, in the pack's rule order: the rule, done, the note."""
    url = discussed_url(base)
    extensions = []
    for entry in checklist.in_rule_order(e for e in checklist.entries if e.done or e.note):
        parts: list[dict[str, Any]] = [
            {"url": "rule", "valueCode": entry.rule_id},
            {"url": "done", "valueBoolean": entry.done},
        ]
        if entry.note:
            parts.append({"url": "note", "valueString": fhir_string(entry.note)})
        extensions.append({"url": url, "extension": parts})
    return extensions


def fhir_string(text: str) -> str:
    """Text as a FHIR string, which allows no whitespace but space, tab, CR and LF: any other
    (a no-break space, say) becomes a plain space."""
    return re.sub(r"[^\S \t\r\n]", " ", text)


def response_json(checklist: Checklist, base: str = DEFAULT_BASE) -> str:
    """The response as JSON text: the same checklist gives the same bytes."""
    resource = questionnaire_response(checklist, base)
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
                    Said(
                        N_(
                            "a FHIR {kind} resource is not answers: expected a {expected} or an "
                            "answers file"
                        ),
                        kind=_echo(kind),
                        expected=RESOURCE_TYPE,
                    ),
                    ref="resourceType",
                )
            ]
        )
    problems = _header_problems(data, source)
    answers = collect_answers(data, source, problems)
    discussed = read_discussed(data, source, problems)
    fields = {
        "patient_reference": _display(data, "subject", source, problems),
        "clinician": _display(data, "author", source, problems),
        "date": _authored(data, source, problems),
    }
    if problems:
        raise AnswersError(problems)
    read = _validated(
        {
            "answers": answers,
            "discussed": discussed,
            **{k: v for k, v in fields.items() if v is not None},
        },
        source,
    )
    read._questionnaire = str(data.get("questionnaire"))
    read._texts = answered_texts(data)
    return read


def _header_problems(data: dict[str, Any], source: str) -> list[Problem]:
    """What is wrong with the questionnaire a response names, and its status."""
    problems: list[Problem] = []
    canonical = data.get("questionnaire")
    if not isinstance(canonical, str) or not canonical:
        problems.append(
            Problem(
                source,
                Said(
                    N_("must name the questionnaire it answers as {form} (or {url}), got {given}"),
                    form="url|version",
                    url="url",
                    given=_echo(canonical),
                ),
                ref="questionnaire",
            )
        )
    status = data.get("status")
    if status not in READABLE_STATUSES:
        problems.append(
            Problem(
                source,
                Said(
                    N_("must be one of {choices}, got {given}"),
                    choices=", ".join(READABLE_STATUSES),
                    given=_echo(status),
                ),
                ref="status",
            )
        )
    return problems


def _validated(fields: dict[str, Any], source: str) -> ResponseAnswers:
    """The fields read as answers; what the model refuses is named where the response has it."""
    try:
        return ResponseAnswers.model_validate(fields)
    except ValidationError as exc:
        where = {
            "patient_reference": "subject.display",
            "clinician": "author.display",
            "discussed": f"extension({DISCUSSED_EXTENSION})",
        }
        raise AnswersError(
            [
                Problem(
                    source,
                    value_error_said(e["ctx"]["error"])
                    if e["type"] == "value_error"
                    else error_said(e),
                    ref=where.get(str(e["loc"][0]), "authored"),
                )
                for e in exc.errors()
            ]
        ) from None


def _display(data: dict[str, Any], field: str, source: str, problems: list[Problem]) -> Any:
    """A reference's display text; its `reference` (an identifier) is never read."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        said = Said(N_("must be a FHIR Reference (an object)"))
        problems.append(Problem(source, said, ref=field))
        return None
    display = value.get("display")
    if display is not None and not isinstance(display, str):
        problems.append(Problem(source, Said(N_("must be text")), ref=f"{field}.display"))
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
            Problem(
                source,
                Said(N_("must be a FHIR date or dateTime, got {given}"), given=_echo(value)),
                ref="authored",
            )
        )
        return None
    return match[1]


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
                Said(
                    N_(
                        "answers another questionnaire, {url}; this rule pack's is {ours} "
                        "version {version}"
                    ),
                    url=_echo(url),
                    ours=f"Questionnaire/{ours}",
                    version=pack.meta.version,
                ),
                ref="questionnaire",
            )
        ]
    if not version:
        changed = meanings_changed(pack, answers.texts)
        if not changed:
            return []  # no version named, and every question answered reads as this pack's
        return [
            Problem(
                source,
                Said(
                    N_(
                        "names no version of the questionnaire, and questions it answers differ "
                        "from this rule pack's ({items}): evaluate it with the pack it was made "
                        "for"
                    ),
                    items=", ".join(changed[:5]),
                ),
                ref="questionnaire",
            )
        ]
    if version != pack.meta.version:
        return [
            Problem(
                source,
                Said(
                    N_(
                        "answers version {given} of the questionnaire, but this rule pack is "
                        "version {version}: evaluate it with the pack of that version"
                    ),
                    given=_echo(version),
                    version=pack.meta.version,
                ),
                ref="questionnaire",
            )
        ]
    return []


def answered_texts(data: dict[str, Any]) -> dict[str, Any]:
    """Each answered linkId with the question `text` the response gives it (None if none)."""
    texts: dict[str, Any] = {}
    stack: list[Any] = [data.get("item", [])]
    walked = 0
    while stack and walked <= MAX_ANSWERS:
        items = stack.pop()
        for item in items if isinstance(items, list) else []:
            walked += 1
            if not isinstance(item, dict):
                continue
            answers = item.get("answer")
            link_id = item.get("linkId")
            if isinstance(answers, list) and answers and isinstance(link_id, str):
                texts[link_id] = item.get("text")
                stack += [a.get("item") for a in answers if isinstance(a, dict) and "item" in a]
            stack.append(item.get("item"))
    return texts


def meanings_changed(pack: RulePack, texts: dict[str, Any]) -> list[str]:
    """The answered questions whose meaning this pack cannot vouch for: not an item of the
    pack, or its text not word for word this pack's question (or absent)."""
    questions = {item.id: item.question for item in pack.items}
    return [k for k, text in texts.items() if questions.get(k) is None or text != questions[k]]


def changed_meanings(pack: RulePack, data: dict[str, Any]) -> list[str]:
    """A response made under another version of the questionnaire (or naming none) still
    means the same when every answered question is an item of this pack with its question
    `text` word for word; anything else is listed (renamed, reworded, dropped, textless)."""
    return meanings_changed(pack, answered_texts(data))
