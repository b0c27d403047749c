"""`python -m screening` as a real process, without paying the interpreter's start each time.

A command line test wants what a user gets: its own process with its own working folder,
exit code, standard output and error, and the same environment every time. Starting Python
and importing the CLI took over half of each such test. Here a parent process, started once
per environment with that environment, imports the CLI and then only forks: each run is a
fresh child of that parent which changes into its folder, points its output at files and runs
`python -m screening` through `runpy`, exactly as the interpreter does for `-m`. The parent
evaluates nothing, so no pack or answer is cached between runs. `fresh=True` starts a new
interpreter instead (tests/test_cli_process.py holds the two ways equal).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

REPOSITORY = Path(__file__).resolve().parents[1]
BASE_ENV = {"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin"}
"""The clean environment every run gets: the repository on the path, nothing of the tester's."""

PARENT = r"""
import json, os, runpy, sys
import screening.cli  # the import every run starts with; nothing is loaded or evaluated
# The modules commands import when they run (screening/cli/), imported once here too.
import screening.batch.cli, screening.cds.commands, screening.fhir.commands
import screening.pack.schema, screening.pdf.signing, screening.review.report

requests = os.fdopen(os.dup(0), "r")
replies = os.fdopen(os.dup(1), "w")
nothing = os.open(os.devnull, os.O_RDONLY)
os.dup2(nothing, 0)
os.close(nothing)


def serve():
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            return request
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()
    sys.exit(0)


run = serve()
requests.close()
replies.close()
for fd, name in ((1, "out"), (2, "err")):
    target = os.open(run[name], os.O_WRONLY | os.O_TRUNC)
    os.dup2(target, fd)
    os.close(target)
os.chdir(run["cwd"])
sys.path[0] = run["cwd"]
sys.argv = ["-m", *run["args"]]
runpy.run_module("screening", run_name="__main__", alter_sys=True)
"""


class _Parent:
    """One warm parent process for one environment."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", PARENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPOSITORY,
            env=dict(env),
            text=True,
        )

    def _reply(self, stream: IO[str], timeout: float | None) -> dict[str, int]:
        if timeout is not None and not select.select([stream], [], [], timeout)[0]:
            raise TimeoutError
        line = stream.readline()
        if not line:
            raise RuntimeError("the CLI's parent process ended unexpectedly")
        reply: dict[str, int] = json.loads(line)
        return reply

    def run(self, args: list[str], cwd: Path, timeout: float | None) -> tuple[int, bytes, bytes]:
        """Fork one run; its exit code, output and error output as bytes."""
        assert self.process.stdin is not None and self.process.stdout is not None
        with tempfile.TemporaryDirectory(prefix="cli-run-") as folder:
            out, err = Path(folder, "out"), Path(folder, "err")
            out.touch()
            err.touch()
            request = {"args": args, "cwd": str(cwd), "out": str(out), "err": str(err)}
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            pid = self._reply(self.process.stdout, None)["pid"]
            try:
                returncode = self._reply(self.process.stdout, timeout)["returncode"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._reply(self.process.stdout, None)
                raise subprocess.TimeoutExpired(
                    ["python", "-m", "screening", *args],
                    timeout or 0,
                    out.read_bytes(),
                    err.read_bytes(),
                ) from None
            return returncode, out.read_bytes(), err.read_bytes()

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_PARENTS: dict[frozenset[tuple[str, str]], _Parent] = {}


@atexit.register
def _stop_parents() -> None:
    for parent in _PARENTS.values():
        parent.stop()
    _PARENTS.clear()


def _text(data: bytes) -> str:
    """Bytes decoded as `subprocess.run(text=True)` decodes them (locale codec, universal newlines)."""
    import io  # noqa: PLC0415 - only decoding needs it

    return io.TextIOWrapper(io.BytesIO(data)).read()


def run_screening(
    *args: str | Path,
    cwd: Path = REPOSITORY,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    fresh: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m screening ARGS` in `cwd` with the clean environment (plus `env`).

    `fresh=True` starts a new interpreter, as a user's shell does; otherwise the run is forked
    from a warm parent with the same environment, which behaves the same and starts faster.
    """
    arguments = [str(a) for a in args]
    environment = {**BASE_ENV, **(env or {})}
    if fresh:
        return subprocess.run(
            [sys.executable, "-m", "screening", *arguments],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=environment,
            check=False,
            timeout=timeout,
        )
    key = frozenset(environment.items())
    if key not in _PARENTS or _PARENTS[key].process.poll() is not None:
        _PARENTS[key] = _Parent(environment)
    returncode, out, err = _PARENTS[key].run(arguments, Path(cwd).resolve(), timeout)
    command = [sys.executable, "-m", "screening", *arguments]
    return subprocess.CompletedProcess(command, returncode, _text(out), _text(err))
