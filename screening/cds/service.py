"""The CDS Hooks service: discovery, a call per hook, feedback; a few Starlette routes.

It reads the patient's latest QuestionnaireResponse from the call's prefetch and answers
with the checklist as cards. It never fetches anything itself, never stores a request, and
counts feedback in memory only. Every refusal is a 4xx with a FHIR OperationOutcome saying
what is wrong, never a traceback.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from screening.cds.cards import CARD_NAMESPACE, checklist_cards
from screening.engine import evaluate
from screening.errors import AnswersError
from screening.fhir.questionnaire import DEFAULT_BASE, questionnaire_canonical
from screening.fhir.response import RESOURCE_TYPE, answers_from_response
from screening.limits import MAX_CDS_BODY_BYTES, MAX_CDS_JSON_DEPTH
from screening.models import RulePack

MAX_ECHO = 80
PREFETCH_KEY = "checklistResponse"
FEEDBACK_OUTCOMES = ("accepted", "overridden")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str


SERVICES = (
    Service(
        "ketamine-checklist",
        "patient-view",
        "Ketamine for pain: discussion checklist",
        "Shows the points of the ketamine-for-pain discussion checklist raised by the "
        "patient's latest answers, one information card per point. Never a verdict.",
    ),
    Service(
        "ketamine-checklist-order",
        "order-select",
        "Ketamine for pain: discussion checklist for a ketamine order",
        "When a ketamine or esketamine order is selected, shows the points of the discussion "
        "checklist raised by the patient's latest answers. Never a verdict.",
    ),
)


class RefusedError(Exception):
    """A request the service will not answer: its HTTP status and what is wrong."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.messages = status, code, [message]


def operation_outcome(messages: list[str], code: str) -> dict[str, Any]:
    issues = [{"severity": "error", "code": code, "diagnostics": m} for m in messages]
    return {"resourceType": "OperationOutcome", "issue": issues}


def _outcome_response(status: int, code: str, messages: list[str]) -> JSONResponse:
    return JSONResponse(operation_outcome(messages, code), status_code=status)


