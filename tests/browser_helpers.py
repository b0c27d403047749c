"""Driving the app in a real Chromium: the Streamlit server, the page helpers, the test answers.

The browser tests (tests/test_browser.py, tests/test_fhir_browser.py, tests/test_no_disk.py)
share these; tests/conftest.py turns them into the `server`, `browser` and `page` fixtures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, WebSocket, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from screening import RulePack, load_pack
from screening.logic import asked_states

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
STREAMS: dict[Page, WebSocket] = {}
"""Each open page's connection to the server, whose messages say when a script run ends."""
MARKER = "ZQ-4711"
"""A patient reference no file on the server may ever contain."""


def chromium() -> str:
    """Debian's Chromium; missing, the test is skipped, except under CI=true where it fails."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no chromium on PATH: install it (apt-get install chromium)")
    pytest.skip("no chromium on PATH")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return bool(response.read() == b"ok")
    except OSError:
        return False


def pinned(cpus: set[int] | None) -> list[str]:
    """The command prefix that runs a program on these processors only (util-linux `taskset`)."""
    if cpus is None:
        return []
    taskset = shutil.which("taskset")
    if taskset is None:
        pytest.skip("no taskset on PATH to pin a process to a processor")
    return [taskset, "--cpu-list", ",".join(map(str, sorted(cpus)))]


class Server:
    """A `streamlit run app.py` process with its own HOME and TMPDIR, so its writes can be read.

    It binds port 0, so the system picks a free port with no race between choosing and binding,
    and the URL it announces in its log is read back. `env` adds to its environment; `cpus`
    pins it, and every thread it starts, to those processors.
    """

    def __init__(
        self, home: Path, env: Mapping[str, str] | None = None, cpus: set[int] | None = None
    ) -> None:
        self.home = home
        self.tmp = home / "tmp"
        self.tmp.mkdir(parents=True)
        self.log = home / "server.log"
        self.url = ""
        self.started = time.time()
        environment = {k: v for k, v in os.environ.items() if k != "SCREENING_RULES_DIR"}
        environment.update(HOME=str(home), TMPDIR=str(self.tmp), **(env or {}))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *pinned(cpus),
                    *(sys.executable, "-m", "streamlit", "run", "app.py"),
                    *("--server.headless", "true"),
                    *("--server.port", "0"),
                    *("--server.address", "127.0.0.1"),
                    *("--browser.gatherUsageStats", "false"),
                    *("--server.fileWatcherType", "none"),
                ],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            announced = re.search(r"URL: (http://127\.0\.0\.1:\d+)", self.log.read_text())
            if announced and healthy(announced[1]):
                self.url = announced[1]
                return
            time.sleep(0.1)
        pytest.fail(f"streamlit did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_finished(payload: str | bytes) -> bool:
    """Whether a message from the server says a script run has finished (not cut short)."""
    if isinstance(payload, str):
        return False
    message = ForwardMsg.FromString(payload)
    return bool(
        message.WhichOneof("type") == "script_finished"
        and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
    )


def after_rerun(page: Page, action: Callable[[], None]) -> None:
    """Do `action`, then wait for the server to say the script run it caused has finished.

    Waiting for the idle state alone can see the previous run's idle state, before the rerun
    has begun, and a fast run can pass from running to idle without the page ever showing
    it; the server's own "script finished" message is seen whatever the page draws.
    """
    with STREAMS[page].expect_event("framereceived", predicate=run_finished):
        action()
    page.wait_for_selector(IDLE)


def pick(page: Page, item_id: str, word: str) -> None:
    choice = page.locator(f".st-key-answer__{item_id}").get_by_role("radio", name=word, exact=True)
    after_rerun(page, choice.click)
    expect(choice).to_have_attribute("aria-checked", "true")


def type_into(page: Page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label)

    def enter() -> None:
        box.fill(text)
        box.press("Enter")

    after_rerun(page, enter)
    expect(box).to_have_value(text)


def set_date(page: Page, iso: str) -> None:
    """Type the date, then click away: the field sends its value when focus leaves it."""

    def enter() -> None:
        page.get_by_role("spinbutton", name="year, Date (optional)").click()
        page.keyboard.type(iso.replace("-", ""))
        page.get_by_role("heading", name="Ketamine for pain").click()

    after_rerun(page, enter)


ANSWERS = {
    "chronic_pain_over_3_months": "yes",
    "condition_crps": "yes",
    "prior_treatment_failures": "yes",
    "substance_use_history": "yes",
    "substance_use_active": "no",
    "cardiovascular_poorly_controlled": "unknown",
    "monitoring_available": "no",
    "informed_limited_evidence": "no",
}
WORDS = {"yes": "Yes", "no": "No", "unknown": "Unknown"}


@cache
def _shipped() -> RulePack:
    return load_pack()


def asked(answers: dict[str, str]) -> int:
    """How many questions the form asks given these answers: the count's denominator."""
    return len(asked_states(_shipped(), answers))  # type: ignore[arg-type]  # plain words


