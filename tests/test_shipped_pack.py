"""The shipped pack keeps the public item catalogue: every id, and a point per raising answer."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from screening import AnswersFile, PackError, RulePack, evaluate, load_pack
from screening.logic import asked_states
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.review.diff import diff_packs, diff_text
from tests.conftest import screening

# The public contract from the item catalogue (shared/content/items.md): id, section, and the
# answer that must raise at least one entry naming the item.
CATALOGUE: list[tuple[str, str, str]] = [
    ("chronic_pain_over_3_months", "Indication and prior treatment", "no"),
    ("condition_crps", "Indication and prior treatment", "yes"),
    ("condition_fibromyalgia", "Indication and prior treatment", "yes"),
    ("condition_neuropathic", "Indication and prior treatment", "yes"),
    ("prior_treatment_failures", "Indication and prior treatment", "no"),
    ("multidisciplinary_plan", "Indication and prior treatment", "no"),
    ("long_term_opioid_use", "Indication and prior treatment", "yes"),
    ("substance_use_history", "Substance use", "yes"),
    ("substance_use_active", "Substance use", "yes"),
    ("alcohol_heavy_use", "Substance use", "yes"),
    ("prescription_monitoring_checked", "Substance use", "no"),
    ("cardiovascular_poorly_controlled", "Medical conditions", "yes"),
    ("cerebrovascular_history", "Medical conditions", "yes"),
    ("pregnancy_possible", "Medical conditions", "yes"),
    ("liver_disease", "Medical conditions", "yes"),
    ("raised_intracranial_or_intraocular_pressure", "Medical conditions", "yes"),
    ("urinary_symptoms", "Medical conditions", "yes"),
    ("sedating_medications", "Medical conditions", "yes"),
    ("prior_ketamine_exposure", "Medical conditions", "yes"),
    ("prior_ketamine_adverse_reaction", "Medical conditions", "yes"),
    ("psychosis_history", "Psychiatric", "yes"),
    ("psychiatric_comorbidity", "Psychiatric", "yes"),
    ("monitoring_available", "Setting and monitoring", "no"),
    ("specialized_setting_available", "Setting and monitoring", "no"),
    ("post_dose_observation_feasible", "Setting and monitoring", "no"),
    ("transport_arranged", "Logistics and cost", "no"),
    ("cost_discussed", "Logistics and cost", "no"),
    ("repeat_sessions_feasible", "Logistics and cost", "no"),
    ("goals_and_stop_criteria_agreed", "Goals and consent", "no"),
    ("informed_limited_evidence", "Goals and consent", "no"),
]

ADDED_IN_1_1: list[tuple[str, str, str]] = [
    ("course_planned", "Indication and prior treatment", "yes"),
    ("repeated_course_planned", "Indication and prior treatment", "yes"),
    ("take_home_doses_planned", "Indication and prior treatment", "yes"),
    ("ketamine_misuse_history", "Substance use", "yes"),
    ("cardiovascular_risk_raised", "Medical conditions", "yes"),
    ("breastfeeding", "Medical conditions", "yes"),
    ("pregnancy_could_occur", "Medical conditions", "yes"),
    ("interacting_medicines_label", "Medical conditions", "yes"),
    ("psychosis_active", "Psychiatric", "yes"),
    ("psychosis_past_episode", "Psychiatric", "yes"),
]
"""Items added in pack 1.1.0 (routine safety points), with the answer that raises a point.
They are part of the public contract from 1.1.0 on, like the catalogue's."""

ADDED_IN_1_2: list[tuple[str, str, str]] = [
    ("hypersensitivity_ketamine", "Medical conditions", "yes"),
    ("airway_sedation_risk", "Medical conditions", "yes"),
]
"""Items added in pack 1.2.0 (a label contraindication and an airway risk), with the answer that
raises a point; part of the public contract from 1.2.0 on."""

EVERY_ITEM = CATALOGUE + ADDED_IN_1_1 + ADDED_IN_1_2


def test_the_pinned_catalogue_matches_the_shared_one_row_for_row(item_catalogue: Path) -> None:
    text = item_catalogue.read_text(encoding="utf-8")
    rows = [
        [cell.strip() for cell in line.split("|")]
        for line in re.findall(r"^\|(.*)\|$", text, re.M)
        if not line.startswith((" id ", "---"))
    ]
    assert [(row[0], row[1], row[3]) for row in rows] == CATALOGUE


