"""What a source itself says, on the rule (`source_says`): which source, which section, how
strong, in its own words. The loader refuses a statement that is not attributed to one of the
rule's own sources, and the wording guard reads every statement."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from screening import AnswersFile, Checklist, PackError, RulePack, evaluate, load_pack
from screening.citations import cited_as
from screening.models import Source, SourceStatement, StatementRef
from screening.review.diff import diff_packs
from tests.statement_helpers import (
    ALL_RAISED,
    GUIDELINE_CAUTION,
    LABEL_CONTRAINDICATION,
    RULES,
    SOURCES,
    write_statement_pack,
)


def refused(tmp_path: Path, rules: str) -> list[str]:
    folder = write_statement_pack(tmp_path / "pack", {"rules-main.yaml": rules})
    with contextlib.chdir(folder), pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(p) for p in caught.value.problems]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line holding `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


class TestTheModel:
    def test_a_rule_carries_its_statements_in_file_order(self, tmp_path: Path) -> None:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        monitoring = next(r for r in pack.rules if r.id == "setting-monitoring")
        assert monitoring.source_says[0] == SourceStatement(
            source="test-label",
            section="4 Contraindications",
            strength="contraindication",
            statement=LABEL_CONTRAINDICATION,
        )
        assert [s.strength for s in monitoring.source_says] == ["contraindication", "do-not"]

    def test_a_rule_without_statements_has_none(self, tmp_path: Path) -> None:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        active = next(r for r in pack.rules if r.id == "substance-active")
        assert active.source_says == ()

    def test_a_rule_without_statements_dumps_as_before_so_its_pack_keeps_its_hash(
        self, mini_pack: RulePack, tmp_path: Path
    ) -> None:
        assert all("source_says" not in r.model_dump() for r in mini_pack.rules)
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        dumped = {r.id: r.model_dump() for r in pack.rules}
        assert "source_says" not in dumped["substance-active"]
        assert dumped["setting-monitoring"]["source_says"][1]["strength"] == "do-not"

    def test_a_statement_changes_the_pack_hash(self, tmp_path: Path) -> None:
        one = load_pack(write_statement_pack(tmp_path / "one"))
        other = load_pack(
            write_statement_pack(
                tmp_path / "two",
                {"rules-main.yaml": RULES.replace("serious hazard", "grave hazard")},
            )
        )
        assert one.sha256 != other.sha256


class TestRefused:
    def test_a_statement_from_a_source_the_rule_does_not_cite_names_file_line_and_rule(
        self, tmp_path: Path
    ) -> None:
        rules = RULES.replace("      - source: src-a\n", "      - source: src-b\n")
        (problem,) = refused(tmp_path, rules)
        assert problem == (
            f"rules-main.yaml:{line_of(rules, '- source: src-b')}: substance-history: "
            "source_says quotes 'src-b', which is not one of the rule's sources "
            "(src-a, test-label): a statement is attributed to a source the point cites"
        )

    def test_a_statement_from_an_unknown_source_is_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace("      - source: src-a\n", "      - source: nowhere\n")
        (problem,) = refused(tmp_path, rules)
        assert "substance-history: source_says quotes 'nowhere', which is not one" in problem

    def test_a_statement_from_background_reading_is_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace(
            "sources: [src-a, test-label]", "sources: [src-a, test-label, lay-article]"
        ).replace("      - source: src-a\n", "      - source: lay-article\n")
        (problem,) = refused(tmp_path, rules)
        assert problem.startswith(
            f"rules-main.yaml:{line_of(rules, '- source: lay-article')}: substance-history: "
            "source_says quotes 'lay-article', background reading"
        )

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            (
                "strength",
                "forbidden",
                "rules.source_says.strength: Input should be 'contraindication'",
            ),
            ("strength", "contraindicated", "rules.source_says.strength: Input should be"),
            ("section", '""', "rules.source_says.section: String should have at least 1 character"),
            ("statement", '"  "', "rules.source_says.statement: String should have at least 1"),
            (
                "statement",
                '"' + "x" * 401 + '"',
                "rules.source_says.statement: String should have at",
            ),
            ("source", "Test Label", "rules.source_says.source: String should match pattern"),
        ],
    )
    def test_a_malformed_statement_is_refused_at_its_line(
        self, tmp_path: Path, field: str, value: str, message: str
    ) -> None:
        old = {
            "strength": "strength: caution",
            "section": 'section: "Table 2"',
            "statement": 'statement: "ketamine can be misused and needs safeguards"',
            "source": "- source: src-a",
        }[field]
        prefix = "- " if field == "source" else ""
        rules = RULES.replace(old, f"{prefix}{field}: {value}")
        (problem,) = refused(tmp_path, rules)
        where = f"rules-main.yaml:{line_of(rules, f'{field}: {value}'[:20])}: substance-history: "
        assert problem.startswith(where + message), problem

    @pytest.mark.parametrize("missing", ["source", "section", "strength", "statement"])
    def test_a_statement_missing_a_field_is_refused(self, tmp_path: Path, missing: str) -> None:
        lines = RULES.splitlines(keepends=True)
        start = line_of(RULES, "source_says:")
        block = lines[start : start + 4]
        kept = [ln for ln in block if f"{missing}:" not in ln]
        if missing == "source":
            kept[0] = "      - " + kept[0].lstrip()
        rules = "".join(lines[:start] + kept + lines[start + 4 :])
        (problem,) = refused(tmp_path, rules)
        assert (
            f"substance-history: rules.source_says.{missing}: required field is missing" in problem
        )

    def test_an_unknown_field_in_a_statement_is_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace("strength: caution", "strength: caution\n        page: 12")
        (problem,) = refused(tmp_path, rules)
        assert problem == (
            f"rules-main.yaml:{line_of(rules, 'page: 12')}: substance-history: "
            "rules.source_says.page: unknown field"
        )

    def test_the_same_statement_twice_on_one_rule_is_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace("do not co-administer with theophylline", LABEL_CONTRAINDICATION)
        (problem,) = refused(tmp_path, rules)
        assert problem == (
            f"rules-main.yaml:{line_of(rules, '- source: test-label', 2)}: setting-monitoring: "
            "source_says repeats statement 1 of this rule (same source and words)"
        )

    def test_more_statements_than_a_point_can_carry_are_refused(self, tmp_path: Path) -> None:
        extra = "".join(
            f'      - {{source: test-label, section: "4", strength: caution, statement: "s{n}"}}\n'
            for n in range(8)
        )
        rules = RULES.replace("  - id: substance-active\n", extra + "  - id: substance-active\n")
        (problem,) = refused(tmp_path, rules)
        assert "substance-history: rules.source_says: Tuple should have at most 8 items" in problem


class TestWording:
    """A statement is the source's words: verdict words are refused there as everywhere, and
    so is anything that hides letters; a source's own "do not" or "should not be used" is
    what the statement quotes, so gatekeeping phrases pass in the statement alone."""

    @pytest.mark.parametrize(
        ("words", "found"),
        [
            ("patients who are eligible for ketamine", "eligible"),
            ("not a candidate for infusion", "candidate"),
            ("ketamine is not recommended in psychosis", "recommended"),
            ("unsuitable for outpatient use", "unsuitable"),
            ("patients who are e1igible", "eligible"),
        ],
    )
    def test_verdict_words_in_a_statement_are_refused_naming_the_statement(
        self, tmp_path: Path, words: str, found: str
    ) -> None:
        rules = RULES.replace(LABEL_CONTRAINDICATION, words)
        (problem,) = refused(tmp_path, rules)
        assert problem == (
            f"rules-main.yaml:{line_of(rules, words)}: setting-monitoring: "
            f"source_says[1].statement uses verdict language ({found})"
        )

    def test_verdict_words_in_a_statement_section_are_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace('"Table 2"', '"Eligibility criteria"')
        (problem,) = refused(tmp_path, rules)
        assert "substance-history: source_says[1].section uses verdict language" in problem

    def test_gate_phrases_in_a_statement_section_are_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace('"Table 2"', '"Before going further"')
        (problem,) = refused(tmp_path, rules)
        assert "source_says[1].section uses gatekeeping language (Before going further)" in problem

    @pytest.mark.parametrize(
        "quoted",
        [
            "ketamine is contraindicated in patients with known hypersensitivity",
            "do not co-administer with theophylline or aminophylline",
            "ketamine infusions should not be used in active substance abuse",
            "treatment should wait until blood pressure is controlled",
            "proceed with caution in patients with raised intracranial pressure",
        ],
    )
    def test_a_source_s_own_do_not_passes_in_the_statement(
        self, tmp_path: Path, quoted: str
    ) -> None:
        rules = RULES.replace(LABEL_CONTRAINDICATION, quoted)
        pack = load_pack(write_statement_pack(tmp_path / "pack", {"rules-main.yaml": rules}))
        monitoring = next(r for r in pack.rules if r.id == "setting-monitoring")
        assert monitoring.source_says[0].statement == quoted

    def test_the_same_gate_phrase_is_still_refused_in_the_rule_s_own_text(
        self, tmp_path: Path
    ) -> None:
        rules = RULES.replace(
            "Arrange monitoring by trained staff.",
            "Arrange monitoring; treatment should wait until blood pressure is controlled.",
        )
        (problem,) = refused(tmp_path, rules)
        assert "setting-monitoring: text uses gatekeeping language" in problem

    def test_a_statement_about_this_patient_is_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace(LABEL_CONTRAINDICATION, "this patient has raised blood pressure")
        (problem,) = refused(tmp_path, rules)
        assert problem.startswith(
            f"rules-main.yaml:{line_of(rules, 'this patient')}: setting-monitoring: "
            "source_says.statement speaks of one patient ('this patient')"
        )

    def test_hidden_characters_in_a_statement_are_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace("serious hazard", "serious\u202e hazard")
        (problem,) = refused(tmp_path, rules)
        assert "source_says[1].statement holds a bidirectional control character" in problem

    def test_look_alike_letters_in_a_statement_are_refused(self, tmp_path: Path) -> None:
        rules = RULES.replace("serious hazard", "seri\u043eus hazard")
        problems = refused(tmp_path, rules)
        assert any("source_says[1].statement mixes alphabets" in p for p in problems), problems


class TestShortNames:
    """A statement is attributed to its source's short name, or a short form of its citation."""

    @pytest.mark.parametrize(
        ("citation", "expected"),
        [
            (
                "Cohen SP, Bhatia A, Buvanendran A, Schwenk ES. Consensus Guidelines. "
                "Reg Anesth Pain Med. 2018;43(5):521-546.",
                "Cohen SP et al., 2018",
            ),
            (
                "KETALAR (ketamine hydrochloride) injection, for intravenous or intramuscular "
                "use, CIII. US prescribing information. Par Pharmaceutical.",
                "KETALAR (ketamine hydrochloride) injection",
            ),
            (
                "American Society of Anesthesiologists, Committee on Pain Medicine. Statement "
                "on ketamine. Original approval 18 October 2023.",
                "American Society of Anesthesiologists, 2023",
            ),
            ("A" * 70 + " long name. 2001.", "A" * 59 + "…"),
        ],
    )
    def test_a_citation_without_a_short_name_is_shortened(
        self, citation: str, expected: str
    ) -> None:
        assert cited_as(Source(id="s", citation=citation)) == expected

    def test_a_short_name_is_used_as_given(self) -> None:
        source = Source(id="s", citation="Long. Citation. 2020.", short_name="The label")
        assert cited_as(source) == "The label"

    def test_verdict_words_in_a_short_name_are_refused(self, tmp_path: Path) -> None:
        folder = write_statement_pack(
            tmp_path / "pack",
            {"sources.yaml": SOURCES.replace("The TESTAMINE label", "The approved label")},
        )
        with contextlib.chdir(folder), pytest.raises(PackError) as caught:
            load_pack(folder)
        (problem,) = [str(p) for p in caught.value.problems]
        assert problem == (
            f"sources.yaml:{line_of(SOURCES, 'short_name')}: test-label: "
            "short_name uses verdict language (approved)"
        )


