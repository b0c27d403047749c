"""What the sources say, and the line on points not listed, in every place a checklist is shown.

One test over the renderers: the app's checklist screen (AppTest), Markdown, JSON, the PDF
(its text, read back with pypdf) and the CDS Hooks cards (the summary card, and one card per
point), made from answers read back from a FHIR QuestionnaireResponse as the service reads
them (the Questionnaire and the response carry the form and the answers only; the checklist
reaches FHIR systems as cards). Each statement appears attributed (`statement_text`) under
every point whose rule quotes it, raised or open (once per group where open points are
grouped under their question), and once at the top.
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
from screening.models import ANSWERS, Entry, StatementRef, open_top_statements
from screening.open_entries import group_open_entries
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pdf import checklist_pdf
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT, statement_lines
from screening.pdf.pages import check_pages
from screening.pdf.record import RECORD_NAME, PdfRecord, read_record
from screening.review.report import review_html, review_markdown
from screening.statements import (
    ABSENT_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    STRENGTH_WORDS,
    group_statements,
    statement_ref,
    statement_text,
)
from tests.app_helpers import open_every_question, open_save_panel
from tests.statement_helpers import ALL_RAISED, write_statement_pack

APP = str(Path(__file__).resolve().parent.parent / "app.py")

Rendered = tuple[str, Callable[[str], str]]
"""A renderer's output as text, and how a statement's plain text is written in it."""


def _plain(text: str) -> str:
    return text


def _no_space(text: str) -> str:
    """The PDF's text, read back, breaks lines where the page did: compare without spaces."""
    return re.sub(r"\s+", "", text)


def app_text(
    pack_dir: Path,
    answers: AnswersFile,
    monkeypatch: pytest.MonkeyPatch,
    *,
    open_questions: bool = True,
) -> Rendered:
    monkeypatch.setenv("SCREENING_RULES_DIR", str(pack_dir))
    at = AppTest.from_file(APP, default_timeout=30).run()
    open_save_panel(at)
    upload = ("a.json", answers.model_dump_json().encode(), "application/json")
    at.file_uploader(key="upload__answers").set_value(upload).run()
    at.button(key="build").click().run()
    if open_questions:  # as a clinician opens them
        open_every_question(at)
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
    if data["open_statements"]:
        top += [OPEN_STATEMENTS_HEADING, *(line(s) for s in data["open_statements"])]
    under = [line(s) for e in data["entries"] for s in e["source_says"]]
    return "\n".join([STATEMENTS_HEADING, *top, *under]), _plain


def pdf_text(pack: RulePack, answers: AnswersFile, checklist: Checklist) -> Rendered:
    reader = PdfReader(io.BytesIO(checklist_pdf(checklist)))
    return _no_space("".join(page.extract_text() for page in reader.pages)), _no_space


def cds_text(pack: RulePack, answers: AnswersFile, *, per_point: bool) -> Rendered:
    """The cards the CDS service answers with, for the answers read back from the FHIR
    QuestionnaireResponse an EHR would send: one summary card, or one card per point."""
    response = json.loads(json.dumps(questionnaire_response(evaluate(pack, answers))))
    read = answers_from_response(response, "response.json")
    checklist = evaluate(pack, read)
    cards = checklist_cards(checklist) if per_point else [summary_card(checklist)]
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


GROUPED = {"app", "pdf"}
"""Renderers that list open points under the question that would settle them: each group
shows its points' statements once, under the group."""

ANSWER_SETS = {
    "points-raised": ALL_RAISED,
    "monitoring-unknown": {"history": "no", "monitoring": "unknown"},
    "monitoring-unanswered": {"history": "yes"},
}
"""Every point raised; a point left open by an Unknown; one left open by a question not
answered (and another point raised)."""


def _open_groups(checklist: Checklist) -> list[list[Entry]]:
    by_section: dict[str, list[Entry]] = {}
    for entry in checklist.entries:
        by_section.setdefault(entry.section, []).append(entry)
    return [g for here in by_section.values() for g in group_open_entries(here).values()]


def times_shown(checklist: Checklist, said: StatementRef, renderer: str) -> int:
    """Under every raised entry that carries it; under every open entry, or once per group of
    open entries where the view groups them; and once at the top where there is a top, in
    either group."""
    raised = sum(said in e.source_says for e in checklist.entries if not e.open_items)
    if renderer in GROUPED:
        still_open = sum(said in group_statements(g) for g in _open_groups(checklist))
    else:
        still_open = sum(said in e.source_says for e in checklist.entries if e.open_items)
    on_top = said in checklist.statements or said in checklist.open_statements
    return (raised + still_open) * (renderer in UNDER_POINTS) + (renderer in TOP_BLOCK) * on_top