def test_every_catalogue_and_added_item_is_in_the_pack_under_its_id_and_section(
    shipped_pack: RulePack,
) -> None:
    sections = {i.id: i.section for i in shipped_pack.items}
    assert {item_id: sections.get(item_id) for item_id, _, _ in EVERY_ITEM} == {
        item_id: section for item_id, section, _ in EVERY_ITEM
    }


def test_the_pack_holds_no_item_outside_the_pinned_lists(shipped_pack: RulePack) -> None:
    assert [i.id for i in shipped_pack.items if i.id not in {i for i, _, _ in EVERY_ITEM}] == []


FOLLOW_UPS = {
    "substance_use_active": "substance_use_history",
    "ketamine_misuse_history": "substance_use_history",
    "prior_ketamine_adverse_reaction": "prior_ketamine_exposure",
    "repeated_course_planned": "course_planned",
    "take_home_doses_planned": "course_planned",
    "breastfeeding": "pregnancy_possible",
    "psychosis_active": "psychosis_history",
}
"""Follow-up items and the parent whose "yes" makes them asked."""


def neutral_answers(pack: RulePack) -> dict[str, str]:
    """Every item answered with the opposite of its raising answer: a quiet baseline."""
    raising = {item_id: answer for item_id, _, answer in EVERY_ITEM}
    return {i.id: ("no" if raising.get(i.id) == "yes" else "yes") for i in pack.items}


def answered(pack: RulePack, answers: dict[str, str]) -> AnswersFile:
    """Keep only the answers to items that are asked given the others."""
    asked = asked_states(pack, answers)  # type: ignore[arg-type]  # the catalogue's plain words
    return AnswersFile(answers={k: v for k, v in answers.items() if k in asked})


@pytest.mark.parametrize(("item_id", "raising"), [(i, a) for i, _, a in EVERY_ITEM])
def test_each_items_raising_answer_puts_an_entry_naming_it_on_the_checklist(
    shipped_pack: RulePack, item_id: str, raising: str
) -> None:
    answers = neutral_answers(shipped_pack)
    answers[item_id] = raising
    if item_id in FOLLOW_UPS:
        answers[FOLLOW_UPS[item_id]] = "yes"
    checklist = evaluate(shipped_pack, answered(shipped_pack, answers))
    named = [e for e in checklist.entries if any(b.item == item_id for b in e.because)]
    assert named, f"{item_id}={raising} raised no entry naming it"
    assert all(not e.open_items for e in checklist.entries)


@pytest.mark.parametrize("item_id", [i for i, _, _ in EVERY_ITEM])
def test_each_item_answered_unknown_puts_a_verify_entry_naming_it(
    shipped_pack: RulePack, item_id: str
) -> None:
    answers = neutral_answers(shipped_pack)
    answers[item_id] = "unknown"
    if item_id in FOLLOW_UPS:
        answers[FOLLOW_UPS[item_id]] = "yes"
    checklist = evaluate(shipped_pack, answered(shipped_pack, answers))
    assert any(e.kind == "verify" and item_id in e.open_items for e in checklist.entries)


def test_an_all_unknown_answers_file_yields_a_verify_entry_for_every_item(
    shipped_pack: RulePack,
) -> None:
    checklist = evaluate(
        shipped_pack, AnswersFile(answers={i.id: "unknown" for i in shipped_pack.items})
    )
    opened = {item for e in checklist.entries for item in e.open_items}
    assert opened == {i.id for i in shipped_pack.items}
    assert checklist.not_assessed == ()


def test_a_blank_form_lists_every_item_as_not_assessed_and_raises_verify_entries(
    shipped_pack: RulePack,
) -> None:
    checklist = evaluate(shipped_pack, AnswersFile())
    assert set(checklist.not_assessed) == {i.id for i in shipped_pack.items}
    assert {e.kind for e in checklist.entries} == {"verify"}


def test_every_rule_and_item_cites_at_least_one_source(shipped_pack: RulePack) -> None:
    assert all(r.sources for r in shipped_pack.rules)
    assert all(i.sources for i in shipped_pack.items)


FIXTURE_1_0_0 = Path(__file__).resolve().parent / "fixtures" / "pack-1.0.0"
FIXTURE_1_1_0 = Path(__file__).resolve().parent / "fixtures" / "pack-1.1.0"
ROUTINE_POINTS = {
    "plan-route-and-regimen",
    "setting-vital-signs",
    "setting-fasting-before-session",
    "setting-dose-ceiling-and-monitoring",
    "consent-outcome-and-end-point",
    "consent-dissociative-effects",
}


