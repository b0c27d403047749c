"""Load a rule pack from its YAML files, and refuse it whole if anything is wrong.

Reading each file is `yaml_files.py`; the checks across files are `checks.py`.

Every problem found is reported at once, each with its file, line and rule or item id,
so a reviewer fixes a pack in one pass. Nothing is evaluated until the whole pack is valid.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap

from screening.canonical import canonical_sha256
from screening.catalogue import N_, Said
from screening.errors import PackError, Problem
from screening.hidden import DEFAULT_SCRIPTS
from screening.language import NO_VOCABULARY, Vocabulary
from screening.limits import (
    MAX_PACK_BYTES,
    MAX_PACK_FILE_BYTES,
    MAX_PACK_FILES,
)
from screening.models import (
    CURRENT_PACK_SCHEMA,
    Item,
    PackMeta,
    PackSchema,
    Rule,
    RulePack,
    Source,
)
from screening.pack.checks import CrossChecker
from screening.pack.files import RULES_FILES, ItemsFile, PackFile, SourcesFile, YamlFile
from screening.pack.guard import guard_wording
from screening.pack.record_map import RECORD_FILE, record_problems
from screening.pack.salvage import Refused, salvaged
from screening.pack.vocabulary import VOCABULARY_FILE, VocabularyFile
from screening.pack.yaml_files import (
    FileModel,
    NeedsPositions,
    parse_yaml,
    read_yaml,
    validate_plain,
)
from screening.reading import ReadError, read_bounded

PACK_FILE = "pack.yaml"
SOURCES_FILE = "sources.yaml"
ITEMS_FILE = "items.yaml"
RULES_GLOB = "rules-*.yaml"

_PACKAGED_RULES = Path(__file__).resolve().parents[1] / "rules"
DEFAULT_RULES_DIR = (
    _PACKAGED_RULES if _PACKAGED_RULES.is_dir() else Path(__file__).resolve().parents[2] / "rules"
)
"""The shipped pack: `screening/rules/` in an installed package (pyproject.toml puts it
there), else `rules/` beside `screening/` in the checkout."""


def display_path(path: Path) -> str:
    """A path as the user typed it; an absolute one inside the working folder made relative."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_pack(
    directory: Path | str = DEFAULT_RULES_DIR, schema: PackSchema = CURRENT_PACK_SCHEMA
) -> RulePack:
    """Read, validate and cross-check a pack folder; raise `PackError` listing every problem.

    `schema` is what the files must hold (`PackSchema`); only `verify` asks for another than
    the current one, to re-check a PDF by the very pack that made it.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise PackError([Problem(display_path(folder), Said(N_("no such rule pack folder")))])
    found = [p for p in folder.iterdir() if p.name.lower().endswith((".yaml", ".yml"))]
    unreadable = [
        Problem(display_path(p), Said(N_("not a readable file (a folder, or a broken link?)")))
        for p in sorted(found)
        if not p.is_file()
    ]
    if unreadable:
        raise PackError(unreadable)
    if len(found) > MAX_PACK_FILES:
        raise PackError([Problem(display_path(folder), _too_many_files(len(found)))])
    return load_pack_from_files(read_files(found), display_path(folder), schema)


def _too_many_files(count: int) -> Said:
    return Said(
        N_("holds {count} YAML files; a pack has at most {limit}"),
        count=f"{count:,}",
        limit=f"{MAX_PACK_FILES:,}",
    )


def _bounds_problems(files: Mapping[str, bytes], label: str) -> list[Problem]:
    """A pack over `MAX_PACK_FILES` or `MAX_PACK_BYTES`, refused before any file is parsed."""
    sizes = [len(data) for name, data in files.items() if name.lower().endswith((".yaml", ".yml"))]
    if len(sizes) > MAX_PACK_FILES:
        return [Problem(label, _too_many_files(len(sizes)))]
    if sum(sizes) > MAX_PACK_BYTES:
        return [
            Problem(
                label,
                Said(
                    N_("its YAML files hold {size} bytes; a pack holds at most {limit}"),
                    size=f"{sum(sizes):,}",
                    limit=f"{MAX_PACK_BYTES:,}",
                ),
            )
        ]
    return []


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


def load_pack_from_files(
    files: Mapping[str, bytes], label: str, schema: PackSchema = CURRENT_PACK_SCHEMA
) -> RulePack:
    """Validate a pack given as file name -> bytes (e.g. from an uploaded zip), touching no disk.

    `label` stands for the folder in messages (`label/items.yaml:12: ...`). Names that are
    not YAML files are ignored, as a folder's other files are.

    A pack is read fast first (`yaml_files.parse_plain`); if anything at all is wrong, or the
    fast reader cannot vouch for a file, the whole pack is read again with positions, which
    finds and words every problem with its line. A pack once validated in this process is
    remembered by its files' digest, and the same files give the same pack object again.
    """
    too_big = _bounds_problems(files, label)
    if too_big:
        raise PackError(too_big)
    key = _digest(files, schema)
    found = _VALIDATED.get(key)
    if found is not None:
        return found
    try:
        pack = _assembled(files, label, schema, fast=True)
    except NeedsPositions:
        pack = _assembled(files, label, schema, fast=False)
    with _VALIDATED_LOCK:  # the app's sessions load packs from several threads
        while len(_VALIDATED) >= _VALIDATED_KEPT:
            _VALIDATED.pop(next(iter(_VALIDATED)), None)
        _VALIDATED[key] = pack
    return pack


_VALIDATED: dict[str, RulePack] = {}
_VALIDATED_LOCK = threading.Lock()
_VALIDATED_KEPT = 8
"""Packs validated in this process, by digest: the shipped one, and a few candidates."""


def _digest(files: Mapping[str, bytes], schema: PackSchema) -> str:
    """What a pack's validity depends on: the schema and its YAML files' names and bytes."""
    digest = hashlib.sha256(schema.encode())
    for name in sorted(n for n in files if n.lower().endswith((".yaml", ".yml"))):
        for part in (name.encode("utf-8", "surrogatepass"), files[name]):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def _names_problems(
    yaml_names: list[str], rule_names: list[str], label: str, shown: Callable[[str], str]
) -> list[Problem]:
    """YAML files a pack does not hold, and a pack without rule files."""
    expected = {PACK_FILE, SOURCES_FILE, ITEMS_FILE, RECORD_FILE, VOCABULARY_FILE, *rule_names}
    problems = [
        Problem(
            shown(stray),
            Said(
                N_(
                    "unexpected file: a pack holds {pack}, {sources}, {items}, {rules} files and "
                    "optionally {record} and {vocabulary}"
                ),
                pack=PACK_FILE,
                sources=SOURCES_FILE,
                items=ITEMS_FILE,
                rules=RULES_GLOB,
                record=RECORD_FILE,
                vocabulary=VOCABULARY_FILE,
            ),
        )
        for stray in yaml_names
        if stray not in expected
    ]
    if not rule_names:
        problems.append(Problem(label, Said(N_("no rule files ({rules})"), rules=RULES_GLOB)))
    return problems


def _assembled(
    files: Mapping[str, bytes], label: str, schema: PackSchema, *, fast: bool
) -> RulePack:
    """The pack, or `PackError` with every problem; `fast`: `NeedsPositions` at any doubt."""

    def shown(name: str) -> str:
        return os.path.normpath(os.path.join(label, name))

    yaml_names = sorted(n for n in files if n.lower().endswith((".yaml", ".yml")))
    rule_names = [n for n in yaml_names if fnmatch.fnmatchcase(n, RULES_GLOB)]
    problems = _names_problems(yaml_names, rule_names, label, shown)
    if fast and problems:
        raise NeedsPositions

    def read(name: str, model: type[FileModel]) -> tuple[CommentedMap, FileModel | None] | None:
        if fast:
            if name not in files:
                raise NeedsPositions
            return validate_plain(files[name], model)
        if name not in files:
            problems.append(Problem(shown(name), Said(N_("file is missing"))))
            return None
        return read_yaml(files[name], shown(name), model, problems)

    meta_file = _whole(read(PACK_FILE, PackFile))
    sources_file = read(SOURCES_FILE, SourcesFile)
    items_file = read(ITEMS_FILE, ItemsFile)
    rules_files = [(name, read(name, RULES_FILES[schema])) for name in rule_names]
    vocabulary_file = VOCABULARY_FILE in files and _whole(read(VOCABULARY_FILE, VocabularyFile))
    vocabulary = vocabulary_file[1].as_vocabulary() if vocabulary_file else NO_VOCABULARY

    # Every check that can still run does, so a reviewer sees all problems in one pass.
    gatekeeping = schema != "1.0"
    scripts = tuple((meta_file[1].pack.scripts if meta_file else None) or DEFAULT_SCRIPTS)
    refused: list[Refused] = []
    located_rules = [
        located
        for name, found in rules_files
        for located in _entries(shown(name), found, RULES_FILES[schema], refused) or []
    ]
    checker = CrossChecker(
        sources=_entries(shown(SOURCES_FILE), sources_file, SourcesFile, refused),
        items=_entries(shown(ITEMS_FILE), items_file, ItemsFile, refused),
        rules=located_rules,
        files_sound=not problems,
        scripts=scripts,
        gatekeeping=gatekeeping,
        vocabulary=vocabulary,
        refused=refused,
    )
    problems += checker.problems()
    items_read = _whole(items_file)
    if RECORD_FILE in files and items_read is not None:  # optional: answers from the record
        item_ids = {i.id for i in items_read[1].items}
        problems += record_problems(files[RECORD_FILE], shown(RECORD_FILE), item_ids, fast=fast)[1]
    if meta_file is not None:
        problems += _meta_problems(meta_file, shown(PACK_FILE), scripts, gatekeeping, vocabulary)
    if problems or meta_file is None:
        raise _refusal(problems, files, rule_names, label, schema, fast=fast)
    return _pack(meta_file[1].pack, checker, located_rules, schema, vocabulary)


def _refusal(
    problems: list[Problem],
    files: Mapping[str, bytes],
    rule_names: list[str],
    label: str,
    schema: PackSchema,
    *,
    fast: bool,
) -> Exception:
    """Why the pack is refused; on the fast path, only that it must be read again with
    positions, to say where."""
    if fast:
        return NeedsPositions()
    if schema != "1.0" and _written_before_summaries(files, rule_names):
        problems.insert(0, Problem(label, Said(WRITTEN_FOR_1_0)))
    return PackError(problems)


def _pack(
    meta: PackMeta,
    checker: CrossChecker,
    located_rules: list[tuple[str, CommentedMap, Rule]],
    schema: PackSchema,
    vocabulary: Vocabulary,
) -> RulePack:
    """The pack from its checked parts, with the sha256 of its content."""
    sources = tuple(s for _, _, s in checker.sources)
    items = tuple(i for _, _, i in checker.items)
    rules = tuple(r for _, _, r in located_rules)
    return RulePack(
        meta=meta,
        sources=sources,
        items=items,
        rules=rules,
        sha256=content_hash(meta, sources, items, rules),
        pack_schema=schema,
        vocabulary=vocabulary,
    )


_Model = TypeVar("_Model")


def _whole(
    found: tuple[CommentedMap, FileModel | None] | None,
) -> tuple[CommentedMap, FileModel] | None:
    """A file its model accepted, with its data; `None` for one it refused or could not read."""
    return None if found is None or found[1] is None else (found[0], found[1])


def _entries(
    shown: str,
    found: tuple[CommentedMap, YamlFile | None] | None,
    file_model: type[YamlFile],
    refused: list[Refused],
) -> list[tuple[str, CommentedMap, Any]] | None:
    """A list file's entries beside their YAML, or of a file its model refused the sound ones
    (`salvage.py`); `None` for a file not read at all."""
    if found is None:
        return None
    doc, model = found
    if model is None:
        return salvaged(shown, doc, file_model, refused)
    key = file_model.top_key()
    return _located(shown, doc[key], getattr(model, key))


def _located(
    shown: str, raws: Sequence[CommentedMap], models: Sequence[_Model]
) -> list[tuple[str, CommentedMap, _Model]]:
    """Each model of a file beside its file name and the YAML it was read from (for lines)."""
    return [(shown, raw, model) for raw, model in zip(raws, models, strict=True)]


def _meta_problems(
    meta_file: tuple[CommentedMap, PackFile],
    shown: str,
    scripts: tuple[str, ...],
    gatekeeping: bool,
    vocabulary: Vocabulary,
) -> list[Problem]:
    """`pack.yaml`'s wording: its name, description and reviewers read as every pack text is;
    its version and date for hidden characters only."""
    meta_doc, meta_model = meta_file
    pack_meta = meta_model.pack
    meta_texts = {
        "name": pack_meta.name,
        "description": pack_meta.description,
        "reviewers": "; ".join(pack_meta.reviewers),
    }
    raw_meta = meta_doc["pack"]
    problems = list(
        guard_wording(
            shown,
            raw_meta,
            meta_texts,
            None,
            "pack.",
            scripts=scripts,
            gatekeeping=gatekeeping,
            vocabulary=vocabulary,
        )
    )
    plain = {"version": pack_meta.version, "date": pack_meta.date}
    problems += guard_wording(shown, raw_meta, plain, None, "pack.", scripts=scripts, wording=False)
    return problems


WRITTEN_FOR_1_0 = N_(
    "no rule has a summary: the pack was written for pack schema 1.0 (screening 0.1.0 and "
    "0.2.0); `verify` still reads it for the PDFs it made, but to be used it needs a summary "
    "for every rule (rules/README.md)"
)


def _written_before_summaries(files: Mapping[str, bytes], rule_names: list[str]) -> bool:
    """Whether there are rules and none of them has a summary: a pack written for schema 1.0."""
    rules: list[object] = []
    for name in rule_names:
        doc = parse_yaml(files[name], name, [])
        found = doc.get("rules") if isinstance(doc, CommentedMap) else None
        rules += found if isinstance(found, list) else [None]
    return bool(rules) and all(isinstance(r, CommentedMap) and "summary" not in r for r in rules)


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
