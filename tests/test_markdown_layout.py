"""The Markdown export reads as the screen does (issue 21, item 5): the points raised first and
in full, then each question not yet answered once, with what its answer would raise, then the
questions that would raise nothing either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import AnswersFile, RulePack, evaluate, load_pack
from screening.export import checklist_markdown
from screening.models import DiscussedMark
from screening.open_entries import group_open_entries
from tests.conftest import MINI_PACK, SIX_ANSWERS, write_pack


def under(text: str, item_id: str) -> str:
    """What a Markdown export lists under the question to find out with this id."""
    return text.split(f"(`{item_id}`)", maxsplit=1)[1].split("**Find out:", maxsplit=1)[0]


@pytest.fixture
def six(shipped_pack: RulePack) -> str:
    return checklist_markdown(evaluate(shipped_pack, AnswersFile(answers=SIX_ANSWERS)))


def test_the_points_raised_come_first_and_in_full_before_the_questions_to_find_out(
    shipped_pack: RulePack, six: str
) -> None:
    checklist = evaluate(shipped_pack, AnswersFile(answers=SIX_ANSWERS))
    raised, to_find_out = six.split("\n## To find out\n")
    for entry in checklist.entries:
        where = raised if not entry.open_items else to_find_out
        assert f"Rule `{entry.rule_id}` ({entry.kind})" in where, entry.rule_id
    assert "Find out:" not in raised.split("## What the sources say")[-1]
    assert raised.count("Why it matters:") == sum(not e.open_items for e in checklist.entries)


def test_each_question_to_find_out_is_listed_once_though_its_points_are_in_several_sections(
    shipped_pack: RulePack, six: str
) -> None:
    checklist = evaluate(shipped_pack, AnswersFile(answers=SIX_ANSWERS))
    groups = group_open_entries(checklist.entries)
    spread = [i for i, entries in groups.items() if len({e.section for e in entries}) > 1]
    assert spread, "no question opens points in two sections: the case is not shown"
    for item_id in groups:
        heading = f"**Find out: {checklist.question(item_id)}** (`{item_id}`)"
        assert six.count(heading) == 1, item_id


def test_an_unknown_answer_behind_an_open_point_is_said_never_read_as_no(six: str) -> None:
    question = under(six, "cardiovascular_poorly_controlled")
    assert "= Unknown" in question
    assert "= No" not in question


def test_a_tick_and_a_note_on_a_point_to_find_out_reach_the_file(shipped_pack: RulePack) -> None:
    marked = AnswersFile(
        answers=SIX_ANSWERS,
        discussed={"medical-liver-disease": DiscussedMark(done=True, note="LFTs due Monday")},
    )
    text = checklist_markdown(evaluate(shipped_pack, marked))
    question = under(text, "liver_disease")
    assert "- [x] If yes: Verify the severity of the liver disease" in question
    assert "  - Note: LFTs due Monday" in question


def test_only_questions_that_would_raise_nothing_are_listed_as_not_assessed(
    tmp_path: Path,
) -> None:
    folder = write_pack(tmp_path, {"items.yaml": MINI_PACK["items.yaml"] + UNUSED_ITEM})
    text = checklist_markdown(evaluate(load_pack(folder), AnswersFile()))
    _rest_heading, rest = text.split("\n## Not assessed\n")
    rest = rest.split("\n## ")[0]
    assert "Is the weather fine? (`weather`)" in rest
    assert "(`monitoring`)" not in rest
    assert "**Find out: Can trained staff monitor the patient?** (`monitoring`)" in text


UNUSED_ITEM = """\
  - id: weather
    section: "Setting"
    label: "weather"
    question: "Is the weather fine?"
    help: "No rule reads it."
    sources: [src-b]
"""
