"""The PDF export: what it prints, what it embeds, and how `verify_pdf` re-checks it later."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import Destination, NameObject

from screening import AnswersError, RulePack, evaluate, load_pack, parse_answers
from screening.errors import ExportError
from screening.language import DISCLAIMER, verdict_words
from screening.models import AnswersFile, Checklist, RuleSetRef
from screening.pdf import (
    FOOTER_TEXT,
    GENERATOR,
    RECORD_NAME,
    VerifyResult,
    checklist_digest,
    checklist_pdf,
    verify_pdf,
)
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT, section_blocks
from screening.pdf.fonts import FontCache
from screening.pdf.layout import draw_checklist
from screening.pdf.record import FORMAT_VERSION, RELEASES
from tests.conftest import MINI_PACK, write_pack

ALL_RAISED = {"history": "yes", "active": "yes", "monitoring": "no"}
UNICODE_NAME = "Zoë Ω Дмитрий 王小明"
OLDER = "screening 0.0.9"
"""The generator an earlier release wrote: its pages are read, not rendered again."""


@pytest.fixture(autouse=True)
def older_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify` reads only releases it knows: here OLDER, of the current record format."""
    monkeypatch.setitem(RELEASES, OLDER, FORMAT_VERSION)


def build(pack: RulePack, answers: dict[str, str] | None = None, **extra: Any) -> bytes:
    given = AnswersFile.model_validate({"answers": answers or {}, **extra})
    return checklist_pdf(evaluate(pack, given))


@pytest.fixture
def older_release(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """While active, `checklist_pdf` writes PDFs as an earlier release would have."""
    with monkeypatch.context() as patch:
        patch.setattr("screening.pdf.record.GENERATOR", OLDER)
        yield


def build_older(pack: RulePack, answers: dict[str, str] | None = None, **extra: Any) -> bytes:
    """A genuine PDF whose pages and record say it was made by an earlier release."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("screening.pdf.record.GENERATOR", OLDER)
        return build(pack, answers, **extra)


def digest(data: Any) -> str:
    """The checklist fingerprint, as the record format defines it: sha256 of canonical JSON."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def assemble(
    answers: AnswersFile,
    checklist: Checklist,
    *,
    drawn: tuple[AnswersFile, Checklist] | None = None,
    generator: str = OLDER,
    omit: tuple[str, ...] = (),
) -> bytes:
    """A PDF put together by hand, as another release or a forger would: a record of `answers`
    and `checklist` (less the `omit` fields), pages drawn from `drawn` (default: the same)
    printing the record's fingerprint."""
    data = checklist.model_dump(mode="json")
    for field in omit:
        del data[field]
    record = {
        "format": "ketamine-screening-checklist-record",
        "format_version": FORMAT_VERSION,
        "generator": generator,
        "rule_set": checklist.rule_set.model_dump(),
        "answers": answers.model_dump(mode="json"),
        "checklist": data,
        "checklist_sha256": digest(data),
    }
    shown_answers, shown_checklist = drawn or (answers, checklist)
    doc = draw_checklist(
        shown_answers,
        shown_checklist,
        record_name=RECORD_NAME,
        fingerprint=digest(data),
        generator=generator,
    )
    doc.embed_file(bytes=json.dumps(record).encode(), basename=RECORD_NAME)
    return bytes(doc.output())


