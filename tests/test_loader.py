"""The loader refuses a broken pack whole, naming the file, the line, the id and the problem."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.limits import MAX_ECHO
from screening.limits import MAX_PACK_FILE_BYTES as MAX_FILE_BYTES
from tests.conftest import MINI_PACK, write_pack

RULES = MINI_PACK["rules-main.yaml"]
ITEMS = MINI_PACK["items.yaml"]


def refused(folder: Path) -> list[str]:
    """The problems a refused pack reports, as the user sees them, with the folder stripped."""
    with (
        contextlib.chdir(folder if folder.is_dir() else folder.parent),
        pytest.raises(PackError) as caught,
    ):
        load_pack(folder)
    return [str(p) for p in caught.value.problems]


def broken(tmp_path: Path, name: str, text: str) -> list[str]:
    return refused(write_pack(tmp_path / "pack", {name: text}))


class TestValidPack:
    """A valid pack loads with its content, in file order, and a content hash."""

    def test_the_mini_pack_loads_with_its_items_rules_and_sources(self, mini_dir: Path) -> None:
        pack = load_pack(mini_dir)
        assert [i.id for i in pack.items] == ["history", "active", "monitoring"]
        assert [r.id for r in pack.rules] == [
            "substance-history",
            "substance-active",
            "setting-monitoring",
        ]
        assert [s.id for s in pack.sources] == ["src-a", "src-b"]
        assert pack.sections == ("Substance use", "Setting")

    def test_unquoted_no_stays_the_answer_no_and_is_not_read_as_false(self, tmp_path: Path) -> None:
        pack = load_pack(
            write_pack(tmp_path / "p", {"rules-main.yaml": RULES.replace('is: "no"', "is: no")})
        )
        assert pack.rules[2].when.model_dump(by_alias=True) == {"item": "monitoring", "is": ["no"]}

    def test_the_hash_ignores_comments_and_layout(self, tmp_path: Path, mini_dir: Path) -> None:
        relaid = "# a comment\n" + RULES.replace(
            '{item: history, is: "yes"}', "\n      item: history\n      is: 'yes'", 1
        )
        other = load_pack(write_pack(tmp_path / "p", {"rules-main.yaml": relaid}))
        assert other.sha256 == load_pack(mini_dir).sha256

    def test_the_hash_changes_when_a_rule_text_changes(
        self, tmp_path: Path, mini_dir: Path
    ) -> None:
        changed = RULES.replace("Arrange monitoring", "Arrange close monitoring")
        other = load_pack(write_pack(tmp_path / "p", {"rules-main.yaml": changed}))
        assert other.sha256 != load_pack(mini_dir).sha256


class TestFilesAndSyntax:
    """Problems with the folder, the files and their YAML syntax."""

    def test_a_missing_folder_is_refused(self, tmp_path: Path) -> None:
        assert refused(tmp_path / "nowhere") == ["nowhere: no such rule pack folder"]

    def test_a_missing_items_file_is_refused(self, mini_dir: Path) -> None:
        (mini_dir / "items.yaml").unlink()
        assert refused(mini_dir) == ["items.yaml: file is missing"]

    def test_a_pack_without_rule_files_is_refused(self, mini_dir: Path) -> None:
        (mini_dir / "rules-main.yaml").unlink()
        assert refused(mini_dir) == [".: no rule files (rules-*.yaml)"]

    def test_a_stray_yaml_file_is_refused_rather_than_ignored(self, tmp_path: Path) -> None:
        problems = broken(tmp_path, "rule-typo.yaml", RULES)
        assert problems == [
            "rule-typo.yaml: unexpected file: a pack holds pack.yaml, sources.yaml, items.yaml, "
            "rules-*.yaml files and optionally record.yaml and vocabulary.yaml"
        ]

    def test_a_syntax_error_names_its_line(self, tmp_path: Path) -> None:
        problems = broken(
            tmp_path, "rules-main.yaml", RULES.replace("    kind: arrange", "    kind: [arrange")
        )
        assert len(problems) == 1
        assert problems[0].startswith("rules-main.yaml:")
        assert "YAML syntax" in problems[0]

    def test_a_duplicate_key_is_refused_with_its_line(self, tmp_path: Path) -> None:
        text = RULES.replace("    kind: arrange\n", "    kind: arrange\n    kind: discuss\n")
        (problem,) = broken(tmp_path, "rules-main.yaml", text)
        assert problem.startswith("rules-main.yaml:24: YAML syntax")
        assert "duplicate key" in problem

    def test_anchors_and_aliases_are_refused(self, tmp_path: Path) -> None:
        text = RULES.replace("sources: [src-b]", "sources: &s [src-b]")
        assert broken(tmp_path, "rules-main.yaml", text) == [
            "rules-main.yaml:28: anchors and aliases (& and *) are not allowed"
        ]

    def test_a_file_over_the_size_cap_is_refused_before_parsing(self, tmp_path: Path) -> None:
        text = RULES + "#" * MAX_FILE_BYTES
        assert broken(tmp_path, "rules-main.yaml", text) == [
            f"rules-main.yaml: file is larger than {MAX_FILE_BYTES:,} bytes"
        ]

    def test_a_file_that_is_not_utf8_is_refused_naming_the_line(self, mini_dir: Path) -> None:
        (mini_dir / "sources.yaml").write_bytes(b"sources:\n  - id: \xff\n")
        assert refused(mini_dir) == ["sources.yaml:2: not UTF-8 text"]

    def test_a_file_without_its_top_level_key_is_refused(self, tmp_path: Path) -> None:
        assert broken(tmp_path, "sources.yaml", "- just a list\n") == [
            "sources.yaml:1: expected a mapping with the top-level key 'sources:'"
        ]


class TestSchema:
    """Fields that are missing, unknown or of the wrong kind, located to their line and id."""

    def test_an_unknown_kind_names_the_rule_and_line(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path, "rules-main.yaml", RULES.replace("kind: arrange", "kind: decide")
        )
        assert problem == (
            "rules-main.yaml:23: setting-monitoring: rules.kind: Input should be 'discuss', "
            "'verify', 'arrange' or 'document' (got 'decide')"
        )

    def test_a_missing_field_names_the_rule(self, tmp_path: Path) -> None:
        text = RULES.replace('    rationale: "Side effects need watching."\n', "")
        (problem,) = broken(tmp_path, "rules-main.yaml", text)
        assert (
            problem
            == "rules-main.yaml:21: setting-monitoring: rules.rationale: required field is missing"
        )

    def test_a_misspelt_field_is_refused_not_ignored(self, tmp_path: Path) -> None:
        text = RULES.replace("    when: {item: monitoring", "    wehn: {item: monitoring")
        problems = broken(tmp_path, "rules-main.yaml", text)
        assert "rules-main.yaml:24: setting-monitoring: rules.wehn: unknown field" in problems
        assert (
            "rules-main.yaml:21: setting-monitoring: rules.when: required field is missing"
            in problems
        )

    def test_an_answer_value_outside_yes_no_unknown_is_refused(self, tmp_path: Path) -> None:
        (problem,) = broken(tmp_path, "rules-main.yaml", RULES.replace('is: "no"', "is: maybe"))
        assert problem.startswith(
            "rules-main.yaml:24: setting-monitoring: rules.when.is: Input should be"
        )
        assert "(got 'maybe')" in problem

    def test_a_boolean_where_an_answer_belongs_is_refused(self, tmp_path: Path) -> None:
        (problem,) = broken(tmp_path, "rules-main.yaml", RULES.replace('is: "no"', "is: false"))
        assert "(got False)" in problem

    def test_a_condition_without_a_known_form_is_refused(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path,
            "rules-main.yaml",
            RULES.replace('{item: monitoring, is: "no"}', "{every: []}"),
        )
        assert problem == (
            "rules-main.yaml:24: setting-monitoring: rules.when: a condition needs one of the keys "
            "'item' (with 'is'), 'all', 'any' or 'not'"
        )

    def test_a_version_written_as_a_number_is_refused(self, tmp_path: Path) -> None:
        text = MINI_PACK["pack.yaml"].replace('version: "0.1.0"', "version: 1.0")
        (problem,) = broken(tmp_path, "pack.yaml", text)
        assert problem == "pack.yaml:3: pack.version: Input should be a valid string (got 1.0)"

    def test_an_id_with_spaces_is_refused(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path,
            "rules-main.yaml",
            RULES.replace("id: setting-monitoring", "id: setting monitoring"),
        )
        assert problem.startswith(
            "rules-main.yaml:21: setting monitoring: rules.id: String should match pattern"
        )


class TestCrossReferences:
    """Ids that clash, and references to items or sources that do not exist."""

    def test_a_rule_reading_an_unknown_item_is_refused_at_that_line(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path, "rules-main.yaml", RULES.replace("- {item: active,", "- {item: activ,")
        )
        assert (
            problem == "rules-main.yaml:16: substance-active: condition reads unknown item 'activ'"
        )

    def test_a_rule_citing_an_unknown_source_is_refused_at_that_line(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path, "rules-main.yaml", RULES.replace("sources: [src-b]", "sources: [src-c]")
        )
        assert problem == "rules-main.yaml:28: setting-monitoring: cites unknown source 'src-c'"

    def test_an_item_citing_an_unknown_source_is_refused(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path, "items.yaml", ITEMS.replace("sources: [src-b]", "sources: [nope]")
        )
        assert problem == "items.yaml:20: monitoring: cites unknown source 'nope'"

    def test_asked_if_on_an_unknown_item_is_refused(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path,
            "items.yaml",
            ITEMS.replace("asked_if: {item: history", "asked_if: {item: histroy"),
        )
        assert problem == "items.yaml:14: active: asked_if reads unknown item 'histroy'"

    def test_a_rule_id_used_twice_across_files_is_refused_naming_the_first(
        self, tmp_path: Path
    ) -> None:
        problems = broken(tmp_path, "rules-more.yaml", RULES.split("  - id: substance-active")[0])
        assert problems == [
            "rules-more.yaml:2: substance-history: duplicate rule id (first defined at "
            "rules-main.yaml:2)"
        ]

    def test_an_item_id_used_twice_is_refused(self, tmp_path: Path) -> None:
        text = ITEMS.replace("  - id: monitoring", "  - id: history")
        problems = broken(tmp_path, "items.yaml", text)
        assert (
            "items.yaml:15: history: duplicate item id (first defined at items.yaml:2)" in problems
        )


class TestLogic:
    """Conditions that loop or can never hold."""

    def test_a_circular_asked_if_is_refused(self, tmp_path: Path) -> None:
        text = ITEMS.replace(
            "    sources: [src-a]\n  - id: active",
            '    sources: [src-a]\n    asked_if: {item: active, is: "no"}\n  - id: active',
        )
        (problem,) = broken(tmp_path, "items.yaml", text)
        assert (
            problem == "items.yaml:8: history: asked_if is circular: history -> active -> history"
        )

    def test_an_item_asked_only_when_it_is_answered_itself_is_circular(
        self, tmp_path: Path
    ) -> None:
        text = ITEMS.replace("asked_if: {item: history", "asked_if: {item: active")
        (problem,) = broken(tmp_path, "items.yaml", text)
        assert problem == "items.yaml:14: active: asked_if is circular: active -> active"

    def test_a_rule_that_can_never_hold_is_refused(self, tmp_path: Path) -> None:
        text = RULES.replace('- {item: active, is: "yes"}', '- {item: history, is: "no"}')
        (problem,) = broken(tmp_path, "rules-main.yaml", text)
        assert (
            problem
            == "rules-main.yaml:14: substance-active: condition can never hold, whatever the answers"
        )

    def test_verdict_language_in_an_entry_text_is_refused_naming_the_rule(
        self, tmp_path: Path
    ) -> None:
        text = RULES.replace(
            "Arrange monitoring by trained staff.", "Arrange monitoring; patient is eligible."
        )
        (problem,) = broken(tmp_path, "rules-main.yaml", text)
        assert problem.startswith(
            "rules-main.yaml:26: setting-monitoring: text uses verdict language (eligible)"
        )


def test_every_problem_is_reported_at_once_across_files(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "p",
        {
            "rules-main.yaml": RULES.replace("kind: arrange", "kind: decide"),
            "items.yaml": ITEMS.replace('label: "monitoring"\n', ""),
            "pack.yaml": MINI_PACK["pack.yaml"].replace("status: draft", "status: final"),
        },
    )
    problems = refused(folder)
    assert [p.split(":")[0] for p in problems] == ["pack.yaml", "items.yaml", "rules-main.yaml"]


def test_repeated_plain_values_are_not_mistaken_for_aliases(tmp_path: Path) -> None:
    text = MINI_PACK["pack.yaml"].replace(
        'reviewers: ["Dr Test"]', "reviewers: [A, A]\n  description: null"
    )
    pack = load_pack(write_pack(tmp_path / "p", {"pack.yaml": text}))
    assert pack.meta.reviewers == ["A", "A"]


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    bomb = 'pack:\n  name: &a ["x", "x"]\n  version: &b [*a, *a]\n  status: &c [*b, *b]\n  date: [*c, *c]\n'
    assert broken(tmp_path, "pack.yaml", bomb) == [
        "pack.yaml:2: anchors and aliases (& and *) are not allowed"
    ]


class TestLanguageGuardReach:
    """Every text a clinician sees obeys the guard, not only entry texts."""

    def test_an_item_label_with_a_verdict_word_is_refused(self, tmp_path: Path) -> None:
        text = ITEMS.replace('label: "monitoring"', 'label: "monitoring score"')
        assert broken(tmp_path, "items.yaml", text) == [
            "items.yaml:17: monitoring: label uses verdict language (score)"
        ]

    def test_a_rule_section_with_a_verdict_word_is_refused(self, tmp_path: Path) -> None:
        text = RULES.replace('section: "Setting"', 'section: "Eligibility"')
        (problem,) = broken(tmp_path, "rules-main.yaml", text)
        assert problem.startswith(
            "rules-main.yaml:22: setting-monitoring: section uses verdict language (Eligibility)"
        )

    def test_a_pack_name_with_a_verdict_word_is_refused(self, tmp_path: Path) -> None:
        text = MINI_PACK["pack.yaml"].replace('name: "Mini pack"', 'name: "Candidacy pack"')
        assert broken(tmp_path, "pack.yaml", text) == [
            "pack.yaml:2: pack.name uses verdict language (Candidacy)"
        ]


class TestUnknownAndNot:
    """Rules may name Unknown explicitly; `not` may not reach a follow-up question."""

    def test_a_rule_that_holds_only_on_unknown_loads(self, tmp_path: Path) -> None:
        text = RULES.replace('{item: monitoring, is: "no"}', '{item: monitoring, is: "unknown"}')
        pack = load_pack(write_pack(tmp_path / "p", {"rules-main.yaml": text}))
        assert pack.rules[2].when.model_dump(by_alias=True) == {
            "item": "monitoring",
            "is": ["unknown"],
        }

    def test_not_over_a_follow_up_is_refused(self, tmp_path: Path) -> None:
        text = RULES.replace('- {item: active, is: "yes"}', '- {not: {item: active, is: "no"}}')
        (problem,) = broken(tmp_path, "rules-main.yaml", text)
        assert problem == (
            "rules-main.yaml:16: substance-active: 'not' over the follow-up item 'active': when it "
            "is not asked, the condition would hold for no reason; name the answers that should count"
        )

    def test_not_over_a_question_always_asked_is_allowed(self, tmp_path: Path) -> None:
        text = RULES.replace('{item: monitoring, is: "no"}', '{not: {item: monitoring, is: "yes"}}')
        assert (
            load_pack(write_pack(tmp_path / "p", {"rules-main.yaml": text})).rules[2].id
            == "setting-monitoring"
        )


class TestHuntedInputs:
    """Inputs found by a hunt for ways to slip past the loader."""

    @pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
    def test_an_empty_rule_file_is_refused_not_read_as_no_rules(
        self, tmp_path: Path, text: str
    ) -> None:
        assert broken(tmp_path, "rules-main.yaml", text) == [
            "rules-main.yaml:1: file is empty: expected the top-level key 'rules:'"
        ]

    def test_an_empty_items_file_is_refused_with_a_reason(self, tmp_path: Path) -> None:
        assert broken(tmp_path, "items.yaml", "") == [
            "items.yaml:1: file is empty: expected the top-level key 'items:'"
        ]

    def test_a_merge_key_is_refused(self, tmp_path: Path) -> None:
        text = MINI_PACK["pack.yaml"].replace(
            '  name: "Mini pack"\n', '  <<: {name: "Mini pack"}\n'
        )
        assert broken(tmp_path, "pack.yaml", text) == [
            "pack.yaml:2: merge keys (<<) are not allowed: write each field out"
        ]

    def test_a_yaml_file_in_upper_case_is_refused_rather_than_ignored(self, tmp_path: Path) -> None:
        (problem,) = broken(tmp_path, "rules-more.YAML", RULES)
        assert problem.startswith("rules-more.YAML: unexpected file")

    def test_a_rule_needing_a_hidden_follow_up_can_never_hold(self, tmp_path: Path) -> None:
        text = RULES.replace(
            '- {item: history, is: "yes"}\n        - {item: active',
            '- {item: history, is: "no"}\n        - {item: active',
        )
        assert broken(tmp_path, "rules-main.yaml", text) == [
            "rules-main.yaml:14: substance-active: condition can never hold, whatever the answers"
        ]

    def test_a_condition_reading_too_many_questions_is_refused_not_skipped(
        self, tmp_path: Path
    ) -> None:
        extra = "".join(
            f'  - {{id: q{n}, section: "S", label: "q{n}", question: "Q{n}?", help: "H.", sources: [src-a]}}\n'
            for n in range(9)
        )
        parts = "".join(f'        - {{item: q{n}, is: "yes"}}\n' for n in range(9))
        rule = (
            '  - id: too-big\n    section: "S"\n    kind: discuss\n    when:\n      all:\n'
            + parts
            + '    summary: "Discuss it"\n    text: "Discuss."\n    rationale: "Why."\n'
            + "    sources: [src-a]\n"
        )
        problems = refused(
            write_pack(
                tmp_path / "p", {"items.yaml": ITEMS + extra, "rules-big.yaml": "rules:\n" + rule}
            )
        )
        assert problems == [
            "rules-big.yaml:6: too-big: condition reads 9 questions, counting those their follow-ups "
            "depend on; at most 8 can be checked, so split it"
        ]

    def test_a_long_bad_value_is_quoted_short(self, tmp_path: Path) -> None:
        (problem,) = broken(
            tmp_path, "rules-main.yaml", RULES.replace("kind: arrange", "kind: " + "x" * 500)
        )
        assert problem.endswith("(got '" + "x" * (MAX_ECHO - 2) + "…)")


class TestAllProblemsAtOnce:
    """A refused file does not hide the problems the other checks can still find."""

    def test_a_schema_error_and_a_verdict_word_elsewhere_are_both_reported(
        self, tmp_path: Path
    ) -> None:
        rules = RULES.replace("kind: arrange", "kind: decide")
        more = RULES.split("  - id: substance-active")[0].replace("substance-history", "other-rule")
        more = more.replace(
            'text: "Discuss the substance use history',
            'text: "Discuss whether the patient is eligible',
        )
        problems = refused(
            write_pack(tmp_path / "p", {"rules-main.yaml": rules, "rules-more.yaml": more})
        )
        assert [p.split(": ")[1] for p in problems] == ["setting-monitoring", "other-rule"]
        assert "text uses verdict language (eligible)" in problems[1]

    def test_an_unknown_source_and_a_verdict_word_are_both_reported(self, tmp_path: Path) -> None:
        rules = RULES.replace("sources: [src-b]", "sources: [src-z]").replace(
            "Arrange monitoring by trained staff.", "Arrange monitoring if a candidate."
        )
        problems = broken(tmp_path, "rules-main.yaml", rules)
        assert problems == [
            "rules-main.yaml:28: setting-monitoring: cites unknown source 'src-z'",
            "rules-main.yaml:26: setting-monitoring: text uses verdict language (candidate)",
        ]
