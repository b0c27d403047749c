"""The form's FHIR download: the answers as a QuestionnaireResponse with the ticks and notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app_pages.form.memory import marked
from screening import AnswersFile, RulePack, evaluate, response_json


def saved_response_json(pack: RulePack, given: AnswersFile, marks: Mapping[str, Any]) -> str:
    """The response *Save as FHIR* gives, with the marks on the points raised now (the
    project's discussed-point extension); built only when clicked, like the JSON save."""
    _, checklist = marked(pack, given, evaluate(pack, given, source="form"), marks)
    return response_json(checklist)
