"""Screening core: a rule pack turns yes / no / unknown answers into a discussion checklist.

Pure and typed: no user interface, no clock, no network, no files written.
"""

from screening.answers import parse_answers
from screening.citations import source_block, source_details, source_markdown, source_text
from screening.engine import evaluate
from screening.errors import AnswersError, PackError, Problem, ScreeningError
from screening.models import AnswersFile, Checklist, Entry, RulePack
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.words import ANSWER_WORDS, KIND_WORDS, STATUS_WARNINGS, STATUS_WORDS, by_section

__version__ = "0.3.0"

__all__ = [
    "ANSWER_WORDS",
    "DEFAULT_RULES_DIR",
    "KIND_WORDS",
    "STATUS_WARNINGS",
    "STATUS_WORDS",
    "AnswersError",
    "AnswersFile",
    "Checklist",
    "Entry",
    "PackError",
    "Problem",
    "RulePack",
    "ScreeningError",
    "by_section",
    "evaluate",
    "load_pack",
    "parse_answers",
    "source_block",
    "source_details",
    "source_markdown",
    "source_text",
]
