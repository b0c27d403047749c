"""The CDS Hooks service: discovery, a call per hook, feedback; a few Starlette routes.

It reads the patient's latest QuestionnaireResponse and coded record data from the call's
prefetch (or, for a FHIR server the clinic configured, fetches what is missing with the
call's token: `fetch.py`) and answers with the checklist as one summary card, or one card
per point. Every call carries a JWT checked by `auth.py`. It never stores a request and
counts feedback in memory only. Every refusal is a 4xx with a FHIR OperationOutcome saying
what is wrong, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from screening.cds.auth import AuthError, JwtChecker
from screening.cds.cards import (
    MAX_SUMMARY,
    FromRecord,
    checklist_cards,
    new_uuid,
    summary_card,
    topic_system,
)
from screening.cds.config import LOOPBACK_HOSTS, ServiceConfig
from screening.cds.fetch import FetchError, fetch_prefetch, same_server
from screening.engine import evaluate
from screening.errors import AnswersError
from screening.fhir.questionnaire import (
    DEFAULT_BASE,
    questionnaire_canonical,
    questionnaire_id,
    questionnaire_url,
)
from screening.fhir.record import Finding, medication_concepts, names_ketamine, record_findings
from screening.fhir.response import (
    RESOURCE_TYPE,
    answers_from_response,
    changed_meanings,
    drop_not_enabled,
    questionnaire_problems,
)
from screening.limits import MAX_CDS_BODY_BYTES, MAX_CDS_JSON_DEPTH, MAX_NUMBER_DIGITS
from screening.logic import asked_states
from screening.markdown import md_escape
from screening.models import AnswersFile, RulePack
from screening.pack.record_map import KetamineOrders, RecordMap
from screening.text import (
    ConstantError,
    DuplicateKeyError,
    NumberTooLongError,
    echo_json,
    strict_json,
)

PREFETCH_KEY = "checklistResponse"
FEEDBACK_OUTCOMES = ("accepted", "overridden")
JSON_TYPES = ("application/json", "application/fhir+json")
"""The media types a call's body may declare; anything else (a form post, `text/plain`) is 415."""
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
"""A FHIR resource id, as `context.patientId` must be."""

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


_echo = echo_json


RECORD_PREFETCH: dict[str, tuple[str, str]] = {
    "conditions": (
        "Condition",
        "Condition?patient={{context.patientId}}&clinical-status=active",
    ),
    "allergies": (
        "AllergyIntolerance",
        "AllergyIntolerance?patient={{context.patientId}}&clinical-status=active",
    ),
    "medicationStatements": (
        "MedicationStatement",
        "MedicationStatement?patient={{context.patientId}}&status=active"
        "&_include=MedicationStatement:medication",
    ),
    "medicationRequests": (
        "MedicationRequest",
        "MedicationRequest?patient={{context.patientId}}&status=active"
        "&_include=MedicationRequest:medication",
    ),
}
"""Prefetch keys for the record data a mapping may read, by the resource type each brings.
Observations get theirs from the mapping's own codes (`record_prefetch`)."""


def prefetch_template(pack: RulePack, base: str) -> str:
    """The FHIR search for the patient's latest completed response to this questionnaire, by
    its canonical URL without a version: a response under an older version is found too."""
    canonical = quote(questionnaire_url(pack, base), safe=":/")
    return (
        f"QuestionnaireResponse?questionnaire={canonical}&subject=Patient/{{{{context.patientId}}}}"
        "&status=completed,amended&_sort=-authored&_count=1"
    )


