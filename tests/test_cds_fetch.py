"""The CDS service's `fhirServer` path against a FHIR server stand-in that answers searches as
the FHIR REST specification has a server do (tests/fhir_server.py): the latest response is asked
for sorted, one page of one; a record list is read across its `next` pages, within bounds, on
the call's server only; anything beyond the bounds is 412, never a list cut short."""

from __future__ import annotations

import io
import urllib.request
import urllib.response
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from screening import AnswersFile, RulePack, evaluate
from screening.cds import fetch as fetch_module
from screening.cds.prefetch import record_prefetch
from screening.fhir.response import questionnaire_response
from tests.fhir_server import FhirStandIn, StandInHandler
from tests.test_cds import PATIENT_VIEW, RECORD, RXNORM, SOME, bundle, call_body, signed_client

SERVER = "https://ehr.example/fhir"
PATIENT = {"reference": "Patient/p1"}


def medication(n: int, code: str = "3322", display: str = "diazepam") -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": f"m{n}",
        "status": "active",
        "subject": PATIENT,
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}]
        },
        "effectivePeriod": {"start": f"2026-10-{n + 1:02}"},
    }


THEOPHYLLINE = medication(9, "10438", "theophylline")


def response(pack: RulePack, authored: str, answers: AnswersFile = SOME) -> dict[str, Any]:
    """A completed response of patient p1, made at `authored`."""
    made = questionnaire_response(evaluate(pack, answers))
    return {**made, "id": f"r-{authored[:10]}", "subject": PATIENT, "authored": authored}


def stand_in_for(
    monkeypatch: pytest.MonkeyPatch, resources: list[dict[str, Any]], page_size: int = 50
) -> FhirStandIn:
    """The stand-in as the service's FHIR server: its fetches reach it and nothing else."""
    server = FhirStandIn(SERVER, resources, page_size)
    opener = urllib.request.build_opener(fetch_module._NoRedirect(), StandInHandler(server))
    monkeypatch.setattr(fetch_module, "_OPENER", opener)
    return server