def refusal(pdf: bytes, pack: RulePack) -> list[str]:
    """The lines `verify_pdf` refuses a file with."""
    with pytest.raises(ExportError) as caught:
        verify_pdf(pdf, pack, "c.pdf")
    return str(caught.value).splitlines()


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces made single spaces, as wrapping leaves it."""
    return re.sub(r"\s+", " ", text).strip()


def record(pdf: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PdfReader(io.BytesIO(pdf)).attachments[RECORD_NAME][0])
    return loaded


def rewrite_record(pdf: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The same PDF with its embedded record edited, as someone altering the file would."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    data = record(pdf)
    change(data)
    for attachment in writer.attachment_list:
        attachment.content = json.dumps(data).encode()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def long_pack(folder: Path, sections: int = 6, per_section: int = 12) -> RulePack:
    """A pack whose all-yes answers raise many multi-line entries across several sections."""
    items, rules = ["items:"], ["rules:"]
    for s in range(sections):
        items.append(
            f'  - {{id: item-{s}, section: "Section {s}", label: "finding {s}", '
            f'question: "Is finding {s} present?", help: "Test item.", sources: [src-a]}}'
        )
        for r in range(per_section):
            rules.append(
                f'  - {{id: rule-{s}-{r}, section: "Section {s}", kind: discuss, '
                f'when: {{item: item-{s}, is: "yes"}}, sources: [src-a], rationale: "Test.", '
                f'summary: "Discuss finding {s}", '
                f'text: "Point {s}.{r}: discuss this finding with the patient and the team, agree '
                f"who follows it up and by when, and write the outcome down in the notes so that "
                f'the next clinician can see it."}}'
            )
    files = {"items.yaml": "\n".join(items) + "\n", "rules-main.yaml": "\n".join(rules) + "\n"}
    return load_pack(write_pack(folder, files))


class TestContent:
    """The pages carry the checklist, its provenance, the answers and the references."""

    def test_every_entry_the_pack_and_its_hash_and_the_date_are_printed(
        self, mini_pack: RulePack
    ) -> None:
        pdf = build(mini_pack, ALL_RAISED, date="2026-03-14", clinician="Dr Ana Núñez")
        text = flat(" ".join(pages(pdf)))
        checklist = evaluate(mini_pack, AnswersFile.model_validate({"answers": ALL_RAISED}))
        assert len(checklist.entries) == 3
        for entry in checklist.entries:
            assert flat(entry.text) in text
            assert f"Rule {entry.rule_id}" in text
        assert mini_pack.sha256 in text
        assert "Rule pack: Mini pack, version 0.1.0 (draft)" in text
        assert "Date: 2026-03-14" in text
        assert "Clinician: Dr Ana Núñez" in text

    def test_each_entry_has_a_compact_because_with_labels_and_answer_words(
        self, mini_pack: RulePack
    ) -> None:
        text = flat(" ".join(pages(build(mini_pack, {"history": "yes", "active": "unknown"}))))
        assert "Because: substance use history = Yes" in text
        assert "substance use history = Yes; active use = Unknown" in text
        assert "Sources: src-a" in text

    def test_an_open_entry_settled_by_one_question_prints_no_because_line(
        self, mini_pack: RulePack
    ) -> None:
        text = flat(" ".join(pages(build(mini_pack, {"history": "no"}))))
        assert "Find out: Can trained staff monitor the patient?" in text
        assert "Because: monitoring" not in text

    def test_entries_are_grouped_under_their_sections_in_pack_order(
        self, mini_pack: RulePack
    ) -> None:
        text = flat(pages(build(mini_pack, ALL_RAISED))[0])
        checklist_part = text[text.index("Checklist") : text.index("Answers given")]
        assert checklist_part.index("Substance use") < checklist_part.index("substance-history")
        assert checklist_part.index("substance-active") < checklist_part.index("Setting")
        assert checklist_part.index("Setting") < checklist_part.index("setting-monitoring")

    def test_the_footer_with_page_x_of_y_is_on_every_page(self, shipped_pack: RulePack) -> None:
        texts = pages(build(shipped_pack, {}))
        assert len(texts) > 3
        for number, text in enumerate(texts, start=1):
            assert FOOTER_TEXT in text
            assert f"Page {number} of {len(texts)}" in text

    def test_the_answers_given_are_listed_and_the_items_not_assessed_named(
        self, mini_pack: RulePack
    ) -> None:
        text = flat(" ".join(pages(build(mini_pack, {"history": "no"}))))
        answers = text[text.index("Answers given") : text.index("Notes")]
        assert "Any history of substance use disorder? No" in answers
        assert "Not assessed: monitoring" in answers
        assert "Can trained staff monitor the patient?" not in answers
        assert "Non-medical use in the past 12 months?" not in answers

    def test_notes_sign_off_and_full_references_come_at_the_end(self, mini_pack: RulePack) -> None:
        text = flat(" ".join(pages(build(mini_pack, ALL_RAISED, clinician="Dr Test"))))
        assert text.index("Notes") < text.index("Sign-off") < text.index("References")
        assert "Clinician (name) Signature Date" in text
        assert "src-a Author A. A study. J Test. 2020;1:1-2." in text
        assert "src-b Author B. Another study. J Test. 2021;2:3-4." in text

    def test_without_answers_raising_points_it_says_so_and_reaches_no_conclusion(
        self, mini_pack: RulePack
    ) -> None:
        text = flat(" ".join(pages(build(mini_pack, {"history": "no", "monitoring": "yes"}))))
        assert "No points were raised by these answers" in text
        assert "This is not a conclusion about the patient" in text

    def test_no_verdict_words_appear_beyond_the_statements_that_it_is_not_one(
        self, mini_pack: RulePack
    ) -> None:
        for answers in (ALL_RAISED, {}, {"history": "no", "monitoring": "yes"}):
            text = flat(" ".join(pages(build(mini_pack, answers))))
            assert text.count(FOOTER_TEXT) == len(pages(build(mini_pack, answers)))
            assert DISCLAIMER in text
            assert verdict_words(text.replace(FOOTER_TEXT, "").replace(DISCLAIMER, "")) == []

    def test_it_says_that_the_data_is_embedded(self, mini_pack: RulePack) -> None:
        text = flat(" ".join(pages(build(mini_pack, ALL_RAISED))))
        assert "are embedded in this file as data" in text
        assert RECORD_NAME in text
        assert "python -m screening verify FILE.pdf" in text


class TestDates:
    """The printed date and the creation date both come from the answers' date."""

    def test_the_creation_date_is_the_answers_date(self, mini_pack: RulePack) -> None:
        reader = PdfReader(io.BytesIO(build(mini_pack, {}, date="2026-03-14")))
        assert reader.metadata is not None
        assert reader.metadata.creation_date == datetime(2026, 3, 14, tzinfo=UTC)

    def test_without_a_date_it_prints_not_given_and_has_no_creation_date_and_the_same_bytes(
        self, mini_pack: RulePack
    ) -> None:
        pdf = build(mini_pack, {})
        assert "Date: not given" in pages(pdf)[0]
        assert "· date: not given ·" in pages(pdf)[1]
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.metadata is not None
        assert reader.metadata.creation_date is None
        assert "/CreationDate" not in reader.metadata
        assert b"D:1970" not in pdf and b"/CreationDate" not in pdf
        assert build(mini_pack, {}) == pdf

    @pytest.mark.parametrize(
        "date", ["14/03/2026", "2026-02-30", "20260314", " 2026-03-14", "", "0999-05-05"]
    )
    def test_a_date_that_is_not_a_yyyy_mm_dd_calendar_date_is_refused_before_any_export(
        self, date: str
    ) -> None:
        with pytest.raises(AnswersError) as caught:
            parse_answers(json.dumps({"answers": {}, "date": date}), "a.json")
        assert str(caught.value.problems[0]) == (
            f"a.json: date: must be a calendar date from 1900 on, written YYYY-MM-DD, got {json.dumps(date)}"
        )


