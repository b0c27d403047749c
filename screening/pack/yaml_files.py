"""The pack's YAML files read with their line numbers, and validated against their models.

A YAML error or a field that fails validation becomes a `Problem` naming the file and line;
YAML features that hide structure (anchors, aliases, merge keys) are refused.

Two readers give the same data. `parse_plain` is fast (libyaml's C parser, its events built
into plain dicts and lists with YAML 1.2 scalars) and vouches only for plain files: at any
doubt (an anchor, alias, tag, directive, duplicate key, a scalar other than a string, a
boolean or null, a character the readers may treat apart, a syntax error) it raises
`NeedsPositions`. `parse_yaml` (ruamel.yaml's round-trip reader) keeps every position and
words every refusal; the loader falls back to it for any file, or pack, with a problem.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from screening.catalogue import N_, Said
from screening.errors import Problem, larger_than
from screening.limits import MAX_CONDITION_DEPTH, MAX_PACK_FILE_BYTES
from screening.models import condition_tag
from screening.pack.files import YamlFile
from screening.pack.yaml_syntax import mistake_line
from screening.text import echo
from screening.validation_words import error_said

FileModel = TypeVar("FileModel", bound=YamlFile)


def validate_yaml(
    data: bytes, shown: str, model: type[FileModel], problems: list[Problem]
) -> tuple[CommentedMap, FileModel] | None:
    """Parse a file and validate it against a one-key file model, appending problems."""
    found = read_yaml(data, shown, model, problems)
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def read_yaml(
    data: bytes, shown: str, model: type[FileModel], problems: list[Problem]
) -> tuple[CommentedMap, FileModel | None] | None:
    """`validate_yaml`, keeping the file's data when its model refuses it (model `None`), so
    what is sound in it can still be checked (`salvage.py`)."""
    key = model.top_key()
    doc = parse_yaml(data, shown, problems)
    if doc is None:
        if problems and problems[-1].message == EMPTY:
            problems[-1] = Problem(
                shown, Said(N_("file is empty: expected the top-level key '{key}:'"), key=key), 1
            )
        return None
    if not isinstance(doc, CommentedMap) or key not in doc:
        problems.append(
            Problem(
                shown, Said(N_("expected a mapping with the top-level key '{key}:'"), key=key), 1
            )
        )
        return None
    try:
        return doc, model.model_validate(doc)
    except ValidationError as exc:
        problems += [locate_error(shown, doc, error) for error in exc.errors()]
        return doc, None


def parse_yaml(data: bytes, shown: str, problems: list[Problem]) -> Any:
    """Parse YAML 1.2 keeping line numbers; refuse big files, non-UTF-8 text and anchors."""
    if len(data) > MAX_PACK_FILE_BYTES:
        problems.append(Problem(shown, larger_than(MAX_PACK_FILE_BYTES)))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(shown, Said(N_("not UTF-8 text")), line))
        return None
    try:
        return parse_positioned(data)
    except NeedsPositions:  # something unusual: ruamel's reader words every refusal
        pass
    return _parse_round_trip(text, shown, problems)


def _parse_round_trip(text: str, shown: str, problems: list[Problem]) -> Any:
    """`parse_yaml` by ruamel.yaml's round-trip reader: slower, but it reads and words all."""
    try:
        doc = YAML(typ="rt").load(text)
        shared = _shared_structure(doc)
        if shared is not None:
            problems.append(Problem(shown, shared[0], shared[1]))
            return None
        if doc is None:
            problems.append(Problem(shown, Said(EMPTY), 1))
        return doc
    except MarkedYAMLError as exc:
        line = mistake_line(text, exc)
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(Problem(shown, Said(_YAML_SYNTAX, problem=what or str(exc)), line))
    except RecursionError:
        problems.append(
            Problem(
                shown,
                Said(
                    N_("nested too deeply to read (conditions nest at most {depth} levels)"),
                    depth=str(MAX_CONDITION_DEPTH),
                ),
            )
        )
    except NotImplementedError:  # ruamel's round-trip reader cannot place such a comment
        problems.append(
            Problem(
                shown,
                Said(
                    N_(
                        "YAML syntax: a comment between a key and a value on the lines below it "
                        "cannot be read; move the comment onto a line of its own"
                    )
                ),
            )
        )
    except (YAMLError, ValueError, TypeError) as exc:
        problems.append(Problem(shown, Said(_YAML_SYNTAX, problem=str(exc))))
    return None


EMPTY = N_("file is empty")
_YAML_SYNTAX = N_("YAML syntax: {problem}")
"""A YAML reader's refusal: the reader's own words (ruamel.yaml's, in English) as the value."""
_ANCHORS = Said(N_("anchors and aliases (& and *) are not allowed"))
_MERGES = Said(N_("merge keys (<<) are not allowed: write each field out"))


