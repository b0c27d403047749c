"""A QuestionnaireResponse's item tree read into answers: walked without recursion, bounded
in depth and count; each answer a LOINC Yes / No / Unknown or what other clients send for
them (HL7 v2-0136, NullFlavor UNK, a boolean); anything else refused, naming where."""

from __future__ import annotations

from typing import Any

from screening.algebra import LOINC_CHOICES
from screening.catalogue import N_, Said
from screening.errors import Problem
from screening.fhir.questionnaire import CODE_ANSWERS, LOINC
from screening.limits import MAX_ANSWERS, MAX_RESPONSE_ITEM_DEPTH
from screening.models import Answer
from screening.text import echo_json

_SOME, _LAST = LOINC_CHOICES.rsplit(" or ", 1)
"""The LOINC answers a response may give, as a message lists them (its "or" is ours)."""

_echo = echo_json

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


def collect_answers(
    data: dict[str, Any], source: str, problems: list[Problem]
) -> dict[str, Answer]:
    """Every answered item, wherever it is nested; walked without recursion, to a fixed depth
    and at most `MAX_ANSWERS` items (groups and follow-ups included)."""
    answers: dict[str, Answer] = {}
    if "modifierExtension" in data:
        problems.append(modifier_problem(source, "modifierExtension"))
    stack: list[tuple[Any, str, int]] = [(data.get("item", []), "item", 1)]
    walked = 0
    while stack:
        items, where, depth = stack.pop()
        walked += len(items) if isinstance(items, list) else 0
        if walked > MAX_ANSWERS:
            problems.append(
                Problem(
                    source,
                    Said(
                        N_("holds more than {limit} items; no more are read"),
                        limit=f"{MAX_ANSWERS:,}",
                    ),
                )
            )
            break
        if not isinstance(items, list):
            problems.append(Problem(source, Said(N_("must be a list of items")), ref=where))
        elif depth > MAX_RESPONSE_ITEM_DEPTH:
            problems.append(
                Problem(
                    source,
                    Said(
                        N_("items are nested more than {depth} deep"),
                        depth=str(MAX_RESPONSE_ITEM_DEPTH),
                    ),
                    ref=where,
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
        problems.append(Problem(source, Said(N_("an item needs a linkId")), ref=here))
        return []
    link_id = item["linkId"]
    if "modifierExtension" in item:
        problems.append(modifier_problem(source, link_id))
    nested = [(item["item"], f"{here}.item", depth + 1)] if "item" in item else []
    given = item.get("answer", [])
    if not isinstance(given, list):
        problems.append(Problem(source, Said(N_("answer must be a list")), ref=link_id))
    elif len(given) > 1:
        problems.append(Problem(source, Said(N_("has more than one answer")), ref=link_id))
    elif given:
        if isinstance(given[0], dict) and "item" in given[0]:
            nested.append((given[0]["item"], f"{here}.answer[0].item", depth + 1))
        answer = _answer(given[0], link_id, source, problems)
        if answer is not None and link_id in answers:
            problems.append(Problem(source, Said(N_("is answered twice")), ref=link_id))
        elif answer is not None:
            answers[link_id] = answer
    return nested


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
            Said(
                N_("answer must be a LOINC {choices} coding, got {given}"),
                choices=Said(N_("{some} or {last}"), some=_SOME, last=_LAST),
                given=shown,
            ),
            ref=link_id,
        )
    )
    return None


def modifier_problem(source: str, ref: str) -> Problem:
    return Problem(
        source,
        Said(N_("has a modifierExtension, which could change what the answers mean: not read")),
        ref=ref,
    )
