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

from screening.answer_checks import answer_problems
from screening.errors import AnswersError, Problem
from screening.fhir.questionnaire import (
    ANSWER_CODINGS,
    CODE_ANSWERS,
    DEFAULT_BASE,
    LOINC,
    check_base,
    questionnaire_canonical,
    questionnaire_id,
    section_link_id,
)
from screening.limits import MAX_ANSWERS, MAX_RESPONSE_ITEM_DEPTH
from screening.models import Answer, AnswersFile, RulePack
from screening.text import echo_json

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


def questionnaire_response(
    pack: RulePack, answers: AnswersFile, base: str = DEFAULT_BASE, source: str = "answers"
) -> dict[str, Any]:
    """The answers as an R4 QuestionnaireResponse; raise `AnswersError` if they are not valid."""
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
    marks = discussed_extensions(pack, answers, base)
    if marks:
        resource = {"resourceType": RESOURCE_TYPE, "extension": marks, **resource}
    return resource


DISCUSSED_EXTENSION = "discussed-point"
"""The last part of the project's extension's url: `BASE/StructureDefinition/discussed-point`."""


def discussed_url(base: str = DEFAULT_BASE) -> str:
    return f"{check_base(base)}/StructureDefinition/{DISCUSSED_EXTENSION}"


def discussed_extensions(
    pack: RulePack, answers: AnswersFile, base: str = DEFAULT_BASE
) -> list[dict[str, Any]]:
    """One extension per marked point, in the pack's rule order: the rule, done, the note."""
    url = discussed_url(base)
    extensions = []
    for rule in pack.rules:
        mark = answers.discussed.get(rule.id)
        if mark is None:
            continue
        parts: list[dict[str, Any]] = [
            {"url": "rule", "valueCode": rule.id},
            {"url": "done", "valueBoolean": mark.done},
        ]
        if mark.note:
            parts.append({"url": "note", "valueString": fhir_string(mark.note)})
        extensions.append({"url": url, "extension": parts})
    return extensions


