"""The shipped pack keeps the public item catalogue: every id, and a point per raising answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening import AnswersFile, RulePack, evaluate
from screening.engine import asked_states

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


def test_the_pinned_catalogue_matches_the_shared_one_row_for_row(item_catalogue: Path) -> None:
    text = item_catalogue.read_text(encoding="utf-8")
    rows = [
        [cell.strip() for cell in line.split("|")]
        for line in re.findall(r"^\|(.*)\|$", text, re.M)
        if not line.startswith((" id ", "---"))
    ]
    assert [(row[0], row[1], row[3]) for row in rows] == CATALOGUE


def test_every_catalogue_item_is_in_the_pack_under_its_id_and_section(
    shipped_pack: RulePack,
) -> None:
    sections = {i.id: i.section for i in shipped_pack.items}
    assert {item_id: sections.get(item_id) for item_id, _, _ in CATALOGUE} == {
        item_id: section for item_id, section, _ in CATALOGUE
    }


FOLLOW_UPS = {
    "substance_use_active": "substance_use_history",
    "prior_ketamine_adverse_reaction": "prior_ketamine_exposure",
}
"""Follow-up items and the parent whose "yes" makes them asked."""


def neutral_answers(pack: RulePack) -> dict[str, str]:
    """Every item answered with the opposite of its raising answer: a quiet baseline."""
    raising = {item_id: answer for item_id, _, answer in CATALOGUE}
    return {i.id: ("no" if raising.get(i.id) == "yes" else "yes") for i in pack.items}


def answered(pack: RulePack, answers: dict[str, str]) -> AnswersFile:
    """Keep only the answers to items that are asked given the others."""
    asked = asked_states(pack, answers)  # type: ignore[arg-type]
    return AnswersFile(answers={k: v for k, v in answers.items() if k in asked})  # type: ignore[arg-type]


@pytest.mark.parametrize(("item_id", "raising"), [(i, a) for i, _, a in CATALOGUE])
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


@pytest.mark.parametrize("item_id", [i for i, _, _ in CATALOGUE])
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
