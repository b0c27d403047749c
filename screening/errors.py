"""The one exception family of the core, carrying problems located well enough to fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from screening.limits import MAX_PROBLEMS_SHOWN
from screening.text import printable


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
