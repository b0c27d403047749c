"""The checks of answers against a pack: every id known, every answer to a question that is
asked, every mark on a rule of the pack, and the questionnaire the answers were given to."""

from __future__ import annotations

from collections.abc import Mapping

from screening.catalogue import N_, Said
from screening.describe import described
from screening.errors import Problem
from screening.logic import asked_states
from screening.models import AnswersFile, AnswerState, RulePack

UNKNOWN_ITEM = N_("unknown item id (not in this rule pack)")


def answer_problems(
    pack: RulePack,
    answers: AnswersFile,
    source: str,
    states: Mapping[str, AnswerState] | None = None,
) -> list[Problem]:
    """Answers to another questionnaire, or that name no item of the pack, or answer a question
    that is not asked; marks that name no rule of the pack."""
    problems = answers.questionnaire_problems(pack, source)
    if problems:
        return problems
    rule_ids = {rule.id for rule in pack.rules}
    problems = [
        Problem(source, Said(UNKNOWN_ITEM), ref=item_id)
        for item_id in answers.answers
        if not pack.has_item(item_id)
    ]
    problems += [
        Problem(
            source,
            Said(N_("marked discussed, but no rule of this rule pack has this id")),
            ref=f"discussed.{rule_id}",
        )
        for rule_id in answers.discussed
        if rule_id not in rule_ids
    ]
    if problems:
        return problems
    if states is None:
        states = asked_states(pack, answers.answers)
    for item_id in answers.answers:
        condition = pack.item(item_id).asked_if
        if item_id not in states and condition is not None:
            problems.append(
                Problem(
                    source,
                    Said(
                        N_(
                            "answered, but not asked given the other answers: it is asked only "
                            "when {condition}"
                        ),
                        condition=described(condition, pack),
                    ),
                    ref=item_id,
                )
            )
    return problems
