"""Three-valued logic: truth tables for every connective, and the answers that decided it."""

from __future__ import annotations

import pytest

from screening.logic import (
    Tri,
    compile_value,
    condition_items,
    evaluate_condition,
    visible_states,
)
from screening.models import AllOf, AnswerState, AnyOf, ItemIs, NotOf

T, F, O = Tri.TRUE, Tri.FALSE, Tri.OPEN  # noqa: E741 - the truth tables read best in letters

# An item answered "yes" reads TRUE, "no" FALSE, "unknown" OPEN for a leaf `is: yes`.
ANSWER_FOR: dict[Tri, AnswerState] = {T: "yes", F: "no", O: "unknown"}


def leaf(name: str) -> ItemIs:
    return ItemIs(item=name, is_="yes")


def states(a: Tri, b: Tri) -> dict[str, AnswerState]:
    return {"a": ANSWER_FOR[a], "b": ANSWER_FOR[b]}


class TestLeaf:
    """A leaf is open when its item is unknown or not assessed, and false when not asked."""

    @pytest.mark.parametrize(
        ("state", "expected"),
        [("yes", T), ("no", F), ("unknown", O), ("not_assessed", O)],
    )
    def test_leaf_value_follows_the_answer(self, state: AnswerState, expected: Tri) -> None:
        assert evaluate_condition(leaf("a"), {"a": state}).value is expected

    def test_a_leaf_on_an_item_that_is_not_asked_is_false_and_names_nothing(self) -> None:
        outcome = evaluate_condition(leaf("a"), {})
        assert outcome == type(outcome)(F, ())

    def test_a_leaf_with_several_values_holds_for_any_of_them(self) -> None:
        condition = ItemIs(item="a", is_=["no", "yes"])
        assert evaluate_condition(condition, {"a": "no"}).value is T
        assert evaluate_condition(condition, {"a": "unknown"}).value is O


KLEENE_AND = {
    (T, T): T, (T, F): F, (T, O): O,
    (F, T): F, (F, F): F, (F, O): F,
    (O, T): O, (O, F): F, (O, O): O,
}  # fmt: skip
KLEENE_OR = {
    (T, T): T, (T, F): T, (T, O): T,
    (F, T): T, (F, F): F, (F, O): O,
    (O, T): T, (O, F): O, (O, O): O,
}  # fmt: skip


class TestTruthTables:
    """`all`, `any` and `not` follow Kleene's strong three-valued logic."""

    @pytest.mark.parametrize(("inputs", "expected"), KLEENE_AND.items())
    def test_all(self, inputs: tuple[Tri, Tri], expected: Tri) -> None:
        condition = AllOf(all=[leaf("a"), leaf("b")])
        assert evaluate_condition(condition, states(*inputs)).value is expected

    @pytest.mark.parametrize(("inputs", "expected"), KLEENE_OR.items())
    def test_any(self, inputs: tuple[Tri, Tri], expected: Tri) -> None:
        condition = AnyOf(any=[leaf("a"), leaf("b")])
        assert evaluate_condition(condition, states(*inputs)).value is expected

    @pytest.mark.parametrize(("value", "expected"), [(T, F), (F, T), (O, O)])
    def test_not(self, value: Tri, expected: Tri) -> None:
        condition = NotOf(not_=leaf("a"))
        assert evaluate_condition(condition, {"a": ANSWER_FOR[value]}).value is expected


class TestValueAlone:
    """`compile_value` gives `compile_condition`'s value, short-cuts included."""

    @pytest.mark.parametrize(("inputs", "expected"), KLEENE_AND.items())
    def test_all(self, inputs: tuple[Tri, Tri], expected: Tri) -> None:
        condition = AllOf(all=[leaf("a"), leaf("b")])
        assert compile_value(condition)(states(*inputs)) is expected

    @pytest.mark.parametrize(("inputs", "expected"), KLEENE_OR.items())
    def test_any(self, inputs: tuple[Tri, Tri], expected: Tri) -> None:
        condition = AnyOf(any=[leaf("a"), leaf("b")])
        assert compile_value(condition)(states(*inputs)) is expected

    @pytest.mark.parametrize(("value", "expected"), [(T, F), (F, T), (O, O)])
    def test_not(self, value: Tri, expected: Tri) -> None:
        condition = NotOf(not_=leaf("a"))
        assert compile_value(condition)({"a": ANSWER_FOR[value]}) is expected

    @pytest.mark.parametrize("state", ["yes", "no", "unknown", "not_assessed", None])
    def test_a_leaf_listing_unknown_and_a_leaf_on_an_item_not_asked(
        self, state: AnswerState | None
    ) -> None:
        condition = ItemIs(item="a", is_=["no", "unknown"])
        given = {} if state is None else {"a": state}
        assert compile_value(condition)(given) is evaluate_condition(condition, given).value


