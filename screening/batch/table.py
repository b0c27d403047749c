"""Answer tables (CSV, Parquet, JSON Lines) read into coded columns, every bad cell reported.

One answer set per row; columns are item ids (yes / no / unknown, blank = not assessed) and
an optional `record_id`. Nothing is coerced: `Yes`, ` yes`, `true` or `1` is a bad cell. A
bad cell refuses its row, with the row number, column, value and reason; the other rows
run. A file that cannot be read as a table at all is refused whole (`AnswersError`).
Row 1 is the first answer set: the line after a CSV's header, a JSON Lines file's first
line; blank lines are skipped in both and not counted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from numpy.typing import NDArray

from screening.batch.vector import ANSWER_CODES, BLANK, HIDDEN, Codes, visible_codes
from screening.describe import describe_condition
from screening.errors import AnswersError, Problem
from screening.models import RulePack

RECORD_ID = "record_id"
"""The optional column naming each answer set, carried to the results and impact examples."""
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
FORMATS[".ndjson"] = "jsonl"
MAX_BYTES = 1024**3
"""Largest CSV or JSON Lines file read (1 GiB); larger exports go through Parquet and Dask."""
MAX_ROWS = 20_000_000
"""Most answer sets read into one machine's memory; more go through `--engine dask`."""
BAD_VALUE = 'answer must be "yes", "no" or "unknown" (lower case), or blank'
UNKNOWN_COLUMN = "unknown column: not an item of this rule pack"


@dataclass(frozen=True)
class CellProblem:
    """One bad cell: its row (1 = first answer set), column, value as read, and reason."""

    row: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class AnswerTable:
    """A table's answers coded per pack item; rows with a bad cell are marked refused."""

    source: str
    rows: int
    given: dict[str, Codes]
    record_ids: pa.Array | None
    problems: tuple[CellProblem, ...]
    refused: NDArray[np.bool_]

    @property
    def accepted(self) -> NDArray[np.intp]:
        """Positions of the rows that run (0-based)."""
        return np.flatnonzero(~self.refused)


