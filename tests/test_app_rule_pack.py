"""The Rule pack page, driven through AppTest: rules, vignettes and a candidate pack upload."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

import app_pages.isolated
import screening.pack.candidate
from screening import RulePack
from screening.cli import cli
from screening.review.record import RECORD_HEADING
from tests.conftest import (
    FAILING,
    MINI_PACK,
    PASSING,
    upload_candidate_zip,
    write_pack,
    write_scenarios,
    zipped,
)
from tests.test_app_screening import Download, downloads  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/rule_pack.py"


def open_page(monkeypatch: pytest.MonkeyPatch, rules_dir: Path | None = None) -> AppTest:
    """The page as a user reaches it: through the app's navigation."""
    if rules_dir is None:
        monkeypatch.delenv("SCREENING_RULES_DIR", raising=False)
    else:
        monkeypatch.setenv("SCREENING_RULES_DIR", str(rules_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def frames(at: AppTest, column: str) -> list[pd.DataFrame]:
    """The tables on the page that have `column`, top to bottom."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def texts(elements: Iterable[Any]) -> list[str]:
    """The values of AppTest elements (an ElementList, untyped in Streamlit), as text."""
    return [str(e.value) for e in elements]


def counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[None]:
    """Replace `module.name` with a wrapper that notes each call; return the list of calls."""
    calls: list[None] = []
    real: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def rerun_a_few_times(at: AppTest) -> None:
    for kinds in (["arrange"], ["discuss"], []):
        at.multiselect(key="rules_filter_kind").set_value(kinds).run()


class TestShippedPack:
    """The page shows the pack in use: identity, every rule, and the vignettes' results."""

    def test_it_shows_status_version_and_fingerprint(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        at = open_page(monkeypatch)
        assert at.title[0].value == "Rule pack"
        summary = at.markdown[0].value
        assert "Version 1.2.0 · draft: not yet reviewed by the committee" in summary
        assert f"`{shipped_pack.sha256}`" in summary

    def test_every_rule_is_in_the_table_with_its_condition_in_words(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        at = open_page(monkeypatch)
        table = frames(at, "rule")[0]
        assert sorted(table["rule"]) == sorted(r.id for r in shipped_pack.rules)
        assert "substance use history is Yes" in list(table["when"])

    def test_sections_and_rules_follow_the_forms_order(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        at = open_page(monkeypatch)
        sections = list(shipped_pack.sections)
        assert at.multiselect(key="rules_filter_section").options == sections
        in_order = [r.id for s in sections for r in shipped_pack.rules if r.section == s]
        assert list(frames(at, "rule")[0]["rule"]) == in_order

    def test_every_column_of_the_rules_table_fits_the_page_and_long_text_wraps(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        at = open_page(monkeypatch)
        table = at.dataframe[0]
        assert list(table.value.columns) == ["rule", "section", "kind", "when", "sources"]
        config = json.loads(table.proto.columns)
        widths = [config[column]["width"] for column in table.value.columns]
        assert sum(widths) <= 704  # the centred layout's content width
        assert table.proto.row_height > 35  # taller than one line: the cells wrap

    def test_filters_narrow_the_table_and_the_rule_choice(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        at = open_page(monkeypatch)
        at.multiselect(key="rules_filter_kind").set_value(["arrange"]).run()
        at.multiselect(key="rules_filter_source").set_value(["cdc-2022"]).run()
        wanted = [
            r.id
            for section in shipped_pack.sections
            for r in shipped_pack.rules
            if r.section == section and r.kind == "arrange" and "cdc-2022" in r.sources
        ]
        assert list(frames(at, "rule")[0]["rule"]) == wanted
        assert at.selectbox(key="rule_detail").options == wanted
        assert f"{len(wanted)} of {len(shipped_pack.rules)} rules shown." in texts(at.caption)

    def test_a_section_filter_keeps_only_that_section(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        at = open_page(monkeypatch)
        at.multiselect(key="rules_filter_section").set_value(["Substance use"]).run()
        assert set(frames(at, "rule")[0]["section"]) == {"Substance use"}

    def test_a_chosen_rule_reads_in_plain_language(self, monkeypatch: pytest.MonkeyPatch) -> None:
        at = open_page(monkeypatch)
        at.selectbox(key="rule_detail").set_value("substance-history").run()
        detail = next(t for t in texts(at.markdown) if t.startswith("**When**"))
        assert detail.startswith("**When** *substance use history* is Yes, the checklist shows:")
        assert "**Why:**" in detail
        assert "(`cohen-2018`)" in detail

    def test_the_shipped_vignettes_all_pass(self, monkeypatch: pytest.MonkeyPatch) -> None:
        at = open_page(monkeypatch)
        assert texts(at.success)[0].startswith("All ")
        results = frames(at, "vignette")[0]
        assert set(results["result"]) == {"passes"}

    def test_the_review_document_and_the_rules_table_can_be_downloaded(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        at = open_page(monkeypatch)
        labels = [getattr(b, "label", None) for b in at.get("download_button")]
        assert labels == ["Review document (HTML)", "Rules table (CSV)"]

    def test_the_review_download_is_the_rules_command_s_html_record_part_included(
        self, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
    ) -> None:
        offered: dict[str, Download] = request.getfixturevalue("downloads")
        open_page(monkeypatch)
        clicked = offered["download_review_html"].data()
        assert isinstance(clicked, str)
        assert f"<h2>{RECORD_HEADING}</h2>" in clicked
        result = CliRunner().invoke(cli, ["rules", "--format", "html"])
        assert result.exit_code == 0, result.output
        assert clicked == result.stdout


class TestCraftedPack:
    """The page reads SCREENING_RULES_DIR, and shows failing or missing vignettes plainly."""

    def test_a_failing_vignette_is_shown_with_its_differences(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        write_scenarios(mini_dir, FAILING)
        at = open_page(monkeypatch, mini_dir)
        assert "1 of 1 vignettes fail." in texts(at.error)
        row = frames(at, "vignette")[0].iloc[0]
        assert row["result"] == "FAILS"
        assert row["differences"] == (
            "missing expected: substance-active; unexpectedly present: substance-history"
        )

    def test_no_vignettes_is_a_warning(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        assert "No vignettes were found beside this rule pack." in texts(at.warning)

    def test_the_vignettes_run_once_not_on_every_rerun(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        write_scenarios(mini_dir, PASSING)
        calls = counting(monkeypatch, screening, "run_pack_scenarios")
        at = open_page(monkeypatch, mini_dir)
        rerun_a_few_times(at)
        assert len(calls) == 1
        assert texts(at.success) == ["All 1 vignettes pass."]

    def test_a_refused_pack_shows_its_problems_and_no_rules(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        write_pack(tmp_path / "bad", {"rules-main.yaml": "rules: [1]\n"})
        at = open_page(monkeypatch, tmp_path / "bad")
        assert at.title[0].value == "The rule pack was refused"
        assert len(at.dataframe) == 0


class TestCandidateUpload:
    """A zip is checked in memory, diffed against the pack in use, and never replaces it."""

    def test_the_uploader_says_a_zip_of_the_rules_folder_is_wanted(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        assert any(c.startswith("Upload a **.zip** of the rules folder") for c in texts(at.caption))

    def test_a_valid_candidate_shows_its_diff_and_the_version_warning(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        write_scenarios(mini_dir, PASSING)
        at = open_page(monkeypatch, mini_dir)
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        upload_candidate_zip(at, "candidate.zip", zipped({**MINI_PACK, "rules-main.yaml": rules}))
        assert "The candidate pack is valid." in texts(at.success)
        assert any("version is still 0.1.0" in w for w in texts(at.warning))
        diff = next(t for t in texts(at.markdown) if t.startswith("**Rules**"))
        assert "- `setting-monitoring` (changed)" in diff
        assert "- was: arrange" in diff
        assert "- now: verify" in diff
        assert frames(at, "vignette")[-1].iloc[0]["result"] == "passes"

    def test_the_shipped_pack_is_still_in_use_after_an_upload(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        upload_candidate_zip(at, "candidate.zip", zipped({**MINI_PACK, "rules-main.yaml": rules}))
        kinds = dict(zip(*frames(at, "rule")[0][["rule", "kind"]].T.values, strict=True))
        assert kinds["setting-monitoring"] == "Arrange"
        assert sorted(p.name for p in mini_dir.iterdir()) == sorted(MINI_PACK)

    def test_the_same_content_says_no_differences(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "same.zip", zipped(dict(MINI_PACK)))
        assert "No differences: the candidate holds the same content as the pack in use." in texts(
            at.info
        )

    def test_a_bad_zip_gives_a_clear_message(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "broken.zip", b"this is not a zip")
        assert texts(at.error) == [
            "The candidate pack was refused (1 problem(s)); each is shown as file:line: id: message."
        ]
        assert at.code[-1].value == "broken.zip: not a readable zip file"

    def test_an_invalid_candidate_lists_its_problems_with_lines(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: decide")
        upload_candidate_zip(at, "candidate.zip", zipped({**MINI_PACK, "rules-main.yaml": rules}))
        assert at.code[-1].value.startswith(
            "candidate.zip/rules-main.yaml:23: setting-monitoring: rules.kind"
        )

    def test_a_candidate_is_reviewed_once_not_on_every_rerun(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        calls = counting(monkeypatch, app_pages.isolated, "review_isolated")
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "once.zip", zipped({**MINI_PACK, "README.md": str(mini_dir)}))
        rerun_a_few_times(at)
        assert len(calls) == 1
        assert "The candidate pack is valid." in texts(at.success)

    def test_a_refused_candidate_is_not_reviewed_again_on_every_rerun(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        calls = counting(monkeypatch, app_pages.isolated, "review_isolated")
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "bad.zip", str(mini_dir).encode())
        rerun_a_few_times(at)
        assert len(calls) == 1
        assert at.code[-1].value == "bad.zip: not a readable zip file"

    def test_an_unexpected_failure_is_a_plain_message_and_the_page_stays(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        def broken(*args: object) -> None:
            raise RuntimeError("no one saw this coming")

        monkeypatch.setattr(app_pages.isolated, "review_isolated", broken)
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "odd<b>.zip", zipped({**MINI_PACK, "README.md": str(mini_dir)}))
        assert texts(at.error) == [
            "The candidate pack odd\\<b\\>.zip could not be checked: an unexpected error "
            "occurred. The details are in the server's log; please report this."
        ]
        assert not any("no one saw this coming" in t for t in texts(at.markdown))
        assert len(frames(at, "rule")) == 1

    def test_a_zip_with_the_same_file_twice_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        data = zipped({**MINI_PACK, "./rules-main.yaml": "rules: []\n"})
        upload_candidate_zip(at, "twice.zip", data)
        assert at.code[-1].value.startswith(
            "twice.zip: 'rules-main.yaml' is in the zip twice (as 'rules-main.yaml' and "
            "'./rules-main.yaml')"
        )

    def test_a_pack_in_a_folder_beside_system_files_is_read(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        files = {f"rules/{n}": t for n, t in MINI_PACK.items()}
        upload_candidate_zip(
            at, "mac.zip", zipped({**files, ".DS_Store": "x", "__MACOSX/rules/._a": "x"})
        )
        assert "The candidate pack is valid." in texts(at.success)

    def test_an_unsafe_zip_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "evil.zip", zipped({**MINI_PACK, "../escape.yaml": "x"}))
        assert at.code[-1].value == "evil.zip: unsafe path in the zip: '../escape.yaml'"


class TestCandidateCheckIsolated:
    """The candidate check runs in a child process, bounded in time, and says when it gives up."""

    def test_a_check_past_its_time_is_stopped_and_said_plainly(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        real = app_pages.isolated.review_isolated
        monkeypatch.setattr(
            app_pages.isolated,
            "review_isolated",
            lambda data, name, folder: real(data, name, folder, seconds=0.001),
        )
        at = open_page(monkeypatch, mini_dir)
        upload_candidate_zip(at, "slow.zip", zipped({**MINI_PACK, "README.md": str(mini_dir)}))
        assert not at.exception
        assert texts(at.error) == [
            "The candidate pack slow.zip could not be checked: the check did not finish within "
            "0.001 seconds and was stopped; a pack this slow to check is too large or too "
            "complex."
        ]
        assert len(frames(at, "rule")) == 1

    def test_the_child_returns_the_same_review_as_the_core(self, mini_dir: Path) -> None:
        data = zipped(MINI_PACK)
        review = app_pages.isolated.review_isolated(data, "c.zip", str(mini_dir))
        assert isinstance(review, screening.pack.candidate.Candidate)
        direct = screening.pack.candidate.review_candidate(
            data, "c.zip", screening.load_pack(mini_dir), mini_dir
        )
        assert review.pack == direct.pack
        assert review.diff == direct.diff

    def test_a_refused_candidate_comes_back_as_its_problems(self, mini_dir: Path) -> None:
        review = app_pages.isolated.review_isolated(b"not a zip", "bad.zip", str(mini_dir))
        assert isinstance(review, tuple)
        assert [str(p) for p in review] == ["bad.zip: not a readable zip file"]
