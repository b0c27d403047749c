"""Coded data in a patient's record read as answers: "Yes, from the record", or nothing.

Pure: FHIR resources (plain dicts) and the pack's record mapping in, findings out. A finding
says which item, which match, and the resource, code and date behind it. No finding is ever
No: a record without the code, a resource that is refuted, stopped, entered in error, not
final, or about another patient, simply answers nothing. Medications are read through
`medicationCodeableConcept`, or a `medicationReference` to a contained or prefetched
Medication (its code and its ingredients' codes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from screening.pack.record_map import (
    MEDICATIONS,
    CodeIndex,
    KetamineOrders,
    RecordMap,
    RecordMatch,
    code_index,
)

ACTIVE_CLINICAL = ("active", "recurrence", "relapse")
NOT_COUNTED_VERIFICATION = ("refuted", "entered-in-error", "unconfirmed", "provisional")
"""A diagnosis that is only suspected is not a Yes (items.yaml: suspected is unknown)."""
FINAL_OBSERVATION = ("final", "amended", "corrected")
ACTIVE_MEDICATION = ("active",)
MM_HG = ("mm[Hg]", "mmHg", "mm Hg")


@dataclass(frozen=True)
class Finding:
    """One item answered Yes from the record, and the coded data behind it."""

    item: str
    match: str
    resource: str
    display: str
    code: str
    date: str | None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _codings(concept: Any) -> list[dict[str, Any]]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _text(concept: Any) -> str:
    return str(concept.get("text", "")) if isinstance(concept, dict) else ""


def medication_concepts(
    resource: dict[str, Any], medications: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The CodeableConcepts naming a medication resource's drug: its own, or its Medication's
    code and ingredient codes (contained `#id`, or `Medication/id` among those prefetched)."""
    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        return [concept]
    reference = resource.get("medicationReference")
    ref = reference.get("reference") if isinstance(reference, dict) else None
    medication: Any = None
    if isinstance(ref, str) and ref.startswith("#"):
        contained = resource.get("contained", [])
        medication = next(
            (
                c
                for c in (contained if isinstance(contained, list) else [])
                if isinstance(c, dict)
                and c.get("resourceType") == "Medication"
                and c.get("id") == ref[1:]
            ),
            None,
        )
    elif isinstance(ref, str):
        medication = medications.get(ref.split("/_history/")[0].removeprefix("/"))
        if medication is None and "/Medication/" in ref:
            medication = medications.get("Medication/" + ref.rsplit("/Medication/", 1)[1])
    if not isinstance(medication, dict):
        return [reference] if isinstance(reference, dict) else []
    found = [medication.get("code")]
    for ingredient in _list(medication.get("ingredient")):
        if isinstance(ingredient, dict):
            found.append(ingredient.get("itemCodeableConcept"))
    return [c for c in found if isinstance(c, dict)]


def _bound(resource: dict[str, Any], patient: str) -> bool:
    field = "patient" if resource.get("resourceType") == "AllergyIntolerance" else "subject"
    subject = resource.get(field)
    reference = subject.get("reference") if isinstance(subject, dict) else None
    return isinstance(reference, str) and (
        reference == f"Patient/{patient}" or reference.endswith(f"/Patient/{patient}")
    )


def _status_code(resource: dict[str, Any], field: str) -> str | None:
    codes = [c.get("code") for c in _codings(resource.get(field))]
    return str(codes[0]) if codes else None


def _counts(resource: dict[str, Any]) -> bool:
    """Whether the resource's status lets it answer anything at all."""
    kind = resource.get("resourceType")
    if kind in ("Condition", "AllergyIntolerance"):
        clinical = _status_code(resource, "clinicalStatus")
        verification = _status_code(resource, "verificationStatus")
        return clinical in ACTIVE_CLINICAL and verification not in NOT_COUNTED_VERIFICATION
    if kind in MEDICATIONS:
        return resource.get("status") in ACTIVE_MEDICATION
    if kind == "Observation":
        return resource.get("status") in FINAL_OBSERVATION
    return False


_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _day(value: Any) -> str | None:
    match = _DAY.match(value) if isinstance(value, str) else None
    return match[1] if match else None


def _started(resource: dict[str, Any]) -> str | None:
    """When a medication was started, as the record says: its period's start, its date, or
    when it was ordered; None when the record does not say."""
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and _day(period.get("start")):
        return _day(period.get("start"))
    return _day(resource.get("effectiveDateTime")) or _day(resource.get("authoredOn"))


