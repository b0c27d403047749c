"""The pack's YAML files read with their line numbers, and validated against their models.

A YAML error or a field that fails validation becomes a `Problem` naming the file and line;
YAML features that hide structure (anchors, aliases, merge keys) are refused.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from screening.errors import Problem, echo
from screening.limits import MAX_CONDITION_DEPTH, MAX_PACK_FILE_BYTES
from screening.models import (
    Item,
    PackMeta,
    PackSchema,
    RuleWithoutSummary,
    Source,
    SummarisedRule,
    condition_tag,
)


class PackFile(BaseModel):
    """pack.yaml: the pack's name, version, review status, date and reviewers."""

    model_config = ConfigDict(extra="forbid")
    pack: PackMeta


class SourcesFile(BaseModel):
    """sources.yaml: the references that items and rules cite, by id."""

    model_config = ConfigDict(extra="forbid")
    sources: list[Source]


class ItemsFile(BaseModel):
    """items.yaml: the yes / no / unknown questions of the form, in form order."""

    model_config = ConfigDict(extra="forbid")
    items: list[Item]


class RulesFile(BaseModel):
    """rules-*.yaml: rules, each putting one entry on the checklist when its condition holds."""

    model_config = ConfigDict(extra="forbid")
    rules: list[SummarisedRule]


class RulesFile10(BaseModel):
    """rules-*.yaml of a pack of schema 1.0: rules without a summary."""

    model_config = ConfigDict(extra="forbid")
    rules: list[RuleWithoutSummary]


RULES_FILES: dict[PackSchema, type[RulesFile] | type[RulesFile10]] = {
    "1.0": RulesFile10,
    "1.1": RulesFile,
}
"""The model a rules file is validated with, by the schema the pack is read by."""


FileModel = TypeVar("FileModel", bound=BaseModel)


def validate_yaml(
    data: bytes, shown: str, model: type[FileModel], problems: list[Problem]
) -> tuple[CommentedMap, FileModel] | None:
    """Parse a file and validate it against a one-key file model, appending problems."""
    (key,) = model.model_fields
    doc = parse_yaml(data, shown, problems)
    if doc is None:
        if problems and problems[-1].message == "file is empty":
            problems[-1] = Problem(shown, f"file is empty: expected the top-level key '{key}:'", 1)
        return None
    if not isinstance(doc, CommentedMap) or key not in doc:
        problems.append(Problem(shown, f"expected a mapping with the top-level key '{key}:'", 1))
        return None
    try:
        return doc, model.model_validate(doc)
    except ValidationError as exc:
        problems += [locate_error(shown, doc, error) for error in exc.errors()]
        return None


def parse_yaml(data: bytes, shown: str, problems: list[Problem]) -> Any:
    """Parse YAML 1.2 keeping line numbers; refuse big files, non-UTF-8 text and anchors."""
    if len(data) > MAX_PACK_FILE_BYTES:
        problems.append(Problem(shown, f"file is larger than {MAX_PACK_FILE_BYTES:,} bytes"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, "not UTF-8 text", data[: exc.start].count(b"\n") + 1))
        return None
    try:
        doc = YAML(typ="rt").load(text)
        shared = _shared_structure(doc)
        if shared is not None:
            problems.append(Problem(shown, shared[0], shared[1]))
            return None
        if doc is None:
            problems.append(Problem(shown, "file is empty", 1))
        return doc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(Problem(shown, f"YAML syntax: {what or exc}", line))
    except RecursionError:
        problems.append(
            Problem(
                shown,
                f"nested too deeply to read (conditions nest at most {MAX_CONDITION_DEPTH} levels)",
            )
        )
    except (YAMLError, ValueError, TypeError) as exc:
        problems.append(Problem(shown, f"YAML syntax: {exc}"))
    return None


_ANCHORS = "anchors and aliases (& and *) are not allowed"
_MERGES = "merge keys (<<) are not allowed: write each field out"


def _shared_structure(doc: Any) -> tuple[str, int] | None:
    """The first anchor, alias or merge key, with its line: each hides what a reviewer reads.

    Aliases share one object, so the walk visits each node once and an alias bomb
    costs nothing here; it is refused before anything expands it.
    """
    seen: set[int] = set()
    queue: deque[tuple[Any, int]] = deque([(doc, 1)])
    while queue:
        node, line = queue.popleft()
        if isinstance(node, (CommentedMap, CommentedSeq)):
            if id(node) in seen:
                return _ANCHORS, line
            seen.add(id(node))
        anchor = getattr(node, "anchor", None)
        if anchor is not None and getattr(anchor, "value", None) is not None:
            return _ANCHORS, line
        if isinstance(node, CommentedMap):
            if getattr(node, merge_attrib, None):
                return _MERGES, node.lc.line + 1
            queue.extend((v, node.lc.key(k)[0] + 1) for k, v in node.items())
        elif isinstance(node, CommentedSeq):
            queue.extend((v, node.lc.item(i)[0] + 1) for i, v in enumerate(node))
    return None


def locate_error(shown: str, doc: CommentedMap, error: ErrorDetails) -> Problem:
    """Turn a pydantic error into a problem at the line its `loc` points to."""
    line: int | None = 1
    node: Any = doc
    ref: str | None = None
    path: list[str] = []
    tag_seen_at: Any = None
    for seg in error["loc"]:
        if (
            node is not tag_seen_at
            and isinstance(node, CommentedMap)
            and seg == condition_tag(node)
        ):
            tag_seen_at = node  # pydantic names the union member; it is not a key in the file
            continue
        if isinstance(node, CommentedMap) and isinstance(seg, str) and seg in node:
            line = node.lc.key(seg)[0] + 1
            node = node[seg]
            path.append(seg)
        elif isinstance(node, CommentedSeq) and isinstance(seg, int) and 0 <= seg < len(node):
            line = node.lc.item(seg)[0] + 1
            node = node[seg]
            if isinstance(node, CommentedMap) and isinstance(node.get("id"), str) and ref is None:
                ref = node["id"]
            path.append(f"[{seg}]")
        elif isinstance(seg, str):
            path.append(seg)
    field = ".".join(p for p in path if not p.startswith("[")) or "(file)"
    kind = error["type"]
    if kind == "missing":
        message = f"{field}: required field is missing"
    elif kind == "extra_forbidden":
        message = f"{field}: unknown field"
    else:
        message = f"{field}: {error['msg']}"
        if kind not in ("condition", "union_tag_invalid", "model_type"):
            message += f" (got {echo(repr(error['input']))})"
    return Problem(shown, message, line, ref)


def line_of(node: Any) -> int | None:
    return node.lc.line + 1 if isinstance(node, (CommentedMap, CommentedSeq)) else None
