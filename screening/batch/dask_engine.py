"""The same vectorised evaluation over a Parquet dataset with Dask, partition by partition.

`dask.dataframe.read_parquet(...).map_partitions(...)` runs `evaluate_partition` on each
partition, on the local scheduler or on a cluster (`dask.distributed.Client(address)`); the
coded results come back and are assembled exactly as the in-memory engine's. Spark sites do
the same with `mapInPandas` (see the README).

A cluster runs this module's code, so its scheduler (which unpickles the task graph) and every
worker must import `screening` at this client's version: installed on each node, or shipped
with the run (`ship=True`: `Client.upload_file`). `check_cluster` asks them before any work
is sent, and refuses with what is missing and how to fix it.
"""

from __future__ import annotations

import json
import pkgutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.batch.run import BatchResult, run_batch
from screening.batch.table import (
    RECORD_ID,
    UNKNOWN_COLUMN,
    CellProblem,
    ReadProblems,
    code_table,
)
from screening.batch.table_files import BAD_RECORD_ID, BAD_VALUE
from screening.catalogue import N_, Said
from screening.errors import AnswersError, Problem, ScreeningError
from screening.limits import MAX_TABLE_PROBLEMS
from screening.models import RulePack
from screening.version import __version__

if TYPE_CHECKING:
    from distributed import Client

SCHEDULER_TIMEOUT = 10
"""Seconds to wait for a cluster's scheduler, and then for its first worker, before refusing."""
_PROBLEMS = "_problems"
UNLISTED = "refused: a problem past the first ones listed for its partition"
PROBE = f"{__name__}:__version__"
_REASONS = {str(r): r for r in (BAD_VALUE, BAD_RECORD_ID, UNKNOWN_COLUMN)}
"""A cell's reason as it comes back from a partition (JSON, so English): worded again here
(a follow-up answered but not asked names its condition, and stays English)."""
"""What the cluster is asked for (`pkgutil.resolve_name`, which every Python has): importing
it imports this engine and everything a task needs, and gives the version it came with."""
INSTALL_HINT = N_(
    "install ketamine-screening {version} with its dask extra on the scheduler and every "
    "worker (pip install 'ketamine_screening-{version}-py3-none-any.whl[dask]', the wheel "
    "built by `pip wheel --no-deps -w dist .` in the checkout)"
)
SHIP_HINT = N_(
    "{install}, or pass --ship-package to send this client's copy with the run; see the "
    "README, Beyond one machine"
)
SHIPPED_HINT = N_(
    "the package was shipped, yet a node answers as above: it was started with another copy "
    "loaded, or lacks a dependency; restart the scheduler and workers, install the package's "
    "dependencies there (pip install -r requirements.txt), and run again"
)


class DaskError(ScreeningError):
    """Dask is not installed here, or its cluster cannot run this package: nothing was sent."""


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
    out[RECORD_ID] = pd.Series(
        np.full(rows, None, dtype=object)
        if table.record_ids is None
        else table.record_ids.to_numpy(zero_copy_only=False),
        dtype="object",
    )
    problems: dict[int, list[list[str]]] = {}
    for p in table.problems:
        problems.setdefault(p.row - 1, []).append([p.column, p.value, p.reason])
    for refused_row in np.flatnonzero(table.refused).tolist():  # past the problems listed
        problems.setdefault(refused_row, [["", "", UNLISTED]])
    texts = np.full(rows, None, dtype=object)
    for row, found in problems.items():
        texts[row] = json.dumps(found)
    out[_PROBLEMS] = pd.Series(texts, dtype="object")
    return pd.DataFrame(out)


def run_dask(
    pack: RulePack, path: Path, shown: str, scheduler: str | None = None, *, ship: bool = False
) -> BatchResult:
    """Evaluate a Parquet dataset (a file or a folder of files) with Dask.

    On a cluster, `ship` sends this package to its scheduler and workers first; either way
    the cluster is checked (`check_cluster`) before any work is sent.
    """
    try:
        import dask.dataframe as dd  # noqa: PLC0415 - Dask loads only for --engine dask
    except ImportError as exc:
        raise DaskError(
            [
                Problem(
                    "--engine dask",
                    Said(
                        N_(
                            "needs Dask, which cannot be imported here ({reason}); install it "
                            "with: {command}"
                        ),
                        reason=str(exc),
                        command="pip install 'ketamine-screening[dask]'",
                    ),
                )
            ]
        ) from None

    try:
        frame = dd.read_parquet(str(path))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise AnswersError(
            [Problem(shown, Said(N_("not a Parquet dataset: {reason}"), reason=str(exc)))]
        ) from None
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
            raise DaskError(
                [
                    Problem(
                        scheduler,
                        Said(N_("cannot reach the Dask scheduler: {reason}"), reason=str(exc)),
                    )
                ]
            ) from None
        with client:
            if ship:
                ship_package(client, scheduler)
            check_cluster(client, scheduler, shipped=ship)
            collected = client.compute(coded).result()  # type: ignore[no-untyped-call]
    return _assemble(pack, collected, shown, frame.columns)


