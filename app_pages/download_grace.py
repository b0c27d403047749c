"""Keep a generated download until the browser has had time to fetch it, under any load.

A download button whose data is a callable (so a PDF is built only when clicked) makes
Streamlit build the file and send the browser its URL. The file belongs to no session, so
the orphan sweep that ends *every* session's script run marks it, and the next sweep
deletes it. With many sessions at work, two sweeps can pass before the browser asks for
the URL: it gets 404 and the download is cancelled (`bench/load.py` saw 4 of 12 sessions
fail so). Here a marked file is deleted only once `GRACE_SECONDS` have passed since it was
first marked; files stay in the server's memory (never on disk) that much longer.
"""

from __future__ import annotations

import time

from streamlit.runtime.media_file_manager import MediaFileMetadata

GRACE_SECONDS = 60.0
"""How long an orphaned download stays fetchable; a click's fetch comes within seconds."""


def _mark_for_delete(self: MediaFileMetadata) -> None:
    if not self._is_marked_for_delete:
        self._is_marked_for_delete = True
        # A field of this patch's own, which Streamlit's class does not declare.
        self._marked_at = time.monotonic()  # type: ignore[attr-defined]


def _is_marked_for_delete(self: MediaFileMetadata) -> bool:
    marked_at: float = getattr(self, "_marked_at", float("-inf"))
    return self._is_marked_for_delete and time.monotonic() - marked_at >= GRACE_SECONDS


def keep_downloads_fetchable() -> None:
    """Replace the two-sweep rule by two sweeps and `GRACE_SECONDS`; fail loudly if Streamlit
    no longer has the parts this relies on."""
    for name in ("mark_for_delete", "is_marked_for_delete"):
        if not hasattr(MediaFileMetadata, name):
            raise RuntimeError(f"Streamlit's MediaFileMetadata has no {name}")
    # Replacing Streamlit's methods on its class is what this patch is for; mypy forbids it.
    MediaFileMetadata.mark_for_delete = _mark_for_delete  # type: ignore[method-assign]
    MediaFileMetadata.is_marked_for_delete = property(_is_marked_for_delete)  # type: ignore[assignment,method-assign]


keep_downloads_fetchable()