def _recorded(resource: dict[str, Any]) -> str | None:
    for field in ("recordedDate", "onsetDateTime", "effectiveDateTime", "authoredOn", "issued"):
        if _day(resource.get(field)):
            return _day(resource.get(field))
    return _started(resource)


def _matches_for(coding: dict[str, Any], index: CodeIndex) -> tuple[RecordMatch, ...]:
    system, code = coding.get("system"), coding.get("code")
    if not isinstance(system, str) or not isinstance(code, str):
        return ()
    found = list(index.exact.get((system, code), ()))
    found += [m for s, prefix, m in index.prefixes if s == system and code.startswith(prefix)]
    return tuple(found)


def _value_above(observation: dict[str, Any], match: RecordMatch, codes: set[str]) -> bool:
    """The observation (or a component with one of the codes) has a value above the threshold."""
    threshold = match.threshold
    if threshold is None:
        return False
    parts = (
        [observation] if codes & {c.get("code") for c in _codings(observation.get("code"))} else []
    )
    for component in _list(observation.get("component")):
        if isinstance(component, dict) and codes & {
            c.get("code") for c in _codings(component.get("code"))
        }:
            parts.append(component)
    for part in parts:
        quantity = part.get("valueQuantity")
        if not isinstance(quantity, dict):
            continue
        value = quantity.get("value")
        unit = quantity.get("code") or quantity.get("unit")
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and unit in MM_HG
            and value > threshold.above
        ):
            return True
    return False


def _concepts(resource: dict[str, Any], medications: Mapping[str, dict[str, Any]]) -> list[Any]:
    kind = resource.get("resourceType")
    if kind in MEDICATIONS:
        return medication_concepts(resource, medications)
    if kind == "Observation":
        concepts = [resource.get("code")]
        concepts += [c.get("code") for c in _list(resource.get("component")) if isinstance(c, dict)]
        return [c for c in concepts if isinstance(c, dict)]
    return [resource.get("code")] if isinstance(resource.get("code"), dict) else []


def record_findings(
    record: RecordMap,
    resources: Iterable[Any],
    patient: str,
    today: date,
    medications: Mapping[str, dict[str, Any]] | None = None,
) -> list[Finding]:
    """Every item the record answers Yes, with the first resource found for it (in order).

    `medications` are prefetched Medication resources by `Medication/<id>`, for references.
    `today` dates the "for at least N days" matches; it is passed in, never read from a clock.
    """
    index = code_index(record.matches)
    found: dict[str, Finding] = {}
    for resource in resources:
        if not isinstance(resource, dict) or not _bound(resource, patient) or not _counts(resource):
            continue
        kind = str(resource.get("resourceType"))
        for concept in _concepts(resource, medications or {}):
            for coding in _codings(concept):
                for match in _matches_for(coding, index):
                    if kind not in match.resources or match.item in found:
                        continue
                    if not _holds(match, resource, today):
                        continue
                    display = coding.get("display") or _text(concept) or str(coding.get("code"))
                    found[match.item] = Finding(
                        item=match.item,
                        match=match.id,
                        resource=kind,
                        display=str(display),
                        code=f"{coding.get('system')}|{coding.get('code')}",
                        date=_recorded(resource),
                    )
    return list(found.values())


def _holds(match: RecordMatch, resource: dict[str, Any], today: date) -> bool:
    if match.threshold is not None:
        return _value_above(resource, match, {c.code for c in match.codes})
    if match.for_at_least_days is not None:
        started = _started(resource)
        if started is None:
            return False
        try:
            begun = date.fromisoformat(started)
        except ValueError:
            return False
        return begun <= today - timedelta(days=match.for_at_least_days)
    return True


_WORD = re.compile(r"[A-Za-z]+")


def names_ketamine(concepts: Iterable[dict[str, Any]], orders: KetamineOrders) -> bool:
    """Whether a medication is ketamine or esketamine: by a listed code on any of its codings
    (ingredients included), or a listed brand name as a whole word of a text or display."""
    codes = {(c.system, c.code) for c in orders.codes}
    brands = {b.lower() for b in orders.brand_names}
    for concept in concepts:
        for coding in _codings(concept):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str) and (system, code) in codes:
                return True
            words = {w.lower() for w in _WORD.findall(str(coding.get("display", "")))}
            if words & brands:
                return True
        if {w.lower() for w in _WORD.findall(_text(concept))} & brands:
            return True
    return False
