"""`--engine dask` gives exactly the in-memory engine's results, on the local scheduler or a
cluster; a cluster that cannot run the package is refused before any work is sent."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import screening
from screening.batch import dask_engine
from screening.cli import cli
from tests.conftest import ROWS, write_table
from tests.install_helpers import dask_cluster, run

OTHER_VERSION = "0.0.1"
"""What a cluster with another release of the package answers (see the mismatch test)."""

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


def batch(dataset: Path, rules: Path, out: Path, *engine: str) -> tuple[int, list[object], str]:
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


@pytest.fixture
def in_process_cluster() -> Iterator[str]:
    """A cluster in this process (its workers import what the tests import): the address."""
    from distributed import LocalCluster  # noqa: PLC0415

    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed leaves it unannotated
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


class TestClusterRefusals:
    """What cannot run is refused with what to do, exit 1, nothing written."""

    def refused(self, dataset: Path, rules: Path, out: Path, *options: str) -> list[str]:
        result = CliRunner().invoke(
            cli, ["batch", str(dataset), "--out", str(out), "--rules", str(rules), *options]
        )
        assert result.exit_code == 1
        assert not out.exists() and not out.with_name(f"{out.stem}.problems.csv").exists()
        return result.stderr.splitlines()

    def test_a_cluster_with_another_release_is_refused_naming_both_versions(
        self,
        dataset: Path,
        mini_dir: Path,
        tmp_path: Path,
        in_process_cluster: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(dask_engine, "PROBE", f"{__name__}:OTHER_VERSION")
        options = ("--engine", "dask", "--scheduler", in_process_cluster)
        lines = self.refused(dataset, mini_dir, tmp_path / "out.parquet", *options)
        version = screening.__version__
        assert lines[0] == (
            f"Error: {in_process_cluster}: the scheduler has screening {OTHER_VERSION}, "
            f"this client {version}"
        )
        assert re.fullmatch(
            rf"Error: {in_process_cluster}: the worker \S+ has screening {OTHER_VERSION}, "
            rf"this client {re.escape(version)}",
            lines[1],
        )
        assert lines[2].startswith(
            f"Error: {in_process_cluster}: nothing was sent: install ketamine-screening "
            f"{version} with its dask extra on the scheduler and every worker"
        )
        assert "or pass --ship-package" in lines[2]

    def test_a_scheduler_without_workers_is_refused_after_the_wait(
        self, dataset: Path, mini_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from distributed import LocalCluster  # noqa: PLC0415

        monkeypatch.setattr(dask_engine, "SCHEDULER_TIMEOUT", 1)
        with LocalCluster(  # type: ignore[no-untyped-call]
            processes=False, n_workers=0, dashboard_address=None
        ) as cluster:
            address = cluster.scheduler_address
            options = ("--engine", "dask", "--scheduler", address)
            lines = self.refused(dataset, mini_dir, tmp_path / "out.parquet", *options)
        assert lines == [
            f"Error: {address}: no worker joined the Dask scheduler within 1 s; "
            f"start one on each node with: dask worker {address}"
        ]

    def test_without_dask_installed_the_dask_engine_says_how_to_install_it(
        self, dataset: Path, mini_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "dask.dataframe", None)
        lines = self.refused(dataset, mini_dir, tmp_path / "out.parquet", "--engine", "dask")
        assert len(lines) == 1
        assert lines[0].startswith("Error: --engine dask: needs Dask, which cannot be imported")
        assert lines[0].endswith("install it with: pip install 'ketamine-screening[dask]'")

    @pytest.mark.parametrize("engine", ["pandas", "dask"])
    def test_shipping_the_package_needs_a_scheduler(
        self, dataset: Path, mini_dir: Path, tmp_path: Path, engine: str
    ) -> None:
        args = ["batch", str(dataset), "--out", str(tmp_path / "out.parquet")]
        result = CliRunner().invoke(cli, [*args, "--engine", engine, "--ship-package"])
        assert result.exit_code == 2
        assert "--ship-package needs --scheduler" in result.stderr


@pytest.mark.install
class TestRealCluster:
    """A `dask scheduler` and `dask worker` processes on loopback, outside the checkout, given
    the package only as a site would: installed in their environment, or shipped by the run."""

    def cluster_batch(
        self, client: Path, dataset: Path, rules: Path, folder: Path, *options: str
    ) -> tuple[int, list[object], str, str]:
        out = folder / "dask.parquet"
        ran = run(
            [
                client,
                "batch",
                dataset,
                "--out",
                out,
                "--rules",
                rules,
                "--engine",
                "dask",
                *options,
            ],
            cwd=folder,
            timeout=180,
        )
        if not out.exists():
            return ran.returncode, [], "", ran.stderr
        problems = out.with_name("dask.problems.csv").read_text()
        return ran.returncode, pq.read_table(out).to_pylist(), problems, ran.stderr

    def test_a_cluster_with_the_package_installed_equals_the_in_memory_engine(
        self, installed_python: Path, dataset: Path, mini_dir: Path, tmp_path: Path
    ) -> None:
        in_memory = batch(dataset, mini_dir, tmp_path / "pandas.parquet")
        client = installed_python.parent / "screening"
        with dask_cluster(installed_python, tmp_path / "cluster", workers=2) as address:
            *on_cluster, stderr = self.cluster_batch(
                client, dataset, mini_dir, tmp_path, "--scheduler", address
            )
        assert tuple(on_cluster) == in_memory, stderr

    def test_a_cluster_without_the_package_is_refused_before_any_work(
        self, installed_python: Path, dataset: Path, mini_dir: Path, tmp_path: Path
    ) -> None:
        client = installed_python.parent / "screening"
        with dask_cluster(Path(sys.executable), tmp_path / "cluster") as address:
            code, rows, problems, stderr = self.cluster_batch(
                client, dataset, mini_dir, tmp_path, "--scheduler", address
            )
        missing = "cannot import screening (ModuleNotFoundError: No module named 'screening')"
        lines = stderr.splitlines()
        assert (code, rows, problems) == (1, [], "")
        assert lines[0] == f"Error: {address}: the scheduler {missing}"
        assert re.fullmatch(rf"Error: {address}: the worker \S+ {re.escape(missing)}", lines[1])
        assert lines[2].startswith(f"Error: {address}: nothing was sent: install")
        assert not (tmp_path / "dask.problems.csv").exists()

    def test_shipping_the_package_runs_it_on_a_cluster_without_it(
        self, installed_python: Path, dataset: Path, mini_dir: Path, tmp_path: Path
    ) -> None:
        in_memory = batch(dataset, mini_dir, tmp_path / "pandas.parquet")
        client = installed_python.parent / "screening"
        with dask_cluster(Path(sys.executable), tmp_path / "cluster") as address:
            *on_cluster, stderr = self.cluster_batch(
                client, dataset, mini_dir, tmp_path, "--scheduler", address, "--ship-package"
            )
        assert tuple(on_cluster) == in_memory, stderr
