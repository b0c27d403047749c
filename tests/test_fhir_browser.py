"""In a real Chromium: the form's FHIR download is a valid response that loads back."""

from __future__ import annotations

import json
import re

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from playwright.sync_api import FilePayload, Page, expect

from screening import RulePack
from screening.fhir.questionnaire import questionnaire_canonical
from tests.browser_helpers import (
    ANSWERS,
    MARKER,
    after_rerun,
    build,
    download,
    expect_filled,
    load,
    toggle_save_panel,
)

pytestmark = pytest.mark.browser


def test_the_fhir_download_is_a_response_that_loads_back(
    page: Page,
    shipped_pack: RulePack,
) -> None:
    load(page)
    toggle_save_panel(page)
    saved = download(page, "Save as FHIR QuestionnaireResponse")
    response = json.loads(saved)
    QuestionnaireResponse.model_validate(response)
    assert response["questionnaire"] == questionnaire_canonical(shipped_pack)
    assert response["subject"] == {"display": MARKER}
    answered = {q["linkId"] for group in response["item"] for q in group["item"]}
    assert answered == set(ANSWERS)
    page.get_by_role("button", name="Start a new screening").click()
    page.get_by_role("button", name="Clear all answers, details and ticks").click()
    page.get_by_text(re.compile(r"^0 of \d+ answered$")).wait_for()
    page.locator(".st-key-upload__answers input[type=file]").set_input_files(
        files=FilePayload(name="saved.fhir.json", mimeType="application/json", buffer=saved)
    )
    page.get_by_text(f"Loaded {len(ANSWERS)} answer(s) from saved.fhir.json.").wait_for()
    expect_filled(page)


def test_a_record_with_theophylline_prefills_awaiting_confirmation_then_raises_its_point(
    page: Page,
) -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2026-11-20"},
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "10438",
                    "display": "theophylline",
                }
            ]
        },
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}, {"resource": statement}],
    }
    after_rerun(page, page.get_by_text("Pre-fill from the record: FHIR Bundle (JSON)").click)
    upload = page.locator(".st-key-upload__record input[type=file]")
    payload = FilePayload(
        name="record.json", mimeType="application/json", buffer=json.dumps(bundle).encode()
    )
    after_rerun(page, lambda: upload.set_input_files(files=payload))
    proposal = page.locator(".st-key-record__interacting_medicines_label")
    expect(proposal.get_by_text("Awaiting confirmation")).to_be_visible()
    expect(proposal.get_by_text("from the record: theophylline (2026-11-20)")).to_be_visible()
    yes = page.locator(".st-key-answer__interacting_medicines_label").get_by_role(
        "radio", name="Yes", exact=True
    )
    expect(yes).to_have_attribute("aria-checked", "false")
    after_rerun(page, proposal.get_by_role("button", name="Confirm").click)
    expect(yes).to_have_attribute("aria-checked", "true")
    expect(
        page.get_by_text("from the record: theophylline (2026-11-20): confirmed.")
    ).to_be_visible()
    build(page)
    expect(page.locator(".st-key-tick__held__medical-interacting-medicines")).to_be_visible()
