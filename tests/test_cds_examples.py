"""The CDS Hooks specification's own examples, kept verbatim, run against the service.

The requests, feedback bodies, JWT and keys in tests/fixtures/cds-hooks/ come unchanged from
the specification (see the README there). A FHIR server stand-in answers the searches the
service makes when the EHR sends no prefetch: in memory, through urllib, never the network.
"""

from __future__ import annotations

import email.message
import io
import json
import time
import urllib.request
import urllib.response
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from screening import RulePack
from screening.cds import fetch as fetch_module
from screening.cds.auth import AuthError, JwtChecker
from screening.cds.config import ServiceConfig
from screening.cds.service import create_app
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.record_map import load_record_map

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "cds-hooks"
ISSUER = "https://fhir-ehr.example.com/"
AUDIENCE = "http://testserver"
PATIENT_VIEW = "/cds-services/ketamine-checklist"
ORDER_SELECT = "/cds-services/ketamine-checklist-order"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


PRIVATE = jwt.PyJWK(example("jwk-private.json")).key


def spec_token(path: str) -> str:
    """A JWT as the specification's example EHR signs it, with its own published key."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE + path, "exp": now + 60, "iat": now}
    claims["jti"] = str(uuid.uuid4())
    return jwt.encode(
        claims, PRIVATE, algorithm="ES384", headers={"kid": "example-kid", "typ": "JWT"}
    )


def app_for(pack: RulePack, **settings: Any) -> TestClient:
    config = ServiceConfig(
        issuers={ISSUER: example("jwks-public.json")},
        audience=AUDIENCE,
        allowed_hosts=("testserver",),
        **settings,
    )
    record = load_record_map(DEFAULT_RULES_DIR, pack)
    return TestClient(create_app(pack, config=config, record=record), raise_server_exceptions=False)


def post(client: TestClient, path: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {spec_token(path)}"}
    return client.post(path, json=body, headers=headers)


class TestTheSpecificationsJwt:
    """The example JWT verifies against the example JWK Set, and is refused as expired."""

    def test_its_signature_verifies_with_the_published_key(self) -> None:
        token = (EXAMPLES / "jwt-example.txt").read_text(encoding="utf-8").strip()
        key = jwt.PyJWKSet.from_dict(example("jwks-public.json"))["example-kid"]
        claims = jwt.decode(
            token, key, algorithms=["ES384"], options={"verify_exp": False, "verify_aud": False}
        )
        assert claims == example("jwt-payload.json")

    def test_the_service_refuses_it_as_expired(self) -> None:
        token = (EXAMPLES / "jwt-example.txt").read_text(encoding="utf-8").strip()
        checker = JwtChecker({ISSUER: example("jwks-public.json")})
        with pytest.raises(AuthError, match="the JWT has expired"):
            checker.check(f"Bearer {token}", {"https://cds.example.org/cds-services/some-service"})

    def test_a_fresh_token_from_the_example_key_is_accepted(self) -> None:
        checker = JwtChecker({ISSUER: example("jwks-public.json")})
        claims = checker.check(f"Bearer {spec_token('/x')}", {AUDIENCE + "/x"})
        assert claims["iss"] == ISSUER


class FhirStandIn:
    """A FHIR server in memory: searches by patient give searchset Bundles, `_count` pages with
    a `next` link, and every search needs the call's bearer token."""

    TOKEN = "some-opaque-fhir-access-token"

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.resources = resources
        self.asked: list[str] = []
        self.redirect = False

        async def search(request: Request) -> Response:
            self.asked.append(str(request.url))
            if self.redirect:
                return Response(status_code=302, headers={"Location": "https://elsewhere.example/"})
            if request.headers.get("authorization") != f"Bearer {self.TOKEN}":
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
            kind = request.path_params["kind"]
            query = parse_qs(urlsplit(str(request.url)).query)
            patient = (query.get("patient") or query.get("subject") or [""])[0]
            patient = patient.removeprefix("Patient/")
            found = [
                r
                for r in self.resources
                if r["resourceType"] == kind
                and (r.get("subject") or r.get("patient") or {}).get("reference")
                == f"Patient/{patient}"
            ]
            count = int(query.get("_count", ["50"])[0])
            bundle: dict[str, Any] = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(found),
                "entry": [{"resource": r} for r in found[:count]],
            }
            if len(found) > count:
                bundle["link"] = [{"relation": "next", "url": f"{request.url}&page=2"}]
            return JSONResponse(bundle)

        app = Starlette(routes=[Route("/fhir/{kind}", search)])
        self.client = TestClient(app, follow_redirects=False)


