"""The CDS Hooks service: the checklist as cards, refusals as OperationOutcomes, nothing kept."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from starlette.testclient import TestClient

from screening import AnswersFile, RulePack, ScreeningError, evaluate
from screening.catalogue import PSEUDO_LANGUAGE, speaking
from screening.cds import calls as calls_module
from screening.cds.auth import JwtChecker
from screening.cds.cards import SHORT_OPEN_PREFIX, checklist_cards, summary_line
from screening.cds.config import ServiceConfig, load_config
from screening.cds.service import create_app
from screening.cli import cli
from screening.fhir.response import questionnaire_response
from screening.limits import MAX_CDS_BODY_BYTES
from screening.markdown import md_escape
from screening.models import DiscussedMark
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.record_map import load_record_map
from screening.pseudo_locale import pseudo
from tests.conftest import write_answers

ROOT = Path(__file__).resolve().parent.parent
SOME = AnswersFile(
    answers={
        "substance_use_history": "yes",
        "substance_use_active": "unknown",
        "monitoring_available": "no",
        "long_term_opioid_use": "yes",
    },
    patient_reference="bed 4",
)
PATIENT_VIEW = "/cds-services/ketamine-checklist"
ORDER_SELECT = "/cds-services/ketamine-checklist-order"


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def bound(response: dict[str, Any], patient: str = "p1") -> dict[str, Any]:
    """The response as an EHR stores it: about the patient of the call."""
    return {**response, "subject": {"reference": f"Patient/{patient}"}}


def call_body(
    pack: RulePack, answers: AnswersFile = SOME, hook: str = "patient-view", **extra: Any
) -> dict[str, Any]:
    response = questionnaire_response(evaluate(pack, answers))
    response["subject"] = {"reference": "Patient/p1"}
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/u1", "patientId": "p1"},
        "prefetch": {"checklistResponse": bundle(response)},
    }
    body.update(extra)
    return body


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def ketamine_order(
    order_id: str = "o1", concept: dict[str, Any] | None = None, **fields: Any
) -> Any:
    """A draft MedicationRequest; by default coded with ketamine's RxNorm ingredient code."""
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
    }
    if not fields:
        order["medicationCodeableConcept"] = concept or {
            "coding": [{"system": RXNORM, "code": "6130", "display": "ketamine"}]
        }
    order.update(fields)
    return order


def order_context(*orders: dict[str, Any], selected: str = "MedicationRequest/o1") -> Any:
    return {
        "userId": "Practitioner/u1",
        "patientId": "p1",
        "selections": [selected],
        "draftOrders": bundle(*orders),
    }


def outcome_messages(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [issue["diagnostics"] for issue in body["issue"]]


ISSUER = "https://ehr.example.org"
AUDIENCE = "http://testserver"
"""The service's public base URL in the tests: TestClient calls http://testserver."""


class Ehr:
    """An EHR's signing key (made here, never on the network) and the JWTs it sends."""

    def __init__(self, issuer: str = ISSUER, kid: str = "ehr-key-1") -> None:
        self.issuer, self.kid = issuer, kid
        self.private = ec.generate_private_key(ec.SECP384R1())
        public = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**public, "kid": kid, "use": "sig"}]}

    def token(self, path: str, audience: str = AUDIENCE, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": f"{audience}{path}",
            "exp": now + 120,
            "iat": now,
            "jti": str(uuid.uuid4()),
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, self.private, algorithm="ES384", headers={"kid": self.kid})


EHR = Ehr()


def service_config(**settings: Any) -> ServiceConfig:
    values: dict[str, Any] = {
        "issuers": {ISSUER: EHR.jwks},
        "audience": AUDIENCE,
        "allowed_hosts": ("testserver",),
        **settings,
    }
    return ServiceConfig(**values)


class SignedClient(TestClient):
    """A CDS client as an EHR is one: every POST is JSON and carries a fresh JWT."""

    def post(self, url: Any, **kwargs: Any) -> Any:
        headers = {k.lower(): v for k, v in (kwargs.pop("headers", None) or {}).items()}
        headers.setdefault("authorization", f"Bearer {EHR.token(str(url))}")
        headers.setdefault("content-type", "application/json")
        return super().post(url, headers=headers, **kwargs)


RECORD = load_record_map(DEFAULT_RULES_DIR, load_pack(DEFAULT_RULES_DIR))
TODAY = date(2026, 12, 6)


def signed_client(pack: RulePack, **settings: Any) -> SignedClient:
    app = create_app(pack, config=service_config(**settings), record=RECORD, today=lambda: TODAY)
    return SignedClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(shipped_pack: RulePack) -> TestClient:
    return signed_client(shipped_pack, per_point_cards=True)


