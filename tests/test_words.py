"""One place for every word: each word table, the section order, the citation and the
canonical JSON are defined once in the core and every renderer uses them."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest

from screening import evaluate
from screening.algebra import ANSWER_TABLE
from screening.canonical import canonical_json, canonical_sha256
from screening.catalogue import _
from screening.cds.cards import checklist_cards
from screening.citations import (
    BACKGROUND_NOTE,
    source_block,
    source_details,
    source_html,
    source_markdown,
    source_parts,
    source_text,
)
from screening.export import checklist_markdown
from screening.models import (
    KINDS,
    SUMMARY_VERBS,
    AnswersFile,
    Checklist,
    Entry,
    RulePack,
    RuleSetRef,
    Source,
)
from screening.pack.loader import load_pack
from screening.pdf import contract
from screening.words import (
    ANSWER_WORDS,
    KIND_ORDER,
    KIND_WORDS,
    NO_ANSWER_NEEDED,
    STATUS_WARNINGS,
    STATUS_WORDS,
    answers_behind,
    by_section,
    kind_rank,
    section_rank,
)

REPOSITORY = Path(__file__).resolve().parent.parent
SHIPPED_CODE = sorted(
    [
        *(REPOSITORY / "screening").rglob("*.py"),
        REPOSITORY / "app.py",
        *(REPOSITORY / "app_pages").glob("*.py"),
    ]
)
VOCABULARIES: dict[str, set[str]] = {
    "kind": set(KIND_WORDS),
    "answer": set(ANSWER_WORDS),
    "status": set(STATUS_WORDS),
}
HOME = {"screening/words.py"}
"""Where the word tables live."""
OLD_FORMATS = {"screening/pdf/contract.py"}
"""PDF page contracts of formats already written keep the words they printed as data, so a
file made by an earlier release stays checkable."""
PENDING: dict[str, str] = {}
"""Files still holding a copy, with what replaces it; the test fails once a copy is gone, so
the entry is removed with it."""

_CODE = re.compile(r"^[a-z][a-z0-9_-]*$")
"""A value that is a code for another system (FHIR's `active`), not a word for a reader."""


def _relative(path: Path) -> str:
    return path.relative_to(REPOSITORY).as_posix()


def checked(skipped: set[str], pending: dict[str, str]) -> list[object]:
    """The shipped files a check reads: all but `skipped`; a `pending` file must still fail."""
    return [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=pending[_relative(p)]))
        if _relative(p) in pending
        else p
        for p in SHIPPED_CODE
        if _relative(p) not in skipped
    ]


def _marked(value: ast.expr) -> ast.expr:
    """A word marked for the catalogue, `N_("Discuss")`, read as the word it marks."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "N_":
        return value.args[0]
    return value


def word_tables(source: str) -> list[tuple[int, str]]:
    """Dict literals mapping two or more kinds, answers or statuses to words a reader sees."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Dict):
            continue
        pairs = {
            key.value: value
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }
        for name, vocabulary in VOCABULARIES.items():
            keyed = [_marked(pairs[k]) for k in vocabulary if k in pairs]
            worded = [
                v
                for v in keyed
                if isinstance(v, ast.JoinedStr)
                or (
                    (isinstance(v, ast.Constant) and isinstance(v.value, str))
                    and not _CODE.match(v.value)
                )
            ]
            if len(keyed) >= 2 and worded:
                found.append((node.lineno, name))
    return found


