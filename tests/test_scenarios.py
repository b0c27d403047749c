"""Scenarios: clinical vignettes beside the rules, validated like rule files, run as tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import load_pack
from screening.models import RulePack
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.scenarios import (
    SCENARIOS_FOLDER,
    PlacedScenario,
    ScenarioError,
    all_passed,
    coverage,
    load_scenarios,
    run_pack_scenarios,
    run_scenarios,
    scenario_report,
)
from tests.conftest import FAILING, PASSING, screening, write_pack, write_scenarios

SHIPPED_SCENARIOS = load_scenarios(DEFAULT_RULES_DIR / SCENARIOS_FOLDER, load_pack())


def problems_of(pack_dir: Path, pack: RulePack, text: str) -> list[str]:
    folder = write_scenarios(pack_dir, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(folder, pack)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("placed", SHIPPED_SCENARIOS, ids=lambda p: p.scenario.id)
def test_shipped_scenario_passes(placed: PlacedScenario, shipped_pack: RulePack) -> None:
    (result,) = run_scenarios(shipped_pack, [placed])
    assert result.differences == []


class TestShippedScenarios:
    """The shipped vignettes are many enough, and together make every rule hold."""

    def test_there_are_at_least_twelve(self) -> None:
        assert len(SHIPPED_SCENARIOS) >= 12

    def test_together_they_make_every_rule_hold_and_every_item_is_read(
        self, shipped_pack: RulePack
    ) -> None:
        gaps = coverage(shipped_pack, run_pack_scenarios(DEFAULT_RULES_DIR, shipped_pack))
        assert gaps.unfired_rules == ()
        assert gaps.unread_items == ()

    def test_some_scenario_leaves_a_rule_open_through_an_unknown_answer(
        self, shipped_pack: RulePack
    ) -> None:
        results = run_pack_scenarios(DEFAULT_RULES_DIR, shipped_pack)
        assert any(r.open and r.scenario.open for r in results)


class TestRunning:
    """A scenario passes when the checklist matches it; otherwise the differing ids are named."""

    def test_a_matching_scenario_passes(self, mini_dir: Path, mini_pack: RulePack) -> None:
        results = run_scenarios(
            mini_pack, load_scenarios(write_scenarios(mini_dir, PASSING), mini_pack)
        )
        assert all_passed(results)
        assert results[0].held == ("substance-history",)

    def test_a_failing_scenario_names_missing_and_unexpected_rule_ids(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        folder = write_scenarios(mini_dir, FAILING)
        results = run_scenarios(mini_pack, load_scenarios(folder, mini_pack))
        assert results[0].missing == ("substance-active",)
        assert results[0].unexpected == ("substance-history",)
        assert not all_passed(results)

    def test_an_unknown_answer_leaves_the_rule_open_not_absent(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace('active: "no"', 'active: "unknown"').replace(
            "absent: [substance-active]", "open: [substance-active]"
        )
        results = run_scenarios(
            mini_pack, load_scenarios(write_scenarios(mini_dir, text), mini_pack)
        )
        assert "substance-active" in results[0].open
        assert all_passed(results)

    def test_a_rule_expected_to_hold_but_left_open_is_a_difference(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace('active: "no"', 'active: "unknown"').replace(
            "absent: [substance-active]", "present: [substance-active]"
        )
        text = text.replace("    present: [substance-history]\n", "")
        folder = write_scenarios(mini_dir, text)
        results = run_scenarios(mini_pack, load_scenarios(folder, mini_pack))
        assert results[0].differences == [("left open, expected to hold", ("substance-active",))]

    def test_a_rule_expected_open_but_held_is_a_difference(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("present: [substance-history]", "open: [substance-history]")
        results = run_scenarios(
            mini_pack, load_scenarios(write_scenarios(mini_dir, text), mini_pack)
        )
        assert results[0].differences == [("held, expected to stay open", ("substance-history",))]

    def test_nothing_else_turns_any_other_rule_on_the_list_into_a_difference(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("absent: [substance-active]", "nothing_else: true").replace(
            'active: "no"', 'active: "no"\n      monitoring: "no"'
        )
        results = run_scenarios(
            mini_pack, load_scenarios(write_scenarios(mini_dir, text), mini_pack)
        )
        assert results[0].unexpected == ("setting-monitoring",)

    def test_an_unanswered_question_leaves_its_rules_open(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("absent: [substance-active]", "open: [setting-monitoring]")
        results = run_scenarios(
            mini_pack, load_scenarios(write_scenarios(mini_dir, text), mini_pack)
        )
        assert all_passed(results)

    def test_the_report_lists_each_failing_scenario_with_its_differences(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        folder = write_scenarios(mini_dir, FAILING)
        report = scenario_report(run_scenarios(mini_pack, load_scenarios(folder, mini_pack)), "x")
        first, *rest = report.splitlines()
        assert first.startswith("FAIL  history-yes-raises-discussion (")
        assert first.endswith("main.yaml:2)")
        assert rest == [
            "        missing expected: substance-active",
            "        unexpectedly present: substance-history",
            "1 scenarios: 0 passed, 1 failed.",
        ]

    def test_no_scenarios_is_not_a_pass(self, mini_dir: Path, mini_pack: RulePack) -> None:
        results = run_pack_scenarios(mini_dir, mini_pack)
        assert results == []
        assert not all_passed(results)
        assert (
            scenario_report(results, "rules/scenarios")
            == "No scenarios found in rules/scenarios.\n"
        )


class TestValidation:
    """Scenario files are refused, located at file:line, when they could not test what they say."""

    def test_an_unknown_field_is_refused_with_its_line(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("    present:", "    expected: [x]\n    present:")
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert problem.endswith(
            "main.yaml:7: history-yes-raises-discussion: scenarios.expected: unknown field"
        )

    @pytest.mark.parametrize(
        ("trick", "found"),
        [
            ("\\e[2J", "vignette holds a control character (U+001B"),
            ("\\u202e", "vignette holds a bidirectional control character"),
            ("\\U000e0080", "vignette holds an invisible character"),
        ],
    )
    def test_a_vignette_hiding_its_letters_is_refused_at_its_line(
        self, mini_dir: Path, mini_pack: RulePack, trick: str, found: str
    ) -> None:
        text = PASSING.replace("past substance", f"past {trick}substance")
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert f"main.yaml:3: history-yes-raises-discussion: {found}" in problem

    def test_an_answer_outside_yes_no_unknown_is_refused_at_its_line(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        (problem,) = problems_of(mini_dir, mini_pack, PASSING.replace('"no"', '"maybe"'))
        assert "main.yaml:6: history-yes-raises-discussion: scenarios.answers.active:" in problem

    def test_a_boolean_answer_is_refused(self, mini_dir: Path, mini_pack: RulePack) -> None:
        (problem,) = problems_of(mini_dir, mini_pack, PASSING.replace('"no"', "false"))
        assert "main.yaml:6:" in problem

    def test_an_answer_to_an_unknown_item_is_refused_at_its_line(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace('active: "no"', 'active: "no"\n      histroy: "yes"')
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert problem.endswith(
            "main.yaml:7: history-yes-raises-discussion: "
            "answer to 'histroy': unknown item id (not in this rule pack)"
        )

    def test_an_answer_to_a_question_that_is_not_asked_is_refused(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        (problem,) = problems_of(
            mini_dir, mini_pack, PASSING.replace('history: "yes"', 'history: "no"')
        )
        assert (
            "main.yaml:6: history-yes-raises-discussion: answer to 'active': answered, but not asked"
            in problem
        )

    def test_an_unknown_rule_id_is_refused_at_its_line(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("absent: [substance-active]", "absent:\n      - substance-actve")
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert problem.endswith(
            "main.yaml:9: history-yes-raises-discussion: absent names unknown rule 'substance-actve'"
        )

    def test_a_rule_listed_as_both_present_and_absent_is_refused(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("absent: [substance-active]", "absent: [substance-history]")
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert problem.endswith(
            "main.yaml:8: history-yes-raises-discussion: "
            "rule 'substance-history' is listed under both present and absent"
        )

    def test_a_scenario_that_expects_nothing_is_refused(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace(
            "    present: [substance-history]\n    absent: [substance-active]\n", ""
        )
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert problem.endswith(
            "main.yaml:2: history-yes-raises-discussion: "
            "expects nothing: list rule ids under present, open or absent"
        )

    def test_absent_beside_nothing_else_is_refused(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        (problem,) = problems_of(mini_dir, mini_pack, PASSING + "    nothing_else: true\n")
        assert "absent is implied by nothing_else" in problem

    def test_a_scenario_id_used_twice_is_refused_naming_the_first(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        write_scenarios(mini_dir, PASSING, "a.yaml")
        (problem,) = problems_of(mini_dir, mini_pack, PASSING)
        assert (
            "main.yaml:2: history-yes-raises-discussion: duplicate scenario id (first defined at"
            in problem
        )
        assert "a.yaml:2)" in problem

    def test_anchors_are_refused_as_in_rule_files(
        self, mini_dir: Path, mini_pack: RulePack
    ) -> None:
        text = PASSING.replace("    answers:\n", "    answers: &a\n")
        (problem,) = problems_of(mini_dir, mini_pack, text)
        assert "anchors and aliases (& and *) are not allowed" in problem

    def test_a_file_without_scenarios_is_refused(self, mini_dir: Path, mini_pack: RulePack) -> None:
        (problem,) = problems_of(mini_dir, mini_pack, "scenarios: []\n")
        assert "main.yaml:1: scenarios: List should have at least 1 item" in problem


class TestCommand:
    """`scenarios` exits 0 when every vignette passes, 1 otherwise; `check --coverage` finds gaps."""

    def test_the_shipped_scenarios_pass(self) -> None:
        result = screening("scenarios")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed.")

    def test_a_failing_scenario_exits_1_listing_the_rule_ids_that_differ(
        self, mini_dir: Path
    ) -> None:
        write_scenarios(mini_dir, FAILING)
        result = screening("scenarios", "--rules", "mini", cwd=mini_dir.parent)
        assert result.returncode == 1
        assert result.stdout.splitlines() == [
            "FAIL  history-yes-raises-discussion (mini/scenarios/main.yaml:2)",
            "        missing expected: substance-active",
            "        unexpectedly present: substance-history",
            "1 scenarios: 0 passed, 1 failed.",
        ]

    def test_an_invalid_scenario_file_exits_1_with_a_located_error(self, mini_dir: Path) -> None:
        write_scenarios(mini_dir, PASSING.replace("substance-active]", "nope]"))
        result = screening("scenarios", "--rules", "mini", cwd=mini_dir.parent)
        assert result.returncode == 1
        assert result.stderr == (
            "Error: mini/scenarios/main.yaml:8: history-yes-raises-discussion: "
            "absent names unknown rule 'nope'\n"
        )

    def test_no_scenarios_exits_1(self, mini_dir: Path) -> None:
        result = screening("scenarios", "--rules", "mini", cwd=mini_dir.parent)
        assert result.returncode == 1
        assert result.stdout == "No scenarios found in mini/scenarios.\n"

    def test_coverage_of_the_shipped_pack_is_complete(self) -> None:
        result = screening("check", "--coverage")
        assert result.returncode == 0, result.stdout
        assert "Coverage: " in result.stdout

    def test_coverage_lists_unfired_rules_and_unread_items_and_exits_1(
        self, mini_dir: Path
    ) -> None:
        extra = """\
  - id: unread
    section: "Setting"
    label: "unread"
    question: "Is anything read?"
    help: "No rule reads this."
    sources: [src-b]
"""
        items = (mini_dir / "items.yaml").read_text() + extra
        (mini_dir / "items.yaml").write_text(items)
        write_scenarios(mini_dir, PASSING)
        result = screening("check", "--coverage", "--rules", "mini", cwd=mini_dir.parent)
        assert result.returncode == 1
        assert result.stdout.splitlines()[1:] == [
            "Coverage gaps:",
            "  rules that no scenario makes hold: substance-active, setting-monitoring",
            "  items that no rule reads and no follow-up question depends on: unread",
        ]


def test_a_vignette_file_in_a_subfolder_is_reported_not_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "more.yaml").write_text("scenarios: []\n", encoding="utf-8")
    pack = load_pack(write_pack(tmp_path / "p"))
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(folder, pack)
    assert [str(p) for p in caught.value.problems] == [
        f"{folder}/sub/more.yaml: vignettes are read from the scenarios folder itself only"
    ]