class TestDiscovery:
    """Discovery lists a patient-view and an order-select service asking for the response."""

    def test_it_lists_both_hooks_with_the_prefetch_template(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        services = client.get("/cds-services").json()["services"]
        assert [(s["id"], s["hook"]) for s in services] == [
            ("ketamine-checklist", "patient-view"),
            ("ketamine-checklist-order", "order-select"),
        ]
        prefetch = services[0]["prefetch"]
        assert prefetch["checklistResponse"] == (
            "QuestionnaireResponse?questionnaire=http://example.org/fhir/Questionnaire/"
            "ketamine-for-pain-pre-treatment-discussion-checklist"
            "&subject=Patient/{{context.patientId}}"
            "&status=completed,amended&_sort=-authored&_count=1"
        )  # no |version: a response under an older version is found too
        assert sorted(prefetch) == [
            "allergies",
            "checklistResponse",
            "conditions",
            "medicationRequests",
            "medicationStatements",
            "vitalSigns",
        ]
        assert prefetch["vitalSigns"] == (
            "Observation?patient={{context.patientId}}&combo-code=http://loinc.org|8480-6"
            "&status=final,amended,corrected&_sort=-date&_count=10"
        )
        assert services[1]["prefetch"] == prefetch
        assert all(s["title"] and s["description"] for s in services)


class TestCards:
    """One info card per checklist entry, explaining itself; never a suggestion or verdict."""

    def test_cards_equal_the_cli_entries_for_the_same_answers(
        self, client: TestClient, shipped_pack: RulePack, tmp_path: Path
    ) -> None:
        path = write_answers(tmp_path / "a.json", dict(SOME.answers))
        entries = json.loads(CliRunner().invoke(cli, ["evaluate", str(path)]).output)["entries"]
        cards = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        assert [c["source"]["topic"]["code"] for c in cards] == [e["rule_id"] for e in entries]
        for card, entry in zip(cards, entries, strict=True):
            if not entry["open_items"]:
                assert card["summary"] == entry["summary"]
            elif len(entry["text"]) < 140:
                assert card["summary"] == entry["text"]
            else:
                assert card["summary"].startswith(SHORT_OPEN_PREFIX)
                assert card["summary"].endswith(entry["summary"])
            assert len(card["summary"]) < 140
            assert card["indicator"] == "info"
            assert "suggestions" not in card
            for because in entry["because"]:
                assert shipped_pack.item(because["item"]).label in card["detail"]
            assert md_escape(entry["text"], block=True) in card["detail"]
            assert md_escape(entry["rationale"]) in card["detail"]
            for source in entry["sources"]:
                assert f"- {md_escape(source['citation'])}" in card["detail"]

    def test_a_card_tells_what_raised_it_what_is_open_and_its_sources(
        self, shipped_pack: RulePack
    ) -> None:
        cards = checklist_cards(evaluate(shipped_pack, SOME))
        (active,) = [c for c in cards if c["source"]["topic"]["code"] == "substance-active-use"]
        assert active["summary"] == (
            "Find out. If yes: Discuss the current non-medical substance use, with addiction "
            "services if the patient agrees"
        )
        assert active["detail"].startswith(  # the shipped pack is a draft: each card says so
            "**This rule pack is a draft: its content has not completed clinical review.**\n\n"
            "**Verify** (rule `substance-active-use`)"
        )
        assert (
            "**Answers that raised it:** non-medical substance use in the past 12 months = "
            "Unknown" in active["detail"]
        )
        assert (
            "**Still to find out:** non-medical substance use in the past 12 months."
            in (active["detail"])
        )
        rule = next(r for r in shipped_pack.rules if r.id == "substance-active-use")
        assert f"**If it applies:** {md_escape(rule.text)}" in active["detail"]
        assert "\n**Sources**\n\n- " in active["detail"]
        assert active["source"]["label"] == (
            f"{shipped_pack.meta.name} {shipped_pack.meta.version} ({shipped_pack.meta.status})"
        )

    def test_a_card_is_worded_in_the_language_of_each_render_though_its_rule_lines_are_kept(
        self, shipped_pack: RulePack
    ) -> None:
        checklist = evaluate(shipped_pack, SOME)
        english = [c["detail"] for c in checklist_cards(checklist)]
        with speaking(PSEUDO_LANGUAGE):
            pseudo = [c["detail"] for c in checklist_cards(checklist)]
        assert [c["detail"] for c in checklist_cards(checklist)] == english
        for en, xa in zip(english, pseudo, strict=True):
            assert en.partition("\n")[0] != xa.partition("\n")[0]  # the heading, a kept line
            assert en.rpartition("**Sources**")[0] != xa.rpartition("**Sources**")[0]

    def test_a_rule_reworded_in_another_pack_is_worded_anew_on_its_card(
        self, shipped_pack: RulePack
    ) -> None:
        checklist_cards(evaluate(shipped_pack, SOME))  # the shipped wording, kept
        data = shipped_pack.model_dump()
        for rule in data["rules"]:
            rule["rationale"] = f"Reworded: {rule['rationale']}"
        reworded = RulePack.model_validate(data)
        for card in checklist_cards(evaluate(reworded, SOME)):
            assert "**Why it matters:** Reworded: " in card["detail"]

    def test_unknown_is_never_read_as_no(self, shipped_pack: RulePack) -> None:
        unknown = AnswersFile(answers={"monitoring_available": "unknown"})
        cards = checklist_cards(evaluate(shipped_pack, unknown))
        (card,) = [c for c in cards if c["source"]["topic"]["code"] == "setting-monitoring-missing"]
        assert card["summary"] == (
            "Find out. If no: Arrange trained monitoring of vital signs and alertness during and "
            "after every dose"
        )
        assert (
            "**Still to find out:** trained monitoring during and after dosing." in (card["detail"])
        )

    def test_every_card_of_every_call_has_its_own_uuid(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        first = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        again = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        uuids = [c["uuid"] for c in first + again]
        assert len(set(uuids)) == len(uuids) == 2 * len(first)
        assert all(uuid.UUID(u).version == 4 for u in uuids)

    def test_every_topic_names_its_system_and_code(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        cards = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        for card in cards:
            topic = card["source"]["topic"]
            assert topic["system"] == (
                "http://example.org/fhir/CodeSystem/"
                "ketamine-for-pain-pre-treatment-discussion-checklist-rules"
            )
            assert topic["code"]

    def test_a_bare_response_as_prefetch_works_too(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = body["prefetch"]["checklistResponse"]["entry"][0][
            "resource"
        ]

        def without_uuids(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in c.items() if k != "uuid"} for c in cards]

        bare = client.post(PATIENT_VIEW, json=body).json()["cards"]
        in_bundle = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        assert without_uuids(bare) == without_uuids(in_bundle)

    def test_the_latest_of_several_responses_is_read(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        old = bound(
            questionnaire_response(
                evaluate(shipped_pack, AnswersFile(answers={}, date="2026-01-01"))
            )
        )
        new = bound(
            questionnaire_response(
                evaluate(shipped_pack, SOME.model_copy(update={"date": "2026-11-01"}))
            )
        )
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = bundle(new, old)
        cards = client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert len(cards) == len(evaluate(shipped_pack, SOME).entries)

    def test_no_response_on_record_gives_no_cards(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        for empty in (None, bundle()):
            body = call_body(shipped_pack)
            body["prefetch"]["checklistResponse"] = empty
            assert client.post(PATIENT_VIEW, json=body).json() == {"cards": []}


class TestOrderSelect:
    """order-select answers for a selected ketamine order only, known by code, brand or reference."""

    def cards(self, client: TestClient, pack: RulePack, *orders: Any) -> list[dict[str, Any]]:
        body = call_body(pack, hook="order-select", context=order_context(*orders))
        response = client.post(ORDER_SELECT, json=body)
        assert response.status_code == 200, response.text
        return list(response.json()["cards"])

    def test_a_ketamine_order_by_rxnorm_code_gets_the_checklist(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        assert len(self.cards(client, shipped_pack, ketamine_order())) == len(
            evaluate(shipped_pack, SOME).entries
        )

    @pytest.mark.parametrize(
        "concept",
        [
            {"coding": [{"system": RXNORM, "code": "2119365"}]},
            {"text": "Spravato 28 MG Nasal Spray"},
            {"coding": [{"system": "urn:local", "code": "x", "display": "KETALAR 10 mg/mL"}]},
        ],
    )
    def test_esketamine_by_code_and_brand_names_count(
        self, client: TestClient, shipped_pack: RulePack, concept: dict[str, Any]
    ) -> None:
        assert self.cards(client, shipped_pack, ketamine_order(concept=concept))

    def test_a_contained_medication_counts(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        order = ketamine_order(
            medicationReference={"reference": "#med"},
            contained=[
                {
                    "resourceType": "Medication",
                    "id": "med",
                    "code": {"text": "local vial 50 mg/mL"},
                    "ingredient": [
                        {"itemCodeableConcept": {"coding": [{"system": RXNORM, "code": "6130"}]}}
                    ],
                }
            ],
        )
        assert self.cards(client, shipped_pack, order)

    def test_a_prefetched_medication_counts(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        order = ketamine_order(medicationReference={"reference": "Medication/m7"})
        medication = {
            "resourceType": "Medication",
            "id": "m7",
            "code": {"coding": [{"system": RXNORM, "code": "6130"}]},
        }
        context = order_context(order)
        context["draftOrders"]["entry"].append({"resource": medication})
        body = call_body(shipped_pack, hook="order-select", context=context)
        assert client.post(ORDER_SELECT, json=body).json()["cards"]

    @pytest.mark.parametrize(
        "concept",
        [
            {"text": "Ketamine 50 mg/5 mL injection"},  # a word, no code: not recognised
            {"text": "Paracetamol 1 g tablet"},
            {"coding": [{"system": "urn:local", "code": "6130"}]},  # the number in another system
            {"text": "Ketalarish"},  # a brand name only as a whole word
        ],
    )
    def test_other_orders_and_word_matches_get_no_cards(
        self, client: TestClient, shipped_pack: RulePack, concept: dict[str, Any]
    ) -> None:
        assert self.cards(client, shipped_pack, ketamine_order(concept=concept)) == []

    def test_a_ketamine_order_not_selected_gets_no_cards(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        context = order_context(ketamine_order(), selected="MedicationRequest/other")
        body = call_body(shipped_pack, hook="order-select", context=context)
        assert client.post(ORDER_SELECT, json=body).json() == {"cards": []}

    def test_a_ketamine_order_with_no_answers_and_no_record_says_so_in_one_card(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack, hook="order-select", context=order_context(ketamine_order()))
        body["prefetch"]["checklistResponse"] = None
        (card,) = client.post(ORDER_SELECT, json=body).json()["cards"]
        assert card["summary"] == "No answers to the ketamine discussion checklist are on record"
        assert card["indicator"] == "info"
        assert card["source"]["topic"]["code"] == "no-answers"


@pytest.fixture
def summary_client(shipped_pack: RulePack) -> TestClient:
    """The service as shipped: one summary card per call."""
    return signed_client(shipped_pack, app_url="https://ehr.example.org/ketamine-checklist")


def medication_statement(code: str, started: str = "2026-01-01", **fields: Any) -> Any:
    return {
        "resourceType": "MedicationStatement",
        "id": f"ms-{code}",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": f"drug {code}"}]
        },
        "effectivePeriod": {"start": started},
        **fields,
    }


THEOPHYLLINE = medication_statement("10438", started="2026-11-20")


class TestSummaryCard:
    """By default a call gets one card: counts, each point's headline, a link; never a verdict."""

    def test_one_card_counts_the_points_and_the_open_ones(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        (card,) = summary_client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        checklist = evaluate(shipped_pack, SOME)
        open_count = sum(1 for e in checklist.entries if e.open_items)
        assert card["summary"] == (
            f"Ketamine discussion checklist: {len(checklist.entries)} points to go through, "
            f"{open_count} open"
        )
        assert len(card["summary"]) < 140
        assert card["indicator"] == "info"
        assert card["source"]["topic"]["code"] == "discussion-checklist"
        assert card["source"]["topic"]["system"].endswith("-rules")
        assert card["links"] == [
            {
                "label": "Open the discussion checklist",
                "url": "https://ehr.example.org/ketamine-checklist",
                "type": "absolute",
            }
        ]
        assert card["detail"].count("\n- **") == len(checklist.entries)
        assert "not a recommendation" in card["detail"]

    def test_a_service_set_to_a_language_words_its_cards_in_it(
        self, shipped_pack: RulePack
    ) -> None:
        """The `language` setting: the cards' own words in it, the pack's as written, and the
        next service (or call) in English still."""
        speaking_xa = signed_client(shipped_pack, language="en-XA")
        (card,) = speaking_xa.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        assert card["summary"].startswith("Ķééţååɱîîñéé đîîšçûûššîîööñ çĥééçķļîîšţ: ")
        assert card["source"]["topic"]["display"] == "Đîîšçûûššîîööñ çĥééçķļîîšţ"
        english = signed_client(shipped_pack)
        (plain,) = english.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        assert plain["summary"].startswith("Ketamine discussion checklist: ")

    def test_a_language_without_a_catalogue_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "config.json"
        path.write_text('{"language": "xx-YY"}', encoding="utf-8")
        with pytest.raises(ScreeningError, match="language: must be the tag of a language"):
            load_config(path)

    def test_points_already_discussed_are_counted(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        checklist = evaluate(shipped_pack, SOME)
        first = checklist.entries[0].rule_id
        marked = SOME.model_copy(update={"discussed": {first: DiscussedMark(done=True)}})
        body = call_body(shipped_pack, marked)
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert ", 1 discussed" in card["summary"]
        assert "(discussed)" in card["detail"]


class TestFromTheRecord:
    """Coded record data answers Yes, from the record; a missing code never becomes No."""

    def body(self, pack: RulePack, answers: AnswersFile = SOME, *resources: Any) -> Any:
        body = call_body(pack, answers)
        body["prefetch"]["medicationStatements"] = bundle(*resources)
        return body

    def test_theophylline_on_the_medication_list_is_yes_from_the_record(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = self.body(shipped_pack, SOME, THEOPHYLLINE)
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert "1 answer from the record" in card["summary"]
        label = shipped_pack.item("interacting_medicines_label").label
        assert (
            f"{md_escape(label)} = Yes, from the record: drug 10438 (MedicationStatement, "
            "2026-11-20)" in card["detail"]
        )
        with_yes = AnswersFile(answers={**SOME.answers, "interacting_medicines_label": "yes"})
        assert card["summary"] == summary_line(evaluate(shipped_pack, with_yes), 1)
        assert summary_line(evaluate(shipped_pack, SOME), 1) != card["summary"]

    def test_the_clinicians_own_answer_wins(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        said_no = AnswersFile(answers={**SOME.answers, "interacting_medicines_label": "no"})
        body = self.body(shipped_pack, said_no, THEOPHYLLINE)
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert "from the record" not in card["summary"]
        assert len(evaluate(shipped_pack, said_no).entries) == int(
            card["summary"].split(": ")[1].split()[0]
        )

    def test_no_code_gives_nothing_never_no(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        unrelated = medication_statement("161")  # a code the mapping does not list
        body = self.body(shipped_pack, SOME, unrelated)
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        plain = summary_client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"][0]
        assert card["summary"] == plain["summary"]
        assert "from the record" not in card["summary"]

    @pytest.mark.parametrize(
        "change",
        [
            {"status": "stopped"},
            {"status": "entered-in-error"},
            {"subject": {"reference": "Patient/p2"}},
        ],
    )
    def test_a_stopped_erroneous_or_other_patients_medication_answers_nothing(
        self, summary_client: TestClient, shipped_pack: RulePack, change: dict[str, Any]
    ) -> None:
        body = self.body(shipped_pack, SOME, {**THEOPHYLLINE, **change})
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert "from the record" not in card["summary"]

    def test_the_record_alone_gives_a_card_when_no_form_was_ever_filled(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = self.body(shipped_pack, SOME, THEOPHYLLINE)
        body["prefetch"]["checklistResponse"] = bundle()
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert "1 answer from the record" in card["summary"]

    def test_per_point_cards_name_the_record_behind_them(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = self.body(shipped_pack, SOME, THEOPHYLLINE)
        cards = client.post(PATIENT_VIEW, json=body).json()["cards"]
        named = [
            c for c in cards if "**From the record** (confirm with the patient)" in c["detail"]
        ]
        assert named
        assert all("drug 10438 (MedicationStatement, 2026-11-20)" in c["detail"] for c in named)

    def test_record_keys_not_sent_are_said_not_consulted(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        (card,) = summary_client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        assert (
            "Record data not sent with this call, so not consulted: conditions, allergies, "
            "medicationStatements, medicationRequests, vitalSigns." in card["detail"]
        )


class TestWhatRenderersKeep:
    """Answers to questions not shown are dropped with a note naming them, never evaluated."""

    def test_an_answer_lforms_kept_for_a_hidden_question_is_dropped_and_named(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        answered = AnswersFile(answers={"substance_use_history": "no"})
        body = call_body(shipped_pack, answered)
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        response["item"][0]["item"].append(
            {
                "linkId": "substance_use_active",
                "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA33-6"}}],
            }
        )
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        label = shipped_pack.item("substance_use_active").label
        assert (
            "Answers to questions not shown given the other answers were dropped, not "
            f"evaluated: {md_escape(label)}." in card["detail"]
        )
        assert card["summary"] == summary_line(evaluate(shipped_pack, answered), 0)


def older(pack: RulePack, version: str = "1.0.0", **changes: str) -> dict[str, Any]:
    """The call's response as if made under another version, with some question texts changed."""
    response = bound(questionnaire_response(evaluate(pack, SOME)))
    response["questionnaire"] = response["questionnaire"].rsplit("|", 1)[0] + (
        f"|{version}" if version else ""
    )
    for group in response["item"]:
        for item in group["item"]:
            if item["linkId"] in changes:
                item["text"] = changes[item["linkId"]]
    return response


class TestOlderVersions:
    """A response under another version is read when its questions still mean the same, and
    otherwise the card says answers exist and the screening should be repeated."""

    def test_an_older_response_with_the_same_questions_is_read_and_said_so(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = bundle(older(shipped_pack))
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert card["summary"].startswith("Ketamine discussion checklist: ")
        assert "Answers given to version 1.0.0 of the questionnaire" in card["detail"]

    def test_a_response_naming_no_version_is_read_the_same_way(
        self, summary_client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = bundle(older(shipped_pack, version=""))
        (card,) = summary_client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert "Answers given to version (unstated)" in card["detail"]

    @pytest.mark.parametrize("hook", ["patient-view", "order-select"])
    def test_a_reworded_question_gives_a_truthful_card_never_nothing_on_record(
        self, summary_client: TestClient, shipped_pack: RulePack, hook: str
    ) -> None:
        response = older(shipped_pack, long_term_opioid_use="Is the patient on opioids?")
        extra = {"context": order_context(ketamine_order())} if hook == "order-select" else {}
        body = call_body(shipped_pack, hook=hook, **extra)
        body["prefetch"]["checklistResponse"] = bundle(response)
        path = PATIENT_VIEW if hook == "patient-view" else ORDER_SELECT
        (card,) = summary_client.post(path, json=body).json()["cards"]
        assert card["summary"] == (
            "Answers exist under an older version (1.0.0) of the ketamine checklist; repeat "
            "the screening"
        )
        assert md_escape("long_term_opioid_use") in card["detail"]
        assert "No answers" not in card["summary"]


def refused(client: TestClient, path: str, status: int, **request: Any) -> list[str]:
    response = client.post(path, **request)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    return outcome_messages(response)


class TestRefusals:
    """Bad calls get a clear 4xx with an OperationOutcome, never a traceback."""

    def test_a_missing_prefetch_is_412(self, client: TestClient, shipped_pack: RulePack) -> None:
        body = call_body(shipped_pack)
        del body["prefetch"]
        (message,) = refused(client, PATIENT_VIEW, 412, json=body)
        assert message.startswith("prefetch checklistResponse is missing")
        assert message.endswith(
            "or a fhirServer this service is configured to use with a fhirAuthorization token"
        )

    def test_a_prefetch_the_client_could_not_fetch_is_412(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = {"resourceType": "OperationOutcome", "issue": []}
        refused(client, PATIENT_VIEW, 412, json=body)

    def test_a_body_that_is_not_json_is_400(self, client: TestClient) -> None:
        assert refused(client, PATIENT_VIEW, 400, content=b"{hook: patient-view") == [
            "the request body is not valid JSON: Expecting property name enclosed in double "
            "quotes (line 1)"
        ]

    def test_a_body_that_is_not_utf8_is_400(self, client: TestClient) -> None:
        assert refused(client, PATIENT_VIEW, 400, content=b'{"hook": "\xff"}') == [
            "the request body is not UTF-8 text"
        ]

    @pytest.mark.parametrize("per_point", [False, True])
    def test_half_a_surrogate_pair_in_the_record_is_400_not_a_failure_to_reply(
        self, shipped_pack: RulePack, per_point: bool
    ) -> None:
        """A display escaped as `\\ud800` alone is valid JSON syntax but no character: it
        reached the reply, which could not be written as UTF-8 (500)."""
        body = call_body(shipped_pack)
        odd = medication_statement("10438", started="2026-11-20")
        odd["medicationCodeableConcept"]["coding"][0]["display"] = "theo\ud800phylline"
        body["prefetch"]["medicationStatements"] = bundle(odd)
        written = json.dumps(body)  # ASCII: the half is written as its escape
        client = signed_client(shipped_pack, per_point_cards=per_point)
        (message,) = refused(client, PATIENT_VIEW, 400, content=written.encode())
        column = written.index("\\ud800") + 1
        assert message == (
            f"the request body escapes half of a surrogate pair alone (line 1, column {column}): "
            "it stands for no character"
        )

    def test_the_wrong_hook_is_400(self, client: TestClient, shipped_pack: RulePack) -> None:
        body = call_body(shipped_pack, hook="order-sign")
        assert refused(client, PATIENT_VIEW, 400, json=body) == [
            'service ketamine-checklist answers the patient-view hook, not "order-sign"'
        ]

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("hookInstance", None, "hookInstance is missing or not text"),
            ("context", [], "context is missing or not an object"),
        ],
    )
    def test_a_call_without_its_required_fields_is_400(
        self, client: TestClient, shipped_pack: RulePack, field: str, value: Any, message: str
    ) -> None:
        body = call_body(shipped_pack, **{field: value})
        assert refused(client, PATIENT_VIEW, 400, json=body) == [message]

    def test_an_oversized_body_is_413_unread(self, client: TestClient) -> None:
        content = b" " * (MAX_CDS_BODY_BYTES + 1)
        assert refused(client, PATIENT_VIEW, 413, content=content) == [
            f"the request body is over {MAX_CDS_BODY_BYTES} bytes"
        ]

    def test_deeply_nested_json_is_400(self, client: TestClient) -> None:
        content = b"[" * 100_000 + b"]" * 100_000
        (message,) = refused(client, PATIENT_VIEW, 400, content=content)
        assert "nested" in message

    def test_duplicate_keys_are_400(self, client: TestClient) -> None:
        assert refused(client, PATIENT_VIEW, 400, content=b'{"hook": 1, "hook": 2}') == [
            'duplicate key "hook" in the JSON body'
        ]

    def test_an_unknown_service_is_404(self, client: TestClient, shipped_pack: RulePack) -> None:
        assert refused(client, "/cds-services/nope", 404, json=call_body(shipped_pack)) == [
            'no CDS service "nope": see GET /cds-services'
        ]

    def test_an_unknown_path_and_a_wrong_method_are_outcomes_too(self, client: TestClient) -> None:
        assert client.get("/nowhere").status_code == 404
        assert outcome_messages(client.get("/nowhere")) == ["Not Found"]
        assert client.get(PATIENT_VIEW).status_code == 405
        assert outcome_messages(client.get(PATIENT_VIEW)) == ["Method Not Allowed"]

    def test_a_response_to_another_questionnaire_is_422(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        response["questionnaire"] = "http://example.org/fhir/Questionnaire/other|1.0.0"
        (message,) = refused(client, PATIENT_VIEW, 422, json=body)
        assert message.startswith(
            'prefetch.checklistResponse: questionnaire: answers another questionnaire, "http://'
        )

    def test_bad_answers_are_422_saying_what_is_wrong(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack, AnswersFile(answers={"substance_use_history": "no"}))
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        group = response["item"][0]
        group["item"].append(
            {"linkId": "substance_use_active", "answer": group["item"][0]["answer"]}
        )
        group["item"].append({"linkId": "nothing", "answer": [{"valueString": "x"}]})
        messages = refused(client, PATIENT_VIEW, 422, json=body)
        assert messages == [
            "prefetch.checklistResponse: nothing: answer must be a LOINC Yes (LA33-6), No "
            '(LA32-8) or Unknown (LA4489-6) coding, got {"valueString": "x"}'
        ]

    def test_a_response_about_another_patient_is_422(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        body["context"]["patientId"] = "p2"
        assert refused(client, PATIENT_VIEW, 422, json=body) == [
            "a prefetched QuestionnaireResponse is about another patient, or names its patient "
            "otherwise than Patient/p2: it must be bound to context.patientId"
        ]

    def test_an_unexpected_error_is_500_without_a_traceback_or_data(
        self, client: TestClient, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_args: Any) -> Any:
            raise RuntimeError("bed 4 leaked")

        monkeypatch.setattr(calls_module, "evaluate", broken)
        response = client.post(PATIENT_VIEW, json=call_body(shipped_pack))
        assert response.status_code == 500
        assert outcome_messages(response) == ["unexpected internal error"]
        assert "bed 4" not in response.text


class TestBoundToItsPatient:
    """A response counts only when its subject is Patient/<context.patientId>; else refused."""

    @pytest.mark.parametrize(
        "subject",
        [
            None,
            {"identifier": {"system": "urn:mrn", "value": "p1"}},
            {"display": "p1"},
            {"reference": "p1"},
            {"reference": "Patient/p10"},
            {"reference": "https://other.example/fhir/Patient/p1"},
        ],
    )
    def test_a_response_not_bound_to_the_patient_is_422(
        self, client: TestClient, shipped_pack: RulePack, subject: Any
    ) -> None:
        body = call_body(shipped_pack)
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        response.pop("subject")
        if subject is not None:
            response["subject"] = subject
        (message,) = refused(client, PATIENT_VIEW, 422, json=body)
        assert message.endswith("it must be bound to context.patientId")

    def test_a_stray_response_beside_the_patients_own_is_refused_not_skipped(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        stray = questionnaire_response(evaluate(shipped_pack, AnswersFile(answers={})))
        body["prefetch"]["checklistResponse"]["entry"].append({"resource": stray})
        (message,) = refused(client, PATIENT_VIEW, 422, json=body)
        assert "has no subject.reference" in message

    def test_the_fhir_servers_absolute_reference_counts(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack, fhirServer="https://ehr.example/fhir")
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        response["subject"] = {"reference": "https://ehr.example/fhir/Patient/p1"}
        assert client.post(PATIENT_VIEW, json=body).status_code == 200

    @pytest.mark.parametrize("patient", [None, 17, "", "p 1", "x" * 65, ["p1"]])
    def test_a_missing_or_malformed_patient_id_is_400(
        self, client: TestClient, shipped_pack: RulePack, patient: Any
    ) -> None:
        body = call_body(shipped_pack)
        body["context"]["patientId"] = patient
        assert refused(client, PATIENT_VIEW, 400, json=body) == [
            "context.patientId is missing or not a FHIR id (1-64 of A-Z a-z 0-9 - .)"
        ]

    def test_responses_are_ordered_by_instant_not_by_text(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        # 01:00 at +02:00 is 23:00 UTC the day before: earlier than 23:30 UTC, though it sorts later
        earlier = bound(questionnaire_response(evaluate(shipped_pack, AnswersFile(answers={}))))
        earlier["authored"] = "2026-11-01T01:00:00+02:00"
        later = bound(questionnaire_response(evaluate(shipped_pack, SOME)))
        later["authored"] = "2026-10-31T23:30:00Z"
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = bundle(earlier, later)
        cards = client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert len(cards) == len(evaluate(shipped_pack, SOME).entries)

    def test_a_malformed_authored_is_422(self, client: TestClient, shipped_pack: RulePack) -> None:
        body = call_body(shipped_pack)
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        response["authored"] = "2026-02-30T10:00:00Z"
        assert refused(client, PATIENT_VIEW, 422, json=body) == [
            'a response\'s authored is not a real date: "2026-02-30T10:00:00Z"'
        ]


class TestCallers:
    """Only JSON from allowed hosts and configured origins; bounded numbers and feedback."""

    def test_a_body_that_is_not_declared_json_is_415(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        content = json.dumps(call_body(shipped_pack)).encode()
        for declared in ("text/plain", "application/x-www-form-urlencoded", ""):
            messages = refused(
                client, PATIENT_VIEW, 415, content=content, headers={"Content-Type": declared}
            )
            assert messages[0].startswith("the request body must be JSON")

    def test_fhir_json_is_json(self, client: TestClient, shipped_pack: RulePack) -> None:
        content = json.dumps(call_body(shipped_pack)).encode()
        headers = {"Content-Type": "application/fhir+json; charset=utf-8"}
        assert client.post(PATIENT_VIEW, content=content, headers=headers).status_code == 200

    @pytest.mark.parametrize(
        "number", ["1" * 101, "-" + "1" * 101, "1." + "1" * 100, "1e" + "9" * 99]
    )
    def test_a_too_long_number_is_400(self, client: TestClient, number: str) -> None:
        content = ('{"hook": "patient-view", "n": ' + number + "}").encode()
        assert refused(client, PATIENT_VIEW, 400, content=content) == [
            "a number in the request body has over 100 digits"
        ]

    def test_nan_is_not_json(self, client: TestClient) -> None:
        assert refused(client, PATIENT_VIEW, 400, content=b'{"n": NaN}') == ["NaN is not JSON"]

    def test_another_host_is_refused(self, client: TestClient) -> None:
        response = client.get("/cds-services", headers={"Host": "evil.example"})
        assert response.status_code == 400

    def test_no_cors_header_unless_the_origin_is_configured(self, shipped_pack: RulePack) -> None:
        origin = {"Origin": "https://ehr.example.org"}
        closed = signed_client(shipped_pack).get("/cds-services", headers=origin)
        assert "access-control-allow-origin" not in closed.headers
        opened = signed_client(shipped_pack, allowed_origins=("https://ehr.example.org",))
        assert (
            opened.get("/cds-services", headers=origin).headers["access-control-allow-origin"]
            == "https://ehr.example.org"
        )
        other = opened.get("/cds-services", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = opened.options(
            PATIENT_VIEW,
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert preflight.status_code == 400


class TestJwt:
    """Every call carries a JWT from a configured issuer, checked by PyJWT; else 401."""

    def call(self, client: TestClient, pack: RulePack, token: str | None) -> Any:
        headers = (
            {"Authorization": f"Bearer {token}"} if token is not None else {"Authorization": ""}
        )
        return client.post(PATIENT_VIEW, json=call_body(pack), headers=headers)

    def refused_with(self, client: TestClient, pack: RulePack, token: str | None) -> str:
        response = self.call(client, pack, token)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        (message,) = outcome_messages(response)
        return message

    def test_a_valid_jwt_is_accepted(self, client: TestClient, shipped_pack: RulePack) -> None:
        assert self.call(client, shipped_pack, EHR.token(PATIENT_VIEW)).status_code == 200

    def test_no_jwt_is_401(self, client: TestClient, shipped_pack: RulePack) -> None:
        assert self.refused_with(client, shipped_pack, None) == (
            "a JWT bearer token is required (Authorization: Bearer <JWT>)"
        )
        assert self.refused_with(client, shipped_pack, "not-a-jwt") == (
            "the bearer token is not a JWT"
        )

    def test_a_call_whose_jwt_is_being_checked_holds_up_no_other_request(
        self, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        started, release = threading.Event(), threading.Event()
        check = JwtChecker.check

        def slow_check(checker: JwtChecker, *args: Any, **kwargs: Any) -> Any:
            started.set()
            release.wait(10)
            return check(checker, *args, **kwargs)

        monkeypatch.setattr(JwtChecker, "check", slow_check)
        with signed_client(shipped_pack) as client, ThreadPoolExecutor(2) as pool:
            call = pool.submit(client.post, PATIENT_VIEW, json=call_body(shipped_pack))
            try:
                assert started.wait(10)
                listing = pool.submit(client.get, "/cds-services")
                assert listing.result(timeout=5).status_code == 200
            finally:
                release.set()
            assert call.result(timeout=10).status_code == 200

    def test_feedback_needs_the_jwt_too(self, client: TestClient) -> None:
        feedback = {"feedback": [{"card": "a", "outcome": "accepted"}]}
        response = client.post(
            f"{PATIENT_VIEW}/feedback", json=feedback, headers={"Authorization": ""}
        )
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("claims", "message"),
        [
            ({"exp": int(time.time()) - 120}, "the JWT has expired"),
            (
                {"iat": int(time.time()) + 600, "exp": int(time.time()) + 700},
                "the JWT is issued in the future (iat) or not yet valid",
            ),
            ({"exp": int(time.time()) + 3600}, "the JWT's exp is more than 300 s ahead"),
            (
                {"aud": "https://elsewhere.example/cds-services/ketamine-checklist"},
                "the JWT's aud is not the URL of this service",
            ),
            ({"jti": None}, "the JWT has no jti claim"),
            ({"iat": None}, "the JWT has no iat claim"),
            ({"exp": None}, "the JWT has no exp claim"),
            (
                {"iss": "https://other-ehr.example"},
                "the JWT's iss is not an issuer this service is configured to trust",
            ),
        ],
    )
    def test_a_jwt_failing_a_claim_is_401_saying_which(
        self, client: TestClient, shipped_pack: RulePack, claims: dict[str, Any], message: str
    ) -> None:
        token = EHR.token(PATIENT_VIEW, **claims)
        assert self.refused_with(client, shipped_pack, token) == message

    def test_a_jwt_signed_by_another_key_is_401(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        impostor = Ehr()  # same issuer and kid, its own key
        assert self.refused_with(client, shipped_pack, impostor.token(PATIENT_VIEW)) == (
            "the JWT's signature does not verify against its issuer's key"
        )

    def test_an_unknown_kid_is_401(self, client: TestClient, shipped_pack: RulePack) -> None:
        other = Ehr(kid="ehr-key-2")
        assert self.refused_with(client, shipped_pack, other.token(PATIENT_VIEW)) == (
            "the JWT's kid names no key in its issuer's configured JWK Set"
        )

    def test_a_shared_secret_or_none_algorithm_is_401(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        claims = {"iss": ISSUER, "aud": f"{AUDIENCE}{PATIENT_VIEW}", "jti": "x"}
        hs = jwt.encode(claims, "secret" * 8, algorithm="HS256", headers={"kid": "ehr-key-1"})
        none = jwt.encode(claims, "", algorithm="none", headers={"kid": "ehr-key-1"})
        for token in (hs, none):
            assert self.refused_with(client, shipped_pack, token).startswith(
                "the JWT's alg must be one of RS256"
            )

    def test_a_replayed_jwt_is_401(self, client: TestClient, shipped_pack: RulePack) -> None:
        token = EHR.token(PATIENT_VIEW)
        assert self.call(client, shipped_pack, token).status_code == 200
        assert self.refused_with(client, shipped_pack, token) == (
            "the JWT's jti was already used: a replayed call is refused"
        )

    def test_the_jwt_for_one_service_does_not_open_another(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        token = EHR.token(ORDER_SELECT)
        assert self.refused_with(client, shipped_pack, token) == (
            "the JWT's aud is not the URL of this service"
        )

    def test_the_development_switch_opens_to_loopback_callers_only(
        self, shipped_pack: RulePack
    ) -> None:
        app = create_app(shipped_pack, config=service_config(jwt_off=True))
        remote = TestClient(app, raise_server_exceptions=False)
        body = call_body(shipped_pack)
        response = remote.post(PATIENT_VIEW, json=body)
        assert response.status_code == 401
        assert outcome_messages(response) == [
            "the JWT check is off for development, for loopback callers only"
        ]
        local = TestClient(app, client=("127.0.0.1", 50000))
        assert local.post(PATIENT_VIEW, json=body).status_code == 200

    def test_serve_says_loudly_that_the_check_is_off(self) -> None:
        with socket.socket() as taken:  # a port in use: serve warns, then cannot listen
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            command = ["cds", "serve", "--insecure-no-jwt", "--port", str(port)]
            result = subprocess.run(
                [sys.executable, "-m", "screening", *command],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        assert result.returncode == 1
        assert result.stderr.startswith(
            "WARNING: --insecure-no-jwt: the JWT check is OFF. Any program on this machine can "
            "call the service without credentials."
        )

    def test_serve_wants_the_tls_certificate_and_key_together(self, tmp_path: Path) -> None:
        cert = tmp_path / "cert.pem"
        cert.write_text("x", encoding="utf-8")
        result = CliRunner().invoke(cli, ["cds", "serve", "--ssl-certfile", str(cert)])
        assert result.exit_code == 2
        assert "--ssl-certfile and --ssl-keyfile go together" in result.output

    def test_serve_refuses_the_switch_off_loopback_and_warns_on_it(self) -> None:
        result = CliRunner().invoke(cli, ["cds", "serve", "--insecure-no-jwt", "--host", "0.0.0.0"])
        assert result.exit_code == 2
        assert "--insecure-no-jwt is allowed on a loopback --host only" in result.output


class TestServeSpeaksItsLanguage:
    """`cds serve --lang` starts the service in that language, over the configuration's
    `language`, which holds when `--lang` is not given."""

    @staticmethod
    def served(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str, before: tuple[str, ...] = ()
    ) -> Any:
        """The app `cds serve` would hand to uvicorn (the server itself not started); `before`:
        options of the `cds` group."""
        import uvicorn  # noqa: PLC0415 - the server the command would start

        started: list[Any] = []
        monkeypatch.setattr(uvicorn, "run", lambda app, **_settings: started.append(app))
        config = tmp_path / "cds.json"
        config.write_text(json.dumps({"language": "en-XA"}), encoding="utf-8")
        command = ["cds", *before, "serve", "--insecure-no-jwt", *args]
        if "--config" in args:
            command[command.index("--config") + 1] = str(config)
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        (app,) = started
        return app

    @staticmethod
    def title(app: Any) -> str:
        client = TestClient(app, base_url="http://127.0.0.1")
        return str(client.get("/cds-services").json()["services"][0]["title"])

    def test_lang_gives_the_service_its_language(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        app = self.served(monkeypatch, tmp_path, "--lang", PSEUDO_LANGUAGE)
        assert app.state.language == PSEUDO_LANGUAGE
        assert self.title(app) == pseudo("Ketamine for pain: discussion checklist")
        no_prefetch = TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 5000))
        refusal = no_prefetch.post(PATIENT_VIEW, json={"hook": "patient-view"})
        assert refusal.status_code == 400
        assert outcome_messages(refusal) == [
            pseudo("{field} is missing or not text").format(field="hookInstance")
        ]

    def test_without_lang_the_configured_language_holds_and_lang_overrides_it(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        configured = self.served(monkeypatch, tmp_path, "--config", "cds.json")
        assert configured.state.language == PSEUDO_LANGUAGE
        english = self.served(monkeypatch, tmp_path, "--config", "cds.json", "--lang", "en")
        assert english.state.language == "en"
        assert self.title(english) == "Ketamine for pain: discussion checklist"
        plain = self.served(monkeypatch, tmp_path)
        assert plain.state.language == "en"

    def test_lang_given_to_a_group_above_it_overrides_the_configured_language_too(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        for before in (("--lang", "en"), ()):
            app = self.served(monkeypatch, tmp_path, "--config", "cds.json", before=before)
            assert app.state.language == ("en" if before else PSEUDO_LANGUAGE)


class TestConfig:
    """A configuration file is refused whole, naming the file and each bad setting."""

    def test_a_bad_configuration_names_every_problem(self, tmp_path: Path) -> None:
        path = tmp_path / "cds.json"
        private = {**EHR.jwks["keys"][0], "d": "secret"}
        path.write_text(
            json.dumps(
                {
                    "issuers": {ISSUER: {"keys": [private]}, "ftp://x": EHR.jwks},
                    "allowed_origins": ["*"],
                    "feedback_per_call": 0,
                    "colour": "blue",
                }
            ),
            encoding="utf-8",
        )
        result = CliRunner().invoke(cli, ["cds", "serve", "--config", str(path)])
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            f"Error: {path}: colour: unknown setting; known: allowed_hosts, allowed_origins, "
            "app_url, audience, body_seconds, feedback_per_call, feedback_per_minute, "
            "fhir_servers, header_seconds, issuers, language, per_point_cards",
            f"Error: {path}: issuers.{ISSUER}: keys[0] is a private key: configure the EHR's public "
            "key only",
            f"Error: {path}: issuers.ftp://x: must be an http(s) URL",
            f"Error: {path}: allowed_origins: must be a list of web origins allowed by CORS, such as "
            "https://ehr.example.org",
            f"Error: {path}: feedback_per_call: must be the most feedback entries in one call (1 to 100)",
        ]


class TestMalformedShapes:
    """Values of the wrong JSON type deep in a call are refused or ignored, never a 500."""

    @pytest.mark.parametrize("value", [[], {}, 1, None])
    def test_an_answer_code_of_the_wrong_type_is_422(
        self, client: TestClient, shipped_pack: RulePack, value: Any
    ) -> None:
        body = call_body(shipped_pack)
        item = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]["item"][0]["item"][0]
        item["answer"][0]["valueCoding"]["code"] = value
        refused(client, PATIENT_VIEW, 422, json=body)

    @pytest.mark.parametrize("value", [["Patient/p1"], {"a": 1}, 5])
    def test_a_subject_reference_of_the_wrong_type_is_422(
        self, client: TestClient, shipped_pack: RulePack, value: Any
    ) -> None:
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"]["entry"][0]["resource"]["subject"] = {
            "reference": value
        }
        refused(client, PATIENT_VIEW, 422, json=body)

    @pytest.mark.parametrize(
        "concept",
        [
            {"coding": 1},
            {"coding": [{"system": ["x"], "code": {"a": 1}}]},
            {"coding": True},
        ],
    )
    def test_an_order_coded_with_the_wrong_types_gets_no_cards(
        self, client: TestClient, shipped_pack: RulePack, concept: dict[str, Any]
    ) -> None:
        order = ketamine_order(concept=concept)
        body = call_body(shipped_pack, hook="order-select", context=order_context(order))
        assert client.post(ORDER_SELECT, json=body).json() == {"cards": []}

    def test_record_resources_with_the_wrong_types_answer_nothing(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        odd = {
            **THEOPHYLLINE,
            "medicationCodeableConcept": None,
            "medicationReference": {"reference": "#m"},
            "contained": [{"resourceType": "Medication", "id": "m", "ingredient": 7}],
        }
        pressure = {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": "8480-6"},
            "component": {"code": 1},
        }
        body = call_body(shipped_pack)
        body["prefetch"]["medicationStatements"] = bundle(odd)
        body["prefetch"]["vitalSigns"] = bundle(pressure)
        cards = client.post(PATIENT_VIEW, json=body).json()["cards"]
        assert all("from the record" not in c["detail"] for c in cards)


class TestNothingLeaves:
    """A call is answered from its own body: the service opens no connection of its own."""

    def test_a_call_is_answered_with_every_outbound_connection_refused(
        self, client: TestClient, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_network(*_args: Any, **_kwargs: Any) -> Any:
            raise AssertionError("the service tried to open a connection")

        monkeypatch.setattr(socket.socket, "connect", no_network)
        monkeypatch.setattr(socket, "create_connection", no_network)
        body = call_body(shipped_pack, fhirServer="https://ehr.example/fhir")
        body["fhirAuthorization"] = {"access_token": "secret", "token_type": "Bearer"}
        response = client.post(PATIENT_VIEW, json=body)
        assert response.status_code == 200
        assert len(response.json()["cards"]) == len(evaluate(shipped_pack, SOME).entries)
        assert "secret" not in response.text


class TestFeedback:
    """Feedback is counted in memory by service and outcome; nothing else is kept."""

    def test_feedback_is_counted(self, shipped_pack: RulePack) -> None:
        app = create_app(shipped_pack, config=service_config())
        client = SignedClient(app)
        feedback = {
            "feedback": [
                {"card": "a", "outcome": "accepted", "outcomeTimestamp": "2026-11-30T10:00:00Z"},
                {"card": "b", "outcome": "overridden", "overrideReason": {"userComment": "bed 4"}},
            ]
        }
        assert client.post(f"{PATIENT_VIEW}/feedback", json=feedback).status_code == 200
        assert client.post(f"{PATIENT_VIEW}/feedback", json=feedback).status_code == 200
        assert dict(app.state.feedback) == {
            ("ketamine-checklist", "accepted"): 2,
            ("ketamine-checklist", "overridden"): 2,
        }

    def test_more_feedback_than_a_call_may_carry_is_400_and_not_counted(
        self, shipped_pack: RulePack
    ) -> None:
        app = create_app(shipped_pack, config=service_config(feedback_per_call=3))
        many = {"feedback": [{"card": str(n), "outcome": "overridden"} for n in range(4)]}
        response = SignedClient(app).post(f"{PATIENT_VIEW}/feedback", json=many)
        assert response.status_code == 400
        assert outcome_messages(response) == ["4 feedback entries in one call; at most 3"]
        assert not app.state.feedback

    def test_feedback_beyond_the_minutes_budget_is_429_and_not_counted(
        self, shipped_pack: RulePack
    ) -> None:
        app = create_app(shipped_pack, config=service_config(feedback_per_minute=5))
        client = SignedClient(app)
        three = {"feedback": [{"card": str(n), "outcome": "overridden"} for n in range(3)]}
        assert client.post(f"{PATIENT_VIEW}/feedback", json=three).status_code == 200
        response = client.post(f"{PATIENT_VIEW}/feedback", json=three)
        assert response.status_code == 429
        assert dict(app.state.feedback) == {("ketamine-checklist", "overridden"): 3}

    @pytest.mark.parametrize(
        "body",
        [{}, {"feedback": []}, {"feedback": [{"card": "a"}]}, {"feedback": [{"outcome": "x"}]}],
    )
    def test_bad_feedback_is_400_and_not_counted(
        self, shipped_pack: RulePack, body: dict[str, Any]
    ) -> None:
        app = create_app(shipped_pack, config=service_config())
        response = SignedClient(app).post(f"{PATIENT_VIEW}/feedback", json=body)
        assert response.status_code == 400
        assert outcome_messages(response)
        assert not app.state.feedback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cds serve` as a real uvicorn process on loopback, trusting the test EHR's key."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = tmp_path_factory.mktemp("cds") / "cds.json"
    settings = {
        "issuers": {ISSUER: EHR.jwks},
        "audience": url,
        "allowed_hosts": ["127.0.0.1"],
        "header_seconds": 1,
        "body_seconds": 1,
        "per_point_cards": True,
    }
    config.write_text(json.dumps(settings), encoding="utf-8")
    command = ["cds", "serve", "--port", str(port), "--config", str(config)]
    process = subprocess.Popen(
        [sys.executable, "-m", "screening", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/cds-services", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                time.sleep(0.2)
        else:
            pytest.fail("cds serve did not answer within 30 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def signed(server: str, path: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {EHR.token(path, audience=server)}"}


class TestRealServer:
    """`cds serve` answers over HTTP on 127.0.0.1 as the TestClient does."""

    def test_discovery_call_refusals_and_feedback_over_http(
        self, server: str, shipped_pack: RulePack
    ) -> None:
        services = httpx.get(f"{server}/cds-services").json()["services"]
        assert [s["hook"] for s in services] == ["patient-view", "order-select"]
        cards = httpx.post(
            f"{server}{PATIENT_VIEW}",
            json=call_body(shipped_pack),
            headers=signed(server, PATIENT_VIEW),
        ).json()
        assert len(cards["cards"]) == len(evaluate(shipped_pack, SOME).entries)
        missing = call_body(shipped_pack)
        del missing["prefetch"]
        assert (
            httpx.post(
                f"{server}{PATIENT_VIEW}", json=missing, headers=signed(server, PATIENT_VIEW)
            ).status_code
            == 412
        )
        bad = httpx.post(
            f"{server}{PATIENT_VIEW}",
            content=b"not json",
            headers={**signed(server, PATIENT_VIEW), "Content-Type": "application/json"},
        )
        assert bad.status_code == 400
        assert outcome_messages(bad)[0].startswith("the request body is not valid JSON")
        feedback = {"feedback": [{"card": cards["cards"][0]["uuid"], "outcome": "accepted"}]}
        path = f"{PATIENT_VIEW}/feedback"
        assert (
            httpx.post(f"{server}{path}", json=feedback, headers=signed(server, path)).status_code
            == 200
        )

    def test_a_call_without_a_jwt_is_401_over_http(
        self, server: str, shipped_pack: RulePack
    ) -> None:
        response = httpx.post(f"{server}{PATIENT_VIEW}", json=call_body(shipped_pack))
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")

    def test_another_host_header_is_refused(self, server: str) -> None:
        response = httpx.get(f"{server}/cds-services", headers={"Host": "evil.example"})
        assert response.status_code == 400

    def test_a_socket_that_never_finishes_its_headers_is_dropped(self, server: str) -> None:
        host, port = server.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(b"POST /cds-services/ketamine-checklist HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            assert slow.recv(1024) == b""  # closed by the server, not by this test's timeout
            assert time.monotonic() - started < 5

    def test_a_socket_that_sends_nothing_is_dropped(self, server: str) -> None:
        host, port = server.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as idle:
            started = time.monotonic()
            assert idle.recv(1024) == b""
            assert time.monotonic() - started < 5

    def test_a_body_sent_too_slowly_is_408(self, server: str, shipped_pack: RulePack) -> None:
        host, port = server.removeprefix("http://").split(":")
        head = (
            f"POST {PATIENT_VIEW} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {EHR.token(PATIENT_VIEW, audience=server)}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(head.encode())
            started = time.monotonic()
            reply = slow.recv(4096)
            assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
            assert time.monotonic() - started < 5

    def test_it_listens_on_loopback_only(self, server: str) -> None:
        assert server.startswith("http://127.0.0.1:")
