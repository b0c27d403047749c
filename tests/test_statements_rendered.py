"""What the sources say, and the line on points not listed, in every place a checklist is shown.

One test over the renderers: the app's checklist screen (AppTest), Markdown, JSON, the PDF
(its text, read back with pypdf) and the CDS Hooks cards (the summary card, and one card per
point), made from answers read back from a FHIR QuestionnaireResponse as the service reads
them (the Questionnaire and the response carry the form and the answers only; the checklist
reaches FHIR systems as cards). Each statement appears attributed (`statement_text`) under
every point whose rule quotes it, and once at the top.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from screening import (
    AnswersFile,
    Checklist,
    RulePack,
    checklist_json,
    checklist_markdown,
    evaluate,
    load_pack,
)
from screening.cds.cards import checklist_cards, summary_card
from screening.errors import ExportError
from screening.fhir.response import answers_from_response, questionnaire_response
from screening.logic import asked_states
from screening.markdown import md_escape
from screening.models import ANSWERS, StatementRef
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pdf import checklist_pdf
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT, statement_lines
from screening.pdf.pages import check_pages
from screening.pdf.record import RECORD_NAME, PdfRecord, read_record
from screening.review.report import review_html, review_markdown
from screening.statements import (
    ABSENT_POINT_NOTE,
    STATEMENTS_HEADING,
    STRENGTH_WORDS,
    statement_ref,
    statement_text,
)
from tests.app_helpers import open_save_panel
from tests.statement_helpers import ALL_RAISED, write_statement_pack

APP = str(Path(__file__).resolve().parent.parent / "app.py")

Rendered = tuple[str, Callable[[str], str]]
"""A renderer's output as text, and how a statement's plain text is written in it."""


def _plain(text: str) -> str:
    return text


def _no_space(text: str) -> str:
    """The PDF's text, read back, breaks lines where the page did: compare without spaces."""
    return re.sub(r"\s+", "", text)


def app_text(pack_dir: Path, answers: AnswersFile, monkeypatch: pytest.MonkeyPatch) -> Rendered:
    monkeypatch.setenv("SCREENING_RULES_DIR", str(pack_dir))
    at = AppTest.from_file(APP, default_timeout=30).run()
    open_save_panel(at)
    upload = ("a.json", answers.model_dump_json().encode(), "application/json")
    at.file_uploader(key="upload__answers").set_value(upload).run()
    at.button(key="build").click().run()
    assert not at.exception
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(shown), md_escape


def markdown_text(checklist: Checklist) -> Rendered:
    return checklist_markdown(checklist), md_escape


def json_text(checklist: Checklist) -> Rendered:
    """The JSON as a program reading it would print each statement: from its fields."""
    data = json.loads(checklist_json(checklist))

    def line(said: dict[str, str]) -> str:
        strength = STRENGTH_WORDS[said["strength"]]  # type: ignore[index]
        return (
            f"{said['cited_as']} ({said['section']}), {strength}: \u201c{said['statement']}\u201d"
        )

    top = [line(s) for s in data["statements"]]
    under = [line(s) for e in data["entries"] for s in e["source_says"]]
    return "\n".join([STATEMENTS_HEADING, *top, *under]), _plain


def pdf_text(pack: RulePack, answers: AnswersFile, checklist: Checklist) -> Rendered:
    reader = PdfReader(io.BytesIO(checklist_pdf(pack, answers, checklist)))
    return _no_space("".join(page.extract_text() for page in reader.pages)), _no_space


def cds_text(pack: RulePack, answers: AnswersFile, *, per_point: bool) -> Rendered:
    """The cards the CDS service answers with, for the answers read back from the FHIR
    QuestionnaireResponse an EHR would send: one summary card, or one card per point."""
    response = json.loads(json.dumps(questionnaire_response(pack, answers)))
    read = answers_from_response(response, "response.json")
    checklist = evaluate(pack, read)
    cards = checklist_cards(pack, read, checklist) if per_point else [summary_card(pack, checklist)]
    return "\n".join(c["detail"] for c in cards), md_escape