class TestSourcesACommitteeCanCheck:
    """Each source is pinned, and the lay overview never stands alone behind a point."""

    def test_no_rule_rests_on_background_sources_alone(self, shipped_pack: RulePack) -> None:
        background = {s.id for s in shipped_pack.sources if s.background}
        assert background == {"source-article"}
        assert [r.id for r in shipped_pack.rules if set(r.sources) <= background] == []

    def test_a_rule_citing_only_the_lay_overview_is_refused(self, tmp_path: Path) -> None:
        folder = tmp_path / "pack"
        shutil.copytree(DEFAULT_RULES_DIR, folder, ignore=shutil.ignore_patterns("scenarios"))
        rules = folder / "rules-logistics.yaml"
        text = rules.read_text(encoding="utf-8")
        rules.write_text(
            text.replace("sources: [asa-2023, source-article]", "sources: [source-article]"),
            encoding="utf-8",
        )
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        (problem,) = caught.value.problems
        assert (problem.ref, problem.message) == (
            "logistics-cost-not-discussed",
            "cites only background sources (source-article): a point needs a guideline, "
            "label or statement behind it",
        )

    def test_every_source_names_the_sections_the_pack_relies_on(
        self, shipped_pack: RulePack
    ) -> None:
        assert [s.id for s in shipped_pack.sources if not s.sections] == []

    def test_every_source_but_the_overview_has_a_doi_or_link_or_says_why_not(
        self, shipped_pack: RulePack
    ) -> None:
        unpinned = [
            s.id
            for s in shipped_pack.sources
            if not (s.doi or s.url or s.background)
            and "not verified" not in ((s.note or "") + (s.revised or "")).lower()
        ]
        assert unpinned == []

    def test_prescribing_information_carries_its_label_revision(
        self, shipped_pack: RulePack
    ) -> None:
        labels = [s for s in shipped_pack.sources if "prescribing information" in s.citation]
        assert {s.id for s in labels} == {"ketamine-label", "esketamine-rems"}
        assert all(s.revised for s in labels)

    def test_borrowed_evidence_is_marked_as_such(self, shipped_pack: RulePack) -> None:
        """The esketamine label is cited by analogy, the opioid and compounding advice by
        extension, wherever a rule leans on them."""
        unmarked = [
            (r.id, source)
            for r in shipped_pack.rules
            for source, marker in (
                ("esketamine-rems", "by analogy"),
                ("fda-2023", "by extension"),
                ("cdc-2022", "by extension"),
            )
            if source in r.sources
            and marker not in r.rationale.lower()
            and not (source == "cdc-2022" and "defines chronic pain" in r.rationale)
        ]
        assert unmarked == []

    def test_the_overview_is_marked_as_background_wherever_it_is_cited(
        self, shipped_pack: RulePack
    ) -> None:
        assert [
            r.id
            for r in shipped_pack.rules
            if "source-article" in r.sources and "(background)" not in r.rationale
        ] == []


