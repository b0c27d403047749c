"""Screening core: a rule pack turns yes / no / unknown answers into a discussion checklist.

Pure and typed: no user interface, no clock, no network, no files written.
"""

from screening.answers import parse_answers
from screening.engine import evaluate
from screening.errors import AnswersError, PackError, Problem, ScreeningError
from screening.models import AnswersFile, Checklist, Entry, RulePack
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack

__version__ = "0.3.0"

__all__ = [
    "DEFAULT_RULES_DIR",
    "AnswersError",
    "AnswersFile",
    "Checklist",
    "Entry",
    "PackError",
    "Problem",
    "RulePack",
    "ScreeningError",
    "evaluate",
    "load_pack",
    "parse_answers",
]
