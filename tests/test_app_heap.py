"""The server's loaded libraries are frozen out of the full garbage collection Streamlit runs
after every run (app_pages/heap.py): that pass walked them all, about 100 ms a run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import heap

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process whose heap has not been frozen yet, as a server's before its first run."""
    gc.unfreeze()
    monkeypatch.setattr(heap, "_modules_frozen", 0)
    yield
    gc.unfreeze()


def record_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The collector's collect and freeze, recorded in order instead of done."""
    calls: list[str] = []

    def collect(*_: object) -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    return calls


class TestSettle:
    def test_a_run_that_loaded_modules_freezes_what_is_alive(self, unfrozen: None) -> None:
        assert gc.get_freeze_count() == 0
        heap.settle()
        assert gc.get_freeze_count() > 0

    def test_a_run_that_loaded_nothing_new_neither_collects_nor_freezes(
        self, unfrozen: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        heap.settle()
        calls = record_calls(monkeypatch)
        heap.settle()
        assert calls == []

    def test_garbage_is_collected_before_the_freeze(
        self, unfrozen: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Else a run's own garbage would be frozen with the libraries, never to be freed."""
        calls = record_calls(monkeypatch)
        heap.settle()
        assert calls == ["collect", "freeze"]


def test_every_run_of_the_app_settles_the_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    settled: list[bool] = []
    monkeypatch.setattr(heap, "settle", lambda: settled.append(True))
    AppTest.from_file(APP, default_timeout=30).run()
    assert settled
