"""A checklist equals what it says: one read back from its JSON (the model's, as the PDF record
embeds it) equals the one evaluated, though the JSON leaves out the pack's rule order
(`rule_order`) and its rules' headlines (`rule_headlines`), and any field it carries still
counts."""

from __future__ import annotations

import pytest

from screening import AnswersFile, Checklist, RulePack, evaluate

ANSWERS = AnswersFile(
    answers={"history": "yes", "active": "unknown", "monitoring": "no"},
    patient_reference="ref 1",
    clinician="Dr A",
    date="2026-01-02",
)


@pytest.fixture
def evaluated(mini_pack: RulePack) -> Checklist:
    return evaluate(mini_pack, ANSWERS)


class TestChecklistEquality:
    """Equality compares what the checklist says, as its JSON does."""

    def test_evaluate_then_json_then_read_back_is_equal(self, evaluated: Checklist) -> None:
        read = Checklist.model_validate_json(evaluated.model_dump_json())
        assert evaluated.rule_order != read.rule_order == ()
        assert evaluated.rule_headlines != read.rule_headlines == ()
        assert read == evaluated
        assert hash(read) == hash(evaluated)

    def test_a_field_the_json_carries_still_makes_them_differ(self, evaluated: Checklist) -> None:
        read = Checklist.model_validate_json(evaluated.model_dump_json())
        assert read.model_copy(update={"clinician": "Dr B"}) != evaluated
        assert read.model_copy(update={"entries": evaluated.entries[:1]}) != evaluated

    def test_it_carries_every_rule_s_headline_in_the_pack_s_order_outside_its_json(
        self, evaluated: Checklist, mini_pack: RulePack
    ) -> None:
        """What a view needs to name a point not on this checklist, without the pack."""
        assert evaluated.rule_headlines == tuple((r.id, r.headline) for r in mini_pack.rules)
        assert "rule_headlines" not in evaluated.model_dump_json()
        assert "rule_headlines" not in evaluated.model_dump()

    def test_a_checklist_is_not_equal_to_its_json_data(self, evaluated: Checklist) -> None:
        assert evaluated != evaluated.model_dump()
