"""One call's cards: the clinician's latest answers, with Yes from the record where they gave
none, evaluated into one summary card (or a card per point); a truthful card when answers
exist only under an older version, or none at all for a ketamine order.

Missing prefetch is fetched from the call's FHIR server when the clinic listed it (`fetch.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool

from screening.catalogue import _
from screening.cds.body import RefusedError
from screening.cds.cards import (
    MAX_SUMMARY,
    FromRecord,
    checklist_cards_json,
    new_uuid,
    summary_card,
    topic_system,
)
from screening.cds.discovery import Service
from screening.cds.fetch import FetchError, fetch_prefetch, same_server
from screening.cds.prefetch import (
    PREFETCH_KEY,
    latest_response,
    orders_ketamine,
    patient_id,
    prefetch_template,
    prefetched_medications,
    prefetched_responses,
    record_prefetch,
    record_resources,
)
from screening.describe import item_list
from screening.engine import evaluate
from screening.errors import AnswersError
from screening.fhir.hidden import drop_not_enabled
from screening.fhir.questionnaire import questionnaire_canonical, questionnaire_id
from screening.fhir.record import Finding, record_findings
from screening.fhir.response import (
    answers_from_response,
    changed_meanings,
    questionnaire_problems,
)
from screening.logic import asked_states
from screening.markdown import md_escape
from screening.models import AnswersFile, RulePack
from screening.pack.record_map import RecordMap
from screening.text import echo_json

_echo = echo_json


@dataclass(frozen=True)
class CallSettings:
    """What a call's cards depend on beyond the body: the pack, its mapping, the options."""

    pack: RulePack
    base: str
    record: RecordMap | None
    per_point: bool
    app_url: str | None
    today: Callable[[], date]


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
        "summary": _("No answers to the ketamine discussion checklist are on record"),
        "indicator": "info",
        "detail": _(
            "No completed answers to this questionnaire were found for the patient, and the "
            "record data sent with the call answer none of its questions, so no point of the "
            "discussion checklist can be shown. Unanswered questions are never read as No."
        ),
        "source": _card_source(pack, base, "no-answers", _("No answers on record")),
    }


def older_version_card(
    pack: RulePack, base: str, version: str, changed: list[str]
) -> dict[str, Any]:
    """Answers exist, under a version whose questions differ: say so, never "nothing on record"."""
    named = ", ".join(changed[:10])
    if len(changed) > 10:
        named = _("{names} and {n} more").format(names=named, n=len(changed) - 10)
    unstated = _("unstated")
    return {
        "uuid": new_uuid(),
        "summary": _(
            "Answers exist under an older version ({version}) of the ketamine checklist; "
            "repeat the screening"
        ).format(version=version[:20] or unstated)[:MAX_SUMMARY],
        "indicator": "info",
        "detail": _(
            "The patient's latest answers were given to version {version} of the questionnaire. "
            "Questions answered there differ from version {current} ({changed}), so they cannot "
            "be read as answers to this version: repeat the screening with the current form. "
            "Unanswered questions are never read as No."
        ).format(
            version=md_escape(version or unstated),
            current=md_escape(pack.meta.version),
            changed=md_escape(named),
        ),
        "source": _card_source(pack, base, "older-version", _("Answers under an older version")),
    }