def discovery(
    pack: RulePack, base: str = DEFAULT_BASE, record: RecordMap | None = None
) -> dict[str, Any]:
    """The discovery document: one service per hook, both asking for the same prefetch."""
    prefetch = {PREFETCH_KEY: prefetch_template(pack, base), **record_prefetch(record)}
    return {
        "services": [
            {
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": prefetch,
            }
            for s in SERVICES
        ]
    }


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether any value sits deeper than `limit` (the top value is at depth 1): a level of
    containers at a time, so scalars cost nothing."""
    level = [data] if isinstance(data, dict | list) else []
    depth = 1
    while level:
        if depth >= limit:
            return any(level)  # a non-empty container here has children deeper than the limit
        deeper: list[Any] = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value
            deeper += [c for c in children if isinstance(c, dict | list)]
        level = deeper
        depth += 1
    return False


def _check_media_type(request: Request) -> None:
    declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if declared not in JSON_TYPES:
        raise RefusedError(
            415,
            "not-supported",
            "the request body must be JSON (Content-Type: application/json), "
            f"not {_echo(declared)}",
        )


async def read_json(request: Request, seconds: float = 10.0) -> Any:
    """The request body as JSON, read only up to `MAX_CDS_BODY_BYTES` and `MAX_CDS_JSON_DEPTH`,
    within `seconds` (a body sent slowly is refused with 408), numbers of at most
    `MAX_NUMBER_DIGITS` digits."""
    _check_media_type(request)
    too_long = RefusedError(413, "too-long", f"the request body is over {MAX_CDS_BODY_BYTES} bytes")
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
            408, "timeout", f"the request body was not received within {seconds:g} s"
        ) from None
    try:
        data = strict_json(
            body.decode("utf-8"), max_digits=MAX_NUMBER_DIGITS, refuse_constants=True
        )
    except DuplicateKeyError as exc:
        message = f"duplicate key {_echo(exc.key)} in the JSON body"
        raise RefusedError(400, "invalid", message) from None
    except NumberTooLongError:
        message = f"a number in the request body has over {MAX_NUMBER_DIGITS} digits"
        raise RefusedError(400, "too-long", message) from None
    except ConstantError as exc:
        raise RefusedError(400, "invalid", f"{exc.name} is not JSON") from None
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


_DATE_TIME = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?"
    r"(Z|[+-]\d{2}:\d{2}))?)?)?"
)


def authored_instant(value: Any) -> datetime | None:
    """A FHIR `authored` as an instant (UTC), so `+01:00` and `Z` times order truly; a date
    alone counts from its start in UTC. None when there is none; refused when malformed."""
    if value is None:
        return None
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise RefusedError(
            422, "invalid", f"a response's authored is not a FHIR dateTime: {_echo(value)}"
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(float(fraction) * 1_000_000) if fraction else 0,
            tzinfo=UTC,
        )
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    except (ValueError, OverflowError):
        raise RefusedError(
            422, "invalid", f"a response's authored is not a real date: {_echo(value)}"
        ) from None
    return moment


def prefetched_responses(value: Any) -> list[dict[str, Any]]:
    """The responses in a prefetch value (a search Bundle or one resource), in no order."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise RefusedError(400, "invalid", f"prefetch {PREFETCH_KEY} must be a FHIR resource")
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        raise RefusedError(
            412,
            "incomplete",
            f"the client could not prefetch {PREFETCH_KEY}",
        )
    if kind == RESOURCE_TYPE:
        return [value]
    if kind != "Bundle":
        raise RefusedError(
            400,
            "invalid",
            f"prefetch {PREFETCH_KEY} must be a Bundle or a QuestionnaireResponse, "
            f"got {_echo(kind)}",
        )
    return [
        r
        for r in _resources(value)
        if isinstance(r, dict) and r.get("resourceType") == RESOURCE_TYPE
    ]


def patient_id(context: dict[str, Any]) -> str:
    """`context.patientId`, which must be a FHIR id: every response is bound to it."""
    patient = context.get("patientId")
    if not isinstance(patient, str) or not FHIR_ID.fullmatch(patient):
        raise RefusedError(
            400,
            "required",
            "context.patientId is missing or not a FHIR id (1-64 of A-Z a-z 0-9 - .)",
        )
    return patient


