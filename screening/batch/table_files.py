"""Reading an answers table file into Arrow, bounded, before any pack codes it.

CSV, Parquet (a file or a folder of files) and JSON Lines; every reader states how much it
will read (`TableBounds`) and refuses more before unpacking it. Problems found while
reading (a JSON Lines line that is not an object) are kept per row (`ReadProblems`); coding
the table against a pack is `screening.batch.table`.
"""

from __future__ import annotations

import csv
import json
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from screening.catalogue import N_, Said
from screening.errors import AnswersError, Problem, one_of
from screening.limits import (
    MAX_CELL_CHARS,
    MAX_NUMBER_DIGITS,
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_MEMORY,
    MAX_TABLE_PROBLEMS,
    MAX_TABLE_UPLOAD_CELLS,
    MAX_TABLE_UPLOAD_MEMORY,
    MAX_TABLE_UPLOAD_ROWS,
)
from screening.models import ANSWERS
from screening.text import (
    DuplicateKeyError,
    NumberTooLongError,
    TooManyKeysError,
    echo,
    strict_json,
)

RECORD_ID = "record_id"
BAD_VALUE = Said(N_("answer must be {choices} (lower case), or blank"), choices=one_of(ANSWERS))
BAD_RECORD_ID = Said(
    N_("record_id must be text or a whole number of at most {limit} characters"),
    limit=str(MAX_CELL_CHARS),
)

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
FORMATS[".ndjson"] = "jsonl"
MAX_BYTES = 1024**3
"""Largest CSV or JSON Lines file read (1 GiB); larger exports go through Parquet and Dask."""
MAX_ROWS = 20_000_000
"""Most answer sets read into one machine's memory; more go through `--engine dask`."""
LONG_NUMBER = Said(
    N_("a number longer than {digits} digits: no cell of a table is a number"),
    digits=str(MAX_NUMBER_DIGITS),
)
TOO_MANY_KEYS = Said(N_("more than {limit} keys in one line"), limit=f"{MAX_TABLE_COLUMNS:,}")
_KEY_TWICE = Said(N_("a key appears twice in this line"))
_NOT_JSON = Said(N_("not valid JSON"))
_NOT_OBJECT = Said(N_("not a JSON object"))


@dataclass(frozen=True)
class TableBounds:
    """How much of a table is read: rows, rows times columns, and bytes in memory once
    unpacked; the command line's by default, the app's for an upload (`UPLOAD_BOUNDS`)."""

    rows: int = MAX_ROWS
    cells: int = MAX_TABLE_CELLS
    memory: int = MAX_TABLE_MEMORY


COMMAND_LINE_BOUNDS = TableBounds()
"""The command line's bounds, the default of every reader."""
UPLOAD_BOUNDS = TableBounds(MAX_TABLE_UPLOAD_ROWS, MAX_TABLE_UPLOAD_CELLS, MAX_TABLE_UPLOAD_MEMORY)


@dataclass(frozen=True)
class CellProblem:
    """One bad cell: its row (1 = first answer set), column, value as read (echoed at most
    `MAX_ECHO` characters), and reason."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class ReadProblems:
    """Problems found while reading, before any pack codes the table: the first
    `MAX_TABLE_PROBLEMS` kept, every refused row (0-based) marked, all counted."""

    kept: list[CellProblem] = field(default_factory=list)
    rows: array[int] = field(default_factory=lambda: array("q"))
    total: int = 0

    def add(self, row: int, column: str, value: str, reason: str) -> None:
        self.rows.append(row - 1)
        self.total += 1
        if len(self.kept) < MAX_TABLE_PROBLEMS:
            self.kept.append(CellProblem(row, column, echo(value), reason))


def table_format(name: str, shown: str | None = None) -> str:
    """The format a file's extension names; a folder is a Parquet dataset."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise AnswersError(
            [
                Problem(
                    shown or name,
                    Said(
                        N_("unknown table format: expected {formats}"),
                        formats=".csv, .parquet (or .pq) or .jsonl",
                    ),
                )
            ]
        )
    return FORMATS[suffix]


Raw = tuple[pa.Table, ReadProblems]
"""A table as read, before any pack codes it, with the problems reading found (JSON Lines)."""