def _shared_structure(doc: Any) -> tuple[Said, int] | None:
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
        message = Said(N_("{field}: required field is missing"), field=field)
    elif kind == "extra_forbidden":
        message = Said(N_("{field}: unknown field"), field=field)
    elif kind in ("condition", "union_tag_invalid", "model_type"):
        message = Said(N_("{field}: {problem}"), field=field, problem=error_said(error))
    else:
        message = Said(
            N_("{field}: {problem} (got {given})"),
            field=field,
            problem=error_said(error),
            given=echo(repr(error["input"])),
        )
    return Problem(shown, message, line, ref)


def line_of(node: Any) -> int | None:
    return node.lc.line + 1 if isinstance(node, (CommentedMap, CommentedSeq)) else None


class NeedsPositions(Exception):  # noqa: N818  (a signal to read again, not an error to show)
    """The fast reading cannot vouch for a file or a pack: read it again with positions."""


class _NoPositions:
    """Stands in for ruamel's positions (`lc`) in data read by `parse_plain`: every line is 0.

    No such line is ever shown: the loader drops whatever the fast reading found as soon as
    there is any problem at all, and reads the pack again with positions.
    """

    line = col = 0

    @staticmethod
    def key(_key: object) -> tuple[int, int]:
        return (0, 0)

    @staticmethod
    def value(_key: object) -> tuple[int, int]:
        return (0, 0)

    @staticmethod
    def item(_index: object) -> tuple[int, int]:
        return (0, 0)


_NO_POSITIONS = _NoPositions()


class PlainMap(dict[str, Any]):
    """A mapping read by `parse_plain`: it has no positions (see `_NoPositions`)."""

    lc = _NO_POSITIONS


class PlainSeq(list[Any]):
    """A sequence read by `parse_plain`: it has no positions (see `_NoPositions`)."""

    lc = _NO_POSITIONS


try:
    from yaml import (
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )
    from yaml import YAMLError as CYAMLError
    from yaml._yaml import CParser

    _HAVE_LIBYAML = True
except ImportError:  # PyYAML without libyaml: every file is read with positions
    _HAVE_LIBYAML = False

_DOUBTFUL = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
"""Characters the two readers may treat apart, or refuse (tabs, carriage returns, the
Unicode line breaks, a byte order mark, control characters): such a file is read with
positions."""
_MARKERS = re.compile(r"^(?:---|\.\.\.|%)|[:\-?\[{,][ ]+#", re.MULTILINE)
"""Document markers and directives (a pack file is one document, written without them), and a
comment between an indicator and its node (`key: # ...`), where ruamel's round-trip reader
can fail to place the comment: files the fast reader must not accept alone."""
_RESOLVER = VersionedResolver(version=(1, 2))
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_PLAIN_VALUES: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
}
_BLOCK_STYLES = ("|", ">")
"""Block scalars: their headers, indentation and chomping are where parsers part ways (libyaml
takes `|#`, ruamel refuses it), so a file with one is read with positions."""
_NESTING = 64
"""Deeper files are read with positions, which refuses what nests too deeply to read."""


def parse_plain(data: bytes) -> Any:
    """A pack file's data as `parse_yaml` reads it, fast, for files with nothing unusual.

    Raises `NeedsPositions` at any doubt, so that every refusal and its wording stays with
    ruamel's reader: this reader only ever accepts what that one accepts, as the same data.
    """
    return _fast(data, positions=False)


def parse_positioned(data: bytes) -> Any:
    """`parse_plain` with ruamel's positions (`CommentedMap`, `.lc`) taken from libyaml's
    marks, so a pack with a problem is re-read in a fraction of ruamel's time (issue 20 item
    4): only the files this reader steps aside for go to ruamel's reader."""
    document = _fast(data, positions=True)
    if document is None:
        raise NeedsPositions  # an empty file: ruamel's reader says so
    return document


def _fast(data: bytes, *, positions: bool) -> Any:
    if not _HAVE_LIBYAML or len(data) > MAX_PACK_FILE_BYTES:
        raise NeedsPositions
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NeedsPositions from None
    if _DOUBTFUL.search(text) or _MARKERS.search(text):
        raise NeedsPositions
    try:
        return _built(CParser(text), positions)
    except CYAMLError:
        raise NeedsPositions from None


def _plain_scalar(value: str, resolved: dict[str, Any]) -> Any:
    """A plain (unquoted) scalar as YAML 1.2 reads it: a string, a boolean, null or a whole
    number written plainly in decimals; any other (other numbers, dates, merge keys) is left
    to the reader with positions."""
    if value in resolved:
        return resolved[value]
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))
    if value in _PLAIN_VALUES:
        found = _PLAIN_VALUES[value]
    elif tag == _STR:
        found = value
    elif tag == _INT and _DECIMAL.fullmatch(value):
        found = int(value)
    else:
        raise NeedsPositions
    resolved[value] = found
    return found


