"""What every model of the core shares: the answers, kinds and statuses as types, the id
pattern, and frozen models that refuse unknown fields."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints

Answer = Literal["yes", "no", "unknown"]
"""What a clinician can answer to an item."""

AnswerState = Literal["yes", "no", "unknown", "not_assessed"]
"""An item's state during evaluation: an answer, or `not_assessed` when asked but unanswered."""

Kind = Literal["discuss", "verify", "arrange", "document"]
"""What the clinician is asked to do about an entry."""

KINDS: tuple[Kind, ...] = get_args(Kind)
"""The kinds in the order a checklist lists them within a section."""

ANSWERS: tuple[Answer, ...] = get_args(Answer)
"""The answers a question takes, in the order a form offers them."""

Status = Literal["draft", "in_review", "approved", "retired"]

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", min_length=1, max_length=80),
]
"""Stable ids: lower case, digits, `_` and `-`, so they survive JSON, URLs and filenames."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
