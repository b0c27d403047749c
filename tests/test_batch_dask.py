"""`--engine dask` gives exactly the in-memory engine's results, on the local scheduler or a cluster."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from screening.cli import cli
from tests.conftest import ROWS, write_table

# Dask 2026.8 still calls reset_index(inplace=True), which pandas 3.1 deprecates: theirs to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """Three Parquet files, one with a bad cell and one with an answer to a hidden follow-up."""
    folder = tmp_path / "answers"
    folder.mkdir()
    write_table(folder / "part-0.parquet", ROWS)
    write_table(folder / "part-1.parquet", [["q1", "Yes", "", ""], *ROWS[:2]])
    write_table(folder / "part-2.parquet", [["q2", "no", "yes", ""], *ROWS[2:]])
    return folder


def batch(dataset: Path, rules: Path, out: Path, *engine: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(
        cli, ["batch", str(dataset), "--out", str(out), "--rules", str(rules), *engine]
    )
    problems = out.with_name(f"{out.stem}.problems.csv").read_text()
    return result.exit_code, pq.read_table(out).to_pylist(), problems


class TestDaskEngine:
    """Row numbers, results and problems are the same whichever engine ran them."""

    def test_the_local_scheduler_equals_the_in_memory_engine(
        self, dataset: Path, mini_dir: Path, tmp_path: Path
    ) -> None:
        in_memory = batch(dataset, mini_dir, tmp_path / "pandas.parquet")
        dask = batch(dataset, mini_dir, tmp_path / "dask.parquet", "--engine", "dask")
        assert dask == in_memory
        code, rows, problems = dask
        assert code == 1 and len(rows) == 8
        assert problems.splitlines()[1:] == [
            '5,history,Yes,"answer must be ""yes"", ""no"" or ""unknown"" (lower case), or blank"',
            '8,active,yes,"answered, but not asked given the other answers: it is asked only '
            'when substance use history is Yes"',
        ]

    def test_a_cluster_given_by_address_equals_the_in_memory_engine(
        self, dataset: Path, mini_dir: Path, tmp_path: Path
    ) -> None:
        from distributed import LocalCluster  # noqa: PLC0415

        in_memory = batch(dataset, mini_dir, tmp_path / "pandas.parquet")
        with LocalCluster(  # type: ignore[no-untyped-call]  # distributed leaves it unannotated
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
        ) as cluster:
            on_cluster = batch(
                dataset,
                mini_dir,
                tmp_path / "dask.parquet",
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
            )
        assert on_cluster == in_memory

    def test_audit_with_dask_counts_what_the_in_memory_audit_counts(
        self, dataset: Path, mini_dir: Path
    ) -> None:
        def audit(*engine: str) -> str:
            args = ["audit", str(dataset), "--format", "json", "--rules", str(mini_dir), *engine]
            return CliRunner().invoke(cli, args).output

        assert audit("--engine", "dask") == audit()
        assert '"refused": 2' in audit()
