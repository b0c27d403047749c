"""record.yaml in front of the committee: the review document shows every mapping with its
codes and where each was checked, and `diff` names each mapping that changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening.cli import cli
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.record_map import RECORD_FILE, load_record_map
from screening.review.diff import diff_packs, diff_text
from screening.review.report import review_html, review_markdown


def copied(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(DEFAULT_RULES_DIR, folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / RECORD_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def diff_of(old: Path, new: Path) -> str:
    before, after = load_pack(old), load_pack(new)
    found = diff_packs(before, after, load_record_map(old, before), load_record_map(new, after))
    return diff_text(found, "old", "new")


class TestReviewDocument:
    def test_every_mapping_is_shown_with_its_codes_and_where_each_was_checked(self) -> None:
        pack = load_pack(DEFAULT_RULES_DIR)
        record = load_record_map(DEFAULT_RULES_DIR, pack)
        assert record is not None
        text = review_markdown(pack, (), record)
        assert "## Answers drawn from the record (record.yaml)" in text
        for match in record.matches:
            assert f"### `{match.id}`" in text
        assert (
            "| http://www.nlm.nih.gov/research/umls/rxnorm | 10438 | theophylline | not verified |"
            in text
        )
        assert "never No" in text
        assert "- Counts when above: 180 mm" in text  # the blood pressure threshold
        assert "Spravato" in text

    def test_without_a_mapping_the_document_has_no_such_part(self) -> None:
        pack = load_pack(DEFAULT_RULES_DIR)
        assert "Answers drawn from the record" not in review_markdown(pack)

    def test_the_html_document_escapes_and_shows_the_mapping(self) -> None:
        pack = load_pack(DEFAULT_RULES_DIR)
        page = review_html(pack, (), load_record_map(DEFAULT_RULES_DIR, pack))
        assert "<h2>Answers drawn from the record (record.yaml)</h2>" in page
        assert "<td>theophylline</td>" in page

    def test_the_rules_command_prints_the_mapping(self) -> None:
        result = CliRunner().invoke(cli, ["rules"])
        assert result.exit_code == 0, result.output
        assert "## Answers drawn from the record (record.yaml)" in result.output


class TestDiff:
    def test_a_changed_code_names_its_mapping_and_asks_for_a_new_version(
        self, tmp_path: Path
    ) -> None:
        old, new = copied(tmp_path, "old"), copied(tmp_path, "new")
        edit(new, 'code: "10734"', 'code: "10735"')
        text = diff_of(old, new)
        assert "1 record mapping changed." in text
        assert "Answers drawn from the record (record.yaml)\n  mao-inhibitors (changed)" in text
        assert "10735 tranylcypromine" in text
        assert "give the changed pack a new version number" in text

    def test_a_removed_mapping_is_listed_as_removed(self, tmp_path: Path) -> None:
        old, new = copied(tmp_path, "old"), copied(tmp_path, "new")
        (new / RECORD_FILE).unlink()
        text = diff_of(old, new)
        assert "glaucoma (removed)" in text and "ketamine orders (removed)" in text

    def test_a_changed_brand_name_is_named(self, tmp_path: Path) -> None:
        old, new = copied(tmp_path, "old"), copied(tmp_path, "new")
        edit(new, "brand_names: [Ketalar, Spravato]", "brand_names: [Ketalar]")
        assert "ketamine orders (changed)\n    ketamine brand names" in diff_of(old, new)

    def test_the_same_mapping_gives_no_differences(self, tmp_path: Path) -> None:
        old, new = copied(tmp_path, "old"), copied(tmp_path, "new")
        assert "No differences" in diff_of(old, new)

    def test_the_diff_command_reads_both_mappings(self, tmp_path: Path) -> None:
        old, new = copied(tmp_path, "old"), copied(tmp_path, "new")
        edit(new, "above: 180", "above: 170")
        result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
        assert result.exit_code == 0, result.output
        assert "severe-blood-pressure (changed)" in result.output
        assert "counts when above" in result.output


@pytest.fixture(autouse=True)
def _shipped_pack_has_a_mapping() -> None:
    assert (DEFAULT_RULES_DIR / RECORD_FILE).exists()