class TestTypedText:
    """Whatever a user types prints as typed: any script, markup literally, never a crash."""

    def test_latin_greek_cyrillic_and_cjk_print_and_extract(self, mini_pack: RulePack) -> None:
        pdf = build(mini_pack, {}, patient_reference=UNICODE_NAME, clinician="Ελένη Müller-Łącka")
        first = pages(pdf)[0]
        assert f"Patient reference: {UNICODE_NAME}" in first
        assert "Clinician: Ελένη Müller-Łącka" in first
        assert UNICODE_NAME in pages(pdf)[1]

    def test_the_large_cjk_font_is_embedded_only_when_the_text_needs_it(
        self, mini_pack: RulePack
    ) -> None:
        assert b"DroidSansFallback" not in build(mini_pack, {}, patient_reference="Zoë Ω Дмитрий")
        assert b"DroidSansFallback" in build(mini_pack, {}, patient_reference="王小明")

    def test_korean_text_embeds_the_korean_font_without_the_cjk_one(
        self, mini_pack: RulePack
    ) -> None:
        pdf = build(mini_pack, {}, patient_reference="김민준")
        assert b"DroidSansFallback" not in pdf
        assert "김민준" in pages(pdf)[0]

    def test_each_font_file_is_parsed_once_per_process_and_only_when_needed(
        self, mini_pack: RulePack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from screening.pdf import document  # noqa: PLC0415 - the cache under test

        parsed: list[str] = []
        real_add_font = FPDF.add_font

        def counting(doc: FPDF, family: str, style: str = "", fname: Any = None) -> None:
            parsed.append(Path(fname).name)
            real_add_font(doc, family, style, fname)

        monkeypatch.setattr(document, "_FONTS", FontCache())
        monkeypatch.setattr(FPDF, "add_font", counting)
        build(mini_pack, {}, patient_reference="Zoë")
        assert parsed == ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]
        first = build(mini_pack, {}, patient_reference="王小明 김민준")
        second = build(mini_pack, {}, patient_reference="王小明 김민준")
        assert parsed[2:] == ["DroidSansFallbackFull.ttf", "NanumSquareR.ttf"]
        assert first == second
        assert "王小明 김민준" in pages(second)[0]

    def test_markup_in_a_field_prints_literally(self, mini_pack: RulePack) -> None:
        typed = "**bold** __u__ ~~s~~ <b>x</b> [link](http://e.org) {nb} &amp; \\n %s"
        text = " ".join(pages(build(mini_pack, {}, patient_reference=typed)))
        assert f"Patient reference: {typed}" in text

    def test_a_character_no_font_has_prints_as_a_replacement_mark_and_is_kept_in_the_data(
        self, mini_pack: RulePack
    ) -> None:
        typed = "Ravi नमस्ते"
        pdf = build(mini_pack, {}, patient_reference=typed)
        text = " ".join(pages(pdf))
        assert "Patient reference: Ravi \ufffd\ufffd\ufffd\ufffd\ufffd\ufffd" in text
        assert "could not be drawn with the fonts of this document" in flat(text)
        assert record(pdf)["answers"]["patient_reference"] == typed

    def test_control_and_direction_characters_are_dropped_from_the_page(
        self, mini_pack: RulePack
    ) -> None:
        typed = "Ann\x00a\u202e Smith\tJr\x7f"
        assert (
            "Patient reference: Anna Smith Jr"
            in pages(build(mini_pack, {}, patient_reference=typed))[0]
        )

    def test_a_very_long_unbroken_word_wraps_inside_the_column(self, mini_pack: RulePack) -> None:
        typed = "X" * 150 + "王" * 50
        text = " ".join(pages(build(mini_pack, {}, patient_reference=typed)))
        assert typed in re.sub(r"\s+", "", text)

    def test_korean_prints_with_its_own_fallback_font(self, mini_pack: RulePack) -> None:
        typed = "김민준 · 王小明 · Zoë"
        text = " ".join(pages(build(mini_pack, {}, patient_reference=typed)))
        assert f"Patient reference: {typed}" in text
        assert "could not be drawn" not in flat(text)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(typed=st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
    def test_any_typed_text_renders_and_the_record_keeps_it_exactly(
        self, mini_pack: RulePack, typed: str
    ) -> None:
        pdf = build(mini_pack, {}, patient_reference=typed, clinician=typed)
        assert record(pdf)["answers"]["patient_reference"] == typed
        assert verify_pdf(pdf, mini_pack, "c.pdf").matches

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        typed=st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
        script=st.text(st.characters(min_codepoint=0x0590, max_codepoint=0x08FF), max_size=8),
    )
    def test_any_typed_text_is_read_back_from_the_pages_of_an_older_release(
        self, mini_pack: RulePack, typed: str, script: str
    ) -> None:
        pdf = build_older(
            mini_pack, ALL_RAISED, patient_reference=typed + script, clinician=script + typed
        )
        assert verify_pdf(pdf, mini_pack, "c.pdf").matches

    def test_line_breaks_in_a_field_are_kept(self, mini_pack: RulePack) -> None:
        for typed in ("Dr A\nDr B", "Dr A\r\nDr B", "Dr A\u2028Dr B"):
            text = pages(build(mini_pack, {}, clinician=typed))[0]
            assert "Clinician: Dr A\nDr B\n" in text


class TestLayout:
    """A long checklist flows over pages without splitting an entry or orphaning a heading."""

    def test_a_long_checklist_breaks_between_entries(self, tmp_path: Path) -> None:
        pack = long_pack(tmp_path / "long")
        answers = {item.id: "yes" for item in pack.items}
        texts = [flat(t) for t in pages(build(pack, answers))]
        assert len(texts) >= 6
        for rule in pack.rules:
            whole = [n for n, t in enumerate(texts) if f"{flat(rule.text)} Because:" in t]
            assert len(whole) == 1, rule.id
            assert f"Rule {rule.id} · Sources" in texts[whole[0]]

    def test_no_page_ends_with_a_section_heading(self, tmp_path: Path) -> None:
        pack = long_pack(tmp_path / "long")
        answers = {item.id: "yes" for item in pack.items}
        for text in pages(build(pack, answers)):
            body = [line for line in text.splitlines() if FOOTER_TEXT not in line]
            assert not body[-1].startswith("Section "), body[-3:]


class TestRecord:
    """The embedded JSON record round-trips, and the same inputs give the same bytes."""

    def test_the_embedded_record_holds_answers_pack_and_checklist(
        self, mini_pack: RulePack
    ) -> None:
        given = AnswersFile(
            answers={"history": "yes"},
            patient_reference=UNICODE_NAME,
            clinician="Dr T",
            date="2026-03-14",
        )
        checklist = evaluate(mini_pack, given)
        data = record(checklist_pdf(checklist))
        assert AnswersFile.model_validate(data["answers"]) == given
        assert data["rule_set"] == {
            "name": "Mini pack",
            "version": "0.1.0",
            "status": "draft",
            "sha256": mini_pack.sha256,
        }
        # all of it but the pack's rule order, which a checklist's JSON does not carry
        assert Checklist.model_validate(data["checklist"]) == checklist.model_copy(
            update={"rule_order": ()}
        )
        assert data["checklist_sha256"] == checklist_digest(checklist)

    def test_the_checklist_fingerprint_is_printed(self, mini_pack: RulePack) -> None:
        pdf = build(mini_pack, ALL_RAISED)
        assert record(pdf)["checklist_sha256"] in pages(pdf)[-1]

    def test_the_same_answers_pack_and_date_give_the_same_bytes(self, mini_pack: RulePack) -> None:
        extra = {"date": "2026-03-14", "patient_reference": UNICODE_NAME}
        assert build(mini_pack, ALL_RAISED, **extra) == build(mini_pack, ALL_RAISED, **extra)
        assert build(mini_pack, {}) == build(mini_pack, {})


MARKS = {
    "substance-history": {"done": True, "note": "Agreed <supervised> dosing *only*"},
    "setting-monitoring": {"done": False, "note": "Ask the day unit"},
}


