"""Reading and checking answers files: the JSON a clinician saves, or a FHIR QuestionnaireResponse.

Reading is bounded and strict (duplicate keys, long numbers and unknown fields are refused
with the line or field); checking is against a pack (every id known, every answer to a
question that is asked, every mark on a rule of the pack).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from screening.answer_checks import UNKNOWN_ITEM, answer_problems
from screening.catalogue import N_, Said
from screening.errors import AnswersError, Problem, larger_than, not_json, one_of
from screening.fhir.response import answers_from_response
from screening.limits import MAX_ANSWERS, MAX_ANSWERS_BYTES, MAX_NUMBER_DIGITS
from screening.models import ANSWERS, NOTE_MAX_LENGTH, AnswersFile, RulePack
from screening.text import DuplicateKeyError, NumberTooLongError, echo, strict_json
from screening.validation_words import error_said, value_error_said

__all__ = ["answer_problems", "parse_answers", "read_answers_bytes"]


def read_answers_bytes(data: bytes, source: str, pack: RulePack | None = None) -> AnswersFile:
    """An answers file's bytes, read the same way by the CLI and the app (a BOM is allowed).

    A FHIR QuestionnaireResponse is read too, recognised by its `resourceType`. Bounded: a
    file over `MAX_ANSWERS_BYTES` is refused unread, and bytes that are not UTF-8 are refused
    naming their line. Given the `pack`, a file refused for its values also names its ids
    that the pack lacks, so that one round of fixes is enough.
    """
    if len(data) > MAX_ANSWERS_BYTES:
        raise AnswersError([Problem(source, larger_than(MAX_ANSWERS_BYTES))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AnswersError([Problem(source, Said(N_("not UTF-8 text")), line)]) from None
    return parse_answers(text, source, pack)


def parse_answers(text: str, source: str, pack: RulePack | None = None) -> AnswersFile:
    """Read an answers JSON document; refuse duplicate keys, which JSON would silently merge.

    Every step is linear in the text: duplicates are found with a set, numbers longer than
    `MAX_NUMBER_DIGITS` are refused before conversion, and more than `MAX_ANSWERS` answers
    are refused before validation. With a `pack`, a refusal for bad values names the unknown
    ids as well (see `read_answers_bytes`); the file's other checks against the pack are
    `answer_problems`, once it reads.
    """

    try:
        data = strict_json(text, max_digits=MAX_NUMBER_DIGITS)
    except DuplicateKeyError as exc:
        line = _line_of_key(text, exc.key)
        raise AnswersError(
            [Problem(source, Said(N_("duplicate key in JSON")), line, exc.key)]
        ) from None
    except json.JSONDecodeError as exc:
        raise AnswersError([Problem(source, not_json(exc), exc.lineno)]) from None
    except NumberTooLongError:
        raise _long_number(text, source) from None
    except RecursionError:
        raise AnswersError(
            [Problem(source, Said(N_("not an answers file: nested too deeply")))]
        ) from None
    if not isinstance(data, dict):
        raise AnswersError(
            [
                Problem(
                    source,
                    Said(N_("expected a JSON object like {example}"), example='{"answers": {...}}'),
                )
            ]
        )
    if "resourceType" in data:
        return answers_from_response(data, source)
    for field in ("answers", "discussed"):
        entries = data.get(field)
        if isinstance(entries, dict) and len(entries) > MAX_ANSWERS:
            raise AnswersError(
                [
                    Problem(
                        source,
                        Said(
                            N_("holds {count} entries; at most {limit} are read"),
                            count=f"{len(entries):,}",
                            limit=f"{MAX_ANSWERS:,}",
                        ),
                        ref=field,
                    )
                ]
            )
    try:
        return AnswersFile.model_validate(data)
    except ValidationError as exc:
        problems = [_answer_problem(source, e) for e in exc.errors()]
        raise AnswersError(_with_unknown_ids(problems, data, source, pack)) from None


def _long_number(text: str, source: str) -> AnswersError:
    """The refusal of a number too long to read, at its line."""
    found = re.search(rf"[-+.eE\d]{{{MAX_NUMBER_DIGITS + 1},}}", text)
    line = text.count("\n", 0, found.start()) + 1 if found else None
    message = Said(
        N_("a number longer than {digits} digits: no field of an answers file is a number"),
        digits=str(MAX_NUMBER_DIGITS),
    )
    return AnswersError([Problem(source, message, line)])


def _with_unknown_ids(
    problems: list[Problem], data: Mapping[str, Any], source: str, pack: RulePack | None
) -> list[Problem]:
    """The problems of a file refused for its values, and the ids it answers that `pack` lacks:
    for such an id, only that it is unknown (whether its answer would do is beside the point)."""
    answers = data.get("answers")
    if pack is None or not isinstance(answers, dict):
        return problems
    unknown = [item_id for item_id in answers if not pack.has_item(item_id)]
    kept = [p for p in problems if p.ref not in unknown]
    return kept + [Problem(source, Said(UNKNOWN_ITEM), ref=item_id) for item_id in unknown]


def _line_of_key(text: str, key: str) -> int | None:
    """The line where `key` appears a second time as a JSON key, if it can be found."""
    quoted = re.escape(json.dumps(key)) + r"\s*:"
    found = list(itertools.islice(re.finditer(quoted, text), 2))
    return text.count("\n", 0, found[-1].start()) + 1 if len(found) == 2 else None


_MARK_MESSAGES = {
    "bool_type": N_("must be true or false, got {input}"),
    "missing": N_("missing: a mark needs {example}"),
    "string_type": N_("must be text or null, got {input}"),
    "string_too_long": N_("longer than {limit} characters"),
    "model_type": N_("must be an object like {example}, got {input}"),
    "dict_type": N_("must be an object like {example}, got {input}"),
    "extra_forbidden": N_("unknown field (expected {fields})"),
}
"""What is wrong with a discussed mark, by pydantic's error type."""
_MARK_EXAMPLES = {
    "missing": '"done": true or false',
    "model_type": '{"done": true, "note": "..."}',
    "dict_type": '{"<rule id>": {"done": true}}',
}
"""The JSON a mark is written in, which a message shows as it is."""


def _answer_problem(source: str, error: Any) -> Problem:
    loc = error["loc"]
    if loc and loc[0] == "discussed" and error["type"] in _MARK_MESSAGES:
        shown = json.dumps(error["input"], ensure_ascii=False)
        example = _MARK_EXAMPLES.get(error["type"], "")
        message = Said(
            _MARK_MESSAGES[error["type"]],
            input=echo(shown),
            example=example,
            limit=str(NOTE_MAX_LENGTH),
            fields="done, note",
        )
        return Problem(source, message, ref=".".join(str(p) for p in loc))
    if len(loc) == 2 and loc[0] == "answers":
        return Problem(
            source,
            Said(
                N_("answer must be {choices}, got {given}"),
                choices=one_of(ANSWERS),
                given=json.dumps(error["input"]),
            ),
            ref=str(loc[1]),
        )
    field = ".".join(str(p) for p in loc) or "(document)"
    if error["type"] == "extra_forbidden":
        return Problem(
            source,
            Said(
                N_("unknown field (expected {fields})"),
                fields="answers, patient_reference, clinician, date, discussed",
            ),
            ref=field,
        )
    if error["type"] == "value_error":
        reason = value_error_said(error["ctx"]["error"])
        given = json.dumps(error["input"])
        return Problem(
            source, Said(N_("{reason}, got {given}"), reason=reason, given=given), ref=field
        )
    return Problem(source, error_said(error), ref=field)
