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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from screening.batch.table_files import (
    BAD_RECORD_ID,
    BAD_VALUE,
    COMMAND_LINE_BOUNDS,
    FORMATS,
    LONG_NUMBER,
    MAX_BYTES,
    MAX_ROWS,
    RECORD_ID,
    TOO_MANY_KEYS,
    UPLOAD_BOUNDS,
    CellProblem,
    Raw,
    ReadProblems,
    TableBounds,
    raw_table_bytes,
    raw_table_path,
    refuse_repeated,
    refuse_too_large,
    refuse_too_many,
    table_format,
)
from screening.batch.vector import ANSWER_CODES, BLANK, HIDDEN, Codes, visible_codes
from screening.catalogue import N_, Said, ngettext, worded
from screening.describe import described
from screening.limits import (
    MAX_CELL_CHARS,
    MAX_TABLE_PROBLEMS,
)
from screening.models import RulePack
from screening.text import echo, inert_cell, printable

__all__ = [  # the reading half lives in table_files.py; its callers import it from here
    "BAD_RECORD_ID",
    "BAD_VALUE",
    "FORMATS",
    "LONG_NUMBER",
    "MAX_BYTES",
    "MAX_ROWS",
    "RECORD_ID",
    "TOO_MANY_KEYS",
    "UNKNOWN_COLUMN",
    "UPLOAD_BOUNDS",
    "AnswerTable",
    "CellProblem",
    "Raw",
    "ReadProblems",
    "TableBounds",
    "code_table",
    "problems_csv",
    "raw_table_bytes",
    "raw_table_path",
    "read_table_bytes",
    "read_table_path",
    "table_format",
]

"""The optional column naming each answer set, carried to the results and impact examples."""
UNKNOWN_COLUMN = Said(N_("unknown column: not an item of this rule pack"))


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


def read_table_path(path: Path, shown: str, pack: RulePack) -> AnswerTable:
    """Read and code an answers file, or a folder of Parquet files."""
    return code_table(*raw_table_path(path, shown), shown, pack)


def read_table_bytes(
    data: bytes, shown: str, pack: RulePack, bounds: TableBounds = UPLOAD_BOUNDS
) -> AnswerTable:
    """Read and code an answers table held in memory (the app's upload, by the app's bounds)."""
    return code_table(*raw_table_bytes(data, shown, None, bounds), shown, pack, bounds)


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
    bounds: TableBounds = COMMAND_LINE_BOUNDS,
) -> AnswerTable:
    """Code every item column; report unknown columns' values, bad values and hidden answers."""
    refuse_too_many(table.num_rows, table.num_columns, shown, bounds)
    refuse_repeated(table.column_names, shown)
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
            reason = Said(
                N_(
                    "answered, but not asked given the other answers: it is asked only when "
                    "{condition}"
                ),
                condition=described(item.asked_if, pack),
            )
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
                refuse_too_large(int(lengths[indices].sum()), shown, bounds)
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
        (p.row, *(inert_cell(printable(text)) for text in (p.column, p.value, worded(p.reason))))
        for p in problems
    )
    if total is not None and total > len(problems):
        more = total - len(problems)
        said = ngettext(
            "... and {n} more problem(s), not listed",
            "... and {n} more problem(s), not listed",
            more,
        )
        writer.writerow(["", "", "", said.format(n=f"{more:,}")])
    return out.getvalue()
