"""End to end in a real Chromium: `streamlit run app.py`, a clinician's path, real downloads."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    FilePayload,
    Locator,
    Page,
    Request,
    WebSocketRoute,
    expect,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pypdf import PdfReader

from app_pages.form.checklist_view import SCROLL_TO_TOP
from screening import AnswersFile, RulePack, evaluate
from screening.export import checklist_json
from tests.browser_helpers import (
    ANSWERS,
    IDLE,
    MARKER,
    ROOT,
    STREAMS,
    WORDS,
    Server,
    after_rerun,
    asked,
    build,
    busy,
    download,
    expect_filled,
    fill,
    load,
    pick,
    settled,
    toggle_save_panel,
    type_into,
)
from tests.conftest import SIX_ANSWERS, open_app

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"


def named_download(page: Page, label: str) -> tuple[str, bytes]:
    """The file name the browser is given for a download, and its bytes."""
    with page.expect_download() as caught:
        page.get_by_role("button", name=label).click()
    return caught.value.suggested_filename, Path(caught.value.path()).read_bytes()


def screenshot(page: Page, name: str) -> None:
    """Into tests/artifacts/, and into docs/screenshots/ only with UPDATE_SCREENSHOTS=1.

    A plain test run so leaves the committed screenshots, and the working tree, as they were.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(ARTIFACTS / name, DOC_SCREENSHOTS / name)


def files_written_since(folder: Path, since: float) -> list[Path]:
    """Files changed since `since`, leaving out tool folders and the screenshots tests take."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    screenshots = {ARTIFACTS, DOC_SCREENSHOTS}
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip and Path(parent, d) not in screenshots]
        for name in names:
            path = Path(parent, name)
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime >= since:
                    found.append(path)
    return found


class TestClinicianPath:
    """Fill the form, build the checklist, take it away: in a real browser, as a user would."""

    def test_the_checklist_json_download_is_what_the_cli_would_write_and_nothing_typed_reaches_disk(
        self, page: Page, shipped_pack: RulePack, server: Server
    ) -> None:
        """Typed and clicked through, built, downloaded: the file is the CLI's, and no file the
        server or the repository holds since the server started contains the patient reference."""
        fill(page)
        page.get_by_text(f"{len(ANSWERS)} of {asked(ANSWERS)} answered").wait_for()
        page.get_by_role("heading", name="Ketamine for pain").scroll_into_view_if_needed()
        screenshot(page, "form.png")
        build(page)
        page.get_by_text(f"Patient reference: {MARKER}").wait_for()
        page.get_by_role(
            "heading", name="Discussion checklist", exact=True
        ).scroll_into_view_if_needed()
        screenshot(page, "checklist.png")
        answers = AnswersFile.model_validate(
            {
                "answers": ANSWERS,
                "patient_reference": MARKER,
                "clinician": "Dr A. Example",
                "date": "2026-01-15",
            }
        )
        expected = evaluate(shipped_pack, answers)
        got = download(page, "Checklist JSON").decode()
        assert got == checklist_json(expected)
        assert json.loads(got)["rule_set"]["sha256"] == shipped_pack.sha256
        written = [*files_written_since(server.home, server.started)]
        written += files_written_since(ROOT, server.started)
        assert written, "the scan should at least see the server's log"
        assert not [p for p in written if MARKER.encode() in p.read_bytes()]

    def test_the_answers_download_loads_back_after_starting_again(self, page: Page) -> None:
        load(page)
        build(page)
        saved = download(page, "Answers JSON")
        assert json.loads(saved) == {
            "answers": ANSWERS,
            "patient_reference": MARKER,
            "clinician": "Dr A. Example",
            "date": "2026-01-15",
        }
        page.get_by_role("button", name="Start a new screening").click()
        page.get_by_role("button", name="Clear all answers, details and ticks").click()
        page.get_by_text(f"0 of {asked({})} answered").wait_for()
        toggle_save_panel(page)
        page.locator(".st-key-upload__answers input[type=file]").set_input_files(
            files=FilePayload(name="saved.json", mimeType="application/json", buffer=saved)
        )
        page.get_by_text(f"Loaded {len(ANSWERS)} answer(s) from saved.json.").wait_for()
        page.get_by_text(f"{len(ANSWERS)} of {asked(ANSWERS)} answered").wait_for()

    def test_every_download_is_named_from_the_date_and_the_patient_reference_and_the_pdf_is_a_pdf(
        self, page: Page
    ) -> None:
        load(page)
        build(page)
        downloads = {
            label: named_download(page, label)
            for label in ("Checklist JSON", "Checklist Markdown", "Download PDF", "Answers JSON")
        }
        assert {label: name for label, (name, _) in downloads.items()} == {
            "Checklist JSON": "discussion-checklist_2026-01-15_zq-4711.json",
            "Checklist Markdown": "discussion-checklist_2026-01-15_zq-4711.md",
            "Download PDF": "discussion-checklist_2026-01-15_zq-4711.pdf",
            "Answers JSON": "screening-answers_2026-01-15_zq-4711.json",
        }
        assert downloads["Download PDF"][1].startswith(b"%PDF-")

    def test_a_follow_up_comes_and_goes_with_its_parent_answer(self, page: Page) -> None:

        active = page.locator(".st-key-answer__substance_use_active")
        pick(page, "substance_use_history", "Yes")
        pick(page, "substance_use_active", "Yes")
        pick(page, "substance_use_history", "No")
        expect(active).to_have_count(0)
        expect(page.get_by_text("Answer set aside:")).to_be_visible()

    def test_a_parent_s_no_by_mistake_is_undone_in_one_click(self, page: Page) -> None:
        pick(page, "substance_use_history", "Yes")
        pick(page, "substance_use_active", "Yes")
        pick(page, "substance_use_history", "No")
        undo = page.get_by_role("button", name=re.compile(r"^Undo: .* back to Yes, and 1 answer"))
        after_rerun(page, undo.click)
        for item_id in ("substance_use_history", "substance_use_active"):
            choice = page.locator(f".st-key-answer__{item_id}").get_by_role("radio", name="Yes")
            expect(choice).to_have_attribute("aria-checked", "true")
        expect(page.get_by_text("Answer set aside:")).to_be_hidden()

    def test_markup_typed_as_the_patient_reference_is_shown_as_typed(self, page: Page) -> None:

        typed = "<b>x</b> **y** [z](https://e.org)"
        type_into(page, "Patient reference (optional)", typed)
        build(page)
        expect(page.get_by_text(f"Patient reference: {typed} · Date: ")).to_be_visible()
        expect(page.locator("[data-testid=stMain] b")).to_have_count(0)

    def test_the_browser_asks_nothing_of_any_server_but_the_apps(
        self, page: Page, server: Server
    ) -> None:
        elsewhere: list[str] = []

        def note(request: Request) -> None:
            # blob: URLs of the app's own origin are the page's scripts (the guard), not requests
            if not request.url.startswith((server.url, "data:", f"blob:{server.url}/")):
                elsewhere.append(request.url)

        page.on("request", note)
        try:
            page.reload()
            page.get_by_role("button", name="Build the discussion checklist").wait_for()
            build(page)
            for title in ("Rule pack", "About this checklist"):
                page.get_by_role("link", name=title.split()[0]).click()
                page.get_by_role("heading", name=title).wait_for()
                page.wait_for_selector(IDLE)
        finally:
            page.remove_listener("request", note)  # the tab serves the next test too
        assert elsewhere == []


def saved_answers(page: Page) -> dict[str, object]:
    """The answers file the form's own Save button writes."""
    toggle_save_panel(page)
    saved: dict[str, object] = json.loads(download(page, "Save answers (JSON)"))
    toggle_save_panel(page)
    return saved


