"""The one exception family of the core, carrying problems located well enough to fix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from screening.limits import MAX_ECHO, MAX_PROBLEMS_SHOWN

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0, DEL, C1) and bidirectional controls: a terminal obeys the first,
and the second can show a name reversed."""


def printable(text: str) -> str:
    """`text` with control and bidirectional characters shown as escapes (`\\x1b`, `\\u202e`).

    Whatever a file or its name holds, a message about it can neither drive the terminal
    (colours, titles, cursor moves, bells) nor show itself in another order.
    """
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )


def echo(value: str) -> str:
    """A value as a message quotes it: at most `MAX_ECHO` characters, an ellipsis for the rest.
    Every message and problems file quotes through this, so no input is ever echoed whole."""
    return value if len(value) <= MAX_ECHO else value[: MAX_ECHO - 1] + "\u2026"


def inert_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs (OWASP, CSV injection): one that
    opens with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms) is
    prefixed with a single quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a cell as a formula (or as the start of one)."""


def printable_lines(text: str) -> str:
    """`text` made `printable` line by line: its line breaks (`\\n`, `\\r\\n`) kept, every
    other control shown as an escape. What every command prints on a terminal goes through it."""
    lines = text.split("\n")
    return "\n".join(
        printable(line[:-1]) + "\r" if line.endswith("\r") else printable(line) for line in lines
    )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, which rule or item, and what is wrong."""

    file: str
    message: str
    line: int | None = None
    ref: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        about = f"{self.ref}: " if self.ref else ""
        return printable(f"{where}: {about}{self.message}")


def problem_lines(problems: Sequence[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> list[str]:
    """The first `limit` problems as lines, then one line saying how many more there are."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit:,} more problem(s)")
    return lines


class ScreeningError(Exception):
    """Base of every error the core raises on bad input; shells render it, never a traceback."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(problem_lines(problems)))


class PackError(ScreeningError):
    """The rule pack is refused whole; `problems` lists everything found, not just the first."""


class AnswersError(ScreeningError):
    """An answers file or form input cannot be evaluated against the pack."""


class ExportError(ScreeningError):
    """An exported document cannot be read back or verified."""