def table_format(name: str, shown: str | None = None) -> str:
    """The format a file's extension names; a folder is a Parquet dataset."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise AnswersError(
            [
                Problem(
                    shown or name,
                    "unknown table format: expected .csv, .parquet (or .pq) or .jsonl",
                )
            ]
        )
    return FORMATS[suffix]


def read_table_path(path: Path, shown: str, pack: RulePack) -> AnswerTable:
    """Read and code an answers file, or a folder of Parquet files."""
    return code_table(*raw_table_path(path, shown), shown, pack)


def read_table_bytes(
    data: bytes, shown: str, pack: RulePack, max_rows: int = MAX_ROWS
) -> AnswerTable:
    """Read and code an answers table held in memory (the app's upload)."""
    return code_table(*raw_table_bytes(data, shown, None, max_rows), shown, pack, max_rows)


Raw = tuple[pa.Table, list[CellProblem]]
"""A table as read, before any pack codes it, with the problems reading found (JSON Lines)."""


def raw_table_path(path: Path, shown: str) -> Raw:
    """A file or a folder of Parquet files, within the stated bounds."""
    if path.is_dir():
        try:
            dataset = ds.dataset(path, format="parquet")
            if not dataset.files:
                raise AnswersError([Problem(shown, "no Parquet files in this folder")])
            _refuse_too_many(dataset.count_rows(), shown, MAX_ROWS)
            return dataset.to_table(), []
        except (pa.ArrowException, OSError) as exc:
            raise AnswersError([Problem(shown, f"not a Parquet dataset: {exc}")]) from None
    if not path.exists():
        raise AnswersError([Problem(shown, "no such file")])
    fmt = table_format(path.name, shown)
    if fmt != "parquet" and path.stat().st_size > MAX_BYTES:
        raise AnswersError(
            [Problem(shown, f"larger than {MAX_BYTES // 1024**3} GiB: split it or use Parquet")]
        )
    return raw_table_bytes(path.read_bytes(), shown, fmt)


def raw_table_bytes(
    data: bytes, shown: str, fmt: str | None = None, max_rows: int = MAX_ROWS
) -> Raw:
    """A table from bytes; a Parquet file's row count is checked before it is unpacked."""
    fmt = fmt or table_format(shown)
    if fmt == "parquet":
        try:
            _refuse_too_many(pq.read_metadata(pa.BufferReader(data)).num_rows, shown, max_rows)
            return pq.read_table(pa.BufferReader(data)), []
        except (pa.ArrowException, OSError) as exc:
            raise AnswersError([Problem(shown, f"not a Parquet file: {exc}")]) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if fmt == "csv":
        return _read_csv(data, shown), []
    return _read_jsonl(data, shown)


def _refuse_too_many(rows: int, shown: str, max_rows: int) -> None:
    if rows > max_rows:
        raise AnswersError(
            [
                Problem(
                    shown,
                    f"more than {max_rows:,} rows: split it, or use the command line's "
                    "--engine dask with Parquet",
                )
            ]
        )


def _read_csv(data: bytes, shown: str) -> pa.Table:
    """Every cell as text, nothing read as missing but an empty cell: `NA` stays a bad value."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader([first.decode("utf-8")]), [])
    except UnicodeDecodeError:
        raise AnswersError([Problem(shown, "not UTF-8 text")]) from None
    if not header or header == [""]:
        raise AnswersError([Problem(shown, "empty: expected a header line of item ids")])
    _refuse_repeated(header, shown)
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()),
        null_values=[],
        strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(pa.BufferReader(data), convert_options=options)
    except pa.ArrowException as exc:
        raise AnswersError([Problem(shown, f"not a readable CSV table: {exc}")]) from None


def _refuse_repeated(names: Iterable[str], shown: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise AnswersError([Problem(shown, "column appears twice", ref=name)])
        seen.add(name)


def _read_jsonl(data: bytes, shown: str) -> tuple[pa.Table, list[CellProblem]]:
    """One JSON object per line, values strings or null; a bad line refuses its row only."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersError([Problem(shown, "not UTF-8 text")]) from None
    columns: dict[str, list[str | None]] = {}
    problems: list[CellProblem] = []
    rows = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        rows += 1
        record, reason = _json_object(line)
        if reason:
            problems.append(CellProblem(rows, "", line[:200], reason))
        for key, value in record.items():
            cells = columns.setdefault(key, [None] * (rows - 1))
            if isinstance(value, str) or value is None:
                cells.append(value)
            else:
                problems.append(CellProblem(rows, key, json.dumps(value), BAD_VALUE))
                cells.append(None)
        for cells in columns.values():
            if len(cells) < rows:
                cells.append(None)
    if rows == 0:
        raise AnswersError([Problem(shown, "empty: expected one JSON object per line")])
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), problems


class _RepeatedKeyError(Exception):
    """A key given twice in one object: JSON would silently keep the last."""