def _built(parser: Any, positions: bool) -> Any:
    """The one document of a stream of libyaml events, as plain dicts, lists and scalars."""
    if not isinstance(parser.get_event(), StreamStartEvent):
        raise NeedsPositions
    start = parser.get_event()
    if not isinstance(start, DocumentStartEvent) or start.version or start.tags:
        raise NeedsPositions  # an empty file, or a %YAML or %TAG directive
    node = _positioned if positions else _node
    document = node(parser, parser.get_event(), {}, 0)
    if not isinstance(parser.get_event(), DocumentEndEvent):
        raise NeedsPositions
    if not isinstance(parser.get_event(), StreamEndEvent):
        raise NeedsPositions  # a second document
    return document


def _node(parser: Any, event: Any, resolved: dict[str, Any], depth: int) -> Any:
    if getattr(event, "anchor", None) is not None or getattr(event, "tag", None) is not None:
        raise NeedsPositions
    if isinstance(event, ScalarEvent):
        if event.style in _BLOCK_STYLES:
            raise NeedsPositions
        return _plain_scalar(event.value, resolved) if event.implicit[0] else event.value
    if depth >= _NESTING:
        raise NeedsPositions
    if isinstance(event, SequenceStartEvent):
        items = PlainSeq()
        while not isinstance(event := parser.get_event(), SequenceEndEvent):
            items.append(_node(parser, event, resolved, depth + 1))
        return items
    if isinstance(event, MappingStartEvent):
        mapping = PlainMap()
        while not isinstance(event := parser.get_event(), MappingEndEvent):
            key = _node(parser, event, resolved, depth + 1)
            if not isinstance(key, str) or key in mapping:
                raise NeedsPositions  # a key that is not a string, or a duplicate key
            mapping[key] = _node(parser, parser.get_event(), resolved, depth + 1)
        return mapping
    raise NeedsPositions  # an alias


def _positioned(parser: Any, event: Any, resolved: dict[str, Any], depth: int) -> Any:
    """`_node` building ruamel's `CommentedMap`/`CommentedSeq` with the positions ruamel's
    constructor gives them (each node's start mark; a key's and its value's; an item's)."""
    if getattr(event, "anchor", None) is not None or getattr(event, "tag", None) is not None:
        raise NeedsPositions
    if isinstance(event, ScalarEvent):
        if event.style in _BLOCK_STYLES or (event.value == "" and event.implicit[0]):
            raise NeedsPositions  # ruamel marks an empty value where the next token starts
        return _plain_scalar(event.value, resolved) if event.implicit[0] else event.value
    if depth >= _NESTING:
        raise NeedsPositions
    start = event.start_mark
    if isinstance(event, SequenceStartEvent):
        items = CommentedSeq()
        items._yaml_set_line_col(start.line, start.column)
        while not isinstance(event := parser.get_event(), SequenceEndEvent):
            mark = event.start_mark
            items._yaml_set_idx_line_col(len(items), [mark.line, mark.column])
            items.append(_positioned(parser, event, resolved, depth + 1))
        return items
    if isinstance(event, MappingStartEvent):
        mapping = CommentedMap()
        mapping._yaml_set_line_col(start.line, start.column)
        while not isinstance(event := parser.get_event(), MappingEndEvent):
            key_mark = event.start_mark
            key = _positioned(parser, event, resolved, depth + 1)
            if not isinstance(key, str) or key in mapping:
                raise NeedsPositions  # a key that is not a string, or a duplicate key
            value_event = parser.get_event()
            value_mark = value_event.start_mark
            mapping._yaml_set_kv_line_col(
                key, [key_mark.line, key_mark.column, value_mark.line, value_mark.column]
            )
            mapping[key] = _positioned(parser, value_event, resolved, depth + 1)
        return mapping
    raise NeedsPositions  # an alias


def validate_plain(data: bytes, model: type[FileModel]) -> tuple[Any, FileModel]:
    """`validate_yaml` for the fast reader: the file's data and model, or `NeedsPositions`
    when anything would be a problem (which then needs its line). The data is a `PlainMap`,
    which stands in for the `CommentedMap` the checks read until they ask for a line."""
    key = model.top_key()
    doc = parse_plain(data)
    if not isinstance(doc, PlainMap) or key not in doc:
        raise NeedsPositions
    try:
        return doc, model.model_validate(doc)
    except ValidationError:
        raise NeedsPositions from None
