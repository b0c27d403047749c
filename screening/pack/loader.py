"""Load a rule pack from its YAML files, and refuse it whole if anything is wrong.

Every problem found is reported at once, each with its file, line and rule or item id,
so a reviewer fixes a pack in one pass. Nothing is evaluated until the whole pack is valid.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from screening.canonical import canonical_sha256
from screening.errors import PackError, Problem
from screening.language import (
    DEFAULT_SCRIPTS,
    gatekeeping_phrases,
    hidden_text,
    lookalike_words,
    verdict_words,
)
from screening.limits import (
    MAX_COMBINATIONS_PER_PACK,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_NODES,
    MAX_ECHO,
    MAX_FOLLOW_UP_DEPTH,
    MAX_ITEMS,
    MAX_ITEMS_PER_CONDITION_CHECKED,
    MAX_PACK_FILE_BYTES,
    MAX_RULES,
    MAX_SOURCES,
)
from screening.logic import Tri, compile_condition, condition_items, visible_states
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
from screening.reading import ReadError, read_bounded

PACK_FILE = "pack.yaml"
SOURCES_FILE = "sources.yaml"
ITEMS_FILE = "items.yaml"
RULES_GLOB = "rules-*.yaml"

DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


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
    found = [p for p in folder.iterdir() if p.name.lower().endswith((".yaml", ".yml"))]
    unreadable = [
        Problem(display_path(p), "not a readable file (a folder, or a broken link?)")
        for p in sorted(found)
        if not p.is_file()
    ]
    if unreadable:
        raise PackError(unreadable)
    return load_pack_from_files(read_files(found), display_path(folder))


def read_files(paths: list[Path]) -> dict[str, bytes]:
    """Each file's bytes by name, bounded by `MAX_PACK_FILE_BYTES`; `PackError` lists those
    that cannot be read (too large, not a regular file, unreadable)."""
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for path in sorted(paths):
        try:
            files[path.name] = read_bounded(path, MAX_PACK_FILE_BYTES, display_path(path))
        except ReadError as exc:
            problems += exc.problems
    if problems:
        raise PackError(problems)
    return files


def load_pack_from_files(files: Mapping[str, bytes], label: str) -> RulePack:
    """Validate a pack given as file name -> bytes (e.g. from an uploaded zip), touching no disk.

    `label` stands for the folder in messages (`label/items.yaml:12: ...`). Names that are
    not YAML files are ignored, as a folder's other files are.
    """

    def shown(name: str) -> str:
        return os.path.normpath(os.path.join(label, name))

    problems: list[Problem] = []
    yaml_names = sorted(n for n in files if n.lower().endswith((".yaml", ".yml")))
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

    # Every check that can still run does, so a reviewer sees all problems in one pass.
    files_sound = not problems
    scripts = tuple((meta_file[1].pack.scripts if meta_file else None) or DEFAULT_SCRIPTS)
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
            for raw, s in zip(sources_file[0]["sources"], sources_file[1].sources, strict=True)
        ]
        if sources_file
        else None,
        items=[
            (shown(ITEMS_FILE), raw, i)
            for raw, i in zip(items_file[0]["items"], items_file[1].items, strict=True)
        ]
        if items_file
        else None,
        rules=located_rules,
        files_sound=files_sound,
        scripts=scripts,
    )
    problems += checker.problems()
    if meta_file is not None:
        meta_doc, meta_model = meta_file
        pack_meta = meta_model.pack
        meta_texts = {
            "name": pack_meta.name,
            "description": pack_meta.description,
            "reviewers": "; ".join(pack_meta.reviewers),
        }
        raw_meta = meta_doc["pack"]
        problems += guard_wording(
            shown(PACK_FILE), raw_meta, meta_texts, None, "pack.", scripts=scripts
        )
        plain = {"version": pack_meta.version, "date": pack_meta.date}
        problems += guard_wording(
            shown(PACK_FILE), raw_meta, plain, None, "pack.", scripts=scripts, wording=False
        )
    if problems or meta_file is None:
        raise PackError(problems)

    meta = meta_file[1].pack
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
    return canonical_sha256(content)


def validate_yaml(
    data: bytes, shown: str, model: type[_FileModel], problems: list[Problem]
) -> tuple[CommentedMap, _FileModel] | None:
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
            shown_input = repr(error["input"])
            if len(shown_input) > MAX_ECHO:
                shown_input = shown_input[: MAX_ECHO - 1] + "…"
            message += f" (got {shown_input})"
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
        sources: list[tuple[str, CommentedMap, Source]] | None,
        items: list[tuple[str, CommentedMap, Item]] | None,
        rules: list[tuple[str, CommentedMap, Rule]],
        files_sound: bool = True,
        scripts: tuple[str, ...] = DEFAULT_SCRIPTS,
    ) -> None:
        """`None` stands for a sources or items file that could not be read; `files_sound`
        is false when any file was refused, so only the checks that stay meaningful run."""
        self.sources = sources or []
        self.items = items or []
        self.rules = rules
        self.references_known = sources is not None and items is not None
        self.files_sound = files_sound
        self.scripts = scripts
        self.source_ids = {s.id for _, _, s in self.sources}
        self.item_ids = {i.id for _, _, i in self.items}

    def problems(self) -> list[Problem]:
        found = [
            *self._duplicates("source", self.sources),
            *self._duplicates("item", self.items),
            *self._duplicates("rule", self.rules),
        ]
        if self.references_known:
            found += [*self._citations(), *self._item_references()]
        if self.files_sound and not found:
            # Sizes first: every later check's cost grows with them.
            found += self._sizes()
        if self.files_sound and not found:
            found += self._cycles()
            found += [] if found else self._depth()
            # Satisfiability needs the follow-up structure to be sound, so it comes last.
            checks = [self._negated_follow_ups()] + ([] if found else [self._never_holds()])
            found += [problem for check in checks for problem in check]
        return [*found, *self._wording()]

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
        background = {s.id for _, _, s in self.sources if s.background}
        for shown, raw, rule in self.rules:
            if set(rule.sources) <= background:
                yield Problem(
                    shown,
                    "cites only background sources ("
                    + ", ".join(rule.sources)
                    + "): a point needs a guideline, label or statement behind it",
                    raw.lc.key("sources")[0] + 1,
                    rule.id,
                )

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

    def _sizes(self) -> list[Problem]:
        """Counts and condition sizes within their bounds, checked in one linear pass."""
        found: list[Problem] = []
        for what, entries, bound in (
            ("items", self.items, MAX_ITEMS),
            ("rules", self.rules, MAX_RULES),
            ("sources", self.sources, MAX_SOURCES),
        ):
            if len(entries) > bound:
                shown, raw, _ = entries[bound]
                found.append(
                    Problem(
                        shown,
                        f"the pack has {len(entries):,} {what}; at most {bound:,} are read",
                        _line(raw),
                    )
                )
        conditions = [
            *((shown, raw, item.asked_if, item.id, "asked_if") for shown, raw, item in self.items),
            *((shown, raw, rule.when, rule.id, "when") for shown, raw, rule in self.rules),
        ]
        for shown, raw, condition, owner, field in conditions:
            if condition is None:
                continue
            nodes, depth = condition_size(condition)
            if nodes > MAX_CONDITION_NODES or depth > MAX_CONDITION_DEPTH:
                found.append(
                    Problem(
                        shown,
                        f"{field} has {nodes} parts nested {depth} deep; a condition may have at "
                        f"most {MAX_CONDITION_NODES} parts nested {MAX_CONDITION_DEPTH} deep",
                        _line(raw[field]),
                        owner,
                    )
                )
        return found

    def _follow_up_graph(self) -> dict[str, list[str]]:
        return {
            item.id: list(
                dict.fromkeys(ref for ref, _ in _item_refs(raw["asked_if"], item.asked_if))
            )
            for _, raw, item in self.items
            if item.asked_if is not None
        }

    def _cycles(self) -> Iterator[Problem]:
        """Each circular `asked_if` once, named from its first item in file order (linear)."""
        depends = self._follow_up_graph()
        component = _cyclic_components(depends)
        reported: set[int] = set()
        for shown, raw, item in self.items:
            group = component.get(item.id)
            if group is None or group in reported:
                continue
            reported.add(group)
            cycle = _path_back(item.id, depends, component)
            yield Problem(
                shown,
                "asked_if is circular: " + " -> ".join([*cycle, cycle[0]]),
                _line(raw.get("asked_if", raw)),
                item.id,
            )

    def _depth(self) -> list[Problem]:
        """Follow-ups of follow-ups at most `MAX_FOLLOW_UP_DEPTH` deep: evaluation walks each
        chain, and the form could not show a deeper one sensibly. Linear in the items."""
        depends = self._follow_up_graph()
        depth: dict[str, int] = {}
        for start in depends:
            stack = [start]
            while stack:
                node = stack[-1]
                pending = [p for p in depends.get(node, ()) if p not in depth]
                if pending:
                    stack += pending
                    continue
                stack.pop()
                depth[node] = 1 + max((depth[p] for p in depends.get(node, ())), default=-1)
        for shown, raw, item in self.items:
            if depth.get(item.id, 0) > MAX_FOLLOW_UP_DEPTH:
                return [
                    Problem(
                        shown,
                        f"follow-up chain is {depth[item.id]} questions deep; at most "
                        f"{MAX_FOLLOW_UP_DEPTH} follow-ups may hang one below another",
                        _line(raw["asked_if"]),
                        item.id,
                    )
                ]
        return []

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
        """Try every Yes / No / Unknown combination, with follow-ups hidden as the form hides
        them; refuse a condition too large to try rather than pass it unchecked."""
        asked_if = {i.id: compile_condition(i.asked_if) for _, _, i in self.items if i.asked_if}
        parents = {
            i.id: condition_items(i.asked_if) for _, _, i in self.items if i.asked_if is not None
        }
        budget = MAX_COMBINATIONS_PER_PACK
        for shown, raw, rule in self.rules:
            refs = _with_parents(condition_items(rule.when), parents)
            if len(refs) > MAX_ITEMS_PER_CONDITION_CHECKED:
                yield Problem(
                    shown,
                    f"condition reads {len(refs)} questions, counting those their follow-ups "
                    f"depend on; at most {MAX_ITEMS_PER_CONDITION_CHECKED} can be checked, "
                    "so split it",
                    _line(raw["when"]),
                    rule.id,
                )
                continue
            budget -= 3 ** len(refs)
            if budget < 0:
                yield Problem(
                    shown,
                    "the pack's conditions are too many or too large to check "
                    f"(over {MAX_COMBINATIONS_PER_PACK:,} combinations); simplify them",
                    _line(raw["when"]),
                    rule.id,
                )
                return
            holds = compile_condition(rule.when)
            answers: tuple[AnswerState, ...] = ("yes", "no", "unknown")
            combos = itertools.product(answers, repeat=len(refs))
            if not any(
                holds(visible_states(dict(zip(refs, combo, strict=True)), asked_if)).value
                is Tri.TRUE
                for combo in combos
            ):
                yield Problem(
                    shown,
                    "condition can never hold, whatever the answers",
                    _line(raw["when"]),
                    rule.id,
                )

    def _wording(self) -> Iterator[Problem]:
        """Every text a reader sees; a citation is quoted as published, so only what would
        hide or reorder its letters is refused there, not its words."""
        scripts = self.scripts
        for shown, raw, rule in self.rules:
            texts = {f: getattr(rule, f) for f in ("section", "summary", "text", "rationale")}
            yield from guard_wording(shown, raw, texts, rule.id, scripts=scripts)
        for shown, raw, item in self.items:
            texts = {f: getattr(item, f) for f in ("section", "label", "question", "help")}
            yield from guard_wording(shown, raw, texts, item.id, scripts=scripts)
        for shown, raw, source in self.sources:
            texts = {f: getattr(source, f) for f in ("grade", "note")}
            yield from guard_wording(shown, raw, texts, source.id, scripts=scripts)
            quoted = {f: getattr(source, f) for f in ("citation", "doi", "url")}
            yield from guard_wording(shown, raw, quoted, source.id, scripts=scripts, wording=False)


def guard_wording(
    shown: str,
    raw: CommentedMap,
    texts: Mapping[str, str | None],
    ref: str | None,
    prefix: str = "",
    *,
    scripts: tuple[str, ...] = DEFAULT_SCRIPTS,
    wording: bool = True,
) -> Iterator[Problem]:
    """Verdict words and gatekeeping phrases (when `wording`), and anything that would make a
    reader see other letters or another order than stored, in texts a clinician reads."""
    for field, text in texts.items():
        if not text:
            continue
        line = raw.lc.key(field)[0] + 1
        for hidden in hidden_text(text, scripts):
            yield Problem(shown, f"{prefix}{field} {hidden}", line, ref)
        words = verdict_words(text) if wording else []
        if words:
            yield Problem(
                shown, f"{prefix}{field} uses verdict language ({', '.join(words)})", line, ref
            )
        gates = gatekeeping_phrases(text) if wording else []
        if gates:
            yield Problem(
                shown,
                f"{prefix}{field} uses gatekeeping language ({', '.join(gates)}): ask the "
                "clinician to discuss, verify, arrange or document instead",
                line,
                ref,
            )
        mixed = lookalike_words(text)
        if mixed:
            yield Problem(
                shown,
                f"{prefix}{field} mixes alphabets within a word ({', '.join(mixed)}): "
                "look-alike letters could hide a verdict word",
                line,
                ref,
            )


def _with_parents(items: tuple[str, ...], parents: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The items and, transitively, the questions that decide whether they are asked."""
    found: dict[str, None] = {}
    pending = deque(items)
    while pending:
        item = pending.popleft()
        if item not in found:
            found[item] = None
            pending.extend(parents.get(item, ()))
    return list(found)