def fill(page: Page) -> None:
    type_into(page, "Patient reference (optional)", MARKER)
    type_into(page, "Clinician (optional)", "Dr A. Example")
    set_date(page, "2026-01-15")
    for item_id, value in ANSWERS.items():
        pick(page, item_id, WORDS[value])


DETAILS = {"patient_reference": MARKER, "clinician": "Dr A. Example", "date": "2026-01-15"}
"""The details `fill` types, as an answers file holds them."""


def load(page: Page, answers: dict[str, str] = ANSWERS) -> None:
    """Fill the form as `fill` does, from an answers file: one upload and one rerun instead of
    eleven, for the tests that are not about clicking through the form. The panel is closed
    again, so the page looks as it does after `fill`."""
    toggle_save_panel(page)
    upload = page.locator(".st-key-upload__answers input[type=file]")
    saved = json.dumps({"answers": answers, **DETAILS}).encode()
    payload = FilePayload(name="filled.json", mimeType="application/json", buffer=saved)
    after_rerun(page, lambda: upload.set_input_files(files=payload))
    page.get_by_text(f"Loaded {len(answers)} answer(s) from filled.json.").wait_for()
    # The count is drawn after the questions: once it shows, so do they, and the next click
    # sends the loaded answers, not those the browser showed before.
    page.get_by_text(f"{len(answers)} of {asked(answers)} answered").wait_for()
    toggle_save_panel(page)
    expect(page.get_by_text("Load answers (JSON)")).to_be_hidden()


def toggle_save_panel(page: Page) -> None:
    """Open or close *Save or resume*, and wait for the run that draws or drops its content:
    a download clicked while that run is under way asks for a file the run then replaces."""
    after_rerun(page, page.get_by_text("Save or resume: answers file (JSON)").click)


def build(page: Page) -> None:
    """Build, and wait until the checklist is drawn and has moved to its top, focus on its
    heading: under load that move comes seconds after the drawing, and a click sent before it
    could land where the page had been (app_pages/form/checklist_view.py)."""
    page.get_by_role("button", name="Build the discussion checklist").click()
    page.get_by_role("heading", name="Take it away").wait_for()
    page.wait_for_selector(IDLE)
    heading = page.get_by_role("heading", name="Discussion checklist", exact=True)
    expect(heading).to_be_focused(timeout=30_000)


def download(page: Page, label: str) -> bytes:

    with page.expect_download() as caught:
        page.get_by_role("button", name=label).click()
    return Path(caught.value.path()).read_bytes()


def settled(page: Page, quiet_ms: int = 400) -> None:
    """Wait until no run is going and no element of an earlier run is still standing, and it
    has stayed so for `quiet_ms`: a click the guard held is clicked again only once the page
    is idle, so one idle moment may come just before that click's run, whose first drawing
    can leave the earlier run's elements beside the new ones (`data-stale`) until it ends."""
    page.evaluate("window.__settledSince = undefined")
    page.wait_for_function(
        """(quiet) => {
            const app = document.querySelector('[data-testid=stApp]');
            const still = app && app.dataset.testScriptState === 'notRunning'
                && !document.querySelector('[data-stale="true"]');
            const now = performance.now();
            if (!still) { window.__settledSince = undefined; return false; }
            window.__settledSince ??= now;
            return now - window.__settledSince >= quiet;
        }""",
        arg=quiet_ms,
        polling=50,
        timeout=30_000,
    )


def expect_filled(
    page: Page, answers: dict[str, str] = ANSWERS, clinician: str = "Dr A. Example"
) -> None:
    """The form shows exactly these answers, the details typed in `fill`, and its count."""
    settled(page)
    for item_id, value in answers.items():
        choice = page.locator(f".st-key-answer__{item_id}").get_by_role(
            "radio", name=WORDS[value], exact=True
        )
        expect(choice).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("textbox", name="Patient reference (optional)")).to_have_value(MARKER)
    expect(page.get_by_role("textbox", name="Clinician (optional)")).to_have_value(clinician)
    page.get_by_text(f"{len(answers)} of {asked(answers)} answered").wait_for()


BUSY_SECONDS = 300
"""The longest a busy process runs, should the test that started it never stop it."""


@contextmanager
def busy(cpu: int) -> Iterator[None]:
    """One process spinning on `cpu` while the block runs: a server pinned there gets about
    half of it, as on a machine under load."""
    spin = (
        f"import time\nend = time.monotonic() + {BUSY_SECONDS}\nwhile time.monotonic() < end: pass"
    )
    process = subprocess.Popen([*pinned({cpu}), sys.executable, "-c", spin])
    try:
        yield
    finally:
        process.kill()
        process.wait()
