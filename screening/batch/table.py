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
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from numpy.typing import NDArray

from screening.algebra import ANSWER_CHOICES
from screening.batch.vector import ANSWER_CODES, BLANK, HIDDEN, Codes, visible_codes
from screening.describe import describe_condition
from screening.errors import AnswersError, Problem, echo, inert_cell, printable
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
from screening.models import RulePack
from screening.text import DuplicateKeyError, NumberTooLongError, TooManyKeysError, strict_json

RECORD_ID = "record_id"
"""The optional column naming each answer set, carried to the results and impact examples."""
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
FORMATS[".ndjson"] = "jsonl"
MAX_BYTES = 1024**3
"""Largest CSV or JSON Lines file read (1 GiB); larger exports go through Parquet and Dask."""
MAX_ROWS = 20_000_000
"""Most answer sets read into one machine's memory; more go through `--engine dask`."""
BAD_VALUE = f"answer must be {ANSWER_CHOICES} (lower case), or blank"
UNKNOWN_COLUMN = "unknown column: not an item of this rule pack"
BAD_RECORD_ID = f"record_id must be text or a whole number of at most {MAX_CELL_CHARS} characters"
LONG_NUMBER = f"a number longer than {MAX_NUMBER_DIGITS} digits: no cell of a table is a number"
TOO_MANY_KEYS = f"more than {MAX_TABLE_COLUMNS:,} keys in one line"


@dataclass(frozen=True)
class TableBounds:
    """How much of a table is read: rows, rows times columns, and bytes in memory once
    unpacked; the command line's by default, the app's for an upload (`UPLOAD_BOUNDS`)."""

    rows: int = MAX_ROWS
    cells: int = MAX_TABLE_CELLS
    memory: int = MAX_TABLE_MEMORY


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


@dataclass(frozen=True)
class AnswerTable:
    """A table's answers coded per pack item; rows with a bad cell are marked refused.
    `problems` lists the first `MAX_TABLE_PROBLEMS` by row; `problem_count` counts them all."""

    source: str
    rows: int
    given: dict[str, Codes]
    record_ids: pa.Array | None
    problems: tuple[CellProblem, ...]
    refused: NDArray[np.bool_]
    problem_count: int = 0

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
    data: bytes, shown: str, pack: RulePack, bounds: TableBounds = UPLOAD_BOUNDS
) -> AnswerTable:
    """Read and code an answers table held in memory (the app's upload, by the app's bounds)."""
    return code_table(*raw_table_bytes(data, shown, None, bounds), shown, pack, bounds)


Raw = tuple[pa.Table, ReadProblems]
"""A table as read, before any pack codes it, with the problems reading found (JSON Lines)."""


def raw_table_path(path: Path, shown: str) -> Raw:
    """A file or a folder of Parquet files, within the stated bounds."""
    if path.is_dir():
        try:
            dataset = ds.dataset(path, format="parquet")
            if not dataset.files:
                raise AnswersError([Problem(shown, "no Parquet files in this folder")])
            _refuse_too_many(dataset.count_rows(), len(dataset.schema), shown, TableBounds())
            metadata_bytes = 0
            for fragment in dataset.get_fragments():
                metadata_bytes += _unpacked_bytes(fragment.metadata)
            _refuse_too_large(metadata_bytes, shown, TableBounds())
            return dataset.to_table(), ReadProblems()
        except (pa.ArrowException, OSError) as exc:
            raise AnswersError(
                [Problem(shown, f"not a Parquet dataset: {echo(str(exc))}")]
            ) from None
    if not path.exists():
        raise AnswersError([Problem(shown, "no such file")])
    fmt = table_format(path.name, shown)
    if fmt != "parquet" and path.stat().st_size > MAX_BYTES:
        raise AnswersError(
            [Problem(shown, f"larger than {MAX_BYTES // 1024**3} GiB: split it or use Parquet")]
        )
    return raw_table_bytes(path.read_bytes(), shown, fmt)


