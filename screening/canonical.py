"""One canonical JSON form for hashing: what a fingerprint is taken over, written once.

Keys sorted, no spaces, every character outside ASCII written as a `\\u` escape, so the bytes
do not depend on how a file was laid out or on any encoding. The rule pack's sha256 and the
PDF record's checklist fingerprint (`checklist_digest`) are both taken over this form.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from screening.models import Checklist


def canonical_json(data: object) -> bytes:
    """JSON data in canonical form, as ASCII bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def canonical_sha256(data: object) -> str:
    """The sha256 of JSON data in canonical form, as hex."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def checklist_digest(checklist: Checklist) -> str:
    """The checklist's fingerprint: the sha256 of its canonical JSON, printed in the PDF, kept
    in its record and standing in for a missing patient reference in a download's name."""
    return canonical_sha256(checklist.model_dump(mode="json"))
