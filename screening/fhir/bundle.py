"""A patient's record given as a FHIR Bundle, read into proposed answers for the form.

Pure: bytes in, a patient's resources and "Yes, from the record" proposals out. The Bundle
(a patient's `$everything`, a searchset or a collection, JSON) is read within bounds (bytes,
entries, nesting) and must hold one patient's data only: resources about two patients are
refused whole, never split. References are resolved through the entries' `fullUrl`
(`urn:uuid:` ones too), so the matching in `screening.fhir.record` sees `Patient/<id>`.

A proposal is only ever Yes, and only for an item the clinician has not answered: a
clinician's answer wins, and no match leaves an item unanswered, never No. The form shows
each proposal as awaiting confirmation and counts none until the clinician confirms it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from screening.catalogue import N_, Said
from screening.errors import Problem, ScreeningError, not_json
from screening.fhir.record import Finding, record_findings
from screening.limits import (
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_ENTRIES,
    MAX_BUNDLE_JSON_DEPTH,
    MAX_NUMBER_DIGITS,
)
from screening.pack.record_map import RecordMap
from screening.text import (
    ConstantError,
    DuplicateKeyError,
    NumberTooLongError,
    UnpairedSurrogateError,
    echo,
    nested_deeper_than,
    strict_json,
)

PATIENT_FIELDS = ("subject", "patient")
"""Where a resource names its patient (AllergyIntolerance: `patient`; the others `subject`)."""


class BundleError(ScreeningError):
    """A Bundle given as a patient's record is refused whole; nothing of it is used."""


@dataclass(frozen=True)
class PatientRecord:
    """One patient's resources from a Bundle, references resolved to `Type/id`."""

    patient: str
    resources: tuple[dict[str, Any], ...]
    medications: Mapping[str, dict[str, Any]]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Proposals:
    """What the record proposes: Yes for each item it answers and the clinician has not."""

    patient: str
    proposed: tuple[Finding, ...]
    answered: tuple[str, ...]
    """Items the record answers that the clinician had already answered: left as they are."""
    notes: tuple[str, ...]


_NESTED = N_("is nested over {depth} deep")


def _refuse(source: str, message: str, ref: str | None = None, **values: str) -> BundleError:
    """The refusal of a record: `message` (marked `N_`) filled with `values` when shown."""
    return BundleError([Problem(source, Said(message, **values), ref=ref)])


