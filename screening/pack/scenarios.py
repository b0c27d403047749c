"""Clinical vignettes kept beside the rules: answers in, the rule ids expected on the checklist.

Each scenario states which rules must hold (`present`), which must be left open by an
unknown or missing answer (`open`, shown as a "verify" entry) and which must stay off the
checklist (`absent`, or every other rule with `nothing_else: true`). Running them shows,
per failing vignette, exactly which rule ids differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml.comments import CommentedMap

from screening.algebra import condition_items
from screening.answer_checks import answer_problems
from screening.catalogue import N_, Said, _
from screening.engine import evaluate
from screening.errors import PackError, Problem, ScreeningError
from screening.hidden import DEFAULT_SCRIPTS
from screening.language import wording_problems
from screening.models import Answer, AnswersFile, Identifier, RulePack, Text
from screening.pack.files import YamlFile
from screening.pack.loader import display_path, read_files
from screening.pack.yaml_files import validate_yaml

SCENARIOS_FOLDER = "scenarios"
"""Scenario files live in this folder inside the pack folder."""

Expectation = Literal["present", "open", "absent"]
_EXPECTATIONS: tuple[Expectation, ...] = ("present", "open", "absent")


class ScenarioError(ScreeningError):
    """A scenario file cannot be run: bad YAML, bad answers, or unknown rule ids."""


class Scenario(BaseModel):
    """A clinical vignette, its answers, and the rule ids expected on or off the checklist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier = Field(description="Stable name saying what the vignette shows.")
    vignette: Text = Field(description="The patient in a few sentences, as a clinician tells it.")
    answers: dict[str, Answer] = Field(
        default_factory=dict,
        description="Item id -> yes / no / unknown; items left out are unanswered.",
    )
    present: list[Identifier] = Field(
        default_factory=list, description="Rules whose condition must hold."
    )
    open: list[Identifier] = Field(
        default_factory=list,
        description="Rules left open by an unknown or missing answer (a verify entry).",
    )
    absent: list[Identifier] = Field(
        default_factory=list, description="Rules that must not be on the checklist."
    )
    nothing_else: bool = Field(
        default=False,
        description="When true, every rule not listed under present or open must be absent.",
    )


class ScenariosFile(YamlFile):
    """scenarios/*.yaml: clinical vignettes that the rule pack must pass."""

    scenarios: list[Scenario] = Field(min_length=1)


class PlacedScenario(NamedTuple):
    where: str
    scenario: Scenario


@dataclass(frozen=True)
class ScenarioResult:
    """What the checklist held for one scenario, and where that differs from the expectation."""

    where: str
    scenario: Scenario
    held: tuple[str, ...]
    open: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """Expected on the checklist (present or open), but not on it."""
        shown = {*self.held, *self.open}
        wanted = [*self.scenario.present, *self.scenario.open]
        return tuple(r for r in wanted if r not in shown)

    @property
    def unexpected(self) -> tuple[str, ...]:
        """Expected absent (or, with `nothing_else`, not expected at all), but on the checklist."""
        if self.scenario.nothing_else:
            wanted = {*self.scenario.present, *self.scenario.open}
            return tuple(r for r in (*self.held, *self.open) if r not in wanted)
        return tuple(r for r in self.scenario.absent if r in self.held or r in self.open)

    @property
    def open_not_held(self) -> tuple[str, ...]:
        """Expected to hold, but left open by an unknown or missing answer."""
        return tuple(r for r in self.scenario.present if r in self.open)

    @property
    def held_not_open(self) -> tuple[str, ...]:
        """Expected to stay open, but held outright."""
        return tuple(r for r in self.scenario.open if r in self.held)

    @property
    def differences(self) -> list[tuple[str, tuple[str, ...]]]:
        """What differs from the expectation, each named in the language of the render, with
        the rule ids."""
        found = [
            (N_("missing expected"), self.missing),
            (N_("unexpectedly present"), self.unexpected),
            (N_("left open, expected to hold"), self.open_not_held),
            (N_("held, expected to stay open"), self.held_not_open),
        ]
        return [(_(what), ids) for what, ids in found if ids]

    @property
    def passed(self) -> bool:
        return not self.differences