RENDERERS = ["app", "markdown", "json", "pdf", "cds-summary-card", "cds-point-cards"]
TOP_BLOCK = {"app", "markdown", "json", "pdf", "cds-summary-card"}
"""Renderers that list the statements once at the top; a point's card carries its own."""
UNDER_POINTS = set(RENDERERS) - {"cds-summary-card"}
"""Renderers that show each point in full, its statements under it; the summary card lists
the points' headlines only."""


def rendered(
    renderer: str,
    pack_dir: Path,
    answers: AnswersFile,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Checklist, Rendered]:
    pack = load_pack(pack_dir)
    checklist = evaluate(pack, answers)
    if renderer == "app":
        return checklist, app_text(pack_dir, answers, monkeypatch)
    if renderer == "markdown":
        return checklist, markdown_text(checklist)
    if renderer == "json":
        return checklist, json_text(checklist)
    if renderer == "pdf":
        return checklist, pdf_text(pack, answers, checklist)
    return checklist, cds_text(pack, answers, per_point=renderer == "cds-point-cards")


def times_shown(checklist: Checklist, said: StatementRef, renderer: str) -> int:
    """Under every entry that carries it, and once at the top where there is a top."""
    under = sum(said in e.source_says for e in checklist.entries)
    return under * (renderer in UNDER_POINTS) + (renderer in TOP_BLOCK)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_source_statement_is_shown_attributed_under_its_point_and_at_the_top(
    renderer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_dir = write_statement_pack(tmp_path / "pack")
    answers = AnswersFile(answers=ALL_RAISED)
    checklist, (text, written) = rendered(renderer, pack_dir, answers, monkeypatch)
    assert len(checklist.statements) == 3
    for said in checklist.statements:
        assert text.count(written(statement_text(said))) == times_shown(checklist, said, renderer)
    if renderer in TOP_BLOCK:
        assert written(STATEMENTS_HEADING) in text


@pytest.mark.parametrize("renderer", RENDERERS)
def test_an_open_point_shows_none_of_its_statements_until_an_answer_raises_it(
    renderer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open point is a question to settle: kept short, as the partly answered form's is."""
    pack_dir = write_statement_pack(tmp_path / "pack")
    answers = AnswersFile(answers={"history": "no", "monitoring": "unknown"})
    checklist, (text, written) = rendered(renderer, pack_dir, answers, monkeypatch)
    (entry,) = checklist.entries
    assert entry.open_items == ("monitoring",)
    pack = load_pack(pack_dir)
    (rule,) = [r for r in pack.rules if r.id == entry.rule_id]
    assert rule.source_says
    for said in rule.source_says:
        line = statement_text(statement_ref(said, pack.source(said.source)))
        assert written(said.statement) not in text
        assert written(line) not in text
    assert written(STATEMENTS_HEADING) not in text or renderer == "json"


def _raising(pack: RulePack) -> list[AnswersFile]:
    """Answer sets that between them raise, or leave open, every rule of a pack: every
    question asked answered Yes, then No, then Unknown."""
    found = []
    for answer in ANSWERS:
        given = {i.id: answer for i in pack.items}
        asked = asked_states(pack, given)
        found.append(AnswersFile(answers={k: v for k, v in given.items() if k in asked}))
    return found


@pytest.mark.parametrize("renderer", sorted(UNDER_POINTS - {"app"}))
def test_every_shipped_rule_that_quotes_a_source_shows_it(
    renderer: str, shipped_pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    quoting = {r.id for r in shipped_pack.rules if r.source_says}
    if not quoting:
        pytest.skip("no rule of the shipped pack quotes its sources yet")
    seen: set[str] = set()
    for given in _raising(shipped_pack):
        checklist, (text, written) = rendered(renderer, DEFAULT_RULES_DIR, given, monkeypatch)
        for entry in checklist.entries:
            for said in entry.source_says:
                assert written(statement_text(said)) in text, (entry.rule_id, said)
            seen |= {entry.rule_id} if entry.source_says else set()
    assert seen == quoting


@pytest.mark.parametrize(
    "renderer", ["app", "markdown", "pdf", "cds-summary-card", "cds-point-cards"]
)
@pytest.mark.parametrize("answers", [ALL_RAISED, {}], ids=["points-raised", "no-answers"])
def test_the_checklist_says_once_that_a_point_not_listed_was_not_raised(
    renderer: str, answers: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_dir = write_statement_pack(tmp_path / "pack")
    given = AnswersFile(answers=answers)
    checklist, (text, written) = rendered(renderer, pack_dir, given, monkeypatch)
    per_card = renderer == "cds-point-cards"
    assert text.count(written(ABSENT_POINT_NOTE)) == (len(checklist.entries) if per_card else 1)


def test_the_pdf_prints_statements_in_the_words_every_other_view_uses() -> None:
    contract = CONTRACTS[CURRENT_FORMAT]
    said = StatementRef(
        source="s", cited_as="The label", section="4", strength="do-not", statement="Do not."
    )
    assert statement_lines(contract, [said]) == [statement_text(said)]
    assert contract.absent_note == ABSENT_POINT_NOTE
    assert contract.statements_heading == STATEMENTS_HEADING


class TestReadByAnotherRelease:
    """A later release cannot render a format-4 file again: it reads the pages by their text
    against format 4's contract, statements and the line on points not listed included."""

    @staticmethod
    def _record_and_pages(tmp_path: Path) -> tuple[PdfRecord, list[str], RulePack]:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        answers = AnswersFile(answers=ALL_RAISED)
        data = checklist_pdf(pack, answers, evaluate(pack, answers))
        reader = PdfReader(io.BytesIO(data))
        record, _ = read_record(reader.attachments[RECORD_NAME][0], "c.pdf")
        return record, [page.extract_text() for page in reader.pages], pack

    def test_its_pages_agree_with_its_record(self, tmp_path: Path) -> None:
        record, pages, pack = self._record_and_pages(tmp_path)
        assert record.format_version == 4
        assert check_pages(pages, record, pack, "c.pdf") == ()

    def test_a_statement_the_pages_do_not_print_is_found(self, tmp_path: Path) -> None:
        record, pages, pack = self._record_and_pages(tmp_path)
        data = record.model_dump()
        checklist = data["checklist"]
        for said in [*checklist["statements"], *checklist["entries"][-1]["source_says"]]:
            said["statement"] = said["statement"].replace("serious", "grave")
        altered = PdfRecord.model_validate(data)
        with pytest.raises(ExportError) as refused:
            check_pages(pages, altered, pack, "c.pdf")
        messages = [p.message for p in refused.value.problems]
        assert messages == [
            "a statement in what the sources say on the pages differs from the embedded record: "
            "the file has been altered",
            "a source statement of entry setting-monitoring on the pages differs from the "
            "embedded record: the file has been altered",
        ]


@pytest.mark.parametrize("form", ["markdown", "html"])
def test_the_review_document_shows_each_rule_s_statements_with_its_point(
    form: str, tmp_path: Path
) -> None:
    """What a committee reads (`rules --format html`): each statement where the point is."""
    pack = load_pack(write_statement_pack(tmp_path / "pack"))
    shown = review_html(pack) if form == "html" else review_markdown(pack)
    for rule in pack.rules:
        point = shown.index(md_escape(rule.text) if form == "markdown" else rule.text)
        for said in rule.source_says:
            line = statement_text(statement_ref(said, pack.source(said.source)))
            written = md_escape(line) if form == "markdown" else html.escape(line, quote=False)
            assert shown.count(written) == 1
            assert 0 < shown.index(written) - point < 400
