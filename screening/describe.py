"""Conditions read aloud: the sentences reviewers and clinicians see, in the language of the
render (the item names are the pack's)."""

from __future__ import annotations

from collections.abc import Callable

from screening.algebra import Path, Walk, fold
from screening.catalogue import _
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

    def __init__(self, pack: RulePack, label: Callable[[str], str]) -> None:
        self.labels: dict[str, str] = {}
        for item in pack.items:
            self.labels.setdefault(item.id, item.label)
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
    return fold(condition, _Sentence(pack, label))[0]


__all__ = ["describe_condition", "item_list"]