class TestEachWordTableIsDefinedOnce:
    """A grep of the shipped code finds each word table in screening/words.py and nowhere else."""

    def test_the_check_finds_a_copied_table_and_passes_over_a_code_mapping(self) -> None:
        copy = 'WORDS = {"discuss": "Discuss", "verify": "Verify"}\n'
        prose = 'STATUS = {"draft": "draft (not yet reviewed)", "retired": "retired"}\n'
        codes = 'STATUS = {"draft": "draft", "in_review": "draft", "approved": "active"}\n'
        assert word_tables(copy) == [(1, "kind")]
        assert word_tables(prose) == [(1, "status")]
        assert word_tables(codes) == []

    def test_the_home_of_the_tables_is_seen_by_the_check(self) -> None:
        """Kinds and statuses are worded in words.py; an answer's words are a column of the
        one answer table (screening/algebra.py), which words.py reads (issue 26 item 2)."""
        found = word_tables((REPOSITORY / "screening" / "words.py").read_text(encoding="utf-8"))
        assert sorted(name for _, name in found) == ["kind", "status", "status"]
        assert dict(ANSWER_WORDS) == {row.value: _(row.words) for row in ANSWER_TABLE}

    @pytest.mark.parametrize("path", checked(HOME | OLD_FORMATS, PENDING), ids=_relative)
    def test_no_other_module_defines_kind_answer_or_status_words(self, path: Path) -> None:
        assert word_tables(path.read_text(encoding="utf-8")) == []

    def test_kind_words_come_in_the_order_a_checklist_lists_kinds(self) -> None:
        assert tuple(KIND_WORDS) == KIND_ORDER == KINDS
        assert [kind_rank(k) for k in KINDS] == [0, 1, 2, 3]

    def test_a_summary_opens_with_a_kind_word(self) -> None:
        """The verbs a summary must open with (checked in models, below words.py) are kind words."""
        assert tuple(KIND_WORDS.values()) == SUMMARY_VERBS

    def test_every_state_and_status_has_its_words(self) -> None:
        assert set(ANSWER_WORDS) == {"yes", "no", "unknown", "not_assessed"}
        assert set(STATUS_WORDS) == {"draft", "in_review", "approved", "retired"}
        assert set(STATUS_WARNINGS) == set(STATUS_WORDS) - {"approved"}


CITATION_READERS = {
    "screening/citations.py": "renders every citation",
    "screening/pdf/contract.py": "PDF formats already written keep how they cited",
    "screening/review/record.py": "a record threshold's own citation, not a pack source's",
}
CITATION_PENDING: dict[str, str] = {}


def reads_citation(source: str) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr == "citation"
        for node in ast.walk(ast.parse(source))
    )


@pytest.mark.parametrize("path", checked(set(CITATION_READERS), CITATION_PENDING), ids=_relative)
def test_only_the_source_renderer_reads_a_citation_to_show_it(path: Path) -> None:
    assert not reads_citation(path.read_text(encoding="utf-8"))


def test_every_module_let_read_a_citation_still_does() -> None:
    """An entry left behind after its module stops reading citations would hide a new one."""
    assert [
        path
        for path in CITATION_READERS
        if not reads_citation((REPOSITORY / path).read_text(encoding="utf-8"))
    ] == []


class TestSectionOrder:
    """Sections come in the form's order; what the form lacks goes last, rows keep their order."""

    def test_sections_rank_in_form_order_and_unknown_sections_last(self) -> None:
        rank = section_rank(["Medical", "Setting"])
        assert sorted(["Other", "Setting", "Medical"], key=rank) == ["Medical", "Setting", "Other"]

    def test_rows_group_by_section_in_the_order_sections_first_appear(self) -> None:
        rows = [("b", 1), ("a", 2), ("b", 3)]
        assert by_section(rows, lambda r: r[0]) == {"b": [("b", 1), ("b", 3)], "a": [("a", 2)]}


FULL = Source(
    id="label",
    citation="Drug X prescribing information. Maker; 2024.",
    doi="10.1000/x(1)",
    url="https://example.org/label?a=1&b=2",
    revised="2024-03",
    sections=["5.1 Warnings", "8.1 Pregnancy"],
    grade="Label <official>",
    note="not verified",
    background=True,
)


