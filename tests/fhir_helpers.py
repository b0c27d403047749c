"""What an SDC renderer does with the Questionnaire, done in the tests: which items it enables.

Core `enableWhen` is read as R4 says; an `enableWhenExpression` is run by fhirpathpy with the
R4 model, so `answer.value` resolves as it does in a FHIR-aware renderer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import fhirpathpy
from fhirpathpy.models import models

from screening.fhir.questionnaire import ANSWER_CODINGS, ENABLE_WHEN_EXPRESSION
from screening.logic import condition_items
from screening.models import Answer, RulePack

STATES: tuple[Answer | None, ...] = ("yes", "no", "unknown", None)
"""Each item's possible states in a truth table; None is blank."""


def questions(questionnaire: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every choice item of a Questionnaire, by linkId, wherever it is nested."""
    found: dict[str, dict[str, Any]] = {}
    stack = list(questionnaire["item"])
    while stack:
        item = stack.pop()
        if item["type"] == "choice":
            found[item["linkId"]] = item
        stack += item.get("item", [])
    return found


def response_for(answers: dict[str, Answer]) -> dict[str, Any]:
    """A flat response holding these answers (the expressions search every level)."""
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "in-progress",
        "item": [
            {"linkId": k, "answer": [{"valueCoding": dict(ANSWER_CODINGS[v])}]}
            for k, v in answers.items()
        ],
    }


def expression(item: dict[str, Any]) -> str | None:
    for ext in item.get("extension", []):
        if ext["url"] == ENABLE_WHEN_EXPRESSION:
            assert ext["valueExpression"]["language"] == "text/fhirpath"
            return str(ext["valueExpression"]["expression"])
    return None


_compiled: dict[str, Any] = {}


def run_fhirpath(text: str, response: dict[str, Any]) -> list[Any]:
    if text not in _compiled:
        _compiled[text] = fhirpathpy.compile(text, models["r4"])
    return list(_compiled[text](response, {"resource": response}))


def enabled(item: dict[str, Any], answers: dict[str, Answer]) -> bool:
    """Whether a renderer shows the item, given the answers of the items it shows."""
    text = expression(item)
    if text is not None:
        result = run_fhirpath(text, response_for(answers))
        assert result in ([True], [False]), f"{item['linkId']}: not a boolean: {result}"
        return bool(result[0])
    if "enableWhen" not in item:
        return True
    results = []
    for clause in item["enableWhen"]:
        given = answers.get(clause["question"])
        if clause["operator"] == "exists":
            results.append((given is not None) == clause["answerBoolean"])
        else:
            assert clause["operator"] == "="
            results.append(given is not None and ANSWER_CODINGS[given] == clause["answerCoding"])
    return any(results) if item.get("enableBehavior") == "any" else all(results)


def follow_up_items(pack: RulePack) -> list[str]:
    """Follow-ups and every item their conditions read, in form order."""
    wanted: set[str] = set()
    for item in pack.items:
        if item.asked_if is not None:
            wanted |= {item.id, *condition_items(item.asked_if)}
    return [i.id for i in pack.items if i.id in wanted]


def combinations(item_ids: list[str]) -> Iterator[dict[str, Answer]]:
    """Every Yes / No / Unknown / blank combination of the items, blanks left out."""
    for states in itertools.product(STATES, repeat=len(item_ids)):
        yield {i: s for i, s in zip(item_ids, states, strict=True) if s is not None}