def from_the_server(pack: RulePack) -> Any:
    """A patient-view call that sends no prefetch, only its FHIR server and token."""
    body = call_body(
        pack,
        fhirServer=SERVER,
        fhirAuthorization={
            "access_token": FhirStandIn.TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
    )
    del body["prefetch"]
    return body


def call(pack: RulePack, body: Any) -> Any:
    return signed_client(pack, fhir_servers=(SERVER,)).post(PATIENT_VIEW, json=body)


def asked_for(server: FhirStandIn, kind: str) -> list[dict[str, list[str]]]:
    """The queries of the searches and pages the service asked of one resource type (a page
    asked at the base counts for the search it continues)."""
    found, last = [], None
    for url in server.asked:
        parts = urlsplit(url)
        if parts.path.endswith(f"/{kind}"):
            last = kind
        elif not parts.path.endswith("/fhir") or last != kind:
            last = None
            continue
        found.append(parse_qs(parts.query))
    return found


class TestTheStandInAnswersAsTheSpecificationSays:
    """What the tests below rely on: searchset Bundles, `_sort`, `_count`, `next` paging."""

    def test_a_search_pages_with_next_links_until_every_match_is_given(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        server = stand_in_for(monkeypatch, [medication(n) for n in range(5)], page_size=2)
        headers = {"Authorization": f"Bearer {FhirStandIn.TOKEN}"}
        page = server.client.get("/fhir/MedicationStatement?patient=p1", headers=headers).json()
        assert (page["type"], page["total"]) == ("searchset", 5)
        assert page["link"][0] == {
            "relation": "self",
            "url": f"{SERVER}/MedicationStatement?patient=p1&_count=2",
        }
        ids = []
        while True:
            ids += [e["resource"]["id"] for e in page["entry"]]
            assert {e["search"]["mode"] for e in page["entry"]} == {"match"}
            following = [link["url"] for link in page["link"] if link["relation"] == "next"]
            if not following:
                break
            assert following[0].startswith(f"{SERVER}?_getpages=")
            page = server.client.get(following[0].replace(SERVER, "/fhir"), headers=headers)
            page = page.json()
        assert ids == ["m0", "m1", "m2", "m3", "m4"]

    def test_sort_orders_by_its_parameter_descending_with_a_minus(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        dates = ["2026-11-02T09:00:00Z", "2026-12-01T09:00:00+01:00", "2026-06-30T23:00:00Z"]
        server = stand_in_for(monkeypatch, [response(shipped_pack, d) for d in dates])
        headers = {"Authorization": f"Bearer {FhirStandIn.TOKEN}"}
        for sort, count, expected in [("-authored", 1, [1]), ("authored", 3, [2, 0, 1])]:
            page = server.client.get(
                f"/fhir/QuestionnaireResponse?subject=Patient/p1&_sort={sort}&_count={count}",
                headers=headers,
            ).json()
            assert [e["resource"]["authored"] for e in page["entry"]] == [
                dates[i] for i in expected
            ]

    def test_parameters_it_does_not_know_are_left_out_of_the_self_link(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        server = stand_in_for(monkeypatch, [medication(1)])
        page = server.client.get(
            "/fhir/MedicationStatement?patient=p1&_include=MedicationStatement:medication"
            "&_sort=nonsense",
            headers={"Authorization": f"Bearer {FhirStandIn.TOKEN}"},
        ).json()
        assert page["link"][0]["url"] == f"{SERVER}/MedicationStatement?patient=p1&_count=50"


class TestTheServiceFetchesAsItRequests:
    def test_the_latest_response_is_asked_for_sorted_and_only_its_first_page_is_read(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        latest = response(shipped_pack, "2026-12-01T09:00:00Z")
        older = response(
            shipped_pack, "2026-11-02T09:00:00Z", AnswersFile(answers={"course_planned": "no"})
        )
        server = stand_in_for(monkeypatch, [older, latest, older], page_size=1)
        answer = call(shipped_pack, from_the_server(shipped_pack))
        assert answer.status_code == 200, answer.text
        (query,) = asked_for(server, "QuestionnaireResponse")  # one page, though more exist
        assert (query["_sort"], query["_count"]) == (["-authored"], ["1"])
        assert query["subject"] == ["Patient/p1"]
        sent = call_body(shipped_pack)  # the same response and an empty record, prefetched
        sent["prefetch"] = {"checklistResponse": bundle(latest)}
        sent["prefetch"].update({key: bundle() for key in record_prefetch(RECORD)})
        direct = call(shipped_pack, sent).json()["cards"]
        (card,) = answer.json()["cards"]
        assert (card["summary"], card["detail"]) == (direct[0]["summary"], direct[0]["detail"])

    def test_the_readings_are_asked_for_sorted_by_date_ten_at_most(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        server = stand_in_for(monkeypatch, [])
        assert call(shipped_pack, from_the_server(shipped_pack)).status_code == 200
        (query,) = asked_for(server, "Observation")
        assert (query["_sort"], query["_count"]) == (["-date"], ["10"])

    def test_a_medication_list_over_several_pages_is_read_whole(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        listed = [medication(n) for n in range(4)] + [THEOPHYLLINE]
        server = stand_in_for(monkeypatch, listed, page_size=2)
        answer = call(shipped_pack, from_the_server(shipped_pack))
        assert answer.status_code == 200, answer.text
        assert len(asked_for(server, "MedicationStatement")) == 3  # pages of 2, 2 and 1
        (card,) = answer.json()["cards"]
        assert "theophylline (MedicationStatement, 2026-10-10)" in card["detail"]

    def test_a_list_longer_than_the_pages_read_is_412_never_read_in_part(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        listed = [medication(n) for n in range(fetch_module.MAX_PAGES)] + [THEOPHYLLINE]
        server = stand_in_for(monkeypatch, listed, page_size=1)
        answer = call(shipped_pack, from_the_server(shipped_pack))
        assert answer.status_code == 412
        assert answer.json()["issue"][0]["diagnostics"] == (
            "prefetch is missing and the medicationStatements search has more than "
            f"{fetch_module.MAX_PAGES} pages: not read in part"
        )
        assert len(asked_for(server, "MedicationStatement")) == fetch_module.MAX_PAGES

    def test_a_next_link_to_another_server_is_not_followed(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        server = stand_in_for(monkeypatch, [medication(1), THEOPHYLLINE], page_size=1)
        server.next_elsewhere = "https://elsewhere.example/fhir"
        answer = call(shipped_pack, from_the_server(shipped_pack))
        assert answer.status_code == 412
        assert answer.json()["issue"][0]["diagnostics"].endswith(
            "search's next page is not on the FHIR server"
        )
        assert len(asked_for(server, "MedicationStatement")) == 1  # the first page only

    def test_the_searches_of_one_call_share_one_byte_budget(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        stand_in_for(monkeypatch, [medication(n) for n in range(4)], page_size=1)
        monkeypatch.setattr(fetch_module, "MAX_CALL_BYTES", 3_000)
        answer = call(shipped_pack, from_the_server(shipped_pack))
        assert answer.status_code == 412
        assert answer.json()["issue"][0]["diagnostics"].endswith(
            "searches gave more than 3000 bytes in all"
        )

    def test_half_a_surrogate_pair_from_the_server_is_412_not_a_failure_to_reply(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        """A server that escapes half a pair (`\\ud800` alone) sent text no reply can carry:
        read as any other input, it is not JSON to this service, never a 500."""

        class HalfAPair(StandInHandler):
            def _answer(self, request: urllib.request.Request) -> Any:
                reply = super()._answer(request)
                data = reply.read().replace(b"HALF", b"\\ud800")
                mangled = urllib.response.addinfourl(
                    io.BytesIO(data), reply.headers, reply.url, 200
                )
                mangled.msg = "OK"  # type: ignore[attr-defined]
                return mangled

            http_open = _answer
            https_open = _answer

        server = FhirStandIn(SERVER, [medication(1, "10438", "theo HALF phylline")])
        opener = urllib.request.build_opener(fetch_module._NoRedirect(), HalfAPair(server))
        monkeypatch.setattr(fetch_module, "_OPENER", opener)
        answer = call(shipped_pack, from_the_server(shipped_pack))
        assert answer.status_code == 412, answer.text
        assert answer.json()["issue"][0]["diagnostics"] == (
            "prefetch is missing and the medicationStatements search did not give JSON"
        )
