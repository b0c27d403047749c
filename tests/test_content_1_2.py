"""Pack 1.2.0 (issue 19): the safety gaps closed, claims held to their sources, every grade with
its certainty, vignettes as boundary pairs, and the 1.1.0 -> 1.2.0 diff naming every change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening import AnswersFile, RulePack, evaluate, load_pack
from screening.citations import cited_as
from screening.language import gatekeeping_phrases, verdict_words
from screening.logic import asked_states
from screening.models import Rule
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.scenarios import SCENARIOS_FOLDER, PlacedScenario, load_scenarios
from screening.review.diff import diff_packs, diff_text
from tests.conftest import screening

FIXTURE_1_1_0 = Path(__file__).resolve().parent / "fixtures" / "pack-1.1.0"
SHIPPED_SCENARIOS = load_scenarios(DEFAULT_RULES_DIR / SCENARIOS_FOLDER, load_pack())
WHOLE_PATIENTS = "whole-patient.yaml"


def rule(pack: RulePack, rule_id: str) -> Rule:
    return next(r for r in pack.rules if r.id == rule_id)


def held(pack: RulePack, answers: dict[str, str]) -> set[str]:
    """Rule ids whose condition holds (not merely open) for these answers."""
    checklist = evaluate(pack, AnswersFile.model_validate({"answers": answers}))
    return {e.rule_id for e in checklist.entries if not e.open_items}


class TestThePackIsADraft120:
    def test_version_1_2_0_stays_a_draft_with_no_reviewers(self, shipped_pack: RulePack) -> None:
        assert (shipped_pack.meta.version, shipped_pack.meta.status) == ("1.2.0", "draft")
        assert shipped_pack.meta.reviewers == []

    def test_the_description_states_the_scope(self, shipped_pack: RulePack) -> None:
        description = shipped_pack.meta.description or ""
        for words in ("adults", "low-dose intravenous ketamine for chronic pain", "acute pain"):
            assert words in description

    def test_the_description_says_once_what_an_absent_point_means(
        self, shipped_pack: RulePack
    ) -> None:
        description = shipped_pack.meta.description or ""
        assert description.count("A point that is not listed means that no answer raised it") == 1
        assert "not mean the patient was assessed as low risk" in description


NEW_POINTS: list[tuple[dict[str, str], str]] = [
    ({"hypersensitivity_ketamine": "yes"}, "medical-hypersensitivity"),
    ({"airway_sedation_risk": "yes"}, "medical-airway-sedation-risk"),
    ({"course_planned": "yes"}, "setting-fasting-before-session"),
    ({"course_planned": "yes"}, "setting-dose-ceiling-and-monitoring"),
    (
        {"course_planned": "yes", "repeated_course_planned": "yes"},
        "medical-repeat-course-review",
    ),
]


@pytest.mark.parametrize(("answers", "rule_id"), NEW_POINTS, ids=[r for _, r in NEW_POINTS])
def test_each_new_points_raising_answer_raises_it_and_the_opposite_does_not(
    shipped_pack: RulePack, answers: dict[str, str], rule_id: str
) -> None:
    assert rule_id in held(shipped_pack, answers)
    last = list(answers)[-1]
    assert rule_id not in held(shipped_pack, {**answers, last: "no"})


class TestTheSafetyGaps:
    def test_an_untreated_or_newly_found_high_reading_counts_as_above_target(
        self, shipped_pack: RulePack
    ) -> None:
        item = shipped_pack.item("cardiovascular_poorly_controlled")
        assert "treated or not" in item.question
        assert "treated or not, including a high reading at assessment" in item.help
        other = shipped_pack.item("cardiovascular_risk_raised").help
        assert "including a high reading at assessment, belongs to the previous question" in other

    def test_the_vital_signs_point_says_what_a_high_pre_dose_reading_prompts_as_an_analogy(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "setting-vital-signs")
        assert "by analogy with the esketamine label, a reading above 140/90 mmHg" in point.text
        assert "the 140/90 figure is borrowed from that label" in point.rationale

    def test_theophylline_is_a_do_not_and_vasopressin_a_close_monitoring_as_the_label_says(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "medical-interacting-medicines")
        assert "not to co-administer theophylline or aminophylline" in point.text
        assert "monitor vital signs closely with sympathomimetics or vasopressin" in point.text
        assert "not verified" not in point.rationale

    def test_hypersensitivity_cites_both_labels_contraindication(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "medical-hypersensitivity")
        assert point.sources == ["ketamine-label", "esketamine-rems"]
        assert "known hypersensitivity to ketamine" in point.rationale
        assert "By analogy" in point.rationale


class TestClaimsStayWithinTheirSources:
    def test_a_past_history_gets_proportionate_safeguards_under_universal_precautions(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "substance-history")
        assert "supervised dosing only" not in point.text
        assert "no take-home" not in point.text
        assert "proportionate" in point.text
        assert "universal precautions" in point.rationale

    def test_the_monitored_service_point_no_longer_rules_out_doses_at_home(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "setting-refer-to-monitored-service")
        assert "no substitute" not in f"{point.summary} {point.text}"
        assert "in place of serial infusions in responders" in point.rationale

    def test_the_conservative_options_point_no_longer_leans_on_the_opioid_preference(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "indication-conservative-options-remain")
        assert "cdc-2022" not in point.sources
        assert "ketamine is itself a nonopioid" in point.rationale

    def test_the_fibromyalgia_headline_says_weak_or_absent(self, shipped_pack: RulePack) -> None:
        assert "weak or absent" in str(
            rule(shipped_pack, "indication-fibromyalgia-evidence").summary
        )

    def test_transport_says_after_each_dose_in_question_help_and_point(
        self, shipped_pack: RulePack
    ) -> None:
        item = shipped_pack.item("transport_arranged")
        point = rule(shipped_pack, "logistics-transport-missing")
        for text in (item.question, item.help, str(point.summary), point.text):
            assert "24 hours after each dose" in text

    @pytest.mark.parametrize(
        "rule_id",
        [
            "setting-vital-signs",
            "setting-monitoring-missing",
            "setting-specialized-setting-missing",
        ],
    )
    def test_setting_points_cite_the_labels_section_2_1(
        self, shipped_pack: RulePack, rule_id: str
    ) -> None:
        point = rule(shipped_pack, rule_id)
        assert point.sources[0] == "ketamine-label"
        assert "(section 2.1)" in point.rationale

    def test_cost_is_the_packs_own_point_and_quotes_the_asa_payors_sentence(
        self, shipped_pack: RulePack
    ) -> None:
        point = rule(shipped_pack, "logistics-cost-not-discussed")
        assert point.rationale.startswith("This is the pack's own administrative point")
        assert "to align evidence with patient needs and ensure access via payors" in (
            point.rationale
        )

    def test_the_asa_statement_carries_its_exact_title(self, shipped_pack: RulePack) -> None:
        asa = next(s for s in shipped_pack.sources if s.id == "asa-2023")
        assert "Statement on Ketamine for the Treatment of Chronic Pain." in asa.citation

    def test_the_ketamine_label_is_pinned_to_the_revision_checked(
        self, shipped_pack: RulePack
    ) -> None:
        label = next(s for s in shipped_pack.sources if s.id == "ketamine-label")
        assert (label.revised or "").startswith("10/2024")


INFUSION_GUIDELINE_CONTRAINDICATIONS = [
    "medical-cardiovascular-control",
    "medical-pregnancy-breastfeeding",
    "medical-liver-disease",
    "medical-raised-intracranial-intraocular-pressure",
    "psychiatric-psychosis-active",
    "substance-active-use",
]


class TestBorrowingsAreMarked:
    @pytest.mark.parametrize("rule_id", INFUSION_GUIDELINE_CONTRAINDICATIONS)
    def test_the_infusion_guideline_applied_to_every_route_says_so(
        self, shipped_pack: RulePack, rule_id: str
    ) -> None:
        assert "for other routes it applies by extension" in rule(shipped_pack, rule_id).rationale

    def test_the_anesthetic_labels_24_hours_applied_to_low_doses_says_so(
        self, shipped_pack: RulePack
    ) -> None:
        rationale = rule(shipped_pack, "logistics-transport-missing").rationale
        assert "after anesthesia; applying that to the lower doses" in rationale
        assert "this pack's extension" in rationale

    def test_the_surgical_patients_are_not_widened_to_all_acute_pain(
        self, shipped_pack: RulePack
    ) -> None:
        rationale = rule(shipped_pack, "indication-opioid-therapy").rationale
        assert "undergoing surgery" in rationale
        assert "does not address chronic pain or acute pain in general" in rationale

    def test_the_12_month_definition_of_active_use_is_the_packs_own(
        self, shipped_pack: RulePack
    ) -> None:
        assert "this pack's own definition" in rule(shipped_pack, "substance-active-use").rationale
        assert "this pack's own reading" in shipped_pack.item("substance_use_active").help


CERTAINTY_NOT_VERIFIED = {
    "indication-crps-evidence": "the guideline's own table settles it",
    "indication-opioid-therapy": "the guideline's own table settles it",
    "setting-dose-ceiling-and-monitoring": "the guideline's own table settles them",
    "logistics-repeat-sessions-not-feasible": "see the CRPS point",
}
"""The only rationales whose grade has no verified certainty, each naming what settles it."""


def grade_sentences(text: str) -> list[str]:
    """Each sentence that gives a grade, joined to the sentence after it ("does not grade" and
    "no grade" give none)."""
    sentences = re.split(r"(?<=[.)])\s+(?=[A-Z])", text)
    return [
        " ".join(sentences[i : i + 2])
        for i, sentence in enumerate(sentences)
        if re.search(r"(?<!not )(?<!no )\bgrades?\b", sentence)
    ]


class TestEveryGradeCarriesItsCertainty:
    def test_every_graded_sentence_gives_a_certainty(self, shipped_pack: RulePack) -> None:
        missing = [
            (r.id, sentence)
            for r in shipped_pack.rules
            for sentence in grade_sentences(r.rationale)
            if "certainty" not in sentence
        ]
        assert missing == []

    def test_an_unverified_certainty_is_allowed_only_where_pinned_and_names_what_settles_it(
        self, shipped_pack: RulePack
    ) -> None:
        unverified = {
            r.id
            for r in shipped_pack.rules
            if re.search(r"certainty (?:is )?not verified|certainty not verified", r.rationale)
        }
        assert unverified == set(CERTAINTY_NOT_VERIFIED)
        for rule_id, settles in CERTAINTY_NOT_VERIFIED.items():
            assert settles in rule(shipped_pack, rule_id).rationale

    def test_a_sentence_naming_a_grade_without_certainty_is_caught(self) -> None:
        assert grade_sentences("The guideline grades it (grade C). Nothing else.") == [
            "The guideline grades it (grade C). Nothing else."
        ]
        assert grade_sentences("The summary gives it (no grade in the public summary).") == []

    def test_every_source_grade_says_its_certainty_or_that_it_gives_none(
        self, shipped_pack: RulePack
    ) -> None:
        unqualified = [
            s.id
            for s in shipped_pack.sources
            if s.grade
            and not any(w in s.grade for w in ("certainty", "evidence type", "gives no grade"))
        ]
        assert unqualified == []


def pairs() -> list[tuple[PlacedScenario, PlacedScenario]]:
    """The vignettes outside the whole-patient file, two by two in file order."""
    by_file: dict[str, list[PlacedScenario]] = {}
    for placed in SHIPPED_SCENARIOS:
        by_file.setdefault(placed.where.rsplit(":", 1)[0], []).append(placed)
    found: list[tuple[PlacedScenario, PlacedScenario]] = []
    for where, in_file in by_file.items():
        if where.endswith(WHOLE_PATIENTS):
            continue
        assert len(in_file) % 2 == 0, f"{where} holds an odd number of vignettes"
        found += list(zip(in_file[::2], in_file[1::2], strict=True))
    return found


def differing_answers(pack: RulePack, first: dict[str, str], second: dict[str, str]) -> set[str]:
    """Questions asked in both whose answers differ; a follow-up the change hides is not one."""
    one = asked_states(pack, first)  # type: ignore[arg-type]  # scenario answers are valid
    two = asked_states(pack, second)  # type: ignore[arg-type]
    return {item for item in one.keys() & two.keys() if one[item] != two[item]}


def words(identifier: str) -> set[str]:
    return {w for w in re.split(r"[-_]", identifier) if len(w) >= 4}


PAIRS = pairs()


class TestVignettesAreBoundaryPairs:
    def test_there_are_pairs_for_the_boundaries_the_issue_names(
        self, shipped_pack: RulePack
    ) -> None:
        """Each boundary as (question, the two answers, an answer both vignettes share)."""
        found = set()
        for a, b in PAIRS:
            first, second = answers(a, b)
            for item in differing_answers(shipped_pack, first, second):
                shared = frozenset((k, v) for k, v in first.items() if second.get(k) == v)
                pair = frozenset((first.get(item, "unanswered"), second.get(item, "unanswered")))
                found.add((item, pair, shared))

        def has(item: str, values: set[str], given: tuple[str, str] | None = None) -> bool:
            return any(
                i == item and v == frozenset(values) and (given is None or given in shared)
                for i, v, shared in found
            )

        assert has("cardiovascular_poorly_controlled", {"yes", "no"})
        assert has("course_planned", {"unknown", "no"})
        assert has("pregnancy_possible", {"unknown", "no"})
        assert has("long_term_opioid_use", {"yes", "no"}, ("sedating_medications", "yes"))
        assert has("hypersensitivity_ketamine", {"yes", "no"})
        assert has("interacting_medicines_label", {"yes", "no"})

    @pytest.mark.parametrize(("first", "second"), PAIRS, ids=[a.scenario.id for a, _ in PAIRS])
    def test_each_pair_differs_in_exactly_one_answer_and_both_names_say_which(
        self, shipped_pack: RulePack, first: PlacedScenario, second: PlacedScenario
    ) -> None:
        (item,) = differing_answers(shipped_pack, *answers(first, second))
        assert words(item) & words(first.scenario.id), (item, first.scenario.id)
        assert words(item) & words(second.scenario.id), (item, second.scenario.id)

    def test_a_pair_differing_in_two_answers_is_caught(self, shipped_pack: RulePack) -> None:
        first = {"course_planned": "yes", "repeated_course_planned": "no"}
        assert differing_answers(shipped_pack, first, {"course_planned": "no"}) == {
            "course_planned"
        }
        assert len(differing_answers(shipped_pack, first, {**first, "cost_discussed": "no"})) == 1
        two = {"course_planned": "yes", "repeated_course_planned": "yes", "cost_discussed": "no"}
        assert len(differing_answers(shipped_pack, first, two)) == 2

    def test_whole_patient_vignettes_answer_every_question_asked(
        self, shipped_pack: RulePack
    ) -> None:
        for placed in SHIPPED_SCENARIOS:
            if placed.where.rsplit(":", 1)[0].endswith(WHOLE_PATIENTS):
                states = asked_states(shipped_pack, placed.scenario.answers)
                assert [i for i, s in states.items() if s == "not_assessed"] == [], placed.where

    def test_the_diabetic_neuropathy_vignette_has_raised_risk_and_its_ecg_point(self) -> None:
        (placed,) = [p for p in SHIPPED_SCENARIOS if "diabetic" in p.scenario.id]
        assert placed.scenario.answers["cardiovascular_risk_raised"] == "yes"
        assert "medical-baseline-ecg" in placed.scenario.present


def answers(first: PlacedScenario, second: PlacedScenario) -> tuple[dict[str, str], ...]:
    return dict(first.scenario.answers), dict(second.scenario.answers)


CLEARANCE_WORDS = re.compile(r"\b(?:prepared|cleared|clearance|fit|safe|ready|low-risk)\b", re.I)


class TestTheGuardReadsTheVignettes:
    @pytest.mark.parametrize("placed", SHIPPED_SCENARIOS, ids=lambda p: p.scenario.id)
    def test_no_vignette_name_or_text_uses_verdict_gate_or_clearance_words(
        self, placed: PlacedScenario
    ) -> None:
        name = placed.scenario.id.replace("-", " ")
        for text in (name, placed.scenario.vignette):
            assert verdict_words(text) == []
            assert gatekeeping_phrases(text) == []
        assert CLEARANCE_WORDS.findall(name) == []

    def test_a_vignette_name_reading_as_clearance_is_caught(self) -> None:
        assert CLEARANCE_WORDS.findall("prepared patient still gets the routine points")


class TestTheChangeFromOneDotOne:
    """`diff tests/fixtures/pack-1.1.0 rules` is the committee's cover note of 1.2.0."""

    def test_the_fixture_is_pack_1_1_0(self) -> None:
        assert load_pack(FIXTURE_1_1_0).meta.version == "1.1.0"

    def test_the_diff_names_every_changed_and_added_rule_and_question(
        self, shipped_pack: RulePack
    ) -> None:
        old = load_pack(FIXTURE_1_1_0)
        lines = diff_text(diff_packs(old, shipped_pack), "1.1.0", "1.2.0").splitlines()
        before = {r.id: r for r in old.rules}
        changed = [r.id for r in shipped_pack.rules if r.id in before and before[r.id] != r]
        added = [r.id for r in shipped_pack.rules if r.id not in before]
        assert len(changed) >= 30
        assert set(added) == {
            "medical-hypersensitivity",
            "medical-airway-sedation-risk",
            "medical-repeat-course-review",
            "setting-fasting-before-session",
            "setting-dose-ceiling-and-monitoring",
        }
        for rule_id in changed:
            assert f"  {rule_id} (changed)" in lines
        for rule_id in added:
            assert f"  {rule_id} (added)" in lines
        for item_id in ("hypersensitivity_ketamine", "airway_sedation_risk"):
            assert f"  {item_id} (added)" in lines
        assert not any("(removed)" in line for line in lines)
        assert not any(line.startswith("Warning") for line in lines)

    def test_no_rule_or_question_of_1_1_0_is_gone(self, shipped_pack: RulePack) -> None:
        old = load_pack(FIXTURE_1_1_0)
        assert {r.id for r in old.rules} <= {r.id for r in shipped_pack.rules}
        assert {i.id for i in old.items} <= {i.id for i in shipped_pack.items}

    def test_the_diff_cli_compares_the_fixture_with_the_shipped_pack(self) -> None:
        result = screening("diff", str(FIXTURE_1_1_0), str(DEFAULT_RULES_DIR))
        assert result.returncode == 0, result.stderr
        assert "2 questions added" in result.stdout
        assert "5 rules added, 34 rules changed" in result.stdout


