"""The same vectorised evaluation over a Parquet dataset with Dask, partition by partition.

`dask.dataframe.read_parquet(...).map_partitions(...)` runs `evaluate_partition` on each
partition, on the local scheduler or on a cluster (`dask.distributed.Client(address)`); the
coded results come back and are assembled exactly as the in-memory engine's. Spark sites do
the same with `mapInPandas` (see the README).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.batch.run import BatchResult, run_batch
from screening.batch.table import RECORD_ID, CellProblem, ReadProblems, code_table
from screening.errors import AnswersError, Problem
from screening.limits import MAX_TABLE_PROBLEMS
from screening.models import RulePack

SCHEDULER_TIMEOUT = 10
"""Seconds to wait for a cluster's scheduler before saying it cannot be reached."""
_PROBLEMS = "_problems"
UNLISTED = "refused: a problem past the first ones listed for its partition"


def evaluate_partition(partition: pd.DataFrame, pack: RulePack, shown: str) -> pd.DataFrame:
    """One partition's results, one row per input row: rule and item codes, record id, problems.

    A refused row keeps its place (rules coded -1) so the assembled table's row numbers are
    the dataset's; its problems travel as JSON `[column, value, reason]` lists.
    """
    raw = pa.Table.from_pandas(partition, preserve_index=False)
    table = code_table(raw, ReadProblems(), shown, pack)
    rows = table.rows
    accepted = table.accepted
    result = run_batch(pack, table)
    out: dict[str, object] = {}
    for rule in pack.rules:
        codes = np.full(rows, -1, dtype=np.int8)
        codes[accepted] = result.values[rule.id]
        out[f"rule:{rule.id}"] = codes
    for item in pack.items:
        codes = np.full(rows, -1, dtype=np.int8)
        codes[accepted] = result.visible[item.id]
        out[f"item:{item.id}"] = codes
    out[RECORD_ID] = (
        pd.Series([None] * rows, dtype="object")
        if table.record_ids is None
        else pd.Series(table.record_ids.to_pylist(), dtype="object")
    )
    problems: list[list[list[str]]] = [[] for _ in range(rows)]
    for p in table.problems:
        problems[p.row - 1].append([p.column, p.value, p.reason])
    for row in np.flatnonzero(table.refused):  # refused, past the problems listed
        problems[row] = problems[row] or [["", "", UNLISTED]]
    out[_PROBLEMS] = pd.Series([json.dumps(p) if p else None for p in problems], dtype="object")
    return pd.DataFrame(out)


def run_dask(pack: RulePack, path: Path, shown: str, scheduler: str | None = None) -> BatchResult:
    """Evaluate a Parquet dataset (a file or a folder of files) with Dask."""
    import dask.dataframe as dd  # noqa: PLC0415 - Dask loads only for --engine dask

    try:
        frame = dd.read_parquet(str(path))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise AnswersError([Problem(shown, f"not a Parquet dataset: {exc}")]) from None
    meta = evaluate_partition(frame._meta, pack, shown)
    coded = frame.map_partitions(evaluate_partition, pack, shown, meta=meta)
    if scheduler is None:
        collected = coded.compute(scheduler="threads")
    else:
        from distributed import Client  # noqa: PLC0415 - only for a cluster

        # distributed types its Client partly; the call is checked by the Dask tests.
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as exc:
            raise AnswersError(
                [Problem(scheduler, f"cannot reach the Dask scheduler: {exc}")]
            ) from None
        with client:
            collected = client.compute(coded).result()  # type: ignore[no-untyped-call]
    return _assemble(pack, collected, shown, frame.columns)


def _assemble(
    pack: RulePack, collected: pd.DataFrame, shown: str, columns: Iterable[object]
) -> BatchResult:
    rows = len(collected)
    refused = collected[_PROBLEMS].notna().to_numpy()
    accepted = np.flatnonzero(~refused)
    problems = [
        CellProblem(int(row) + 1, column, value, reason)
        for row, text in zip(np.flatnonzero(refused), collected[_PROBLEMS][refused], strict=True)
        for column, value, reason in json.loads(text)
        if reason != UNLISTED
    ]
    values = {r.id: collected[f"rule:{r.id}"].to_numpy(dtype=np.int8)[accepted] for r in pack.rules}
    visible = {
        i.id: collected[f"item:{i.id}"].to_numpy(dtype=np.int8)[accepted] for i in pack.items
    }
    record_ids = None
    if RECORD_ID in list(columns):
        record_ids = pa.array(collected[RECORD_ID].tolist(), pa.string())
    listed = tuple(problems[:MAX_TABLE_PROBLEMS])
    count = len(problems) + int(collected[_PROBLEMS][refused].str.contains(UNLISTED).sum())
    return BatchResult(pack, shown, rows, accepted, record_ids, visible, values, listed, count)