def ticks(page: Page) -> list[bool]:
    return [box.is_checked() for box in page.get_by_role("checkbox").all()]


def back(page: Page) -> None:
    after_rerun(page, page.get_by_role("button", name="Back to the answers").click)


def visit(page: Page, link: str, heading: str) -> None:
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    page.wait_for_selector(IDLE)


class TestWhatWasDiscussed:
    """A tick and a note on a point reach every download and the saved answers."""

    def test_a_tick_and_a_note_reach_json_markdown_pdf_and_the_answers_file(
        self, page: Page
    ) -> None:
        load(page)
        build(page)
        first = page.locator("[data-testid=stCheckbox]").first
        after_rerun(page, first.click)
        page.get_by_role("button", name=re.compile("^Note on ")).first.click()
        note = page.get_by_role("textbox", name="Note on this point")
        note.fill("Agreed to *think* it over")

        def leave() -> None:
            note.press("Control+Enter")

        after_rerun(page, leave)
        page.keyboard.press("Escape")
        page.get_by_text("Note: Agreed to *think* it over").wait_for()
        checklist = json.loads(download(page, "Checklist JSON"))
        (marked,) = [e for e in checklist["entries"] if e["done"]]
        assert marked["note"] == "Agreed to *think* it over"
        answers = json.loads(download(page, "Answers JSON"))
        assert answers["discussed"] == {
            marked["rule_id"]: {"done": True, "note": "Agreed to *think* it over"}
        }
        markdown = download(page, "Checklist Markdown").decode()
        assert "- [x] " in markdown
        assert "Agreed to \\*think\\* it over" in markdown
        pdf = PdfReader(io.BytesIO(download(page, "Download PDF")))
        (record,) = pdf.attachments["screening-record.json"]
        embedded = json.loads(record)
        assert embedded["answers"]["discussed"] == answers["discussed"]


