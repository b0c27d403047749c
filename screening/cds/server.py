"""uvicorn's h11 protocol with a deadline for each request's headers, so slow sockets are dropped.

uvicorn bounds an idle keep-alive connection but not a connection that sends its headers a
byte at a time (or nothing at all); this protocol closes such a connection once
`header_seconds` have passed without a complete request head. Bodies are bounded in time by
the service itself (`read_json`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_CONNECTIONS = 200
"""Connections and requests served at once (`limit_concurrency`); beyond it uvicorn answers 503."""


class BoundedH11Protocol(H11Protocol):
    """Closes a connection whose request head is not complete within `header_seconds`."""

    header_seconds = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._between_requests():
            self._arm()
        super().data_received(data)
        if not self._between_requests():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_seconds, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._between_requests() and not self.transport.is_closing():
            self.transport.close()


def bounded_protocol(header_seconds: float) -> type[BoundedH11Protocol]:
    """The protocol class with its header deadline set (uvicorn takes a class, not an instance)."""
    attributes: dict[str, Any] = {"header_seconds": header_seconds}
    return type("ConfiguredH11Protocol", (BoundedH11Protocol,), attributes)