def raw_table_bytes(
    data: bytes, shown: str, fmt: str | None = None, bounds: TableBounds = TableBounds()
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
        _refuse_too_many(metadata.num_rows, metadata.num_columns, shown, bounds)
        _refuse_too_large(_unpacked_bytes(metadata), shown, bounds)
        schema = file.schema_arrow
        texts = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        return pq.read_table(pa.BufferReader(data), read_dictionary=texts)
    except (pa.ArrowException, OSError) as exc:
        raise AnswersError([Problem(shown, f"not a Parquet file: {echo(str(exc))}")]) from None


def _refuse_too_many(rows: int, columns: int, shown: str, bounds: TableBounds) -> None:
    if rows > bounds.rows:
        raise AnswersError(
            [
                Problem(
                    shown,
                    f"more than {bounds.rows:,} rows: split it, or use the command line's "
                    "--engine dask with Parquet",
                )
            ]
        )
    if columns > MAX_TABLE_COLUMNS:
        raise AnswersError(
            [Problem(shown, f"{columns:,} columns; at most {MAX_TABLE_COLUMNS:,} are read")]
        )
    if rows * columns > bounds.cells:
        raise AnswersError(
            [
                Problem(
                    shown,
                    f"{rows:,} rows of {columns:,} columns; at most {bounds.cells:,} cells are "
                    "read at once: split it",
                )
            ]
        )


def _refuse_too_large(unpacked: int, shown: str, bounds: TableBounds) -> None:
    if unpacked > bounds.memory:
        raise AnswersError(
            [
                Problem(
                    shown,
                    f"unpacks to {unpacked:,} bytes; at most {bounds.memory:,} are read at "
                    "once: split it",
                )
            ]
        )


def _read_csv(data: bytes, shown: str, bounds: TableBounds) -> pa.Table:
    """Every cell as text, nothing read as missing but an empty cell: `NA` stays a bad value."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader([first.decode("utf-8")]), [])
    except UnicodeDecodeError:
        raise AnswersError([Problem(shown, "not UTF-8 text")]) from None
    except csv.Error as exc:
        raise AnswersError([Problem(shown, f"not a readable CSV header: {exc}")]) from None
    if not header or header == [""]:
        raise AnswersError([Problem(shown, "empty: expected a header line of item ids")])
    _refuse_too_many(data.count(b"\n"), len(header), shown, bounds)
    _refuse_repeated(header, shown)
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()),
        null_values=[],
        strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(pa.BufferReader(data), convert_options=options)
    except pa.ArrowException as exc:
        raise AnswersError(
            [Problem(shown, f"not a readable CSV table: {echo(str(exc))}")]
        ) from None


def _refuse_repeated(names: Iterable[str], shown: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise AnswersError([Problem(shown, "column appears twice", ref=echo(name))])
        seen.add(name)


def _read_jsonl(data: bytes, shown: str, bounds: TableBounds) -> Raw:
    """One JSON object per line, values strings or null (a record id may be a whole number);
    a bad line refuses its row only. Linear: each value is stored once with its row, and the
    columns are built at the end."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersError([Problem(shown, "not UTF-8 text")]) from None
    _refuse_too_many(text.count("\n") + 1, 1, shown, bounds)
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
                                f"more than {MAX_TABLE_COLUMNS:,} different keys; at most "
                                f"{MAX_TABLE_COLUMNS:,} columns are read",
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
        raise AnswersError([Problem(shown, "empty: expected one JSON object per line")])
    _refuse_too_many(rows, len(columns), shown, bounds)
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
        return {}, "a key appears twice in this line"
    except TooManyKeysError:
        return {}, TOO_MANY_KEYS
    except NumberTooLongError:
        return {}, LONG_NUMBER
    except (json.JSONDecodeError, RecursionError):
        return {}, "not valid JSON"
    if not isinstance(record, dict):
        return {}, "not a JSON object"
    return record, None


class _Found:
    """Problems as coding finds them: every refused row marked, the first
    `MAX_TABLE_PROBLEMS` of each column kept (so the table's first ones by row are among
    them), all counted; each value echoed through `echo`, never whole."""

    def __init__(self, rows: int, read: ReadProblems) -> None:
        self.refused = np.zeros(rows, dtype=np.bool_)
        self.refused[np.frombuffer(read.rows, dtype=np.int64)] = True
        self.kept = list(read.kept)
        self.total = read.total

    def add(
        self,
        positions: NDArray[np.intp],
        column: str,
        value_at: Callable[[int], str],
        reason: str,
    ) -> None:
        """`positions` (0-based, ascending) refused in `column`, each value read lazily."""
        if not len(positions):
            return
        self.refused[positions] = True
        self.total += len(positions)
        self.kept.extend(
            CellProblem(int(p) + 1, echo(column), echo(value_at(int(p))), reason)
            for p in positions[:MAX_TABLE_PROBLEMS]
        )
        if len(self.kept) > 4 * MAX_TABLE_PROBLEMS:
            self._trim()

    def _trim(self) -> None:
        self.kept.sort(key=lambda p: p.row)
        del self.kept[MAX_TABLE_PROBLEMS:]

    def problems(self) -> tuple[CellProblem, ...]:
        self._trim()
        return tuple(self.kept)


def code_table(
    table: pa.Table,
    problems: ReadProblems,
    shown: str,
    pack: RulePack,
    bounds: TableBounds = TableBounds(),
) -> AnswerTable:
    """Code every item column; report unknown columns' values, bad values and hidden answers."""
    _refuse_too_many(table.num_rows, table.num_columns, shown, bounds)
    _refuse_repeated(table.column_names, shown)
    rows = table.num_rows
    found = _Found(rows, problems)
    given = {item.id: np.zeros(rows, dtype=np.int8) for item in pack.items}
    record_ids = None
    for name in table.column_names:
        column = table.column(name)
        if name == RECORD_ID:
            record_ids = _record_ids(column, found, shown, bounds)
        elif pack.has_item(name):
            given[name] = _codes(column, name, found)
        else:
            _unknown_column(column, name, found)
    # A refused row's bad cells read as blank here, which can only ever show an item as asked:
    # so every "not asked" reported below is certain, whatever the row's other problems.
    visible = visible_codes(pack, given)
    value_of = {code: text for text, code in ANSWER_CODES.items()}
    for item in pack.items:
        hidden = np.flatnonzero((given[item.id] != BLANK) & (visible[item.id] == HIDDEN))
        if item.asked_if is not None and len(hidden):
            reason = "answered, but not asked given the other answers: it is asked only when "
            reason += describe_condition(item.asked_if, pack)
            found.add(hidden, item.id, partial(_answer_at, given[item.id], value_of), reason)
    return AnswerTable(shown, rows, given, record_ids, found.problems(), found.refused, found.total)


def _answer_at(codes: Codes, value_of: dict[int, str], row: int) -> str:
    return value_of[int(codes[row])]


def _record_ids(
    column: pa.ChunkedArray, found: _Found, shown: str, bounds: TableBounds
) -> pa.Array:
    """Record ids as text: text, or whole numbers written out; any other type (a decimal, a
    date, bytes) and any id longer than `MAX_CELL_CHARS` refuses its row."""
    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        if pa.types.is_dictionary(column.type):
            column = column.unify_dictionaries()
            chunk = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
            lengths = pc.utf8_length(chunk.dictionary).to_numpy(zero_copy_only=False)
            indices = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False)
            if len(lengths) and int(lengths[indices].sum()) > bounds.memory:
                _refuse_too_large(int(lengths[indices].sum()), shown, bounds)
        text = pc.cast(column, pa.string()).combine_chunks()
    elif pa.types.is_integer(kind) or pa.types.is_null(kind):
        text = pc.cast(column, pa.string()).combine_chunks()
    else:
        bad = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
        found.add(bad, RECORD_ID, lambda r: str(column[r].as_py()), BAD_RECORD_ID)
        return pa.nulls(len(column), pa.string())
    too_long = pc.greater(pc.utf8_length(text), MAX_CELL_CHARS).fill_null(False)
    long_rows = np.flatnonzero(too_long.to_numpy(zero_copy_only=False))
    found.add(long_rows, RECORD_ID, lambda r: str(text[r].as_py()), BAD_RECORD_ID)
    return text


