"""In a real Chromium: the form's FHIR download is a valid response that loads back."""

from __future__ import annotations

import json
import re

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from playwright.sync_api import FilePayload, Page

from screening import RulePack
from screening.fhir.questionnaire import questionnaire_canonical
from tests.browser_helpers import (
    ANSWERS,
    MARKER,
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