class TestReviewFindingsStayFixed:
    """The wording the 1.1.0 review asked for, pinned so it cannot drift back."""

    def test_crps_evidence_gives_twelve_weeks_with_its_grade_and_an_unverified_certainty(
        self, shipped_pack: RulePack
    ) -> None:
        """1.1.0 said "low-to-moderate certainty"; the public summary of the guideline's table
        leaves it blank, so 1.2.0 says it is not verified and names what settles it."""
        rule = next(r for r in shipped_pack.rules if r.id == "indication-crps-evidence")
        assert "up to about 12 weeks" in rule.text
        assert "(grade B)" in rule.rationale
        assert "Its level of certainty is not verified" in rule.rationale
        assert "the guideline's own table settles it" in rule.rationale
        assert "weeks rather than months" not in rule.text

    def test_transport_says_what_the_labels_say_without_contradiction(
        self, shipped_pack: RulePack
    ) -> None:
        rule = next(r for r in shipped_pack.rules if r.id == "logistics-transport-missing")
        assert "for at least 24 hours after each dose" in rule.text
        assert "until the next day" not in rule.text
        assert "until the next day, after a restful sleep" in rule.rationale

    def test_opioid_tolerance_evidence_is_said_to_concern_patients_undergoing_surgery(
        self, shipped_pack: RulePack
    ) -> None:
        for rule_id in ("indication-opioid-therapy", "substance-history-with-opioids"):
            rule = next(r for r in shipped_pack.rules if r.id == rule_id)
            assert "opioid-tolerant" in rule.rationale
            assert "undergoing surgery (grade B, low certainty)" in rule.rationale
            assert "acute or perioperative pain" not in rule.rationale
            assert "not chronic pain" in rule.rationale or "does not address chronic pain" in (
                rule.rationale
            )

    def test_the_label_interaction_warning_comes_first_for_sedatives(
        self, shipped_pack: RulePack
    ) -> None:
        rule = next(r for r in shipped_pack.rules if r.id == "medical-sedating-medications")
        assert rule.sources[0] == "ketamine-label"
        assert rule.rationale.startswith("The ketamine label has its own drug-interaction")

    def test_repeated_course_checks_hang_on_the_course_alone(self, shipped_pack: RulePack) -> None:
        rule = next(r for r in shipped_pack.rules if r.id == "medical-repeat-dosing-organ-checks")
        assert rule.when.model_dump(by_alias=True) == {
            "item": "repeated_course_planned",
            "is": ["yes"],
        }

    def test_the_liver_help_asks_for_a_baseline_not_a_no(self, shipped_pack: RulePack) -> None:
        help_text = shipped_pack.item("liver_disease").help
        assert "counts as no" not in help_text
        assert "baseline" in help_text

    def test_past_substance_use_is_not_given_the_active_use_grade(
        self, shipped_pack: RulePack
    ) -> None:
        rule = next(r for r in shipped_pack.rules if r.id == "substance-history")
        assert "does not grade a past history" in rule.rationale
        assert "grade C" not in rule.rationale


class TestRoutinePoints:
    """A course planned for a patient with nothing else of note still gets the routine points."""

    def test_a_planned_course_with_everything_else_quiet_adds_exactly_the_routine_points(
        self, shipped_pack: RulePack
    ) -> None:
        quiet = neutral_answers(shipped_pack)
        planned = {**quiet, "course_planned": "yes"}
        before = evaluate(shipped_pack, answered(shipped_pack, quiet))
        after = evaluate(shipped_pack, answered(shipped_pack, planned))
        assert {e.rule_id for e in after.entries} - {e.rule_id for e in before.entries} == (
            ROUTINE_POINTS
        )
        assert all(not e.open_items for e in after.entries)

    def test_no_course_planned_raises_none_of_them(self, shipped_pack: RulePack) -> None:
        checklist = evaluate(shipped_pack, answered(shipped_pack, neutral_answers(shipped_pack)))
        assert not ROUTINE_POINTS & {e.rule_id for e in checklist.entries}


class TestTheChangeFromOneDotZero:
    """`diff` between pack 1.0.0 and 1.1.0 (both kept as fixtures) reads as the cover note of
    that change. The 1.1.0 -> 1.2.0 change has its own tests in test_content_1_2.py."""

    def test_the_fixtures_are_packs_1_0_0_and_1_1_0(self) -> None:
        assert load_pack(FIXTURE_1_0_0).meta.version == "1.0.0"
        assert load_pack(FIXTURE_1_1_0).meta.version == "1.1.0"

    def test_the_diff_names_every_added_and_changed_rule_and_item(self) -> None:
        old = load_pack(FIXTURE_1_0_0)
        new = load_pack(FIXTURE_1_1_0)
        text = diff_text(diff_packs(old, new), "1.0.0", "1.1.0")
        before = {r.id: r for r in old.rules}
        changed = [r.id for r in new.rules if r.id in before and before[r.id] != r]
        added = [r.id for r in new.rules if r.id not in before]
        assert changed and added
        for rule_id in changed:
            assert f"  {rule_id} (changed)" in text.splitlines()
        for rule_id in added:
            assert f"  {rule_id} (added)" in text.splitlines()
        old_items = {i.id for i in old.items}
        for item in new.items:
            if item.id not in old_items:
                assert f"  {item.id} (added)" in text.splitlines()
        assert "removed" not in text
        assert not any(line.startswith("Warning") for line in text.splitlines())

    def test_the_diff_cli_compares_the_two_fixtures(self) -> None:
        result = screening("diff", str(FIXTURE_1_0_0), str(FIXTURE_1_1_0))
        assert result.returncode == 0, result.stderr
        assert "12 rules added, 38 rules changed" in result.stdout
