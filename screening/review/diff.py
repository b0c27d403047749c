"""What changed between two versions of a rule pack, field by field, in plain language.

A committee approves changes, not files: each added, removed or changed source, question
and rule is listed with the fields that differ, conditions read as sentences. A change of
content without a change of version is flagged, since checklists record the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from screening.catalogue import N_, Said, Words, _, ngettext, worded
from screening.describe import describe_condition
from screening.language import Vocabulary
from screening.markdown import md_escape
from screening.models import Item, Rule, RulePack, Source
from screening.pack.record_map import RecordMap
from screening.review.record import match_fields, orders_fields

What = Literal["pack", "source", "item", "rule", "record"]
Action = Literal["added", "removed", "changed"]

FIELD_WORDS = {
    "name": N_("name"),
    "version": N_("version"),
    "status": N_("status"),
    "date": N_("date"),
    "reviewers": N_("reviewers"),
    "description": N_("description"),
    "scripts": N_("scripts"),
    "citation": N_("citation"),
    "doi": N_("DOI"),
    "url": N_("link"),
    "revised": N_("label revision"),
    "sections": N_("sections relied on"),
    "grade": N_("evidence grade"),
    "note": N_("note"),
    "background": N_("background only"),
    "short_name": N_("short name"),
    "section": N_("section"),
    "label": N_("label"),
    "question": N_("question"),
    "help": N_("help text"),
    "asked_if": N_("asked only when"),
    "kind": N_("kind"),
    "when": N_("condition"),
    "summary": N_("headline"),
    "text": N_("checklist text"),
    "rationale": N_("rationale"),
    "sources": N_("sources"),
    "source_says": N_("what the sources say"),
}
"""How each field is named in a diff (in English: `_` words it in the render's language);
the order is the order fields are listed in."""

WHAT_WORDS = {
    "pack": N_("Pack"),
    "source": N_("Sources"),
    "item": N_("Questions"),
    "rule": N_("Rules"),
    "record": N_("Answers drawn from the record (record.yaml)"),
}
ACTION_WORDS = Words({"added": N_("added"), "removed": N_("removed"), "changed": N_("changed")})
VOCABULARY_FIELDS = {
    ("verdict", "added"): N_("verdict words added"),
    ("verdict", "removed"): N_("verdict words removed"),
    ("gatekeeping", "added"): N_("gatekeeping words added"),
    ("gatekeeping", "removed"): N_("gatekeeping words removed"),
}
"""The guard's words a language of vocabulary.yaml gained or lost, as a diff names them."""


@dataclass(frozen=True)
class FieldChange:
    """One field of one thing: its value before and after, as text (None when absent)."""

    field: str
    was: str | None
    now: str | None
    of: str | None = None
    """What the field belongs to, shown beside its name: the language of a vocabulary."""

    @property
    def name(self) -> str:
        """The field's name in the language of the render under way."""
        return f"{_(self.field)} ({self.of})" if self.of else _(self.field)


@dataclass(frozen=True)
class Change:
    """A source, question or rule that was added, removed or changed, or the pack's own data."""

    what: What
    id: str
    action: Action
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PackDiff:
    """Every change from `old` to `new`, and warnings a reviewer must act on."""

    old: RulePack
    new: RulePack
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def content_changed(self) -> bool:
        return any(c.what != "pack" for c in self.changes) or bool(self.notes)


def diff_packs(
    old: RulePack,
    new: RulePack,
    old_record: RecordMap | None = None,
    new_record: RecordMap | None = None,
) -> PackDiff:
    """Compare two validated packs: pack data, then sources, questions and rules by id, then
    the answers drawn from the record (each pack's record.yaml, when given) by match id."""
    changes = [
        *_meta_changes(old, new),
        *_by_id("source", old.sources, new.sources, old, new),
        *_by_id("item", old.items, new.items, old, new),
        *_by_id("rule", old.rules, new.rules, old, new),
        *_record_changes(old_record, new_record, old, new),
    ]
    kept = {i.id for i in new.items}
    common_old = [i.id for i in old.items if i.id in kept]
    common_new = [i.id for i in new.items if i.id in set(common_old)]
    moved = common_old != common_new
    notes = [Said(N_("The order of the questions on the form changed."))] if moved else []
    content_changed = any(c.what != "pack" for c in changes) or bool(notes)
    return PackDiff(
        old, new, tuple(changes), tuple(_warnings(old, new, content_changed)), tuple(notes)
    )


ORDERS = N_("ketamine orders")
"""The id a diff gives the record mapping's ketamine order codes and brand names."""


def _record_parts(record: RecordMap | None, pack: RulePack) -> dict[str, dict[str, str | None]]:
    if record is None:
        return {}
    parts = {m.id: match_fields(m, pack) for m in record.matches}
    parts[ORDERS] = orders_fields(record)
    return parts


def _record_changes(
    old_record: RecordMap | None, new_record: RecordMap | None, old: RulePack, new: RulePack
) -> list[Change]:
    """Each match of record.yaml added, removed or changed, field by field, and its orders."""
    before, after = _record_parts(old_record, old), _record_parts(new_record, new)
    changes = []
    for key in dict.fromkeys([*before, *after]):
        was, now = before.get(key), after.get(key)
        if was is None and now is not None:
            fields = tuple(FieldChange(f, None, v) for f, v in now.items() if v is not None)
            changes.append(Change("record", key, "added", fields))
        elif now is None and was is not None:
            fields = tuple(FieldChange(f, v, None) for f, v in was.items() if v is not None)
            changes.append(Change("record", key, "removed", fields))
        elif was is not None and now is not None and was != now:
            fields = tuple(
                FieldChange(f, was.get(f), now.get(f))
                for f in dict.fromkeys([*was, *now])
                if was.get(f) != now.get(f)
            )
            changes.append(Change("record", key, "changed", fields))
    return changes


def _warnings(old: RulePack, new: RulePack, content_changed: bool) -> list[Said]:
    found = []
    if content_changed and old.meta.version == new.meta.version:
        found.append(
            Said(
                N_(
                    "The content changed but the version is still {version}: give the changed "
                    "pack a new version number."
                ),
                version=new.meta.version,
            )
        )
    if content_changed and new.meta.status == "approved" and old.meta.date == new.meta.date:
        found.append(
            Said(
                N_(
                    "The content changed and the pack is marked approved, but its date did not "
                    "change: record when this content was reviewed."
                )
            )
        )
    removed = {VOCABULARY_FIELDS[kind, "removed"] for kind in ("verdict", "gatekeeping")}
    if any(f.field in removed for f in _vocabulary_changes(old.vocabulary, new.vocabulary)):
        found.append(
            Said(
                N_(
                    "Words were removed from the guard's vocabulary (vocabulary.yaml): `check` "
                    "no longer refuses texts that use them."
                )
            )
        )
    return found


def _value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return Said(N_("yes")) if value else Said(N_("no"))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or None
    return str(value)


def _meta_changes(old: RulePack, new: RulePack) -> list[Change]:
    was, now = old.meta.model_dump(), new.meta.model_dump()
    fields = tuple(
        FieldChange(FIELD_WORDS[k], _value(was[k]), _value(now[k]))
        for k in FIELD_WORDS
        if k in was and was[k] != now[k]
    ) + _vocabulary_changes(old.vocabulary, new.vocabulary)
    return [Change("pack", new.meta.name, "changed", fields)] if fields else []


def _vocabulary_changes(old: Vocabulary, new: Vocabulary) -> tuple[FieldChange, ...]:
    """The guard's words each language gained or lost (vocabulary.yaml), as the committee
    must review them: a word removed lets that wording through."""

    def words(vocabulary: Vocabulary) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[str]] = {}
        for lang in vocabulary.languages:
            for kind, phrases in (("verdict", lang.verdict), ("gatekeeping", lang.gatekeeping)):
                found.setdefault((lang.name, kind), []).extend(phrases)
        return found

    before, after = words(old), words(new)
    changes = []
    for key in dict.fromkeys([*before, *after]):
        language, kind = key
        gone = [w for w in before.get(key, []) if w not in after.get(key, [])]
        came = [w for w in after.get(key, []) if w not in before.get(key, [])]
        if came:
            added = VOCABULARY_FIELDS[kind, "added"]
            changes.append(FieldChange(added, None, ", ".join(came), of=language))
        if gone:
            removed = VOCABULARY_FIELDS[kind, "removed"]
            changes.append(FieldChange(removed, ", ".join(gone), None, of=language))
    return tuple(changes)


