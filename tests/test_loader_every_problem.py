"""`check` lists every problem of a pack in one run: an entry with an invalid field is still
checked for what it references, and the sound entries beside it are checked in full, each
problem with its file, line and id; the pack stays refused."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from screening import PackError, load_pack
from tests.conftest import MINI_PACK, screening, write_pack

RULES = MINI_PACK["rules-main.yaml"]
ITEMS = MINI_PACK["items.yaml"]
KIND_ERROR = (
    "rules.kind: Input should be 'discuss', 'verify', 'arrange' or 'document' (got 'arrangee')"
)
BAD_MONITORING = RULES.replace(
    'kind: arrange\n    when: {item: monitoring, is: "no"}',
    'kind: arrangee\n    when: {item: monitorin, is: "no"}',
)
"""The last rule with an invalid kind (line 23) and a condition reading an unknown item (24)."""


def refused(folder: Path) -> list[str]:
    with contextlib.chdir(folder), pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(p) for p in caught.value.problems]


class TestOneRuleWithTwoKindsOfProblem:
    """A rule with an invalid field and a bad reference shows both, each on its line."""

    def test_an_invalid_kind_and_an_unknown_item_are_both_listed(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "p", {"rules-main.yaml": BAD_MONITORING})
        assert refused(folder) == [
            f"rules-main.yaml:23: setting-monitoring: {KIND_ERROR}",
            "rules-main.yaml:24: setting-monitoring: condition reads unknown item 'monitorin'",
        ]

    def test_an_invalid_field_and_an_unknown_source_are_both_listed(self, tmp_path: Path) -> None:
        rules = BAD_MONITORING.replace("monitorin,", "monitoring,").replace(
            "sources: [src-b]", "sources: [src-b, src-zz]"
        )
        folder = write_pack(tmp_path / "p", {"rules-main.yaml": rules})
        assert refused(folder) == [
            f"rules-main.yaml:23: setting-monitoring: {KIND_ERROR}",
            "rules-main.yaml:28: setting-monitoring: cites unknown source 'src-zz'",
        ]

    def test_a_sound_rule_beside_an_invalid_one_is_checked_in_full(self, tmp_path: Path) -> None:
        rules = BAD_MONITORING.replace("sources: [src-a]", "sources: [src-zz]", 1)
        folder = write_pack(tmp_path / "p", {"rules-main.yaml": rules})
        assert refused(folder) == [
            f"rules-main.yaml:23: setting-monitoring: {KIND_ERROR}",
            "rules-main.yaml:9: substance-history: cites unknown source 'src-zz'",
            "rules-main.yaml:24: setting-monitoring: condition reads unknown item 'monitorin'",
        ]

    def test_an_item_with_an_invalid_field_and_an_unknown_follow_up_shows_both(
        self, tmp_path: Path
    ) -> None:
        items = ITEMS.replace("asked_if: {item: history", "asked_if: {item: histry").replace(
            'help: "Asked only when there is a history."', "help: 7"
        )
        folder = write_pack(tmp_path / "p", {"items.yaml": items})
        assert refused(folder) == [
            "items.yaml:12: active: items.help: Input should be a valid string (got 7)",
            "items.yaml:14: active: asked_if reads unknown item 'histry'",
        ]


class TestNoFalseAlarm:
    """An entry refused for a field of its own still exists: references to it are not unknown."""

    def test_a_rule_reading_an_item_with_an_invalid_field_is_not_told_the_item_is_unknown(
        self, tmp_path: Path
    ) -> None:
        items = ITEMS.replace('help: "During and after each dose."', "help: 7")
        folder = write_pack(tmp_path / "p", {"items.yaml": items})
        assert refused(folder) == [
            "items.yaml:19: monitoring: items.help: Input should be a valid string (got 7)"
        ]

    def test_a_rule_citing_a_source_with_an_invalid_field_is_not_told_it_is_unknown(
        self, tmp_path: Path
    ) -> None:
        sources = MINI_PACK["sources.yaml"].replace('citation: "Author B.', 'citatio: "Author B.')
        folder = write_pack(tmp_path / "p", {"sources.yaml": sources})
        assert refused(folder) == [
            "sources.yaml:4: src-b: sources.citation: required field is missing",
            "sources.yaml:5: src-b: sources.citatio: unknown field",
        ]

    def test_an_entry_without_an_id_leaves_its_file_s_references_unjudged(
        self, tmp_path: Path
    ) -> None:
        sources = MINI_PACK["sources.yaml"].replace("- id: src-b\n    citation", "- citation")
        folder = write_pack(tmp_path / "p", {"sources.yaml": sources})
        assert refused(folder) == ["sources.yaml:4: sources.id: required field is missing"]


class TestEveryShell:
    """The command line and the app list the same problems, and refuse the pack."""

    def test_check_lists_both_problems_and_exits_1(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "p", {"rules-main.yaml": BAD_MONITORING})
        result = screening("check", "--rules", "p", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.splitlines() == [
            "Error: rule pack refused (2 problem(s)):",
            f"  p/rules-main.yaml:23: setting-monitoring: {KIND_ERROR}",
            "  p/rules-main.yaml:24: setting-monitoring: condition reads unknown item 'monitorin'",
        ]

    def test_the_app_s_refusal_lists_both_problems(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        folder = write_pack(tmp_path / "p", {"rules-main.yaml": BAD_MONITORING})
        monkeypatch.setenv("SCREENING_RULES_DIR", str(folder))
        root = Path(__file__).resolve().parent.parent
        at = AppTest.from_file(str(root / "app.py"), default_timeout=30).run()
        assert at.title[0].value == "The rule pack was refused"
        shown = at.code[0].value.splitlines()
        assert [line.removeprefix(f"{folder}/") for line in shown] == [
            f"rules-main.yaml:23: setting-monitoring: {KIND_ERROR}",
            "rules-main.yaml:24: setting-monitoring: condition reads unknown item 'monitorin'",
        ]
