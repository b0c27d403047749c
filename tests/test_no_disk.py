"""No upload byte reaches the disk: the real `streamlit run` server, its file writes traced.

The server runs with TMPDIR pointed at an empty folder and an audit hook (Python's
`sys.addaudithook`, loaded through `sitecustomize`) that logs every file it opens for
writing, including the unnamed temporary files (`O_TMPFILE`) that no folder listing would
show. Files above and below 1 MiB, Starlette's spooling threshold, are uploaded on every
page that takes an upload; the trace must show no write, and TMPDIR must stay empty.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser_helpers import STREAMS, Server, after_rerun, chromium, toggle_save_panel
from tests.conftest import MINI_PACK, open_app

pytestmark = pytest.mark.browser

MARKER = "ZQ-9431-UPLOAD"
"""A patient reference that must never be found on the server's disk."""
MIB = 1024 * 1024

SITECUSTOMIZE = '''
"""Log every file this process opens for writing (test_no_disk)."""
import os
import sys

_LOG = os.environ.get("WRITE_TRACE")
if _LOG:
    _FD = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    _WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    _TMPFILE = getattr(os, "O_TMPFILE", 0)

    def _hook(event, args):
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):  # an open descriptor (a pipe): its opening was logged
                return
            flags = flags if isinstance(flags, int) else 0
            unnamed = bool(_TMPFILE) and flags & _TMPFILE == _TMPFILE
            if flags & _WRITES or unnamed or (isinstance(mode, str) and set(mode) & set("wax+")):
                os.write(_FD, f"open {path!r} mode={mode!r} flags={flags:o}\\n".encode())
        elif event in ("os.rename", "os.link", "os.symlink", "os.truncate", "os.mkdir"):
            os.write(_FD, f"{event} {args!r}\\n".encode())

    sys.addaudithook(_hook)
'''


class TracedServer(Server):
    """The app's server (tests/browser_helpers.py) with a write trace of its own."""

    def __init__(self, home: Path) -> None:
        hooks = home / "hooks"
        hooks.mkdir(parents=True)
        (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.trace = home / "writes.log"
        super().__init__(
            home,
            {
                "PYTHONPATH": str(hooks),
                "PYTHONDONTWRITEBYTECODE": "1",
                "WRITE_TRACE": str(self.trace),
            },
        )

    def writes(self) -> list[str]:
        return self.trace.read_text().splitlines() if self.trace.exists() else []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedServer]:
    chromium()
    running = TracedServer(tmp_path_factory.mktemp("traced-server"))
    try:
        running.wait_until_healthy()
        yield running
    finally:
        running.stop()


def answers_file(size: int) -> bytes:
    """A valid answers file carrying the marker, padded with spaces to `size` bytes."""
    text = json.dumps({"answers": {}, "patient_reference": MARKER})
    return (text + " " * (size - len(text))).encode()


def pack_zip(size: int) -> bytes:
    """A candidate pack zip, stored uncompressed, padded by a comment line to `size` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in MINI_PACK.items():
            archive.writestr(name, text)
        archive.writestr("README.txt", f"{MARKER}\n" + "#" * (size - 2_000))
    return buffer.getvalue()


def answers_table(size: int) -> bytes:
    """A CSV answers table whose record ids carry the marker, about `size` bytes long."""
    row = f"{MARKER},no\n"
    return ("record_id,monitoring_available\n" + row * (size // len(row))).encode()


def upload(page: Page, key: str, name: str, data: bytes, mime: str) -> None:
    """Upload through the page's own file input and wait for the run it causes to end: the
    server has received the whole file before that run starts."""
    box = page.locator(f".st-key-{key} input[type=file]")
    after_rerun(page, lambda: box.set_input_files({"name": name, "mimeType": mime, "buffer": data}))
    page.locator(f".st-key-{key}").get_by_text(name).wait_for()


UPLOADS = [
    ("", "upload__answers", "answers.json", answers_file, "application/json"),
    ("rule_pack", "candidate_zip", "candidate.zip", pack_zip, "application/zip"),
    ("audit", "audit_table", "table.csv", answers_table, "text/csv"),
]


SIZES = {"200KB": 200_000, "1.2MiB": int(1.2 * MIB)}
"""Below and above 1 MiB, Starlette's spooling threshold; both go through one page in turn."""


@pytest.mark.parametrize("case", UPLOADS, ids=["form", "rule-pack", "audit"])
def test_an_upload_below_or_above_the_spooling_threshold_is_never_written_to_disk(
    server: TracedServer, browser_tab: Page, case: tuple[str, str, str, Any, str]
) -> None:
    path, key, name, make, mime = case
    written: dict[str, list[str]] = {}
    # The form's upload is in a panel drawn only while open: its first question marks the run.
    drawn = ".st-key-answer__chronic_pain_over_3_months" if path == "" else f".st-key-{key}"
    page = open_app(browser_tab, f"{server.url}/{path}", drawn)
    try:
        if key == "upload__answers":
            toggle_save_panel(page)
        for size_id, size in SIZES.items():
            data = make(size)
            assert abs(len(data) - size) < 0.05 * size
            before = len(server.writes())
            upload(page, key, f"{size_id}-{name}", data, mime)
            if key == "candidate_zip":  # checked in a child process of the real server
                page.get_by_text("The candidate pack is valid.").wait_for(timeout=60_000)
            written[size_id] = server.writes()[before:]
    finally:
        del STREAMS[page]
    assert written == {size_id: [] for size_id in SIZES}, "the server opened files for writing"
    assert list(server.tmp.iterdir()) == []


def test_the_trace_sees_a_spooled_upload(tmp_path: Path) -> None:
    """The audit hook would see the spool file: it logs an unnamed temporary file's creation."""
    import tempfile  # noqa: PLC0415 - only this check needs it

    trace = tmp_path / "writes.log"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    script = "import tempfile\nf = tempfile.SpooledTemporaryFile(max_size=10)\nf.write(b'x' * 20)\n"
    env = {**os.environ, "PYTHONPATH": str(hooks), "WRITE_TRACE": str(trace)}
    env["TMPDIR"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    assert tempfile.gettempdir()  # the hook is loaded by the child, not by this process
    logged = trace.read_text()
    assert f"open '{tmp_path}'" in logged


def test_no_file_the_server_can_write_holds_the_uploaded_marker(server: TracedServer) -> None:
    """Runs after the uploads: the server's HOME, TMPDIR and log hold no uploaded byte."""
    files = [p for p in server.home.rglob("*") if p.is_file()]
    assert server.log in files
    assert [p for p in files if MARKER.encode() in p.read_bytes()] == []