class TestNothingIsLost:
    """Every path a clinician walks keeps what they did: answers, details and ticks."""

    def test_answers_survive_a_tick_and_the_way_back_to_the_form(self, page: Page) -> None:
        fill(page)
        build(page)
        after_rerun(page, page.locator("[data-testid=stCheckbox]").first.click)
        back(page)
        expect_filled(page)
        assert saved_answers(page)["answers"] == ANSWERS

    def test_ticks_and_answers_survive_going_back_and_forth_twice(self, page: Page) -> None:
        load(page)
        build(page)
        after_rerun(page, page.locator("[data-testid=stCheckbox]").nth(1).click)
        before = ticks(page)
        for _ in range(2):
            back(page)
            expect_filled(page)
            build(page)
        assert ticks(page) == before
        assert before[1]

    def test_answers_and_ticks_survive_a_visit_to_every_other_page(self, page: Page) -> None:
        load(page)
        build(page)
        after_rerun(page, page.locator("[data-testid=stCheckbox]").first.click)
        visit(page, "Rule pack", "Rule pack")
        visit(page, "About", "About this checklist")
        visit(page, "Screening", "Discussion checklist")
        assert ticks(page)[0]
        back(page)
        expect_filled(page)

    def test_a_rebuild_after_changing_an_answer_shows_the_new_answer_everywhere(
        self, page: Page
    ) -> None:
        load(page)
        build(page)
        back(page)
        pick(page, "monitoring_available", "Yes")
        changed = {**ANSWERS, "monitoring_available": "yes"}
        build(page)
        assert json.loads(download(page, "Answers JSON"))["answers"] == changed
        got = json.loads(download(page, "Checklist JSON"))
        because = {(b["item"], b["answer"]) for e in got["entries"] for b in e["because"]}
        assert ("monitoring_available", "no") not in because
        back(page)
        expect_filled(page, changed)

    def test_a_bad_upload_after_a_round_trip_changes_nothing(self, page: Page) -> None:
        load(page)
        build(page)
        back(page)
        toggle_save_panel(page)
        page.locator(".st-key-upload__answers input[type=file]").set_input_files(
            files=FilePayload(name="bad.json", mimeType="application/json", buffer=b"{nope")
        )
        page.get_by_text("bad.json was not loaded").wait_for()
        expect_filled(page)

    def test_a_good_upload_replaces_the_form_and_survives_a_round_trip(self, page: Page) -> None:
        load(page)
        saved = saved_answers(page)
        page.get_by_role("button", name="Start a new screening").click()
        page.get_by_role("button", name="Clear all answers, details and ticks").click()
        page.get_by_text(f"0 of {asked({})} answered").wait_for()
        toggle_save_panel(page)
        upload = page.locator(".st-key-upload__answers input[type=file]")
        payload = FilePayload(
            name="saved.json", mimeType="application/json", buffer=json.dumps(saved).encode()
        )
        # The run the upload starts draws its message before the questions: wait for its end,
        # or a click lands while the browser still shows the cleared answers and sends them.
        after_rerun(page, lambda: upload.set_input_files(files=payload))
        page.get_by_text(f"Loaded {len(ANSWERS)} answer(s) from saved.json.").wait_for()
        page.get_by_text(f"{len(ANSWERS)} of {asked(ANSWERS)} answered").wait_for()
        build(page)
        after_rerun(page, page.locator("[data-testid=stCheckbox]").first.click)
        back(page)
        expect_filled(page)

    def test_a_file_loaded_over_a_filled_form_asks_first(self, page: Page) -> None:
        load(page)
        toggle_save_panel(page)
        upload = page.locator(".st-key-upload__answers input[type=file]")
        other = json.dumps({"answers": {"monitoring_available": "yes"}}).encode()
        payload = FilePayload(name="other.json", mimeType="application/json", buffer=other)
        after_rerun(page, lambda: upload.set_input_files(files=payload))
        page.get_by_text("Load other.json? It replaces everything on the form").wait_for()
        after_rerun(page, page.get_by_role("button", name="Keep the form as it is").click)
        toggle_save_panel(page)
        expect_filled(page)
        toggle_save_panel(page)
        after_rerun(page, lambda: upload.set_input_files(files=payload))
        replace = page.get_by_role("button", name="Replace the form with other.json")
        after_rerun(page, replace.click)
        page.get_by_text("Loaded 1 answer(s) from other.json.").wait_for()
        page.get_by_text(f"1 of {asked({'monitoring_available': 'yes'})} answered").wait_for()

    def test_a_tick_and_note_on_a_point_to_find_out_stay_in_sight_once_it_is_answered(
        self, page: Page
    ) -> None:
        load(page)
        build(page)
        checklist = json.loads(download(page, "Checklist JSON"))
        point = next(e for e in checklist["entries"] if e["open_items"])
        open_question(page, page.locator(f".st-key-find_out__{point['open_items'][0]}"))
        row = page.locator(f".st-key-point_tick__open__{point['rule_id']}")
        after_rerun(page, row.locator("[data-testid=stCheckbox]").click)
        row.get_by_role("button", name=re.compile("^Note on ")).click()
        page.get_by_role("textbox", name="Note on this point").fill("Asked the GP")
        page.keyboard.press("Escape")
        page.get_by_text("Note: Asked the GP").wait_for()
        back(page)
        (item_id,) = point["open_items"][:1]
        settles = next(a for a in ("yes", "no") if a not in point["raised_if"])
        pick(page, item_id, WORDS[settles])
        build(page)
        shown = page.get_by_text("Marks on points no longer on this checklist")
        expect(shown).to_be_visible()
        expect(
            page.get_by_text(f"{point['summary']} (was to find out): ticked, note")
        ).to_be_visible()

    def test_new_screening_clears_nothing_until_it_is_confirmed(self, page: Page) -> None:
        load(page)
        page.get_by_role("button", name="Start a new screening").click()
        page.get_by_role("button", name="Clear all answers, details and ticks").wait_for()
        page.keyboard.press("Escape")
        expect(
            page.get_by_role("button", name="Clear all answers, details and ticks")
        ).to_be_hidden()
        page.wait_for_selector(IDLE)
        expect_filled(page)


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
"""WCAG 2.2 AA, target size (24 px) included, and axe's best practices."""


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands, one line each,
    and skipped heading levels, which axe ranks moderate but a screen reader user meets first."""
    options = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": AXE_TAGS}}
    found = Axe().run(page, options=options).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
        if v["impact"] in ("serious", "critical") or v["id"] == "heading-order"
    ]


class TestAccessibility:
    """WCAG 2.2 AA as axe-core checks it: no serious or critical violation on any page."""

    def test_the_form_has_no_serious_violation(self, page: Page) -> None:
        """At its top as it opens (axe sizes only the targets in view), and once filled."""
        page.get_by_text(f"0 of {asked({})} answered").wait_for()  # drawn last: all is drawn
        assert serious_violations(page) == []
        fill(page)
        assert serious_violations(page) == []

    def test_every_other_page_has_no_serious_violation(self, page: Page) -> None:
        found = {}
        for link, heading in [
            ("Rule pack", "Rule pack"),
            ("Audit", "Audit"),
            ("About", "About this checklist"),
        ]:
            visit(page, link, heading)
            found[heading] = serious_violations(page)
        assert found == {"Rule pack": [], "Audit": [], "About this checklist": []}

    def test_the_built_checklist_takes_focus_and_with_a_why_open_has_no_serious_violation(
        self, page: Page
    ) -> None:
        load(page)
        build(page)
        heading = page.get_by_role("heading", name="Discussion checklist", exact=True)
        expect(heading).to_be_focused(timeout=20_000)
        page.keyboard.press("Tab")
        # The next stop is inside the checklist, after its heading, not back at the page's top.
        assert heading.evaluate(
            "(h) => Boolean(h.compareDocumentPosition(document.activeElement)"
            " & Node.DOCUMENT_POSITION_FOLLOWING)"
        )
        page.get_by_role("button", name="Why?").first.click()
        page.get_by_text("Why it matters.").first.wait_for()
        assert serious_violations(page) == []

    def test_the_tab_s_guard_moves_to_the_checklist_s_heading_as_it_appears(
        self, page: Page
    ) -> None:
        """The view's own script waits for its frame, which loads after the whole view has
        arrived; the guard moves as the heading appears. With the view's script standing down
        (as it does once the person has clicked since its frame began), the page still opens
        at the heading, focused: the guard did it."""
        load(page)
        main = page.get_by_test_id("stMain")
        build_button = page.get_by_role("button", name="Build the discussion checklist")
        build_button.scroll_into_view_if_needed()
        assert main.evaluate("(m) => m.scrollTop") > 0
        page.evaluate(
            "() => Object.defineProperty(window.__screeningGuard, 'lastInput',"
            " {get: () => Date.now() + 1e9, set: () => {}})"
        )
        build_button.click()
        heading = page.get_by_role("heading", name="Discussion checklist", exact=True)
        expect(heading).to_be_focused(timeout=20_000)
        assert main.evaluate("(m) => m.scrollTop") == 0

    def test_the_move_to_the_checklist_s_top_never_comes_after_the_person_started_on_it(
        self, page: Page
    ) -> None:
        """The view's script moves to the top and focuses the heading as it is mounted, which
        under load is seconds late: it does so only if the person has not clicked, typed or
        scrolled since, so a click already on its way lands where it was aimed. Run here
        again, as it would run late."""
        load(page)
        build(page)
        script = SCROLL_TO_TOP.removeprefix("<script>").removesuffix("</script>")
        late = "() => {" + script.replace("window.parent", "window") + "}"
        main = page.get_by_test_id("stMain")
        tick = page.locator("[data-testid=stCheckbox]").nth(3)
        tick.click()  # the person has started: a point is ticked
        tick.scroll_into_view_if_needed()
        before = main.evaluate("(m) => m.scrollTop")
        page.evaluate(late)
        assert main.evaluate("(m) => m.scrollTop") == before > 0
        expect(tick.locator("input")).to_be_focused()
        page.evaluate("() => { window.__screeningGuard.lastInput = 0; }")  # as if untouched
        page.evaluate(late)
        assert main.evaluate("(m) => m.scrollTop") == 0
        expect(page.get_by_role("heading", name="Discussion checklist", exact=True)).to_be_focused()

    def test_each_question_is_one_tab_stop_and_question_mark_opens_its_help(
        self, page: Page
    ) -> None:
        first = page.locator(".st-key-answer__chronic_pain_over_3_months")
        second = page.locator(".st-key-answer__condition_crps")
        pick(page, "chronic_pain_over_3_months", "Yes")
        expect(first.get_by_role("radio", name="Yes")).to_be_focused()
        page.keyboard.press("Tab")  # no stop on the help: straight to the next question
        assert second.get_by_role("radio").evaluate_all(
            "(radios) => radios.includes(document.activeElement)"
        )
        page.keyboard.press("?")
        expect(second.get_by_role("button", name=re.compile("^Help for"))).to_be_focused()
        expect(page.get_by_test_id("stTooltipContent")).to_contain_text("Sources")
        page.keyboard.press("Tab")
        assert second.get_by_role("radio").evaluate_all(
            "(radios) => radios.includes(document.activeElement)"
        )


def open_question(page: Page, group: Locator) -> None:
    """Open a question to find out (its points are drawn only once it is open)."""
    after_rerun(page, group.locator("summary").click)
    group.locator('[class*="st-key-point_tick__"]').first.wait_for()


def open_note(page: Page, n: int = 0) -> Locator:
    """Open the n-th point's note and return its text box."""
    page.get_by_role("button", name=re.compile("^Note on ")).nth(n).click()
    box = page.get_by_role("textbox", name="Note on this point")
    box.wait_for()
    return box