def outline_titles(pdf: bytes) -> list[Any]:
    """The bookmarks, nested lists for children, as pypdf reads them."""

    def titles(items: list[Any]) -> list[Any]:
        return [titles(i) if isinstance(i, list) else i.title for i in items]

    return titles(PdfReader(io.BytesIO(pdf)).outline)


class TestDiscussed:
    """Ticks and notes reach the pages and the record, and verify checks them."""

    def test_a_done_entry_has_a_ticked_box_and_its_note_under_it(self, mini_pack: RulePack) -> None:
        text = flat(" ".join(pages(build(mini_pack, ALL_RAISED, discussed=MARKS))))
        assert (
            "✓ DISCUSS Discuss the substance use history and a plan for misuse. "
            "Note: Agreed <supervised> dosing *only* Because:"
        ) in text
        assert "ARRANGE Arrange monitoring by trained staff. Note: Ask the day unit Because:" in (
            text
        )
        assert text.count("✓") == 1

    def test_without_marks_no_box_is_ticked(self, mini_pack: RulePack) -> None:
        assert "✓" not in " ".join(pages(build(mini_pack, ALL_RAISED)))

    def test_the_record_keeps_the_marks_and_the_file_verifies(self, mini_pack: RulePack) -> None:
        pdf = build(mini_pack, ALL_RAISED, discussed=MARKS)
        data = record(pdf)
        assert data["answers"]["discussed"]["substance-history"] == MARKS["substance-history"]
        marks = {e["rule_id"]: (e["done"], e["note"]) for e in data["checklist"]["entries"]}
        assert marks["substance-history"] == (True, "Agreed <supervised> dosing *only*")
        assert verify_pdf(pdf, mini_pack, "c.pdf").matches

    def test_an_older_release_file_verifies_with_its_marks(self, mini_pack: RulePack) -> None:
        pdf = build_older(mini_pack, ALL_RAISED, discussed=MARKS)
        result = verify_pdf(pdf, mini_pack, "c.pdf")
        assert (result.matches, result.rerendered) == (True, False)

    def test_a_tick_on_the_page_that_the_record_lacks_is_refused(self, mini_pack: RulePack) -> None:
        plain = AnswersFile.model_validate({"answers": ALL_RAISED})
        ticked = AnswersFile.model_validate({"answers": ALL_RAISED, "discussed": MARKS})
        pdf = assemble(
            plain,
            evaluate(mini_pack, plain),
            drawn=(ticked, evaluate(mini_pack, ticked)),
        )
        assert refusal(pdf, mini_pack) == [
            "c.pdf: the kind of entry substance-history on the pages differs from the embedded "
            "record: the file has been altered",
            *(
                f"c.pdf: the 'Because' line of entry {rule} on the pages differs from the "
                "embedded record: the file has been altered"
                for rule in ("substance-history", "setting-monitoring")
            ),
        ]

    def test_a_note_in_the_record_that_the_pages_lack_is_refused(self, mini_pack: RulePack) -> None:
        plain = AnswersFile.model_validate({"answers": ALL_RAISED})
        noted = AnswersFile.model_validate(
            {
                "answers": ALL_RAISED,
                "discussed": {"setting-monitoring": {"done": False, "note": "x"}},
            }
        )
        pdf = assemble(noted, evaluate(mini_pack, noted), drawn=(plain, evaluate(mini_pack, plain)))
        assert refusal(pdf, mini_pack) == [
            "c.pdf: the note of entry setting-monitoring on the pages differs from the embedded "
            "record: the file has been altered"
        ]


class TestForAChart:
    """Draft band, language, title, bookmarks and the closing page make it fit for a chart."""

    def test_a_draft_pack_puts_a_draft_band_atop_every_page(self, tmp_path: Path) -> None:
        pack = long_pack(tmp_path / "long", sections=3)
        pdf = build(pack, {i.id: "yes" for i in pack.items})
        band = (
            "DRAFT: the rule pack's status is draft; its content has not completed clinical review."
        )
        texts = pages(pdf)
        assert len(texts) > 2
        assert all(page.splitlines()[0] == band for page in texts)

    def test_an_approved_pack_has_no_draft_band(self, tmp_path: Path) -> None:
        approved = MINI_PACK["pack.yaml"].replace("status: draft", "status: approved")
        pack = load_pack(write_pack(tmp_path / "approved", {"pack.yaml": approved}))
        pdf = build(pack, ALL_RAISED)
        assert "DRAFT" not in " ".join(pages(pdf))
        assert verify_pdf(pdf, pack, "c.pdf").matches

    @pytest.mark.parametrize("status", ["in_review", "retired"])
    def test_any_status_but_approved_has_the_band(self, tmp_path: Path, status: str) -> None:
        text = MINI_PACK["pack.yaml"].replace("status: draft", f"status: {status}")
        pack = load_pack(write_pack(tmp_path / status, {"pack.yaml": text}))
        words = status.replace("_", " ")
        assert pages(build(pack, {}))[0].startswith(f"DRAFT: the rule pack's status is {words};")

    def test_a_page_whose_draft_band_was_removed_is_refused(self, mini_pack: RulePack) -> None:
        pdf = build_older(mini_pack, ALL_RAISED)
        writer = PdfWriter(clone_from=io.BytesIO(pdf))
        stream = writer.pages[0].get_contents()
        assert stream is not None
        data = stream.get_data()
        start = data.index(b"q BT")  # the first text drawn on a page is the band's
        end = data.index(b"ET Q", start) + 4
        stream.set_data(data[:start] + data[end:])
        writer.pages[0].replace_contents(stream)
        out = io.BytesIO()
        writer.write(out)
        assert refusal(out.getvalue(), mini_pack) == [
            "c.pdf: the draft band of page 1 differs from the embedded record: "
            "the file has been altered",
            "c.pdf: the title on the pages differs from the embedded record: "
            "the file has been altered",
        ]

    def test_it_declares_its_language_and_title(self, mini_pack: RulePack) -> None:
        reader = PdfReader(io.BytesIO(build(mini_pack, ALL_RAISED)))
        assert str(reader.root_object["/Lang"]) == "en"
        assert reader.metadata is not None
        assert reader.metadata.title == "Discussion checklist: ketamine for pain management"

    def test_there_is_one_bookmark_per_part_and_per_checklist_section(
        self, mini_pack: RulePack
    ) -> None:
        assert outline_titles(build(mini_pack, ALL_RAISED)) == [
            "Checklist",
            ["Substance use", "Setting"],
            "Answers given",
            "Notes",
            "References",
            "About this document",
        ]

    def test_each_bookmark_opens_the_page_its_part_starts_on(self, tmp_path: Path) -> None:
        pack = long_pack(tmp_path / "long", sections=4)
        pdf = build(pack, {i.id: "yes" for i in pack.items})
        reader = PdfReader(io.BytesIO(pdf))
        texts = pages(pdf)
        sections = reader.outline[1]
        assert isinstance(sections, list)
        for bookmark in sections:
            assert isinstance(bookmark, Destination)
            page = reader.get_destination_page_number(bookmark)
            assert page is not None
            assert bookmark.title is not None
            assert bookmark.title in texts[page]

    def test_the_closing_page_speaks_to_a_reader_and_keeps_the_command_in_small_print(
        self, mini_pack: RulePack
    ) -> None:
        last = flat(pages(build(mini_pack, ALL_RAISED))[-1])
        about = last[last.index("About this document") :]
        assert about.index("This is the record of a conversation") < about.index("re-checked")
        assert about.index("re-checked") < about.index("Made by")
        assert about.index("Made by") < about.index("python -m screening verify FILE.pdf")
        assert "consistency, not authorship" in about