class TestOneSourceRenderer:
    """A source's parts are worked out once and read the same as text, Markdown and HTML."""

    def test_parts_come_in_their_fixed_order_and_the_short_form_keeps_what_finds_the_source(
        self,
    ) -> None:
        full = [p.label for p in source_parts(FULL, full=True)]
        short = [p.label for p in source_parts(FULL)]
        assert full == [
            "DOI",
            "Link",
            "Label revision",
            "Sections relied on",
            None,
            "Evidence",
            "Note",
        ]
        assert short == ["DOI", "Link"]

    def test_text_is_the_citation_then_each_part_labelled(self) -> None:
        assert source_text(FULL) == (
            "Drug X prescribing information. Maker; 2024. · DOI: 10.1000/x(1) · "
            "Link: https://example.org/label?a=1&b=2"
        )
        assert source_text(FULL, full=True).endswith(
            " · Label revision: 2024-03 · Sections relied on: 5.1 Warnings; 8.1 Pregnancy · "
            f"{BACKGROUND_NOTE} · Evidence: Label <official> · Note: not verified"
        )

    def test_markdown_links_the_doi_and_url_and_escapes_the_rest(self) -> None:
        assert source_markdown(FULL, full=True).startswith(
            "Drug X prescribing information. Maker; 2024. · "
            "DOI: [10.1000/x(1)](<https://doi.org/10.1000/x(1)>) · "
            "Link: [https://example.org/label?a=1\\&b=2](<https://example.org/label?a=1&b=2>) · "
            "Label revision: 2024-03 · Sections relied on: 5.1 Warnings; 8.1 Pregnancy · "
        )
        assert "Evidence: Label \\<official\\>" in source_markdown(FULL, full=True)

    def test_html_links_the_doi_and_url_and_escapes_the_rest(self) -> None:
        assert source_html(FULL, full=True).startswith(
            "Drug X prescribing information. Maker; 2024. · "
            'DOI: <a href="https://doi.org/10.1000/x(1)">10.1000/x(1)</a> · '
            'Link: <a href="https://example.org/label?a=1&amp;b=2">'
            "https://example.org/label?a=1&amp;b=2</a> · Label revision: 2024-03"
        )
        assert "Evidence: Label &lt;official&gt;" in source_html(FULL, full=True)

    @pytest.mark.parametrize("url", ["javascript:alert(1)", "https://a.org/x\n", "https://a b"])
    def test_a_link_that_is_not_a_web_address_is_shown_never_linked(self, url: str) -> None:
        odd = Source(id="s", citation="C.", url=url)
        assert "](" not in source_markdown(odd)
        assert "<a " not in source_html(odd)
        assert source_markdown(odd).startswith("C. · Link: ")

    def test_a_background_source_carries_the_one_background_sentence(self) -> None:
        assert BACKGROUND_NOTE in source_details(FULL)
        assert BACKGROUND_NOTE in source_text(FULL, full=True)
        assert BACKGROUND_NOTE not in source_text(FULL)

    def test_the_full_block_is_the_citation_then_every_part_listed(self) -> None:
        block = source_block(FULL)
        assert block[:2] == ["Drug X prescribing information. Maker; 2024.", ""]
        assert block[2:] == [f"- {line}" for line in source_details(FULL)]
        assert len(block) == 2 + 7

    def test_a_checklist_source_reads_as_the_pack_source_it_copies(
        self, shipped_pack: RulePack
    ) -> None:
        """A checklist's copy lacks only the grade and note, which the short form leaves out."""
        answers = AnswersFile(answers={"substance_use_history": "yes", "breastfeeding": "yes"})
        refs = {s.id: s for e in evaluate(shipped_pack, answers).entries for s in e.sources}
        assert len(refs) >= 3
        for ref in refs.values():
            source = shipped_pack.source(ref.id)
            assert source_markdown(ref) == source_markdown(source)
            assert source_text(ref) == source_text(source)
            no_grade = source.model_copy(update={"grade": None, "note": None})
            assert source_details(ref) == source_details(no_grade)


class TestOneCanonicalJson:
    """The pack's sha256 and the PDF record's fingerprint hash the same canonical form."""

    def test_keys_are_sorted_with_no_spaces_and_anything_beyond_ascii_escaped(self) -> None:
        assert canonical_json({"b": "é", "a": [1, None]}) == b'{"a":[1,null],"b":"\\u00e9"}'
        assert canonical_sha256({}) == hashlib.sha256(b"{}").hexdigest()

    @pytest.mark.parametrize("folder", ["rules", "tests/fixtures/pack-1.0.0"])
    def test_a_shipped_pack_hashes_as_it_did_before_the_one_canonical_form(
        self, folder: str
    ) -> None:
        """The old pack hash wrote UTF-8 with ensure_ascii off; on ASCII content the two agree."""
        pack = load_pack(REPOSITORY / folder)
        content = {
            "meta": pack.meta.model_dump(mode="json", by_alias=True, exclude_none=True),
            **{
                part: [
                    m.model_dump(mode="json", by_alias=True, exclude_none=True)
                    for m in getattr(pack, part)
                ]
                for part in ("sources", "items", "rules")
            },
        }
        before = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert before.isascii()
        assert pack.sha256 == hashlib.sha256(before.encode("utf-8")).hexdigest()

    def test_the_frozen_1_0_0_pack_keeps_its_pinned_sha256(self) -> None:
        pack = load_pack(REPOSITORY / "tests" / "fixtures" / "pack-1.0.0")
        assert pack.sha256 == "10174a1be2fe17f77401cd1c560e0bbc36cbd8ce8f7e94c1980d9d7df7db2ed2"