def paste(page: Page, box: Locator, text: str) -> None:
    """Paste `text` into `box` through the real clipboard and Ctrl+V, as a person would."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("(text) => navigator.clipboard.writeText(text)", text)
    box.focus()
    box.press("Control+V")


class TestEveryTypedCharacterCounts:
    """Text typed and not yet sent is never dropped: Esc, a download, a long paste."""

    def test_a_note_closed_with_esc_is_kept(self, page: Page) -> None:
        load(page)
        build(page)
        box = open_note(page)
        box.fill("Closed with Esc")
        page.keyboard.press("Escape")
        expect(box).to_be_hidden()
        page.get_by_text("Note: Closed with Esc").wait_for()
        (marked,) = json.loads(download(page, "Answers JSON"))["discussed"].values()
        assert marked == {"done": False, "note": "Closed with Esc"}

    @pytest.mark.parametrize(
        "label", ["Checklist JSON", "Checklist Markdown", "Download PDF", "Answers JSON"]
    )
    def test_a_download_clicked_right_after_typing_a_note_carries_the_note(
        self, page: Page, label: str
    ) -> None:
        """The note is typed and the button clicked at once, with no Enter and no wait."""
        load(page)
        build(page)
        open_note(page).fill("Typed just before the click")
        got = download(page, label)
        if label == "Download PDF":
            (record,) = PdfReader(io.BytesIO(got)).attachments["screening-record.json"]
            got = record
        assert b"Typed just before the click" in got
        page.get_by_text("Note: Typed just before the click").wait_for()

    def test_a_paste_over_the_limit_keeps_the_first_500_characters_and_says_so(
        self, page: Page
    ) -> None:
        load(page)
        build(page)
        box = open_note(page)
        pasted = "".join(f"{n:04d}," for n in range(120))  # 600 characters, each place told
        paste(page, box, pasted)
        expect(box).to_have_value(pasted[:500])
        expect(page.get_by_role("status").filter(has_text="characters pasted")).to_have_text(
            "Only the first 500 of the 600 characters pasted were kept: this field holds at "
            "most 500 characters."
        )
        page.keyboard.press("Escape")
        page.get_by_text(f"Note: {pasted[:500]}").wait_for()
        (marked,) = json.loads(download(page, "Answers JSON"))["discussed"].values()
        assert marked["note"] == pasted[:500]


def reload(page: Page) -> list[str]:
    """Reload the tab as a person would, leaving whatever the browser asks first; the kinds of
    the dialogs it showed. Waits for the new session's first run to draw its page."""
    shown: list[str] = []

    def leave(dialog: Dialog) -> None:
        shown.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    try:
        with page.expect_websocket(lambda ws: ws.url.endswith("/_stcore/stream")) as connecting:
            page.reload()
        STREAMS[page] = connecting.value
        page.get_by_role("heading", name="Ketamine for pain").wait_for()
        page.wait_for_selector(IDLE)
    finally:
        page.remove_listener("dialog", leave)
    return shown


