"""The CDS Hooks specification's own examples, kept verbatim, run against the service.

The requests, feedback bodies, JWT and keys in tests/fixtures/cds-hooks/ come unchanged from
the specification (see the README there). A FHIR server stand-in (tests/fhir_server.py)
answers the searches the service makes when the EHR sends no prefetch: in memory, through
urllib, never the network.
"""

from __future__ import annotations

import json
import time
import urllib.request
import urllib.response
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from starlette.testclient import TestClient

from screening import RulePack
from screening.cds import fetch as fetch_module
from screening.cds.auth import AuthError, JwtChecker
from screening.cds.config import ServiceConfig
from screening.cds.service import create_app
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.record_map import load_record_map
from tests.fhir_server import FhirStandIn, StandInHandler

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


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> FhirStandIn:
    """The FHIR server of the specification's example request, with one patient's record."""
    server = example("patient-view-request.json")["fhirServer"]
    patient = {"reference": "Patient/1288992"}
    records = FhirStandIn(
        server,
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
        ],
    )
    opener = urllib.request.build_opener(fetch_module._NoRedirect(), StandInHandler(records))
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
