"""One canonical JSON form for hashing: what a fingerprint is taken over, written once.

Keys sorted, no spaces, every character outside ASCII written as a `\\u` escape, so the bytes
do not depend on how a file was laid out or on any encoding. The rule pack's sha256 and the
PDF record's checklist fingerprint are both taken over this form.
"""

from __future__ import annotations

import hashlib
import json


def canonical_json(data: object) -> bytes:
    """JSON data in canonical form, as ASCII bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def canonical_sha256(data: object) -> str:
    """The sha256 of JSON data in canonical form, as hex."""
    return hashlib.sha256(canonical_json(data)).hexdigest()