class StandInHandler(urllib.request.BaseHandler):
    """Answers urllib's http(s) requests from the stand-in, so nothing reaches the network."""

    handler_order = 100

    def __init__(self, stand_in: FhirStandIn, base: str) -> None:
        self.stand_in, self.base = stand_in, base.rstrip("/")

    def _answer(self, request: urllib.request.Request) -> Any:
        url = request.full_url
        assert url.startswith(self.base + "/"), f"the service asked another host: {url}"
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


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> FhirStandIn:
    """The FHIR server of the specification's example request, with one patient's record."""
    server = example("patient-view-request.json")["fhirServer"]
    patient = {"reference": "Patient/1288992"}
    records = FhirStandIn(
        [
            {
                "resourceType": "MedicationStatement",
                "id": "theo",
                "status": "active",
                "subject": patient,
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": "10438", "display": "theophylline"}]
                },
                "effectivePeriod": {"start": "2026-10-01"},
            },
            {
                "resourceType": "MedicationStatement",
                "id": "other-patient",
                "status": "active",
                "subject": {"reference": "Patient/999"},
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "3322"}]},
            },
        ]
    )
    opener = urllib.request.build_opener(
        fetch_module._NoRedirect(), StandInHandler(records, server)
    )
    monkeypatch.setattr(fetch_module, "_OPENER", opener)
    return records


class TestTheSpecificationsRequests:
    """The example requests, verbatim: cards from the record when the FHIR server is allowed."""

    def test_the_patient_view_example_without_an_allowed_fhir_server_is_412(
        self, shipped_pack: RulePack
    ) -> None:
        response = post(app_for(shipped_pack), PATIENT_VIEW, example("patient-view-request.json"))
        assert response.status_code == 412
        (issue,) = response.json()["issue"]
        assert issue["diagnostics"].startswith("prefetch checklistResponse is missing")

    def test_the_patient_view_example_gets_a_card_from_the_record_alone(
        self, shipped_pack: RulePack, stand_in: FhirStandIn
    ) -> None:
        body = example("patient-view-request.json")
        client = app_for(shipped_pack, fhir_servers=(body["fhirServer"],))
        response = post(client, PATIENT_VIEW, body)
        assert response.status_code == 200, response.text
        (card,) = response.json()["cards"]
        assert "1 answer from the record" in card["summary"]
        assert "theophylline (MedicationStatement, 2026-10-01)" in card["detail"]
        assert stand_in.asked  # it searched the EHR's FHIR server ...
        host = urlsplit(body["fhirServer"]).netloc
        assert {urlsplit(u).netloc for u in stand_in.asked} == {host}
        kinds = sorted(urlsplit(u).path.rsplit("/", 1)[1] for u in stand_in.asked)
        assert kinds == [
            "AllergyIntolerance",
            "Condition",
            "MedicationRequest",
            "MedicationStatement",
            "Observation",
            "QuestionnaireResponse",
        ]
        assert not any("page=2" in u for u in stand_in.asked)  # ... and read no next page

    def test_a_fhir_server_that_refuses_the_token_gives_412(
        self, shipped_pack: RulePack, stand_in: FhirStandIn
    ) -> None:
        stand_in.TOKEN = "another-token"
        body = example("patient-view-request.json")
        client = app_for(shipped_pack, fhir_servers=(body["fhirServer"],))
        response = post(client, PATIENT_VIEW, body)
        assert response.status_code == 412
        (issue,) = response.json()["issue"]
        assert issue["diagnostics"] == (
            "prefetch is missing and the FHIR server answered 401 to the checklistResponse search"
        )

    def test_a_redirect_is_not_followed(
        self, shipped_pack: RulePack, stand_in: FhirStandIn
    ) -> None:
        stand_in.redirect = True
        body = example("patient-view-request.json")
        client = app_for(shipped_pack, fhir_servers=(body["fhirServer"],))
        response = post(client, PATIENT_VIEW, body)
        assert response.status_code == 412
        (issue,) = response.json()["issue"]
        assert issue["diagnostics"] == (
            "prefetch is missing and the FHIR server answered with a redirect, which is not "
            "followed"
        )
        assert len(stand_in.asked) == 1

    def test_the_order_select_example_orders_no_ketamine_so_no_cards(
        self, shipped_pack: RulePack
    ) -> None:
        body = {
            "hook": "order-select",
            "hookInstance": str(uuid.uuid4()),
            **example("order-select-context.json"),
            "prefetch": {"checklistResponse": None},
        }
        response = post(app_for(shipped_pack), ORDER_SELECT, body)
        assert response.status_code == 200, response.text
        assert response.json() == {"cards": []}

    @pytest.mark.parametrize(
        "name",
        [
            "feedback-accepted.json",
            "feedback-overridden.json",
            "feedback-overridden-with-reason.json",
        ],
    )
    def test_the_feedback_examples_are_accepted_and_counted(
        self, shipped_pack: RulePack, name: str
    ) -> None:
        client = app_for(shipped_pack)
        path = f"{PATIENT_VIEW}/feedback"
        response = post(client, path, example(name))
        assert response.status_code == 200, response.text
        assert sum(client.app.state.feedback.values()) == 1  # type: ignore[attr-defined]
