"""Conditions read aloud: the sentence a committee approves must say what the rule tests."""

from __future__ import annotations

import pytest

from screening.describe import describe_condition, item_list
from screening.models import AllOf, AnyOf, Condition, ItemIs, NotOf, RulePack

HISTORY = ItemIs(item="history", is_="yes")
ACTIVE = ItemIs(item="active", is_="yes")
MONITORING = ItemIs(item="monitoring", is_="no")


class TestNegation:
    """`not` is always said aloud: dropping it would tell reviewers the opposite of the rule."""

    def test_not_over_one_item_reads_is_not(self, mini_pack: RulePack) -> None:
        text = describe_condition(NotOf(not_=HISTORY), mini_pack)
        assert text == "substance use history is not Yes"

    def test_not_over_one_item_with_several_answers_negates_them_all(
        self, mini_pack: RulePack
    ) -> None:
        condition = NotOf(not_=ItemIs(item="history", is_=["yes", "unknown"]))
        assert describe_condition(condition, mini_pack) == (
            "substance use history is not Yes or Unknown"
        )

    def test_not_over_a_group_reads_not_with_the_group_in_brackets(
        self, mini_pack: RulePack
    ) -> None:
        condition = NotOf(not_=AllOf(all=[HISTORY, ACTIVE]))
        assert describe_condition(condition, mini_pack) == (
            "not (substance use history is Yes and active use is Yes)"
        )

    def test_not_inside_a_group_keeps_its_negation(self, mini_pack: RulePack) -> None:
        condition = AnyOf(any=[MONITORING, NotOf(not_=AnyOf(any=[HISTORY, ACTIVE]))])
        assert describe_condition(condition, mini_pack) == (
            "monitoring is No or not (substance use history is Yes or active use is Yes)"
        )

    def test_a_double_negation_is_said_twice(self, mini_pack: RulePack) -> None:
        condition = NotOf(not_=NotOf(not_=HISTORY))
        assert describe_condition(condition, mini_pack) == (
            "not (substance use history is not Yes)"
        )


class TestGroups:
    """`all` reads as "and", `any` as "or"; a group inside another is bracketed."""

    @pytest.mark.parametrize(
        ("condition", "text"),
        [
            (HISTORY, "substance use history is Yes"),
            (ItemIs(item="monitoring", is_=["no", "unknown"]), "monitoring is No or Unknown"),
            (AllOf(all=[HISTORY, ACTIVE]), "substance use history is Yes and active use is Yes"),
            (AnyOf(any=[HISTORY, MONITORING]), "substance use history is Yes or monitoring is No"),
            (AllOf(all=[HISTORY]), "substance use history is Yes"),
            (
                AllOf(all=[MONITORING, AnyOf(any=[HISTORY, ACTIVE])]),
                "monitoring is No and (substance use history is Yes or active use is Yes)",
            ),
            (
                AnyOf(any=[AllOf(all=[HISTORY, ACTIVE]), MONITORING]),
                "(substance use history is Yes and active use is Yes) or monitoring is No",
            ),
        ],
    )
    def test_a_condition_reads_as_its_sentence(
        self, mini_pack: RulePack, condition: Condition, text: str
    ) -> None:
        assert describe_condition(condition, mini_pack) == text

    def test_a_group_of_one_inside_a_group_is_not_bracketed(self, mini_pack: RulePack) -> None:
        condition = AllOf(all=[MONITORING, AnyOf(any=[HISTORY])])
        assert describe_condition(condition, mini_pack) == (
            "monitoring is No and substance use history is Yes"
        )


class TestLabels:
    """Items are named by their label; `label` decorates each one, e.g. for Markdown."""

    def test_each_label_is_decorated(self, mini_pack: RulePack) -> None:
        condition = AllOf(all=[HISTORY, NotOf(not_=MONITORING)])
        assert describe_condition(condition, mini_pack, label=lambda s: f"*{s}*") == (
            "*substance use history* is Yes and *monitoring* is not No"
        )

    def test_an_item_the_pack_lacks_is_named_by_its_id(self, mini_pack: RulePack) -> None:
        condition = ItemIs(item="elsewhere", is_="no")
        assert describe_condition(condition, mini_pack) == "elsewhere is No"


@pytest.mark.parametrize(
    ("words", "text"),
    [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")],
)
def test_item_list_joins_with_commas_and_a_final_and(words: list[str], text: str) -> None:
    assert item_list(words) == text
