"""Load a rule pack from its YAML files, and refuse it whole if anything is wrong.

Every problem found is reported at once, each with its file, line and rule or item id,
so a reviewer fixes a pack in one pass. Nothing is evaluated until the whole pack is valid.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import os
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from screening.errors import PackError, Problem
from screening.language import verdict_words
from screening.logic import Tri, compile_condition
from screening.models import (
    AllOf,
    AnswerState,
    AnyOf,
    Condition,
    Item,
    ItemIs,
    NotOf,
    PackMeta,
    Rule,
    RulePack,
    Source,
    condition_tag,
)

MAX_FILE_BYTES = 1_000_000
"""Larger rule files are refused before parsing: no real pack comes near it."""

MAX_ITEMS_PER_CONDITION_CHECKED = 10
"""Above this, the can-never-hold check would try too many combinations and is skipped."""

PACK_FILE = "pack.yaml"
SOURCES_FILE = "sources.yaml"
ITEMS_FILE = "items.yaml"
RULES_GLOB = "rules-*.yaml"

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


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
    rules: list[Rule]


_FileModel = TypeVar("_FileModel", bound=BaseModel)


def display_path(path: Path) -> str:
    """A path as the user typed it; an absolute one inside the working folder made relative."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_pack(directory: Path | str = DEFAULT_RULES_DIR) -> RulePack:
    """Read, validate and cross-check a pack folder; raise `PackError` listing every problem."""
    folder = Path(directory)
    if not folder.is_dir():
        raise PackError([Problem(display_path(folder), "no such rule pack folder")])
    files = {
        path.name: read_capped(path)
        for pattern in ("*.yaml", "*.yml")
        for path in folder.glob(pattern)
        if path.is_file()
    }
    return load_pack_from_files(files, display_path(folder))


def read_capped(path: Path) -> bytes:
    """A file's bytes, one past the size cap at most, so a huge file is refused unread."""
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def load_pack_from_files(files: Mapping[str, bytes], label: str) -> RulePack:
    """Validate a pack given as file name -> bytes (e.g. from an uploaded zip), touching no disk.

    `label` stands for the folder in messages (`label/items.yaml:12: ...`). Names that are
    not YAML files are ignored, as a folder's other files are.
    """

    def shown(name: str) -> str:
        return os.path.normpath(os.path.join(label, name))

    problems: list[Problem] = []
    yaml_names = sorted(n for n in files if n.endswith((".yaml", ".yml")))
    rule_names = [n for n in yaml_names if fnmatch.fnmatchcase(n, RULES_GLOB)]
    expected = {PACK_FILE, SOURCES_FILE, ITEMS_FILE, *rule_names}
    for stray in yaml_names:
        if stray not in expected:
            problems.append(
                Problem(
                    shown(stray),
                    f"unexpected file: a pack holds {PACK_FILE}, {SOURCES_FILE}, {ITEMS_FILE} "
                    f"and {RULES_GLOB} files",
                )
            )
    if not rule_names:
        problems.append(Problem(label, f"no rule files ({RULES_GLOB})"))

    def read(name: str, model: type[_FileModel]) -> tuple[CommentedMap, _FileModel] | None:
        if name not in files:
            problems.append(Problem(shown(name), "file is missing"))
            return None
        return validate_yaml(files[name], shown(name), model, problems)

    meta_file = read(PACK_FILE, PackFile)
    sources_file = read(SOURCES_FILE, SourcesFile)
    items_file = read(ITEMS_FILE, ItemsFile)
    rules_files = [(name, read(name, RulesFile)) for name in rule_names]

    if problems or meta_file is None or sources_file is None or items_file is None:
        raise PackError(problems)

    sources_doc, sources_model = sources_file
    items_doc, items_model = items_file
    located_rules: list[tuple[str, CommentedMap, Rule]] = []
    for name, parsed in rules_files:
        if parsed is None:
            continue
        doc, model = parsed
        located_rules += [
            (shown(name), raw, rule) for raw, rule in zip(doc["rules"], model.rules, strict=True)
        ]
    checker = _CrossChecker(
        sources=[
            (shown(SOURCES_FILE), raw, s)
            for raw, s in zip(sources_doc["sources"], sources_model.sources, strict=True)
        ],
        items=[
            (shown(ITEMS_FILE), raw, i)
            for raw, i in zip(items_doc["items"], items_model.items, strict=True)
        ],
        rules=located_rules,
    )
    problems += checker.problems()
    meta_doc, meta_model = meta_file
    problems += _meta_wording(shown(PACK_FILE), meta_doc["pack"], meta_model.pack)
    if problems:
        raise PackError(problems)

    meta = meta_model.pack
    sources = tuple(s for _, _, s in checker.sources)
    items = tuple(i for _, _, i in checker.items)
    rules = tuple(r for _, _, r in located_rules)
    return RulePack(
        meta=meta,
        sources=sources,
        items=items,
        rules=rules,
        sha256=content_hash(meta, sources, items, rules),
    )


