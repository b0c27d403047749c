"""The diff between two pack versions: every change, field by field, in plain language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening import load_pack
from screening.review.diff import (
    Change,
    FieldChange,
    PackDiff,
    diff_markdown,
    diff_packs,
    diff_text,
)
from tests.conftest import MINI_PACK, screening, write_pack

NEW_VERSION = MINI_PACK["pack.yaml"].replace('version: "0.1.0"', 'version: "0.2.0"')


def diff_of(tmp_path: Path, files: dict[str, str], bump: bool = True) -> PackDiff:
    old = load_pack(write_pack(tmp_path / "old"))
    changed = {"pack.yaml": NEW_VERSION, **files} if bump else files
    return diff_packs(old, load_pack(write_pack(tmp_path / "new", changed)))


def only_change(diff: PackDiff, what: str) -> Change:
    (change,) = [c for c in diff.changes if c.what == what]
    return change


class TestSameContent:
    """Two packs with the same content differ in nothing."""

    def test_identical_packs_have_no_changes(self, tmp_path: Path) -> None:
        diff = diff_of(tmp_path, {}, bump=False)
        assert diff.changes == ()
        assert diff.warnings == ()
        text = diff_text(diff, "old", "new")
        assert text.splitlines()[-1] == "No differences: the two packs hold the same content."

    def test_comments_and_layout_are_not_changes(self, tmp_path: Path) -> None:
        items = "# a comment\n" + MINI_PACK["items.yaml"].replace(
            "  - id: monitoring", "\n  - id: monitoring"
        )
        assert diff_of(tmp_path, {"items.yaml": items}, bump=False).changes == ()


class TestSources:
    """Sources added, removed and changed are listed with their citations."""

    def test_an_added_source_shows_its_citation(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"] + '  - id: src-c\n    citation: "C. New. 2024."\n'
        change = only_change(diff_of(tmp_path, {"sources.yaml": sources}), "source")
        assert (change.id, change.action) == ("src-c", "added")
        assert change.fields == (FieldChange("citation", None, "C. New. 2024."),)

    def test_a_removed_source_shows_what_it_was(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"] + '  - id: src-c\n    citation: "C. Old."\n'
        old = load_pack(write_pack(tmp_path / "old", {"sources.yaml": sources}))
        diff = diff_packs(old, load_pack(write_pack(tmp_path / "new", {"pack.yaml": NEW_VERSION})))
        change = only_change(diff, "source")
        assert (change.id, change.action, change.fields[0].was) == ("src-c", "removed", "C. Old.")

    def test_a_changed_citation_and_a_new_doi_are_listed_field_by_field(
        self, tmp_path: Path
    ) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '"Author A. A study. J Test. 2020;1:1-2."',
            '"Author A. A study. J Test. 2020;1:1-9."\n    doi: "10.1000/x"',
        )
        change = only_change(diff_of(tmp_path, {"sources.yaml": sources}), "source")
        assert (change.id, change.action) == ("src-a", "changed")
        assert change.fields == (
            FieldChange(
                "citation",
                "Author A. A study. J Test. 2020;1:1-2.",
                "Author A. A study. J Test. 2020;1:1-9.",
            ),
            FieldChange("DOI", None, "10.1000/x"),
        )


class TestItems:
    """Questions added, removed and changed; follow-up conditions compared as sentences."""

    def test_a_changed_question_shows_was_and_now(self, tmp_path: Path) -> None:
        items = MINI_PACK["items.yaml"].replace(
            "Can trained staff monitor the patient?", "Can trained nurses monitor the patient?"
        )
        change = only_change(diff_of(tmp_path, {"items.yaml": items}), "item")
        assert change.fields == (
            FieldChange(
                "question",
                "Can trained staff monitor the patient?",
                "Can trained nurses monitor the patient?",
            ),
        )

    def test_a_changed_asked_if_is_compared_as_sentences(self, tmp_path: Path) -> None:
        items = MINI_PACK["items.yaml"].replace(
            'asked_if: {item: history, is: "yes"}',
            'asked_if: {item: history, is: ["yes", "unknown"]}',
        )
        change = only_change(diff_of(tmp_path, {"items.yaml": items}), "item")
        assert change.fields == (
            FieldChange(
                "asked only when",
                "substance use history is Yes",
                "substance use history is Yes or Unknown",
            ),
        )

    def test_a_new_label_changes_the_item_but_not_the_rules_that_read_it(
        self, tmp_path: Path
    ) -> None:
        items = MINI_PACK["items.yaml"].replace(
            'label: "monitoring"', 'label: "trained monitoring"'
        )
        diff = diff_of(tmp_path, {"items.yaml": items})
        assert [(c.what, c.id) for c in diff.changes if c.what != "pack"] == [
            ("item", "monitoring")
        ]

    def test_an_added_item_shows_its_question_and_section(self, tmp_path: Path) -> None:
        items = MINI_PACK["items.yaml"] + (
            "  - id: transport\n    section: Setting\n    label: transport\n"
            '    question: "Is transport home arranged?"\n    help: "An escort."\n'
            "    sources: [src-b]\n"
        )
        change = only_change(diff_of(tmp_path, {"items.yaml": items}), "item")
        assert (change.id, change.action) == ("transport", "added")
        assert FieldChange("question", None, "Is transport home arranged?") in change.fields
        assert FieldChange("section", None, "Setting") in change.fields

    def test_a_reordered_form_is_noted(self, tmp_path: Path) -> None:
        first, rest = MINI_PACK["items.yaml"].split("  - id: active\n")
        active, monitoring = rest.split("  - id: monitoring\n")
        items = first + "  - id: monitoring\n" + monitoring + "  - id: active\n" + active
        diff = diff_of(tmp_path, {"items.yaml": items})
        assert diff.notes == ("The order of the questions on the form changed.",)


class TestRules:
    """Rules added, removed and changed, conditions read as sentences."""

    def test_a_changed_condition_is_shown_as_two_sentences(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace(
            '        - {item: history, is: "yes"}\n        - {item: active',
            "        - {item: active",
        )
        change = only_change(diff_of(tmp_path, {"rules-main.yaml": rules}), "rule")
        assert change.id == "substance-active"
        assert change.fields == (
            FieldChange(
                "condition",
                "substance use history is Yes and active use is Yes",
                "active use is Yes",
            ),
        )

    def test_changed_kind_text_and_sources_are_each_listed(self, tmp_path: Path) -> None:
        rules = (
            MINI_PACK["rules-main.yaml"]
            .replace("kind: arrange", "kind: verify")
            .replace("Arrange monitoring by trained staff.", "Verify who monitors the patient.")
            .replace("    sources: [src-b]", "    sources: [src-b, src-a]")
        )
        change = only_change(diff_of(tmp_path, {"rules-main.yaml": rules}), "rule")
        assert [f.field for f in change.fields] == ["kind", "checklist text", "sources"]
        assert change.fields[2] == FieldChange("sources", "src-b", "src-b, src-a")

    def test_a_removed_and_an_added_rule_are_both_listed(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace("id: setting-monitoring", "id: setting-staff")
        diff = diff_of(tmp_path, {"rules-main.yaml": rules})
        assert [(c.id, c.action) for c in diff.changes if c.what == "rule"] == [
            ("setting-monitoring", "removed"),
            ("setting-staff", "added"),
        ]
        added = diff.changes[-1]
        assert FieldChange("condition", None, "monitoring is No") in added.fields

    def test_the_text_lists_every_change_in_plain_words(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace(
            '"Ketamine can be misused."', '"Ketamine can be misused or lead to dependence."'
        )
        text = diff_text(diff_of(tmp_path, {"rules-main.yaml": rules}), "old", "new")
        assert text.splitlines() == [
            "Comparing old (Mini pack 0.1.0, draft) with new (Mini pack 0.2.0, draft).",
            "1 rule changed, pack details changed.",
            "",
            "Pack",
            "  pack details (changed)",
            "    version",
            "      was: 0.1.0",
            "      now: 0.2.0",
            "",
            "Rules",
            "  substance-history (changed)",
            "    rationale",
            "      was: Ketamine can be misused.",
            "      now: Ketamine can be misused or lead to dependence.",
        ]


class TestVersionFlag:
    """A content change without a version change is flagged; pack details alone are not content."""

    def test_a_content_change_without_a_new_version_is_flagged(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        diff = diff_of(tmp_path, {"rules-main.yaml": rules}, bump=False)
        assert diff.warnings == (
            "The content changed but the version is still 0.1.0: "
            "give the changed pack a new version number.",
        )
        assert "Warning: The content changed" in diff_text(diff, "old", "new")

    def test_a_content_change_with_a_new_version_is_not_flagged(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        assert diff_of(tmp_path, {"rules-main.yaml": rules}).warnings == ()

    def test_a_status_change_alone_needs_no_new_version(self, tmp_path: Path) -> None:
        pack = MINI_PACK["pack.yaml"].replace("status: draft", "status: in_review")
        diff = diff_of(tmp_path, {"pack.yaml": pack}, bump=False)
        assert diff.warnings == ()
        assert only_change(diff, "pack").fields == (FieldChange("status", "draft", "in_review"),)

    def test_approved_changed_content_with_an_old_date_is_flagged(self, tmp_path: Path) -> None:
        pack = NEW_VERSION.replace("status: draft", "status: approved")
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        diff = diff_of(tmp_path, {"pack.yaml": pack, "rules-main.yaml": rules}, bump=False)
        assert diff.warnings == (
            "The content changed and the pack is marked approved, but its date did not "
            "change: record when this content was reviewed.",
        )


class TestCommand:
    """`diff OLD NEW` prints the changes and exits 0; a refused pack exits 1 with its problems."""

    def test_the_command_prints_the_changes_and_exits_0(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "old")
        write_pack(tmp_path / "new", {"pack.yaml": NEW_VERSION})
        result = screening("diff", "old", "new", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Comparing old (Mini pack 0.1.0, draft) with new")

    def test_the_shipped_pack_against_itself_has_no_differences(self) -> None:
        result = screening("diff", "rules", "rules")
        assert result.returncode == 0
        assert result.stdout.endswith("No differences: the two packs hold the same content.\n")

    @pytest.mark.parametrize("broken", ["old", "new"])
    def test_an_invalid_pack_on_either_side_is_refused(self, tmp_path: Path, broken: str) -> None:
        write_pack(tmp_path / "old")
        write_pack(tmp_path / "new")
        (tmp_path / broken / "items.yaml").unlink()
        result = screening("diff", "old", "new", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == (
            f"Error: rule pack refused (1 problem(s)):\n  {broken}/items.yaml: file is missing\n"
        )

    def test_control_characters_in_what_it_prints_are_shown_as_escapes(
        self, tmp_path: Path
    ) -> None:
        write_pack(tmp_path / "old\x1b]0;pwned\x07")
        write_pack(tmp_path / "new", {"pack.yaml": NEW_VERSION})
        result = screening("diff", "old\x1b]0;pwned\x07", "new", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Comparing old\\x1b]0;pwned\\x07 (Mini pack 0.1.0")
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert result.stdout.count("\n") > 3


class TestTextAndMarkdownSayTheSame:
    """The terminal's diff and the app's Markdown diff render one outline, so neither can drift."""

    def test_a_condition_written_differently_reads_the_same_in_both(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace(
            'when: {item: monitoring, is: "no"}', 'when: {all: [{item: monitoring, is: "no"}]}'
        )
        diff = diff_of(tmp_path, {"rules-main.yaml": rules})
        same = "condition: written differently, reads the same: monitoring is No"
        assert f"    {same}" in diff_text(diff, "old", "new").splitlines()
        assert f"    - {same}" in diff_markdown(diff).splitlines()

    def test_every_line_of_the_markdown_is_a_line_of_the_text(self) -> None:
        repository = Path(__file__).resolve().parent.parent
        diff = diff_packs(
            load_pack(repository / "tests" / "fixtures" / "pack-1.0.0"),
            load_pack(repository / "rules"),
        )
        text = diff_text(diff, "old", "new").splitlines()[2:]
        markdown = diff_markdown(diff).splitlines()
        unmarked = [
            re.sub(
                r"\\(.)",
                r"\1",
                line.replace("- ", "", 1)
                .replace("`", "")
                .replace("*(none)*", "(none)")
                .removeprefix("**")
                .removesuffix("**"),
            )
            for line in markdown
        ]
        assert len(markdown) > 100
        assert [t.strip() for t in text if t] == [u.strip() for u in unmarked if u]
