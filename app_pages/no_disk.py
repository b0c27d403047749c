"""Keep every upload in memory: the web server must never write an uploaded byte to disk.

Streamlit parses uploads with Starlette, which spools any file part over 1 MiB to a
temporary file (`SpooledTemporaryFile`, rolled over to disk in TMPDIR; on Linux an unnamed
file that no folder listing shows). An answers file of 1.2 MB would so reach the disk in
clear. A spool size of 0 means "never roll over"; memory stays bounded because Streamlit
refuses a request body larger than `server.maxUploadSize` (or a widget's own limit) plus
1 MB while it streams in. `tests/test_no_disk.py` traces the real server's file writes.
"""

from __future__ import annotations

from starlette.formparsers import MultiPartParser

NEVER_ROLL_OVER = 0
"""`SpooledTemporaryFile(max_size=0)` never moves its data to a file."""


def keep_uploads_in_memory() -> None:
    """Set once per process, before any upload can arrive: app.py imports this module first.

    Fails loudly if Starlette no longer has the setting: the promise could not be kept.
    """
    if not hasattr(MultiPartParser, "spool_max_size"):
        raise RuntimeError("Starlette's MultiPartParser has no spool_max_size: uploads may spool")
    MultiPartParser.spool_max_size = NEVER_ROLL_OVER


keep_uploads_in_memory()
