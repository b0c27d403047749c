"""Pack schemas: a pack written for schema 1.0 (screening 0.1.0 and 0.2.0, rules without a
summary) is read by that schema only to verify the PDFs it made; everything else reads the
current schema, which refuses it.

The golden PDFs of formats 1 and 2 and their pack (tests/fixtures/pdf) are the real case.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from screening import AnswersFile, PackError, evaluate, load_pack
from screening.models import CURRENT_PACK_SCHEMA, PackSchema, RulePack
from screening.open_entries import entry_headline, entry_text
from screening.pack.loader import DEFAULT_RULES_DIR, WRITTEN_FOR_1_0
from screening.pdf import pack_for_verifying
from screening.review.report import review_csv, review_markdown
from tests.conftest import MINI_PACK, write_pack

GOLDEN = Path(__file__).parent / "fixtures" / "pdf"
PACK_1_0 = GOLDEN / "pack-1.0.0"
PACK_1_0_SHA256 = "575fe38877e006080786d27b01d18692b8d5fb12737d09a6e0e9c52751017f9c"
FORMAT_1 = GOLDEN / "format-1_screening-0.1.0_partly-answered.pdf"
FORMAT_2 = GOLDEN / "format-2_screening-0.2.0_marks-and-notes.pdf"
FORMAT_3 = GOLDEN / "format-3_screening-0.3.0_marks-and-notes.pdf"

RULES_1_0 = "".join(
    line
    for line in MINI_PACK["rules-main.yaml"].splitlines(keepends=True)
    if "summary:" not in line
)
"""The mini pack's rules as schema 1.0 wrote them: without summaries."""


def mini_1_0(folder: Path, rules: str = RULES_1_0) -> Path:
    return write_pack(folder, {"rules-main.yaml": rules})


def refusal(folder: Path, schema: PackSchema = CURRENT_PACK_SCHEMA) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(folder, schema)
    return [str(p) for p in caught.value.problems]


class TestReadingBySchema10:
    """Schema 1.0 reads rules without a summary, and hashes them as 0.1.0 did."""

    def test_the_pack_that_made_the_format_1_and_2_files_loads_with_its_sha256(self) -> None:
        pack = load_pack(PACK_1_0, "1.0")
        assert (pack.sha256, pack.pack_schema) == (PACK_1_0_SHA256, "1.0")
        assert all(rule.summary is None for rule in pack.rules)

    def test_a_rule_with_a_summary_is_refused_by_schema_1_0(self, tmp_path: Path) -> None:
        problems = refusal(write_pack(tmp_path / "p"), "1.0")
        assert len(problems) == 3
        assert problems[0] == (
            f"{tmp_path / 'p' / 'rules-main.yaml'}:6: substance-history: rules.summary: is not "
            "part of a rule in pack schema 1.0 (got 'Discuss the substance use history')"
        )

    def test_schema_1_0_does_not_refuse_a_gatekeeping_phrase(self, tmp_path: Path) -> None:
        gated = RULES_1_0.replace(
            "monitoring by trained staff.", "monitoring before going further."
        )
        assert gated != RULES_1_0
        load_pack(mini_1_0(tmp_path / "p", gated), "1.0")
        with_summaries = MINI_PACK["rules-main.yaml"].replace(
            "monitoring by trained staff.", "monitoring before going further."
        )
        (problem,) = refusal(write_pack(tmp_path / "q", {"rules-main.yaml": with_summaries}))
        assert "gatekeeping language (before going further)" in problem

    def test_schema_1_0_still_refuses_a_verdict_word(self, tmp_path: Path) -> None:
        verdict = RULES_1_0.replace("Side effects need watching.", "The patient is eligible.")
        (problem,) = refusal(mini_1_0(tmp_path / "p", verdict), "1.0")
        assert problem.endswith("setting-monitoring: rationale uses verdict language (eligible)")


class TestReadingByTheCurrentSchema:
    """The current schema refuses a 1.0 pack whole, and says first what kind of pack it is."""

    def test_a_pack_without_any_summary_is_refused_saying_it_was_written_for_1_0(
        self, tmp_path: Path
    ) -> None:
        folder = mini_1_0(tmp_path / "p")
        problems = refusal(folder)
        assert problems[0] == f"{folder}: {WRITTEN_FOR_1_0}"
        assert problems[1:] == [
            f"{folder / 'rules-main.yaml'}:{line}: {rule}: rules.summary: required field is missing"
            for line, rule in (
                (2, "substance-history"),
                (9, "substance-active"),
                (19, "setting-monitoring"),
            )
        ]

    def test_a_pack_missing_one_summary_gets_no_such_line(self, tmp_path: Path) -> None:
        first = '    summary: "Discuss the substance use history"\n'
        rules = MINI_PACK["rules-main.yaml"].replace(first, "")
        problems = refusal(write_pack(tmp_path / "p", {"rules-main.yaml": rules}))
        assert [p.split(": ", 1)[1] for p in problems] == [
            "substance-history: rules.summary: required field is missing"
        ]

    def test_the_golden_1_0_pack_is_refused_by_check(self) -> None:
        problems = refusal(PACK_1_0)
        assert problems[0].endswith(WRITTEN_FOR_1_0)
        assert len(problems) == 1 + 38


