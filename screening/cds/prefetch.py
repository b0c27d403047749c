"""What a call brings: the patient's id, the prefetched responses and record data, and the
prefetch templates that ask an EHR (or its FHIR server) for them.

Every response is bound to `context.patientId`; several are compared by `authored` as
instants. A ketamine order is recognised by the codes and brand names of the record mapping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from screening.catalogue import _
from screening.cds.body import RefusedError
from screening.fhir.questionnaire import questionnaire_url
from screening.fhir.record import medication_concepts, names_ketamine
from screening.fhir.response import RESOURCE_TYPE
from screening.models import RulePack
from screening.pack.record_map import KetamineOrders, RecordMap
from screening.text import echo_json

PREFETCH_KEY = "checklistResponse"

FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
"""A FHIR resource id, as `context.patientId` must be."""

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


def _resources(bundle: dict[str, Any]) -> list[Any]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise RefusedError(400, "invalid", _("a Bundle's entry must be a list"))
    return [e.get("resource") for e in entries if isinstance(e, dict)]


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
            raise RefusedError(
                400, "invalid", _("prefetch {key} must be a FHIR resource").format(key=key)
            )
    return resources, missing


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
            422,
            "invalid",
            _("a response's authored is not a FHIR dateTime: {given}").format(given=_echo(value)),
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
            422,
            "invalid",
            _("a response's authored is not a real date: {given}").format(given=_echo(value)),
        ) from None
    return moment


def prefetched_responses(value: Any) -> list[dict[str, Any]]:
    """The responses in a prefetch value (a search Bundle or one resource), in no order."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise RefusedError(
            400, "invalid", _("prefetch {key} must be a FHIR resource").format(key=PREFETCH_KEY)
        )
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        raise RefusedError(
            412,
            "incomplete",
            _("the client could not prefetch {key}").format(key=PREFETCH_KEY),
        )
    if kind == RESOURCE_TYPE:
        return [value]
    if kind != "Bundle":
        raise RefusedError(
            400,
            "invalid",
            _("prefetch {key} must be a {bundle} or a {response}, got {given}").format(
                key=PREFETCH_KEY, bundle="Bundle", response=RESOURCE_TYPE, given=_echo(kind)
            ),
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
            _("{field} is missing or not a FHIR id (1-64 of {characters})").format(
                field="context.patientId", characters="A-Z a-z 0-9 - ."
            ),
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
        said = (
            _("a prefetched {resource} has no {subject}: it must be bound to {field}")
            if reference is None
            else _(
                "a prefetched {resource} is about another patient, or names its patient "
                "otherwise than {reference}: it must be bound to {field}"
            )
        )
        raise RefusedError(
            422,
            "business-rule",
            said.format(
                resource=RESOURCE_TYPE,
                subject="subject.reference",
                reference=f"Patient/{patient}",
                field="context.patientId",
            ),
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
