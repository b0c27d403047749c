"""A generated download outlives other sessions' orphan sweeps for its grace period."""

from __future__ import annotations

import time

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

import app_pages.download_grace as grace


def generated_download(manager: MediaFileManager) -> str:
    """A deferred download as Streamlit makes one on a click: built, stored, in no session."""
    file_id = manager.add_deferred(lambda: b"checklist", "text/plain", "coords", "c.txt")
    url = manager.execute_deferred(file_id)
    return url.rsplit("/", 1)[-1].split(".")[0]


def test_two_sweeps_by_other_sessions_leave_a_fresh_download_fetchable() -> None:
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    file_id = generated_download(manager)
    for _ in range(5):  # other sessions' script runs each end with a sweep
        manager.remove_orphaned_files()
    assert manager.read_file(file_id) is not None


def test_a_download_is_dropped_once_its_grace_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    file_id = generated_download(manager)
    manager.remove_orphaned_files()
    later = time.monotonic() + grace.GRACE_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    manager.remove_orphaned_files()
    assert manager.read_file(file_id) is None
