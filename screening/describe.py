"""Conditions read aloud: the sentences reviewers and clinicians see, in the language of the
render (the item names are the pack's)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from screening.algebra import Path, Walk, fold
from screening.catalogue import SOURCE_LANGUAGE, Said, _, speaking
from screening.models import AllOf, AnyOf, Condition, ItemIs, NotOf, RulePack
from screening.words import ANSWER_WORDS


def item_list(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " " + _("and") + " " + words[-1]


class _Sentence(Walk[tuple[str, bool]]):
    """A condition as words, bottom up: each part's text and whether it is a bare `and` /
    `or` list, which its parent puts in brackets."""

    def __init__(self, labels: Mapping[str, str], label: Callable[[str], str]) -> None:
        self.labels = labels
        self.label = label

    def _name(self, item_id: str) -> str:
        return self.label(self.labels.get(item_id, item_id))

    def _answers(self, node: ItemIs) -> str:
        return (" " + _("or") + " ").join(ANSWER_WORDS[v] for v in node.values)

    def leaf(self, node: ItemIs, path: Path) -> tuple[str, bool]:
        text = _("{item} is {answers}")
        return text.format(item=self._name(node.item), answers=self._answers(node)), False

    def not_(self, node: NotOf, part: tuple[str, bool]) -> tuple[str, bool]:
        inner = node.not_
        if isinstance(inner, ItemIs):
            text = _("{item} is not {answers}")
            return text.format(item=self._name(inner.item), answers=self._answers(inner)), False
        return _("not ({condition})").format(condition=part[0]), False

    def all(self, node: AllOf, parts: list[tuple[str, bool]]) -> tuple[str, bool]:
        return _joined(" " + _("and") + " ", parts)

    def any(self, node: AnyOf, parts: list[tuple[str, bool]]) -> tuple[str, bool]:
        return _joined(" " + _("or") + " ", parts)


def _joined(joiner: str, parts: list[tuple[str, bool]]) -> tuple[str, bool]:
    if len(parts) == 1:
        return parts[0]
    return joiner.join(f"({text})" if bare else text for text, bare in parts), True


def describe_condition(
    condition: Condition, pack: RulePack, label: Callable[[str], str] = str
) -> str:
    """Render a condition as a sentence, e.g. 'substance use history is Yes and not (...)'.

    `label` decorates each item's label, e.g. to italicise it in Markdown.
    """
    return fold(condition, _Sentence(item_labels(pack), label))[0]


def item_labels(pack: RulePack) -> dict[str, str]:
    """Each item's label by its id (the first, should an id repeat)."""
    labels: dict[str, str] = {}
    for item in pack.items:
        labels.setdefault(item.id, item.label)
    return labels


class Described(Said):
    """A condition read aloud, in English, that reads itself aloud again in the language of
    each render (`worded`), as a `Said` does: for a problem made once and shown in many."""

    condition: Condition
    labels: dict[str, str]

    def __new__(cls, condition: Condition, labels: Mapping[str, str]) -> Described:
        with speaking(SOURCE_LANGUAGE):
            english = fold(condition, _Sentence(labels, str))[0]
        said = str.__new__(cls, english)
        said.message, said.values = english, {}
        said.condition, said.labels = condition, dict(labels)
        return said

    def __reduce__(self) -> tuple[type[Described], tuple[Condition, dict[str, str]]]:
        return (Described, (self.condition, self.labels))

    def worded(self) -> str:
        return fold(self.condition, _Sentence(self.labels, str))[0]


def described(condition: Condition, pack: RulePack) -> Described:
    """`describe_condition` for a problem: worded in the language of each render."""
    return Described(condition, item_labels(pack))


__all__ = ["Described", "describe_condition", "described", "item_list"]