def check_subject(response: dict[str, Any], patient: str, fhir_server: str | None) -> None:
    """A response counts only when its `subject.reference` is `Patient/<patientId>` (or that
    under the call's `fhirServer`); anything else is refused, never skipped or used."""
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    allowed = {f"Patient/{patient}"}
    if fhir_server:
        allowed.add(f"{fhir_server.rstrip('/')}/Patient/{patient}")
    if not isinstance(reference, str) or reference not in allowed:
        why = (
            "has no subject.reference"
            if reference is None
            else f"is about another patient, or names its patient otherwise than Patient/{patient}"
        )
        raise RefusedError(
            422,
            "business-rule",
            f"a prefetched {RESOURCE_TYPE} {why}: it must be bound to context.patientId",
        )


def latest_response(
    responses: list[dict[str, Any]], patient: str, fhir_server: str | None = None
) -> dict[str, Any] | None:
    """The most recently authored response, every one of them bound to the patient first.

    Several responses (a client that ignored `_count`) are compared as instants; one with no
    `authored` counts as the oldest.
    """
    oldest = datetime.min.replace(tzinfo=UTC)
    dated = []
    for response in responses:
        check_subject(response, patient, fhir_server)
        dated.append((authored_instant(response.get("authored")) or oldest, response))
    if not dated:
        return None
    return max(dated, key=lambda pair: pair[0])[1]


def prefetched_medications(*values: Any) -> dict[str, dict[str, Any]]:
    """Medication resources found in prefetch bundles and draft orders, by `Medication/<id>`."""
    found: dict[str, dict[str, Any]] = {}
    for value in values:
        if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
            continue
        for resource in _resources(value):
            if isinstance(resource, dict) and resource.get("resourceType") == "Medication":
                found[f"Medication/{resource.get('id')}"] = resource
    return found


def orders_ketamine(
    context: dict[str, Any], orders: KetamineOrders | None, medications: dict[str, Any]
) -> bool:
    """Whether a selected draft order's medication is ketamine or esketamine, by the codes and
    brand names of the pack's record mapping (never by a word search of the order)."""
    bundle = context.get("draftOrders")
    selections = context.get("selections")
    if not isinstance(bundle, dict) or orders is None:
        return False
    for resource in _resources(bundle):
        if not isinstance(resource, dict):
            continue
        ref = f"{resource.get('resourceType')}/{resource.get('id')}"
        if isinstance(selections, list) and ref not in selections:
            continue
        if names_ketamine(medication_concepts(resource, medications), orders):
            return True
    return False


def _card_source(pack: RulePack, base: str, code: str, display: str) -> dict[str, Any]:
    meta = pack.meta
    return {
        "label": f"{meta.name} {meta.version} ({meta.status})",
        "topic": {"system": topic_system(meta.name, base), "code": code, "display": display},
    }


def no_answers_card(pack: RulePack, base: str) -> dict[str, Any]:
    """For a ketamine order with no answers and nothing in the record: say exactly that."""
    return {
        "uuid": new_uuid(),
        "summary": "No answers to the ketamine discussion checklist are on record",
        "indicator": "info",
        "detail": (
            "No completed answers to this questionnaire were found for the patient, and the "
            "record data sent with the call answer none of its questions, so no point of the "
            "discussion checklist can be shown. Unanswered questions are never read as No."
        ),
        "source": _card_source(pack, base, "no-answers", "No answers on record"),
    }


def older_version_card(
    pack: RulePack, base: str, version: str, changed: list[str]
) -> dict[str, Any]:
    """Answers exist, under a version whose questions differ: say so, never "nothing on record"."""
    named = ", ".join(changed[:10]) + (
        f" and {len(changed) - 10} more" if len(changed) > 10 else ""
    )
    return {
        "uuid": new_uuid(),
        "summary": (
            f"Answers exist under an older version ({version[:20] or 'unstated'}) of the "
            "ketamine checklist; repeat the screening"
        )[:MAX_SUMMARY],
        "indicator": "info",
        "detail": (
            f"The patient's latest answers were given to version {md_escape(version or 'unstated')}"
            f" of the questionnaire. Questions answered there differ from version "
            f"{md_escape(pack.meta.version)} ({md_escape(named)}), so they cannot be read as "
            "answers to this version: repeat the screening with the current form. Unanswered "
            "questions are never read as No."
        ),
        "source": _card_source(pack, base, "older-version", "Answers under an older version"),
    }


