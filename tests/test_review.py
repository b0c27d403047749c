"""The review document: the whole pack in plain English, as Markdown, HTML and CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from screening import load_pack
from screening.describe import describe_condition
from screening.language import DISCLAIMER, verdict_words
from screening.markdown import md_escape
from screening.models import RulePack
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.scenarios import run_pack_scenarios
from screening.review.report import (
    CSV_COLUMNS,
    review_csv,
    review_html,
    review_markdown,
)
from tests.conftest import FAILING, MINI_PACK, PASSING, screening, write_pack, write_scenarios

HOSTILE = "<script>alert('x')</script> *bold* [link](javascript:alert(1)) a|b & <b>"


def hostile_pack(tmp_path: Path) -> RulePack:
    """The mini pack with markup in every kind of text a committee could type."""
    rules = MINI_PACK["rules-main.yaml"].replace(
        "Arrange monitoring by trained staff.", f"Arrange monitoring. {HOSTILE}"
    )
    items = MINI_PACK["items.yaml"].replace('label: "monitoring"', 'label: "<i>monitoring</i>"')
    sources = MINI_PACK["sources.yaml"].replace(
        '"Author B. Another study. J Test. 2021;2:3-4."',
        '"# Author B <img src=x onerror=alert(1)>"\n    url: "javascript:alert(1)"',
    )
    pack = MINI_PACK["pack.yaml"].replace('"Mini pack"', '"Mini </title><script>x</script>"')
    return load_pack(
        write_pack(
            tmp_path / "hostile",
            {
                "rules-main.yaml": rules,
                "items.yaml": items,
                "sources.yaml": sources,
                "pack.yaml": pack,
            },
        )
    )


class TestMarkdown:
    """Every item, rule and source in plain English, readable without the YAML."""

    def test_every_question_rule_and_citation_of_the_shipped_pack_is_in_it(
        self, shipped_pack: RulePack
    ) -> None:
        text = review_markdown(shipped_pack)
        for item in shipped_pack.items:
            assert md_escape(item.question) in text
            assert md_escape(item.help) in text
        for rule in shipped_pack.rules:
            assert f"#### `{rule.id}`" in text
            assert md_escape(rule.text) in text
            assert md_escape(rule.rationale) in text
        for source in shipped_pack.sources:
            assert md_escape(source.citation) in text

    def test_conditions_read_as_sentences_with_item_labels_in_italics(
        self, mini_pack: RulePack
    ) -> None:
        text = review_markdown(mini_pack)
        assert (
            "**When** *substance use history* is Yes and *active use* is Yes, the checklist shows:"
            in text
        )
        assert "- Asked: only when *substance use history* is Yes" in text
        assert "{item:" not in text
        assert "when:" not in text

    def test_it_states_the_pack_provenance_and_the_three_valued_reading(
        self, mini_pack: RulePack
    ) -> None:
        text = review_markdown(mini_pack)
        assert "- **Version:** 0.1.0" in text
        assert "- **Status:** draft: not yet reviewed by the committee" in text
        assert "- **Reviewers:** Dr Test" in text
        assert f"`{mini_pack.sha256}`" in text
        assert "**Unknown is never read as No.**" in text
        assert "**A question that is not asked cannot raise a point.**" in text
        assert f"> {md_escape(DISCLAIMER)}" in text

    def test_its_own_wording_uses_no_verdict_word_beyond_the_disclaimer(
        self, mini_pack: RulePack
    ) -> None:
        text = review_markdown(mini_pack).replace(md_escape(DISCLAIMER), "")
        assert verdict_words(text) == []

    def test_each_rule_names_its_sources_in_full(self, mini_pack: RulePack) -> None:
        text = review_markdown(mini_pack)
        assert "- Author B. Another study. J Test. 2021;2:3-4. (`src-b`)" in text
        assert "- Cited by: questions `monitoring` and rules `setting-monitoring`" in text

    def test_a_doi_becomes_a_link(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '2020;1:1-2."', '2020;1:1-2."\n    doi: "10.1000/abc"\n    grade: "Grade B"'
        )
        text = review_markdown(load_pack(write_pack(tmp_path, {"sources.yaml": sources})))
        assert "- DOI: [10.1000/abc](<https://doi.org/10.1000/abc>)" in text
        assert "- Evidence: Grade B" in text

    def test_markup_typed_in_a_rule_file_prints_literally(self, tmp_path: Path) -> None:
        text = review_markdown(hostile_pack(tmp_path))
        assert "\\<script\\>alert('x')\\</script\\> \\*bold\\* \\[link\\]" in text
        assert "a\\|b \\& \\<b\\>" in text
        assert "\n\\# Author B" in text


class TestVignettes:
    """Each rule says which vignettes raise it; the vignettes are listed with their result."""

    def test_each_shipped_rule_is_raised_by_a_named_vignette(self, shipped_pack: RulePack) -> None:
        results = run_pack_scenarios(DEFAULT_RULES_DIR, shipped_pack)
        text = review_markdown(shipped_pack, results)
        assert "no vignette raises this point yet" not in text
        assert text.count("**Vignettes:** raised in ") == len(shipped_pack.rules)
        for result in results:
            assert f"### `{result.scenario.id}` (passes)" in text

    def test_a_rule_no_vignette_raises_says_so(self, mini_dir: Path, mini_pack: RulePack) -> None:
        write_scenarios(mini_dir, PASSING)
        text = review_markdown(mini_pack, run_pack_scenarios(mini_dir, mini_pack))
        assert "**Vignettes:** raised in `history-yes-raises-discussion`." in text
        assert "**Vignettes:** no vignette raises this point yet." in text

    def test_a_failing_vignette_is_marked_with_its_differences(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        write_scenarios(mini_dir, FAILING)
        text = review_markdown(mini_pack, run_pack_scenarios(mini_dir, mini_pack))
        assert "### `history-yes-raises-discussion` (**FAILS**)" in text
        assert "- Differs: missing expected: `substance-active`" in text
        assert "- Answers: *substance use history*: Yes; *active use*: No" in text

    def test_without_vignettes_the_part_is_left_out(self, mini_pack: RulePack) -> None:
        text = review_markdown(mini_pack)
        assert "## The vignettes" not in text
        assert "no vignettes found" in text


class TestHtml:
    """One standalone page; no text from a rule file can become markup."""

    def test_it_is_a_whole_page_with_the_rules_as_headings(self, mini_pack: RulePack) -> None:
        page = review_html(mini_pack)
        assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
        assert "<title>Rule pack for review: Mini pack 0.1.0</title>" in page
        assert "<h4><code>substance-active</code> (discuss)</h4>" in page
        assert "<em>substance use history</em> is Yes and <em>active use</em> is Yes" in page
        assert "<table>" in page

    def test_markup_in_any_text_is_escaped(self, tmp_path: Path) -> None:
        page = review_html(hostile_pack(tmp_path))
        assert "<script>" not in page
        assert "<img" not in page
        assert "<i>monitoring" not in page
        assert "&lt;script&gt;alert('x')&lt;/script&gt; *bold* [link](javascript:alert(1))" in page
        assert "<title>Rule pack for review: Mini &lt;/title&gt;&lt;script&gt;" in page
        assert 'href="javascript' not in page

    def test_the_shipped_pack_renders(self, shipped_pack: RulePack) -> None:
        page = review_html(shipped_pack, run_pack_scenarios(DEFAULT_RULES_DIR, shipped_pack))
        for rule in shipped_pack.rules:
            assert f"<code>{rule.id}</code>" in page
        assert '<a href="https://doi.org/10.1097/AAP.0000000000000808">' in page


class TestCsv:
    """One row per rule, for a spreadsheet: condition as a sentence, citations in full."""

    def test_one_row_per_rule_with_the_documented_columns(self, shipped_pack: RulePack) -> None:
        rows = list(csv.DictReader(io.StringIO(review_csv(shipped_pack))))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert [r["rule_id"] for r in rows] == [r.id for r in shipped_pack.rules]

    def test_a_row_reads_in_plain_words(self, mini_pack: RulePack) -> None:
        row = list(csv.DictReader(io.StringIO(review_csv(mini_pack))))[1]
        assert row["when"] == "substance use history is Yes and active use is Yes"
        assert row["when"] == describe_condition(mini_pack.rules[1].when, mini_pack)
        assert row["items_read"] == "history active"
        assert row["sources"] == "Author A. A study. J Test. 2020;1:1-2."

    def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_defused(
        self, tmp_path: Path
    ) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace(
            '"Arrange monitoring by trained staff."', '"=HYPERLINK(\\"http://x\\")"'
        )
        pack = load_pack(write_pack(tmp_path, {"rules-main.yaml": rules}))
        row = list(csv.DictReader(io.StringIO(review_csv(pack))))[2]
        assert row["text"] == '\'=HYPERLINK("http://x")'


class TestCommand:
    """`rules` prints the document, or writes it with --out; a refused pack exits 1."""

    def test_markdown_is_the_default(self) -> None:
        result = screening("rules")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("# Rule pack for review: ")
        assert "## The vignettes" in result.stdout

    @pytest.mark.parametrize(("fmt", "start"), [("html", "<!DOCTYPE html>"), ("csv", "rule_id,")])
    def test_out_writes_the_chosen_format(self, tmp_path: Path, fmt: str, start: str) -> None:
        result = screening("rules", "--format", fmt, "--out", tmp_path / f"review.{fmt}")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert (tmp_path / f"review.{fmt}").read_text(encoding="utf-8").startswith(start)

    def test_a_refused_pack_writes_nothing(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "bad", {"rules-main.yaml": "rules: [1]\n"})
        result = screening("rules", "--rules", "bad", "--out", "review.md", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: rule pack refused")
        assert not (tmp_path / "review.md").exists()

    def test_a_broken_scenario_file_is_refused_too(self, mini_dir: Path) -> None:
        write_scenarios(mini_dir, "scenarios: nope\n")
        result = screening("rules", "--rules", "mini", cwd=mini_dir.parent)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: mini/scenarios/main.yaml:1: scenarios:")
