"""Shared fixtures: a small, valid pack written to disk, which tests then break on purpose."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

from screening import RulePack, load_pack
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.scenarios import SCENARIOS_FOLDER
from tests.cli_process import run_screening

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from streamlit.testing.v1 import AppTest

    from tests.browser_helpers import Server

REPOSITORY = Path(__file__).resolve().parents[1]

SIX_ANSWERS = {
    "chronic_pain_over_3_months": "yes",
    "condition_crps": "yes",
    "prior_treatment_failures": "yes",
    "substance_use_history": "no",
    "cardiovascular_poorly_controlled": "unknown",
    "monitoring_available": "no",
}
"""Six answers that raise three points and leave 35 questions to find out."""


def json_strings(data: object) -> Iterator[str]:
    """Every string value in JSON-like data, at any depth (not the keys)."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from json_strings(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from json_strings(value)


MINI_PACK = {
    "pack.yaml": """\
pack:
  name: "Mini pack"
  version: "0.1.0"
  status: draft
  date: "2026-01-01"
  reviewers: ["Dr Test"]
""",
    "sources.yaml": """\
sources:
  - id: src-a
    citation: "Author A. A study. J Test. 2020;1:1-2."
  - id: src-b
    citation: "Author B. Another study. J Test. 2021;2:3-4."
""",
    "items.yaml": """\
items:
  - id: history
    section: "Substance use"
    label: "substance use history"
    question: "Any history of substance use disorder?"
    help: "Count any diagnosis, past or present."
    sources: [src-a]
  - id: active
    section: "Substance use"
    label: "active use"
    question: "Non-medical use in the past 12 months?"
    help: "Asked only when there is a history."
    sources: [src-a]
    asked_if: {item: history, is: "yes"}
  - id: monitoring
    section: "Setting"
    label: "monitoring"
    question: "Can trained staff monitor the patient?"
    help: "During and after each dose."
    sources: [src-b]
""",
    "rules-main.yaml": """\
rules:
  - id: substance-history
    section: "Substance use"
    kind: discuss
    when: {item: history, is: "yes"}
    summary: "Discuss the substance use history"
    text: "Discuss the substance use history and a plan for misuse."
    rationale: "Ketamine can be misused."
    sources: [src-a]
  - id: substance-active
    section: "Substance use"
    kind: discuss
    when:
      all:
        - {item: history, is: "yes"}
        - {item: active, is: "yes"}
    summary: "Discuss current non-medical use"
    text: "Discuss current non-medical use before any treatment."
    rationale: "Active use raises the risk of misuse."
    sources: [src-a]
  - id: setting-monitoring
    section: "Setting"
    kind: arrange
    when: {item: monitoring, is: "no"}
    summary: "Arrange monitoring"
    text: "Arrange monitoring by trained staff."
    rationale: "Side effects need watching."
    sources: [src-b]
""",
}


