"""What a new pack version would change for real past answer sets, for the committee.

Per rule, how many answer sets gain or lose its entry, or move between raised and open,
with a few example record ids for each change. Only answer sets that both packs accept
are compared; the others are counted, so nothing drops out unseen.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from screening.batch import vector
from screening.batch.run import BatchResult, run_batch
from screening.batch.table import Raw, code_table
from screening.catalogue import N_, Words, _
from screening.markdown import md_escape
from screening.models import RulePack, RuleSetRef

EXAMPLES = 3
"""Example answer sets named per change: enough to look a few up, short enough to read."""
CHANGES: tuple[tuple[str, int, int], ...] = (
    ("gains raised", vector.FALSE, vector.TRUE),
    ("gains open", vector.FALSE, vector.OPEN),
    ("loses raised", vector.TRUE, vector.FALSE),
    ("loses open", vector.OPEN, vector.FALSE),
    ("raised to open", vector.TRUE, vector.OPEN),
    ("open to raised", vector.OPEN, vector.TRUE),
)
"""Each change: its name, the result under the old pack and under the new one."""
CHANGE_WORDS = Words(
    {
        "gains raised": N_("gains raised"),
        "gains open": N_("gains open"),
        "loses raised": N_("loses raised"),
        "loses open": N_("loses open"),
        "raised to open": N_("raised to open"),
        "open to raised": N_("open to raised"),
    }
)
"""Each change's name as the committee's page shows it (the JSON keeps the name itself)."""


@dataclass(frozen=True)
class RuleChange:
    """How many answer sets see one of `CHANGES` for a rule, and a few of them by name."""

    change: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class RuleImpact:
    """What the new pack changes for one rule; a rule in one pack only is new or removed."""

    rule_id: str
    in_old: bool
    in_new: bool
    changes: tuple[RuleChange, ...]


@dataclass(frozen=True)
class Impact:
    """Changes per rule over the answer sets both packs accept."""

    source: str
    old: RuleSetRef
    new: RuleSetRef
    sets: int
    compared: int
    refused_old: int
    refused_new: int
    rules: tuple[RuleImpact, ...]
    added: tuple[str, ...] = ()
    """Columns of the table for questions only the new pack asks: not read under the old
    pack, where these questions were not assessed (else every answered row was refused)."""


def _ref(result: BatchResult) -> RuleSetRef:
    """The pack as a checklist names it."""
    meta = result.pack.meta
    return RuleSetRef(
        name=meta.name, version=meta.version, status=meta.status, sha256=result.pack.sha256
    )


def only_in(table_columns: list[str], pack: RulePack, other: RulePack) -> tuple[str, ...]:
    """The columns for questions `pack` asks and `other` does not, in the table's order."""
    return tuple(c for c in table_columns if pack.has_item(c) and not other.has_item(c))


def impact_of(old_pack: RulePack, new_pack: RulePack, raw: Raw, shown: str) -> Impact:
    """Evaluate one answers table under each pack, and compare.

    Between versions that add questions, a table written for the new pack has columns the old
    pack does not know, which `batch` refuses as answers that would be lost. Here those
    columns are left out of the old pack's reading: under the old pack the new questions were
    not asked, so they count as not assessed. The result names them (`Impact.added`).

    A column for a question the new pack no longer asks is not left out: its answers would be
    lost without a word, so the new pack refuses those rows, and they are counted.
    """
    table, problems = raw
    added = only_in(table.column_names, new_pack, old_pack)
    old = code_table(table.drop_columns(list(added)), problems, shown, old_pack)
    new = code_table(table, problems, shown, new_pack)
    return impact(run_batch(old_pack, old), run_batch(new_pack, new), added)


