"""The per-point cards a call returns, byte for byte: the golden replies below were made before
the service's card path was made faster (issue 23 item 4), and every byte, status and header
must stay what it was. Pack 1.1.0 (frozen) keeps the golden stable as the shipped pack moves;
the shipped pack's replies are compared with its cards as `checklist_cards` builds them, put
through the JSON Starlette writes, in English and in the pseudo-locale, with and without
answers from the record."""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from screening import Answer, AnswersFile, RulePack, evaluate
from screening.catalogue import PSEUDO_LANGUAGE
from screening.fhir.hidden import hidden_answers_dropped
from screening.models import DiscussedMark
from screening.pack.loader import load_pack
from tests.test_cds import (
    PATIENT_VIEW,
    THEOPHYLLINE,
    bundle,
    call_body,
    signed_client,
)

FIXTURES = Path(__file__).parent / "fixtures"
FROZEN_PACK = load_pack(FIXTURES / "pack-1.1.0")
GOLDEN = FIXTURES / "cds" / "per-point-pack-1.1.0.json"
UUID = re.compile(rb'"uuid":"([^"]*)"')
THEOPHYLLINE_ITEM = "interacting_medicines_label"
ANSWERS: tuple[Answer | None, ...] = ("yes", "unknown", "no", None)


def answer_sets(pack: RulePack, count: int, seed: int) -> dict[str, AnswersFile]:
    """Answers in turn down the items (Yes, Unknown, No, none, from four offsets), then
    `count` random ones; those to questions then hidden dropped; a point marked discussed."""
    rng = random.Random(seed)
    given: dict[str, dict[str, Answer | None]] = {
        f"cycle-{shift}": {item.id: ANSWERS[(n + shift) % 4] for n, item in enumerate(pack.items)}
        for shift in range(4)
    }
    given["all-unknown"] = {item.id: "unknown" for item in pack.items}
    for n in range(count):
        given[f"random-{n}"] = {item.id: rng.choice(ANSWERS) for item in pack.items}
    sets = {}
    for name, answers in given.items():
        dropped, _ = hidden_answers_dropped(
            pack, AnswersFile(answers={k: v for k, v in answers.items() if v is not None})
        )
        entries = evaluate(pack, dropped).entries
        if entries and name.startswith("cycle"):  # a mark carries over into the response
            marks = {entries[0].rule_id: DiscussedMark(done=True)}
            dropped = dropped.model_copy(update={"discussed": marks})
        sets[name] = dropped
    return sets


def calls(pack: RulePack, count: int = 4, seed: int = 23) -> Iterator[tuple[str, Any]]:
    """Named call bodies: each answer set alone, and with theophylline on the record, its
    question left to the record."""
    for name, answers in answer_sets(pack, count, seed).items():
        yield name, call_body(pack, answers)
        left = {k: v for k, v in answers.answers.items() if k != THEOPHYLLINE_ITEM}
        body = call_body(pack, answers.model_copy(update={"answers": left}))
        body["prefetch"]["medicationStatements"] = bundle(THEOPHYLLINE)
        yield f"{name}+record", body


def without_uuids(reply: bytes) -> tuple[str, list[str]]:
    """The reply with each card's uuid replaced by its place, and the uuids taken out."""
    taken: list[str] = []

    def placed(match: re.Match[bytes]) -> bytes:
        taken.append(match[1].decode())
        return f'"uuid":"card-{len(taken)}"'.encode()

    return UUID.sub(placed, reply).decode("utf-8"), taken


def replies(client: TestClient, pack: RulePack) -> dict[str, str]:
    """Each call's reply to the per-point service, its uuids checked and replaced."""
    made: dict[str, str] = {}
    for name, body in calls(pack):
        response = client.post(PATIENT_VIEW, json=body)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert int(response.headers["content-length"]) == len(response.content)
        text, uuids = without_uuids(response.content)
        assert all(uuid.UUID(u).version == 4 and str(uuid.UUID(u)) == u for u in uuids)
        assert len(set(uuids)) == len(uuids)
        made[name] = text
    return made


def fingerprints(replies: dict[str, str]) -> dict[str, str]:
    """Each reply's length and SHA-256 (the replies themselves are megabytes)."""
    return {
        name: f"{len(text.encode())} {hashlib.sha256(text.encode()).hexdigest()}"
        for name, text in replies.items()
    }


def golden_replies() -> dict[str, str]:
    """The frozen pack's replies in English and in the pseudo-locale."""
    made = {}
    for language in ("en", PSEUDO_LANGUAGE):
        client = signed_client(FROZEN_PACK, per_point_cards=True, language=language)
        made |= {f"{language}/{k}": v for k, v in replies(client, FROZEN_PACK).items()}
    taken = [name for name, text in made.items() if "From the record" in text]
    assert taken == [name for name in made if name.startswith("en/") and "+record" in name]
    return made


class TestPerPointBytes:
    """A per-point reply is the bytes it was before the card path was made faster."""

    def test_the_frozen_packs_replies_are_the_golden_ones(self) -> None:
        """Regenerate only for a deliberate change: `python -m tests.test_cds_bytes`."""
        golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
        assert fingerprints(golden_replies()) == golden


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(fingerprints(golden_replies()), indent=1) + "\n")
    sys.exit(0)
