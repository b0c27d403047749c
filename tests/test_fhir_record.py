"""Answers drawn from the record: rules/record.yaml validated fail-closed, codes matched
exactly, and nothing but Yes ever comes from it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from screening import PackError, RulePack
from screening.fhir.record import record_findings
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.record_map import RECORD_FILE, RecordMap, load_record_map

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TODAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def record() -> RecordMap:
    found = load_record_map(DEFAULT_RULES_DIR, load_pack(DEFAULT_RULES_DIR))
    assert found is not None
    return found


def medication(code: str, kind: str = "MedicationStatement", **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
        **fields,
    }


def condition(system: str, code: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code, "display": "x"}]},
        "recordedDate": "2025-03-02",
        **fields,
    }


def systolic(value: float, unit: str = "mm[Hg]", status: str = "final") -> dict[str, Any]:
    """A blood pressure panel with its systolic component."""
    return {
        "resourceType": "Observation",
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-12-01T09:30:00Z",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": value, "code": unit},
            }
        ],
    }


def items(record: RecordMap, *resources: dict[str, Any], **kwargs: Any) -> list[str]:
    return [f.item for f in record_findings(record, resources, "p1", TODAY, **kwargs)]


class TestFindings:
    """A listed code on an active resource of the patient gives Yes; anything else nothing."""

    def test_theophylline_answers_the_interacting_medicines_item(self, record: RecordMap) -> None:
        (finding,) = record_findings(
            record, [medication("10438", effectivePeriod={"start": "2026-11-20"})], "p1", TODAY
        )
        assert (finding.item, finding.match, finding.resource, finding.date) == (
            "interacting_medicines_label",
            "theophylline-aminophylline",
            "MedicationStatement",
            "2026-11-20",
        )
        assert finding.code == f"{RXNORM}|10438"

    def test_a_medication_request_counts_too(self, record: RecordMap) -> None:
        assert items(record, medication("689", "MedicationRequest")) == [
            "interacting_medicines_label"
        ]

    @pytest.mark.parametrize(
        "change",
        [
            {"status": "stopped"},
            {"status": "entered-in-error"},
            {"status": "completed"},
            {"subject": {"reference": "Patient/p2"}},
            {"subject": None},
        ],
    )
    def test_a_resource_that_does_not_count_answers_nothing(
        self, record: RecordMap, change: dict[str, Any]
    ) -> None:
        assert items(record, {**medication("10438"), **change}) == []

    def test_an_unlisted_code_or_system_answers_nothing(self, record: RecordMap) -> None:
        other_system = medication("10438")
        other_system["medicationCodeableConcept"]["coding"][0]["system"] = "urn:local"
        assert items(record, medication("161"), other_system) == []

    def test_an_opioid_counts_only_after_90_days_and_only_with_a_start(
        self, record: RecordMap
    ) -> None:
        long_ago = medication("7804", effectivePeriod={"start": "2026-09-07"})  # 90 days
        recent = medication("7804", effectivePeriod={"start": "2026-09-08"})  # 89 days
        undated = medication("7804")
        assert items(record, long_ago) == ["long_term_opioid_use"]
        assert items(record, recent) == []
        assert items(record, undated) == []

    def test_a_contained_or_prefetched_medication_is_followed(self, record: RecordMap) -> None:
        contained = {
            **medication("x"),
            "medicationCodeableConcept": None,
            "medicationReference": {"reference": "#m"},
            "contained": [
                {
                    "resourceType": "Medication",
                    "id": "m",
                    "ingredient": [
                        {"itemCodeableConcept": {"coding": [{"system": RXNORM, "code": "3322"}]}}
                    ],
                }
            ],
        }
        del contained["medicationCodeableConcept"]
        assert items(record, contained) == ["sedating_medications"]
        referenced = {**medication("x"), "medicationReference": {"reference": "Medication/9"}}
        del referenced["medicationCodeableConcept"]
        prefetched = {
            "Medication/9": {
                "resourceType": "Medication",
                "id": "9",
                "code": {"coding": [{"system": RXNORM, "code": "6960"}]},
            }
        }
        assert items(record, referenced, medications=prefetched) == ["sedating_medications"]

    def test_an_icd10_code_counts_under_its_category(self, record: RecordMap) -> None:
        icd = "http://hl7.org/fhir/sid/icd-10-cm"
        assert items(record, condition(icd, "F20.0")) == ["psychosis_history"]
        assert items(record, condition(icd, "F21")) == []

    @pytest.mark.parametrize(
        "change",
        [
            {"verificationStatus": {"coding": [{"code": "provisional"}]}},
            {"verificationStatus": {"coding": [{"code": "refuted"}]}},
            {"clinicalStatus": {"coding": [{"code": "resolved"}]}},
        ],
    )
    def test_a_suspected_refuted_or_resolved_diagnosis_answers_nothing(
        self, record: RecordMap, change: dict[str, Any]
    ) -> None:
        icd = "http://hl7.org/fhir/sid/icd-10-cm"
        assert items(record, condition(icd, "F20.0", **change)) == []

    def test_blood_pressure_above_the_threshold_is_yes_and_at_it_nothing(
        self, record: RecordMap
    ) -> None:
        assert items(record, systolic(181)) == ["cardiovascular_poorly_controlled"]
        assert items(record, systolic(180)) == []
        assert items(record, systolic(200, unit="kPa")) == []
        assert items(record, systolic(200, status="preliminary")) == []

    def test_an_allergy_to_ketamine_is_read_from_its_patient_field(self, record: RecordMap) -> None:
        allergy = {
            "resourceType": "AllergyIntolerance",
            "patient": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": RXNORM, "code": "6130"}]},
        }
        assert items(record, allergy) == ["prior_ketamine_adverse_reaction"]

    def test_a_code_counts_only_in_the_resource_types_its_match_reads(
        self, record: RecordMap
    ) -> None:
        # ketamine (6130) in an AllergyIntolerance answers the adverse-reaction item; as a
        # medication on the list it answers nothing
        assert items(record, medication("6130")) == []

    def test_a_match_only_ever_answers_yes(self, record: RecordMap) -> None:
        assert {m.answer for m in record.matches} == {"yes"}

    def test_every_code_says_where_it_was_checked_or_that_it_was_not(
        self, record: RecordMap
    ) -> None:
        codes = [c for m in record.matches for c in m.codes] + list(record.orders.codes)
        assert all(c.verified for c in codes)
        assert any(c.verified == "not verified" for c in codes)


def pack_with(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, folder)
    (folder / RECORD_FILE).write_text(text, encoding="utf-8")
    return folder


GOOD = (DEFAULT_RULES_DIR / RECORD_FILE).read_text(encoding="utf-8")


class TestFailClosed:
    """A wrong record.yaml refuses the whole pack, naming file, line and match."""

    def test_an_unknown_item_is_refused_at_its_line(self, tmp_path: Path) -> None:
        folder = pack_with(
            tmp_path,
            GOOD.replace("item: raised_intracranial_or_intraocular_pressure", "item: no_such_item"),
        )
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        (problem,) = caught.value.problems
        line = GOOD.splitlines().index("    - id: glaucoma") + 1
        assert str(problem) == (
            f"{folder}/record.yaml:{line}: glaucoma: item: 'no_such_item' is not an item of this "
            "pack (rules/items.yaml)"
        )

    def test_an_answer_other_than_yes_is_refused(self, tmp_path: Path) -> None:
        folder = pack_with(tmp_path, GOOD.replace('answer: "yes"', 'answer: "no"', 1))
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        assert "answer: Input should be 'yes'" in str(caught.value)

    def test_a_code_without_its_verification_is_refused(self, tmp_path: Path) -> None:
        folder = pack_with(tmp_path, GOOD.replace("          verified: not verified\n", "", 1))
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        assert "verified: required field is missing" in str(caught.value)

    def test_an_observation_without_a_threshold_is_refused(self, tmp_path: Path) -> None:
        start = GOOD.index("      threshold:")
        end = GOOD.index("      codes:", start)
        folder = pack_with(tmp_path, GOOD[:start] + GOOD[end:])
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        assert "an Observation match reads Observations only and needs a threshold" in str(
            caught.value
        )

    def test_the_service_refuses_to_start_on_a_bad_mapping(
        self, tmp_path: Path, shipped_pack: RulePack
    ) -> None:
        folder = pack_with(tmp_path, "record: {}\n")
        with pytest.raises(PackError) as caught:
            load_record_map(folder, shipped_pack)
        assert "record.orders: required field is missing" in str(caught.value)

    def test_a_pack_without_the_file_has_no_mapping(
        self, tmp_path: Path, shipped_pack: RulePack
    ) -> None:
        folder = tmp_path / "rules"
        shutil.copytree(DEFAULT_RULES_DIR, folder)
        (folder / RECORD_FILE).unlink()
        assert load_record_map(folder, shipped_pack) is None
        assert load_pack(folder).sha256 == shipped_pack.sha256
