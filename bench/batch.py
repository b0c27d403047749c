"""Benchmark of batch evaluation: 1,000,000 synthetic answer sets through the shipped pack.

Prints figures; never fails. Seeded synthetic answers with follow-ups, unknowns and blanks
(and follow-ups left blank when their parent hides them, so every row is accepted). Measures
the vectorised evaluation alone (time and peak memory), reading and writing Parquet, the whole
`batch` path (read, evaluate, write results), and the per-row engine on a sample, side by side;
then the same whole path with `--engine dask` over the answers as a folder of Parquet files, on
the local scheduler and on a cluster of 2 worker processes on loopback, so the cost of
distribution shows beside the in-memory figure.
Targets on a 2-core machine: vectorised under 0.3 s for 1M sets, at least 500x the per-row
engine, peak memory under 1 GiB; read + evaluate + write under 5 s.
Run: `.venv/bin/python bench/batch.py [ROWS]`.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening import AnswersFile, evaluate, load_pack
from screening.batch import vector
from screening.batch.dask_engine import run_dask
from screening.batch.run import BatchResult, results_table, run_batch, table_bytes
from screening.batch.table import read_table_path
from screening.models import RulePack

WORDS = np.array(["", "yes", "no", "unknown"], dtype=object)
SAMPLE = 5_000
PARTS = 4
"""Files in the Dask engine's answers folder: Dask's partitions, spread over the workers."""


def synthetic_codes(pack: RulePack, rows: int, seed: int = 20261201) -> dict[str, vector.Codes]:
    """Random answers (a quarter each blank, yes, no, unknown); hidden follow-ups left blank."""
    rng = np.random.default_rng(seed)
    given = {i.id: rng.integers(0, 4, rows, dtype=np.int8) for i in pack.items}
    visible = vector.visible_codes(pack, given)
    return {
        i: np.where(visible[i] == vector.HIDDEN, np.int8(vector.BLANK), codes)
        for i, codes in given.items()
    }


def synthetic_table(pack: RulePack, rows: int) -> pa.Table:
    given = synthetic_codes(pack, rows)
    columns = {"record_id": pa.array(np.char.add("r", np.arange(rows).astype(str)))}
    for item_id, codes in given.items():
        columns[item_id] = pa.DictionaryArray.from_arrays(
            pa.array(codes), pa.array(list(WORDS), pa.string())
        )
    return pa.table(columns)


T = TypeVar("T")


def timed(label: str, fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    start = time.perf_counter()
    value = fn()
    best = time.perf_counter() - start
    for _ in range(repeat - 1):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best:8.3f} s")
    return best, value


def main(rows: int = 1_000_000) -> None:
    pack = load_pack()
    print(f"{rows:,} synthetic answer sets, {len(pack.items)} items, {len(pack.rules)} rules")
    given = synthetic_codes(pack, rows)

    vec_time, _ = timed(
        "vectorised evaluation (follow-ups, 3 values)", lambda: vector.evaluate(pack, given)
    )
    tracemalloc.start()
    vector.evaluate(pack, given)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'  peak memory of one evaluation (numpy, traced)':<48} {peak / 2**20:8.0f} MiB")

    with tempfile.TemporaryDirectory() as folder:
        answers = Path(folder) / "answers.parquet"
        table = synthetic_table(pack, rows)
        timed("write answers Parquet", lambda: pq.write_table(table, answers), repeat=1)
        timed("read answers Parquet", lambda: pq.read_table(answers))

        def whole() -> None:
            result = run_batch(pack, read_table_path(answers, "answers.parquet", pack))
            (Path(folder) / "results.parquet").write_bytes(
                table_bytes(results_table(result), "parquet")
            )

        whole_time, _ = timed("read + check + evaluate + write results", whole, repeat=2)
        size = (Path(folder) / "results.parquet").stat().st_size
        print(f"{'  results file':<48} {size / 2**20:8.1f} MiB")
        bench_dask(pack, table, Path(folder), whole_time)

    sample = []
    for n in range(SAMPLE):
        answers_n = {
            i: str(WORDS[codes[n]]) for i, codes in given.items() if codes[n] != vector.BLANK
        }
        sample.append(AnswersFile.model_validate({"answers": answers_n}))
    start = time.perf_counter()
    for answers_file in sample:
        evaluate(pack, answers_file)
    per_row = SAMPLE / (time.perf_counter() - start)
    vectorised = rows / vec_time
    print()
    print(f"{'per-row engine (sample of ' + f'{SAMPLE:,})':<48} {per_row:12,.0f} sets/s")
    print(f"{'vectorised evaluation':<48} {vectorised:12,.0f} sets/s")
    print(f"{'ratio':<48} {vectorised / per_row:12,.0f} x")
    print(f"{'whole batch path':<48} {rows / whole_time:12,.0f} sets/s")
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory of this process':<48} {max_rss:8.0f} MiB")


def bench_dask(pack: RulePack, table: pa.Table, folder: Path, in_memory: float) -> None:
    """The whole path with `--engine dask`: local scheduler, then 2 worker processes."""
    from distributed import LocalCluster  # noqa: PLC0415 - only this part needs it

    dataset = folder / "answers"
    dataset.mkdir()
    size = -(-table.num_rows // PARTS)
    for part in range(PARTS):
        pq.write_table(table.slice(part * size, size), dataset / f"part-{part}.parquet")

    def write(result: BatchResult) -> None:
        (folder / "results-dask.parquet").write_bytes(table_bytes(results_table(result), "parquet"))

    local, _ = timed(
        f"dask, local scheduler ({PARTS} files)",
        lambda: write(run_dask(pack, dataset, "answers")),
        repeat=2,
    )
    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed leaves it unannotated
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        address = cluster.scheduler_address
        cluster_time, _ = timed(
            "dask, 2 worker processes on loopback",
            lambda: write(run_dask(pack, dataset, "answers", address)),
            repeat=2,
        )
    print(f"{'  local scheduler / in memory':<48} {local / in_memory:8.1f} x")
    print(f"{'  2-worker cluster / in memory':<48} {cluster_time / in_memory:8.1f} x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