class TestOnTheChecklist:
    """Each entry carries its rule's statements, attributed; the checklist lists them all once,
    strongest first."""

    def test_an_entry_carries_its_rule_s_statements_with_the_name_they_are_cited_by(
        self, tmp_path: Path
    ) -> None:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        checklist = evaluate(pack, AnswersFile(answers=ALL_RAISED))
        monitoring = next(e for e in checklist.entries if e.rule_id == "setting-monitoring")
        assert monitoring.source_says[0] == StatementRef(
            source="test-label",
            cited_as="The TESTAMINE label",
            section="4 Contraindications",
            strength="contraindication",
            statement=LABEL_CONTRAINDICATION,
        )
        history = next(e for e in checklist.entries if e.rule_id == "substance-history")
        assert [s.cited_as for s in history.source_says] == ["Author A, 2020"]

    def test_the_checklist_lists_every_statement_once_strongest_first(self, tmp_path: Path) -> None:
        rules = RULES.replace(
            "    sources: [src-a]\n  - id: setting-monitoring",
            "    sources: [src-a]\n    source_says:\n      - source: src-a\n"
            '        section: "Table 2"\n        strength: caution\n'
            f'        statement: "{GUIDELINE_CAUTION}"\n  - id: setting-monitoring',
        )
        pack = load_pack(write_statement_pack(tmp_path / "pack", {"rules-main.yaml": rules}))
        checklist = evaluate(pack, AnswersFile(answers=ALL_RAISED))
        assert [s.strength for s in checklist.statements] == [
            "contraindication",
            "do-not",
            "caution",
        ]
        assert sum(len(e.source_says) for e in checklist.entries) == 4

    def test_an_open_entry_carries_its_rule_s_statements(self, tmp_path: Path) -> None:
        """An Unknown or unanswered question is never read as No: what the source says about
        the point it may raise comes with the open point, and in the top block's open group."""
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        checklist = evaluate(pack, AnswersFile(answers={"history": "no"}))
        (monitoring,) = checklist.entries
        assert monitoring.open_items == ("monitoring",)
        assert [s.strength for s in monitoring.source_says] == ["contraindication", "do-not"]
        assert checklist.statements == ()
        assert checklist.open_statements == monitoring.source_says

    def test_a_checklist_whose_open_list_disagrees_with_its_open_entries_is_refused(
        self, tmp_path: Path
    ) -> None:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        data = evaluate(pack, AnswersFile(answers={"history": "no"})).model_dump()
        data["open_statements"] = data["open_statements"][1:]
        with pytest.raises(ValidationError, match="open_statements must list the open entries'"):
            Checklist.model_validate(data)

    def test_a_checklist_whose_list_disagrees_with_its_entries_is_refused(
        self, tmp_path: Path
    ) -> None:
        pack = load_pack(write_statement_pack(tmp_path / "pack"))
        data = evaluate(pack, AnswersFile(answers=ALL_RAISED)).model_dump()
        data["statements"] = data["statements"][1:]
        with pytest.raises(ValidationError, match="statements must list the entries'"):
            Checklist.model_validate(data)

    def test_a_checklist_without_statements_reads_as_before(self, mini_pack: RulePack) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "yes"}))
        assert checklist.statements == ()
        assert all(e.source_says == () for e in checklist.entries)


