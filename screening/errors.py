"""The one exception family of the core, carrying problems located well enough to fix."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from screening.catalogue import N_, SOURCE_LANGUAGE, Said, ngettext, speaking, worded
from screening.limits import MAX_PROBLEMS_SHOWN
from screening.text import printable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, which rule or item, and what is wrong.

    The message is a `screening.catalogue.Said` (English, keeping its template and values), so
    a problem made once is worded in the language of each render that shows it (`str`)."""

    file: str
    message: str
    line: int | None = None
    ref: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        about = f"{self.ref}: " if self.ref else ""
        return printable(f"{where}: {about}{worded(self.message)}")


def problem_lines(problems: Sequence[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> list[str]:
    """The first `limit` problems as lines, then one line saying how many more there are, in
    the language of the render under way."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        more = len(problems) - limit
        said = ngettext("... and {n} more problem(s)", "... and {n} more problem(s)", more)
        lines.append(said.format(n=f"{more:,}"))
    return lines


class ScreeningError(Exception):
    """Base of every error the core raises on bad input; shells render it, never a traceback.

    Its own text is the problems in English; a shell shows `problem_lines(problems)` in the
    language of its render."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        with speaking(SOURCE_LANGUAGE):  # whatever the render under way speaks
            super().__init__("\n".join(problem_lines(problems)))


class PackError(ScreeningError):
    """The rule pack is refused whole; `problems` lists everything found, not just the first."""


class AnswersError(ScreeningError):
    """An answers file or form input cannot be evaluated against the pack."""


class ExportError(ScreeningError):
    """An exported document cannot be read back or verified."""


def larger_than(limit: int) -> Said:
    """The refusal of a file over its size bound."""
    return Said(N_("file is larger than {limit} bytes"), limit=f"{limit:,}")


_JSON_REASONS = {
    "Expecting value": N_("Expecting value"),
    "Expecting ',' delimiter": N_("Expecting ',' delimiter"),
    "Expecting ':' delimiter": N_("Expecting ':' delimiter"),
    "Expecting property name enclosed in double quotes": N_(
        "Expecting property name enclosed in double quotes"
    ),
    "Unterminated string starting at": N_("Unterminated string starting at"),
    "Extra data": N_("Extra data"),
    "Invalid \\uXXXX escape": N_("Invalid \\uXXXX escape"),
    "Invalid \\escape": N_("Invalid \\escape"),
    "Invalid control character at": N_("Invalid control character at"),
}
"""The reasons Python's JSON parser gives, in its English (`json.decoder`), as ours."""
_JSON_REASONS_WITH = (
    (re.compile(r"Invalid control character (.*) at"), N_("Invalid control character {char} at")),
    (re.compile(r"Invalid \\escape: (.*)"), N_("Invalid \\escape: {char}")),
)


def not_json(exc: json.JSONDecodeError) -> Said:
    """The refusal of text that is not JSON: the parser's reason, and where."""
    reason: str = exc.msg
    if reason in _JSON_REASONS:
        reason = Said(_JSON_REASONS[reason])
    for pattern, message in _JSON_REASONS_WITH:
        if found := pattern.fullmatch(exc.msg):
            reason = Said(message, char=found[1])
    return Said(
        N_("not valid JSON: {reason} (column {column})"), reason=reason, column=str(exc.colno)
    )


def one_of(choices: Sequence[str]) -> Said:
    """Choices as a message lists them, each quoted as it is written: '"a", "b" or "c"'."""
    quoted = [json.dumps(c) for c in choices]
    return Said(N_("{some} or {last}"), some=", ".join(quoted[:-1]), last=quoted[-1])
