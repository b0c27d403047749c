"""What can still be checked of a list file (sources, items, rules) that its model refused.

Each entry is validated on its own: the sound ones are checked across the pack as any entry
is, and of each refused one its id, the sources it cites and its condition are read where
they are sound, so that `check` lists a rule's unknown item beside its invalid field in one
run. The pack stays refused: these are only more of its problems, found at once.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from screening.models import Condition, Identifier
from screening.pack.files import YamlFile

EntryKind = Literal["source", "item", "rule"]

_SOURCES: TypeAdapter[list[str]] = TypeAdapter(list[Identifier])
_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


class Refused(NamedTuple):
    """An entry its model refused, and the parts of it that could still be read."""

    kind: EntryKind
    shown: str
    raw: CommentedMap
    id: str | None
    """As written, valid or not: a reference to it is to something the pack holds."""
    sources: list[str] | None
    condition: Condition | None

    @property
    def condition_field(self) -> str:
        return "asked_if" if self.kind == "item" else "when"


_KINDS: dict[str, EntryKind] = {"sources": "source", "items": "item", "rules": "rule"}


def salvaged(
    shown: str, doc: CommentedMap, file_model: type[YamlFile], refused: list[Refused]
) -> list[tuple[str, CommentedMap, Any]] | None:
    """The sound entries of a list file its model refused, beside their YAML; what is left of
    the others goes to `refused`. `None` when the file holds no list to take entries from."""
    key = file_model.top_key()
    raws = doc.get(key)
    if not isinstance(raws, CommentedSeq):
        return None
    model = file_model.entry_model()
    sound: list[tuple[str, CommentedMap, Any]] = []
    for raw in raws:
        try:
            sound.append((shown, raw, model.model_validate(raw)))
        except ValidationError:
            refused.append(_refused(_KINDS[key], shown, raw))
    return sound


def _refused(kind: EntryKind, shown: str, raw: Any) -> Refused:
    if not isinstance(raw, CommentedMap):
        return Refused(kind, shown, CommentedMap(), None, None, None)
    given = raw.get("id")
    field = "asked_if" if kind == "item" else "when"
    return Refused(
        kind,
        shown,
        raw,
        given if isinstance(given, str) else None,
        _sound(_SOURCES, raw["sources"]) if kind != "source" and "sources" in raw else None,
        _sound(_CONDITION, raw[field]) if kind != "source" and field in raw else None,
    )


_Value = TypeVar("_Value")


def _sound(adapter: TypeAdapter[_Value], value: Any) -> _Value | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None