def write_pack(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the mini pack to `folder`, with `files` replacing or adding files by name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**MINI_PACK, **(files or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def mini_dir(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "mini")


@pytest.fixture
def mini_pack(mini_dir: Path) -> RulePack:
    return load_pack(mini_dir)


@pytest.fixture(scope="session")
def shipped_pack() -> RulePack:
    return load_pack(DEFAULT_RULES_DIR)


@pytest.fixture(scope="session")
def installed_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh virtual environment holding this checkout `pip install`ed, built
    once per run (xdist workers share it: tests/install_helpers.py)."""
    import fcntl  # noqa: PLC0415 - only the install tests need it

    from tests.install_helpers import install_package  # noqa: PLC0415

    base = tmp_path_factory.getbasetemp()
    run_folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    venv = run_folder / "installed-venv"
    with (run_folder / "installed-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "bin" / "screening").exists():
            install_package(venv)
    return venv / "bin" / "python"


SHARED_CONTENT = Path(__file__).resolve().parents[2] / "shared" / "content"
"""The team's clinical content, checked out beside the repository (`<repo>/../shared/content`)."""


def shared_content_file(path: Path) -> Path:
    """A file of the shared content: skipped where it is absent, but CI must have it, so a CI
    run without it fails instead of silently skipping the contract it checks."""
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must check out shared/ beside the repository")
        pytest.skip(f"{path} is not beside this checkout")
    return path


@pytest.fixture
def item_catalogue() -> Path:
    """The shared item catalogue (items.md), the public contract for item ids."""
    return shared_content_file(SHARED_CONTENT / "items.md")


def write_answers(path: Path, answers: dict[str, str], **extra: object) -> Path:
    path.write_text(json.dumps({"answers": answers, **extra}), encoding="utf-8")
    return path


def screening(*args: str | Path, cwd: Path = REPOSITORY) -> subprocess.CompletedProcess[str]:
    """Run `python -m screening` as a user would, in a clean environment, capturing its output
    (forked from a warm parent: see tests/cli_process.py)."""
    return run_screening(*args, cwd=cwd)


PASSING = """\
scenarios:
  - id: history-yes-raises-discussion
    vignette: "A patient with a past substance use disorder."
    answers:
      history: "yes"
      active: "no"
    present: [substance-history]
    absent: [substance-active]
"""
"""A scenario file for the mini pack whose expectations hold."""

FAILING = PASSING.replace("present: [substance-history]", "present: [substance-active]").replace(
    "absent: [substance-active]", "absent: [substance-history]"
)
"""The same vignette expecting the opposite entries, so it fails."""


def write_scenarios(pack_dir: Path, text: str, name: str = "main.yaml") -> Path:
    """Write a scenario file into the pack's scenarios folder; return the folder."""
    folder = pack_dir / SCENARIOS_FOLDER
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


HEADER = ["record_id", "history", "active", "monitoring"]
ROWS = [
    ["p1", "yes", "yes", "no"],  # every rule raised
    ["p2", "yes", "unknown", "yes"],  # active open
    ["p3", "no", "", "unknown"],  # active hidden, monitoring open
    ["p4", "", "", ""],  # nothing assessed: every rule open
]
"""Hand-made answers for the mini pack; tests/test_batch.py works out their counts by hand."""


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def jsonl_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    return "".join(
        json.dumps({k: v for k, v in zip(header, row, strict=True) if v}) + "\n" for row in rows
    )


def parquet_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    import pyarrow as pa  # noqa: PLC0415 - only the Parquet tests pay for pyarrow's import
    import pyarrow.parquet as pq  # noqa: PLC0415

    table = pa.table({h: [r[n] or None for r in rows] for n, h in enumerate(header)})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def table_bytes(name: str, rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    """The rows as the file `name` names: blank cells empty in CSV, null in Parquet, absent in JSONL."""
    if name.endswith(".parquet"):
        return parquet_bytes(rows, header)
    if name.endswith(".jsonl"):
        return jsonl_text(rows, header).encode()
    return csv_text(rows, header).encode()


def write_table(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    if path.suffix == ".parquet":
        path.write_bytes(parquet_bytes(rows, header))
    elif path.suffix == ".jsonl":
        path.write_text(jsonl_text(rows, header), encoding="utf-8")
    else:
        path.write_text(csv_text(rows, header), encoding="utf-8")
    return path


def zipped(files: Mapping[str, str | bytes]) -> bytes:
    """A zip archive (deflated) holding `files` by name, as a committee member would upload it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload_candidate_zip(at: AppTest, name: str, data: bytes) -> None:
    """Upload a candidate pack on the Rule pack page and let the page run."""
    at.file_uploader(key="candidate_zip").upload(name, data, "application/zip").run()
    assert not at.exception


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `streamlit run app.py` for all the browser tests a worker runs (tests/browser_helpers.py)."""
    from tests.browser_helpers import Server, chromium  # noqa: PLC0415 - browser tests only

    chromium()
    running = Server(tmp_path_factory.mktemp("server-home"))
    try:
        running.wait_until_healthy()
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def no_traceback_in_the_server_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that drives a real server fails when the server's log holds a traceback, even one
    the page never showed (bench/load.py found "This page cannot be called directly" there)."""
    yield
    running = request.getfixturevalue("server") if "server" in request.fixturenames else None
    server_log = getattr(running, "log", None)
    if isinstance(server_log, Path):
        log = server_log.read_text(encoding="utf-8", errors="replace")
        tracebacks = [n for n, line in enumerate(log.splitlines()) if "Traceback" in line]
        assert not tracebacks, "the server logged a traceback:\n" + "\n".join(
            log.splitlines()[tracebacks[0] : tracebacks[0] + 30]
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once for all the browser tests a worker runs."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - browser tests only

    from tests.browser_helpers import CHROMIUM_ARGS, chromium  # noqa: PLC0415

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def browser_tab(browser: Browser) -> Iterator[Page]:
    """One browser context and tab for all the browser tests a worker runs: opening the app
    again in it costs about half what a new context does (measured: 1.2 s of Chromium's CPU
    against 2.4 s), and each opening is a new Streamlit session all the same."""
    context = browser.new_context(viewport={"width": 1100, "height": 1300}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_app(tab: Page, url: str, drawn: str) -> Page:
    """Open the app at `url` in `tab`, noting its connection, and wait until its first run has
    drawn `drawn` (a selector) and ended: a new connection is a new session, with nothing of
    what the tab showed before. The page is idle before that run starts, hence the selector."""
    from tests.browser_helpers import IDLE, STREAMS  # noqa: PLC0415 - browser tests only

    # Opening the app again would restore the tab's last screening, and the guard would ask
    # whether to leave the work (a dismissed question keeps the old page); a field left
    # focused with text unsent would also make it ask.
    forget = (
        "() => { try { sessionStorage.clear(); } catch (e) {} document.activeElement?.blur();"
        " if (window.__screeningGuard) { window.__screeningGuard.data = {}; } }"
    )
    tab.evaluate(forget)
    origin = "/".join(url.split("/")[:3])
    if not tab.url.startswith(origin):  # the tab keeps this origin's sessionStorage through a
        # visit to another server (tests/test_no_disk.py): a token an earlier test left there
        # would restore its screening here, so it is cleared from a page of this origin
        tab.goto(f"{origin}/_stcore/health")
        tab.evaluate(forget)
    with tab.expect_websocket(lambda ws: ws.url.endswith("/_stcore/stream")) as connecting:
        tab.goto(url)
    STREAMS[tab] = connecting.value
    tab.wait_for_selector(drawn)
    # The guard's first exchange (app_pages/guard.py) is over before the page draws anything
    # but the nav; the tab is given its recovery token in the run that draws the page.
    tab.wait_for_function("() => sessionStorage.getItem('screening-recovery-token') !== null")
    tab.wait_for_selector(IDLE)
    return tab


@pytest.fixture
def page(browser_tab: Page, server: Server) -> Iterator[Page]:
    """A fresh Streamlit session on the screening page, in the worker's tab."""
    from tests.browser_helpers import STREAMS  # noqa: PLC0415 - browser tests only

    opened = open_app(browser_tab, server.url, ".st-key-answer__chronic_pain_over_3_months")
    try:
        yield opened
    finally:
        del STREAMS[opened]


BROWSER_MODULES = {
    "test_browser.py",
    "test_fhir_browser.py",
    "test_no_disk.py",
    "test_upload_memory.py",
}
"""The modules of browser tests (marked `browser`); a browser test elsewhere is refused."""
FIRST_BROWSER_GROUP = {"test_no_disk.py", "TestNothingIsLost"}
"""Browser tests (by module file or class) in the first of the two browser groups; the rest
make up the second, so each half takes about as long (measured with --durations)."""


def browser_group(nodeid: str) -> str | None:
    """The xdist group of a browser test, from its node id; None for any other test."""
    module, *names = nodeid.split("::")
    if Path(module).name not in BROWSER_MODULES:
        return None
    parts = {Path(module).name, names[0] if names else ""}
    return "browser-1" if parts & FIRST_BROWSER_GROUP else "browser-2"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a browser test outside the browser modules: it would escape its group."""
    for item in items:
        if item.get_closest_marker("browser") and item.path.name not in BROWSER_MODULES:
            raise pytest.UsageError(f"{item.nodeid}: add its module to BROWSER_MODULES")


@pytest.hookimpl(optionalhook=True)  # xdist may be absent or disabled (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with the browser tests in two groups, one worker each.

    Each group runs in order on one worker with its own server and Chromium, so the two
    workers share the longest tests while no more than two browsers run at once; the groups
    are the largest units, so xdist hands them out first, one to each worker. The groups are
    read from node ids because xdist 3.8 cannot add its `@group` suffix to a node id under
    pytest 9.2 (ids are no longer stored in `_nodeid`), which silently made `xdist_group`
    marks do nothing.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # noqa: PLC0415 - only under xdist

    scheduler = LoadGroupScheduling(config, log)
    by_mark = scheduler._split_scope
    scheduler._split_scope = lambda nodeid: browser_group(nodeid) or by_mark(nodeid)
    return scheduler


# CI runs the same examples every time, so a red run can be reproduced; locally they vary.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
