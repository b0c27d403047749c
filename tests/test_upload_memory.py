"""A refused upload costs the real server little memory and gives it back (issue 20 item 3).

Before the tables were bounded, one JSON Lines upload took `streamlit run` from 298 MB to
2.3 GB and 1.8 GB stayed. Here the real server reads tables that expand far beyond the
upload bounds (a Parquet file of a few KB holding millions of rows, a CSV of a hundred
thousand columns, a JSON Lines file of tens of thousands of keys); each must be refused, the
server's peak resident memory during the refusal must stay within the per-upload budget,
and its resident memory afterwards must come back near where it was.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from screening.limits import MAX_TABLE_UPLOAD_MEMORY
from tests.browser_helpers import STREAMS, Server, after_rerun, chromium
from tests.conftest import open_app

pytestmark = pytest.mark.browser

MIB = 1024 * 1024
SETTLED_MIB = 64
"""What a refused upload may leave behind in resident memory (allocator slack, caches)."""


def parquet_bomb() -> bytes:
    """Five million answers of one value: a few KB on disk, hundreds of MB once read."""
    import pyarrow as pa  # noqa: PLC0415 - only this case pays for pyarrow's import
    import pyarrow.parquet as pq  # noqa: PLC0415

    rows = 5_000_000
    indices = pa.array([0] * rows, type=pa.int8())
    table = pa.table(
        {
            "record_id": pa.DictionaryArray.from_arrays(indices, pa.array(["r"])),
            "monitoring_available": pa.DictionaryArray.from_arrays(indices, pa.array(["yes"])),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def wide_csv() -> bytes:
    """A hundred thousand columns (the bound is far fewer)."""
    header = ",".join(["record_id", *(f"c{n}" for n in range(100_000))])
    return (header + "\n" + ",".join(["r1", *(["yes"] * 100_000)]) + "\n").encode()


def keyed_jsonl() -> bytes:
    """One JSON Lines record with fifty thousand keys: quadratic to read before the bounds."""
    record = {"record_id": "r1", **{f"k{n}": "yes" for n in range(50_000)}}
    return (json.dumps(record) + "\n").encode()


def small_csv() -> bytes:
    return b"record_id,monitoring_available\nr1,yes\nr2,no\n"


BOMBS: dict[str, tuple[str, Callable[[], bytes], str, str]] = {
    "parquet-millions-of-rows": (
        "bomb.parquet",
        parquet_bomb,
        "application/octet-stream",
        "The table bomb.parquet was refused",
    ),
    "csv-100000-columns": ("wide.csv", wide_csv, "text/csv", "The table wide.csv was refused"),
    # a line with too many keys refuses its row, not the table
    "jsonl-50000-keys": ("keys.jsonl", keyed_jsonl, "application/json", "Nothing is counted"),
}
"""Uploads that expand far past the bounds: file name, maker, media type, what the page says."""


def resident(pid: int) -> tuple[int, int]:
    """(now, peak) resident memory of a process, in bytes, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024)


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS mark (`clear_refs` 5); False where this is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own, so other tests' sessions do not move its memory."""
    chromium()
    running = Server(tmp_path_factory.mktemp("memory-server"))
    try:
        running.wait_until_healthy()
        yield running
    finally:
        running.stop()


def upload(page: Page, name: str, data: bytes, mime: str) -> None:
    box = page.locator(".st-key-audit_table input[type=file]")
    after_rerun(page, lambda: box.set_input_files({"name": name, "mimeType": mime, "buffer": data}))


def settled_rss(pid: int) -> int:
    """Resident memory once the server has had a moment to free what a run left."""
    time.sleep(1.0)
    return resident(pid)[0]


@pytest.mark.parametrize("bomb", BOMBS)
def test_a_refused_table_upload_stays_in_budget_and_its_memory_comes_back(
    server: Server, browser_tab: Page, bomb: str
) -> None:
    name, make, mime, refusal = BOMBS[bomb]
    data = make()
    assert len(data) < 2 * MIB  # small to send, large once read
    page = open_app(browser_tab, f"{server.url}/audit", ".st-key-audit_table")
    pid = server.process.pid
    try:
        upload(page, "warm.csv", small_csv(), "text/csv")  # pandas and pyarrow loaded
        page.get_by_text("answer sets evaluated").first.wait_for()
        before = settled_rss(pid)
        peak_measured = reset_peak(pid)
        upload(page, name, data, mime)
        page.get_by_text(refusal).wait_for(timeout=120_000)
        after = settled_rss(pid)
        peak = resident(pid)[1]
    finally:
        del STREAMS[page]
    assert after - before < SETTLED_MIB * MIB, (
        f"{bomb}: {(after - before) / MIB:.0f} MiB stayed after the refusal"
    )
    if peak_measured:
        assert peak - before < MAX_TABLE_UPLOAD_MEMORY, (
            f"{bomb}: the refusal took {(peak - before) / MIB:.0f} MiB at its peak"
        )
