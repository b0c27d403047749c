"""The CDS Hooks service: discovery, a call per hook, feedback; a few Starlette routes.

It reads the patient's latest QuestionnaireResponse and coded record data from the call's
prefetch (or, for a FHIR server the clinic configured, fetches what is missing with the
call's token: `fetch.py`) and answers with the checklist as one summary card, or one card
per point (`calls.py`). Every call carries a JWT checked by `auth.py`. It never stores a
request and counts feedback in memory only. Every refusal is a 4xx with a FHIR
OperationOutcome saying what is wrong (`body.py`), never a traceback. Everything the service
says (cards, notes, refusals, its discovery document) is in the language it was started in
(`ServiceConfig.language`); the codes and the JSON's shape are the same in every language.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from screening.catalogue import N_, _, speaking
from screening.cds.auth import AuthError, JwtChecker
from screening.cds.body import RefusedError, outcome_response, read_json
from screening.cds.calls import CallSettings, complete_prefetch, reply_for
from screening.cds.cards import prepare_cards
from screening.cds.config import LOOPBACK_HOSTS, ServiceConfig
from screening.cds.discovery import SERVICES, Service, discovery
from screening.errors import AnswersError
from screening.fhir.questionnaire import DEFAULT_BASE
from screening.models import RulePack
from screening.pack.record_map import RecordMap
from screening.text import echo_json

FEEDBACK_OUTCOMES = ("accepted", "overridden")

_log = logging.getLogger(__name__)

_echo = echo_json


def _service(request: Request) -> Service:
    wanted = request.path_params["service_id"]
    for service in SERVICES:
        if service.id == wanted:
            return service
    raise RefusedError(
        404,
        "not-found",
        _("no CDS service {given}: see {discovery}").format(
            given=_echo(wanted), discovery="GET /cds-services"
        ),
    )


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler, language: str) -> Handler:
    """The handler run in the service's language (this request's task only: calls never share
    it), every failure an OperationOutcome in it; an unexpected one logged by type only."""

    async def guarded(request: Request) -> Response:
        with speaking(language):
            return await _answered(handler, request)

    return guarded


async def _answered(handler: Handler, request: Request) -> Response:
    """The handler's response, or its refusal as an OperationOutcome."""
    try:
        return await handler(request)
    except RefusedError as exc:
        return outcome_response(exc.status, exc.code, exc.messages)
    except AuthError as exc:
        refusal = outcome_response(
            exc.status, "login" if exc.status == 401 else "transient", [str(exc)]
        )
        if exc.status == 401:
            refusal.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return refusal
    except AnswersError as exc:
        return outcome_response(422, "invalid", [str(p) for p in exc.problems])
    except Exception as exc:  # a bug must not show a traceback, nor log patient data
        _log.error("unexpected %s while answering %s", type(exc).__name__, request.url.path)
        return outcome_response(500, "exception", [_("unexpected internal error")])


class FeedbackMeter:
    """Feedback entries accepted in the last minute, across callers: a flood is refused (429)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._times: deque[float] = deque()
        self._per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()

    def take(self, count: int) -> None:
        with self._lock:
            now = self._clock()
            while self._times and self._times[0] <= now - 60:
                self._times.popleft()
            if len(self._times) + count > self._per_minute:
                raise RefusedError(
                    429,
                    "throttled",
                    _(
                        "more than {limit} feedback entries in a minute: not counted; retry later"
                    ).format(limit=self._per_minute),
                )
            self._times.extend([now] * count)


def feedback_outcomes(body: Any, per_call: int) -> list[str]:
    """The outcomes of a feedback post, at most `per_call`; anything malformed is refused."""
    items = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise RefusedError(
            400,
            "required",
            _("expected {shape}").format(shape='{"feedback": [{"card", "outcome"}, ...]}'),
        )
    if len(items) > per_call:
        raise RefusedError(
            400,
            "too-long",
            _("{n} feedback entries in one call; at most {limit}").format(
                n=len(items), limit=per_call
            ),
        )
    outcomes = []
    for n, item in enumerate(items):
        ok = isinstance(item, dict) and isinstance(item.get("card"), str)
        outcome = item.get("outcome") if isinstance(item, dict) else None
        if not ok or outcome not in FEEDBACK_OUTCOMES:
            raise RefusedError(
                400,
                "invalid",
                _("{entry} needs a card uuid and an outcome of {outcomes}").format(
                    entry=f"feedback[{n}]", outcomes=_("accepted or overridden")
                ),
            )
        outcomes.append(str(outcome))
    return outcomes


HTTP_WORDS = {404: N_("Not Found"), 405: N_("Method Not Allowed")}
"""What the service says of an unknown path or method: HTTP's own reason phrases."""