def content_hash(
    meta: PackMeta, sources: tuple[Source, ...], items: tuple[Item, ...], rules: tuple[Rule, ...]
) -> str:
    """SHA-256 over a canonical JSON form of the content, so comments and layout don't count.

    Unset optional fields are left out, so adding one to the models keeps every hash.
    """

    def dump(model: PackMeta | Source | Item | Rule) -> Any:
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)

    content = {
        "meta": dump(meta),
        "sources": [dump(s) for s in sources],
        "items": [dump(i) for i in items],
        "rules": [dump(r) for r in rules],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_yaml(
    data: bytes, shown: str, model: type[_FileModel], problems: list[Problem]
) -> tuple[CommentedMap, _FileModel] | None:
    """Parse a file and validate it against a one-key file model, appending problems."""
    doc = parse_yaml(data, shown, problems)
    if doc is None:
        return None
    (key,) = model.model_fields
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
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(shown, f"file is larger than {MAX_FILE_BYTES:,} bytes"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, f"not UTF-8 text (byte {exc.start})"))
        return None
    try:
        doc = YAML(typ="rt").load(text)
        anchored = _first_anchor(doc)
        if anchored is not None:
            problems.append(
                Problem(shown, "anchors and aliases (& and *) are not allowed", anchored)
            )
            return None
        return doc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(Problem(shown, f"YAML syntax: {what or exc}", line))
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        problems.append(Problem(shown, f"YAML syntax: {exc}"))
    return None


def _first_anchor(doc: Any) -> int | None:
    """Line of the first anchored node, if any: without anchors there can be no aliases.

    Aliases share one object, so the walk visits each node once and an alias bomb
    costs nothing here; it is refused before anything expands it.
    """
    seen: set[int] = set()
    queue: deque[tuple[Any, int]] = deque([(doc, 1)])
    while queue:
        node, line = queue.popleft()
        if isinstance(node, (CommentedMap, CommentedSeq)):
            if id(node) in seen:
                return line
            seen.add(id(node))
        anchor = getattr(node, "anchor", None)
        if anchor is not None and getattr(anchor, "value", None) is not None:
            return line
        if isinstance(node, CommentedMap):
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
            message += f" (got {error['input']!r})"
    return Problem(shown, message, line, ref)


def _line(node: Any) -> int | None:
    return node.lc.line + 1 if isinstance(node, (CommentedMap, CommentedSeq)) else None


def _item_refs(
    raw: Any, condition: Condition, negated_only: bool = False, negated: bool = False
) -> Iterator[tuple[str, int | None]]:
    """Every item a condition reads (or only those under a `not`), with the line naming it."""
    if isinstance(condition, ItemIs):
        if negated or not negated_only:
            yield condition.item, _line(raw)
    elif isinstance(condition, (AllOf, AnyOf)):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        raws = raw["all"] if isinstance(condition, AllOf) else raw["any"]
        for raw_part, part in zip(raws, parts, strict=True):
            yield from _item_refs(raw_part, part, negated_only, negated)
    elif isinstance(condition, NotOf):
        yield from _item_refs(raw["not"], condition.not_, negated_only, negated=True)