WHAT_THE_SOURCES_SAY: list[tuple[str, str, str, str]] = [
    ("medical-cardiovascular-control", "ketamine-label", "contraindication", "blood pressure"),
    ("medical-hypersensitivity", "ketamine-label", "contraindication", "hypersensitivity"),
    ("medical-hypersensitivity", "esketamine-rems", "contraindication", "Hypersensitivity"),
    ("medical-interacting-medicines", "ketamine-label", "do-not", "Do not co-administer"),
    ("medical-interacting-medicines", "ketamine-label", "caution", "Closely monitor vital"),
    ("medical-cardiovascular-control", "cohen-2018", "should-not", "cardiovascular disease"),
    ("medical-raised-intracranial-intraocular-pressure", "cohen-2018", "should-not", "pressure"),
    ("medical-liver-disease", "cohen-2018", "should-not", "severe impairment"),
    ("psychiatric-psychosis-active", "cohen-2018", "contraindication", "active psychosis"),
    ("substance-active-use", "cohen-2018", "should-not", "Serial ketamine infusions"),
]
"""What issue 19 asks each point to state in its source's own words, and with what strength."""


class TestThePointSaysWhatItsSourceSays:
    @pytest.mark.parametrize(
        ("rule_id", "source", "strength", "words"),
        WHAT_THE_SOURCES_SAY,
        ids=[f"{r}-{s}-{k}" for r, s, k, _ in WHAT_THE_SOURCES_SAY],
    )
    def test_the_point_carries_the_sources_statement_with_its_strength(
        self, shipped_pack: RulePack, rule_id: str, source: str, strength: str, words: str
    ) -> None:
        said = rule(shipped_pack, rule_id).source_says
        assert any(
            (s.source, s.strength) == (source, strength) and words in s.statement for s in said
        ), said

    def test_every_rule_whose_rationale_cites_the_label_contraindication_quotes_it(
        self, shipped_pack: RulePack
    ) -> None:
        citing = [r for r in shipped_pack.rules if "(section 4)" in r.rationale]
        assert len(citing) >= 4
        for point in citing:
            assert any(
                (s.source, s.section, s.strength)
                == ("ketamine-label", "4 Contraindications", "contraindication")
                for s in point.source_says
            ), point.id

    def test_statements_borrowed_by_analogy_are_attributed_as_such(
        self, shipped_pack: RulePack
    ) -> None:
        borrowed = [
            s for r in shipped_pack.rules for s in r.source_says if s.source == "esketamine-rems"
        ]
        esketamine = next(s for s in shipped_pack.sources if s.id == "esketamine-rems")
        assert borrowed
        assert cited_as(esketamine) == "The esketamine label (SPRAVATO), by analogy"

    def test_every_source_is_attributed_by_a_short_name_a_reader_recognises(
        self, shipped_pack: RulePack
    ) -> None:
        assert [s.id for s in shipped_pack.sources if not s.short_name] == []
        assert cited_as(next(s for s in shipped_pack.sources if s.id == "ketamine-label")) == (
            "The ketamine label (KETALAR)"
        )
