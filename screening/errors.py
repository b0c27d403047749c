"""The one exception family of the core, carrying problems located well enough to fix."""

from __future__ import annotations

from dataclasses import dataclass


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
        return f"{where}: {about}{self.message}"


class ScreeningError(Exception):
    """Base of every error the core raises on bad input; shells render it, never a traceback."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PackError(ScreeningError):
    """The rule pack is refused whole; `problems` lists everything found, not just the first."""


class AnswersError(ScreeningError):
    """An answers file or form input cannot be evaluated against the pack."""


class ExportError(ScreeningError):
    """An exported document cannot be read back or verified."""
