"""The running head atop every page labels the patient reference, so free text that reads like
a heading (a verdict typed as a reference) never stands alone atop the pages (issue 20)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from screening import AnswersFile, RulePack, evaluate
from screening.pdf import checklist_pdf
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT, running_head

VERDICT_LIKE = "ELIGIBLE - APPROVED FOR KETAMINE"


@pytest.fixture
def pages(shipped_pack: RulePack) -> list[str]:
    answers = AnswersFile(
        answers={"substance_use_history": "yes"},
        patient_reference=VERDICT_LIKE,
        date="2026-12-06",
    )
    pdf = checklist_pdf(evaluate(shipped_pack, answers))
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_every_page_after_the_first_labels_the_patient_reference(pages: list[str]) -> None:
    assert len(pages) > 1
    for text in pages[1:]:
        head = next(line for line in text.splitlines() if line.startswith("Discussion checklist"))
        assert f"· Patient reference: {VERDICT_LIKE} ·" in head


def test_earlier_formats_keep_the_bare_reference_they_printed(shipped_pack: RulePack) -> None:
    answers = AnswersFile(patient_reference="Bed 4")
    rule_set = evaluate(shipped_pack, answers).rule_set
    assert "· Bed 4 ·" in running_head(CONTRACTS[3], answers, rule_set)
    assert "· Patient reference: Bed 4 ·" in running_head(
        CONTRACTS[CURRENT_FORMAT], answers, rule_set
    )