def discussed_structure_definition(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The StructureDefinition of the discussed-point extension, as a clinic publishes it."""
    url = discussed_url(base)

    def part(name: str, kind: str, minimum: int, short: str) -> list[dict[str, Any]]:
        slice_id = f"Extension.extension:{name}"
        return [
            {
                "id": slice_id,
                "path": "Extension.extension",
                "sliceName": name,
                "short": short,
                "min": minimum,
                "max": "1",
            },
            {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": name},
            {
                "id": f"{slice_id}.value[x]",
                "path": "Extension.extension.value[x]",
                "min": 1,
                "type": [{"code": kind}],
            },
        ]

    return {
        "resourceType": "StructureDefinition",
        "id": DISCUSSED_EXTENSION,
        "url": url,
        "name": "DiscussedPoint",
        "title": "Discussed point of the discussion checklist",
        "status": "draft",
        "description": (
            "A point of the discussion checklist that the clinician marked: the rule that "
            "raised it, whether it was discussed, and an optional note. Not a verdict."
        ),
        "fhirVersion": "4.0.1",
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "QuestionnaireResponse"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Extension",
                    "path": "Extension",
                    "short": "Discussed point",
                    "definition": "A marked point of the discussion checklist.",
                },
                {
                    "id": "Extension.extension",
                    "path": "Extension.extension",
                    "slicing": {
                        "discriminator": [{"type": "value", "path": "url"}],
                        "rules": "closed",
                    },
                },
                *part("rule", "code", 1, "The id of the rule that raised the point"),
                *part("done", "boolean", 1, "Whether the point was discussed"),
                *part("note", "string", 0, "The clinician's note on the point"),
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
            ]
        },
    }


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
    if not isinstance(canonical, str) or not canonical:
        problems.append(
            Problem(
                source,
                "must name the questionnaire it answers as url|version (or url), got "
                + _echo(canonical),
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
    discussed = _read_discussed(data, source, problems)
    fields = {
        "patient_reference": _display(data, "subject", source, problems),
        "clinician": _display(data, "author", source, problems),
        "date": _authored(data, source, problems),
    }
    if problems:
        raise AnswersError(problems)
    try:
        read = ResponseAnswers.model_validate(
            {
                "answers": answers,
                "discussed": discussed,
                **{k: v for k, v in fields.items() if v is not None},
            }
        )
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
                    str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"],
                    ref=where.get(str(e["loc"][0]), "authored"),
                )
                for e in exc.errors()
            ]
        ) from None
    read._questionnaire = str(canonical)
    read._texts = answered_texts(data)
    return read


def _read_discussed(
    data: dict[str, Any], source: str, problems: list[Problem]
) -> dict[str, dict[str, Any]]:
    """The marks carried by discussed-point extensions (whatever base they were published
    under); other extensions are not read. A mark without its rule or done is refused."""
    found: dict[str, dict[str, Any]] = {}
    extensions = data.get("extension", [])
    if not isinstance(extensions, list):
        problems.append(Problem(source, "must be a list", ref="extension"))
        return found
    where = f"extension({DISCUSSED_EXTENSION})"
    for extension in extensions[: MAX_ANSWERS + 1]:
        url = extension.get("url") if isinstance(extension, dict) else None
        if not isinstance(url, str) or not url.endswith(
            f"/StructureDefinition/{DISCUSSED_EXTENSION}"
        ):
            continue
        parts = extension.get("extension") if isinstance(extension, dict) else None
        values: dict[str, Any] = {}
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and part.get("url") in ("rule", "done", "note"):
                key = {"rule": "valueCode", "done": "valueBoolean", "note": "valueString"}[
                    part["url"]
                ]
                values[part["url"]] = part.get(key)
        rule, done = values.get("rule"), values.get("done")
        if not isinstance(rule, str) or not isinstance(done, bool):
            problems.append(
                Problem(
                    source, "a discussed point needs a rule (code) and done (boolean)", ref=where
                )
            )
        elif rule in found:
            problems.append(Problem(source, f"rule {_echo(rule)} is marked twice", ref=where))
        else:
            note = values.get("note")
            found[rule] = {"done": done, **({"note": note} if note is not None else {})}
    return found


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


V2_0136 = "http://terminology.hl7.org/CodeSystem/v2-0136"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
OTHER_CODINGS: dict[tuple[str, str], Answer] = {
    (V2_0136, "Y"): "yes",
    (V2_0136, "N"): "no",
    (V2_0136, "UNK"): "unknown",
    (NULL_FLAVOR, "UNK"): "unknown",
}
"""What other clients send for Yes / No / Unknown: HL7 v2 table 0136 (Y, N, and UNK as some
send it) and the v3 NullFlavor UNK. Nothing else is read as an answer."""
LOINC_SYSTEMS = (LOINC, "https://loinc.org")


def _answer(answer: Any, link_id: str, source: str, problems: list[Problem]) -> Answer | None:
    """One answer: a LOINC Yes / No / Unknown (http or https), an HL7 v2-0136 Y / N / UNK or
    NullFlavor UNK coding, or a boolean; anything else is refused naming the value."""
    if isinstance(answer, dict) and isinstance(answer.get("valueBoolean"), bool):
        return "yes" if answer["valueBoolean"] else "no"
    coding = answer.get("valueCoding") if isinstance(answer, dict) else None
    code = coding.get("code") if isinstance(coding, dict) else None
    system = coding.get("system") if isinstance(coding, dict) else None
    if isinstance(code, str) and system in LOINC_SYSTEMS and code in CODE_ANSWERS:
        return CODE_ANSWERS[code]
    if isinstance(system, str) and isinstance(code, str) and (system, code) in OTHER_CODINGS:
        return OTHER_CODINGS[(system, code)]
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
    if not version:
        changed = meanings_changed(pack, answers.texts)
        if not changed:
            return []  # no version named, and every question answered reads as this pack's
        return [
            Problem(
                source,
                "names no version of the questionnaire, and questions it answers differ from "
                f"this rule pack's ({', '.join(changed[:5])}): evaluate it with the pack it "
                "was made for",
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


def drop_not_enabled(pack: RulePack, answers: AnswersFile) -> tuple[AnswersFile, list[str]]:
    """The answers without those to questions not shown given the other answers (a renderer
    such as LHC-Forms keeps them: lforms#185), and the ids dropped, in form order.

    Dropping is repeated until nothing changes, so a follow-up of a dropped follow-up goes too.
    """
    from screening.logic import asked_states  # noqa: PLC0415 - logic imports the models only

    kept = dict(answers.answers)
    while True:
        asked = asked_states(pack, kept)
        hidden = [k for k in kept if k not in asked and pack.has_item(k)]
        if not hidden:
            break
        for k in hidden:
            del kept[k]
    dropped = [i.id for i in pack.items if i.id in answers.answers and i.id not in kept]
    if not dropped:
        return answers, []
    return answers.model_copy(update={"answers": kept}), dropped


def hidden_answers_dropped(pack: RulePack, answers: AnswersFile) -> tuple[AnswersFile, str | None]:
    """Answers without those to questions not shown given the other answers
    (`drop_not_enabled`), and a note naming them, never evaluated: an answers file of our own
    (a parent changed to No after its follow-up was answered) and a QuestionnaireResponse to
    this pack's questionnaire alike. A response to another questionnaire (refused later) is
    left as it is."""
    if questionnaire_problems(pack, answers, ""):
        return answers, None
    kept, dropped = drop_not_enabled(pack, answers)
    if not dropped:
        return answers, None
    why = (
        " (the form that made the response kept them)"
        if isinstance(answers, ResponseAnswers)
        else ""
    )
    return kept, (
        f"{len(dropped)} answer(s) to questions not shown given the other answers were "
        f"dropped, not evaluated{why}: {', '.join(dropped)}"
    )