def raw_table_path(path: Path, shown: str) -> Raw:
    """A file or a folder of Parquet files, within the stated bounds."""
    if path.is_dir():
        try:
            dataset = ds.dataset(path, format="parquet")
            if not dataset.files:
                raise AnswersError([Problem(shown, Said(N_("no Parquet files in this folder")))])
            refuse_too_many(dataset.count_rows(), len(dataset.schema), shown, COMMAND_LINE_BOUNDS)
            metadata_bytes = 0
            for fragment in dataset.get_fragments():
                metadata_bytes += _unpacked_bytes(fragment.metadata)
            refuse_too_large(metadata_bytes, shown, COMMAND_LINE_BOUNDS)
            return dataset.to_table(), ReadProblems()
        except (pa.ArrowException, OSError) as exc:
            raise AnswersError(
                [Problem(shown, Said(N_("not a Parquet dataset: {reason}"), reason=echo(str(exc))))]
            ) from None
    if not path.exists():
        raise AnswersError([Problem(shown, Said(N_("no such file")))])
    fmt = table_format(path.name, shown)
    if fmt != "parquet" and path.stat().st_size > MAX_BYTES:
        raise AnswersError(
            [
                Problem(
                    shown,
                    Said(
                        N_("larger than {size} GiB: split it or use Parquet"),
                        size=str(MAX_BYTES // 1024**3),
                    ),
                )
            ]
        )
    return raw_table_bytes(path.read_bytes(), shown, fmt)


def raw_table_bytes(
    data: bytes, shown: str, fmt: str | None = None, bounds: TableBounds = COMMAND_LINE_BOUNDS
) -> Raw:
    """A table from bytes, its size checked first: a Parquet file's rows, columns and unpacked
    bytes by its metadata before it is unpacked, a CSV file's by its header and lines."""
    fmt = fmt or table_format(shown)
    if fmt == "parquet":
        return _read_parquet(data, shown, bounds), ReadProblems()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if fmt == "csv":
        return _read_csv(data, shown, bounds), ReadProblems()
    return _read_jsonl(data, shown, bounds)


def _unpacked_bytes(metadata: pq.FileMetaData) -> int:
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def _read_parquet(data: bytes, shown: str, bounds: TableBounds) -> pa.Table:
    """Text columns are kept dictionary-coded as stored, so a value repeated a million times
    is held once, and the bounds are checked on the metadata before any page is read."""
    try:
        file = pq.ParquetFile(pa.BufferReader(data))
        metadata = file.metadata
        refuse_too_many(metadata.num_rows, metadata.num_columns, shown, bounds)
        refuse_too_large(_unpacked_bytes(metadata), shown, bounds)
        schema = file.schema_arrow
        texts = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        return pq.read_table(pa.BufferReader(data), read_dictionary=texts)
    except (pa.ArrowException, OSError) as exc:
        raise AnswersError(
            [Problem(shown, Said(N_("not a Parquet file: {reason}"), reason=echo(str(exc))))]
        ) from None


def refuse_too_many(rows: int, columns: int, shown: str, bounds: TableBounds) -> None:
    if rows > bounds.rows:
        raise AnswersError(
            [
                Problem(
                    shown,
                    Said(
                        N_("more than {limit} rows: split it, or use the command line's {option}"),
                        limit=f"{bounds.rows:,}",
                        option="--engine dask with Parquet",
                    ),
                )
            ]
        )
    if columns > MAX_TABLE_COLUMNS:
        raise AnswersError(
            [
                Problem(
                    shown,
                    Said(
                        N_("{columns} columns; at most {limit} are read"),
                        columns=f"{columns:,}",
                        limit=f"{MAX_TABLE_COLUMNS:,}",
                    ),
                )
            ]
        )
    if rows * columns > bounds.cells:
        raise AnswersError(
            [
                Problem(
                    shown,
                    Said(
                        N_(
                            "{rows} rows of {columns} columns; at most {limit} cells are read at "
                            "once: split it"
                        ),
                        rows=f"{rows:,}",
                        columns=f"{columns:,}",
                        limit=f"{bounds.cells:,}",
                    ),
                )
            ]
        )


def refuse_too_large(unpacked: int, shown: str, bounds: TableBounds) -> None:
    if unpacked > bounds.memory:
        raise AnswersError(
            [
                Problem(
                    shown,
                    Said(
                        N_("unpacks to {size} bytes; at most {limit} are read at once: split it"),
                        size=f"{unpacked:,}",
                        limit=f"{bounds.memory:,}",
                    ),
                )
            ]
        )


def _read_csv(data: bytes, shown: str, bounds: TableBounds) -> pa.Table:
    """Every cell as text, nothing read as missing but an empty cell: `NA` stays a bad value."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader([first.decode("utf-8")]), [])
    except UnicodeDecodeError:
        raise AnswersError([Problem(shown, Said(N_("not UTF-8 text")))]) from None
    except csv.Error as exc:
        raise AnswersError(
            [Problem(shown, Said(N_("not a readable CSV header: {reason}"), reason=str(exc)))]
        ) from None
    if not header or header == [""]:
        raise AnswersError([Problem(shown, Said(N_("empty: expected a header line of item ids")))])
    refuse_too_many(data.count(b"\n"), len(header), shown, bounds)
    refuse_repeated(header, shown)
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()),
        null_values=[],
        strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(pa.BufferReader(data), convert_options=options)
    except pa.ArrowException as exc:
        raise AnswersError(
            [Problem(shown, Said(N_("not a readable CSV table: {reason}"), reason=echo(str(exc))))]
        ) from None


def refuse_repeated(names: Iterable[str], shown: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise AnswersError([Problem(shown, Said(N_("column appears twice")), ref=echo(name))])
        seen.add(name)


def _read_jsonl(data: bytes, shown: str, bounds: TableBounds) -> Raw:
    """One JSON object per line, values strings or null (a record id may be a whole number);
    a bad line refuses its row only. Linear: each value is stored once with its row, and the
    columns are built at the end."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersError([Problem(shown, Said(N_("not UTF-8 text")))]) from None
    refuse_too_many(text.count("\n") + 1, 1, shown, bounds)
    columns: dict[str, tuple[array[int], list[str | None]]] = {}
    problems = ReadProblems()
    rows = 0
    for line in text.split("\n"):  # not splitlines: JSON text may hold U+2028 or U+0085
        if not line.strip():
            continue
        rows += 1
        record, reason = _json_object(line)
        if reason:
            problems.add(rows, "", line, reason)
        for key, value in record.items():
            if key not in columns:
                if len(columns) == MAX_TABLE_COLUMNS:
                    raise AnswersError(
                        [
                            Problem(
                                shown,
                                Said(
                                    N_(
                                        "more than {limit} different keys; at most {limit} "
                                        "columns are read"
                                    ),
                                    limit=f"{MAX_TABLE_COLUMNS:,}",
                                ),
                                ref=f"line {rows}",
                            )
                        ]
                    )
                columns[key] = (array("q"), [])
            positions, values = columns[key]
            if key == RECORD_ID and type(value) is int:
                positions.append(rows - 1)
                values.append(str(value))
            elif isinstance(value, str) or value is None:
                positions.append(rows - 1)
                values.append(value)
            else:
                reason = BAD_RECORD_ID if key == RECORD_ID else BAD_VALUE
                problems.add(rows, key, json.dumps(value), reason)
    if rows == 0:
        raise AnswersError([Problem(shown, Said(N_("empty: expected one JSON object per line")))])
    refuse_too_many(rows, len(columns), shown, bounds)
    table = pa.table({key: _spread(rows, *cells) for key, cells in columns.items()})
    if not columns:  # every line refused: the table still has its rows, each refused
        table = pa.table({"": pa.nulls(rows, pa.string())}).drop_columns([""])
    return table, problems


def _spread(rows: int, positions: array[int], values: list[str | None]) -> pa.Array:
    """A column of `rows` cells holding `values` at `positions`, null elsewhere."""
    where = np.full(rows, -1, dtype=np.int64)
    where[np.frombuffer(positions, dtype=np.int64)] = np.arange(len(values))
    return pa.array(values, pa.string()).take(pa.array(where, mask=where < 0))


def _json_object(line: str) -> tuple[dict[str, Any], str | None]:
    """The line's object, or an empty one and why the line is refused. A number's length is
    checked before it is read."""

    try:
        record = strict_json(line, max_digits=MAX_NUMBER_DIGITS, max_keys=MAX_TABLE_COLUMNS)
    except DuplicateKeyError:
        return {}, _KEY_TWICE
    except TooManyKeysError:
        return {}, TOO_MANY_KEYS
    except NumberTooLongError:
        return {}, LONG_NUMBER
    except (json.JSONDecodeError, RecursionError):
        return {}, _NOT_JSON
    if not isinstance(record, dict):
        return {}, _NOT_OBJECT
    return record, None
