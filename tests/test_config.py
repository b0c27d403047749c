"""The shipped Streamlit configuration keeps patient data on this machine."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def settings() -> dict[str, dict[str, object]]:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


def test_usage_statistics_are_off() -> None:
    assert settings()["browser"]["gatherUsageStats"] is False


def test_xsrf_protection_is_on() -> None:
    assert settings()["server"]["enableXsrfProtection"] is True


def test_the_server_listens_on_this_machine_only_and_never_looks_up_its_public_address() -> None:
    assert settings()["server"]["address"] == "127.0.0.1"


def test_the_browser_is_never_shown_a_traceback() -> None:
    assert settings()["client"]["showErrorDetails"] == "none"