def record_prefetch(record: RecordMap | None) -> dict[str, str]:
    """Prefetch templates for the record data the mapping reads, by key."""
    if record is None:
        return {}
    kinds = {kind for match in record.matches for kind in match.resources}
    templates = {
        key: template for key, (kind, template) in RECORD_PREFETCH.items() if kind in kinds
    }
    observed = sorted(
        {
            f"{c.system}|{c.code}"
            for m in record.matches
            if "Observation" in m.resources
            for c in m.codes
        }
    )
    if observed:
        templates["vitalSigns"] = (
            "Observation?patient={{context.patientId}}&combo-code="
            + ",".join(observed)
            + "&status=final,amended,corrected&_sort=-date&_count=10"
        )
    return templates


def record_resources(
    prefetch: dict[str, Any], record: RecordMap | None
) -> tuple[list[Any], list[str]]:
    """The record resources sent as prefetch, and the keys that were not sent (not consulted)."""
    resources: list[Any] = []
    missing: list[str] = []
    for key in record_prefetch(record):
        value = prefetch.get(key)
        if value is None:
            missing.append(key)
        elif isinstance(value, dict) and value.get("resourceType") == "Bundle":
            resources += _resources(value)
        elif isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
            missing.append(key)
        elif isinstance(value, dict):
            resources.append(value)
        else:
            raise RefusedError(400, "invalid", f"prefetch {key} must be a FHIR resource")
    return resources, missing


@dataclass(frozen=True)
class CallSettings:
    """What a call's cards depend on beyond the body: the pack, its mapping, the options."""

    pack: RulePack
    base: str
    record: RecordMap | None
    per_point: bool
    app_url: str | None
    today: Callable[[], date]


def _read_response(
    settings: CallSettings, response: dict[str, Any]
) -> tuple[AnswersFile | None, list[str], dict[str, Any] | None]:
    """The clinician's answers in the latest response; for another version whose questions
    are word for word this pack's, read with a note; otherwise None and the older-version
    card to show instead."""
    pack = settings.pack
    canonical = response.get("questionnaire")
    url, _, version = canonical.partition("|") if isinstance(canonical, str) else ("", "", "")
    notes: list[str] = []
    if url.endswith(f"/Questionnaire/{questionnaire_id(pack)}") and version != pack.meta.version:
        changed = changed_meanings(pack, response)
        if changed:
            return None, notes, older_version_card(pack, settings.base, version, changed)
        response = {**response, "questionnaire": questionnaire_canonical(pack, settings.base)}
        notes.append(
            f"Answers given to version {version or '(unstated)'} of the questionnaire; every "
            f"question answered there reads word for word as in version {pack.meta.version}."
        )
    source = f"prefetch.{PREFETCH_KEY}"
    read = answers_from_response(response, source)
    problems = questionnaire_problems(pack, read, source)
    if problems:
        raise AnswersError(problems)
    answers, dropped = drop_not_enabled(pack, read)
    if dropped:
        labels = ", ".join(pack.item(i).label for i in dropped)
        notes.append(
            "Answers to questions not shown given the other answers were dropped, not "
            f"evaluated: {labels}."
        )
    return answers, notes, None


def _with_record(
    pack: RulePack, clinician: AnswersFile, findings: list[Finding]
) -> tuple[AnswersFile, list[Finding]]:
    """The clinician's answers with Yes from the record added where the clinician gave none
    and the question is asked; the findings actually used."""
    merged = dict(clinician.answers)
    used: list[Finding] = []
    for finding in findings:
        if finding.item in merged:
            continue  # the clinician's own answer wins
        trial = {**merged, finding.item: "yes"}
        if finding.item in asked_states(pack, trial):
            merged = trial
            used.append(finding)
    discussed = clinician.discussed
    if used and discussed:  # a point marked may no longer be raised once the record answers
        raised = {e.rule_id for e in evaluate(pack, AnswersFile(answers=merged)).entries}
        discussed = {k: v for k, v in discussed.items() if k in raised}
    answers = AnswersFile(
        answers=merged,
        patient_reference=clinician.patient_reference,
        clinician=clinician.clinician,
        date=clinician.date,
        discussed=discussed,
    )
    return answers, used