def _codes(column: pa.ChunkedArray, name: str, found: _Found) -> Codes:
    """The column's codes; a value other than yes / no / unknown / blank is reported."""
    if pa.types.is_null(column.type):
        return np.zeros(len(column), dtype=np.int8)
    text = (pa.types.is_string, pa.types.is_large_string)
    if pa.types.is_dictionary(column.type):
        if any(is_text(column.type.value_type) for is_text in text):
            unified = column.unify_dictionaries()
            chunk = unified.combine_chunks() if unified.num_chunks else pa.array([], column.type)
            return _coded(chunk, name, found)
        column = column.cast(column.type.value_type)
    if not any(is_text(column.type) for is_text in text):
        bad = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
        found.add(bad, name, lambda r: json.dumps(column[r].as_py(), default=str), BAD_VALUE)
        return np.zeros(len(column), dtype=np.int8)
    return _coded(pc.dictionary_encode(column).combine_chunks(), name, found)


def _coded(encoded: pa.DictionaryArray, name: str, found: _Found) -> Codes:
    """Codes through the dictionary: each distinct word is looked up once, not once per row."""
    words = encoded.dictionary
    lookup = np.array(
        [-1 if w is None else ANSWER_CODES.get(w, -1) for w in _short_words(words)] or [0],
        dtype=np.int8,
    )
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    codes = np.where(indices < 0, np.int8(BLANK), lookup[np.maximum(indices, 0)]).astype(np.int8)
    bad = np.flatnonzero(codes < 0)
    found.add(bad, name, lambda r: str(words[int(indices[r])].as_py()), BAD_VALUE)
    codes[bad] = BLANK
    return codes


