"""The package as a site gets it: `pip install .` into a fresh virtual environment, and a Dask
cluster of separate processes on loopback.

Offline and quick: the fresh environment sees the test environment's libraries through one
`.pth` line, so pip installs the package alone (`--no-deps --no-index`, built by hatchling
from this environment: `--no-build-isolation`) instead of downloading its dependencies.
Whether those dependencies are declared is tests/test_install.py's business. Nothing else of
the checkout is visible: no `PYTHONPATH`, and every command runs from a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
INSTALL_SECONDS = 300
"""How long building and installing the package may take on a busy machine."""
CLUSTER_SECONDS = 60
"""How long a scheduler or a worker may take to start, or to stop."""


def clean_env(home: Path) -> dict[str, str]:
    """What a site's shell would hold: a PATH, a home, Dask's scratch space in `home`."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DASK_TEMPORARY_DIRECTORY": str(home),
    }


def install_package(venv: Path) -> Path:
    """A new virtual environment at `venv` with this checkout installed by pip; its python."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        timeout=INSTALL_SECONDS,
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
    ).stdout.strip()
    libraries = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "test-environment.pth").write_text("\n".join(sorted(libraries)) + "\n")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--isolated", "--python", str(python), "install"),
            *("--quiet", "--no-deps", "--no-index", "--no-build-isolation", str(REPOSITORY)),
        ],
        check=True,
        cwd=venv,
        env={**clean_env(venv), "PIP_NO_CACHE_DIR": "1"},
        timeout=INSTALL_SECONDS,
    )
    return python


def run(
    command: Sequence[str | Path], cwd: Path, timeout: float = INSTALL_SECONDS
) -> subprocess.CompletedProcess[str]:
    """A command run as a site would run it: in `cwd`, with a clean environment."""
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_env(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def _process(command: Sequence[str | Path], folder: Path, log: Path) -> Iterator[None]:
    """A background process in its own session, ended (its children too) on the way out."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(part) for part in command],
            cwd=folder,
            env=clean_env(folder),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=CLUSTER_SECONDS)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=CLUSTER_SECONDS)


@contextmanager
def dask_cluster(python: Path, folder: Path, workers: int = 1) -> Iterator[str]:
    """A `dask scheduler` and `workers` `dask worker` processes on 127.0.0.1 (each with its
    nanny, as the README starts them), run by `python` in `folder`; yields the scheduler's
    address and stops them all, with their children, afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    with ExitStack() as stack:
        stack.enter_context(
            _process(
                [
                    *(python, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0"),
                    *("--no-dashboard", "--scheduler-file", scheduler_file),
                ],
                folder,
                folder / "scheduler.log",
            )
        )
        address = _wait_for_address(scheduler_file, folder / "scheduler.log")
        for number in range(workers):
            stack.enter_context(
                _process(
                    [
                        *(python, "-m", "dask", "worker", address, "--host", "127.0.0.1"),
                        *("--nthreads", "1", "--no-dashboard"),
                        *("--memory-limit", "0", "--name", f"worker-{number}"),
                    ],
                    folder,
                    folder / f"worker-{number}.log",
                )
            )
        _wait_for_workers(address, workers, folder)
        yield address


def _wait_for_address(scheduler_file: Path, log: Path) -> str:
    deadline = time.monotonic() + CLUSTER_SECONDS
    while time.monotonic() < deadline:
        if scheduler_file.exists():
            try:
                return str(json.loads(scheduler_file.read_text())["address"])
            except (ValueError, KeyError):
                pass  # still being written
        time.sleep(0.1)
    raise TimeoutError(f"no scheduler after {CLUSTER_SECONDS} s:\n{log.read_text()}")


def _wait_for_workers(address: str, workers: int, folder: Path) -> None:
    from distributed import Client  # noqa: PLC0415 - only the cluster tests load it

    with Client(address, timeout=CLUSTER_SECONDS) as client:  # type: ignore[no-untyped-call]
        try:
            client.wait_for_workers(workers, timeout=CLUSTER_SECONDS)
        except TimeoutError:
            logs = "\n".join(p.read_text() for p in sorted(folder.glob("worker-*.log")))
            message = f"not {workers} worker(s) after {CLUSTER_SECONDS} s:\n{logs}"
            raise TimeoutError(message) from None