def _to_fetch(
    settings: CallSettings, service: Service, body: Any, servers: tuple[str, ...]
) -> tuple[str, str, str, dict[str, str]] | None:
    """What to fetch from the call's FHIR server: its address, the token, the patient and the
    templates of the prefetch keys not sent; None when nothing is missing, or the server is
    not one the clinic listed, or there is no token (the call is then judged as it came)."""
    if not isinstance(body, dict) or not servers:
        return None
    server, auth, context = (
        body.get("fhirServer"),
        body.get("fhirAuthorization"),
        body.get("context"),
    )
    token = auth.get("access_token") if isinstance(auth, dict) else None
    prefetch = body.get("prefetch", {})
    if (
        not isinstance(server, str)
        or not same_server(server, servers)
        or not isinstance(token, str)
        or not token
        or not isinstance(context, dict)
        or not isinstance(prefetch, dict)
    ):
        return None
    patient = patient_id(context)
    if service.hook == "order-select" and not orders_ketamine(
        context,
        settings.record.orders if settings.record else None,
        prefetched_medications(context.get("draftOrders"), *prefetch.values()),
    ):
        return None
    templates = {PREFETCH_KEY: prefetch_template(settings.pack, settings.base)}
    templates.update(record_prefetch(settings.record))
    wanted = {k: t for k, t in templates.items() if k not in prefetch}
    return (server, token, patient, wanted) if wanted else None


async def _complete_prefetch(
    settings: CallSettings, service: Service, body: Any, servers: tuple[str, ...]
) -> Any:
    """The body with the prefetch it lacked fetched from its FHIR server, in a worker thread
    so other calls go on; a failed fetch is 412 saying why."""
    missing = _to_fetch(settings, service, body, servers)
    if missing is None:
        return body
    server, token, patient, templates = missing
    try:
        fetched = await run_in_threadpool(fetch_prefetch, server, token, templates, patient)
    except FetchError as exc:
        raise RefusedError(412, "incomplete", f"prefetch is missing and {exc}") from None
    return {**body, "prefetch": {**(body.get("prefetch") or {}), **fetched}}