def condition_size(condition: Condition) -> tuple[int, int]:
    """How many parts a condition has and how deep they nest, without recursion."""
    nodes, deepest = 0, 0
    stack: list[tuple[Condition, int]] = [(condition, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        deepest = max(deepest, depth)
        if isinstance(node, (AllOf, AnyOf)):
            stack += [
                (part, depth + 1) for part in (node.all if isinstance(node, AllOf) else node.any)
            ]
        elif isinstance(node, NotOf):
            stack.append((node.not_, depth + 1))
    return nodes, deepest


def _cyclic_components(depends: Mapping[str, list[str]]) -> dict[str, int]:
    """Items on a dependency cycle, each mapped to its strongly connected component.

    Tarjan's algorithm, iterative, so it is linear and a long chain cannot exhaust the stack.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: dict[str, int] = {}
    counter = 0
    for root in depends:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(depends.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(depends.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in depends.get(node, ()):
                    cyclic.update((m, index[node]) for m in members)
    return cyclic


def _path_back(
    start: str, depends: Mapping[str, list[str]], component: Mapping[str, int]
) -> list[str]:
    """A shortest dependency path from `start` back to itself within its cycle (breadth first)."""
    group = component[start]
    came_from: dict[str, str] = {}
    queue: deque[str] = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in depends.get(node, ()):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if component.get(nxt) == group and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return [start]