class _CrossChecker:
    """Checks that span files: ids, references, cycles, satisfiability and wording."""

    def __init__(
        self,
        sources: list[tuple[str, CommentedMap, Source]],
        items: list[tuple[str, CommentedMap, Item]],
        rules: list[tuple[str, CommentedMap, Rule]],
    ) -> None:
        self.sources = sources
        self.items = items
        self.rules = rules
        self.source_ids = {s.id for _, _, s in sources}
        self.item_ids = {i.id for _, _, i in items}

    def problems(self) -> list[Problem]:
        found = [
            *self._duplicates("source", self.sources),
            *self._duplicates("item", self.items),
            *self._duplicates("rule", self.rules),
            *self._citations(),
            *self._item_references(),
        ]
        if not found:
            found += [
                *self._cycles(),
                *self._negated_follow_ups(),
                *self._never_holds(),
                *self._wording(),
            ]
        return found

    @staticmethod
    def _duplicates(
        what: str,
        entries: list[tuple[str, CommentedMap, Source]]
        | list[tuple[str, CommentedMap, Item]]
        | list[tuple[str, CommentedMap, Rule]],
    ) -> Iterator[Problem]:
        first: dict[str, tuple[str, int | None]] = {}
        for shown, raw, model in entries:
            if model.id in first:
                where = "{}:{}".format(*first[model.id])
                yield Problem(
                    shown, f"duplicate {what} id (first defined at {where})", _line(raw), model.id
                )
            else:
                first[model.id] = (shown, _line(raw))

    def _citations(self) -> Iterator[Problem]:
        cited: list[tuple[str, CommentedMap, Item | Rule]] = [*self.items, *self.rules]
        for shown, raw, model in cited:
            for index, source_id in enumerate(model.sources):
                if source_id not in self.source_ids:
                    line = raw["sources"].lc.item(index)[0] + 1
                    yield Problem(shown, f"cites unknown source '{source_id}'", line, model.id)

    def _item_references(self) -> Iterator[Problem]:
        for shown, raw, item in self.items:
            if item.asked_if is not None:
                for ref, line in _item_refs(raw["asked_if"], item.asked_if):
                    if ref not in self.item_ids:
                        yield Problem(shown, f"asked_if reads unknown item '{ref}'", line, item.id)
        for shown, raw, rule in self.rules:
            for ref, line in _item_refs(raw["when"], rule.when):
                if ref not in self.item_ids:
                    yield Problem(shown, f"condition reads unknown item '{ref}'", line, rule.id)

    def _cycles(self) -> Iterator[Problem]:
        depends = {
            item.id: [ref for ref, _ in _item_refs(raw["asked_if"], item.asked_if)]
            for _, raw, item in self.items
            if item.asked_if is not None
        }
        reported: set[str] = set()
        for shown, raw, item in self.items:
            cycle = _find_cycle(item.id, depends)
            if cycle and item.id not in reported:
                reported.update(cycle)
                yield Problem(
                    shown,
                    "asked_if is circular: " + " -> ".join([*cycle, cycle[0]]),
                    _line(raw.get("asked_if", raw)),
                    item.id,
                )

    def _negated_follow_ups(self) -> Iterator[Problem]:
        """`not` over a follow-up would turn "not asked" into a point raised for no reason."""
        follow_ups = {item.id for _, _, item in self.items if item.asked_if is not None}
        conditions = [
            *(
                (shown, raw["asked_if"], item.asked_if, item.id)
                for shown, raw, item in self.items
                if item.asked_if
            ),
            *((shown, raw["when"], rule.when, rule.id) for shown, raw, rule in self.rules),
        ]
        for shown, raw, condition, owner in conditions:
            for ref, line in _item_refs(raw, condition, negated_only=True):
                if ref in follow_ups:
                    yield Problem(
                        shown,
                        f"'not' over the follow-up item '{ref}': when it is not asked, the "
                        "condition would hold for no reason; name the answers that should count",
                        line,
                        owner,
                    )

    def _never_holds(self) -> Iterator[Problem]:
        for shown, raw, rule in self.rules:
            refs = sorted({ref for ref, _ in _item_refs(raw["when"], rule.when)})
            if len(refs) > MAX_ITEMS_PER_CONDITION_CHECKED:
                continue
            answers: tuple[AnswerState, ...] = ("yes", "no", "unknown")
            combos = itertools.product(answers, repeat=len(refs))
            holds = compile_condition(rule.when)
            if not any(
                holds(dict(zip(refs, combo, strict=True))).value is Tri.TRUE for combo in combos
            ):
                yield Problem(
                    shown,
                    "condition can never hold, whatever the answers",
                    _line(raw["when"]),
                    rule.id,
                )

    def _wording(self) -> Iterator[Problem]:
        for shown, raw, rule in self.rules:
            for field in ("section", "text", "rationale"):
                words = verdict_words(getattr(rule, field))
                if words:
                    yield Problem(
                        shown,
                        f"{field} uses verdict language ({', '.join(words)}); "
                        "a checklist entry asks to discuss, verify, arrange or document",
                        raw.lc.key(field)[0] + 1,
                        rule.id,
                    )
        for shown, raw, item in self.items:
            for field in ("section", "label", "question", "help"):
                words = verdict_words(getattr(item, field))
                if words:
                    yield Problem(
                        shown,
                        f"{field} uses verdict language ({', '.join(words)})",
                        raw.lc.key(field)[0] + 1,
                        item.id,
                    )


def _meta_wording(shown: str, raw: CommentedMap, meta: PackMeta) -> Iterator[Problem]:
    """The pack's name and description head every checklist, so they obey the guard too."""
    for field in ("name", "description"):
        words = verdict_words(getattr(meta, field) or "")
        if words:
            yield Problem(
                shown,
                f"pack.{field} uses verdict language ({', '.join(words)})",
                raw.lc.key(field)[0] + 1,
            )


def _find_cycle(start: str, depends: dict[str, list[str]]) -> list[str] | None:
    """The first dependency cycle through `start`, as a list of item ids, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in depends.get(node, []):
            if nxt == start:
                return path
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