class TestTheDiff:
    """A committee sees a statement added, changed or a short name given, rule by rule."""

    def test_a_changed_statement_is_named_with_its_rule(self, tmp_path: Path) -> None:
        old = load_pack(write_statement_pack(tmp_path / "old"))
        rules = RULES.replace("serious hazard", "grave hazard")
        new = load_pack(write_statement_pack(tmp_path / "new", {"rules-main.yaml": rules}))
        (change,) = diff_packs(old, new).changes
        assert (change.what, change.id, change.action) == ("rule", "setting-monitoring", "changed")
        (field,) = change.fields
        assert field.field == "what the sources say"
        assert field.was is not None and "serious hazard" in field.was
        assert field.now is not None and "grave hazard" in field.now
        assert field.now.startswith('test-label (4 Contraindications), contraindication: "')

    def test_a_statement_added_to_a_rule_that_had_none_is_named(self, tmp_path: Path) -> None:
        old = load_pack(write_statement_pack(tmp_path / "old"))
        rules = RULES.replace(
            "    sources: [src-a]\n  - id: setting-monitoring",
            "    sources: [src-a]\n    source_says:\n      - source: src-a\n"
            '        section: "Table 3"\n        strength: should-not\n'
            '        statement: "not with current use"\n  - id: setting-monitoring',
        )
        new = load_pack(write_statement_pack(tmp_path / "new", {"rules-main.yaml": rules}))
        (change,) = diff_packs(old, new).changes
        assert change.id == "substance-active"
        assert [(f.field, f.was) for f in change.fields] == [("what the sources say", None)]