def load_scenarios(folder: Path, pack: RulePack) -> list[PlacedScenario]:
    """Read every scenario file in `folder`; none when the folder does not exist."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if p.name.lower().endswith((".yaml", ".yml"))]
    misplaced = [
        Problem(
            display_path(p), Said(N_("vignettes are read from the scenarios folder itself only"))
        )
        for p in sorted(found)
        if p.parent != folder or not p.is_file()
    ]
    if misplaced:
        raise ScenarioError(misplaced)
    try:
        files = read_files(found)
    except PackError as exc:
        raise ScenarioError(exc.problems) from None
    return load_scenarios_from_files(files, display_path(folder), pack)


def load_scenarios_from_files(
    files: Mapping[str, bytes], label: str, pack: RulePack
) -> list[PlacedScenario]:
    """Validate scenario files given as name -> bytes; raise `ScenarioError` listing every problem.

    Answers are checked against the pack as a form would check them, and every rule id
    named must exist, so a vignette cannot pass by naming a rule that is gone.
    """
    problems: list[Problem] = []
    placed: list[PlacedScenario] = []
    first_seen: dict[str, str] = {}
    for name in sorted(n for n in files if n.endswith((".yaml", ".yml"))):
        shown = os.path.normpath(os.path.join(label, name))
        parsed = validate_yaml(files[name], shown, ScenariosFile, problems)
        if parsed is None:
            continue
        doc, model = parsed
        for raw, scenario in zip(doc["scenarios"], model.scenarios, strict=True):
            where = f"{shown}:{raw.lc.line + 1}"
            if scenario.id in first_seen:
                problems.append(
                    Problem(
                        shown,
                        Said(
                            N_("duplicate scenario id (first defined at {where})"),
                            where=first_seen[scenario.id],
                        ),
                        raw.lc.line + 1,
                        scenario.id,
                    )
                )
            first_seen.setdefault(scenario.id, where)
            problems += _check(pack, shown, raw, scenario)
            placed.append(PlacedScenario(where, scenario))
    if problems:
        raise ScenarioError(problems)
    return placed


def _check(pack: RulePack, shown: str, raw: CommentedMap, scenario: Scenario) -> Iterator[Problem]:
    """Problems a schema cannot see: answers the form would refuse, rule ids that don't exist."""
    line = raw.lc.line + 1
    scripts = tuple(pack.meta.scripts or DEFAULT_SCRIPTS)
    # The vignette is a clinician's telling of a patient, read in the review document: its
    # letters are checked as every pack text's are (nothing hidden, reordered or disguised).
    for found in wording_problems(scenario.vignette, scripts=scripts, quoted=True):
        message = Said(N_("vignette {problem}"), problem=found)
        yield Problem(shown, message, raw.lc.key("vignette")[0] + 1, scenario.id)
    for problem in answer_problems(pack, AnswersFile(answers=scenario.answers), shown):
        at = raw["answers"].lc.key(problem.ref)[0] + 1 if problem.ref in scenario.answers else line
        message = Said(
            N_("answer to '{item}': {problem}"), item=str(problem.ref), problem=problem.message
        )
        yield Problem(shown, message, at, scenario.id)
    rule_ids = {rule.id for rule in pack.rules}
    listed: dict[str, Expectation] = {}
    for field in _EXPECTATIONS:
        for index, rule_id in enumerate(getattr(scenario, field)):
            at = raw[field].lc.item(index)[0] + 1
            if rule_id not in rule_ids:
                message = Said(N_("{field} names unknown rule '{rule}'"), field=field, rule=rule_id)
                yield Problem(shown, message, at, scenario.id)
            elif rule_id in listed:
                yield Problem(
                    shown,
                    Said(
                        N_("rule '{rule}' is listed under both {first} and {second}"),
                        rule=rule_id,
                        first=listed[rule_id],
                        second=field,
                    ),
                    at,
                    scenario.id,
                )
            listed.setdefault(rule_id, field)
    if scenario.nothing_else and scenario.absent:
        yield Problem(
            shown,
            Said(N_("absent is implied by nothing_else: list one or the other")),
            line,
            scenario.id,
        )
    if not listed and not scenario.nothing_else:
        yield Problem(
            shown,
            Said(N_("expects nothing: list rule ids under present, open or absent")),
            line,
            scenario.id,
        )