def _as_text(thing: Source | Item | Rule, field: str, pack: RulePack) -> str | None:
    """A field's value as a reader sees it: conditions as sentences, lists joined."""
    value = getattr(thing, field)
    if field in ("when", "asked_if"):
        return describe_condition(value, pack) if value is not None else None
    if field == "source_says":
        return (
            "; ".join(f'{s.source} ({s.section}), {s.strength}: "{s.statement}"' for s in value)
            or None
        )
    return _value(value)


_Thing = TypeVar("_Thing", Source, Item, Rule)
_MODELS: dict[What, type[Source | Item | Rule]] = {"source": Source, "item": Item, "rule": Rule}


def _by_id(
    what: What,
    old: Sequence[_Thing],
    new: Sequence[_Thing],
    old_pack: RulePack,
    new_pack: RulePack,
) -> list[Change]:
    """Added and removed things list every field; changed things list the fields that differ."""
    old_by_id = {t.id: t for t in old}
    new_by_id = {t.id: t for t in new}
    fields = [f for f in FIELD_WORDS if f in _MODELS[what].model_fields]
    changes = []
    for thing in old:
        if thing.id not in new_by_id:
            shown = tuple(
                FieldChange(FIELD_WORDS[f], _as_text(thing, f, old_pack), None) for f in fields
            )
            changes.append(Change(what, thing.id, "removed", tuple(c for c in shown if c.was)))
    for thing in new:
        before = old_by_id.get(thing.id)
        if before is None:
            shown = tuple(
                FieldChange(FIELD_WORDS[f], None, _as_text(thing, f, new_pack)) for f in fields
            )
            changes.append(Change(what, thing.id, "added", tuple(c for c in shown if c.now)))
        elif before != thing:
            differ = tuple(
                FieldChange(
                    FIELD_WORDS[f], _as_text(before, f, old_pack), _as_text(thing, f, new_pack)
                )
                for f in fields
                if getattr(before, f) != getattr(thing, f)
            )
            changes.append(Change(what, thing.id, "changed", differ))
    return changes


