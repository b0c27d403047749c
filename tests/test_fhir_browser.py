"""In a real Chromium: the form's FHIR download is a valid response that loads back, and our
Questionnaire filled in LHC-Forms (a renderer nobody here wrote) gives a response that reads back
to the same checklist as the same answers given directly."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from playwright.sync_api import Browser, FilePayload, Locator, Page, Route, expect

from screening import AnswersFile, RulePack
from screening.cli import cli
from screening.fhir.questionnaire import questionnaire, questionnaire_canonical
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


LFORMS = Path(__file__).resolve().parent / "lforms"
"""tests/lforms: package.json and package-lock.json pin LHC-Forms; `npm ci` there installs it
(`make lforms`, which `make unit` runs)."""
LFORMS_DIST = LFORMS / "node_modules" / "lforms" / "dist" / "lforms"
ORIGIN = "http://lforms.test"
"""The page's made-up origin: every request to it is answered from the files on disk by the
test (`Route.fulfill`), and any other request is refused, so nothing reaches a network."""
LFORMS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>LHC-Forms</title>
<link href="{ORIGIN}/lforms/webcomponent/styles.css" rel="stylesheet">
<script src="{ORIGIN}/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="{ORIGIN}/lforms/webcomponent/runtime.js" type="module"></script>
<script src="{ORIGIN}/lforms/webcomponent/polyfills.js" type="module"></script>
<script src="{ORIGIN}/lforms/webcomponent/main.js" type="module"></script>
<script src="{ORIGIN}/lforms/fhir/R4/lformsFHIR.min.js" defer></script>
</head><body><div id="form"></div></body></html>
"""
"""The files LHC-Forms' README lists for its web component, in its order; the FHIR library is
deferred so that it runs after the (deferred) modules have made `LForms`."""


def lforms_installed() -> Path:
    """LHC-Forms' dist folder; absent, the test is skipped, except under CI=true where it fails."""
    if (LFORMS_DIST / "webcomponent" / "main.js").is_file():
        return LFORMS_DIST
    reason = f"LHC-Forms is not installed: run `npm ci` in {LFORMS} (or `make lforms`)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture
def lforms(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A tab with LHC-Forms loaded from tests/lforms/node_modules, and the list of requests
    it made that were not to the local files (refused; the test expects none)."""
    dist = lforms_installed()
    elsewhere: list[str] = []

    def serve(route: Route) -> None:
        url = route.request.url.split("?", 1)[0]
        if url == f"{ORIGIN}/":
            route.fulfill(body=LFORMS_PAGE, content_type="text/html")
            return
        path = url.removeprefix(f"{ORIGIN}/lforms/")
        found = (dist / path).resolve()
        if url.startswith(f"{ORIGIN}/lforms/") and found.is_relative_to(dist) and found.is_file():
            route.fulfill(path=found)
            return
        elsewhere.append(route.request.url)
        route.abort()

    context = browser.new_context(viewport={"width": 1100, "height": 1300})
    context.route("**/*", serve)
    try:
        tab = context.new_page()
        tab.goto(f"{ORIGIN}/")
        tab.wait_for_function("() => window.LForms && LForms.Util && LForms.FHIR")
        yield tab, elsewhere
    finally:
        context.close()


FILLED = [
    ("chronic_pain_over_3_months", "Yes"),
    ("substance_use_history", "Yes"),
    ("substance_use_active", "Unknown"),  # a follow-up, shown by its parent's Yes
    ("ketamine_misuse_history", "No"),  # another
    ("cardiovascular_poorly_controlled", "Unknown"),
    ("course_planned", "Yes"),
    ("take_home_doses_planned", "Yes"),  # answered, then hidden: its parent becomes No
    ("course_planned", "No"),
]
"""Answers clicked in LHC-Forms, in order; the last changes a parent after its follow-up."""
GIVEN = {
    "chronic_pain_over_3_months": "yes",
    "substance_use_history": "yes",
    "substance_use_active": "unknown",
    "ketamine_misuse_history": "no",
    "cardiovascular_poorly_controlled": "unknown",
    "course_planned": "no",
}
"""The same answers as an answers file: what the form shows once they are all given."""


def lforms_question(tab: Page, link_id: str) -> Locator:
    """The question as LHC-Forms draws it (its element id starts with the linkId)."""
    return tab.locator(f'lhc-item[id^="item-{link_id}/"]').first


def evaluated(path: Path) -> dict[str, object]:
    """`screening evaluate FILE` as JSON, without what the file says about when it was made."""
    result = CliRunner().invoke(cli, ["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    checklist: dict[str, object] = json.loads(result.stdout)
    return {k: v for k, v in checklist.items() if k not in ("date", "generated")}


def test_our_questionnaire_filled_in_lhc_forms_reads_back_to_the_same_checklist(
    lforms: tuple[Page, list[str]], shipped_pack: RulePack, tmp_path: Path
) -> None:
    tab, elsewhere = lforms
    loaded = tab.evaluate(
        "q => LForms.Util.addFormToPage(q, 'form').then(() => 'loaded', e => String(e))",
        questionnaire(shipped_pack),
    )
    assert loaded == "loaded"
    for link_id, label in FILLED:
        lforms_question(tab, link_id).get_by_role("radio", name=label, exact=True).click()
    expect(lforms_question(tab, "take_home_doses_planned")).to_have_count(0)
    response = tab.evaluate(
        "() => LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', "
        "document.getElementById('form'))"
    )
    assert elsewhere == []
    assert response["questionnaire"] == questionnaire_canonical(shipped_pack)
    exported = tmp_path / "lforms.fhir.json"
    exported.write_text(json.dumps(response), encoding="utf-8")
    direct = tmp_path / "answers.json"
    direct.write_text(AnswersFile(answers=GIVEN).model_dump_json(), encoding="utf-8")
    assert evaluated(exported) == evaluated(direct)