def http_error(language: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Starlette's own 404 / 405 (an unknown path or method) as an OperationOutcome, in the
    service's language."""

    async def refused(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not-found", 405: "not-supported"}.get(status, "invalid")
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        with speaking(language):
            words = HTTP_WORDS.get(status)
            return outcome_response(status, code, [_(words) if words else str(detail)])

    return refused


def _middleware(config: ServiceConfig) -> list[Middleware]:
    """Only the configured hosts; CORS only for the configured origins."""
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts))]
    if config.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.allowed_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    return middleware


def _client_on_loopback(request: Request) -> bool:
    return request.client is not None and request.client.host in LOOPBACK_HOSTS


def _authenticate(
    request: Request, service: Service, config: ServiceConfig, checker: JwtChecker
) -> None:
    """The call's JWT, for this service's endpoint; with the development switch on, only a
    caller on loopback is let through without one.

    Run in a worker thread: the ES384 signature check releases the GIL, so the event loop
    goes on with other calls meanwhile (bench/cds.py, per-point cards at 8 clients: p50 43 ->
    24 ms; building the cards in a thread as well was slower)."""
    if config.jwt_off:
        if not _client_on_loopback(request):
            raise AuthError(_("the JWT check is off for development, for loopback callers only"))
        return
    endpoint = f"{config.audience}/cds-services/{service.id}"
    checker.check(
        request.headers.get("authorization"), {endpoint, f"{config.audience}{request.url.path}"}
    )


def create_app(
    pack: RulePack,
    base: str = DEFAULT_BASE,
    config: ServiceConfig | None = None,
    record: RecordMap | None = None,
    today: Callable[[], date] = lambda: datetime.now(UTC).date(),
) -> Starlette:
    """The service for one validated pack. `app.state.feedback` counts (service, outcome);
    `app.state.language` is the language it speaks (`config.language`).

    Every call and every feedback post needs a valid JWT from a configured issuer, unless the
    development switch `config.jwt_off` is on, which only a caller on loopback can use.
    """
    config = config or ServiceConfig()
    document = _started(pack, base, record, config)
    settings = CallSettings(
        pack=pack,
        base=base,
        record=record,
        per_point=config.per_point_cards,
        app_url=config.app_url,
        today=today,
    )
    feedback_counts: Counter[tuple[str, str]] = Counter()
    checker = JwtChecker(config.issuers)
    meter = FeedbackMeter(config.feedback_per_minute)

    async def authenticate(request: Request, service: Service) -> None:
        await run_in_threadpool(_authenticate, request, service, config, checker)

    async def list_services(_request: Request) -> Response:
        return JSONResponse(document)

    async def call(request: Request) -> Response:
        service = _service(request)
        await authenticate(request, service)
        body = await read_json(request, config.body_seconds)
        body = await complete_prefetch(settings, service, body, config.fhir_servers)
        return Response(reply_for(settings, service, body), media_type="application/json")

    async def feedback(request: Request) -> Response:
        service = _service(request)
        await authenticate(request, service)
        body = await read_json(request, config.body_seconds)
        outcomes = feedback_outcomes(body, config.feedback_per_call)
        meter.take(len(outcomes))
        feedback_counts.update((service.id, o) for o in outcomes)
        return JSONResponse({})

    app = _app(
        config,
        {
            "/cds-services": (list_services, "GET"),
            "/cds-services/{service_id}": (call, "POST"),
            "/cds-services/{service_id}/feedback": (feedback, "POST"),
        },
    )
    app.state.feedback = feedback_counts
    return app


def _started(
    pack: RulePack, base: str, record: RecordMap | None, config: ServiceConfig
) -> dict[str, Any]:
    """What the service makes once, at start, in its language: the discovery document, and the
    per-point cards' open points worded (`prepare_cards`) when it sends per-point cards."""
    with speaking(config.language):
        if config.per_point_cards:
            prepare_cards(pack, base)
        return discovery(pack, base, record)


def _app(config: ServiceConfig, handlers: dict[str, tuple[Handler, str]]) -> Starlette:
    """The routes (path: handler and method), each answered in the service's language, behind
    the service's middleware."""
    language = config.language
    app = Starlette(
        routes=[
            Route(path, _guarded(handler, language), methods=[method])
            for path, (handler, method) in handlers.items()
        ],
        middleware=_middleware(config),
        exception_handlers={HTTPException: http_error(language)},
    )
    app.state.language = language
    return app
