"""`batch`, `audit` and `impact`: answer tables in, results, counts and changes out, bad cells named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from screening.batch.audit import audit_result
from screening.batch.impact import impact
from screening.batch.run import run_batch
from screening.batch.table import TableBounds, read_table_bytes
from screening.cli import cli
from screening.models import RulePack
from tests.conftest import (
    HEADER,
    MINI_PACK,
    ROWS,
    csv_text,
    table_bytes,
    write_pack,
    write_table,
)

RULE_COUNTS = {  # raised, open, not raised
    "substance-history": (2, 1, 1),
    "substance-active": (1, 2, 1),
    "setting-monitoring": (1, 2, 1),
}
ITEM_COUNTS = {  # yes, no, unknown, not assessed, not asked
    "history": (2, 1, 0, 1, 0),
    "active": (1, 0, 1, 1, 1),
    "monitoring": (1, 1, 1, 1, 0),
}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def results_rows(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(path).to_pylist()
    return rows


class TestReadingTables:
    """CSV, Parquet and JSON Lines read the same; every bad cell refuses its row, named."""

    @pytest.mark.parametrize("name", ["a.csv", "a.parquet", "a.jsonl"])
    def test_each_format_gives_the_hand_counted_audit(self, mini_pack: RulePack, name: str) -> None:
        data = table_bytes(name, ROWS)
        audit = audit_result(run_batch(mini_pack, read_table_bytes(data, name, mini_pack)))
        assert audit.sets == 4 and audit.refused == 0
        assert {r.rule_id: (r.raised, r.open, r.not_raised) for r in audit.rules} == RULE_COUNTS
        assert {
            i.item_id: (i.yes, i.no, i.unknown, i.not_assessed, i.not_asked) for i in audit.items
        } == ITEM_COUNTS

    @pytest.mark.parametrize(
        ("cells", "column", "value", "reason"),
        [
            (["yes", "", "Yes"], "monitoring", "Yes", 'answer must be "yes", "no" or "unknown"'),
            (["yes", "", " no"], "monitoring", " no", 'answer must be "yes", "no" or "unknown"'),
            (["NA", "", ""], "history", "NA", 'answer must be "yes", "no" or "unknown"'),
            (
                ["no", "yes", ""],
                "active",
                "yes",
                "answered, but not asked given the other answers: it is asked only when substance use history is Yes",
            ),
        ],
    )
    @pytest.mark.parametrize("name", ["a.csv", "a.parquet", "a.jsonl"])
    def test_a_bad_cell_refuses_its_row_only_and_says_why(
        self,
        *,
        mini_pack: RulePack,
        cells: list[str],
        column: str,
        value: str,
        reason: str,
        name: str,
    ) -> None:
        rows = [["ok1", "yes", "yes", "no"], ["bad", *cells], ["ok2", "no", "", "yes"]]
        table = read_table_bytes(table_bytes(name, rows), name, mini_pack)
        assert [(p.row, p.column, p.value) for p in table.problems] == [(2, column, value)]
        assert table.problems[0].reason.startswith(reason)
        assert table.accepted.tolist() == [0, 2]

    @pytest.mark.parametrize("name", ["a.csv", "a.parquet", "a.jsonl"])
    def test_a_value_in_an_unknown_column_refuses_its_row_and_a_blank_one_does_not(
        self, mini_pack: RulePack, name: str
    ) -> None:
        rows = [["p1", "yes", "", "no", ""], ["p2", "no", "", "", "yes"]]
        data = table_bytes(name, rows, [*HEADER, "histroy"])
        table = read_table_bytes(data, name, mini_pack)
        assert [(p.row, p.column, p.value, p.reason) for p in table.problems] == [
            (2, "histroy", "yes", "unknown column: not an item of this rule pack")
        ]
        assert table.accepted.tolist() == [0]

    def test_csv_never_reads_na_or_null_as_blank(self, mini_pack: RulePack) -> None:
        rows = [["p1", "null", "", ""], ["p2", "n/a", "", ""]]
        table = read_table_bytes(csv_text(rows).encode(), "a.csv", mini_pack)
        assert [p.value for p in table.problems] == ["null", "n/a"]

    def test_json_lines_name_each_bad_line_and_keep_the_others(self, mini_pack: RulePack) -> None:
        text = "\n".join(
            [
                '{"record_id": "p1", "history": "yes"}',
                "[1, 2]",
                '{"history": "yes", "history": "no"}',
                '{"history": true}',
                "{not json",
                "",
                '{"record_id": "p6", "monitoring": null}',
            ]
        )
        table = read_table_bytes(text.encode(), "a.jsonl", mini_pack)
        assert [(p.row, p.column, p.value, p.reason) for p in table.problems] == [
            (2, "", "[1, 2]", "not a JSON object"),
            (3, "", '{"history": "yes", "history": "no"}', "a key appears twice in this line"),
            (4, "history", "true", table.problems[2].reason),
            (5, "", "{not json", "not valid JSON"),
        ]
        assert table.problems[2].reason.startswith("answer must be")
        assert table.rows == 6 and table.accepted.tolist() == [0, 5]

    def test_a_parquet_column_of_booleans_is_refused_cell_by_cell(
        self, mini_pack: RulePack
    ) -> None:
        out = io.BytesIO()
        pq.write_table(pa.table({"history": [True, None], "monitoring": ["no", "yes"]}), out)
        table = read_table_bytes(out.getvalue(), "a.parquet", mini_pack)
        assert [(p.row, p.column, p.value) for p in table.problems] == [(1, "history", "true")]
        assert table.accepted.tolist() == [1]

    @pytest.mark.parametrize("name", ["a.csv", "a.parquet", "a.jsonl"])
    def test_more_rows_than_the_bound_are_refused_whole(
        self, mini_pack: RulePack, name: str
    ) -> None:
        from screening.errors import AnswersError  # noqa: PLC0415

        with pytest.raises(AnswersError) as refused:
            read_table_bytes(table_bytes(name, ROWS), name, mini_pack, TableBounds(rows=3))
        assert str(refused.value) == (
            f"{name}: more than 3 rows: split it, or use the command line's --engine dask with Parquet"
        )

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("a.csv", b"history,history\nyes,no\n", "a.csv: history: column appears twice"),
            ("a.csv", b"", "a.csv: empty: expected a header line of item ids"),
            ("a.csv", b"history\n\xff\n", "a.csv: not a readable CSV table"),
            ("a.csv", b"history,monitoring\nyes,no,yes\n", "a.csv: not a readable CSV table"),
            ("a.jsonl", b"\n\n", "a.jsonl: empty: expected one JSON object per line"),
            ("a.parquet", b"PAR1 not really", "a.parquet: not a Parquet file"),
            ("a.xlsx", b"PK", "a.xlsx: unknown table format"),
        ],
    )
    def test_a_file_that_is_not_a_table_is_refused_whole(
        self, mini_pack: RulePack, name: str, data: bytes, message: str
    ) -> None:
        from screening.errors import AnswersError  # noqa: PLC0415

        with pytest.raises(AnswersError) as refused:
            read_table_bytes(data, name, mini_pack)
        assert str(refused.value).startswith(message)


class TestBatchCommand:
    """`batch ANSWERS --out RESULTS`: one row per accepted set, problems beside, never a partial file."""

    def test_results_hold_a_column_per_rule_and_the_pack(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        answers = write_table(tmp_path / "a.csv", ROWS)
        result = run("batch", answers, "--out", tmp_path / "r.parquet", "--rules", mini_dir)
        assert result.exit_code == 0, result.output
        rows = results_rows(tmp_path / "r.parquet")
        assert list(rows[0]) == [
            "row",
            "record_id",
            "substance-history",
            "substance-active",
            "setting-monitoring",
            "pack_name",
            "pack_version",
            "pack_sha256",
        ]
        assert [r["substance-active"] for r in rows] == ["raised", "open", None, "open"]
        assert [r["setting-monitoring"] for r in rows] == ["raised", None, "open", "open"]
        assert {r["pack_version"] for r in rows} == {"0.1.0"}
        assert (tmp_path / "r.problems.csv").read_text() == "row,column,value,reason\n"

    def test_refused_rows_are_left_out_listed_in_the_problems_file_and_exit_1(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        rows = [*ROWS, ["p5", "Yes", "", ""], ["p6", "no", "yes", ""]]
        answers = write_table(tmp_path / "a.jsonl", rows)
        result = run("batch", answers, "--out", tmp_path / "r.csv", "--rules", mini_dir)
        assert result.exit_code == 1
        assert "2 refused: 2 problem(s) in" in result.output
        with (tmp_path / "r.csv").open() as f:
            assert [r["record_id"] for r in csv.DictReader(f)] == ["p1", "p2", "p3", "p4"]
        with (tmp_path / "r.problems.csv").open() as f:
            problems = list(csv.DictReader(f))
        assert [(p["row"], p["column"], p["value"]) for p in problems] == [
            ("5", "history", "Yes"),
            ("6", "active", "yes"),
        ]

    def test_the_problems_file_goes_where_problems_says(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        answers = write_table(tmp_path / "a.csv", [["p1", "maybe", "", ""]])
        out, problems = tmp_path / "r.parquet", tmp_path / "elsewhere.csv"
        result = run("batch", answers, "--out", out, "--problems", problems, "--rules", mini_dir)
        assert result.exit_code == 1
        assert "maybe" in problems.read_text()
        assert results_rows(out) == []

    def test_a_refused_file_writes_nothing_and_keeps_the_old_results(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        answers = tmp_path / "a.csv"
        answers.write_bytes(b"history,history\nyes,no\n")
        out = tmp_path / "r.parquet"
        out.write_bytes(b"earlier results")
        result = run("batch", answers, "--out", out, "--rules", mini_dir)
        assert result.exit_code == 1
        assert "Error: " in result.output and "column appears twice" in result.output
        assert out.read_bytes() == b"earlier results"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "mini", "r.parquet"]

    def test_a_missing_answers_file_is_one_error_line(self, mini_dir: Path, tmp_path: Path) -> None:
        result = run(
            "batch", tmp_path / "none.csv", "--out", tmp_path / "r.csv", "--rules", mini_dir
        )
        assert result.exit_code == 1
        assert result.output.strip().endswith("none.csv: no such file")
        assert not (tmp_path / "r.csv").exists()

    def test_a_folder_without_parquet_files_is_refused(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        (tmp_path / "empty").mkdir()
        result = run("batch", tmp_path / "empty", "--out", tmp_path / "r.csv", "--rules", mini_dir)
        assert result.exit_code == 1
        assert result.output.strip().endswith("empty: no Parquet files in this folder")
        assert not (tmp_path / "r.csv").exists()

    @pytest.mark.parametrize(
        "args",
        [["--out", "r.txt"], ["--out", "r.csv", "--scheduler", "tcp://127.0.0.1:1"], []],
    )
    def test_usage_mistakes_exit_2(self, tmp_path: Path, args: list[str]) -> None:
        answers = write_table(tmp_path / "a.csv", ROWS)
        assert run("batch", answers, *args).exit_code == 2


class TestAuditCommand:
    """`audit` counts per rule and per item, as a table, JSON or CSV, from answers or results."""

    def test_the_table_shows_counts_and_shares(self, mini_dir: Path, tmp_path: Path) -> None:
        answers = write_table(tmp_path / "a.parquet", ROWS)
        result = run("audit", answers, "--rules", mini_dir)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[1] == "4 answer sets evaluated"
        assert "substance-active    1 (25.0%)  2 (50.0%)   1 (25.0%)" in lines
        assert "active      1 (25.0%)   0 (0.0%)  1 (25.0%)     1 (25.0%)  1 (25.0%)" in lines

    def test_json_holds_the_hand_counted_numbers(self, mini_dir: Path, tmp_path: Path) -> None:
        answers = write_table(tmp_path / "a.csv", ROWS)
        result = run("audit", answers, "--format", "json", "--rules", mini_dir)
        report = json.loads(result.output)
        assert {r["rule_id"]: r["raised"] for r in report["rules"]} == {
            k: v[0] for k, v in RULE_COUNTS.items()
        }
        assert {i["item_id"]: i["not_asked"] for i in report["items"]} == {
            k: v[4] for k, v in ITEM_COUNTS.items()
        }

    def test_csv_gives_one_line_per_count(self, mini_dir: Path, tmp_path: Path) -> None:
        answers = write_table(tmp_path / "a.csv", ROWS)
        lines = run("audit", answers, "--format", "csv", "--rules", mini_dir).output.splitlines()
        assert lines[0] == "what,id,state,count"
        assert "rule,substance-history,open,1" in lines
        assert "item,monitoring,unknown,1" in lines
        assert len(lines) == 1 + 3 * 3 + 3 * 5

    def test_a_results_file_gives_the_same_rule_counts(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        answers = write_table(tmp_path / "a.csv", ROWS)
        run("batch", answers, "--out", tmp_path / "r.csv", "--rules", mini_dir)
        result = run("audit", tmp_path / "r.csv", "--format", "json")
        report = json.loads(result.output)
        assert {
            r["rule_id"]: (r["raised"], r["open"], r["not_raised"]) for r in report["rules"]
        } == RULE_COUNTS
        assert report["items"] == [] and report["pack_version"] == "0.1.0"

    def test_a_results_file_with_a_strange_value_is_refused(self, tmp_path: Path) -> None:
        bad = tmp_path / "r.csv"
        bad.write_text("row,rule-a,pack_name,pack_version,pack_sha256\n1,maybe,P,1,abc\n")
        result = run("audit", bad)
        assert result.exit_code == 1
        assert 'rule-a: not a results column: holds "maybe"' in result.output

    def test_out_writes_what_stdout_would_show(self, mini_dir: Path, tmp_path: Path) -> None:
        answers = write_table(tmp_path / "a.csv", ROWS)
        shown = run("audit", answers, "--format", "csv", "--rules", mini_dir).output
        result = run(
            "audit", answers, "--format", "csv", "--rules", mini_dir, "--out", tmp_path / "c.csv"
        )
        assert result.exit_code == 0 and result.output == ""
        assert (tmp_path / "c.csv").read_text() == shown

    def test_results_of_two_packs_are_refused_not_added_up(self, tmp_path: Path) -> None:
        mixed = tmp_path / "r.csv"
        mixed.write_text(
            "row,rule-a,pack_name,pack_version,pack_sha256\n1,open,P,1,abc\n2,raised,P,2,def\n"
        )
        result = run("audit", mixed)
        assert result.exit_code == 1
        assert "results of more than one rule pack: audit each" in result.output

    def test_a_results_column_not_named_as_a_rule_is_refused(self, tmp_path: Path) -> None:
        bad = tmp_path / "r.csv"
        bad.write_text("row,\x1b[2Jrule,pack_name,pack_version,pack_sha256\n1,open,P,1,abc\n")
        result = run("audit", bad)
        assert result.exit_code == 1
        assert "\\x1b[2Jrule: not a results column: its name is not a rule id" in result.output
        assert "\x1b" not in result.output

    def test_refused_rows_are_named_on_stderr_and_exit_1(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        answers = write_table(
            tmp_path / "a.csv",
            [*([*r, ""] for r in ROWS), ["p5", "\x1b[31mx", "", "", "\u202ey"]],
            [*HEADER, "\x1b]0;t"],
        )
        result = run("audit", answers, "--rules", mini_dir)
        assert result.exit_code == 1
        assert "1 answer set(s) refused:" in result.output
        assert "row 5: history:" in result.output and "\x1b" not in result.output
        assert "row 5: \\x1b]0;t: unknown column" in result.output and "\u202e" not in result.output


class TestImpactCommand:
    """`impact` counts, per rule, the answer sets that gain, lose or change an entry."""

    def new_pack(self, tmp_path: Path) -> Path:
        rules = MINI_PACK["rules-main.yaml"].replace(
            'when: {item: monitoring, is: "no"}', 'when: {item: monitoring, is: ["no", "unknown"]}'
        )
        rules = rules.replace("  - id: substance-history\n", "  - id: substance-history-new\n")
        pack = MINI_PACK["pack.yaml"].replace('"0.1.0"', '"0.2.0"')
        return write_pack(tmp_path / "new", {"rules-main.yaml": rules, "pack.yaml": pack})

    def test_changes_are_counted_with_example_record_ids(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        from screening import load_pack  # noqa: PLC0415

        new_pack = load_pack(self.new_pack(tmp_path))
        data = csv_text(ROWS).encode()
        result = impact(
            run_batch(mini_pack, read_table_bytes(data, "a.csv", mini_pack)),
            run_batch(new_pack, read_table_bytes(data, "a.csv", new_pack)),
        )
        changes = {
            (r.rule_id, c.change): (c.count, c.examples) for r in result.rules for c in r.changes
        }
        assert changes == {
            ("substance-history", "loses raised"): (2, ("p1", "p2")),
            ("substance-history", "loses open"): (1, ("p4",)),
            ("substance-history-new", "gains raised"): (2, ("p1", "p2")),
            ("substance-history-new", "gains open"): (1, ("p4",)),
            ("setting-monitoring", "open to raised"): (1, ("p3",)),
        }
        assert result.compared == 4

    def test_markdown_names_both_packs_and_each_change(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        answers = write_table(tmp_path / "a.csv", [["", "no", "", "unknown"], *ROWS[:2]])
        result = run("impact", mini_dir, self.new_pack(tmp_path), answers)
        assert result.exit_code == 0, result.output
        text = result.output
        assert "| new |" in text and "0.2.0" in text
        assert "3 of 3 answer sets compared." in text
        assert "| `setting-monitoring` | open to raised | 1 | row 1 |" in text
        assert "| `substance-history-new` (new) | gains raised | 2 | p1, p2 |" in text

    def test_a_question_the_new_pack_adds_is_read_as_not_assessed_under_the_old_and_said(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        item = (
            "  - id: observation\n"
            '    section: "Setting"\n'
            '    label: "observation after each dose"\n'
            '    question: "Can the patient be observed for two hours after each dose?"\n'
            '    help: "Until discharge criteria are met."\n'
            "    sources: [src-b]\n"
        )
        rule = (
            "  - id: setting-observation\n"
            '    section: "Setting"\n'
            "    kind: arrange\n"
            '    when: {item: observation, is: "no"}\n'
            '    summary: "Arrange observation after each dose"\n'
            '    text: "Arrange two hours of observation after each dose."\n'
            '    rationale: "Dissociation and blood pressure rise peak early."\n'
            "    sources: [src-b]\n"
        )
        new = write_pack(
            tmp_path / "new",
            {
                "items.yaml": MINI_PACK["items.yaml"] + item,
                "rules-main.yaml": MINI_PACK["rules-main.yaml"] + rule,
                "pack.yaml": MINI_PACK["pack.yaml"].replace('"0.1.0"', '"0.2.0"'),
            },
        )
        observed = ["no", "yes", "", ""]  # p1 to p4: answered for two, not assessed for two
        rows = [[*row, seen] for row, seen in zip(ROWS, observed, strict=True)]
        answers = write_table(tmp_path / "a.csv", rows, [*HEADER, "observation"])
        report = json.loads(run("impact", mini_dir, new, answers, "--format", "json").output)
        assert (report["compared"], report["refused_old"], report["refused_new"]) == (4, 0, 0)
        assert report["added"] == ["observation"]
        (added,) = [r for r in report["rules"] if r["rule_id"] == "setting-observation"]
        assert {c["change"]: c["examples"] for c in added["changes"]} == {
            "gains raised": ["p1"],
            "gains open": ["p3", "p4"],
        }
        text = run("impact", mini_dir, new, answers).output
        assert "4 of 4 answer sets compared." in text
        assert (
            "Questions only the new pack asks (`observation`): their answers are read as not "
            "assessed under the old pack, which did not ask them." in text
        )

    def test_rows_one_pack_refuses_are_counted_not_compared(
        self, mini_dir: Path, tmp_path: Path
    ) -> None:
        items = MINI_PACK["items.yaml"].replace("  - id: monitoring\n", "  - id: monitoring_new\n")
        rules = MINI_PACK["rules-main.yaml"].replace("item: monitoring,", "item: monitoring_new,")
        new = write_pack(tmp_path / "new", {"items.yaml": items, "rules-main.yaml": rules})
        answers = write_table(tmp_path / "a.csv", ROWS)
        result = run("impact", mini_dir, new, answers, "--format", "json")
        report = json.loads(result.output)
        assert (report["compared"], report["refused_old"], report["refused_new"]) == (1, 0, 3)
        from screening import load_pack  # noqa: PLC0415

        assert report["new"] == {
            "name": "Mini pack",
            "version": "0.1.0",
            "status": "draft",
            "sha256": load_pack(new).sha256,
        }
