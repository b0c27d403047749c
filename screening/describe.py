"""Conditions read aloud: the plain-English sentences reviewers and clinicians see."""

from __future__ import annotations

from collections.abc import Callable

from screening.models import AllOf, Condition, ItemIs, NotOf, RulePack
from screening.words import ANSWER_WORDS


def item_list(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


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
        if isinstance(node, ItemIs):
            return f"{name(node.item)} is " + " or ".join(ANSWER_WORDS[v] for v in node.values)
        if isinstance(node, NotOf):
            inner = node.not_
            if isinstance(inner, ItemIs):
                return f"{name(inner.item)} is not " + " or ".join(
                    ANSWER_WORDS[v] for v in inner.values
                )
            return f"not ({render(inner, False)})"
        joiner, parts = (" and ", node.all) if isinstance(node, AllOf) else (" or ", node.any)
        if len(parts) == 1:
            return render(parts[0], nested)
        text = joiner.join(render(p, True) for p in parts)
        return f"({text})" if nested else text

    return render(condition, False)


__all__ = ["describe_condition", "item_list"]