class TestWitnesses:
    """The outcome names the items that decided it, so every entry can explain itself."""

    def test_a_held_all_names_every_part(self) -> None:
        outcome = evaluate_condition(AllOf(all=[leaf("a"), leaf("b")]), states(T, T))
        assert outcome.witnesses == ("a", "b")

    def test_an_open_all_names_the_open_part_and_the_parts_that_held(self) -> None:
        outcome = evaluate_condition(AllOf(all=[leaf("a"), leaf("b")]), states(T, O))
        assert outcome.witnesses == ("a", "b")

    def test_a_held_any_names_only_the_parts_that_held(self) -> None:
        outcome = evaluate_condition(AnyOf(any=[leaf("a"), leaf("b")]), states(F, T))
        assert outcome.witnesses == ("b",)

    def test_an_open_any_names_only_the_open_parts(self) -> None:
        outcome = evaluate_condition(AnyOf(any=[leaf("a"), leaf("b")]), states(F, O))
        assert outcome.witnesses == ("b",)

    def test_not_keeps_the_witnesses_of_its_part(self) -> None:
        outcome = evaluate_condition(NotOf(not_=leaf("a")), {"a": "no"})
        assert (outcome.value, outcome.witnesses) == (T, ("a",))


def test_condition_items_lists_each_item_once_in_order_of_mention() -> None:
    condition = AllOf(all=[leaf("b"), AnyOf(any=[leaf("a"), NotOf(not_=leaf("b"))])])
    assert condition_items(condition) == ("b", "a")


class TestExplicitUnknown:
    """A leaf that lists `unknown` holds for an Unknown answer; unanswered still stays open."""

    def test_unknown_listed_holds_for_an_unknown_answer(self) -> None:
        condition = ItemIs(item="a", is_=["no", "unknown"])
        assert evaluate_condition(condition, {"a": "unknown"}).value is T

    def test_unknown_listed_still_leaves_an_unanswered_item_open(self) -> None:
        condition = ItemIs(item="a", is_=["no", "unknown"])
        assert evaluate_condition(condition, {"a": "not_assessed"}).value is O

    def test_unknown_listed_is_false_for_an_answer_not_listed(self) -> None:
        condition = ItemIs(item="a", is_=["no", "unknown"])
        assert evaluate_condition(condition, {"a": "yes"}).value is F


CHAIN_ASKED_IF = {
    "b": compile_value(ItemIs(item="a", is_="yes")),
    "c": compile_value(ItemIs(item="b", is_="yes")),
}


class TestHidingCascades:
    """A follow-up is hidden when its parent is hidden, whatever the parent's own answer says.

    The chain is a -> b (asked if a is yes) -> c (asked if b is yes).
    """

    def test_a_hidden_parent_answered_yes_still_hides_its_follow_up(self) -> None:
        given: dict[str, AnswerState] = {"a": "no", "b": "yes", "c": "yes"}
        assert visible_states(given, CHAIN_ASKED_IF) == {"a": "no"}

    def test_a_hidden_unanswered_parent_hides_its_follow_up_instead_of_leaving_it_open(
        self,
    ) -> None:
        given: dict[str, AnswerState] = {"a": "no", "b": "not_assessed", "c": "not_assessed"}
        assert visible_states(given, CHAIN_ASKED_IF) == {"a": "no"}

    def test_an_unknown_grandparent_leaves_the_whole_chain_asked(self) -> None:
        given: dict[str, AnswerState] = {"a": "unknown", "b": "not_assessed", "c": "yes"}
        assert visible_states(given, CHAIN_ASKED_IF) == given

    def test_a_follow_up_whose_parent_is_shown_and_no_is_hidden(self) -> None:
        given: dict[str, AnswerState] = {"a": "yes", "b": "no", "c": "yes"}
        assert visible_states(given, CHAIN_ASKED_IF) == {"a": "yes", "b": "no"}

    def test_the_order_of_the_answers_does_not_change_what_is_asked(self) -> None:
        given: dict[str, AnswerState] = {"c": "yes", "b": "yes", "a": "no"}
        assert visible_states(given, CHAIN_ASKED_IF) == {"a": "no"}


def test_with_no_follow_ups_every_item_is_asked_as_given() -> None:
    given: dict[str, AnswerState] = {"a": "no", "b": "not_assessed"}
    assert visible_states(given, {}) == given
