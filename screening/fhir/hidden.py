"""Answers to questions not shown given the other answers: dropped, never evaluated, and named
in a note, for a QuestionnaireResponse (a renderer such as LHC-Forms may keep them: lforms#185)
and an answers file of our own alike."""

from __future__ import annotations

from screening.catalogue import _
from screening.fhir.response import ResponseAnswers, questionnaire_problems
from screening.logic import asked_states
from screening.models import AnswersFile, RulePack


def drop_not_enabled(pack: RulePack, answers: AnswersFile) -> tuple[AnswersFile, list[str]]:
    """The answers without those to questions not shown given the other answers (a renderer
    such as LHC-Forms keeps them: lforms#185), and the ids dropped, in form order.

    Dropping is repeated until nothing changes, so a follow-up of a dropped follow-up goes too.
    """
    kept = dict(answers.answers)
    while True:
        asked = asked_states(pack, kept)
        hidden = [k for k in kept if k not in asked and pack.has_item(k)]
        if not hidden:
            break
        for k in hidden:
            del kept[k]
    dropped = [i.id for i in pack.items if i.id in answers.answers and i.id not in kept]
    if not dropped:
        return answers, []
    return answers.model_copy(update={"answers": kept}), dropped


def hidden_answers_dropped(pack: RulePack, answers: AnswersFile) -> tuple[AnswersFile, str | None]:
    """Answers without those to questions not shown given the other answers
    (`drop_not_enabled`), and a note naming them, never evaluated: an answers file of our own
    (a parent changed to No after its follow-up was answered) and a QuestionnaireResponse to
    this pack's questionnaire alike. A response to another questionnaire (refused later) is
    left as it is."""
    if questionnaire_problems(pack, answers, ""):
        return answers, None
    kept, dropped = drop_not_enabled(pack, answers)
    if not dropped:
        return answers, None
    why = (
        _(" (the form that made the response kept them)")
        if isinstance(answers, ResponseAnswers)
        else ""
    )
    return kept, _(
        "{n} answer(s) to questions not shown given the other answers were dropped, not "
        "evaluated{why}: {ids}"
    ).format(n=len(dropped), why=why, ids=", ".join(dropped))
