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

from screening.algebra import ANSWER_CHOICES
from screening.answer_checks import answer_problems
from screening.errors import AnswersError, Problem
from screening.fhir.response import answers_from_response
from screening.limits import MAX_ANSWERS, MAX_ANSWERS_BYTES, MAX_NUMBER_DIGITS
from screening.models import NOTE_MAX_LENGTH, AnswersFile, RulePack
from screening.text import DuplicateKeyError, NumberTooLongError, echo, strict_json

__all__ = ["answer_problems", "parse_answers", "read_answers_bytes"]


def read_answers_bytes(data: bytes, source: str, pack: RulePack | None = None) -> AnswersFile:
    """An answers file's bytes, read the same way by the CLI and the app (a BOM is allowed).

    A FHIR QuestionnaireResponse is read too, recognised by its `resourceType`. Bounded: a
    file over `MAX_ANSWERS_BYTES` is refused unread, and bytes that are not UTF-8 are refused
    naming their line. Given the `pack`, a file refused for its values also names its ids
    that the pack lacks, so that one round of fixes is enough.
    """
    if len(data) > MAX_ANSWERS_BYTES:
        raise AnswersError([Problem(source, f"file is larger than {MAX_ANSWERS_BYTES:,} bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AnswersError([Problem(source, "not UTF-8 text", line)]) from None
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
        raise AnswersError([Problem(source, "duplicate key in JSON", line, exc.key)]) from None
    except json.JSONDecodeError as exc:
        raise AnswersError(
            [Problem(source, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)]
        ) from None
    except NumberTooLongError:
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
        problems = [_answer_problem(source, e) for e in exc.errors()]
        raise AnswersError(_with_unknown_ids(problems, data, source, pack)) from None


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
    return kept + [
        Problem(source, "unknown item id (not in this rule pack)", ref=item_id)
        for item_id in unknown
    ]


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
        message = _MARK_MESSAGES[error["type"]].format(input=echo(shown))
        return Problem(source, message, ref=".".join(str(p) for p in loc))
    if len(loc) == 2 and loc[0] == "answers":
        return Problem(
            source,
            f"answer must be {ANSWER_CHOICES}, got {json.dumps(error['input'])}",
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
