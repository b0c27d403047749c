"""The cards a call returns, byte for byte (issue 23 item 4: the card path made faster, every
byte, status and header kept). The golden fingerprints of pack 1.1.0's replies (frozen, so the
golden stays as the shipped pack moves), per-point and summary, were made by the code before.
The JSON the service writes from kept pieces is compared with `checklist_cards` through
Starlette's JSON for the shipped pack and an awkward one, in English and in the pseudo-locale,
with and without answers from the record, and each card words its answers and open questions
as the views do."""

from __future__ import annotations

import gettext
import hashlib
import json
import random
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from screening import Answer, AnswersFile, Checklist, RulePack, evaluate, open_entries
from screening.catalogue import PSEUDO_LANGUAGE, _, speaking
from screening.cds import card_words as cards_module
from screening.cds.card_words import plain_escaped, rule_cards
from screening.cds.cards import (
    MAX_SUMMARY,
    SHORT_OPEN_PREFIX,
    FromRecord,
    checklist_cards,
    checklist_cards_json,
    prepare_cards,
)
from screening.citations import cited_as
from screening.describe import item_list
from screening.fhir.hidden import hidden_answers_dropped
from screening.fhir.questionnaire import DEFAULT_BASE
from screening.markdown import md_escape
from screening.models import DiscussedMark
from screening.open_entries import entry_headline, entry_text
from screening.pack.loader import load_pack
from screening.words import answers_behind
from tests.conftest import SIX_ANSWERS
from tests.test_cds import (
    PATIENT_VIEW,
    THEOPHYLLINE,
    bundle,
    call_body,
    signed_client,
)

FIXTURES = Path(__file__).parent / "fixtures"
FROZEN_PACK = load_pack(FIXTURES / "pack-1.1.0")
GOLDEN = FIXTURES / "cds" / "replies-pack-1.1.0.json"
UUID = re.compile(rb'"uuid":"([^"]*)"')
SIX = AnswersFile(answers=SIX_ANSWERS)
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
    """The frozen pack's replies in English and in the pseudo-locale, per point and as a
    summary card."""
    made: dict[str, str] = {}
    for language in ("en", PSEUDO_LANGUAGE):
        client = signed_client(FROZEN_PACK, per_point_cards=True, language=language)
        made |= {f"{language}/{k}": v for k, v in replies(client, FROZEN_PACK).items()}
    taken = [name for name, text in made.items() if "From the record" in text]
    assert taken == [name for name in made if name.startswith("en/") and "+record" in name]
    for language in ("en", PSEUDO_LANGUAGE):
        client = signed_client(FROZEN_PACK, language=language, app_url="https://app.example")
        made |= {f"summary/{language}/{k}": v for k, v in replies(client, FROZEN_PACK).items()}
    return made


class TestReplyBytes:
    """A reply is the bytes it was before the card path was made faster."""

    def test_the_frozen_packs_replies_are_the_golden_ones(self) -> None:
        """Regenerate only for a deliberate change: `python -m tests.test_cds_bytes`."""
        golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
        assert fingerprints(golden_replies()) == golden


def awkward(pack: RulePack) -> RulePack:
    """The pack approved (no warning on its cards), its labels starting as a heading or a list
    would and holding Markdown, a no-break space and runs of spaces, or only a bidirectional
    control (nothing once escaped): words that are not plain, which the cards escape whole;
    some labels kept; half its summaries holding Markdown."""
    data = pack.model_dump()
    for n, item in enumerate(data["items"]):
        odd = ["# {}\u00a0 *x*  [y]", "{} $", "1. {}  z", "\u200e", "{}"][n % 5]
        item["label"] = odd.format(item["label"])
    for n, rule in enumerate(data["rules"]):
        if rule["summary"] and n % 2:
            verb, rest = rule["summary"].split(" ", 1)
            rule["summary"] = f"{verb} *now* {rest[:85]}"
    data["meta"]["status"] = "approved"
    return RulePack.model_validate(data)


def counter() -> Callable[[], str]:
    count = iter(range(1_000_000))
    return lambda: f"card-{next(count)}"


def record_taken(checklist: Checklist) -> list[FromRecord]:
    """An answer from the record behind the first entry that has answers behind it."""
    behind = [b.item for e in checklist.entries for b in e.because][:1]
    return [
        FromRecord(item, checklist.label(item), "theophylline *200 mg*", "MedicationStatement", d)
        for item in behind
        for d in ("2026-11-20", None)
    ]