def check_cluster(client: Client, address: str, *, shipped: bool = False) -> None:
    """Refuse, before any work is sent, unless the scheduler and every worker import this
    engine at this client's version (one `pkgutil.resolve_name(PROBE)` call on each)."""
    try:
        client.wait_for_workers(1, timeout=SCHEDULER_TIMEOUT)
    except TimeoutError:
        raise DaskError(
            [
                Problem(
                    address,
                    Said(
                        N_(
                            "no worker joined the Dask scheduler within {seconds} s; start one "
                            "on each node with: {command}"
                        ),
                        seconds=str(SCHEDULER_TIMEOUT),
                        command=f"dask worker {address}",
                    ),
                )
            ]
        ) from None
    found: dict[str, object] = {}
    try:
        found["scheduler"] = client.run_on_scheduler(  # type: ignore[no-untyped-call]
            pkgutil.resolve_name, PROBE
        )
    except Exception as exc:  # whatever the import raised there is reported
        found["scheduler"] = exc
    workers = client.run(pkgutil.resolve_name, PROBE, on_error="return")
    found.update((worker, answer) for worker, answer in sorted(workers.items()))
    mismatched = (_mismatch(address, who, answer) for who, answer in found.items())
    problems = [p for p in mismatched if p is not None]
    if problems:
        install = Said(INSTALL_HINT, version=__version__)
        hint = Said(SHIPPED_HINT) if shipped else Said(SHIP_HINT, install=install)
        said = Said(N_("nothing was sent: {hint}"), hint=hint)
        raise DaskError([*problems, Problem(address, said)])


def _mismatch(address: str, who: str, answer: object) -> Problem | None:
    """A node that does not answer with this client's version; `who` is "scheduler" or a
    worker's address."""
    if answer == __version__:
        return None
    if isinstance(answer, BaseException):
        message = (
            N_("the scheduler cannot import screening ({error})")
            if who == "scheduler"
            else N_("the worker {worker} cannot import screening ({error})")
        )
    else:
        message = (
            N_("the scheduler has screening {answer}, this client {version}")
            if who == "scheduler"
            else N_("the worker {worker} has screening {answer}, this client {version}")
        )
    return Problem(
        address,
        Said(
            message,
            worker=who,
            error=f"{type(answer).__name__}: {answer}",
            answer=str(answer),
            version=__version__,
        ),
    )


def ship_package(client: Client, address: str) -> None:
    """Send this client's `screening` (its Python modules, as one zip) to the scheduler and
    every worker, present and future, with `Client.upload_file`: each puts it first on its
    import path until it restarts. They need the package's dependencies installed."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / f"screening-{__version__}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for module in sorted(root.rglob("*.py")):
                bundle.write(module, module.relative_to(root.parent).as_posix())
        try:
            client.upload_file(str(archive))
        except Exception as exc:  # the import on a node failed: say how
            raise DaskError(
                [
                    Problem(
                        address,
                        Said(
                            N_(
                                "the shipped package cannot be imported on the cluster ({error}); "
                                "nothing was sent: install its dependencies on the scheduler and "
                                "every worker (pip install -r requirements.txt -c "
                                "constraints.txt, from the checkout), or the package itself: "
                                "{install}"
                            ),
                            error=f"{type(exc).__name__}: {exc}",
                            install=Said(INSTALL_HINT, version=__version__),
                        ),
                    )
                ]
            ) from None


def _assemble(
    pack: RulePack, collected: pd.DataFrame, shown: str, columns: Iterable[object]
) -> BatchResult:
    rows = len(collected)
    refused = collected[_PROBLEMS].notna().to_numpy()
    accepted = np.flatnonzero(~refused)
    problems = [
        CellProblem(int(row) + 1, column, value, _REASONS.get(reason, reason))
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
