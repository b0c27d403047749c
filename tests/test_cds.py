"""The CDS Hooks service: the checklist as cards, refusals as OperationOutcomes, nothing kept."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from screening import AnswersFile, RulePack, evaluate
from screening.cds import service as service_module
from screening.cds.cards import SHORT_OPEN_PREFIX, checklist_cards
from screening.cds.service import create_app
from screening.cli import cli
from screening.fhir.response import questionnaire_response
from screening.limits import MAX_CDS_BODY_BYTES
from screening.markdown import md_escape
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


def call_body(
    pack: RulePack, answers: AnswersFile = SOME, hook: str = "patient-view", **extra: Any
) -> dict[str, Any]:
    response = questionnaire_response(pack, answers)
    response["subject"] = {"reference": "Patient/p1"}
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/u1", "patientId": "p1"},
        "prefetch": {"checklistResponse": bundle(response)},
    }
    body.update(extra)
    return body


def ketamine_order(order_id: str = "o1", text: str = "Ketamine 50 mg/5 mL injection") -> Any:
    return {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": text},
    }


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


@pytest.fixture
def client(shipped_pack: RulePack) -> TestClient:
    return TestClient(create_app(shipped_pack), raise_server_exceptions=False)


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
        template = services[0]["prefetch"]["checklistResponse"]
        assert template == (
            "QuestionnaireResponse?questionnaire=http://example.org/fhir/Questionnaire/"
            "ketamine-for-pain-pre-treatment-discussion-checklist%7C"
            f"{shipped_pack.meta.version}&subject=Patient/{{{{context.patientId}}}}"
            "&status=completed,amended&_sort=-authored&_count=1"
        )
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
        cards = checklist_cards(shipped_pack, SOME, evaluate(shipped_pack, SOME))
        (active,) = [c for c in cards if c["source"]["topic"]["code"] == "substance-active-use"]
        assert active["summary"] == (
            "Find out. If yes: Discuss the current non-medical substance use, with addiction "
            "services if the patient agrees"
        )
        assert active["detail"].startswith("**Verify** (rule `substance-active-use`)")
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

    def test_unknown_is_never_read_as_no(self, shipped_pack: RulePack) -> None:
        unknown = AnswersFile(answers={"monitoring_available": "unknown"})
        cards = checklist_cards(shipped_pack, unknown, evaluate(shipped_pack, unknown))
        (card,) = [c for c in cards if c["source"]["topic"]["code"] == "setting-monitoring-missing"]
        assert card["summary"] == (
            "Find out. If no: Arrange trained monitoring of vital signs and alertness during and "
            "after every dose"
        )
        assert (
            "**Still to find out:** trained monitoring during and after dosing." in (card["detail"])
        )

    def test_the_same_answers_give_the_same_uuids_and_other_answers_others(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        first = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        again = client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()["cards"]
        other = AnswersFile(answers={**SOME.answers, "psychosis_history": "no"})
        changed = client.post(PATIENT_VIEW, json=call_body(shipped_pack, other)).json()["cards"]
        assert [c["uuid"] for c in first] == [c["uuid"] for c in again]
        assert len({c["uuid"] for c in first}) == len(first)
        assert not {c["uuid"] for c in first} & {c["uuid"] for c in changed}

    def test_a_bare_response_as_prefetch_works_too(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = body["prefetch"]["checklistResponse"]["entry"][0][
            "resource"
        ]
        assert (
            client.post(PATIENT_VIEW, json=body).json()
            == client.post(PATIENT_VIEW, json=call_body(shipped_pack)).json()
        )

    def test_the_latest_of_several_responses_is_read(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        old = questionnaire_response(shipped_pack, AnswersFile(answers={}, date="2026-01-01"))
        new = questionnaire_response(shipped_pack, SOME.model_copy(update={"date": "2026-11-01"}))
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
    """order-select answers for a selected ketamine order only."""

    def test_a_ketamine_order_gets_the_checklist(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack, hook="order-select", context=order_context(ketamine_order()))
        cards = client.post(ORDER_SELECT, json=body).json()["cards"]
        assert len(cards) == len(evaluate(shipped_pack, SOME).entries)

    def test_another_order_gets_no_cards(self, client: TestClient, shipped_pack: RulePack) -> None:
        other = ketamine_order(text="Paracetamol 1 g tablet")
        body = call_body(shipped_pack, hook="order-select", context=order_context(other))
        assert client.post(ORDER_SELECT, json=body).json() == {"cards": []}

    def test_a_ketamine_order_not_selected_gets_no_cards(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        context = order_context(ketamine_order(), selected="MedicationRequest/other")
        body = call_body(shipped_pack, hook="order-select", context=context)
        assert client.post(ORDER_SELECT, json=body).json() == {"cards": []}

    def test_a_ketamine_order_with_no_answers_says_so_in_one_card(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack, hook="order-select", context=order_context(ketamine_order()))
        body["prefetch"]["checklistResponse"] = None
        (card,) = client.post(ORDER_SELECT, json=body).json()["cards"]
        assert card["summary"] == "No answers to the ketamine discussion checklist are on record"
        assert card["indicator"] == "info"


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
        assert "never fetches data itself" in message

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

    def test_a_response_to_another_version_is_422_saying_which(
        self, client: TestClient, shipped_pack: RulePack
    ) -> None:
        body = call_body(shipped_pack)
        response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
        version = shipped_pack.meta.version
        response["questionnaire"] = response["questionnaire"].replace(f"|{version}", "|0.9.0")
        (message,) = refused(client, PATIENT_VIEW, 422, json=body)
        assert message == (
            'prefetch.checklistResponse: questionnaire: answers version "0.9.0" of the '
            f"questionnaire, but this rule pack is version {version}: evaluate it with the pack "
            "of that version"
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
            "the prefetched response is about another patient"
        ]

    def test_an_unexpected_error_is_500_without_a_traceback_or_data(
        self, client: TestClient, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_args: Any) -> Any:
            raise RuntimeError("bed 4 leaked")

        monkeypatch.setattr(service_module, "evaluate", broken)
        response = client.post(PATIENT_VIEW, json=call_body(shipped_pack))
        assert response.status_code == 500
        assert outcome_messages(response) == ["unexpected internal error"]
        assert "bed 4" not in response.text


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
        app = create_app(shipped_pack)
        client = TestClient(app)
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

    @pytest.mark.parametrize(
        "body",
        [{}, {"feedback": []}, {"feedback": [{"card": "a"}]}, {"feedback": [{"outcome": "x"}]}],
    )
    def test_bad_feedback_is_400_and_not_counted(
        self, shipped_pack: RulePack, body: dict[str, Any]
    ) -> None:
        app = create_app(shipped_pack)
        response = TestClient(app).post(f"{PATIENT_VIEW}/feedback", json=body)
        assert response.status_code == 400
        assert outcome_messages(response)
        assert not app.state.feedback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`cds serve` as a real uvicorn process on loopback."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "screening", "cds", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
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


class TestRealServer:
    """`cds serve` answers over HTTP on 127.0.0.1 as the TestClient does."""

    def test_discovery_call_refusals_and_feedback_over_http(
        self, server: str, shipped_pack: RulePack
    ) -> None:
        services = httpx.get(f"{server}/cds-services").json()["services"]
        assert [s["hook"] for s in services] == ["patient-view", "order-select"]
        cards = httpx.post(f"{server}{PATIENT_VIEW}", json=call_body(shipped_pack)).json()
        assert len(cards["cards"]) == len(evaluate(shipped_pack, SOME).entries)
        missing = call_body(shipped_pack)
        del missing["prefetch"]
        assert httpx.post(f"{server}{PATIENT_VIEW}", json=missing).status_code == 412
        bad = httpx.post(f"{server}{PATIENT_VIEW}", content=b"not json")
        assert bad.status_code == 400
        assert outcome_messages(bad)[0].startswith("the request body is not valid JSON")
        feedback = {"feedback": [{"card": cards["cards"][0]["uuid"], "outcome": "accepted"}]}
        assert httpx.post(f"{server}{PATIENT_VIEW}/feedback", json=feedback).status_code == 200

    def test_it_listens_on_loopback_only(self, server: str) -> None:
        assert server.startswith("http://127.0.0.1:")