class TestAReloadLosesNothing:
    """A reload asks first while the form holds work, and then brings the work back: kept in
    the server's memory only, behind a token only this tab holds."""

    def test_leaving_an_empty_form_asks_nothing(self, page: Page) -> None:
        page.get_by_role("heading", name="Ketamine for pain").click()  # the page was used
        assert reload(page) == []

    def test_a_reload_asks_first_then_restores_answers_ticks_and_notes_and_writes_nothing(
        self, page: Page, server: Server
    ) -> None:
        load(page)
        build(page)
        after_rerun(page, page.locator("[data-testid=stCheckbox]").first.click)
        open_note(page).fill("Kept through a reload")
        page.keyboard.press("Escape")
        page.get_by_text("Note: Kept through a reload").wait_for()
        assert reload(page) == ["beforeunload"]
        page.get_by_text("The screening was restored as it stood").wait_for()
        page.get_by_text("Note: Kept through a reload").wait_for()
        page.get_by_role("heading", name="Take it away").wait_for()
        expect(page.get_by_role("checkbox").first).to_be_checked()
        back(page)
        expect_filled(page)
        written = [*files_written_since(server.home, server.started)]
        written += files_written_since(ROOT, server.started)
        assert not [p for p in written if MARKER.encode() in p.read_bytes()]

    def test_a_clinician_typed_without_enter_comes_back_after_a_reload(self, page: Page) -> None:
        """Typed, a pause (the guard sends the text then), no Enter, no click away: reload."""
        load(page)
        box = page.get_by_role("textbox", name="Clinician (optional)")
        after_rerun(page, lambda: box.fill("Dr Typed Then Reloaded"))
        expect(box).to_be_focused()
        assert reload(page) == ["beforeunload"]
        page.get_by_text("The screening was restored as it stood").wait_for()
        expect_filled(page, clinician="Dr Typed Then Reloaded")

    def test_a_note_still_in_its_box_comes_back_after_a_reload(self, page: Page) -> None:
        load(page)
        build(page)
        box = open_note(page)
        after_rerun(page, lambda: box.fill("Typed, then the page reloaded"))
        expect(box).to_be_focused()
        assert reload(page) == ["beforeunload"]
        page.get_by_text("The screening was restored as it stood").wait_for()
        page.get_by_text("Note: Typed, then the page reloaded").wait_for()
        (marked,) = json.loads(download(page, "Answers JSON"))["discussed"].values()
        assert marked == {"done": False, "note": "Typed, then the page reloaded"}

    def test_after_starting_a_new_screening_a_reload_restores_nothing(self, page: Page) -> None:
        load(page)
        page.get_by_role("button", name="Start a new screening").click()
        page.get_by_role("button", name="Clear all answers, details and ticks").click()
        page.get_by_text(f"0 of {asked({})} answered").wait_for()
        assert reload(page) == []
        page.get_by_text(f"0 of {asked({})} answered").wait_for()
        expect(page.get_by_text("The screening was restored")).to_be_hidden()


