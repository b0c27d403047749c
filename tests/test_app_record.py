"""Pre-filling the web form from a patient's FHIR Bundle (AppTest): each answer from the record
shows where it came from and waits for the clinician; unconfirmed, it never reaches the
checklist; a bad or two-patient Bundle is refused with a message and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.form import record_upload
from tests.app_helpers import open_every_question, open_panel

APP = str(Path(__file__).resolve().parent.parent / "app.py")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ITEM = "interacting_medicines_label"
HELD = "held__medical-interacting-medicines"
OPEN = "open__medical-interacting-medicines"
"""The point the item raises when Yes, and the one asking to find out while unanswered."""


def theophylline_bundle(*extra: dict[str, Any]) -> bytes:
    """A patient's searchset with theophylline on the medication list."""
    statement = {
        "resourceType": "MedicationStatement",
        "id": "m1",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2026-11-20"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "10438", "display": "theophylline"}]
        },
    }
    resources = [{"resourceType": "Patient", "id": "p1"}, statement, *extra]
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources],
        }
    ).encode()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.delenv("SCREENING_RULES_DIR", raising=False)
    at = AppTest.from_file(APP, default_timeout=30).run()
    return open_panel(at, record_upload.RECORD_PANEL)


def upload(at: AppTest, content: bytes, name: str = "record.json") -> AppTest:
    at.file_uploader(key=record_upload.RECORD_UPLOAD_KEY).set_value(
        (name, content, "application/json")
    )
    return at.run()


def build(at: AppTest) -> set[str]:
    """The points the checklist shows, as "held__<rule id>" (the rule holds) or
    "open__<rule id>" (an answer it needs is missing), from their tick boxes."""
    open_every_question(at.button(key="build").click().run())
    assert not at.exception
    return {str(c.key).removeprefix("tick__") for c in at.checkbox}


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


class TestPrefill:
    def test_an_answer_from_the_record_shows_its_source_and_awaits_confirmation(
        self, app: AppTest
    ) -> None:
        upload(app, theophylline_bundle())
        assert not app.exception
        (awaiting,) = [m for m in markdown(app) if "Awaiting confirmation" in m]
        assert "from the record: theophylline (2026-11-20)" in awaiting
        assert app.segmented_control(key=f"answer__{ITEM}").value is None
        assert any("1 answer(s) proposed" in s.value for s in app.success)
        assert any("await confirmation" in w.value for w in app.warning)

    def test_an_unconfirmed_answer_does_not_reach_the_checklist(self, app: AppTest) -> None:
        upload(app, theophylline_bundle())
        points = build(app)
        assert HELD not in points
        assert OPEN in points  # not assessed: left to find out, never taken as No
        assert any("await confirmation" in w.value for w in app.warning)

    def test_confirm_makes_it_a_yes_that_raises_its_point(self, app: AppTest) -> None:
        upload(app, theophylline_bundle())
        app.button(key=f"record_confirm__{ITEM}").click().run()
        assert app.segmented_control(key=f"answer__{ITEM}").value == "yes"
        assert "Yes from the record: theophylline (2026-11-20): confirmed." in captions(app)
        assert not any("await confirmation" in w.value for w in app.warning)
        points = build(app)
        assert HELD in points and OPEN not in points

    def test_change_sets_the_record_aside_for_the_clinicians_own_answer(self, app: AppTest) -> None:
        upload(app, theophylline_bundle())
        app.button(key=f"record_change__{ITEM}").click().run()
        assert app.segmented_control(key=f"answer__{ITEM}").value is None
        assert any("set aside" in c for c in captions(app))
        assert not any("await confirmation" in w.value for w in app.warning)
        app.segmented_control(key=f"answer__{ITEM}").set_value("no").run()
        assert "Yes from the record: theophylline (2026-11-20): changed to No." in captions(app)
        assert HELD not in build(app)

    def test_a_clinicians_answer_given_before_the_upload_is_kept(self, app: AppTest) -> None:
        app.segmented_control(key=f"answer__{ITEM}").set_value("no").run()
        open_panel(app, record_upload.RECORD_PANEL)
        upload(app, theophylline_bundle())
        assert app.segmented_control(key=f"answer__{ITEM}").value == "no"
        assert not [m for m in markdown(app) if "Awaiting confirmation" in m]
        assert any("left as you answered them" in s.value for s in app.success)


class TestRefusals:
    def test_a_bundle_of_two_patients_is_refused_with_a_message(self, app: AppTest) -> None:
        upload(app, theophylline_bundle({"resourceType": "Patient", "id": "p2"}))
        assert not app.exception
        assert any("was not used" in e.value for e in app.error)
        assert any("2 patients" in c.value for c in app.code)
        assert not [m for m in markdown(app) if "Awaiting confirmation" in m]

    def test_a_file_that_is_not_json_is_refused_with_a_message(self, app: AppTest) -> None:
        upload(app, b"not json")
        assert any("not valid JSON" in c.value for c in app.code)

    def test_an_unexpected_error_is_said_plainly(
        self, app: AppTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_: Any) -> Any:
            raise RuntimeError("bug")

        monkeypatch.setattr(record_upload, "read_patient_record", broken)
        upload(app, theophylline_bundle())
        assert any("an unexpected error occurred" in c.value for c in app.code)
