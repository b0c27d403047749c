"""A patient's record given as a FHIR Bundle: read within bounds, one patient only, and turned
into "Yes, from the record" proposals that never answer No and never override the clinician."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from screening.fhir.bundle import (
    BundleError,
    propose,
    provenance,
    read_patient_record,
)
from screening.limits import MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES, MAX_BUNDLE_JSON_DEPTH
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.record_map import RecordMap, load_record_map

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TODAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def record() -> RecordMap:
    found = load_record_map(DEFAULT_RULES_DIR, load_pack(DEFAULT_RULES_DIR))
    assert found is not None
    return found


def theophylline(subject: str = "Patient/p1", **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "m1",
        "status": "active",
        "subject": {"reference": subject},
        "effectivePeriod": {"start": "2026-11-20"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "10438", "display": "theophylline"}]
        },
        **fields,
    }


def bundle(*resources: dict[str, Any], **fields: Any) -> bytes:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources],
            **fields,
        }
    ).encode()


def refusal(data: bytes) -> str:
    with pytest.raises(BundleError) as caught:
        read_patient_record(data, "record.json")
    return str(caught.value)


PATIENT = {"resourceType": "Patient", "id": "p1"}


class TestReading:
    def test_a_searchset_of_one_patient_is_read_with_that_patient(self) -> None:
        read = read_patient_record(bundle(PATIENT, theophylline()), "record.json")
        assert read.patient == "p1"
        assert [r["resourceType"] for r in read.resources] == ["Patient", "MedicationStatement"]
        assert read.notes == ()

    def test_urn_uuid_references_are_resolved_through_full_urls(self, record: RecordMap) -> None:
        data = json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "fullUrl": "urn:uuid:aaa",
                        "resource": {"resourceType": "Patient", "id": "p9"},
                    },
                    {"fullUrl": "urn:uuid:bbb", "resource": theophylline("urn:uuid:aaa")},
                ],
            }
        ).encode()
        read = read_patient_record(data, "record.json")
        assert read.patient == "p9"
        assert [f.item for f in propose(record, read, [], TODAY).proposed] == [
            "interacting_medicines_label"
        ]

    def test_a_medication_reference_to_an_entry_is_followed(self, record: RecordMap) -> None:
        medication = {
            "resourceType": "Medication",
            "id": "theo",
            "code": {"coding": [{"system": RXNORM, "code": "10438", "display": "theophylline"}]},
        }
        statement = theophylline(medicationReference={"reference": "urn:uuid:med"})
        del statement["medicationCodeableConcept"]
        data = json.dumps(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [
                    {"fullUrl": "urn:uuid:med", "resource": medication},
                    {"resource": statement},
                ],
            }
        ).encode()
        found = propose(record, read_patient_record(data, "r.json"), [], TODAY)
        assert [f.item for f in found.proposed] == ["interacting_medicines_label"]

    def test_a_page_of_a_longer_search_is_read_and_said_to_be_partial(self) -> None:
        data = bundle(PATIENT, link=[{"relation": "next", "url": "https://x/fhir?page=2"}])
        (note,) = read_patient_record(data, "record.json").notes
        assert "one page of a longer search" in note


class TestRefusals:
    def test_resources_of_two_patients_are_refused(self) -> None:
        message = refusal(bundle(PATIENT, theophylline("Patient/p2")))
        assert "2 patients" in message and "p1" in message and "p2" in message

    def test_two_patient_entries_are_refused(self) -> None:
        assert "2 patients" in refusal(bundle(PATIENT, {"resourceType": "Patient", "id": "p2"}))

    def test_a_bundle_naming_no_patient_is_refused(self) -> None:
        assert "names no patient" in refusal(bundle({"resourceType": "Medication", "id": "x"}))

    def test_a_resource_that_is_not_a_bundle_is_refused(self) -> None:
        assert "got a Patient" in refusal(json.dumps(PATIENT).encode())

    def test_a_json_array_is_refused(self) -> None:
        assert "not a FHIR resource" in refusal(b"[]")

    def test_a_history_bundle_is_refused(self) -> None:
        assert "history Bundle" in refusal(bundle(PATIENT, type="history"))

    def test_a_file_over_the_byte_bound_is_refused_unread(self) -> None:
        assert f"over {MAX_BUNDLE_BYTES:,} bytes" in refusal(b" " * (MAX_BUNDLE_BYTES + 1))

    def test_more_entries_than_the_bound_are_refused(self) -> None:
        data = bundle(*([{"resourceType": "Basic"}] * (MAX_BUNDLE_ENTRIES + 1)))
        assert f"at most {MAX_BUNDLE_ENTRIES:,} are read" in refusal(data)

    def test_nesting_deeper_than_the_bound_is_refused(self) -> None:
        deep: Any = "x"
        for _ in range(MAX_BUNDLE_JSON_DEPTH):
            deep = {"a": deep}
        assert f"nested over {MAX_BUNDLE_JSON_DEPTH} deep" in refusal(bundle(PATIENT, deep))

    def test_nesting_beyond_the_parser_is_refused_cleanly(self) -> None:
        assert "nested over" in refusal(b"[" * 100_000)

    def test_invalid_json_is_refused_with_its_line(self) -> None:
        assert "record.json:1: not valid JSON" in refusal(b"{")

    def test_text_that_is_not_utf8_is_refused(self) -> None:
        assert "not UTF-8" in refusal(b"\xff\xfe")

    def test_half_a_surrogate_pair_is_refused_where_it_stands(self) -> None:
        """Valid JSON syntax, but no character: no page or reply could show it."""
        data = b'{"resourceType": "Bundle",\n "entry": [{"x": "a\\udc00"}]}'
        assert refusal(data) == (
            "record.json:2: escapes half of a surrogate pair alone (column 20): it stands for "
            "no character"
        )

    def test_an_endless_number_is_refused(self) -> None:
        assert "longer than" in refusal(b'{"n": ' + b"9" * 200 + b"}")

    def test_a_key_given_twice_is_refused_not_read_as_the_last(self) -> None:
        """A repeated key would let a second `subject` or `code` silently replace the first."""
        data = b'{"resourceType": "Bundle", "type": "searchset", "type": "collection"}'
        assert "repeats the key 'type'" in refusal(data)

    def test_nan_is_refused_as_not_json(self) -> None:
        assert "NaN, which is not JSON" in refusal(b'{"resourceType": "Bundle", "n": NaN}')

    def test_entry_that_is_not_a_list_is_refused(self) -> None:
        assert "entry must be a list" in refusal(b'{"resourceType": "Bundle", "entry": {}}')


class TestProposals:
    def test_theophylline_proposes_yes_with_its_provenance(self, record: RecordMap) -> None:
        found = propose(
            record, read_patient_record(bundle(PATIENT, theophylline()), "r"), [], TODAY
        )
        (finding,) = found.proposed
        assert finding.item == "interacting_medicines_label"
        assert provenance(finding) == "from the record: theophylline (2026-11-20)"
        assert found.patient == "p1"

    def test_an_item_the_clinician_answered_is_left_as_it_is(self, record: RecordMap) -> None:
        read = read_patient_record(bundle(PATIENT, theophylline()), "r")
        found = propose(record, read, ["interacting_medicines_label"], TODAY)
        assert found.proposed == ()
        assert found.answered == ("interacting_medicines_label",)

    def test_a_record_without_the_code_proposes_nothing_never_no(self, record: RecordMap) -> None:
        other = theophylline()
        other["medicationCodeableConcept"]["coding"][0]["code"] = "1191"  # aspirin
        found = propose(record, read_patient_record(bundle(PATIENT, other), "r"), [], TODAY)
        assert found.proposed == () and found.answered == ()

    def test_a_stopped_medication_proposes_nothing(self, record: RecordMap) -> None:
        stopped = theophylline(status="stopped")
        found = propose(record, read_patient_record(bundle(PATIENT, stopped), "r"), [], TODAY)
        assert found.proposed == ()

    def test_a_finding_without_a_date_says_so(self, record: RecordMap) -> None:
        undated = theophylline()
        del undated["effectivePeriod"]
        (finding,) = propose(
            record, read_patient_record(bundle(PATIENT, undated), "r"), [], TODAY
        ).proposed
        assert provenance(finding) == "from the record: theophylline (no date recorded)"
