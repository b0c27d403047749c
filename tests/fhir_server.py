"""A FHIR server stand-in for the CDS service's `fhirServer` path: in memory, reached through
urllib (so the service's own fetch code runs), never the network.

It answers searches as the FHIR REST specification (R4, 3.1.1.5 and search 3.1.1.5.6) has a
server do: a `searchset` Bundle with `total`, a `self` link naming the parameters it used, each
entry with its `fullUrl` and `search.mode` `match`; `_sort` on the parameters it knows (a
leading `-` for descending, several comma-separated); `_count` as the page size (its own
default otherwise), and paging by a `next` link that, as HAPI's does, points at the server's
base with an opaque page id, not at the search. Parameters it does not know are ignored and
left out of the `self` link (lenient handling, as the specification allows). Every request needs
the bearer token.
"""

from __future__ import annotations

import email.message
import io
import itertools
import urllib.request
import urllib.response
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

SORTS = {
    "authored": lambda r: r.get("authored") or "",
    "date": lambda r: (
        r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start") or ""
    ),
    "_lastUpdated": lambda r: (r.get("meta") or {}).get("lastUpdated") or "",
    "_id": lambda r: r.get("id") or "",
}
"""The `_sort` parameters the stand-in knows, each as the value it sorts by."""


def _patient(resource: dict[str, Any]) -> str | None:
    reference = (resource.get("subject") or resource.get("patient") or {}).get("reference")
    return reference.removeprefix("Patient/") if isinstance(reference, str) else None


def _status(resource: dict[str, Any]) -> set[str]:
    """A resource's status codes: `status`, or a CodeableConcept's (clinicalStatus)."""
    found = {resource["status"]} if isinstance(resource.get("status"), str) else set()
    for coding in (resource.get("clinicalStatus") or {}).get("coding", []):
        found.add(coding.get("code"))
    return found


def _matches(resource: dict[str, Any], name: str, value: str) -> bool | None:
    """Whether a resource matches one search parameter (a comma means OR); None: unknown."""
    wanted = set(value.split(","))
    if name in ("patient", "subject"):
        return _patient(resource) in {w.removeprefix("Patient/") for w in wanted}
    if name in ("status", "clinical-status"):
        return bool(_status(resource) & wanted)
    if name == "questionnaire":
        canonical = str(resource.get("questionnaire", "")).partition("|")[0]
        return canonical in wanted
    return None


class FhirStandIn:
    """The FHIR server at `base` (the `fhirServer` a call names), its resources, and what it was
    asked (`asked`: every URL, in order)."""

    TOKEN = "some-opaque-fhir-access-token"

    def __init__(self, base: str, resources: list[dict[str, Any]], page_size: int = 50) -> None:
        self.base = base.rstrip("/")
        self.resources = resources
        self.page_size = page_size
        self.asked: list[str] = []
        self.redirect = False
        self.next_elsewhere: str | None = None
        """A base to put in `next` links instead of this server's (a server gone wrong)."""
        self._pages: dict[str, tuple[list[dict[str, Any]], str, int]] = {}
        self._ids = itertools.count(1)
        app = Starlette(routes=[Route("/fhir", self._page), Route("/fhir/{kind}", self._search)])
        self.client = TestClient(app, follow_redirects=False)

    def _refused(self, request: Request) -> Response | None:
        self.asked.append(str(request.url))
        if self.redirect:
            return Response(status_code=302, headers={"Location": "https://elsewhere.example/"})
        if request.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        return None

    async def _search(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        kind = request.path_params["kind"]
        query = parse_qs(urlsplit(str(request.url)).query)
        found = [r for r in self.resources if r["resourceType"] == kind]
        used: dict[str, str] = {}
        for name, (value, *_) in query.items():
            checks = [_matches(r, name, value) for r in found]
            if name.startswith("_") or None in checks:
                continue
            found = [r for r, keep in zip(found, checks, strict=True) if keep]
            used[name] = value
        sort = [key for key in query.get("_sort", [""])[0].split(",") if key.lstrip("-") in SORTS]
        for key in reversed(sort):  # the first key decides; later keys break its ties
            found.sort(key=SORTS[key.lstrip("-")], reverse=key.startswith("-"))
        if sort:
            used["_sort"] = ",".join(sort)
        count = int(query["_count"][0]) if "_count" in query else self.page_size
        used["_count"] = str(count)
        self_url = f"{self.base}/{kind}?{urlencode(used)}"
        page_id = str(next(self._ids))
        self._pages[page_id] = (found, self_url, count)
        return JSONResponse(self._bundle(page_id, 0))

    async def _page(self, request: Request) -> Response:
        """`[base]?_getpages=ID&_getpagesoffset=N`: a further page of an earlier search."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        page_id = request.query_params.get("_getpages", "")
        if page_id not in self._pages:
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=410)
        return JSONResponse(self._bundle(page_id, int(request.query_params["_getpagesoffset"])))

    def _bundle(self, page_id: str, offset: int) -> dict[str, Any]:
        found, self_url, count = self._pages[page_id]
        base = self.next_elsewhere or self.base
        links = [{"relation": "self", "url": self_url}]
        if offset + count < len(found):
            links.append(
                {
                    "relation": "next",
                    "url": f"{base}?_getpages={page_id}&_getpagesoffset={offset + count}"
                    f"&_count={count}&_bundletype=searchset",
                }
            )
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{self.base}/{r['resourceType']}/{r.get('id')}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in found[offset : offset + count]
            ],
        }


class StandInHandler(urllib.request.BaseHandler):
    """Answers urllib's http(s) requests from the stand-in, so nothing reaches the network; a
    request to anywhere but under the stand-in's base fails the test."""

    handler_order = 100

    def __init__(self, stand_in: FhirStandIn) -> None:
        self.stand_in, self.base = stand_in, stand_in.base

    def _answer(self, request: urllib.request.Request) -> Any:
        url = request.full_url
        assert url.startswith((self.base + "/", self.base + "?")), f"asked another host: {url}"
        path = "/fhir" + url[len(self.base) :]
        answer = self.stand_in.client.get(path, headers=dict(request.header_items()))
        headers = email.message.Message()
        for name, value in answer.headers.items():
            headers[name] = value
        reply = urllib.response.addinfourl(
            io.BytesIO(answer.content), headers, url, answer.status_code
        )
        reply.msg = answer.reason_phrase  # type: ignore[attr-defined]
        return reply

    http_open = _answer
    https_open = _answer
