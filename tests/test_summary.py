"""Every rule carries a summary: the entry's one-line headline, verb first, at most 100 characters.

The loader refuses a missing, multi-line, over-long or verb-less summary with its file, line
and rule, and the language guard reads it like every other text; the review document and
the diff show it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from screening import PackError, load_pack
from screening.models import KINDS, SUMMARY_MAX_CHARS, RulePack
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.review.diff import diff_packs
from screening.review.report import review_csv, review_markdown
from tests.conftest import MINI_PACK, write_pack

RULES = MINI_PACK["rules-main.yaml"]
SUMMARY = 'summary: "Arrange monitoring"'
SUMMARY_LINE = 25
"""The line of the `setting-monitoring` rule's summary in the mini pack."""


def with_summary(tmp_path: Path, replacement: str) -> list[str]:
    """The problems of the mini pack with the last rule's summary line replaced."""
    assert SUMMARY in RULES
    folder = write_pack(tmp_path / "p", {"rules-main.yaml": RULES.replace(SUMMARY, replacement)})
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [f"{p.line}: {p.ref}: {p.message}" for p in caught.value.problems]


class TestTheLoaderRefusesABadSummary:
    """A summary is required, one line, verb first and short; each breach names rule and line."""

    def test_a_rule_without_a_summary_is_refused_naming_the_rule(self, tmp_path: Path) -> None:
        problems = with_summary(tmp_path, "# no summary")
        assert problems == ["21: setting-monitoring: rules.summary: required field is missing"]

    def test_an_empty_summary_is_refused(self, tmp_path: Path) -> None:
        (problem,) = with_summary(tmp_path, 'summary: "   "')
        assert problem.startswith(f"{SUMMARY_LINE}: setting-monitoring: rules.summary: String")

    def test_a_summary_of_two_lines_is_refused(self, tmp_path: Path) -> None:
        (problem,) = with_summary(tmp_path, 'summary: "Arrange monitoring\\nby trained staff"')
        assert problem.startswith(
            f"{SUMMARY_LINE}: setting-monitoring: rules.summary: must be one line; "
            "the full point goes in 'text'"
        )

    def test_a_summary_split_by_a_unicode_line_separator_is_refused(self, tmp_path: Path) -> None:
        (problem,) = with_summary(tmp_path, 'summary: "Arrange monitoring\\u2028by staff"')
        assert "must be one line" in problem

    def test_a_summary_one_character_over_the_limit_is_refused(self, tmp_path: Path) -> None:
        long = "Arrange " + "m" * (SUMMARY_MAX_CHARS - len("Arrange "))
        assert len(long) == SUMMARY_MAX_CHARS
        load_pack(
            write_pack(
                tmp_path / "ok", {"rules-main.yaml": RULES.replace(SUMMARY, f'summary: "{long}"')}
            )
        )
        (problem,) = with_summary(tmp_path, f'summary: "{long}x"')
        assert problem.startswith(
            f"{SUMMARY_LINE}: setting-monitoring: rules.summary: is 101 characters; at most "
            "100 fit a headline, the rest goes in 'text'"
        )

    @pytest.mark.parametrize(
        "opening",
        [
            "Consider monitoring",
            "arrange monitoring",
            "Arranging monitoring",
            "Arrange:",
            "Arrange",
        ],
    )
    def test_a_summary_that_does_not_open_with_a_kind_verb_is_refused(
        self, tmp_path: Path, opening: str
    ) -> None:
        (problem,) = with_summary(tmp_path, f'summary: "{opening}"')
        assert problem.startswith(
            f"{SUMMARY_LINE}: setting-monitoring: rules.summary: must start with what the "
            "clinician is asked to do (Discuss, Verify, Arrange, Document), then say what"
        )

    def test_a_verdict_word_in_a_summary_is_refused_by_the_guard(self, tmp_path: Path) -> None:
        problems = with_summary(tmp_path, 'summary: "Arrange monitoring for eligible patients"')
        assert problems == [
            f"{SUMMARY_LINE}: setting-monitoring: summary uses verdict language (eligible)"
        ]


class TestEditorSchema:
    """The generated JSON Schema flags a bad summary while the committee types."""

    @staticmethod
    def errors(summary: str) -> list[str]:
        schema_file = DEFAULT_RULES_DIR / "schema" / "rules.schema.json"
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        doc = YAML(typ="safe").load(RULES)
        doc["rules"][0]["summary"] = summary
        return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]

    def test_the_schema_accepts_a_good_summary(self) -> None:
        assert self.errors("Discuss the history") == []

    @pytest.mark.parametrize(
        "summary", ["Consider the history", "Discuss the\nhistory", "Discuss " + "x" * 100]
    )
    def test_the_schema_refuses_a_bad_summary(self, summary: str) -> None:
        assert self.errors(summary)


class TestTheSummaryIsShown:
    """The committee reads each rule's headline in the review document, its CSV and the diff."""

    def test_the_review_document_shows_each_headline_above_its_point(
        self, mini_pack: RulePack
    ) -> None:
        text = review_markdown(mini_pack)
        assert (
            "> **Arrange monitoring**\n>\n> **Arrange:** Arrange monitoring by trained staff."
            in text
        )
        assert "| `setting-monitoring` | Setting | Arrange | Arrange monitoring | " in text

    def test_the_csv_has_a_summary_column(self, mini_pack: RulePack) -> None:
        rows = list(csv.DictReader(io.StringIO(review_csv(mini_pack))))
        assert [r["summary"] for r in rows] == [r.summary for r in mini_pack.rules]

    def test_a_changed_summary_is_named_in_the_diff(
        self, tmp_path: Path, mini_pack: RulePack
    ) -> None:
        new = load_pack(
            write_pack(
                tmp_path / "new",
                {"rules-main.yaml": RULES.replace(SUMMARY, 'summary: "Arrange trained staff"')},
            )
        )
        (change,) = [c for c in diff_packs(mini_pack, new).changes if c.what == "rule"]
        assert (change.id, [(f.field, f.was, f.now) for f in change.fields]) == (
            "setting-monitoring",
            [("headline", "Arrange monitoring", "Arrange trained staff")],
        )


class TestTheShippedSummaries:
    """Every shipped rule has a headline a clinician can act on."""

    def test_every_summary_is_within_the_limit_and_opens_with_its_kinds_verb(
        self, shipped_pack: RulePack
    ) -> None:
        verbs = {kind: kind.capitalize() + " " for kind in KINDS}
        wrong = [
            r.id
            for r in shipped_pack.rules
            if r.summary is None
            or len(r.summary) > SUMMARY_MAX_CHARS
            or not r.summary.startswith(verbs[r.kind])
        ]
        assert wrong == []

    def test_summaries_are_distinct(self, shipped_pack: RulePack) -> None:
        summaries = [r.summary for r in shipped_pack.rules]
        assert len(set(summaries)) == len(summaries)
