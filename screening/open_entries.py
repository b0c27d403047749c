"""How a point left open by a not-yet-known answer reads, and how open points group.

An open point is a question to settle, not a finding: it reads as what to find out, then
what the answer would raise ("Find out: liver disease? If yes: Verify ..."), and the view
lists open points under the question that would settle them.
"""

from __future__ import annotations

from collections.abc import Iterable

from screening.models import Answer, Entry


def open_headline(open_items: int, raising: tuple[Answer, ...], summary: str) -> str:
    """What an open point would raise once answered: "If yes: <summary>"."""
    if open_items == 1 and len(raising) == 1:
        return f"If {raising[0]}: {summary}"
    return f"Depending on the answer{'s' if open_items > 1 else ''}: {summary}"


def open_entry_text(labels: list[str], raising: tuple[Answer, ...], summary: str) -> str:
    """The whole open point: "Find out: <label>? If yes: <summary>"."""
    return f"Find out: {'; '.join(labels)}? {open_headline(len(labels), raising, summary)}"


def entry_headline(entry: Entry) -> str:
    """The line to show under its question: the headline for an open point, else its text."""
    if not entry.open_items or not entry.summary:
        return entry.text
    return open_headline(len(entry.open_items), entry.raised_if, entry.summary)


def group_open_entries(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Open points by the first question that would settle them, in the order they come."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.open_items:
            groups.setdefault(entry.open_items[0], []).append(entry)
    return groups
