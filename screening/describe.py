"""Conditions read aloud: the sentences reviewers and clinicians see, in the language of the
render (the item names are the pack's)."""

from __future__ import annotations

from collections.abc import Callable

from screening.catalogue import _
from screening.models import AllOf, Condition, ItemIs, NotOf, RulePack
from screening.words import ANSWER_WORDS


def item_list(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " " + _("and") + " " + words[-1]


def describe_condition(
    condition: Condition, pack: RulePack, label: Callable[[str], str] = str
) -> str:
    """Render a condition as a sentence, e.g. 'substance use history is Yes and not (...)'.

    `label` decorates each item's label, e.g. to italicise it in Markdown.
    """

    def name(item_id: str) -> str:
        known = [i.label for i in pack.items if i.id == item_id]
        return label(known[0] if known else item_id)

    def render(node: Condition, nested: bool) -> str:
        either = " " + _("or") + " "
        if isinstance(node, ItemIs):
            answers = either.join(ANSWER_WORDS[v] for v in node.values)
            return _("{item} is {answers}").format(item=name(node.item), answers=answers)
        if isinstance(node, NotOf):
            inner = node.not_
            if isinstance(inner, ItemIs):
                answers = either.join(ANSWER_WORDS[v] for v in inner.values)
                return _("{item} is not {answers}").format(item=name(inner.item), answers=answers)
            return _("not ({condition})").format(condition=render(inner, False))
        both = " " + _("and") + " "
        joiner, parts = (both, node.all) if isinstance(node, AllOf) else (either, node.any)
        if len(parts) == 1:
            return render(parts[0], nested)
        text = joiner.join(render(p, True) for p in parts)
        return f"({text})" if nested else text

    return render(condition, False)


__all__ = ["describe_condition", "item_list"]
