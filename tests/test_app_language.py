"""The app's language is chosen in the sidebar, and the pages converted to the catalogue show
no English word of ours in the pseudo-locale (AppTest).

Converted so far, each checked below: the page frame (titles, the versions caption, the
disclaimer, the pack-status warning, the language picker), the About page, the form (with its
save and record panels open, and what their upload callbacks say), the checklist view (each
point's Why? and Note open), the Rule pack page (with a candidate pack checked) and the Audit
page. Not yet converted: `NOT_YET_CONVERTED`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.state.common import user_key_from_element_id
from streamlit.testing.v1 import AppTest

from screening import (
    DEFAULT_RULES_DIR,
    PSEUDO_LANGUAGE,
    AnswersFile,
    RulePack,
    load_pack,
    run_pack_scenarios,
)
from screening.pdf import RECORD_NAME
from tests.app_helpers import open_every_point, open_every_question
from tests.conftest import MINI_PACK, ROWS, csv_text, upload_candidate_zip, write_pack, zipped
from tests.test_pseudo_locale import english_left, pack_strings

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LANGUAGE = "app__language"
NOT_YET_CONVERTED: tuple[str, ...] = ()
"""App pages whose words do not yet go through the catalogue."""
_TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "text")
_NOTICES = ("info", "warning", "success", "error")
_WIDGETS = (
    "button",
    "checkbox",
    "selectbox",
    "text_area",
    "text_input",
    "radio",
    "date_input",
    "segmented_control",
    "expander",
    "file_uploader",
)


def load_pack_text(files: dict[str, str], where: Path) -> RulePack:
    """A pack written from its files' text, and loaded."""
    return load_pack(write_pack(where / "candidate", files))


def shown_text(at: AppTest) -> str:
    """Every text the page shows, its widgets' labels and help included."""
    found: list[str] = []
    for kind in (*_TEXT_ELEMENTS, *_NOTICES):
        found += [str(element.value) for element in getattr(at, kind)]
    for kind in _WIDGETS:
        for widget in getattr(at, kind):
            found += [str(widget.label), str(getattr(widget, "help", None) or "")]
    found += [str(option) for control in at.segmented_control for option in control.options]
    found += [str(group.label) for group in at.expander]
    for table in at.dataframe:  # the cells of our own words (pack content is subtracted)
        found += [str(cell) for cell in table.value.to_numpy().ravel()]
    # A link's target in the page is an anchor, not words: `[Skip ...](#take-it-away)`
    return re.sub(r"\]\(#[\w-]+\)", "]", "\n".join(found))


def start(
    monkeypatch: pytest.MonkeyPatch, language: str | None, rules_dir: Path | None = None
) -> AppTest:
    """The app on the shipped pack (or the pack in `rules_dir`), in `language` if given."""
    if rules_dir is None:
        monkeypatch.delenv("SCREENING_RULES_DIR", raising=False)
    else:
        monkeypatch.setenv("SCREENING_RULES_DIR", str(rules_dir))
    at = AppTest.from_file(APP, default_timeout=30).run()
    if language is not None:
        at.selectbox(key=LANGUAGE).set_value(language).run()
    return at


@pytest.fixture
def allowed(shipped_pack: RulePack) -> list[str]:
    return pack_strings(shipped_pack, AnswersFile())


@pytest.fixture
def with_vignettes(shipped_pack: RulePack) -> list[str]:
    """The pack's strings with its vignettes', which the Rule pack page lists as written."""
    results = run_pack_scenarios(DEFAULT_RULES_DIR, shipped_pack)
    vignettes = [r.scenario.model_dump(mode="json") for r in results]
    return pack_strings(shipped_pack, AnswersFile(), vignettes)


def _built(at: AppTest) -> AppTest:
    """Built, with every question to find out open: all its words on the page."""
    open_every_question(at.button(key="build").click().run())
    assert not at.exception
    return at


