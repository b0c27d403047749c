"""The answers a clinician gives, as typed data: the public shape of an answers file."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StringConstraints,
    field_validator,
    model_serializer,
)

from screening.catalogue import N_, Said
from screening.models.base import Answer, _Frozen

if TYPE_CHECKING:
    from screening.errors import Problem
    from screening.models.pack import RulePack

MIN_YEAR = 1900
MAX_YEAR = 2999
"""Dates run from 1900 (the PDF's date format) to 2999 (the form's date picker)."""

FREE_TEXT_MAX_LENGTH = 200
FreeText = Annotated[str, StringConstraints(max_length=FREE_TEXT_MAX_LENGTH)]
"""A reference or a name, not a note: long text has no place on the checklist's header."""


NOTE_MAX_LENGTH = 500
"""The longest note a discussed mark may carry: a line or two, not a clinical letter."""

Note = Annotated[str, StringConstraints(max_length=NOTE_MAX_LENGTH)]


class DiscussedMark(_Frozen):
    """What the clinician marked on one checklist entry: done or not, and an optional note."""

    done: StrictBool
    note: Note | None = None


class AnswersFile(_Frozen):
    """The answers a clinician gave; the public shape of an answers JSON file."""

    answers: dict[str, Answer] = Field(default_factory=dict)
    patient_reference: FreeText | None = None
    clinician: FreeText | None = None
    date: str | None = None
    discussed: dict[str, DiscussedMark] = Field(
        default_factory=dict,
        description="Marks by rule id; a rule must raise an entry with these answers.",
    )

    @model_serializer(mode="wrap")
    def _without_empty_marks(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Answers with no marks save as they always have, so older readers still take them."""
        data = handler(self)
        if isinstance(data, dict) and not self.discussed:
            data.pop("discussed", None)
        return data

    @field_validator("date")
    @classmethod
    def _calendar_date(cls, value: str | None) -> str | None:
        """One date rule for every export: the PDF's metadata needs a 4-digit year from 1900."""
        if value is not None:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError
                year = date.fromisoformat(value).year
                if year < MIN_YEAR:
                    raise ValueError
            except ValueError:
                raise ValueError(
                    Said(
                        N_("must be a calendar date from {year} on, written YYYY-MM-DD"),
                        year=str(MIN_YEAR),
                    )
                ) from None
            if year > MAX_YEAR:
                raise ValueError(Said(N_("must be no later than {day}"), day=f"{MAX_YEAR}-12-31"))
        return value

    def questionnaire_problems(self, pack: RulePack, source: str) -> list[Problem]:
        """Why these answers were given to another questionnaire than `pack`'s: never, for an
        answers file (a QuestionnaireResponse's answers, `screening.fhir.response`, say)."""
        del pack, source
        return []


def free_texts(answers: AnswersFile) -> dict[str, str | None]:
    """The free text of an answers file, by the name a reader knows each by."""
    return {
        "patient reference": answers.patient_reference,
        "clinician": answers.clinician,
        **{f"note on {rule_id}": mark.note for rule_id, mark in answers.discussed.items()},
    }