class TestVerify:
    """`verify_pdf` says whether the current pack still gives the PDF's checklist."""

    def test_an_unchanged_pdf_matches(self, mini_pack: RulePack) -> None:
        result = verify_pdf(build(mini_pack, ALL_RAISED), mini_pack, "c.pdf")
        assert result.matches
        assert result.lines() == [
            "OK: c.pdf: the checklist matches: re-evaluating the embedded answers with "
            f"Mini pack 0.1.0 (sha256 {mini_pack.sha256}) gives the same checklist."
        ]

    def test_a_pdf_of_this_release_is_also_compared_with_a_fresh_rendering(
        self, mini_pack: RulePack
    ) -> None:
        assert verify_pdf(build(mini_pack, ALL_RAISED), mini_pack, "c.pdf").rerendered

    def test_entries_worded_otherwise_by_the_same_version_are_not_ok_nor_called_altered(
        self, mini_pack: RulePack
    ) -> None:
        """As when the program's wording changed without a new version: same points, exit 1."""
        answers = AnswersFile.model_validate({"answers": ALL_RAISED})
        checklist = evaluate(mini_pack, answers)
        first = checklist.entries[0].model_copy(update={"text": "Talk about it."})
        reworded = checklist.model_copy(update={"entries": (first, *checklist.entries[1:])})
        result = verify_pdf(checklist_pdf(reworded), mini_pack, "c.pdf")
        assert (result.matches, result.same_checklist, result.reworded) == (
            False,
            True,
            ("substance-history",),
        )
        assert result.lines() == [
            "c.pdf: the rule pack and the program's version are the same, but the record words "
            "entries otherwise than this program does.",
            "  re-evaluated with the current pack, the checklist is the same.",
            "  same points, worded differently today (text, rationale or citations): "
            "substance-history",
        ]

    def test_a_changed_pack_is_reported_with_the_version_and_hash_that_made_the_file(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        pdf = build(mini_pack, ALL_RAISED)
        changed = load_pack(
            write_pack(
                tmp_path / "v2",
                {
                    "pack.yaml": MINI_PACK["pack.yaml"].replace("0.1.0", "0.2.0"),
                    "rules-main.yaml": MINI_PACK["rules-main.yaml"].replace(
                        "a plan for misuse", "a written plan for misuse"
                    ),
                },
            )
        )
        result = verify_pdf(pdf, changed, "c.pdf")
        assert not result.matches
        assert (result.produced_by.version, result.produced_by.sha256) == (
            "0.1.0",
            mini_pack.sha256,
        )
        assert (result.changed, result.reworded) == ((), ("substance-history",))
        assert result.lines() == [
            "c.pdf: the rule pack has changed since this PDF was made.",
            f"  made with: Mini pack 0.1.0 (sha256 {mini_pack.sha256})",
            f"  current:   Mini pack 0.2.0 (sha256 {changed.sha256})",
            "  re-evaluated with the current pack, the checklist is the same.",
            "  same points, worded differently today (text, rationale or citations): "
            "substance-history",
        ]
        assert result.unchecked == ()

    def test_an_entry_raised_as_another_kind_by_a_changed_pack_is_a_changed_entry(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        pdf = build(mini_pack, ALL_RAISED)
        changed = load_pack(
            write_pack(
                tmp_path / "v2",
                {
                    "rules-main.yaml": MINI_PACK["rules-main.yaml"].replace(
                        "kind: arrange", "kind: document"
                    )
                },
            )
        )
        result = verify_pdf(pdf, changed, "c.pdf")
        assert (result.changed, result.reworded, result.same_checklist) == (
            ("setting-monitoring",),
            (),
            False,
        )
        assert "    entries changed: setting-monitoring" in result.lines()

    def test_a_file_of_this_release_is_rendered_again_under_a_changed_pack(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        changed = load_pack(
            write_pack(
                tmp_path / "v2", {"pack.yaml": MINI_PACK["pack.yaml"].replace("0.1.0", "0.2.0")}
            )
        )
        result = verify_pdf(build(mini_pack, ALL_RAISED), changed, "c.pdf")
        assert (result.rerendered, result.unchecked, result.same_checklist) == (True, (), True)
        answers = AnswersFile(answers=ALL_RAISED)
        checklist = evaluate(mini_pack, answers)
        reworded = checklist.model_copy(
            update={"entries": (checklist.entries[0].model_copy(update={"text": "Nothing."}),)}
        )
        forged = assemble(answers, checklist, drawn=(answers, reworded), generator=GENERATOR)
        assert refusal(forged, changed) == [
            "c.pdf: the file differs from what this program writes for its record, first on "
            "page 1: the file has been altered"
        ]

    def test_a_pack_change_that_leaves_the_checklist_alone_says_so(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        pdf = build(mini_pack, ALL_RAISED)
        items = MINI_PACK["items.yaml"].replace("During and after", "While and after")
        changed = load_pack(write_pack(tmp_path / "v2", {"items.yaml": items}))
        result = verify_pdf(pdf, changed, "c.pdf")
        assert not result.matches
        assert result.same_checklist
        assert result.lines()[-1] == (
            "  re-evaluated with the current pack, the checklist is the same."
        )

    def test_new_and_removed_entries_are_listed(self, mini_pack: RulePack, tmp_path: Path) -> None:
        pdf = build(mini_pack, {"history": "yes", "active": "no", "monitoring": "no"})
        rules = MINI_PACK["rules-main.yaml"].replace(
            '{item: monitoring, is: "no"}', '{item: monitoring, is: "yes"}'
        )
        rules = rules.replace('- {item: active, is: "yes"}', '- {item: active, is: "no"}')
        changed = load_pack(write_pack(tmp_path / "v2", {"rules-main.yaml": rules}))
        result = verify_pdf(pdf, changed, "c.pdf")
        assert (result.added, result.removed, result.changed) == (
            ("substance-active",),
            ("setting-monitoring",),
            (),
        )

    def test_answers_that_no_longer_fit_the_pack_are_reported(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        pdf = build(mini_pack, {"monitoring": "no"})
        items = MINI_PACK["items.yaml"].split("  - id: monitoring")[0]
        rules = MINI_PACK["rules-main.yaml"].split("  - id: setting-monitoring")[0]
        changed = load_pack(
            write_pack(tmp_path / "v2", {"items.yaml": items, "rules-main.yaml": rules})
        )
        result = verify_pdf(pdf, changed, "c.pdf")
        assert not result.matches
        assert result.lines()[-1] == (
            "  the embedded answers do not fit the current pack: c.pdf (embedded answers): "
            "monitoring: unknown item id (not in this rule pack)"
        )

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                lambda r: r["answers"]["answers"].update(monitoring="yes"),
                "the embedded answers do not give the embedded checklist",
            ),
            (
                lambda r: r["answers"]["answers"].update(history="no"),
                "the embedded answers do not fit the pack that made them",
            ),
            (
                lambda r: r["checklist"]["entries"][0].update(text="Nothing to discuss."),
                "the embedded checklist does not match its recorded hash",
            ),
            (
                lambda r: r["rule_set"].update(version="9.9.9"),
                "the embedded checklist does not match its recorded hash",
            ),
            (
                lambda r: r.update(checklist_sha256="0" * 64),
                "the embedded checklist does not match its recorded hash",
            ),
            (
                lambda r: r["answers"]["answers"].update(history="perhaps"),
                "the embedded checklist record is not readable",
            ),
            (lambda r: r.pop("checklist"), "the embedded checklist record is not readable"),
        ],
        ids=["answers", "not-asked", "entry", "version", "hash", "bad-answer", "no-checklist"],
    )
    def test_a_tampered_record_is_refused(
        self, mini_pack: RulePack, change: Callable[[dict[str, Any]], None], message: str
    ) -> None:
        tampered = rewrite_record(build(mini_pack, ALL_RAISED), change)
        with pytest.raises(ExportError) as caught:
            verify_pdf(tampered, mini_pack, "c.pdf")
        assert str(caught.value) == f"c.pdf: {message}: the file has been altered"

    def test_a_record_swapped_for_another_consistent_one_is_refused(
        self, mini_pack: RulePack
    ) -> None:
        other = evaluate(mini_pack, AnswersFile(answers={"history": "no"}))

        def swap(data: dict[str, Any]) -> None:
            data["answers"]["answers"] = {"history": "no"}
            data["checklist"] = other.model_dump(mode="json")
            data["checklist_sha256"] = checklist_digest(other)

        swapped = rewrite_record(build(mini_pack, ALL_RAISED), swap)
        assert refusal(swapped, mini_pack) == [
            "c.pdf: the file differs from what this program writes for its record, first on "
            "page 1: the file has been altered"
        ]
        swapped = rewrite_record(build_older(mini_pack, ALL_RAISED), swap)
        assert refusal(swapped, mini_pack) == [
            "c.pdf: the pages list 3 checklist entries, the embedded record 1: not in the "
            "record: substance-history, substance-active: the file has been altered",
            "c.pdf: the checklist summary on the pages differs from the embedded record: "
            "the file has been altered",
            *(
                f"c.pdf: the answer to item {item} on the pages differs from the embedded record: "
                "the file has been altered"
                for item in ("history",)
            ),
            "c.pdf: the reference src-b on the pages differs from the embedded record: "
            "the file has been altered",
            "c.pdf: the checklist fingerprint on the pages differs from the embedded record: "
            "the file has been altered",
        ]

    @pytest.mark.parametrize("made_by", ["this release", "an older release"])
    def test_text_stamped_onto_a_page_is_refused(self, mini_pack: RulePack, made_by: str) -> None:
        stamp = FPDF()
        stamp.add_page()
        stamp.set_font("helvetica", size=10)
        stamp.text(30, 120, "No concerns.")
        made = build(mini_pack, ALL_RAISED)
        if made_by == "an older release":
            made = build_older(mini_pack, ALL_RAISED)
        writer = PdfWriter(clone_from=io.BytesIO(made))
        writer.pages[0].merge_page(PdfReader(io.BytesIO(bytes(stamp.output()))).pages[0])
        out = io.BytesIO()
        writer.write(out)
        if made_by == "this release":
            assert refusal(out.getvalue(), mini_pack) == [
                "c.pdf: the file differs from what this program writes for its record, first on "
                "page 1: the file has been altered"
            ]
            return
        assert refusal(out.getvalue(), mini_pack) == [
            "c.pdf: page 1 does not end with the footer and its page number: "
            "the file has been altered",
            "c.pdf: the pages carry text that the embedded record does not, before the Notes "
            "and Sign-off part: the file has been altered",
        ]

    @pytest.mark.parametrize("made_by", ["this release", "an older release"])
    def test_a_removed_page_is_refused(self, shipped_pack: RulePack, made_by: str) -> None:
        made = build(shipped_pack, {}) if made_by == "this release" else build_older(shipped_pack)
        writer = PdfWriter(clone_from=io.BytesIO(made))
        writer.remove_page(1)
        out = io.BytesIO()
        writer.write(out)
        problems = refusal(out.getvalue(), shipped_pack)
        if made_by == "this release":
            assert problems == [
                "c.pdf: the file differs from what this program writes for its record, first on "
                "page 2: the file has been altered"
            ]
            return
        assert problems[0] == (
            f"c.pdf: the footers count {len(pages(made))} pages, the file has "
            f"{len(pages(made)) - 1}: pages were removed or added: the file has been altered"
        )
        assert problems[1].startswith("c.pdf: the pages list ")

    def test_a_page_without_text_cannot_be_checked(self, mini_pack: RulePack) -> None:
        writer = PdfWriter(clone_from=io.BytesIO(build_older(mini_pack, ALL_RAISED)))
        del writer.pages[1][NameObject("/Contents")]
        out = io.BytesIO()
        writer.write(out)
        assert refusal(out.getvalue(), mini_pack) == [
            "c.pdf: page 2 has no text that can be read, so the pages cannot be checked against "
            "the embedded record"
        ]

    def test_a_record_of_a_newer_format_is_not_called_altered(self, mini_pack: RulePack) -> None:
        later = FORMAT_VERSION + 1
        newer = rewrite_record(build(mini_pack, {}), lambda r: r.update(format_version=later))
        assert refusal(newer, mini_pack) == [
            f"c.pdf: the embedded record is format version {later}, newer than this program "
            f"reads ({FORMAT_VERSION}): it cannot be checked; verify it with the release that "
            "made it or a later one"
        ]

    def test_a_reference_longer_than_this_release_accepts_cannot_be_checked(
        self, mini_pack: RulePack
    ) -> None:
        longer = rewrite_record(
            build(mini_pack, {}),
            lambda r: r["answers"].update(patient_reference="P" * 201),
        )
        assert refusal(longer, mini_pack) == [
            "c.pdf: the embedded patient reference is longer than this program accepts "
            "(200 characters), so the file cannot be checked"
        ]

    def test_a_record_naming_its_pack_unlike_the_pack_it_hashes_is_refused(
        self, mini_pack: RulePack
    ) -> None:
        def rename(data: dict[str, Any]) -> None:
            data["rule_set"]["name"] = data["checklist"]["rule_set"]["name"] = "Approved pack"
            data["checklist_sha256"] = digest(data["checklist"])

        assert refusal(rewrite_record(build(mini_pack, {}), rename), mini_pack) == [
            "c.pdf: the embedded record names its rule pack unlike the pack it hashes: "
            "the file has been altered"
        ]


class TestVerifyPages:
    """Whichever release made a PDF, verify says OK only when its pages show its record."""

    def test_a_genuine_pdf_from_an_older_release_verifies_when_its_pages_agree(
        self, mini_pack: RulePack
    ) -> None:
        pdf = build_older(
            mini_pack,
            ALL_RAISED,
            patient_reference=UNICODE_NAME,
            clinician="Dr Ana Núñez",
            date="2026-03-14",
        )
        result = verify_pdf(pdf, mini_pack, "c.pdf")
        assert result.matches
        assert not result.rerendered
        assert result.lines() == [
            "OLDER RELEASE: c.pdf: the checklist matches: re-evaluating the embedded answers "
            f"with Mini pack 0.1.0 (sha256 {mini_pack.sha256}) gives the same checklist.",
            "  text and record match; the page drawing of a 0.0.9 file cannot be checked by "
            f"this release ({GENERATOR}): paint over the text would not show here",
        ]

    def test_a_long_checklist_from_an_older_release_verifies_over_all_its_pages(
        self, shipped_pack: RulePack
    ) -> None:
        pdf = build_older(shipped_pack, {}, patient_reference="P-1", date="2026-03-14")
        assert len(pages(pdf)) > 3
        assert verify_pdf(pdf, shipped_pack, "c.pdf").matches

    def test_right_to_left_and_undrawable_text_is_read_back_from_an_older_release(
        self, mini_pack: RulePack
    ) -> None:
        pdf = build_older(
            mini_pack,
            ALL_RAISED,
            patient_reference="مرحبا 12 · שלום",
            clinician="Ravi नमस्ते (د. أحمد)",
        )
        assert "\ufffd" in pages(pdf)[0]
        assert verify_pdf(pdf, mini_pack, "c.pdf").matches

    def test_a_record_with_another_clinician_and_date_and_a_foreign_generator_is_refused_for_the_release(
        self, shipped_pack: RulePack
    ) -> None:
        pdf = build(
            shipped_pack, {}, patient_reference="P-1", clinician="Dr Real", date="2026-03-14"
        )

        def swap(data: dict[str, Any]) -> None:
            data["generator"] = "screening 9.9"
            data["answers"].update(clinician="Dr Mallory", date="2030-12-31")

        swapped = rewrite_record(pdf, swap)
        assert refusal(swapped, shipped_pack) == [
            "c.pdf: the embedded record names a release this program does not know: "
            f"'screening 9.9' (it knows {', '.join(RELEASES)}, exactly so): it cannot be checked"
        ]

    def test_only_the_generator_changed_in_the_record_is_refused(self, mini_pack: RulePack) -> None:
        swapped = rewrite_record(build(mini_pack, ALL_RAISED), lambda r: r.update(generator=OLDER))
        assert refusal(swapped, mini_pack) == [
            "c.pdf: the 'Made by' line on the pages differs from the embedded record: "
            "the file has been altered"
        ]

    def test_pages_drawn_for_other_answers_with_the_records_fingerprint_are_refused(
        self, shipped_pack: RulePack
    ) -> None:
        raised = AnswersFile(
            answers={"substance_use_history": "yes", "psychosis_history": "yes"},
            patient_reference="P-1",
        )
        calm = AnswersFile(
            answers={"substance_use_history": "no", "psychosis_history": "no"},
            patient_reference="P-1",
        )
        shown = evaluate(shipped_pack, calm)
        recorded = evaluate(shipped_pack, raised)
        assert len(recorded.entries) - len(shown.entries) == 8
        forged = assemble(raised, recorded, drawn=(calm, shown))
        printed = [
            e for b in section_blocks(CONTRACTS[CURRENT_FORMAT], recorded) for e in b.entries
        ]
        missing = [e.rule_id for e in printed if e not in shown.entries]  # in the order printed
        assert refusal(forged, shipped_pack) == [
            f"c.pdf: the pages list {len(shown.entries)} checklist entries, the embedded record "
            f"{len(recorded.entries)}: not on the pages: {', '.join(missing)}: "
            "the file has been altered",
            "c.pdf: the checklist summary on the pages differs from the embedded record: "
            "the file has been altered",
            # What the sources say about the points raised is missing with those points (the
            # heading stays: the open points the calm answers leave have statements too).
            "c.pdf: a statement in what the sources say on the pages differs from the embedded "
            "record: the file has been altered",
            *(
                f"c.pdf: the answer to item {item} on the pages differs from the embedded record: "
                "the file has been altered"
                for item in ("substance_use_history", "psychosis_history")
            ),
        ]

    def test_an_entry_printed_as_another_kind_is_refused(self, mini_pack: RulePack) -> None:
        answers = AnswersFile(answers=ALL_RAISED)
        checklist = evaluate(mini_pack, answers)
        first = checklist.entries[0]
        other_kind = "document" if first.kind != "document" else "discuss"
        relabelled = checklist.model_copy(
            update={
                "entries": (first.model_copy(update={"kind": other_kind}), *checklist.entries[1:])
            }
        )
        forged = assemble(answers, checklist, drawn=(answers, relabelled))
        assert (
            f"c.pdf: the kind of entry {first.rule_id} on the pages differs from the embedded "
            "record: the file has been altered"
        ) in refusal(forged, mini_pack)

    def test_an_entry_reworded_on_the_page_is_refused(self, mini_pack: RulePack) -> None:
        answers = AnswersFile(answers=ALL_RAISED)
        checklist = evaluate(mini_pack, answers)
        last = checklist.entries[-1]
        reworded = checklist.model_copy(
            update={
                "entries": (*checklist.entries[:-1], last.model_copy(update={"text": "Nothing."}))
            }
        )
        forged = assemble(answers, checklist, drawn=(answers, reworded))
        assert refusal(forged, mini_pack) == [
            f"c.pdf: the text of entry {last.rule_id} on the pages differs from the embedded "
            "record: the file has been altered"
        ]

    def test_a_record_from_before_the_checklist_held_clinician_and_date_still_verifies(
        self, mini_pack: RulePack
    ) -> None:
        answers = AnswersFile(answers=ALL_RAISED, clinician="Dr T", date="2026-03-14")
        older = assemble(answers, evaluate(mini_pack, answers), omit=("clinician", "date"))
        assert verify_pdf(older, mini_pack, "c.pdf").matches

    def test_the_same_pack_giving_another_checklist_under_another_program_is_not_ok(
        self, mini_pack: RulePack
    ) -> None:
        answers = AnswersFile(answers=ALL_RAISED)
        today = evaluate(mini_pack, answers)
        then = today.model_copy(update={"entries": today.entries[1:]})
        result = verify_pdf(assemble(answers, then), mini_pack, "c.pdf")
        assert not result.matches
        assert result.lines() == [
            "c.pdf: the rule pack is the same, but the program is not: made by screening 0.0.9, "
            f"re-evaluated by {GENERATOR}.",
            f"  rule pack: Mini pack 0.1.0 (sha256 {mini_pack.sha256})",
            "  re-evaluated with this program, the checklist differs:",
            f"    new entries: {today.entries[0].rule_id}",
        ]

    def test_a_disclaimer_other_than_this_programs_is_never_ok(self, mini_pack: RulePack) -> None:
        answers = AnswersFile(answers=ALL_RAISED)
        claimed = evaluate(mini_pack, answers).model_copy(
            update={"disclaimer": "Suitable for ketamine."}
        )
        older = verify_pdf(assemble(answers, claimed), mini_pack, "c.pdf")
        assert not older.matches
        assert older.lines()[-1] == "    the disclaimer is not this program's"
        assert refusal(assemble(answers, claimed, generator=GENERATOR), mini_pack) == [
            "c.pdf: the embedded checklist does not carry this program's disclaimer: "
            "the file has been altered"
        ]

    def test_a_result_with_anything_unchecked_never_matches(self, mini_pack: RulePack) -> None:
        rule_set = RuleSetRef(name="Mini pack", version="0.1.0", status="draft", sha256="a" * 64)
        result = VerifyResult(
            source="c.pdf",
            produced_by=rule_set,
            current=rule_set,
            same_checklist=True,
            unchecked=("page 2",),
        )
        assert not result.matches
        assert result.lines() == [
            "c.pdf: parts of the pages could not be checked.",
            "  re-evaluated with the current pack, the checklist is the same.",
            "  not checked: page 2",
        ]

    def test_a_pdf_without_a_record_is_refused(self, mini_pack: RulePack) -> None:
        plain = FPDF()
        plain.add_page()
        with pytest.raises(ExportError) as caught:
            verify_pdf(bytes(plain.output()), mini_pack, "plain.pdf")
        assert str(caught.value) == (
            f"plain.pdf: no embedded checklist record ({RECORD_NAME}): "
            "only PDFs made by `screening evaluate --format pdf` can be verified"
        )

    @pytest.mark.parametrize(
        "data", [b"", b"hello", b'{"answers": {}}', b"\x89PNG\r\n\x1a\n" + b"\0" * 64]
    )
    def test_a_file_that_is_not_a_pdf_is_refused(self, mini_pack: RulePack, data: bytes) -> None:
        with pytest.raises(ExportError) as caught:
            verify_pdf(data, mini_pack, "x.pdf")
        assert str(caught.value) == "x.pdf: not a PDF file"

    def test_a_truncated_pdf_is_refused(self, mini_pack: RulePack) -> None:
        pdf = build(mini_pack, ALL_RAISED)
        with pytest.raises(ExportError) as caught:
            verify_pdf(pdf[: len(pdf) // 3], mini_pack, "x.pdf")
        assert str(caught.value) == "x.pdf: cannot read this PDF: the file is damaged or incomplete"

    def test_damaged_bytes_are_refused_or_matched_only_when_nothing_shown_changed(
        self, mini_pack: RulePack
    ) -> None:
        """A byte flipped anywhere: a clean refusal, or a match only when every page's text and
        the record read exactly as before (the byte carried nothing a reader sees)."""
        pdf = build(mini_pack, ALL_RAISED)
        shown = (pages(pdf), record(pdf))
        assert verify_pdf(pdf, mini_pack, "x.pdf").matches
        refused = []
        for offset in range(0, len(pdf), len(pdf) // 40):
            damaged = pdf[:offset] + bytes([pdf[offset] ^ 0x55]) + pdf[offset + 1 :]
            try:
                result = verify_pdf(damaged, mini_pack, "x.pdf")
            except ExportError as exc:
                refused.append(str(exc))
                continue
            assert result.matches, f"offset {offset}: {result.lines()}"
            assert (pages(damaged), record(damaged)) == shown, f"offset {offset} matched"
        assert all(
            re.fullmatch(r"x\.pdf: .*(not a PDF file|altered|damaged or incomplete)", r, re.S)
            for r in refused
        ), refused
        assert len(refused) > 30, "most flipped bytes must be caught"