@pytest.mark.parametrize("answers", list(ANSWER_SETS.values()), ids=list(ANSWER_SETS))
@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_source_statement_is_shown_attributed_under_its_point_and_at_the_top(
    renderer: str,
    answers: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An open point (Unknown or unanswered) carries its rule's statements as a raised one
    does: an Unknown is never silently read as No."""
    pack_dir = write_statement_pack(tmp_path / "pack")
    given = AnswersFile(answers=answers)
    checklist, (text, written) = rendered(renderer, pack_dir, given, monkeypatch)
    pack = load_pack(pack_dir)
    for entry in checklist.entries:
        (rule,) = [r for r in pack.rules if r.id == entry.rule_id]
        quoted = [statement_ref(s, pack.source(s.source)) for s in rule.source_says]
        assert entry.source_says == tuple(quoted)
    every = dict.fromkeys(s for e in checklist.entries for s in e.source_says)
    assert every, "each answer set leaves a point that quotes its sources"
    for said in every:
        assert text.count(written(statement_text(said))) == times_shown(checklist, said, renderer)
    if renderer in TOP_BLOCK:
        assert written(STATEMENTS_HEADING) in text
        assert (written(OPEN_STATEMENTS_HEADING) in text) == bool(checklist.open_statements)
    if renderer in TOP_BLOCK and checklist.statements and checklist.open_statements:
        last_raised = text.index(written(statement_text(checklist.statements[-1])))
        assert last_raised < text.index(written(OPEN_STATEMENTS_HEADING))


def test_an_open_point_s_statements_are_listed_after_those_behind_the_points_raised(
    tmp_path: Path,
) -> None:
    pack = load_pack(write_statement_pack(tmp_path / "pack"))
    checklist = evaluate(pack, AnswersFile(answers={"history": "yes"}))
    assert [s.strength for s in checklist.statements] == ["caution"]
    assert [s.strength for s in checklist.open_statements] == ["contraindication", "do-not"]


def test_the_top_block_lists_only_contraindications_and_do_nots_of_open_points(
    tmp_path: Path,
) -> None:
    """A mostly blank form leaves many points open: the top stays short; the caution is
    still under its point."""
    pack = load_pack(write_statement_pack(tmp_path / "pack"))
    checklist = evaluate(pack, AnswersFile(answers={"history": "unknown", "monitoring": "yes"}))
    (entry,) = [e for e in checklist.entries if e.rule_id == "substance-history"]
    assert entry.open_items == ("history",)
    assert [s.strength for s in entry.source_says] == ["caution"]
    assert checklist.statements == () and checklist.open_statements == ()
    shown = checklist_markdown(checklist)
    assert shown.count(md_escape(statement_text(entry.source_says[0]))) == 1
    assert STATEMENTS_HEADING not in shown


def test_a_statement_behind_a_raised_point_is_not_listed_again_for_an_open_one() -> None:
    said = StatementRef(
        source="s", cited_as="The label", section="4", strength="do-not", statement="Do not."
    )
    raised = Entry.model_validate(
        {
            "rule_id": "a",
            "kind": "discuss",
            "section": "S",
            "text": "A.",
            "because": [],
            "sources": [],
            "source_says": [said],
            "rationale": "R.",
        }
    )
    still_open = raised.model_copy(update={"rule_id": "b", "open_items": ("x",)})
    assert open_top_statements([raised, still_open]) == ()
    assert open_top_statements([still_open]) == (said,)


@pytest.mark.parametrize("answer", ["unknown", None], ids=["unknown", "unanswered"])
@pytest.mark.parametrize("renderer", ["markdown", "pdf"])
def test_the_label_blood_pressure_contraindication_is_shown_when_control_is_not_known(
    renderer: str, answer: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user test's case, on the shipped pack."""
    given = {"chronic_pain_over_3_months": "yes"}
    if answer:
        given["cardiovascular_poorly_controlled"] = answer
    checklist, (text, written) = rendered(
        renderer, DEFAULT_RULES_DIR, AnswersFile(answers=given), monkeypatch
    )
    (said,) = [
        s for s in checklist.open_statements if "significant elevation of blood" in s.statement
    ]
    assert said.strength == "contraindication"
    assert text.count(written(statement_text(said))) >= 2  # at the top and under the point


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
    assert contract.open_statements_heading == OPEN_STATEMENTS_HEADING
    assert contract.open_statements_intro == OPEN_STATEMENTS_INTRO


class TestReadByAnotherRelease:
    """A later release cannot render a format-4 file again: it reads the pages by their text
    against format 4's contract, statements and the line on points not listed included."""

    @staticmethod
    def _record_and_pages(tmp_path: Path) -> tuple[PdfRecord, list[str], RulePack]:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        answers = AnswersFile(answers=ALL_RAISED)
        data = checklist_pdf(evaluate(pack, answers))
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


@pytest.mark.parametrize("answers", ["monitoring-unknown", "monitoring-unanswered"])
def test_a_closed_question_s_contraindications_and_do_nots_stay_in_sight_at_the_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: str
) -> None:
    """A question to find out is drawn closed; what its answer could bring that must not be
    missed is quoted above it all the same."""
    pack_dir = write_statement_pack(tmp_path / "pack")
    given = AnswersFile(answers=ANSWER_SETS[answers])
    checklist = evaluate(load_pack(pack_dir), given)
    assert checklist.open_statements, "the answers leave a contraindication open"
    text, escape = app_text(pack_dir, given, monkeypatch, open_questions=False)
    for said in checklist.open_statements:
        assert escape(said.statement) in text, said