def _read_response(
    settings: CallSettings, response: dict[str, Any]
) -> tuple[AnswersFile | None, list[str], dict[str, Any] | None]:
    """The clinician's answers in the latest response; for another version whose questions
    are word for word this pack's, read with a note; otherwise None and the older-version
    card to show instead."""
    pack = settings.pack
    canonical = response.get("questionnaire")
    url, _bar, version = canonical.partition("|") if isinstance(canonical, str) else ("", "", "")
    notes: list[str] = []
    if url.endswith(f"/Questionnaire/{questionnaire_id(pack)}") and version != pack.meta.version:
        changed = changed_meanings(pack, response)
        if changed:
            return None, notes, older_version_card(pack, settings.base, version, changed)
        response = {**response, "questionnaire": questionnaire_canonical(pack, settings.base)}
        notes.append(
            _(
                "Answers given to version {version} of the questionnaire; every question "
                "answered there reads word for word as in version {current}."
            ).format(version=version or _("(unstated)"), current=pack.meta.version)
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
            _(
                "Answers to questions not shown given the other answers were dropped, not "
                "evaluated: {labels}."
            ).format(labels=labels)
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


async def complete_prefetch(
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
        raise RefusedError(
            412, "incomplete", _("prefetch is missing and {why}").format(why=exc)
        ) from None
    return {**body, "prefetch": {**(body.get("prefetch") or {}), **fetched}}


def _call_parts(service: Service, body: Any) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A call's context, patient id and prefetch, once its shape is the hook's; refused
    otherwise."""
    if not isinstance(body, dict):
        raise RefusedError(
            400,
            "invalid",
            _("expected a JSON object with {fields}").format(
                fields=item_list(["hook", "hookInstance", "context"])
            ),
        )
    if body.get("hook") != service.hook:
        raise RefusedError(
            400,
            "invalid",
            _("service {service} answers the {hook} hook, not {given}").format(
                service=service.id, hook=service.hook, given=_echo(body.get("hook"))
            ),
        )
    if not isinstance(body.get("hookInstance"), str):
        raise RefusedError(
            400, "required", _("{field} is missing or not text").format(field="hookInstance")
        )
    context = body.get("context")
    if not isinstance(context, dict):
        raise RefusedError(
            400, "required", _("{field} is missing or not an object").format(field="context")
        )
    patient = patient_id(context)
    prefetch = body.get("prefetch", {})
    if not isinstance(prefetch, dict):
        raise RefusedError(400, "invalid", _("{field} must be an object").format(field="prefetch"))
    return context, patient, prefetch


def reply_json(cards: list[dict[str, Any]]) -> bytes:
    """A reply of these cards as Starlette's `JSONResponse` writes it."""
    return json.dumps(
        {"cards": cards}, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def _no_response_sent() -> RefusedError:
    """The refusal of a call that sends no prefetched response and no way to fetch one."""
    return RefusedError(
        412,
        "required",
        _(
            "prefetch {key} is missing: send the patient's latest response as the "
            "discovery document's prefetch template asks, or a {server} this service is "
            "configured to use with a {token} token"
        ).format(key=PREFETCH_KEY, server="fhirServer", token="fhirAuthorization"),
    )


def reply_for(settings: CallSettings, service: Service, body: Any) -> bytes:
    """The reply to one call, its cards as JSON (see the module's docstring); refusals raise
    `RefusedError`. Per-point cards are written from each rule's words kept as JSON
    (`checklist_cards_json`), the same bytes as `reply_json` of `checklist_cards`."""
    pack, base = settings.pack, settings.base
    context, patient, prefetch = _call_parts(service, body)
    fhir_server = body.get("fhirServer") if isinstance(body.get("fhirServer"), str) else None
    record = settings.record
    medications = prefetched_medications(context.get("draftOrders"), *prefetch.values())
    if service.hook == "order-select" and not orders_ketamine(
        context, record.orders if record else None, medications
    ):
        return reply_json([])
    if PREFETCH_KEY not in prefetch:
        raise _no_response_sent()
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
            return reply_json([older])
        clinician = read or clinician
    if response is None and not findings:
        return reply_json([no_answers_card(pack, base)] if service.hook == "order-select" else [])
    if not_sent:
        notes.append(
            _("Record data not sent with this call, so not consulted: {keys}.").format(
                keys=", ".join(not_sent)
            )
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
        cards = checklist_cards_json(checklist, base=base, from_record=from_record)
        return b'{"cards":' + cards + b"}"
    card = summary_card(
        checklist, base=base, from_record=from_record, app_url=settings.app_url, notes=notes
    )
    return reply_json([card])
