"""Issue 22 item 5, format 4: the References print each source's evidence grade, and a group
of open points never splits across a page."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from screening import AnswersFile, RulePack, evaluate
from screening.canonical import checklist_digest
from screening.models import Checklist
from screening.pdf import checklist_pdf
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT, section_blocks, statement_lines
from screening.statements import group_statements

PAGE = "\x00PAGE\x00"


def _pages(pdf: bytes) -> list[str]:
    return [
        re.sub(r"\s+", " ", page.extract_text()).strip()
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def _made(pack: RulePack, answers: dict[str, str]) -> tuple[bytes, Checklist]:
    given = AnswersFile.model_validate({"answers": answers})
    checklist = evaluate(pack, given)
    return checklist_pdf(checklist), checklist


def test_format_4_references_print_each_sources_grade_and_certainty(
    shipped_pack: RulePack,
) -> None:
    pdf, checklist = _made(shipped_pack, {"chronic_pain_over_3_months": "yes"})
    text = " ".join(_pages(pdf))
    references = text[text.rindex("References") :]
    graded = [s for s in checklist.cited if s.grade]
    assert graded
    for source in graded:
        grade = shipped_pack.source(source.id).grade
        assert grade is not None
        assert source.grade == grade
        assert f"Evidence: {' '.join(grade.split())}" in references


def test_a_checklist_source_without_a_grade_hashes_as_before_0_4_0(shipped_pack: RulePack) -> None:
    checklist = evaluate(shipped_pack, AnswersFile.model_validate({"answers": {}}))
    dumped = checklist.model_dump(mode="json")
    stripped = Checklist.model_validate(
        dumped
        | {
            "entries": [
                e
                | {"sources": [{k: v for k, v in s.items() if k != "grade"} for s in e["sources"]]}
                for e in dumped["entries"]
            ]
        }
    )
    assert all(s.grade is None for s in stripped.cited)
    again = stripped.model_dump(mode="json")["entries"]
    assert all("grade" not in s for e in again for s in e["sources"])
    assert CONTRACTS[3].reference_grade is False
    assert CONTRACTS[CURRENT_FORMAT].reference_grade is True
    assert checklist_digest(stripped) != checklist_digest(checklist)


@pytest.mark.parametrize(
    "answers",
    [{}, {"chronic_pain_over_3_months": "yes", "condition_crps": "yes"}],
    ids=["nothing-answered", "two-answers"],
)
def test_an_open_point_group_never_splits_across_a_page(
    shipped_pack: RulePack, answers: dict[str, str]
) -> None:
    pdf, checklist = _made(shipped_pack, answers)
    text = PAGE.join(_pages(pdf))
    contract = CONTRACTS[CURRENT_FORMAT]
    at = text.index("Checklist ")
    groups = 0
    for block in section_blocks(contract, checklist):
        for item_id, group in block.open_groups:
            question = shipped_pack.item(item_id).question
            start = text.index(contract.find_out.format(question=question), at)
            end = start
            for entry in group:
                end = text.index(f"Rule {entry.rule_id} · Sources:", end)
            for line in statement_lines(contract, group_statements(group)):
                end = text.index(" ".join(line.split())[:40], end)
            assert PAGE not in text[start:end], f"the group under {question!r} splits"
            at = end
            groups += 1
    assert groups > 3