def _echo(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def prefetch_template(pack: RulePack, base: str) -> str:
    """The FHIR search for the patient's latest completed response to this questionnaire."""
    canonical = quote(questionnaire_canonical(pack, base), safe=":/")
    return (
        f"QuestionnaireResponse?questionnaire={canonical}&subject=Patient/{{{{context.patientId}}}}"
        "&status=completed,amended&_sort=-authored&_count=1"
    )


def discovery(pack: RulePack, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The discovery document: one service per hook, both asking for the same prefetch."""
    template = prefetch_template(pack, base)
    return {
        "services": [
            {
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": {PREFETCH_KEY: template},
            }
            for s in SERVICES
        ]
    }


def _depth_exceeds(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack += [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
    return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise RefusedError(400, "invalid", f"duplicate key {_echo(key)} in the JSON body")
        seen.add(key)
    return dict(pairs)


async def read_json(request: Request) -> Any:
    """The request body as JSON, read only up to `MAX_CDS_BODY_BYTES` and `MAX_CDS_JSON_DEPTH`."""
    too_long = RefusedError(413, "too-long", f"the request body is over {MAX_CDS_BODY_BYTES} bytes")
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > MAX_CDS_BODY_BYTES):
        raise too_long
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CDS_BODY_BYTES:
            raise too_long
    try:
        data = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise RefusedError(400, "invalid", "the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RefusedError(
            400, "invalid", f"the request body is not valid JSON: {exc.msg} (line {exc.lineno})"
        ) from None
    except RecursionError:
        raise RefusedError(400, "invalid", "the request body is nested too deeply") from None
    if _depth_exceeds(data, MAX_CDS_JSON_DEPTH):
        raise RefusedError(
            400, "invalid", f"the request body is nested over {MAX_CDS_JSON_DEPTH} deep"
        )
    return data


def _service(request: Request) -> Service:
    wanted = request.path_params["service_id"]
    for service in SERVICES:
        if service.id == wanted:
            return service
    raise RefusedError(404, "not-found", f"no CDS service {_echo(wanted)}: see GET /cds-services")


def _resources(bundle: dict[str, Any]) -> list[Any]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise RefusedError(400, "invalid", "a Bundle's entry must be a list")
    return [e.get("resource") for e in entries if isinstance(e, dict)]


def latest_response(value: Any) -> dict[str, Any] | None:
    """The response in a prefetch value (a search Bundle or the resource); None if there is none.

    Several responses (a client that ignored `_count`) give the most recently authored.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RefusedError(400, "invalid", f"prefetch {PREFETCH_KEY} must be a FHIR resource")
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        raise RefusedError(
            412,
            "incomplete",
            f"the client could not prefetch {PREFETCH_KEY}, and this service never fetches "
            "data itself",
        )
    if kind == RESOURCE_TYPE:
        return value
    if kind != "Bundle":
        raise RefusedError(
            400,
            "invalid",
            f"prefetch {PREFETCH_KEY} must be a Bundle or a QuestionnaireResponse, "
            f"got {_echo(kind)}",
        )
    found = [
        r
        for r in _resources(value)
        if isinstance(r, dict) and r.get("resourceType") == RESOURCE_TYPE
    ]
    if not found:
        return None
    return max(found, key=lambda r: str(r.get("authored", "")))


def orders_ketamine(context: dict[str, Any]) -> bool:
    """Whether a selected draft order names ketamine (or esketamine) as its medication."""
    bundle = context.get("draftOrders")
    selections = context.get("selections")
    if not isinstance(bundle, dict):
        return False
    for resource in _resources(bundle):
        if not isinstance(resource, dict):
            continue
        ref = f"{resource.get('resourceType')}/{resource.get('id')}"
        if isinstance(selections, list) and ref not in selections:
            continue
        named = [
            resource.get(k)
            for k in ("medicationCodeableConcept", "medication", "medicationReference")
        ]
        if "ketamine" in json.dumps(named).lower():
            return True
    return False


def _check_patient(response: dict[str, Any], context: dict[str, Any]) -> None:
    """A response about another patient is refused; the reference is compared, never kept."""
    patient = context.get("patientId")
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if (
        isinstance(patient, str)
        and isinstance(reference, str)
        and reference not in (patient, f"Patient/{patient}")
        and not reference.endswith(f"/Patient/{patient}")
    ):
        raise RefusedError(422, "business-rule", "the prefetched response is about another patient")


def no_answers_card(pack: RulePack) -> dict[str, Any]:
    """For a ketamine order with no answers on record: say so, and nothing else."""
    meta = pack.meta
    return {
        "uuid": str(uuid.uuid5(CARD_NAMESPACE, json.dumps([pack.sha256, "no-answers"]))),
        "summary": "No answers to the ketamine discussion checklist are on record",
        "indicator": "info",
        "detail": (
            "No completed answers to this questionnaire were found for the patient, so no point "
            "of the discussion checklist can be shown. Unanswered questions are never read as No."
        ),
        "source": {"label": f"{meta.name} {meta.version} ({meta.status})"},
    }


def _cards_for(pack: RulePack, service: Service, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RefusedError(
            400, "invalid", "expected a JSON object with hook, hookInstance and context"
        )
    if body.get("hook") != service.hook:
        raise RefusedError(
            400,
            "invalid",
            f"service {service.id} answers the {service.hook} hook, not {_echo(body.get('hook'))}",
        )
    if not isinstance(body.get("hookInstance"), str):
        raise RefusedError(400, "required", "hookInstance is missing or not text")
    context = body.get("context")
    if not isinstance(context, dict):
        raise RefusedError(400, "required", "context is missing or not an object")
    if service.hook == "order-select" and not orders_ketamine(context):
        return {"cards": []}
    prefetch = body.get("prefetch")
    if not isinstance(prefetch, dict) or PREFETCH_KEY not in prefetch:
        raise RefusedError(
            412,
            "required",
            f"prefetch {PREFETCH_KEY} is missing: send the patient's latest response as the "
            "discovery document's prefetch template asks; this service never fetches data itself",
        )
    response = latest_response(prefetch[PREFETCH_KEY])
    if response is None:
        return {"cards": [no_answers_card(pack)] if service.hook == "order-select" else []}
    _check_patient(response, context)
    source = f"prefetch.{PREFETCH_KEY}"
    answers = answers_from_response(response, source)
    checklist = evaluate(pack, answers, source)
    return {"cards": checklist_cards(pack, answers, checklist)}


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """Every failure becomes an OperationOutcome; an unexpected one is logged by type only."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except RefusedError as exc:
            return _outcome_response(exc.status, exc.code, exc.messages)
        except AnswersError as exc:
            return _outcome_response(422, "invalid", [str(p) for p in exc.problems])
        except Exception as exc:  # a bug must not show a traceback, nor log patient data
            _log.error("unexpected %s while answering %s", type(exc).__name__, request.url.path)
            return _outcome_response(500, "exception", ["unexpected internal error"])

    return guarded


def create_app(pack: RulePack, base: str = DEFAULT_BASE) -> Starlette:
    """The service for one validated pack. `app.state.feedback` counts (service, outcome)."""
    document = discovery(pack, base)
    feedback_counts: Counter[tuple[str, str]] = Counter()

    async def list_services(_request: Request) -> Response:
        return JSONResponse(document)

    async def call(request: Request) -> Response:
        service = _service(request)
        return JSONResponse(_cards_for(pack, service, await read_json(request)))

    async def feedback(request: Request) -> Response:
        service = _service(request)
        body = await read_json(request)
        items = body.get("feedback") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise RefusedError(400, "required", 'expected {"feedback": [{"card", "outcome"}, ...]}')
        outcomes = []
        for n, item in enumerate(items):
            ok = isinstance(item, dict) and isinstance(item.get("card"), str)
            outcome = item.get("outcome") if isinstance(item, dict) else None
            if not ok or outcome not in FEEDBACK_OUTCOMES:
                raise RefusedError(
                    400,
                    "invalid",
                    f"feedback[{n}] needs a card uuid and an outcome of accepted or overridden",
                )
            outcomes.append(str(outcome))
        feedback_counts.update((service.id, o) for o in outcomes)
        return JSONResponse({})

    async def http_error(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not-found", 405: "not-supported"}.get(status, "invalid")
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        return _outcome_response(status, code, [str(detail)])

    app = Starlette(
        routes=[
            Route("/cds-services", _guarded(list_services), methods=["GET"]),
            Route("/cds-services/{service_id}", _guarded(call), methods=["POST"]),
            Route("/cds-services/{service_id}/feedback", _guarded(feedback), methods=["POST"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["*"],
            )
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.feedback = feedback_counts
    return app