class TestTheLanguagePicker:
    """The sidebar offers each language with a catalogue; English is the one a session starts in."""

    def test_a_session_starts_in_english_and_offers_the_pseudo_locale(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        at = start(monkeypatch, None)
        picker = at.selectbox(key=LANGUAGE)
        assert picker.value == "en"
        assert PSEUDO_LANGUAGE in picker.options[1]
        assert at.title[0].value == "Ketamine for pain: discussion checklist"

    def test_the_choice_holds_from_page_to_page(self, monkeypatch: pytest.MonkeyPatch) -> None:
        at = start(monkeypatch, PSEUDO_LANGUAGE)
        at.switch_page("app_pages/about.py").run()
        assert at.selectbox(key=LANGUAGE).value == PSEUDO_LANGUAGE
        assert "About" not in at.title[0].value


class TestConvertedPagesInThePseudoLocale:
    """No English word of ours on the pages converted so far, once en-XA is chosen."""

    def test_the_about_page(self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]) -> None:
        at = start(monkeypatch, PSEUDO_LANGUAGE)
        at.switch_page("app_pages/about.py").run()
        assert not at.exception
        assert english_left(shown_text(at), allowed) == []

    def test_the_checklist_view(self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]) -> None:
        at = open_every_point(_built(start(monkeypatch, PSEUDO_LANGUAGE)))
        assert at.checkbox, "the checklist shows its points"
        assert at.text_area, "each point's Why? and Note are open"
        assert english_left(shown_text(at), allowed) == []

    def test_the_checklist_built_in_english_speaks_the_language_chosen_on_it(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        """Its points' labels are worked out once per answers, and once per language."""
        at = _built(start(monkeypatch, None))
        english = [c.label for c in at.checkbox]
        at.selectbox(key=LANGUAGE).set_value(PSEUDO_LANGUAGE).run()
        assert not at.exception
        assert [c.label for c in at.checkbox] != english
        assert english_left(shown_text(at), allowed) == []

    def test_the_form_with_its_panels_open(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        at = start(monkeypatch, PSEUDO_LANGUAGE)
        at.session_state["save_panel"] = True
        at.session_state["record_panel"] = True
        at.session_state["start_again_popover__form"] = True
        at.run()
        assert not at.exception
        assert at.segmented_control, "the form shows its questions"
        assert english_left(shown_text(at), allowed) == []

    def test_the_rule_pack_page(
        self, monkeypatch: pytest.MonkeyPatch, with_vignettes: list[str]
    ) -> None:
        at = start(monkeypatch, PSEUDO_LANGUAGE)
        at.switch_page("app_pages/rule_pack.py").run()
        assert not at.exception
        assert at.dataframe, "the rules and the vignettes are listed"
        assert english_left(shown_text(at), with_vignettes) == []

    def test_downloads_are_built_in_the_page_language_when_the_browser_asks(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        """The server builds a download outside the page's run: it keeps the page's language."""
        offered: dict[str, Any] = {}
        real = MediaFileManager.add_deferred

        def add_deferred(self: MediaFileManager, data: Any, *args: Any, **kwargs: Any) -> str:
            offered[str(user_key_from_element_id(kwargs.get("element_id", "")))] = data
            return real(self, data, *args, **kwargs)

        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
        _built(start(monkeypatch, PSEUDO_LANGUAGE))
        markdown = offered["download__markdown"]()  # here, outside any run: in English
        assert isinstance(markdown, str)
        assert english_left(markdown, allowed) == []
        pdf = offered["download__pdf"]()
        assert isinstance(pdf, bytes)
        assert b'"language": "en-XA"' in PdfReader(io.BytesIO(pdf)).attachments[RECORD_NAME][0]

    def test_the_audit_page_as_it_opens(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        at = start(monkeypatch, PSEUDO_LANGUAGE)
        at.switch_page("app_pages/audit.py").run()
        assert not at.exception
        assert english_left(shown_text(at), allowed) == []

    def test_the_audit_page_counting_a_table(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        at = start(monkeypatch, PSEUDO_LANGUAGE, mini_dir)
        at.switch_page("app_pages/audit.py").run()
        at.file_uploader(key="audit_table").upload(
            "past.csv", csv_text(ROWS).encode(), "text/csv"
        ).run()
        assert not at.exception
        assert at.dataframe, "the counts are shown"
        table_words = [*(cell for row in ROWS for cell in row), "past.csv"]
        allowed = pack_strings(mini_pack, AnswersFile(), table_words)
        assert english_left(shown_text(at), allowed) == []

    def test_the_audit_page_listing_refused_rows_and_why(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        """A bad answer, an unknown column's value and an answer to a question not asked:
        each refused row's reason, in the table the page lists them in, is in en-XA."""
        at = start(monkeypatch, PSEUDO_LANGUAGE, mini_dir)
        at.switch_page("app_pages/audit.py").run()
        rows = [*ROWS, ["p5", "maybe", "", ""], ["p6", "no", "yes", ""]]
        at.file_uploader(key="audit_table").upload(
            "past.csv", csv_text(rows).encode(), "text/csv"
        ).run()
        assert not at.exception
        reasons = [str(c) for table in at.dataframe for c in table.value.to_numpy().ravel()]
        assert "maybe" in reasons, "the refused cells are listed"
        codes = ['"yes"', '"no"', '"unknown"']  # the answers as a table writes them
        table_words = [*(cell for row in rows for cell in row), "past.csv", *codes]
        allowed = pack_strings(mini_pack, AnswersFile(), table_words)
        given = ["yes"]  # a refused cell's value, listed as given (too short for pack_strings)
        assert english_left(shown_text(at), [*allowed, *given]) == []

    def test_what_an_upload_callback_says_is_in_the_page_language(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        """Streamlit runs a widget's callback before the page, outside its language: the
        note it keeps (here, on an answer to a question not shown, dropped) is worded in the
        session's language all the same."""
        at = start(monkeypatch, PSEUDO_LANGUAGE)
        at.session_state["save_panel"] = True
        at.run()
        answers = {"answers": {"course_planned": "no", "repeated_course_planned": "yes"}}
        at.file_uploader(key="upload__answers").set_value(
            ("hidden.json", json.dumps(answers).encode(), "application/json")
        ).run()
        assert not at.exception
        notes = [str(n.value) for n in at.info if "repeated" in str(n.value)]
        assert len(notes) == 1, "the note names the answer dropped"
        assert english_left(notes[0], [*allowed, "hidden.json"]) == []

    def test_what_the_record_upload_callback_says_is_in_the_page_language(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        """A pack without record.yaml: the callback's refusal, shown on the page in en-XA."""
        at = start(monkeypatch, PSEUDO_LANGUAGE, mini_dir)
        at.session_state["record_panel"] = True
        at.run()
        at.file_uploader(key="upload__record").set_value(
            ("record.json", b'{"resourceType": "Bundle"}', "application/json")
        ).run()
        assert not at.exception
        refusal = [str(c.value) for c in at.code]
        assert len(refusal) == 1, "the reason the record was not used"
        assert english_left(refusal[0], pack_strings(mini_pack, AnswersFile())) == []

    def test_the_rule_pack_page_checking_a_candidate(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        """Its diff (worded in the page's language, though made once for every session), its
        warnings and its impact on a table of past answer sets."""
        at = start(monkeypatch, PSEUDO_LANGUAGE, mini_dir)
        at.switch_page("app_pages/rule_pack.py").run()
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        upload_candidate_zip(at, "candidate.zip", zipped({**MINI_PACK, "rules-main.yaml": rules}))
        at.file_uploader(key="candidate_answers").upload(
            "past.csv", csv_text(ROWS).encode(), "text/csv"
        ).run()
        assert not at.exception
        assert at.warning, "the version warning is shown"
        assert any("setting-monitoring" in str(m.value) for m in at.markdown), "the diff"
        candidate = load_pack_text({**MINI_PACK, "rules-main.yaml": rules}, mini_dir.parent)
        table_words = [*(cell for row in ROWS for cell in row), "past.csv", "candidate.zip"]
        shown_as_is = [str(mini_dir / "scenarios"), mini_pack.sha256[:12], candidate.sha256[:12]]
        content = candidate.model_dump(mode="json")
        allowed = pack_strings(mini_pack, AnswersFile(), content, table_words, shown_as_is)
        assert english_left(shown_text(at), allowed) == []

    def test_the_rule_pack_page_refusing_a_candidate(
        self, monkeypatch: pytest.MonkeyPatch, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        """Checked in a process of its own, the candidate's problems come back to the page
        and are worded there, in en-XA: an unknown field, a missing one, an unknown source."""
        at = start(monkeypatch, PSEUDO_LANGUAGE, mini_dir)
        at.switch_page("app_pages/rule_pack.py").run()
        items = MINI_PACK["items.yaml"].replace(
            '    help: "Count any diagnosis, past or present."\n', "    colour: red\n"
        )
        rules = MINI_PACK["rules-main.yaml"].replace("sources: [src-b]", "sources: [src-z]")
        broken = {**MINI_PACK, "items.yaml": items, "rules-main.yaml": rules}
        upload_candidate_zip(at, "candidate.zip", zipped(broken))
        refusal = [str(c.value) for c in at.code]
        assert len(refusal) == 1 and len(refusal[0].splitlines()) == 3, refusal
        names = ["candidate.zip", "items.yaml", "rules-main.yaml", "colour", "src-z"]
        fields = ["items.help", "items.colour"]  # the file's keys, as a refusal names them
        allowed = pack_strings(mini_pack, AnswersFile(), names, fields)
        assert english_left(refusal[0], allowed) == [], refusal[0]
        assert english_left(shown_text(at), allowed) == []

    def test_the_check_sees_english_left_in_english(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        at = start(monkeypatch, None)
        at.switch_page("app_pages/audit.py").run()
        assert english_left(shown_text(at), allowed) != []
