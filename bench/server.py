"""The app served for a browser bench: `streamlit run app.py` on a free 127.0.0.1 port, started
and stopped one way for every bench that drives it (bench/load.py, bench/build.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60
"""How long the server may take to answer its health check before the bench gives up."""
STOP_SECONDS = 10
"""How long the server may take to stop when asked before it is killed."""


@dataclass(frozen=True)
class AppServer:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    """Everything the server printed: read it after the `with` for errors it logged."""


@contextmanager
def app_server(home: Path) -> Iterator[AppServer]:
    """The app running with `home` as its HOME and TMPDIR (its log there), stopped on leaving."""
    server = _start(home)
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _start(home: Path) -> AppServer:
    log = home / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "SCREENING_RULES_DIR"}
    env.update(HOME=str(home), TMPDIR=str(home))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", "app.py"),
                *("--server.headless", "true", "--server.port", "0"),
                *("--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"),
                *("--server.fileWatcherType", "none"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"URL: (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            try:
                with urllib.request.urlopen(f"{found[1]}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        return AppServer(process, found[1], log)
            except OSError:
                pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise SystemExit(f"the server did not start:\n{log.read_text()}")
