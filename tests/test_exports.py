"""Every export keeps every renderer's promises, tested once over the export registry.

Each test runs over `EXPORT_FORMATS` (and the CDS cards, the other view made from a checklist
alone), so a format added to the registry is held to these promises at once: its reader
below (what a person or program sees of it) is the one thing to add, and
`test_every_export_format_has_a_reader` says so when it is missing.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from pypdf import PdfReader

from screening import AnswersFile, Checklist, DiscussedMark, evaluate, load_pack
from screening.cds.cards import checklist_cards, summary_card
from screening.formats import EXPORT_FORMATS
from screening.models import Status
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT, draft_band
from screening.words import STATUS_WARNINGS
from tests.conftest import MINI_PACK, write_pack

MARKUP = "**bold** <b>tag</b> [link](https://example.org) `code` $x$ _u_ ~s~ &amp; |p|"
"""Markdown, HTML, a link, code, maths and an entity: each must reach a reader as typed."""


def _markdown_seen(text: str) -> str:
    """What a reader sees of Markdown: rendered with raw HTML allowed (the worst case), then
    the tags taken away and the entities read."""
    rendered = MarkdownIt("commonmark", {"html": True}).enable("strikethrough").render(text)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def _json_seen(text: str) -> str:
    """What a program reads of JSON: every string in it."""

    def strings(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    return "\n".join(strings(json.loads(text)))


def _pdf_seen(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


READERS: dict[str, Callable[[Any], str]] = {
    "json": _json_seen,
    "markdown": _markdown_seen,
    "pdf": _pdf_seen,
}
"""What a reader sees of each export format, by its `--format` name."""

CARD_VIEWS: dict[str, Callable[[Checklist], str]] = {
    "cds cards": lambda c: _markdown_seen(
        "\n\n".join(card["detail"] for card in checklist_cards(c))
    ),
    "cds summary card": lambda c: _markdown_seen(summary_card(c)["detail"]),
}
"""The CDS Hooks cards: made from the checklist alone, read as Markdown."""


def seen(view: str, checklist: Checklist) -> str:
    """What a reader sees of `checklist` in `view`: an export format's name or a card view."""
    if view in CARD_VIEWS:
        return CARD_VIEWS[view](checklist)
    export = next(f for f in EXPORT_FORMATS if f.name == view)
    return READERS[view](export.render(checklist))


def flat(text: str) -> str:
    """Text with its white space taken out, as wrapped lines and folded breaks leave it."""
    return "".join(text.split())


VIEWS = [f.name for f in EXPORT_FORMATS] + list(CARD_VIEWS)
VIEWS_FOR_PEOPLE = [f.name for f in EXPORT_FORMATS if f.for_people] + list(CARD_VIEWS)


def _pack(
    tmp_path: Path,
    status: Status = "draft",
    summary: str = "",
    text: str = "",
    rationale: str = "",
) -> Any:
    meta = MINI_PACK["pack.yaml"].replace("status: draft", f"status: {status}")
    rules = MINI_PACK["rules-main.yaml"]
    if summary:
        rules = rules.replace('"Discuss the substance use history"', json.dumps(summary))
    if text:
        rules = rules.replace(
            '"Discuss the substance use history and a plan for misuse."', json.dumps(text)
        )
    if rationale:
        rules = rules.replace('"Ketamine can be misused."', json.dumps(rationale))
    return load_pack(write_pack(tmp_path / "pack", {"pack.yaml": meta, "rules-main.yaml": rules}))


SHOWN_TEXT = {
    "summary": "Discuss " + MARKUP,
    "rule text": "Discuss it: " + MARKUP,
    "rationale": "Why: " + MARKUP,
    "patient reference": "Ref " + MARKUP,
    "note": "Note " + MARKUP,
}
"""Pack text and user text, each with every kind of markup."""

SHOWS: dict[str, tuple[str, ...]] = {
    "json": tuple(SHOWN_TEXT),
    "markdown": ("rule text", "rationale", "patient reference", "note"),
    "pdf": ("rule text", "patient reference", "note"),
    "cds cards": ("rule text", "rationale"),
    "cds summary card": ("rule text",),
}
"""Which of them each view shows: the PDF prints no rationale, a card names no patient and
carries no note, the summary card gives each raised point's text."""


def test_every_export_format_has_a_reader() -> None:
    """A format added to the registry needs only its reader and what it shows here to be
    held to every test."""
    assert set(READERS) == {f.name for f in EXPORT_FORMATS}
    assert set(SHOWS) == set(VIEWS)


@pytest.mark.parametrize("view", VIEWS)
def test_pack_and_user_text_reach_the_reader_literally_in_every_export(
    tmp_path: Path, view: str
) -> None:
    pack = _pack(
        tmp_path,
        summary=SHOWN_TEXT["summary"],
        text=SHOWN_TEXT["rule text"],
        rationale=SHOWN_TEXT["rationale"],
    )
    answers = AnswersFile(
        answers={"history": "yes", "active": "no", "monitoring": "yes"},
        patient_reference=SHOWN_TEXT["patient reference"],
        discussed={"substance-history": DiscussedMark(done=True, note=SHOWN_TEXT["note"])},
    )
    shown = flat(seen(view, evaluate(pack, answers)))
    missing = [name for name in SHOWS[view] if flat(SHOWN_TEXT[name]) not in shown]
    assert missing == [], f"{view} does not show these as typed: {missing}"


OPEN_CASES = {
    "not assessed": {"history": "yes"},
    "answered unknown": {"history": "yes", "active": "unknown", "monitoring": "yes"},
}
"""A point left open by a question not answered, and by one answered Unknown."""


@pytest.mark.parametrize("case", list(OPEN_CASES))
@pytest.mark.parametrize("view", VIEWS_FOR_PEOPLE)
def test_wherever_an_open_point_is_shown_unknown_is_never_read_as_no(
    tmp_path: Path, view: str, case: str
) -> None:
    checklist = evaluate(_pack(tmp_path), AnswersFile(answers=OPEN_CASES[case]))
    assert any(e.open_items for e in checklist.entries)
    assert flat("never read as No").lower() in flat(seen(view, checklist)).lower()


def _warnings(checklist: Checklist) -> list[str]:
    """The pack-status warnings the core defines: the words of every view, the PDF's band."""
    status = checklist.rule_set.status
    found = [w for named, w in STATUS_WARNINGS.items() if named == status]
    band = draft_band(CONTRACTS[CURRENT_FORMAT], checklist.rule_set)
    return found + ([band] if band else [])


@pytest.mark.parametrize("status", ["draft", "in_review", "retired", "approved"])
@pytest.mark.parametrize("view", VIEWS)
def test_a_pack_not_approved_is_warned_of_in_every_view_of_a_checklist(
    tmp_path: Path, view: str, status: Status
) -> None:
    checklist = evaluate(_pack(tmp_path, status), AnswersFile(answers={"monitoring": "no"}))
    export = next((f for f in EXPORT_FORMATS if f.name == view), None)
    if export is not None and not export.for_people:  # a program reads the status as data
        assert json.loads(export.render(checklist))["rule_set"]["status"] == status
        return
    shown = flat(seen(view, checklist))
    warned = [w for w in _warnings(checklist) if flat(w) in shown]
    assert bool(warned) == (status != "approved"), f"{view}: {status}"
