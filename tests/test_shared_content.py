"""The shared clinical content beside the checkout: CI must have it, so its checks never skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_CONTENT, shared_content_file


def test_the_shared_content_is_looked_for_beside_the_repository() -> None:
    repository = Path(__file__).resolve().parents[1]
    assert repository.parent / "shared" / "content" == SHARED_CONTENT


def test_a_missing_shared_file_fails_the_run_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must check out shared/"):
        shared_content_file(tmp_path / "items.md")


def test_a_missing_shared_file_is_skipped_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not beside this checkout"):
        shared_content_file(tmp_path / "items.md")


def test_a_present_shared_file_is_given_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "items.md").write_text("| a | b |\n", encoding="utf-8")
    assert shared_content_file(tmp_path / "items.md") == tmp_path / "items.md"