ROUNDS_UNDER_LOAD = 4
"""Rounds of the page-switch path under load: before the fix, each round lost the typed
clinician or ignored a click, and about one in four wiped the form."""


@pytest.fixture
def busy_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own, pinned to one processor that a spinning process keeps busy."""
    cpu = max(os.sched_getaffinity(0))
    running = Server(tmp_path / "busy", cpus={cpu})
    try:
        running.wait_until_healthy()
        with busy(cpu):
            yield running
    finally:
        running.stop()


class TestPageSwitchesUnderLoad:
    """Typing in a field and switching pages at once, with the server's processor busy."""

    def test_the_typed_clinician_the_answers_and_each_click_survive(
        self, browser: Browser, busy_server: Server
    ) -> None:
        context = browser.new_context(viewport={"width": 1100, "height": 1300})
        tab = context.new_page()
        try:
            page = open_app(tab, busy_server.url, ".st-key-answer__chronic_pain_over_3_months")
            load(page)
            found = []
            for n in range(ROUNDS_UNDER_LOAD):
                typed = f"Dr Round {n}"
                page.get_by_role("textbox", name="Clinician (optional)").fill(typed)
                for link, heading in [("About", "About this checklist"), ("Screening", None)]:
                    page.get_by_role("link", name=link).click()  # at once: no Enter, no wait
                    target = heading or "Ketamine for pain: discussion checklist"
                    try:
                        page.get_by_role("heading", name=target).wait_for(timeout=30_000)
                    except PlaywrightTimeoutError:
                        found.append(f"round {n}: the click on {link} was ignored")
                        break
                page.get_by_text(f"{len(ANSWERS)} of {asked(ANSWERS)} answered").wait_for()
                page.wait_for_selector(IDLE)
                clinician = page.get_by_role("textbox", name="Clinician (optional)")
                reference = page.get_by_role("textbox", name="Patient reference (optional)")
                if clinician.input_value() != typed or reference.input_value() != MARKER:
                    found.append(
                        f"round {n}: {clinician.input_value()!r}, {reference.input_value()!r}"
                    )
            assert found == []
            expect_filled(page, ANSWERS, clinician=f"Dr Round {ROUNDS_UNDER_LOAD - 1}")
        finally:
            STREAMS.pop(tab, None)
            context.close()


STALL_SECONDS = 2.0
"""How long the server's messages are held after the one that mounts the guard."""


class TestAPageOpenedByItsAddress:
    """A page opened by its address is the page drawn, however slow the server is between one
    message and the next: the tab's answer to "which screening did you hold?" once reached the
    server before the tab knew its page, and the rerun it caused drew the form (in CI, four of
    six openings of the Audit page drew the form, and the test waited 30 s for a page that
    never came)."""

    @pytest.mark.parametrize(
        ("path", "drawn"),
        [("audit", ".st-key-audit_table"), ("rule_pack", ".st-key-candidate_zip")],
    )
    def test_a_server_that_stalls_after_mounting_the_guard_still_draws_the_named_page(
        self, browser: Browser, server: Server, path: str, drawn: str
    ) -> None:
        stalled: list[bytes] = []

        def stall_after_the_guard(route: WebSocketRoute) -> None:
            to_server = route.connect_to_server()

            def forward(message: str | bytes) -> None:
                route.send(message)
                if not stalled and isinstance(message, bytes) and b"screening_guard" in message:
                    stalled.append(message)
                    time.sleep(STALL_SECONDS)  # as a busy server does between two messages

            to_server.on_message(forward)

        context = browser.new_context(viewport={"width": 1100, "height": 1300})
        context.route_web_socket("**/_stcore/stream", stall_after_the_guard)
        tab = context.new_page()
        try:
            tab.goto(f"{server.url}/{path}")
            tab.wait_for_function(
                "() => sessionStorage.getItem('screening-recovery-token') !== null"
            )
            tab.wait_for_selector(IDLE)
            assert stalled, "the guard's message was never seen"
            assert tab.locator(drawn).count() == 1, tab.get_by_role("heading").all_inner_texts()
        finally:
            context.close()


RESTORE_ROUNDS = 2
"""Reloads in the restore-under-load test: before the fix, the click on the form as the page
came back landed on an empty form before the restore, and wiped it or kept it from restoring."""
CLICKED = "condition_fibromyalgia"
"""A question always asked, not among `ANSWERS`: the click after each reload answers it."""


LOST_ANSWER = """
const guard = {data: {}, lastCommit: -1e9, focusValue: new WeakMap(), lastInput: 0,
               idle: () => true};
Object.defineProperty(guard, 'answer', {get() { return () => {}; }, set(_v) {}});
window.__screeningGuard = guard;
"""
"""A tab whose answer to "which screening did you hold?" never reaches the server."""