def _cards_for(settings: CallSettings, service: Service, body: Any) -> dict[str, Any]:
    pack, base = settings.pack, settings.base
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
    patient = patient_id(context)
    fhir_server = body.get("fhirServer") if isinstance(body.get("fhirServer"), str) else None
    prefetch = body.get("prefetch", {})
    if not isinstance(prefetch, dict):
        raise RefusedError(400, "invalid", "prefetch must be an object")
    record = settings.record
    medications = prefetched_medications(context.get("draftOrders"), *prefetch.values())
    if service.hook == "order-select" and not orders_ketamine(
        context, record.orders if record else None, medications
    ):
        return {"cards": []}
    if PREFETCH_KEY not in prefetch:
        raise RefusedError(
            412,
            "required",
            f"prefetch {PREFETCH_KEY} is missing: send the patient's latest response as the "
            "discovery document's prefetch template asks, or a fhirServer this service is "
            "configured to use with a fhirAuthorization token",
        )
    response = latest_response(prefetched_responses(prefetch[PREFETCH_KEY]), patient, fhir_server)
    resources, not_sent = record_resources(prefetch, record)
    findings = (
        record_findings(record, resources, patient, settings.today(), medications) if record else []
    )
    notes: list[str] = []
    clinician = AnswersFile()
    if response is not None:
        read, notes, older = _read_response(settings, response)
        if older is not None:
            return {"cards": [older]}
        clinician = read or clinician
    if response is None and not findings:
        return {"cards": [no_answers_card(pack, base)] if service.hook == "order-select" else []}
    if not_sent:
        notes.append(
            "Record data not sent with this call, so not consulted: " + ", ".join(not_sent) + "."
        )
    answers, used = _with_record(pack, clinician, findings)
    checklist = evaluate(pack, answers, f"prefetch.{PREFETCH_KEY}")
    from_record = [
        FromRecord(
            item=f.item,
            label=checklist.label(f.item),
            display=f.display,
            resource=f.resource,
            date=f.date,
        )
        for f in used
    ]
    if settings.per_point:
        return {"cards": checklist_cards(checklist, base=base, from_record=from_record)}
    card = summary_card(
        checklist, base=base, from_record=from_record, app_url=settings.app_url, notes=notes
    )
    return {"cards": [card]}


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """Every failure becomes an OperationOutcome; an unexpected one is logged by type only."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except RefusedError as exc:
            return _outcome_response(exc.status, exc.code, exc.messages)
        except AuthError as exc:
            refusal = _outcome_response(
                exc.status, "login" if exc.status == 401 else "transient", [str(exc)]
            )
            if exc.status == 401:
                refusal.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return refusal
        except AnswersError as exc:
            return _outcome_response(422, "invalid", [str(p) for p in exc.problems])
        except Exception as exc:  # a bug must not show a traceback, nor log patient data
            _log.error("unexpected %s while answering %s", type(exc).__name__, request.url.path)
            return _outcome_response(500, "exception", ["unexpected internal error"])

    return guarded


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
                    f"more than {self._per_minute} feedback entries in a minute: not counted; "
                    "retry later",
                )
            self._times.extend([now] * count)


def _client_on_loopback(request: Request) -> bool:
    return request.client is not None and request.client.host in LOOPBACK_HOSTS


def create_app(
    pack: RulePack,
    base: str = DEFAULT_BASE,
    config: ServiceConfig | None = None,
    record: RecordMap | None = None,
    today: Callable[[], date] = lambda: datetime.now(UTC).date(),
) -> Starlette:
    """The service for one validated pack. `app.state.feedback` counts (service, outcome).

    Every call and every feedback post needs a valid JWT from a configured issuer, unless the
    development switch `config.jwt_off` is on, which only a caller on loopback can use.
    """
    config = config or ServiceConfig()
    document = discovery(pack, base, record)
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

    def authenticate(request: Request, service: Service) -> None:
        if config.jwt_off:
            if not _client_on_loopback(request):
                raise AuthError("the JWT check is off for development, for loopback callers only")
            return
        endpoint = f"{config.audience}/cds-services/{service.id}"
        checker.check(
            request.headers.get("authorization"), {endpoint, f"{config.audience}{request.url.path}"}
        )

    async def list_services(_request: Request) -> Response:
        return JSONResponse(document)

    async def call(request: Request) -> Response:
        service = _service(request)
        authenticate(request, service)
        body = await read_json(request, config.body_seconds)
        body = await _complete_prefetch(settings, service, body, config.fhir_servers)
        return JSONResponse(_cards_for(settings, service, body))

    async def feedback(request: Request) -> Response:
        service = _service(request)
        authenticate(request, service)
        body = await read_json(request, config.body_seconds)
        items = body.get("feedback") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise RefusedError(400, "required", 'expected {"feedback": [{"card", "outcome"}, ...]}')
        if len(items) > config.feedback_per_call:
            raise RefusedError(
                400,
                "too-long",
                f"{len(items)} feedback entries in one call; at most {config.feedback_per_call}",
            )
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
        meter.take(len(outcomes))
        feedback_counts.update((service.id, o) for o in outcomes)
        return JSONResponse({})

    async def http_error(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not-found", 405: "not-supported"}.get(status, "invalid")
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        return _outcome_response(status, code, [str(detail)])

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
    app = Starlette(
        routes=[
            Route("/cds-services", _guarded(list_services), methods=["GET"]),
            Route("/cds-services/{service_id}", _guarded(call), methods=["POST"]),
            Route("/cds-services/{service_id}/feedback", _guarded(feedback), methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error},
    )
    app.state.feedback = feedback_counts
    return app
