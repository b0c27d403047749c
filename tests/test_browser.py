"""End to end in a real Chromium: `streamlit run app.py`, a clinician's path, real downloads."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright

from screening import AnswersFile, RulePack, evaluate
from screening.export import checklist_json

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return bool(response.read() == b"ok")
    except OSError:
        return False


class Server:
    """A `streamlit run app.py` process with its own HOME and TMPDIR, so its writes can be read."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.tmp = home / "tmp"
        self.tmp.mkdir(parents=True)
        self.log = home / "server.log"
        self.url = f"http://127.0.0.1:{free_port()}"
        self.started = time.time()
        env = {k: v for k, v in os.environ.items() if k != "SCREENING_RULES_DIR"}
        env.update(HOME=str(home), TMPDIR=str(self.tmp))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "streamlit", "run", "app.py"),
                    *("--server.headless", "true"),
                    *("--server.port", self.url.rsplit(":", 1)[1]),
                    *("--server.address", "127.0.0.1"),
                    *("--browser.gatherUsageStats", "false"),
                    *("--server.fileWatcherType", "none"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if healthy(self.url):
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    chromium()
    running = Server(tmp_path_factory.mktemp("server-home"))
    try:
        running.wait_until_healthy()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser context, hence a fresh Streamlit session, on the screening page."""

    context = browser.new_context(viewport={"width": 1100, "height": 1300}, accept_downloads=True)
    opened = context.new_page()
    opened.goto(server.url)
    opened.wait_for_selector(".st-key-answer__chronic_pain_over_3_months")
    opened.wait_for_selector(IDLE)
    try:
        yield opened
    finally:
        context.close()


def pick(page: Page, item_id: str, word: str) -> None:

    control = page.locator(f".st-key-answer__{item_id}")
    control.get_by_role("radio", name=word, exact=True).click()
    control.locator("[role=radio][aria-checked=true]").wait_for()
    page.wait_for_selector(IDLE)


def type_into(page: Page, label: str, text: str) -> None:

    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    box.press("Enter")
    page.wait_for_selector(IDLE)


def set_date(page: Page, iso: str) -> None:

    page.get_by_role("spinbutton", name="year, Date (optional)").click()
    page.keyboard.type(iso.replace("-", ""))
    page.keyboard.press("Tab")
    page.wait_for_selector(IDLE)


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


def fill(page: Page) -> None:
    type_into(page, "Patient reference (optional)", MARKER)
    type_into(page, "Clinician (optional)", "Dr A. Example")
    set_date(page, "2026-01-15")
    for item_id, value in ANSWERS.items():
        pick(page, item_id, WORDS[value])


def build(page: Page) -> None:

    page.get_by_role("button", name="Build the discussion checklist").click()
    page.get_by_role("heading", name="Take it away").wait_for()
    page.wait_for_selector(IDLE)


def download(page: Page, label: str) -> bytes:

    with page.expect_download() as caught:
        page.get_by_role("button", name=label).click()
    return Path(caught.value.path()).read_bytes()


def files_written_since(folder: Path, since: float) -> list[Path]:
    """Files changed since `since`, leaving out tool folders and the screenshots tests take."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip and Path(parent, d) != SCREENSHOTS]
        for name in names:
            path = Path(parent, name)
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime >= since:
                    found.append(path)
    return found


class TestClinicianPath:
    """Fill the form, build the checklist, take it away: in a real browser, as a user would."""

    def test_the_checklist_json_download_is_what_the_cli_would_write(
        self, page: Page, shipped_pack: RulePack
    ) -> None:

        fill(page)
        page.get_by_text(f"{len(ANSWERS)} of 30 answered").wait_for()
        page.get_by_role("heading", name="Ketamine for pain").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / "form.png")
        build(page)
        page.get_by_text(f"Patient reference: {MARKER}").wait_for()
        page.get_by_role(
            "heading", name="Discussion checklist", exact=True
        ).scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / "checklist.png")
        answers = AnswersFile.model_validate({"answers": ANSWERS, "patient_reference": MARKER})
        expected = evaluate(shipped_pack, answers)
        got = download(page, "Checklist JSON").decode()
        assert got == checklist_json(expected)
        assert json.loads(got)["rule_set"]["sha256"] == shipped_pack.sha256

    def test_the_answers_download_loads_back_after_starting_again(self, page: Page) -> None:

        fill(page)
        build(page)
        saved = download(page, "Answers JSON")
        assert json.loads(saved) == {
            "answers": ANSWERS,
            "patient_reference": MARKER,
            "clinician": "Dr A. Example",
            "date": "2026-01-15",
        }
        page.get_by_role("button", name="Start a new screening").click()
        page.get_by_role("button", name="Clear all answers, details and ticks").click()
        page.get_by_text("0 of 30 answered").wait_for()
        page.get_by_text("Save or resume: answers file (JSON)").click()
        page.locator(".st-key-upload__answers input[type=file]").set_input_files(
            files=FilePayload(name="saved.json", mimeType="application/json", buffer=saved)
        )
        page.get_by_text(f"Loaded {len(ANSWERS)} answer(s) from saved.json.").wait_for()
        page.get_by_text(f"{len(ANSWERS)} of 30 answered").wait_for()

    def test_the_pdf_download_is_a_pdf(self, page: Page) -> None:
        fill(page)
        build(page)
        assert download(page, "Download PDF").startswith(b"%PDF-")

    def test_a_follow_up_comes_and_goes_with_its_parent_answer(self, page: Page) -> None:

        active = page.locator(".st-key-answer__substance_use_active")
        pick(page, "substance_use_history", "Yes")
        pick(page, "substance_use_active", "Yes")
        pick(page, "substance_use_history", "No")
        expect(active).to_have_count(0)
        expect(page.get_by_text("Answer removed:")).to_be_visible()

    def test_markup_typed_as_the_patient_reference_is_shown_as_typed(self, page: Page) -> None:

        typed = "<b>x</b> **y** [z](https://e.org)"
        type_into(page, "Patient reference (optional)", typed)
        build(page)
        expect(page.get_by_text(f"Patient reference: {typed} · Date: ")).to_be_visible()
        expect(page.locator("[data-testid=stMain] b")).to_have_count(0)

    def test_nothing_typed_about_a_patient_reaches_the_servers_disk(
        self, page: Page, server: Server
    ) -> None:
        fill(page)
        build(page)
        download(page, "Checklist JSON")
        written = [*files_written_since(server.home, server.started)]
        written += files_written_since(ROOT, server.started)
        assert written, "the scan should at least see the server's log"
        assert not [p for p in written if MARKER.encode() in p.read_bytes()]