def _json_object(line: str) -> tuple[dict[str, Any], str | None]:
    """The line's object, or an empty one and why the line is refused."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) < len(keys):
            raise _RepeatedKeyError
        return dict(pairs)

    try:
        record = json.loads(line, object_pairs_hook=no_duplicates)
    except _RepeatedKeyError:
        return {}, "a key appears twice in this line"
    except (json.JSONDecodeError, RecursionError):
        return {}, "not valid JSON"
    if not isinstance(record, dict):
        return {}, "not a JSON object"
    return record, None


def code_table(
    table: pa.Table,
    problems: list[CellProblem],
    shown: str,
    pack: RulePack,
    max_rows: int = MAX_ROWS,
) -> AnswerTable:
    """Code every item column; report unknown columns' values, bad values and hidden answers."""
    _refuse_too_many(table.num_rows, shown, max_rows)
    _refuse_repeated(table.column_names, shown)
    rows = table.num_rows
    found = list(problems)
    given = {item.id: np.zeros(rows, dtype=np.int8) for item in pack.items}
    record_ids = None
    for name in table.column_names:
        column = table.column(name)
        if name == RECORD_ID:
            record_ids = _as_text(column)
        elif pack.has_item(name):
            given[name] = _codes(column, name, found)
        else:
            _unknown_column(column, name, found)
    # A refused row's bad cells read as blank here, which can only ever show an item as asked:
    # so every "not asked" reported below is certain, whatever the row's other problems.
    visible = visible_codes(pack, given)
    for item in pack.items:
        hidden = np.flatnonzero((given[item.id] != BLANK) & (visible[item.id] == HIDDEN))
        if item.asked_if is not None and len(hidden):
            reason = "answered, but not asked given the other answers: it is asked only when "
            reason += describe_condition(item.asked_if, pack)
            value_of = {code: text for text, code in ANSWER_CODES.items()}
            found.extend(
                CellProblem(int(r) + 1, item.id, value_of[int(given[item.id][r])], reason)
                for r in hidden
            )
    found.sort(key=lambda p: p.row)
    refused = np.zeros(rows, dtype=np.bool_)
    refused[[p.row - 1 for p in found]] = True
    return AnswerTable(shown, rows, given, record_ids, tuple(found), refused)


def _as_text(column: pa.ChunkedArray) -> pa.Array:
    try:
        return pc.cast(column, pa.string()).combine_chunks()
    except pa.ArrowException:
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())


def _codes(column: pa.ChunkedArray, name: str, found: list[CellProblem]) -> Codes:
    """The column's codes; a value other than yes / no / unknown / blank is reported."""
    if pa.types.is_null(column.type):
        return np.zeros(len(column), dtype=np.int8)
    text = (pa.types.is_string, pa.types.is_large_string)
    if pa.types.is_dictionary(column.type):
        if any(is_text(column.type.value_type) for is_text in text):
            return _coded(column.unify_dictionaries().combine_chunks(), name, found)
        column = column.cast(column.type.value_type)
    if not any(is_text(column.type) for is_text in text):
        values = column.to_pylist()
        found.extend(
            CellProblem(r + 1, name, json.dumps(v, default=str), BAD_VALUE)
            for r, v in enumerate(values)
            if v is not None
        )
        return np.zeros(len(column), dtype=np.int8)
    return _coded(pc.dictionary_encode(column).combine_chunks(), name, found)


def _coded(encoded: pa.DictionaryArray, name: str, found: list[CellProblem]) -> Codes:
    """Codes through the dictionary: each distinct word is looked up once, not once per row."""
    words = encoded.dictionary.to_pylist()
    lookup = np.array([ANSWER_CODES.get(w, -1) for w in words] or [0], dtype=np.int8)
    indices = encoded.indices.fill_null(-1).to_numpy()
    codes = np.where(indices < 0, np.int8(BLANK), lookup[np.maximum(indices, 0)]).astype(np.int8)
    bad = np.flatnonzero(codes < 0)
    if len(bad):
        found.extend(CellProblem(int(r) + 1, name, words[indices[r]], BAD_VALUE) for r in bad)
        codes[bad] = BLANK
    return codes


def _unknown_column(column: pa.ChunkedArray, name: str, found: list[CellProblem]) -> None:
    """A cell with a value in a column the pack does not know: its answer would be lost."""
    values = column.to_pylist()
    found.extend(
        CellProblem(
            r + 1, name, v if isinstance(v, str) else json.dumps(v, default=str), UNKNOWN_COLUMN
        )
        for r, v in enumerate(values)
        if v is not None and v != ""
    )


def problems_csv(problems: Iterable[CellProblem]) -> str:
    """The problems file: one line per bad cell, `row,column,value,reason`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "column", "value", "reason"])
    writer.writerows((p.row, p.column, p.value, p.reason) for p in problems)
    return out.getvalue()
