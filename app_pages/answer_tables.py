"""What the Audit page and the Rule pack page's impact check share: the answers-table upload.

The upload is read in memory and evaluated there; nothing is written to disk, and the
results live only in this browser session's state.
"""

from __future__ import annotations

import hashlib
from typing import Any

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


def evaluated(pack: RulePack, name: str, data: bytes, key: str) -> BatchResult:
    """The table evaluated with `pack`; raises `AnswersError` when it is refused.

    Kept by content and pack hash in this session's state, so reruns (a filter, a download)
    do not evaluate it again; never in a cache shared between sessions.
    """
    digest = (hashlib.sha256(data).hexdigest(), name, pack.sha256)
    kept: Any = st.session_state.get(key)
    if not (isinstance(kept, tuple) and kept[0] == digest):
        try:
            table = read_table_bytes(data, name, pack)
            kept = (digest, run_batch(pack, table))
        except AnswersError as exc:
            kept = (digest, exc)
        st.session_state[key] = kept
    if isinstance(kept[1], AnswersError):
        raise kept[1]
    result: BatchResult = kept[1]
    return result


def compared(old: RulePack, new: RulePack, name: str, data: bytes, key: str) -> Impact:
    """The table evaluated under both packs and compared (`impact_of`: questions the new pack
    adds are not assessed under the old one); raises `AnswersError` when it is refused. Kept
    by content and both packs' hashes in this session's state, as `evaluated` keeps its own."""
    digest = (hashlib.sha256(data).hexdigest(), name, old.sha256, new.sha256)
    kept: Any = st.session_state.get(key)
    if not (isinstance(kept, tuple) and kept[0] == digest):
        try:
            kept = (
                digest,
                impact_of(old, new, raw_table_bytes(data, name, bounds=UPLOAD_BOUNDS), name),
            )
        except AnswersError as exc:
            kept = (digest, exc)
        st.session_state[key] = kept
    if isinstance(kept[1], AnswersError):
        raise kept[1]
    result: Impact = kept[1]
    return result