class TestALostAnswerNeverBlanksThePage:
    """The page waits for the tab's answer after a reload, but not for ever: found in CI, where
    a lost answer left the Audit page blank for the whole 30 s a test waited."""

    def test_the_form_is_drawn_when_the_tab_never_answers(
        self, browser: Browser, server: Server
    ) -> None:
        context = browser.new_context(viewport={"width": 1100, "height": 1300})
        context.add_init_script(LOST_ANSWER)
        tab = context.new_page()
        try:
            tab.goto(server.url)
            tab.get_by_text("Opening the screening").wait_for(timeout=30_000)
            tab.locator(".st-key-answer__chronic_pain_over_3_months").wait_for(timeout=30_000)
        finally:
            context.close()


class TestARestoreUnderLoad:
    """A reload with the server's processor busy: a click made as soon as the form shows again
    adds to the restored screening, and never wipes it."""

    def test_a_click_at_once_after_a_reload_keeps_every_restored_answer(
        self, browser: Browser, busy_server: Server
    ) -> None:
        context = browser.new_context(viewport={"width": 1100, "height": 1300})
        tab = context.new_page()
        tab.on("dialog", lambda dialog: dialog.accept())  # leave the page: it asks first
        try:
            page = open_app(tab, busy_server.url, ".st-key-answer__chronic_pain_over_3_months")
            load(page)
            clicked = {**ANSWERS, CLICKED: "yes"}
            for n in range(RESTORE_ROUNDS):
                held = page.evaluate("() => sessionStorage.getItem('screening-recovery-token')")
                with page.expect_websocket(lambda ws: ws.url.endswith("/_stcore/stream")) as ws:
                    page.reload(wait_until="commit")
                STREAMS[page] = ws.value
                choice = page.locator(f".st-key-answer__{CLICKED}").get_by_role(
                    "radio", name="No" if n % 2 else "Yes", exact=True
                )
                choice.click()  # as soon as it shows, whatever the page is still doing
                clicked[CLICKED] = "no" if n % 2 else "yes"
                expect(choice).to_have_attribute("aria-checked", "true", timeout=30_000)
                page.wait_for_selector(IDLE)
                expect_filled(page, clicked)
                page.wait_for_function(
                    "(held) => sessionStorage.getItem('screening-recovery-token') !== held",
                    arg=held,
                )
        finally:
            STREAMS.pop(tab, None)
            context.close()


class CutShortStream:
    """The server's messages after the one that draws `marker`, held back as a busy server's
    are; should the browser send anything meanwhile (a click), the held messages are dropped,
    as Streamlit drops what it has not yet sent of a run when the next run starts."""

    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.route: WebSocketRoute | None = None
        self.held: list[str | bytes] | None = None  # None: not holding (before, or after)
        self.armed = True  # holds once, from the first message that draws `marker`
        self.dropped = 0

    def __call__(self, route: WebSocketRoute) -> None:
        to_server = route.connect_to_server()
        self.route = route

        def from_server(message: str | bytes) -> None:
            if self.held is not None:
                self.held.append(message)
                return
            route.send(message)
            if self.armed and isinstance(message, bytes) and self.marker in message:
                self.armed, self.held = False, []

        def from_browser(message: str | bytes) -> None:
            if self.held is not None:
                self.dropped, self.held = len(self.held), None
            to_server.send(message)

        to_server.on_message(from_server)
        route.on_message(from_browser)

    def release(self) -> None:
        """The server catches up: what it held reaches the browser, unless a click dropped it."""
        held, self.held = self.held, None
        for message in held or []:
            assert self.route is not None
            self.route.send(message)


@contextlib.contextmanager
def filled_tab(browser: Browser, server: Server) -> Iterator[tuple[BrowserContext, Page]]:
    """A tab of its own (its own WebSocket routes), the app open in it and the form filled;
    leaving the page is accepted when it asks."""
    context = browser.new_context(viewport={"width": 1100, "height": 1300})
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    try:
        page = open_app(tab, server.url, ".st-key-answer__chronic_pain_over_3_months")
        load(page)
        yield context, page
    finally:
        context.close()


class TestAClickWhileTheFormIsStillComing:
    """A click on an answer while the restored form is still reaching the browser adds to it:
    sent at once, the click started a run before the rest of the form had arrived, Streamlit
    dropped that rest, and the questions below came back empty (CI and under load: the last
    answers of a restored screening lost, about one run in seven)."""

    def test_the_answers_below_the_click_survive(self, browser: Browser, server: Server) -> None:
        with filled_tab(browser, server) as (context, page):
            stream = CutShortStream(f"answer__{CLICKED}".encode())
            context.route_web_socket("**/_stcore/stream", stream)
            page.reload(wait_until="commit")
            choice = page.locator(f".st-key-answer__{CLICKED}").get_by_role(
                "radio", name="Yes", exact=True
            )
            choice.click()
            page.wait_for_timeout(1500)  # the click goes now, or waits for the page
            stream.release()
            expect(choice).to_have_attribute("aria-checked", "true", timeout=30_000)
            settled(page)
            assert stream.dropped == 0, "a click was sent while the form was still coming"
            expect_filled(page, {**ANSWERS, CLICKED: "yes"})


