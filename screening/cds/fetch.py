"""Prefetch the EHR did not send, fetched from the call's own FHIR server with its token.

Only when the clinic has listed that FHIR server in the service's configuration, only the
service's own prefetch templates (filled with the call's patient id), only from that server
(no redirect is followed), each answer at most `MAX_FETCH_BYTES`, all of them within
`FETCH_SECONDS`. Nothing fetched is kept beyond the call.

Paging as the FHIR REST specification has it: a search that asks for `_count` (with its
`_sort`: the latest response, the latest readings) wants that first page only, and no `next`
link is read; a search that does not (the active medications, conditions, allergies: the whole
list matters) has its `next` links followed, on the same server only, up to `MAX_PAGES` pages,
and its pages' entries are joined into one searchset Bundle. A list longer than that is not
cut short silently: the call gets 412 saying so.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from screening.catalogue import _
from screening.limits import MAX_NUMBER_DIGITS
from screening.text import strict_json

MAX_FETCH_BYTES = 1_000_000
"""One search's answer; a patient's active medications fit in a few kilobytes."""

FETCH_SECONDS = 3.0
"""All fetches of one call together; CDS Hooks asks for an answer in about 500 ms."""

MAX_FETCHES = 8
"""Searches in one call: one per prefetch key the service declares."""

MAX_PAGES = 5
"""Pages read of one search that did not ask for `_count`, its `next` links followed; a FHIR
server's default page (often 20 to 100 entries) makes this a hundred or more medications."""

MAX_CALL_BYTES = 4_000_000
"""Every page of every search of one call together."""


class FetchError(Exception):
    """The FHIR server could not give what was asked: the call gets 412 saying why (in the
    language of the call)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        raise FetchError(_("the FHIR server answered with a redirect, which is not followed"))


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
    """Each template's search on `server` with `Authorization: Bearer token`, parsed as JSON;
    a search without `_count` with its `next` pages joined in (see the module's docstring).

    Raises `FetchError` when a search fails, is too large or too slow, or pages beyond its
    bounds or onto another server: the service then answers 412, as it does when neither
    prefetch nor a FHIR server is available.
    """
    if len(templates) > MAX_FETCHES:
        raise FetchError(_("more than {limit} searches would be needed").format(limit=MAX_FETCHES))
    reader = _Reader(server.rstrip("/"), token, time.monotonic() + FETCH_SECONDS)
    found: dict[str, Any] = {}
    for key, template in templates.items():
        search = fill(template, patient)
        first = reader.get(key, f"{reader.base}/{search}")
        one_page = "_count" in parse_qs(urlsplit(search).query)
        found[key] = first if one_page else reader.all_pages(key, first)
    return found


def next_link(bundle: Any) -> str | None:
    """A searchset Bundle's `next` link, if it has one."""
    links = bundle.get("link") if isinstance(bundle, dict) else None
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None


class _Reader:
    """The searches of one call: one deadline and one byte budget for all their pages."""

    def __init__(self, base: str, token: str, deadline: float) -> None:
        self.base, self.token, self.deadline = base, token, deadline
        self.read = 0

    def on_server(self, url: str) -> bool:
        """Whether a link is under the call's FHIR server (its base, a path or a query on it)."""
        return url == self.base or url.startswith((f"{self.base}/", f"{self.base}?"))

    def all_pages(self, key: str, first: Any) -> Any:
        """The search's pages, `next` after `next`, joined into the first page's Bundle."""
        url = next_link(first)
        if url is None:
            return first
        entries = list(first.get("entry") or [])
        pages = 1
        while url is not None:
            if pages == MAX_PAGES:
                raise FetchError(
                    _("the {key} search has more than {limit} pages: not read in part").format(
                        key=key, limit=MAX_PAGES
                    )
                )
            if not self.on_server(url):
                raise FetchError(
                    _("the {key} search's next page is not on the FHIR server").format(key=key)
                )
            page = self.get(key, url)
            if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
                raise FetchError(
                    _("page {page} of the {key} search is not a Bundle").format(
                        page=pages + 1, key=key
                    )
                )
            entries += page.get("entry") or []
            pages += 1
            url = next_link(page)
        links = [
            link
            for link in first.get("link") or []
            if not (isinstance(link, dict) and link.get("relation") == "next")
        ]
        return {**first, "link": links, "entry": entries}

    def get(self, key: str, url: str) -> Any:
        """One GET with the token, parsed as JSON, within the call's time and bytes."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchError(
                _("the FHIR server did not answer within {seconds} s").format(
                    seconds=f"{FETCH_SECONDS:g}"
                )
            )
        request = urllib.request.Request(
            url,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/fhir+json"},
        )
        limit = min(MAX_FETCH_BYTES, MAX_CALL_BYTES - self.read)
        try:
            with _OPENER.open(request, timeout=left) as answer:
                data = answer.read(limit + 1)
        except urllib.error.HTTPError as exc:
            raise FetchError(
                _("the FHIR server answered {status} to the {key} search").format(
                    status=exc.code, key=key
                )
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError):
            raise FetchError(
                _("the FHIR server could not be reached for the {key} search").format(key=key)
            ) from None
        if len(data) > limit:
            raise FetchError(
                _("the {key} search gave more than {limit} bytes").format(
                    key=key, limit=MAX_FETCH_BYTES
                )
                if limit == MAX_FETCH_BYTES
                else _("the searches gave more than {limit} bytes in all").format(
                    limit=MAX_CALL_BYTES
                )
            )
        self.read += len(data)
        try:  # read strictly, as a call's own body: half a surrogate pair could not be sent on
            return strict_json(
                data.decode("utf-8"),
                max_digits=MAX_NUMBER_DIGITS,
                refuse_constants=True,
                refuse_surrogates=True,
            )
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or refused by strict_json
            raise FetchError(_("the {key} search did not give JSON").format(key=key)) from None
