"""A CDS Hooks request's body and the refusals: JSON only, bounded in size, depth, digits and
time; every refusal a FHIR OperationOutcome with its HTTP status (`RefusedError`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from screening.catalogue import _
from screening.limits import MAX_CDS_BODY_BYTES, MAX_CDS_JSON_DEPTH, MAX_NUMBER_DIGITS
from screening.text import (
    ConstantError,
    DuplicateKeyError,
    NumberTooLongError,
    UnpairedSurrogateError,
    echo_json,
    nested_deeper_than,
    strict_json,
)

JSON_TYPES = ("application/json", "application/fhir+json")
"""The media types a call's body may declare; anything else (a form post, `text/plain`) is 415."""


class RefusedError(Exception):
    """A request the service will not answer: its HTTP status, its code (the same in every
    language) and what is wrong, in the language of the call (`screening.catalogue`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.messages = status, code, [message]


def operation_outcome(messages: list[str], code: str) -> dict[str, Any]:
    issues = [{"severity": "error", "code": code, "diagnostics": m} for m in messages]
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_response(status: int, code: str, messages: list[str]) -> JSONResponse:
    return JSONResponse(operation_outcome(messages, code), status_code=status)


_echo = echo_json


def _check_media_type(request: Request) -> None:
    declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if declared not in JSON_TYPES:
        raise RefusedError(
            415,
            "not-supported",
            _("the request body must be JSON ({header}), not {given}").format(
                header="Content-Type: application/json", given=_echo(declared)
            ),
        )


async def read_json(request: Request, seconds: float = 10.0) -> Any:
    """The request body as JSON, read only up to `MAX_CDS_BODY_BYTES` and `MAX_CDS_JSON_DEPTH`,
    within `seconds` (a body sent slowly is refused with 408), numbers of at most
    `MAX_NUMBER_DIGITS` digits."""
    _check_media_type(request)
    too_long = RefusedError(
        413,
        "too-long",
        _("the request body is over {limit} bytes").format(limit=MAX_CDS_BODY_BYTES),
    )
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or len(length) > 12 or int(length) > MAX_CDS_BODY_BYTES):
        raise too_long
    body = bytearray()

    async def receive() -> None:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_CDS_BODY_BYTES:
                raise too_long

    try:
        await asyncio.wait_for(receive(), seconds)
    except TimeoutError:
        raise RefusedError(
            408,
            "timeout",
            _("the request body was not received within {seconds} s").format(
                seconds=f"{seconds:g}"
            ),
        ) from None
    return _parsed(bytes(body))


def _parsed(body: bytes) -> Any:
    """A body received whole, as strict JSON no deeper than `MAX_CDS_JSON_DEPTH`; refused with
    400 saying why."""
    try:
        data = strict_json(
            body.decode("utf-8"),
            max_digits=MAX_NUMBER_DIGITS,
            refuse_constants=True,
            refuse_surrogates=True,
        )
    except DuplicateKeyError as exc:
        message = _("duplicate key {key} in the JSON body").format(key=_echo(exc.key))
        raise RefusedError(400, "invalid", message) from None
    except NumberTooLongError:
        message = _("a number in the request body has over {limit} digits").format(
            limit=MAX_NUMBER_DIGITS
        )
        raise RefusedError(400, "too-long", message) from None
    except ConstantError as exc:
        raise RefusedError(
            400, "invalid", _("{constant} is not JSON").format(constant=exc.name)
        ) from None
    except UnicodeDecodeError:
        raise RefusedError(400, "invalid", _("the request body is not UTF-8 text")) from None
    except UnpairedSurrogateError as exc:
        message = _(
            "the request body escapes half of a surrogate pair alone (line {line}, column "
            "{column}): it stands for no character"
        ).format(line=exc.line, column=exc.column)
        raise RefusedError(400, "invalid", message) from None
    except json.JSONDecodeError as exc:
        raise RefusedError(
            400,
            "invalid",
            _("the request body is not valid JSON: {error} (line {line})").format(
                error=exc.msg, line=exc.lineno
            ),
        ) from None
    except RecursionError:
        raise RefusedError(400, "invalid", _("the request body is nested too deeply")) from None
    if nested_deeper_than(data, MAX_CDS_JSON_DEPTH):
        raise RefusedError(
            400,
            "invalid",
            _("the request body is nested over {limit} deep").format(limit=MAX_CDS_JSON_DEPTH),
        )
    return data