class TestRenderersReadTheChecklistAlone:
    """Markdown and cards cite from the checklist's own copy of each source, as one renderer."""

    @pytest.mark.parametrize("status", ["draft", "in_review", "approved", "retired"])
    def test_the_markdown_carries_the_packs_status_warning_as_the_app_and_pdf_do(
        self, shipped_pack: RulePack, status: str
    ) -> None:
        checklist = evaluate(shipped_pack, AnswersFile(answers={}))
        rule_set = checklist.rule_set.model_copy(update={"status": status})
        text = checklist_markdown(checklist.model_copy(update={"rule_set": rule_set}))
        warning = STATUS_WARNINGS.get(status)  # type: ignore[call-overload]
        if warning is None:
            assert not any(w in text for w in STATUS_WARNINGS.values())
        else:
            assert f"> **{warning}**" in text.split("## ", 1)[0]

    def test_the_checklist_markdown_lists_each_cited_source_in_full_once(
        self, shipped_pack: RulePack
    ) -> None:
        checklist = evaluate(shipped_pack, AnswersFile(answers={"substance_use_history": "yes"}))
        text = checklist_markdown(checklist)
        sources = text.split("\n## Sources\n\n", 1)[1].splitlines()
        assert sources == [
            f"- **{s.id}**: {source_markdown(s, full=True)}" for s in checklist.cited
        ]
        background = [line for line in sources if BACKGROUND_NOTE in line]
        assert [line.split("**")[1] for line in background] == [
            s.id for s in checklist.cited if s.background
        ]
        assert background

    def test_a_card_cites_each_source_as_the_checklist_does(self, shipped_pack: RulePack) -> None:
        answers = AnswersFile(answers={"substance_use_history": "yes"})
        checklist = evaluate(shipped_pack, answers)
        card = checklist_cards(checklist)[0]
        cited = card["detail"].split("**Sources**\n\n", 1)[1].splitlines()
        assert cited == [f"- {source_markdown(s)}" for s in checklist.entries[0].sources]


class TestThePdfPrintsTheCoresWords:
    """A PDF format keeps its words as data, so files it made stay checkable; the format being
    written must print the core's words, and a change of words needs a new format."""

    def test_the_current_format_prints_the_kind_and_answer_words(self) -> None:
        assert {k: w.upper() for k, w in KIND_WORDS.items()} == contract.KIND_LABELS
        assert dict(ANSWER_WORDS) == contract.ANSWER_LABELS

    def test_the_current_format_prints_the_one_background_sentence(self) -> None:
        assert contract.CONTRACTS[contract.CURRENT_FORMAT].background_note == BACKGROUND_NOTE


class TestTheAnswersBehindAPoint:
    """Markdown and cards say which answers raised a point in the same words."""

    def test_each_answer_reads_label_equals_answer_word(self, shipped_pack: RulePack) -> None:
        answers = AnswersFile.model_validate({"answers": {"substance_use_history": "yes"}})
        checklist = evaluate(shipped_pack, answers)
        entry = next(
            e for e in checklist.entries if e.rule_id == "substance-history-with-sedatives"
        )
        assert answers_behind(checklist, entry) == (
            f"{checklist.label('substance_use_history')} = Yes; "
            f"{checklist.label('sedating_medications')} = not assessed"
        )

    def test_a_point_no_answer_raised_says_so(self) -> None:
        entry = Entry(
            rule_id="r",
            kind="discuss",
            section="S",
            text="t",
            because=(),
            sources=(),
            rationale="w",
        )
        checklist = Checklist(
            rule_set=RuleSetRef(name="n", version="1", status="draft", sha256="0"),
            entries=(entry,),
            not_assessed=(),
            disclaimer="d",
        )
        assert answers_behind(checklist, entry) == NO_ANSWER_NEEDED
        assert "  - Because: no answer needed" in checklist_markdown(checklist)
