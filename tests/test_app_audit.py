"""The Audit page, driven through AppTest: an answers table in, counts, charts and downloads out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from screening import load_pack, read_table_bytes, results_table, run_batch, table_bytes
from tests.conftest import (
    HEADER,
    MINI_PACK,
    ROWS,
    csv_text,
    parquet_bytes,
    upload_candidate_zip,
    zipped,
)

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/audit.py"


def open_page(monkeypatch: pytest.MonkeyPatch, rules_dir: Path) -> AppTest:
    """The page as a user reaches it: through the app's navigation."""
    monkeypatch.setenv("SCREENING_RULES_DIR", str(rules_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key="audit_table").upload(name, data, "text/csv").run()
    assert not at.exception


def frame(at: AppTest, column: str) -> pd.DataFrame:
    """The table on the page whose first column is `column`."""
    found: pd.DataFrame = next(d.value for d in at.dataframe if d.value.columns[0] == column)
    return found


def texts(elements: Iterable[Any]) -> list[str]:
    """The values of AppTest elements (an ElementList, untyped in Streamlit), as text."""
    return [str(e.value) for e in elements]


class TestAuditPage:
    """The upload is evaluated in memory; a refused one says why and shows nothing else."""

    def test_the_page_states_the_upload_limit_and_that_nothing_is_saved(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        intro = next(t for t in texts(at.markdown) if t.startswith("Upload a **de-identified**"))
        assert "**At most 50 MB and 2,000,000 rows.**" in intro and "never saved" in intro
        assert at.file_uploader(key="audit_table").proto.max_upload_size_mb == 50

    def test_an_upload_shows_the_per_rule_and_per_item_counts(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload(at, "year.parquet", parquet_bytes(ROWS))
        assert texts(at.success) == ["4 of 4 answer sets evaluated with Mini pack 0.1.0."]
        rules = frame(at, "rule").set_index("rule")
        assert list(rules.loc["substance-active", ["raised", "open", "not raised"]]) == [1, 2, 1]
        assert rules.loc["substance-active", "open %"] == 50.0
        items = frame(at, "item").set_index("item")
        assert list(items.loc["active", ["unknown", "not assessed", "not asked"]]) == [1, 1, 1]
        assert len(at.get("vega_lite_chart")) == 2
        assert at.get("download_button")

    def test_refused_rows_are_listed_and_the_rest_counted(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload(at, "year.csv", csv_text([*ROWS, ["p5", "Yes", "", ""]]).encode())
        assert texts(at.success) == ["4 of 5 answer sets evaluated with Mini pack 0.1.0."]
        problems = frame(at, "row")
        assert problems.iloc[0].tolist() == [
            5,
            "history",
            "Yes",
            'answer must be "yes", "no" or "unknown" (lower case), or blank',
        ]

    def test_a_bad_upload_says_why_and_changes_nothing(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        before = sorted(p.name for p in mini_dir.parent.rglob("*"))
        upload(at, "year.csv", b"history,history\nyes,no\n")
        assert texts(at.error) == ["The table year.csv was refused: nothing was evaluated."]
        assert at.code[-1].value == "year.csv: history: column appears twice"
        assert not at.dataframe and not at.get("download_button")
        assert sorted(p.name for p in mini_dir.parent.rglob("*")) == before
        assert "Mini pack" in at.caption[0].value


class TestCandidateImpact:
    """The Rule pack page's candidate check shows what the candidate changes for a table."""

    def candidate_page(self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path) -> AppTest:
        monkeypatch.setenv("SCREENING_RULES_DIR", str(mini_dir))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
        at.switch_page("app_pages/rule_pack.py").run()
        rules = MINI_PACK["rules-main.yaml"].replace(
            'when: {item: monitoring, is: "no"}', 'when: {item: monitoring, is: ["no", "unknown"]}'
        )
        upload_candidate_zip(at, "candidate.zip", zipped({**MINI_PACK, "rules-main.yaml": rules}))
        return at

    def test_an_answers_table_shows_each_rule_that_changes(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = self.candidate_page(monkeypatch, mini_dir)
        at.file_uploader(key="candidate_answers").upload("year.csv", csv_text(ROWS).encode()).run()
        assert not at.exception
        impact = next(t for t in texts(at.markdown) if t.startswith("| | folder"))
        assert "4 of 4 answer sets compared." in impact
        assert "| `setting-monitoring` | open to raised | 1 | p3 |" in impact

    def test_a_question_the_candidate_adds_is_not_assessed_under_the_pack_in_use(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        """As `screening impact` does (issue 21 item 6): the added column is left out of the
        pack in use's reading, not a reason to refuse every row."""
        monkeypatch.setenv("SCREENING_RULES_DIR", str(mini_dir))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
        at.switch_page("app_pages/rule_pack.py").run()
        item = MINI_PACK["items.yaml"].replace("  - id: monitoring\n", "  - id: observed\n", 1)
        added = item[item.index("  - id: observed\n") :].split("\n  - id:")[0]
        candidate = {
            **MINI_PACK,
            "items.yaml": MINI_PACK["items.yaml"] + added.rstrip("\n") + "\n",
        }
        upload_candidate_zip(at, "candidate.zip", zipped(candidate))
        rows = [[*row, "yes"] for row in ROWS]
        table = csv_text(rows, [*HEADER, "observed"]).encode()
        at.file_uploader(key="candidate_answers").upload("year.csv", table).run()
        assert not at.exception and not at.error
        impact = next(t for t in texts(at.markdown) if t.startswith("| | folder"))
        assert "4 of 4 answer sets compared." in impact
        assert "Questions only the new pack asks (`observed`)" in "\n".join(texts(at.markdown))

    def test_a_bad_table_is_refused_and_the_candidate_review_stays(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = self.candidate_page(monkeypatch, mini_dir)
        at.file_uploader(key="candidate_answers").upload("year.csv", b"history,history\n").run()
        assert texts(at.error) == ["The table year.csv was refused:"]
        assert at.code[-1].value == "year.csv: history: column appears twice"
        assert "The candidate pack is valid." in texts(at.success)


def batch_results(mini_dir: Path, fmt: str) -> bytes:
    """What `python -m screening batch` writes for the mini rows, in `fmt`."""
    pack = load_pack(mini_dir)
    table = read_table_bytes(parquet_bytes(ROWS), "year.parquet", pack)
    return table_bytes(results_table(run_batch(pack, table)), fmt)


class TestWhatBatchWrites:
    """The page reads the batch command's own results, and says plainly when nothing counts."""

    @pytest.mark.parametrize("fmt", ["parquet", "csv"])
    def test_a_results_table_from_batch_is_counted_with_each_point_named(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, fmt: str
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload(at, f"results.{fmt}", batch_results(mini_dir, fmt))
        assert not at.error
        assert texts(at.success) == [
            "4 of 4 answer sets counted from a results table of Mini pack 0.1.0."
        ]
        rules = frame(at, "rule").set_index("rule")
        assert list(rules.loc["substance-active", ["raised", "open", "not raised"]]) == [1, 2, 1]
        assert rules.loc["substance-active", "point"] == "Discuss current non-medical use"

    def test_a_table_with_no_rows_is_a_warning_not_a_success(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        header = ",".join(HEADER)
        upload(at, "empty.csv", f"{header}\n".encode())
        assert not at.success
        assert any(t.startswith("0 of 0 answer sets") for t in texts(at.warning))

    def test_the_table_is_still_shown_after_a_visit_to_another_page(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path
    ) -> None:
        at = open_page(monkeypatch, mini_dir)
        upload(at, "year.parquet", parquet_bytes(ROWS))
        at.switch_page("app_pages/about.py").run()
        at.switch_page(PAGE).run()
        assert texts(at.success) == ["4 of 4 answer sets evaluated with Mini pack 0.1.0."]
        assert any("Showing year.parquet, uploaded earlier" in t for t in texts(at.info))
        at.button(key="audit_clear").click().run()
        assert not at.success
