"""The browser benches' server (bench/server.py): the app answers its health check inside the
`with`, from a home of the bench's own, and is stopped when the `with` is left."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from bench.server import app_server


def test_the_app_answers_inside_the_with_and_is_stopped_after_it(tmp_path: Path) -> None:
    with app_server(tmp_path) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as answer:
            assert answer.read() == b"ok"
        assert server.process.poll() is None
    assert server.process.poll() is not None
    assert server.log == tmp_path / "server.log"
    assert "URL: http://127.0.0.1:" in server.log.read_text()