class TestCardsAsJson:
    """The per-point JSON the service writes is `checklist_cards` put through Starlette's JSON,
    and each card words its answers and open questions as the checklist's views do."""

    @pytest.mark.parametrize("language", ["en", PSEUDO_LANGUAGE])
    @pytest.mark.parametrize("odd", [False, True], ids=["shipped", "awkward"])
    @pytest.mark.parametrize("prepared", [False, True], ids=["worded", "prepared"])
    def test_the_json_is_the_cards_through_json_dumps(
        self,
        shipped_pack: RulePack,
        language: str,
        odd: bool,
        prepared: bool,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Open points worded per call, or before the first (`prepare_cards`)."""
        pack = awkward(shipped_pack) if odd else shipped_pack
        monkeypatch.setattr(cards_module, "_RULE_SETS", {})
        if prepared:
            with speaking(language):
                prepare_cards(pack)
        for answers in answer_sets(pack, count=10, seed=5).values():
            checklist = evaluate(pack, answers)
            for taken in ([], record_taken(checklist)):
                with speaking(language):
                    made = checklist_cards_json(checklist, make_uuid=counter(), from_record=taken)
                    cards = checklist_cards(checklist, make_uuid=counter(), from_record=taken)
                assert made == JSONResponse(cards).body  # what the service sent before
                self.assert_worded_as_the_views(checklist, cards, language)

    @staticmethod
    def assert_worded_as_the_views(
        checklist: Checklist, cards: list[dict[str, Any]], language: str
    ) -> None:
        with speaking(language):
            for entry, card in zip(checklist.entries, cards, strict=True):
                behind = md_escape(answers_behind(checklist, entry))
                assert (
                    _("**Answers that raised it:** {answers}").format(answers=behind)
                    in (card["detail"])
                )
                if not entry.open_items:
                    continue
                text = entry_text(entry, checklist.label)
                assert f"\n\n{md_escape(text, block=True)}\n" in card["detail"]
                still = md_escape(item_list([checklist.label(i) for i in entry.open_items]))
                assert f"** {still}. " in card["detail"]
                short = _(SHORT_OPEN_PREFIX) + entry_headline(entry)
                assert card["summary"] == (text if len(text) <= MAX_SUMMARY else short)

    @pytest.mark.parametrize("changed", ["sources", "statements"])
    def test_a_rule_citing_reworded_sources_in_another_pack_is_worded_anew(
        self, shipped_pack: RulePack, changed: str
    ) -> None:
        """Same rule set, ids and words, other citations (attributed as before) or other
        statements: not the card kept from the first pack."""
        checklist = evaluate(shipped_pack, SIX)
        checklist_cards_json(checklist)  # the shipped wording, kept
        data = shipped_pack.model_dump()
        for source, kept in zip(data["sources"], shipped_pack.sources, strict=True):
            if changed == "sources":
                source["citation"] = f"Recited {source['citation']}"
                source["short_name"] = cited_as(kept)
        for rule in data["rules"]:
            for said in rule.get("source_says", ()) if changed == "statements" else ():
                said["statement"] = f"Restated {said['statement']}"
        other = evaluate(RulePack.model_validate(data), SIX)
        cards = json.loads(checklist_cards_json(other))
        assert len(cards) == len(other.entries)
        for entry, card in zip(other.entries, cards, strict=True):
            if changed == "sources":
                assert "- Recited " in card["detail"]
            else:
                assert ("\u201cRestated " in card["detail"]) == bool(entry.source_says)
        assert any(entry.source_says for entry in other.entries)

    def test_calls_keep_nothing_but_the_packs_words(
        self, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """What is kept after calls is what the pack alone made: each rule's words, and the
        open points prepared at start; never a point as a call's answers left it open."""
        monkeypatch.setattr(cards_module, "_RULE_SETS", {})
        prepare_cards(shipped_pack)
        (rules,) = cards_module._RULE_SETS.values()
        prepared = dict(rules.prepared)
        checklists = [evaluate(shipped_pack, a) for a in answer_sets(shipped_pack, 10, 6).values()]
        assert any(len(e.open_items) > 1 for c in checklists for e in c.entries)
        for checklist in checklists:
            checklist_cards_json(checklist)
        assert rules.prepared == prepared
        assert {key[0] for key in rules.cards} <= {rule.id for rule in shipped_pack.rules}
        assert list(cards_module._RULE_SETS.values()) == [rules]

    def test_an_open_text_starting_a_block_is_escaped_as_one(self, shipped_pack: RulePack) -> None:
        """No catalogue starts an open point with its question yet; a language may."""
        checklist = evaluate(shipped_pack, SIX)
        entry = next(e for e in checklist.entries if len(e.open_items) == 1)
        questions = [checklist.label(i) for i in entry.open_items]
        rules = rule_cards("en", DEFAULT_BASE, checklist.rule_set)
        text = entry_text(entry, checklist.label)
        assert rules.open_text(entry, questions, text) == text
        for start in ("1. ", "2) ", "# ", "> ", "- ", "+ ", "= "):
            assert rules.open_text(entry, questions, start + text) == md_escape(
                start + text, block=True
            )

    def test_an_open_point_worded_with_markdown_in_a_language_is_escaped_whole(
        self, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A language whose sentences for an open point hold Markdown (here all emphasised)."""

        class Marked(gettext.NullTranslations):
            def gettext(self, message: str) -> str:
                return f"*{message}*"

            def ngettext(self, singular: str, plural: str, n: int) -> str:
                return f"*{singular if n == 1 else plural}*"

        monkeypatch.setattr(open_entries, "translations", lambda _tag: Marked())
        monkeypatch.setattr(cards_module, "_RULE_SETS", {})
        checklist = evaluate(shipped_pack, SIX)
        cards = checklist_cards(checklist, make_uuid=counter())
        self.assert_worded_as_the_views(checklist, cards, "en")
        assert sum("\n\n\\*Find out: " in card["detail"] for card in cards) > 10

    def test_the_awkward_labels_are_escaped_both_ways(self, shipped_pack: RulePack) -> None:
        """So that both ways of escaping a card's answers are compared above: word by word
        (plain words, some of them Markdown), and whole."""
        labels = [i.label for i in awkward(shipped_pack).items]
        plain = [label for label in labels if plain_escaped(label) is not None]
        assert plain
        assert len(plain) < len(labels)
        assert any(plain_escaped(label) != label for label in plain)


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(fingerprints(golden_replies()), indent=1) + "\n")
    sys.exit(0)