def run_scenarios(pack: RulePack, scenarios: Sequence[PlacedScenario]) -> list[ScenarioResult]:
    """Evaluate each scenario's answers and record which rules held and which stayed open."""
    results = []
    for where, scenario in scenarios:
        checklist = evaluate(pack, AnswersFile(answers=scenario.answers), where)
        results.append(
            ScenarioResult(
                where=where,
                scenario=scenario,
                held=tuple(e.rule_id for e in checklist.entries if not e.open_items),
                open=tuple(e.rule_id for e in checklist.entries if e.open_items),
            )
        )
    return results


def scenario_report(results: Sequence[ScenarioResult], folder: str) -> str:
    """One line per scenario; each failing one lists the rule ids that differ, by kind."""
    if not results:
        return _("No scenarios found in {folder}.").format(folder=folder) + "\n"
    lines: list[str] = []
    for result in results:
        if result.passed:
            lines.append(_("PASS  {scenario}").format(scenario=result.scenario.id))
            continue
        failing = _("FAIL  {scenario} ({where})")
        lines.append(failing.format(scenario=result.scenario.id, where=result.where))
        lines += [f"        {what}: {', '.join(ids)}" for what, ids in result.differences]
    failed = sum(not r.passed for r in results)
    summary = _("{n} scenarios: {passed} passed, {failed} failed.")
    lines.append(summary.format(n=len(results), passed=len(results) - failed, failed=failed))
    return "\n".join(lines) + "\n"


def all_passed(results: Sequence[ScenarioResult]) -> bool:
    """True when there is at least one scenario and every one passed."""
    return bool(results) and all(r.passed for r in results)


@dataclass(frozen=True)
class Coverage:
    """What the scenarios and rules leave untested: the gaps `check --coverage` reports."""

    unfired_rules: tuple[str, ...]
    unread_items: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.unfired_rules and not self.unread_items


def coverage(pack: RulePack, results: Sequence[ScenarioResult]) -> Coverage:
    """Rules that no scenario makes hold, and items that no rule and no `asked_if` reads.

    An item read only by another item's `asked_if` is not a gap: it shapes the form.
    """
    fired = {rule_id for r in results for rule_id in r.held}
    read = {
        item_id
        for condition in [
            *(rule.when for rule in pack.rules),
            *(item.asked_if for item in pack.items if item.asked_if is not None),
        ]
        for item_id in condition_items(condition)
    }
    return Coverage(
        unfired_rules=tuple(r.id for r in pack.rules if r.id not in fired),
        unread_items=tuple(i.id for i in pack.items if i.id not in read),
    )


def coverage_report(cover: Coverage, results: Sequence[ScenarioResult]) -> str:
    """Plain lines for `check --coverage`."""
    if cover.complete:
        complete = _(
            "Coverage: {n} scenarios make every rule hold at least once; every item is read by "
            "a rule or decides whether a follow-up question is asked."
        )
        return complete.format(n=len(results)) + "\n"
    lines = [_("Coverage gaps:")]
    if cover.unfired_rules:
        unfired = _("rules that no scenario makes hold: {ids}")
        lines.append("  " + unfired.format(ids=", ".join(cover.unfired_rules)))
    if cover.unread_items:
        unread = _("items that no rule reads and no follow-up question depends on: {ids}")
        lines.append("  " + unread.format(ids=", ".join(cover.unread_items)))
    return "\n".join(lines) + "\n"


def run_pack_scenarios(rules_dir: Path, pack: RulePack) -> list[ScenarioResult]:
    """Load and run the scenarios kept in the pack folder's `scenarios/` folder."""
    return run_scenarios(pack, load_scenarios(rules_dir / SCENARIOS_FOLDER, pack))