class TestATickWhileTheChecklistIsStillComing:
    """A tick clicked while the restored checklist is still reaching the browser adds to it:
    the ticks below it, given before the reload, stay ticked."""

    def test_the_ticks_below_the_click_survive(self, browser: Browser, server: Server) -> None:
        with filled_tab(browser, server) as (context, page):
            build(page)
            rows = page.locator('[class*="st-key-point_tick__"]')
            for n in range(3):
                after_rerun(page, rows.nth(n).locator("[data-testid=stCheckbox]").click)
            first, second = (
                next(c for c in str(rows.nth(n).get_attribute("class")).split() if "_tick__" in c)
                for n in (0, 1)
            )
            stream = CutShortStream(second.removeprefix("st-key-").encode())  # held from the 2nd
            context.route_web_socket("**/_stcore/stream", stream)
            page.reload(wait_until="commit")
            box = page.locator(f".{first} [data-testid=stCheckbox]")
            box.click()  # untick the first, as soon as it shows
            page.wait_for_timeout(1500)  # the click goes now, or waits for the page
            stream.release()
            expect(box.get_by_role("checkbox")).not_to_be_checked(timeout=30_000)
            settled(page)
            assert stream.dropped == 0, "a click was sent while the checklist was still coming"
            for n, ticked in enumerate([False, True, True]):
                tick = rows.nth(n).get_by_role("checkbox")
                expect(tick).to_be_checked() if ticked else expect(tick).not_to_be_checked()


def bounding(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


class TestANavigableChecklist:
    """Read through the accessibility tree: each control is named by its point, and a link
    skips past the points to the downloads."""

    def test_every_why_and_note_button_is_named_by_its_point(self, page: Page) -> None:
        load(page)
        build(page)
        points = page.locator("[data-testid=stCheckbox] label")
        first = points.first.inner_text().strip()
        why = page.get_by_role("button", name=f"Why? — {first}", exact=True)
        expect(why).to_have_count(1)
        expect(page.get_by_role("button", name=f"Note on {first}", exact=True)).to_have_count(1)
        expect(page.get_by_role("button", name="Why?", exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name="Note", exact=True)).to_have_count(0)
        page.get_by_role("button", name=f"Note on {first}", exact=True).click()
        expect(page.get_by_role("textbox", name=f"Note on this point: {first}")).to_be_visible()

    def test_the_open_questions_come_once_after_the_points_raised_each_control_named(
        self, page: Page
    ) -> None:
        """Read through the accessibility tree (Playwright's roles and names): each point to
        find out is named by its question, and its tick says it marks it discussed."""
        load(page, SIX_ANSWERS)
        build(page)
        course = "Find out: Is a course of ketamine for pain being planned for this patient?"
        expect(page.get_by_text(course, exact=True)).to_have_count(1)  # was once per section
        open_question(
            page,
            page.locator('[class*="st-key-find_out__"]').filter(
                has=page.get_by_text(course, exact=True)
            ),
        )
        ticks = page.get_by_role(
            "checkbox", name=re.compile(f"^{re.escape(course)} — .+ — discussed$")
        )
        expect(ticks).to_have_count(6)
        name = ticks.first.get_attribute("aria-label") or ""
        point = name.removeprefix(f"{course} — ").removesuffix(" — discussed")
        for control in (f"Why? — {course} — {point}", f"Note on {course} — {point}"):
            expect(page.get_by_role("button", name=control, exact=True)).to_have_count(1)
        tree = page.get_by_test_id("stMain").aria_snapshot()
        assert f'checkbox "{name}"' in tree
        assert 'button "Why?"' not in tree and 'button "Note"' not in tree

    def test_a_six_answer_checklist_shows_its_raised_points_on_the_first_screen(
        self, page: Page
    ) -> None:
        load(page, SIX_ANSWERS)
        build(page)
        height = page.viewport_size["height"] if page.viewport_size else 0
        raised = page.locator('[class*="st-key-point_tick__held__"]')
        expect(raised).to_have_count(3)
        bottoms = [box["y"] + box["height"] for box in map(bounding, raised.all())]
        find_out = bounding(page.get_by_role("heading", name="To find out"))
        assert max(bottoms) <= height, (bottoms, height)
        assert find_out["y"] > max(bottoms)

    def test_from_question_2_to_build_is_one_tab_press_per_question_and_a_link_skips_it(
        self, page: Page
    ) -> None:
        """83 presses before (a stop on every question's help), one per question now."""
        load(page, SIX_ANSWERS)
        page.locator(".st-key-answer__condition_crps").get_by_role("radio", name="Yes").focus()
        build_button = page.get_by_role("button", name="Build the discussion checklist")
        presses = 0
        while presses < 200 and not build_button.evaluate("(b) => b === document.activeElement"):
            page.keyboard.press("Tab")
            presses += 1
        assert presses <= asked(SIX_ANSWERS), presses  # one per question after the first
        page.keyboard.press("Shift+Tab")
        page.get_by_role("link", name="Skip to Build the checklist").click()
        page.keyboard.press("Tab")
        expect(build_button).to_be_focused()

    def test_a_link_skips_past_the_points_to_the_questions_to_find_out(self, page: Page) -> None:
        load(page)
        build(page)
        page.get_by_role("link", name="Skip to the questions to find out").click()
        expect(page.get_by_role("heading", name="To find out")).to_be_in_viewport()

    def test_a_link_skips_past_the_points_to_the_downloads(self, page: Page) -> None:
        load(page)
        build(page)
        page.get_by_role("link", name="Skip to the downloads").click()
        expect(page.get_by_role("heading", name="Take it away")).to_be_in_viewport()
