"""The QuestionnaireResponse is rendered from the checklist alone (issue 26 item 3), byte for
byte what it was when it was built from the pack and the answers file: the golden response
below was made the old way, and until the old way was removed every vignette of the shipped
pack gave the same bytes both ways. Its discussed points follow the pack's rule order, which
the checklist carries (`Checklist.rule_order`), not the checklist's own order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening import Answer, AnswersFile, Checklist, DiscussedMark, RulePack, evaluate
from screening.fhir.hidden import hidden_answers_dropped
from screening.fhir.response import answers_from_response, questionnaire_response, response_json
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.scenarios import SCENARIOS_FOLDER, PlacedScenario, load_scenarios

PACK = load_pack(DEFAULT_RULES_DIR)
VIGNETTES = load_scenarios(DEFAULT_RULES_DIR / SCENARIOS_FOLDER, PACK)
FIXTURES = Path(__file__).parent / "fixtures"
FROZEN_PACK = load_pack(FIXTURES / "pack-1.1.0")
GOLDEN = FIXTURES / "fhir" / "response-pack-1.1.0.json"
DETAILS = {"patient_reference": "Bed 4", "clinician": "Dr T", "date": "2026-03-14"}


def with_marks(pack: RulePack, given: AnswersFile, space: str = " ") -> Checklist:
    """The checklist of these answers with a mark on every point they raise or leave open:
    done, a note, or both (never neither, which is no mark); `space` in each note."""
    entries = evaluate(pack, given).entries
    notes = {e.rule_id: f"note{space}{n}" if n % 3 else None for n, e in enumerate(entries)}
    marks = {
        e.rule_id: DiscussedMark(done=n % 2 == 0 or notes[e.rule_id] is None, note=notes[e.rule_id])
        for n, e in enumerate(entries)
    }
    return evaluate(pack, given.model_copy(update={"discussed": marks}))


def vignette_checklist(placed: PlacedScenario) -> Checklist:
    return with_marks(PACK, AnswersFile(answers=placed.scenario.answers, **DETAILS))


def golden_checklist() -> Checklist:
    """Pack 1.1.0 (frozen) with Yes, Unknown, No and no answer in turn down its items (those
    then hidden dropped), details given, and every point raised or left open marked; a
    no-break space and a line separator, which a FHIR string may not hold, in the texts."""
    cycle: list[Answer | None] = ["yes", "unknown", "no", None]
    given = {item.id: cycle[n % 4] for n, item in enumerate(FROZEN_PACK.items)}
    answers, _ = hidden_answers_dropped(
        FROZEN_PACK,
        AnswersFile(
            answers={k: v for k, v in given.items() if v is not None},
            **DETAILS | {"patient_reference": "Bed\u00a04"},
        ),
    )
    return with_marks(FROZEN_PACK, answers, space="\u2028")


def test_the_response_is_the_golden_one_made_from_the_pack_and_the_answers() -> None:
    """Regenerate only for a deliberate change (tests/fixtures/fhir/README.md)."""
    made = response_json(golden_checklist(), base="https://fhir.example.org/fhir/")
    assert made == GOLDEN.read_text(encoding="utf-8")


def test_the_golden_response_lists_marks_out_of_the_checklists_order() -> None:
    checklist = golden_checklist()
    marked = [e.rule_id for e in checklist.entries if e.done or e.note]
    in_file = [
        ext["extension"][0]["valueCode"]
        for ext in json.loads(GOLDEN.read_text(encoding="utf-8"))["extension"]
    ]
    assert sorted(in_file) == sorted(marked)
    assert in_file != marked
    assert in_file == [r.id for r in FROZEN_PACK.rules if r.id in set(marked)]


@pytest.mark.parametrize("placed", VIGNETTES, ids=[p.scenario.id for p in VIGNETTES])
def test_every_vignettes_response_reads_back_as_its_checklist(placed: PlacedScenario) -> None:
    checklist = vignette_checklist(placed)
    response = json.loads(response_json(checklist))
    assert evaluate(PACK, answers_from_response(response, "r.json")) == checklist


def test_marks_follow_the_pack_in_every_vignette() -> None:
    for placed in VIGNETTES:
        checklist = vignette_checklist(placed)
        marked = {e.rule_id for e in checklist.entries}
        extensions = questionnaire_response(checklist).get("extension", [])
        listed = [ext["extension"][0]["valueCode"] for ext in extensions]
        assert listed == [r.id for r in PACK.rules if r.id in marked], placed.scenario.id


def test_a_checklist_read_back_from_json_lists_its_marks_in_its_own_order() -> None:
    """Its JSON does not carry the pack's rule order, so the response follows the entries."""
    checklist = golden_checklist()
    read = Checklist.model_validate_json(checklist.model_dump_json())
    assert read.rule_order == ()
    listed = [ext["extension"][0]["valueCode"] for ext in questionnaire_response(read)["extension"]]
    assert listed == [e.rule_id for e in checklist.entries]