def _short_words(words: pa.Array) -> list[str | None]:
    """The dictionary's words, a long one (never an answer) read only as far as needed."""
    return [
        None if w is None else w[:MAX_CELL_CHARS]
        for w in pc.utf8_slice_codeunits(words, 0, MAX_CELL_CHARS + 1).to_pylist()
    ]


def _unknown_column(column: pa.ChunkedArray, name: str, found: _Found) -> None:
    """A cell with a value in a column the pack does not know: its answer would be lost.
    Text is measured where it is stored (a dictionary's words once), never unpacked."""
    if pa.types.is_dictionary(column.type):
        chunk = column.unify_dictionaries().combine_chunks() if column.num_chunks else None
        if chunk is None:
            return
        words = chunk.dictionary
        if pa.types.is_string(words.type) or pa.types.is_large_string(words.type):
            keep = pc.greater(pc.utf8_length(words), 0).fill_null(False)
        else:
            keep = words.is_valid()
        kept = np.append(keep.to_numpy(zero_copy_only=False), False)
        indices = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        cells = np.flatnonzero(kept[np.where(indices < 0, len(kept) - 1, indices)])
    else:
        present = column.is_valid()
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            present = pc.and_(present, pc.greater(pc.utf8_length(column), 0))
        cells = np.flatnonzero(present.to_numpy(zero_copy_only=False))

    def value_at(r: int) -> str:
        v = column[r].as_py()
        return v if isinstance(v, str) else json.dumps(v, default=str)

    found.add(cells, name, value_at, UNKNOWN_COLUMN)


def problems_csv(problems: Sequence[CellProblem], total: int | None = None) -> str:
    """The problems file: one line per bad cell, `row,column,value,reason`, each text cell
    `printable` (line breaks and controls shown as escapes) and `inert_cell`; when `total`
    counts more problems than are listed, a last line says how many more."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "column", "value", "reason"])
    writer.writerows(
        (p.row, *(inert_cell(printable(text)) for text in (p.column, p.value, p.reason)))
        for p in problems
    )
    if total is not None and total > len(problems):
        more = total - len(problems)
        writer.writerow(["", "", "", f"... and {more:,} more problem(s), not listed"])
    return out.getvalue()