def _json_of(data: bytes, source: str) -> Any:
    """The record's JSON, read strictly; refused saying why."""
    try:  # read strictly, as every other JSON input: a repeated key would hide a value
        return strict_json(
            data.decode("utf-8"),
            max_digits=MAX_NUMBER_DIGITS,
            refuse_constants=True,
            refuse_surrogates=True,
        )
    except UnicodeDecodeError:
        raise _refuse(source, N_("is not UTF-8 text")) from None
    except UnpairedSurrogateError as exc:
        raise BundleError(
            [
                Problem(
                    source,
                    Said(
                        N_(
                            "escapes half of a surrogate pair alone (column {column}): it "
                            "stands for no character"
                        ),
                        column=str(exc.column),
                    ),
                    exc.line,
                )
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise BundleError([Problem(source, not_json(exc), exc.lineno)]) from None
    except DuplicateKeyError as exc:
        raise _refuse(
            source, N_("repeats the key {key} in one object"), key=repr(echo(exc.key))
        ) from None
    except ConstantError as exc:
        raise _refuse(source, N_("holds {name}, which is not JSON"), name=exc.name) from None
    except NumberTooLongError:
        raise _refuse(
            source,
            N_("holds a number longer than {digits} digits"),
            digits=str(MAX_NUMBER_DIGITS),
        ) from None
    except RecursionError:
        raise _refuse(source, _NESTED, depth=str(MAX_BUNDLE_JSON_DEPTH)) from None


def _parse(data: bytes, source: str) -> dict[str, Any]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise _refuse(source, N_("is over {limit} bytes: not read"), limit=f"{MAX_BUNDLE_BYTES:,}")
    parsed = _json_of(data, source)
    if nested_deeper_than(parsed, MAX_BUNDLE_JSON_DEPTH):
        raise _refuse(source, _NESTED, depth=str(MAX_BUNDLE_JSON_DEPTH))
    if not isinstance(parsed, dict) or parsed.get("resourceType") != "Bundle":
        kind = parsed.get("resourceType") if isinstance(parsed, dict) else None
        if isinstance(kind, str):
            raise _refuse(
                source,
                N_("expected a FHIR Bundle (a patient's $everything or a search), got a {kind}"),
                kind=echo(kind),
            )
        raise _refuse(
            source,
            N_(
                "expected a FHIR Bundle (a patient's $everything or a search), got not a FHIR "
                "resource"
            ),
        )
    if parsed.get("type") == "history":
        raise _refuse(source, N_("is a history Bundle (every version of each resource): not read"))
    return parsed


def _entries(bundle: dict[str, Any], source: str) -> list[tuple[str | None, dict[str, Any]]]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise _refuse(source, N_("entry must be a list"))
    if len(entries) > MAX_BUNDLE_ENTRIES:
        raise _refuse(
            source,
            N_("holds {count} entries; at most {limit} are read"),
            count=f"{len(entries):,}",
            limit=f"{MAX_BUNDLE_ENTRIES:,}",
        )
    found = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
            full_url = entry.get("fullUrl")
            found.append((full_url if isinstance(full_url, str) else None, resource))
    return found


def _local(resource: dict[str, Any]) -> str | None:
    kind, rid = resource.get("resourceType"), resource.get("id")
    return f"{kind}/{rid}" if isinstance(kind, str) and isinstance(rid, str) and rid else None


def _resolver(entries: list[tuple[str | None, dict[str, Any]]]) -> dict[str, str]:
    """Each entry's `fullUrl` (`urn:uuid:...` or absolute) to its `Type/id`."""
    found: dict[str, str] = {}
    for full_url, resource in entries:
        local = _local(resource)
        if full_url and local:
            found[full_url] = local
    return found


def _resolve(reference: str, urls: Mapping[str, str]) -> str:
    if reference in urls:
        return urls[reference]
    parts = reference.split("/_history/", maxsplit=1)[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


def _patient_of(resource: dict[str, Any], urls: Mapping[str, str]) -> str | None:
    for field in PATIENT_FIELDS:
        named = resource.get(field)
        reference = named.get("reference") if isinstance(named, dict) else None
        if isinstance(reference, str):
            local = _resolve(reference, urls)
            if local.startswith("Patient/"):
                return local.removeprefix("Patient/")
    return None


def _with_local_references(resource: dict[str, Any], urls: Mapping[str, str]) -> dict[str, Any]:
    """A shallow copy whose patient and medication references read `Type/id`."""
    copy = dict(resource)
    for field in (*PATIENT_FIELDS, "medicationReference"):
        named = resource.get(field)
        reference = named.get("reference") if isinstance(named, dict) else None
        if isinstance(reference, str) and not reference.startswith("#"):
            copy[field] = {**named, "reference": _resolve(reference, urls)}  # type: ignore[dict-item]
    return copy


def read_patient_record(data: bytes, source: str) -> PatientRecord:
    """One patient's resources from a Bundle; `BundleError` if it is not one, is over a
    bound, names no patient, or holds resources of more than one patient."""
    bundle = _parse(data, source)
    entries = _entries(bundle, source)
    urls = _resolver(entries)
    patients: dict[str, None] = {}
    for _, resource in entries:
        if resource.get("resourceType") == "Patient" and isinstance(resource.get("id"), str):
            patients[str(resource["id"])] = None
        about = _patient_of(resource, urls)
        if about is not None:
            patients[about] = None
    if not patients:
        raise _refuse(source, N_("names no patient: no Patient entry and no resource about one"))
    if len(patients) > 1:
        shown = ", ".join(echo(p) for p in list(patients)[:5])
        raise _refuse(
            source,
            N_("holds resources of {count} patients ({shown}): give one patient's record only"),
            count=str(len(patients)),
            shown=shown,
        )
    (patient,) = patients
    resources = tuple(_with_local_references(r, urls) for _, r in entries)
    medications = {
        f"Medication/{r['id']}": r
        for r in resources
        if r.get("resourceType") == "Medication" and isinstance(r.get("id"), str)
    }
    notes = []
    links = bundle.get("link")
    if isinstance(links, list) and any(
        isinstance(link, dict) and link.get("relation") == "next" for link in links
    ):
        notes.append(
            f"{source} is one page of a longer search (it has a next link): only this page "
            "was read; the rest of the record was not seen"
        )
    return PatientRecord(patient, resources, medications, tuple(notes))


def propose(
    record: RecordMap,
    patient_record: PatientRecord,
    answered: Iterable[str],
    today: date,
) -> Proposals:
    """Yes, from the record, for each item the record answers and the clinician has not
    (`answered`: the items already answered, which the record never changes)."""
    given = set(answered)
    findings = record_findings(
        record,
        patient_record.resources,
        patient_record.patient,
        today,
        patient_record.medications,
    )
    return Proposals(
        patient=patient_record.patient,
        proposed=tuple(f for f in findings if f.item not in given),
        answered=tuple(f.item for f in findings if f.item in given),
        notes=patient_record.notes,
    )


def provenance(finding: Finding) -> str:
    """What the form shows beside a proposed answer: "from the record: <display> (<date>)"."""
    when = finding.date or "no date recorded"
    return f"from the record: {finding.display} ({when})"