def impact(
    old: BatchResult,
    new: BatchResult,
    added: tuple[str, ...] = (),
) -> Impact:
    """Compare two evaluations of the same answers table, one per pack; `added` names the
    columns the old pack's reading left out (see `impact_of`)."""
    both = np.intersect1d(old.accepted, new.accepted, assume_unique=True)
    in_old = np.searchsorted(old.accepted, both)
    in_new = np.searchsorted(new.accepted, both)
    old_ids = [r.id for r in old.pack.rules]
    new_ids = [r.id for r in new.pack.rules]
    nothing = np.zeros(len(both), dtype=np.int8)
    rules = []
    for rule_id in dict.fromkeys([*old_ids, *new_ids]):
        before = old.values[rule_id][in_old] if rule_id in old.values else nothing
        after = new.values[rule_id][in_new] if rule_id in new.values else nothing
        changes = []
        for name, was, now in CHANGES:
            hits = np.flatnonzero((before == was) & (after == now))
            if len(hits):
                examples = tuple(new.labels(in_new[hits[:EXAMPLES]]))
                changes.append(RuleChange(name, len(hits), examples))
        rules.append(
            RuleImpact(rule_id, rule_id in old.values, rule_id in new.values, tuple(changes))
        )
    return Impact(
        new.source,
        _ref(old),
        _ref(new),
        new.rows,
        len(both),
        old.refused_rows,
        new.refused_rows,
        tuple(rules),
        added,
    )


def impact_markdown(result: Impact, old_label: str, new_label: str, heading: bool = True) -> str:
    """The committee's page: a table of changes per rule, readable beside `diff`."""
    title = _("Impact of {new} on {source}").format(
        new=md_escape(new_label), source=md_escape(result.source)
    )
    lines = [f"# {title}", ""][: 2 if heading else 0]
    lines += [
        "| | " + " | ".join((_("folder"), _("rule pack"), _("version"), _("sha256"))) + " |",
        "|---|---|---|---|---|",
    ]
    for which, label, ref in ((_("old"), old_label, result.old), (_("new"), new_label, result.new)):
        lines.append(
            f"| {which} | {md_escape(label)} | {md_escape(ref.name)} | {md_escape(ref.version)} "
            f"| `{ref.sha256[:12]}` |"
        )
    compared = _("{compared} of {sets} answer sets compared.")
    lines += ["", compared.format(compared=f"{result.compared:,}", sets=f"{result.sets:,}")]
    if result.added:
        lines.append(
            _(
                "Questions only the new pack asks ({ids}): their answers are read as not "
                "assessed under the old pack, which did not ask them."
            ).format(ids=_ids(result.added))
        )
    if result.refused_old or result.refused_new:
        lines.append(
            _(
                "Not compared: {old} refused by the old pack, {new} by the new (run `batch` "
                "with each pack to see why)."
            ).format(old=f"{result.refused_old:,}", new=f"{result.refused_new:,}")
        )
    changed = [r for r in result.rules if r.changes]
    entries = _("Entries that change")
    lines += ["", f"## {entries}" if heading else f"**{entries}**", ""]
    if changed:
        columns = (_("rule"), _("change"), _("answer sets"), _("examples"))
        lines += ["| " + " | ".join(columns) + " |", "|---|---|---:|---|"]
        for rule in changed:
            note = (
                ""
                if rule.in_old and rule.in_new
                else (_(" (new)") if rule.in_new else _(" (removed)"))
            )
            for change in rule.changes:
                lines.append(
                    f"| `{rule.rule_id}`{note} | {CHANGE_WORDS[change.change]} | "
                    f"{change.count:,} | {', '.join(md_escape(e) for e in change.examples)} |"
                )
    else:
        lines.append(_("No answer set gains, loses or changes an entry."))
    unchanged = len(result.rules) - len(changed)
    if changed and unchanged:
        lines += ["", _("The other {n} rule(s): no answer set changes.").format(n=unchanged)]
    return "\n".join(lines) + "\n"


def _ids(ids: tuple[str, ...]) -> str:
    return ", ".join(f"`{md_escape(i)}`" for i in ids)


def impact_json(result: Impact) -> str:
    """The impact as JSON; each pack is named as a checklist names it (`RuleSetRef`)."""
    return json.dumps(asdict(result), indent=2, ensure_ascii=False, default=_dump) + "\n"


def _dump(value: object) -> object:
    if isinstance(value, RuleSetRef):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON data")
