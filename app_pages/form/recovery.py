"""A screening kept through a reload, in this server's memory only, behind an unguessable token.

A reload, or Back out of the app and Forward again, starts a new Streamlit session with an
empty memory. So each session's form is copied here after every run that holds work, under
a random token that only its own browser tab knows (kept in the tab's `sessionStorage` by
`app_pages/guard.py`). A new session in that tab hands the token back once, and takes the
copy: it is removed here as it is taken, so a token restores at most once.

Nothing here touches the disk. A copy not refreshed for `IDLE_SECONDS` is dropped, and
*Start a new screening* drops it at once. The store is shared by every session of the
process, so it is reached only through a token; it never lists what it holds.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

IDLE_SECONDS = 30 * 60.0
"""How long an untouched copy is kept: a consultation interrupted, not a day."""
TOKEN_BYTES = 32
"""256 random bits: not guessable, so one session cannot reach another's copy."""


@dataclass(frozen=True)
class Kept:
    """A session's form as it stood: its memory, the answers removed, the view shown."""

    memory: Mapping[str, Any]
    dropped: Mapping[str, Any]
    view: str
    seen: float


_STORE: dict[str, Kept] = {}
_LOCK = threading.Lock()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _sweep(now: float) -> None:
    """Drop every copy idle for `IDLE_SECONDS` or more (the caller holds the lock)."""
    for token in [t for t, kept in _STORE.items() if now - kept.seen >= IDLE_SECONDS]:
        del _STORE[token]


def keep(
    token: str,
    memory: Mapping[str, Any],
    dropped: Mapping[str, Any],
    view: str,
    now: float | None = None,
) -> None:
    """Copy a session's form under its token, replacing the copy before."""
    at = time.monotonic() if now is None else now
    copy = Kept(MappingProxyType(dict(memory)), MappingProxyType(dict(dropped)), view, at)
    with _LOCK:
        _sweep(at)
        _STORE[token] = copy


def take(token: str, now: float | None = None) -> Kept | None:
    """The copy kept under `token`, removed as it is taken; None if none or expired."""
    at = time.monotonic() if now is None else now
    with _LOCK:
        _sweep(at)
        return _STORE.pop(token, None)


def forget(token: str) -> None:
    with _LOCK:
        _STORE.pop(token, None)


def held() -> int:
    """How many copies the store holds now (for tests and the server's own checks)."""
    with _LOCK:
        _sweep(time.monotonic())
        return len(_STORE)