Part = tuple[Literal["word", "id", "value"], str | None]
"""A piece of a diff line: our own words, an id, or a value from a pack (None when absent)."""


@dataclass(frozen=True)
class Line:
    """One line of a diff's outline, at its depth under the group's heading."""

    depth: int
    parts: tuple[Part, ...]


def outline(diff: PackDiff) -> list[tuple[str, list[Line]]]:
    """The changes as one outline, by group heading; rendered as text and as Markdown, so the
    two always say the same."""
    groups = []
    for what, heading in WHAT_WORDS.items():
        changes = [c for c in diff.changes if c.what == what]
        notes = list(diff.notes) if what == "item" else []
        if not changes and not notes:
            continue
        lines = [Line(0, (("value", worded(note)),)) for note in notes]
        for change in changes:
            name: Part = ("id", change.id)
            if what == "pack" or (what == "record" and change.id == ORDERS):
                name = ("word", _("pack details") if what == "pack" else _(ORDERS))
            lines.append(Line(0, (name, ("word", f" ({ACTION_WORDS[change.action]})"))))
            lines += [Line(1 + d, p) for f in change.fields for d, p in _field(change.action, f)]
        groups.append((_(heading), lines))
    return groups


def _field(action: Action, field: FieldChange) -> list[tuple[int, tuple[Part, ...]]]:
    if action != "changed":
        return [
            (
                0,
                (
                    ("word", f"{field.name}: "),
                    ("value", field.now if action == "added" else field.was),
                ),
            )
        ]
    if field.was == field.now:
        reads = _("{field}: written differently, reads the same: ").format(field=field.name)
        return [(0, (("word", reads), ("value", field.now)))]
    return [
        (0, (("word", field.name),)),
        (1, (("word", _("was: ")), ("value", field.was))),
        (1, (("word", _("now: ")), ("value", field.now))),
    ]


