"""Load benchmark of the web form: N concurrent real browser sessions on one `streamlit run`.

Starts the app on a free 127.0.0.1 port, opens N sessions in one headless Chromium (each a
fresh browser context, hence a fresh Streamlit session), and has each fill the form, build
the checklist and download its JSON and PDF. Prints completion, errors (in the sessions
and in the server's log), the server's CPU time and memory per session, and p50 / p95
build time (click to checklist shown). Bounded: at most MAX_SESSIONS sessions and
`--timeout` seconds in all. Prints figures; exits 1 only when a session failed or the
server logged an error, so it can guard a release by hand.
Run: `.venv/bin/python bench/load.py [--sessions N] [--timeout S]` (loopback only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import app_server

MAX_SESSIONS = 60
STEP_TIMEOUT_MS = 300_000
"""One step (a click and the rerun it causes) may take this long before the session fails."""
RAMP_SECONDS = 0.5
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
ANSWERS = {
    "chronic_pain_over_3_months": "Yes",
    "prior_treatment_failures": "Yes",
    "substance_use_history": "Yes",
    "substance_use_active": "No",
    "cardiovascular_poorly_controlled": "Unknown",
    "monitoring_available": "No",
    "informed_limited_evidence": "No",
}
SERVER_ERRORS = re.compile(r"Traceback|Error|Exception", re.IGNORECASE)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Session:
    number: int
    build_seconds: float | None = None
    total_seconds: float | None = None
    error: str | None = None
    downloads: dict[str, int] = field(default_factory=dict)
    failed_requests: list[str] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


def rss_mib(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def idle(page: Page) -> None:
    await page.wait_for_selector(IDLE, timeout=STEP_TIMEOUT_MS)


async def pick(page: Page, item_id: str, word: str) -> None:
    choice = page.locator(f".st-key-answer__{item_id}").get_by_role("radio", name=word, exact=True)
    await choice.click()
    await page.wait_for_function(
        "el => el.getAttribute('aria-checked') === 'true'",
        arg=await choice.element_handle(),
        timeout=STEP_TIMEOUT_MS,
    )
    await idle(page)


async def download(page: Page, label: str) -> int:
    async with page.expect_download(timeout=STEP_TIMEOUT_MS) as caught:
        await page.get_by_role("button", name=label).click()
    got = await caught.value
    path = await got.path()
    return Path(path).stat().st_size


async def one_session(browser: Browser, url: str, session: Session, delay: float) -> None:
    """One clinician: open, fill, build, download. Sessions start `delay` seconds apart, so
    they overlap as real users do rather than all clicking in the same millisecond; on a
    busy machine the browser, not the server, is the slow part, hence the long timeouts."""
    await asyncio.sleep(delay)
    context = await browser.new_context(accept_downloads=True)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    start = time.perf_counter()
    try:
        page = await context.new_page()
        page.on(
            "response",
            lambda r: (
                session.failed_requests.append(f"{r.status} {r.url.split('/', 3)[-1]}")
                if r.status >= 400
                else None
            ),
        )
        await page.goto(url)
        await page.wait_for_selector(".st-key-answer__chronic_pain_over_3_months")
        await idle(page)
        box = page.get_by_role("textbox", name="Patient reference (optional)")
        await box.fill(f"LOAD-{session.number}")
        await box.press("Enter")
        await idle(page)
        for item_id, word in ANSWERS.items():
            await pick(page, item_id, word)
        clicked = time.perf_counter()
        await page.get_by_role("button", name="Build the discussion checklist").click()
        await page.get_by_role("heading", name="Take it away").wait_for(timeout=STEP_TIMEOUT_MS)
        await idle(page)
        session.build_seconds = time.perf_counter() - clicked
        await page.get_by_text(f"Patient reference: LOAD-{session.number}").wait_for()
        for label in ("Checklist JSON", "Download PDF"):
            try:
                session.downloads[label] = await download(page, label)
            except Exception as exc:
                raise RuntimeError(f"{label}: {exc}") from exc
        if not all(session.downloads.values()):
            session.error = f"empty download: {session.downloads}"
        session.total_seconds = time.perf_counter() - start
    except Exception as exc:  # a bench reports every failure and carries on
        session.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        await context.close()


async def run(url: str, sessions: list[Session], timeout: float) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-extensions",
                "--blink-settings=imagesEnabled=false",
            ],
        )
        try:
            tasks = [
                asyncio.create_task(one_session(browser, url, s, s.number * RAMP_SECONDS))
                for s in sessions
            ]
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            for session, task in zip(sessions, tasks, strict=True):
                if task in pending:
                    session.error = f"not finished within {timeout:g} s"
        finally:
            await browser.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25, help=f"at most {MAX_SESSIONS}")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()
    count = max(1, min(args.sessions, MAX_SESSIONS))
    if not shutil.which("chromium"):
        raise SystemExit("bench/load.py needs Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="load-bench-") as folder:
        with app_server(Path(folder)) as server:
            pid = server.process.pid
            idle_rss = rss_mib(pid)
            cpu_before = cpu_seconds(pid)
            sessions = [Session(n) for n in range(count)]
            started = time.perf_counter()
            asyncio.run(run(server.url, sessions, min(args.timeout, 1800)))
            wall = time.perf_counter() - started
            cpu = cpu_seconds(pid) - cpu_before
            peak_rss = rss_mib(pid, "VmHWM")
            end_rss = rss_mib(pid)
        logged = [
            line for line in server.log.read_text().splitlines() if SERVER_ERRORS.search(line)
        ]
    done = [s for s in sessions if s.error is None]
    builds = [s.build_seconds for s in sessions if s.build_seconds is not None]
    print(f"sessions: {count} concurrent, {len(done)} completed, {count - len(done)} failed")
    print(f"wall time: {wall:.1f} s for the whole run")
    if builds:
        print(
            f"build time (click to checklist shown): p50 {statistics.median(builds):.2f} s, "
            f"p95 {percentile(builds, 0.95):.2f} s, max {max(builds):.2f} s"
        )
    print(f"server CPU: {cpu:.1f} s in all, {cpu / count:.2f} s per session")
    print(
        f"server memory: {idle_rss:.0f} MiB idle, peak {peak_rss:.0f} MiB, "
        f"{(peak_rss - idle_rss) / count:.1f} MiB per session at peak, {end_rss:.0f} MiB after"
    )
    for session in sessions:
        if session.error:
            print(f"  session {session.number}: {session.error}")
        for request in session.failed_requests[:3]:
            print(f"  session {session.number}: HTTP {request}")
    print(f"server log lines naming an error: {len(logged)}")
    for line in logged[:20]:
        print(f"  {line}")
    return 0 if len(done) == count and not logged else 1


if __name__ == "__main__":
    sys.exit(main())
