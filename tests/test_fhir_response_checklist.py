"""The QuestionnaireResponse is rendered from the checklist alone, byte for byte what it was
when it was built from the pack and the answers file: for every vignette of the shipped pack,
with the details given and a mark (done, a note, or both) on every point it raises, its
discussed points in the pack's rule order, not the checklist's."""

from __future__ import annotations

import json

import pytest

from screening import AnswersFile, DiscussedMark, RulePack, evaluate
from screening.fhir.response import checklist_response, questionnaire_response
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.scenarios import SCENARIOS_FOLDER, PlacedScenario, load_scenarios

PACK = load_pack(DEFAULT_RULES_DIR)
VIGNETTES = load_scenarios(DEFAULT_RULES_DIR / SCENARIOS_FOLDER, PACK)


def marked_answers(pack: RulePack, placed: PlacedScenario) -> AnswersFile:
    """The vignette's answers with details and a mark on every point they raise."""
    given = AnswersFile(
        answers=placed.scenario.answers,
        patient_reference="Bed\u00a04",
        clinician="Dr T",
        date="2026-03-14",
    )
    entries = evaluate(pack, given).entries
    notes = {e.rule_id: f"note\u2028{n}" if n % 3 else None for n, e in enumerate(entries)}
    marks = {  # done, a note, or both; never neither, which is no mark
        e.rule_id: DiscussedMark(done=n % 2 == 0 or notes[e.rule_id] is None, note=notes[e.rule_id])
        for n, e in enumerate(entries)
    }
    return given.model_copy(update={"discussed": marks})


def as_bytes(resource: dict[str, object]) -> bytes:
    return json.dumps(resource, indent=2, ensure_ascii=False).encode()


@pytest.mark.parametrize("placed", VIGNETTES, ids=[p.scenario.id for p in VIGNETTES])
def test_the_response_from_the_checklist_is_the_response_from_the_answers(
    placed: PlacedScenario,
) -> None:
    answers = marked_answers(PACK, placed)
    old = questionnaire_response(PACK, answers, base="https://fhir.example.org/fhir/")
    new = checklist_response(evaluate(PACK, answers), base="https://fhir.example.org/fhir/")
    assert as_bytes(new) == as_bytes(old)


def test_the_vignettes_mark_points_out_of_the_checklists_order() -> None:
    """The test above compares an order that differs from the entries' somewhere."""
    differs = []
    for placed in VIGNETTES:
        checklist = evaluate(PACK, marked_answers(PACK, placed))
        marked = [e.rule_id for e in checklist.entries if e.done or e.note]
        differs.append(
            marked
            != [e.rule_id for e in checklist.in_rule_order(checklist.entries) if e.done or e.note]
        )
    assert any(differs)
