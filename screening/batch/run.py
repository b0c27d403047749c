"""A whole answers table through a pack: the results table, one row per accepted answer set.

RESULTS columns: `row` (the answer set's row in ANSWERS), `record_id` when ANSWERS has one,
one column per rule id holding `raised`, `open` or nothing (null; empty in CSV), then
`pack_name`, `pack_version` and `pack_sha256`, so every result names the pack that made it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from screening.batch import vector
from screening.batch.table import RECORD_ID, AnswerTable, CellProblem
from screening.batch.vector import Codes
from screening.catalogue import N_, Said
from screening.errors import AnswersError, Problem
from screening.models import RulePack
from screening.pack.checks import RESERVED_COLUMNS
from screening.text import FORMULA_STARTS, printable

ROW = "row"
PACK_COLUMNS = ("pack_name", "pack_version", "pack_sha256")
RESERVED = RESERVED_COLUMNS
"""The results table's own columns, which `check` refuses as item or rule ids."""
RAISED, OPEN = "raised", "open"
_RESULT_WORDS = pa.array([RAISED, OPEN], pa.string())


@dataclass(frozen=True)
class BatchResult:
    """Every rule's result for the accepted rows of a table, and the problems of the others."""

    pack: RulePack
    source: str
    rows: int
    accepted: NDArray[np.intp]
    record_ids: pa.Array | None
    visible: dict[str, Codes]
    values: dict[str, Codes]
    problems: tuple[CellProblem, ...]
    problem_count: int = 0
    """Every problem found; `problems` lists the first `MAX_TABLE_PROBLEMS` by row."""

    def __post_init__(self) -> None:
        if self.problem_count < len(self.problems):
            object.__setattr__(self, "problem_count", len(self.problems))

    @property
    def refused_rows(self) -> int:
        return self.rows - len(self.accepted)

    def open_items(self, rule_id: str) -> dict[int, tuple[str, ...]]:
        """Accepted row position to the items the engine names as open, where the rule is open."""
        return vector.Evaluation(self.visible, self.values).open_items(self.pack, rule_id)

    def labels(self, positions: NDArray[np.intp]) -> list[str]:
        """How a report names answer sets: their record id, else `row N`."""
        rows = self.accepted[positions]
        if self.record_ids is None:
            return [f"row {r + 1}" for r in rows.tolist()]
        ids = self.record_ids.take(pa.array(rows)).to_pylist()
        return [
            printable(i) if i else f"row {r + 1}" for i, r in zip(ids, rows.tolist(), strict=True)
        ]


def run_batch(pack: RulePack, table: AnswerTable) -> BatchResult:
    """Evaluate every accepted row of `table`; refused rows are left out, with their problems."""
    clashes = [r.id for r in pack.rules if r.id in RESERVED]
    if clashes:
        raise AnswersError(
            [
                Problem(
                    table.source,
                    Said(N_("a rule id is also a results column name")),
                    ref=clashes[0],
                )
            ]
        )
    accepted = table.accepted
    given = table.given
    if table.refused.any():
        given = {i: codes[accepted] for i, codes in given.items()}
    evaluation = vector.evaluate(pack, given)
    return BatchResult(
        pack,
        table.source,
        table.rows,
        accepted,
        table.record_ids,
        evaluation.visible,
        evaluation.values,
        table.problems,
        table.problem_count,
    )


def result_column(values: Codes) -> pa.DictionaryArray:
    """`raised` / `open` / null, dictionary-coded so a million rows cost a million bytes."""
    indices = (values != vector.TRUE).view(np.int8)
    valid = np.packbits(values != vector.FALSE, bitorder="little")
    array = pa.Array.from_buffers(
        pa.int8(), len(values), [pa.py_buffer(valid), pa.py_buffer(indices)]
    )
    return pa.DictionaryArray.from_arrays(array, _RESULT_WORDS)


def results_table(result: BatchResult) -> pa.Table:
    rows = len(result.accepted)
    columns: dict[str, pa.Array] = {ROW: pa.array(result.accepted + 1, pa.int64())}
    if result.record_ids is not None:
        columns[RECORD_ID] = result.record_ids.take(pa.array(result.accepted))
    for rule in result.pack.rules:
        columns[rule.id] = result_column(result.values[rule.id])
    meta = result.pack.meta
    for name, value in zip(
        PACK_COLUMNS, (meta.name, meta.version, result.pack.sha256), strict=True
    ):
        columns[name] = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(rows, dtype=np.int8)), pa.array([value], pa.string())
        )
    return pa.table(columns)


def table_bytes(table: pa.Table, fmt: str) -> bytes:
    """The table as Parquet or CSV bytes, whole, so a file is written at once or not at all."""
    out = io.BytesIO()
    if fmt == "parquet":
        # Statistics only where a reader filters (row, record_id): they cost more than the rest.
        keep = [c for c in (ROW, RECORD_ID) if c in table.column_names]
        pq.write_table(table, out, write_statistics=keep)
    else:
        plain = pa.table(
            {
                name: _inert(
                    column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
                )
                for name, column in zip(table.column_names, table.columns, strict=True)
            }
        )
        pacsv.write_csv(plain, out, pacsv.WriteOptions(quoting_style="needed"))
    return out.getvalue()


_FORMULA = "^[" + re.escape("".join(FORMULA_STARTS)) + "]"


def _inert(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column with every cell a spreadsheet would run made `inert_cell` (a quote
    before it), computed on the whole column at once."""
    if not pa.types.is_string(column.type):
        return column
    risky = pc.match_substring_regex(column, _FORMULA).fill_null(False)
    if not pc.any(risky).as_py():
        return column
    quoted = pc.binary_join_element_wise("'", column, "")
    return pc.if_else(risky, quoted, column)
