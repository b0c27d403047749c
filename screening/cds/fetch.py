"""Prefetch the EHR did not send, fetched from the call's own FHIR server with its token.

Only when the clinic has listed that FHIR server in the service's configuration, only the
service's own prefetch templates (filled with the call's patient id), only from that server
(no redirect is followed, no `next` page is read), each answer at most `MAX_FETCH_BYTES`,
all of them within `FETCH_SECONDS`. Nothing fetched is kept beyond the call.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

MAX_FETCH_BYTES = 1_000_000
"""One search's answer; a patient's active medications fit in a few kilobytes."""

FETCH_SECONDS = 3.0
"""All fetches of one call together; CDS Hooks asks for an answer in about 500 ms."""

MAX_FETCHES = 8
"""Searches in one call: one per prefetch key the service declares."""


class FetchError(Exception):
    """The FHIR server could not give what was asked: the call gets 412 saying why."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        raise FetchError("the FHIR server answered with a redirect, which is not followed")


_OPENER = urllib.request.build_opener(_NoRedirect())


def same_server(server: str, allowed: tuple[str, ...]) -> bool:
    """Whether a call's `fhirServer` is one the clinic listed (compared without a final `/`)."""
    parts = urlsplit(server)
    return parts.scheme in ("http", "https") and server.rstrip("/") in {
        a.rstrip("/") for a in allowed
    }


def fill(template: str, patient: str) -> str:
    """A prefetch template with the patient id the call gave (already checked as a FHIR id)."""
    return template.replace("{{context.patientId}}", patient)


def fetch_prefetch(
    server: str, token: str, templates: Mapping[str, str], patient: str
) -> dict[str, Any]:
    """Each template's search on `server` with `Authorization: Bearer token`, parsed as JSON.

    Raises `FetchError` when a search fails, is too large or too slow: the service then
    answers 412, as it does when neither prefetch nor a FHIR server is available.
    """
    if len(templates) > MAX_FETCHES:
        raise FetchError(f"more than {MAX_FETCHES} searches would be needed")
    deadline = time.monotonic() + FETCH_SECONDS
    found: dict[str, Any] = {}
    base = server.rstrip("/")
    for key, template in templates.items():
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"the FHIR server did not answer within {FETCH_SECONDS:g} s")
        request = urllib.request.Request(
            f"{base}/{fill(template, patient)}",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"},
        )
        try:
            with _OPENER.open(request, timeout=left) as answer:
                data = answer.read(MAX_FETCH_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"the FHIR server answered {exc.code} to the {key} search") from None
        except (urllib.error.URLError, TimeoutError, OSError):
            raise FetchError(f"the FHIR server could not be reached for the {key} search") from None
        if len(data) > MAX_FETCH_BYTES:
            raise FetchError(f"the {key} search gave more than {MAX_FETCH_BYTES} bytes")
        try:
            found[key] = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise FetchError(f"the {key} search did not give JSON") from None
    return found
