"""What the Audit page and the Rule pack page's impact check share: the answers-table upload.

The upload is read in memory and evaluated there; nothing is written to disk, and the
results live only in this browser session's state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import streamlit as st

from screening import (
    MAX_TABLE_UPLOAD_MB,
    MAX_TABLE_UPLOAD_ROWS,
    N_,
    UPLOAD_BOUNDS,
    AnswersError,
    BatchResult,
    Impact,
    RulePack,
    _,
    impact_of,
    raw_table_bytes,
    read_table_bytes,
    run_batch,
)

T = TypeVar("T")

TYPES = ["csv", "parquet", "pq", "jsonl", "ndjson"]
HELP = N_(
    "One answer set per row; columns are the form's item ids (yes / no / unknown, blank = not "
    "assessed) and an optional record_id. De-identified data only: no names, no dates of "
    "birth. At most {mb} MB and {rows} rows; read in memory, never saved."
)


def answers_upload(label: str, key: str) -> tuple[str, bytes] | None:
    """The uploader for an answers table; its name and bytes, or None before an upload."""
    upload = st.file_uploader(
        label,
        type=TYPES,
        key=key,
        help=_(HELP).format(mb=MAX_TABLE_UPLOAD_MB, rows=f"{MAX_TABLE_UPLOAD_ROWS:,}"),
        max_upload_size=MAX_TABLE_UPLOAD_MB,
    )
    if upload is None:
        return None
    return upload.name, upload.getvalue()


def _kept(key: str, digest: tuple[str, ...], compute: Callable[[], T]) -> T:
    """`compute()`, kept in this session's state under `key` with the `digest` of what it was
    made from, so reruns (a filter, a download) do not compute it again; a refusal is kept and
    raised again the same way. Never in a cache shared between sessions."""
    kept: Any = st.session_state.get(key)
    if not (isinstance(kept, tuple) and kept[0] == digest):
        try:
            kept = (digest, compute())
        except AnswersError as exc:
            kept = (digest, exc)
        st.session_state[key] = kept
    if isinstance(kept[1], AnswersError):
        raise kept[1]
    result: T = kept[1]
    return result


def evaluated(pack: RulePack, name: str, data: bytes, key: str) -> BatchResult:
    """The table evaluated with `pack`; raises `AnswersError` when it is refused. Kept by
    content and pack hash in this session's state (`_kept`)."""
    digest = (hashlib.sha256(data).hexdigest(), name, pack.sha256)
    return _kept(key, digest, lambda: run_batch(pack, read_table_bytes(data, name, pack)))


def compared(old: RulePack, new: RulePack, name: str, data: bytes, key: str) -> Impact:
    """The table evaluated under both packs and compared (`impact_of`: questions the new pack
    adds are not assessed under the old one); raises `AnswersError` when it is refused. Kept
    by content and both packs' hashes in this session's state (`_kept`)."""
    digest = (hashlib.sha256(data).hexdigest(), name, old.sha256, new.sha256)
    raw = partial(raw_table_bytes, data, name, bounds=UPLOAD_BOUNDS)
    return _kept(key, digest, lambda: impact_of(old, new, raw(), name))