class TestWithoutASummary:
    """What needs a summary falls back to the rule's text: the open point, the review."""

    @pytest.fixture
    def pack(self, tmp_path: Path) -> RulePack:
        return load_pack(mini_1_0(tmp_path / "p"), "1.0")

    def test_an_open_point_says_what_it_would_raise_in_the_rules_full_text(
        self, pack: RulePack
    ) -> None:
        checklist = evaluate(pack, AnswersFile(answers={"history": "no"}), "t")
        (entry,) = checklist.entries
        assert (entry.text, entry.summary) == ("Arrange monitoring by trained staff.", "")
        assert entry_text(entry, checklist.label) == (
            "Find out: monitoring? If no: Arrange monitoring by trained staff."
        )
        assert entry_headline(entry) == "If no: Arrange monitoring by trained staff."

    def test_a_raised_point_has_an_empty_summary_as_records_before_1_1(
        self, pack: RulePack
    ) -> None:
        checklist = evaluate(pack, AnswersFile(answers={"history": "yes", "active": "no"}), "t")
        assert [(e.rule_id, e.summary) for e in checklist.entries] == [
            ("substance-history", ""),
            ("setting-monitoring", ""),
        ]

    def test_the_review_document_heads_a_rule_with_its_text_and_the_csv_leaves_it_empty(
        self, pack: RulePack
    ) -> None:
        assert "> **Arrange monitoring by trained staff.**" in review_markdown(pack)
        rows = list(csv.DictReader(io.StringIO(review_csv(pack))))
        assert [row["summary"] for row in rows] == ["", "", ""]


def verifying_refusal(folder: Path, pdf: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        pack_for_verifying(folder, pdf.read_bytes(), pdf.name)
    return [str(p) for p in caught.value.problems]


class TestThePackVerifyReadsAFileBy:
    """`verify` reads a pack by schema 1.0 only for a file of 0.1.0 or 0.2.0, and only when it
    is the very pack that made the file; otherwise the current schema's refusal stands."""

    def test_a_file_of_0_1_or_0_2_gets_the_pack_that_made_it_read_by_schema_1_0(self) -> None:
        pack = pack_for_verifying(PACK_1_0, FORMAT_2.read_bytes(), FORMAT_2.name)
        assert (pack.sha256, pack.pack_schema) == (PACK_1_0_SHA256, "1.0")

    def test_a_current_pack_is_read_by_the_current_schema_whatever_the_file(
        self, shipped_pack: RulePack
    ) -> None:
        pack = pack_for_verifying(DEFAULT_RULES_DIR, FORMAT_1.read_bytes(), FORMAT_1.name)
        assert (pack.sha256, pack.pack_schema) == (shipped_pack.sha256, CURRENT_PACK_SCHEMA)

    def test_another_1_0_pack_is_refused_as_not_the_one_that_made_the_file(
        self, tmp_path: Path
    ) -> None:
        folder = shutil.copytree(PACK_1_0, tmp_path / "p")
        meta = folder / "pack.yaml"
        meta.write_text(meta.read_text().replace('"1.0.0"', '"1.0.1"'), encoding="utf-8")
        (problem,) = verifying_refusal(folder, FORMAT_1)
        assert re.fullmatch(
            f"{re.escape(str(folder))}: read by pack schema 1.0, as screening 0.1.0 read packs, "
            f"it is not the pack that made {FORMAT_1.name}: its sha256 is [0-9a-f]{{64}}, the "
            f"file names {PACK_1_0_SHA256}",
            problem,
        )
        assert problem.count(PACK_1_0_SHA256) == 1

    def test_a_1_0_pack_refused_by_schema_1_0_gets_that_schemas_refusal(
        self, tmp_path: Path
    ) -> None:
        folder = shutil.copytree(PACK_1_0, tmp_path / "p")
        (folder / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
        problems = verifying_refusal(folder, FORMAT_2)
        assert problems[0] == (
            f"{folder}: read by pack schema 1.0, as screening 0.2.0 read packs, it is refused:"
        )
        assert problems[1:] == refusal(folder, "1.0")
        assert all("summary" not in problem for problem in problems)

    def test_a_pack_with_summaries_gets_the_current_schemas_refusal_alone(
        self, tmp_path: Path
    ) -> None:
        folder = shutil.copytree(GOLDEN / "pack-1.1.0", tmp_path / "p")
        (folder / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
        assert verifying_refusal(folder, FORMAT_1) == refusal(folder)

    def test_a_file_of_0_3_gets_only_the_current_schemas_refusal(self) -> None:
        assert verifying_refusal(PACK_1_0, FORMAT_3) == refusal(PACK_1_0)

    def test_a_file_that_is_no_checklist_pdf_gets_only_the_packs_refusal(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "x.pdf").write_bytes(b"%PDF-1.7 nothing more")
        assert verifying_refusal(PACK_1_0, tmp_path / "x.pdf") == refusal(PACK_1_0)