def _text(part: Part) -> str:
    return _("(none)") if part[1] is None else worded(part[1])


def _markdown(part: Part) -> str:
    kind, text = part
    if text is None:
        return "*" + _("(none)") + "*"
    return {"word": text, "id": f"`{text}`", "value": md_escape(worded(text))}[kind]


def diff_text(diff: PackDiff, old_label: str, new_label: str) -> str:
    """The diff as plain text for a terminal or a file; every change on its own lines."""
    old, new = diff.old.meta, diff.new.meta
    comparing = _(
        "Comparing {old_label} ({old_name} {old_version}, {old_status}) "
        "with {new_label} ({new_name} {new_version}, {new_status})."
    )
    lines = [
        comparing.format(
            old_label=old_label,
            old_name=old.name,
            old_version=old.version,
            old_status=old.status,
            new_label=new_label,
            new_name=new.name,
            new_version=new.version,
            new_status=new.status,
        )
    ]
    lines += [_("Warning: {warning}").format(warning=worded(w)) for w in diff.warnings]
    if not diff.changes and not diff.notes:
        lines.append(_("No differences: the two packs hold the same content."))
        return "\n".join(lines) + "\n"
    lines.append(summary(diff))
    for heading, outlined in outline(diff):
        lines += ["", heading]
        lines += ["  " * (1 + line.depth) + "".join(map(_text, line.parts)) for line in outlined]
    return "\n".join(lines) + "\n"


def summary(diff: PackDiff) -> str:
    """One sentence counting the changes, e.g. '1 rule added, 2 questions changed.'"""
    counts = []
    for what in ("source", "item", "rule", "record"):
        for action in ("added", "removed", "changed"):
            n = sum(c.what == what and c.action == action for c in diff.changes)
            if n:
                counts.append(_count(what, action, n))
    if any(c.what == "pack" for c in diff.changes):
        counts.append(_("pack details changed"))
    counts += [worded(n).rstrip(".").lower() for n in diff.notes]
    text = ", ".join(counts) + "."
    return text[0].upper() + text[1:]


def _count(what: str, action: str, n: int) -> str:
    """'2 questions changed': a count of one kind of change, agreeing with the count."""
    said = {
        "source": ngettext("{n} source {action}", "{n} sources {action}", n),
        "item": ngettext("{n} question {action}", "{n} questions {action}", n),
        "rule": ngettext("{n} rule {action}", "{n} rules {action}", n),
        "record": ngettext("{n} record mapping {action}", "{n} record mappings {action}", n),
    }
    return said[what].format(n=n, action=ACTION_WORDS[action])


def diff_markdown(diff: PackDiff) -> str:
    """The diff as Markdown for the app: each change a list entry, every text escaped."""
    lines = []
    for heading, outlined in outline(diff):
        lines += [f"**{heading}**", ""]
        lines += [
            "    " * line.depth + "- " + "".join(map(_markdown, line.parts)) for line in outlined
        ]
        lines.append("")
    return "\n".join(lines)
