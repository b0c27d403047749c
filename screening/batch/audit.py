"""The quality team's picture: per rule how often it was raised or left open, per item how
often it was unknown, not assessed or not asked, over a whole table of answer sets.

From an answers table both are counted; from a results table (made by `batch`) the rule
counts only, since results hold no answers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from screening.algebra import STATES
from screening.batch import vector
from screening.batch.run import OPEN, PACK_COLUMNS, RAISED, RESERVED, BatchResult
from screening.catalogue import N_, Said, _
from screening.errors import AnswersError, Problem
from screening.models import Kind, RulePack
from screening.text import printable

RULE_STATES = ("raised", "open", "not_raised")
RULE_ID = re.compile(r"[a-z][a-z0-9_-]{0,79}")
"""A results column other than row, record_id and the pack's is named by a rule id."""
ITEM_STATES = (*STATES, "not_asked")


@dataclass(frozen=True)
class RuleCounts:
    rule_id: str
    raised: int
    open: int
    not_raised: int
    headline: str = ""
    """What the rule raises, in one line, as its pack says; empty when no pack at hand has it."""
    kind: Kind | None = None


@dataclass(frozen=True)
class ItemCounts:
    item_id: str
    yes: int
    no: int
    unknown: int
    not_assessed: int
    not_asked: int
    label: str = ""
    """The item's short label, as its pack names it."""


NAMES = frozenset({"headline", "kind", "label"})
"""What a view shows beside the counts; the counts' JSON is the counts alone, as it always was."""


@dataclass(frozen=True)
class Audit:
    """Counts over the evaluated answer sets; `refused` rows are not in them."""

    source: str
    pack_name: str
    pack_version: str
    pack_sha256: str
    sets: int
    refused: int
    rules: tuple[RuleCounts, ...]
    items: tuple[ItemCounts, ...]


def audit_result(result: BatchResult) -> Audit:
    """Count an evaluated answers table: rules and items."""
    sets = len(result.accepted)
    rules = []
    for rule in result.pack.rules:
        counts = np.bincount(result.values[rule.id], minlength=3)
        rules.append(
            RuleCounts(
                rule.id,
                int(counts[vector.TRUE]),
                int(counts[vector.OPEN]),
                int(counts[vector.FALSE]),
                headline=rule.headline,
                kind=rule.kind,
            )
        )
    items = []
    for item in result.pack.items:
        counts = np.bincount(result.visible[item.id], minlength=5)
        items.append(
            ItemCounts(
                item.id,
                yes=int(counts[vector.YES]),
                no=int(counts[vector.NO]),
                unknown=int(counts[vector.UNKNOWN]),
                not_assessed=int(counts[vector.BLANK]),
                not_asked=int(counts[vector.HIDDEN]),
                label=item.label,
            )
        )
    meta = result.pack.meta
    return Audit(
        result.source,
        meta.name,
        meta.version,
        result.pack.sha256,
        sets,
        result.refused_rows,
        tuple(rules),
        tuple(items),
    )


def audit_named(audit: Audit, pack: RulePack) -> Audit:
    """The audit with its rules and items named by `pack` where it has them: a results table
    holds rule ids only, and may come from another pack than the one in use."""
    rules = {r.id: r for r in pack.rules}
    named = tuple(
        replace(r, headline=rules[r.rule_id].headline, kind=rules[r.rule_id].kind)
        if r.rule_id in rules
        else r
        for r in audit.rules
    )
    items = tuple(
        replace(i, label=pack.item(i.item_id).label) if pack.has_item(i.item_id) else i
        for i in audit.items
    )
    return replace(audit, rules=named, items=items)


def is_results_table(table: pa.Table) -> bool:
    """A table made by `batch`: it names its pack."""
    return all(c in table.column_names for c in PACK_COLUMNS)


def audit_results_table(table: pa.Table, source: str) -> Audit:
    """Count a results table's rule columns; refuse it whole if any cell is not a result."""
    packs = {c: pc.unique(table.column(c).cast(pa.string())).to_pylist() for c in PACK_COLUMNS}
    if any(len(v) > 1 for v in packs.values()):
        raise AnswersError(
            [Problem(source, Said(N_("results of more than one rule pack: audit each")))]
        )
    name, version, sha256 = (str(v[0]) if v else "" for v in packs.values())
    rules = []
    for column in (c for c in table.column_names if c not in RESERVED):
        if not RULE_ID.fullmatch(column):
            raise AnswersError(
                [
                    Problem(
                        source,
                        Said(N_("not a results column: its name is not a rule id")),
                        ref=column,
                    )
                ]
            )
        values = table.column(column).cast(pa.string()).fill_null("")
        counts = dict(zip(*_value_counts(values), strict=True))
        bad = sorted(set(counts) - {RAISED, OPEN, ""})
        if bad:
            raise AnswersError(
                [
                    Problem(
                        source,
                        Said(
                            N_("not a results column: holds {value}, expected {expected}"),
                            value=json.dumps(bad[0]),
                            expected=Said(
                                N_("{some} or empty"),
                                some=", ".join(json.dumps(r) for r in (RAISED, OPEN)),
                            ),
                        ),
                        ref=column,
                    )
                ]
            )
        rules.append(
            RuleCounts(column, counts.get(RAISED, 0), counts.get(OPEN, 0), counts.get("", 0))
        )
    return Audit(source, name, version, sha256, table.num_rows, 0, tuple(rules), ())


def _value_counts(values: pa.ChunkedArray) -> tuple[list[str], list[int]]:
    counted = pc.value_counts(values)
    return counted.field("values").to_pylist(), counted.field("counts").to_pylist()


def _share(count: int, total: int) -> str:
    return f"{count:,} ({100 * count / total:.1f}%)" if total else f"{count:,}"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if k == 0 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def audit_text(audit: Audit) -> str:
    """The audit as aligned plain-text tables, counts with their share of evaluated sets."""
    lines = [
        printable(
            _("Audit of {source}: rule pack {name} {version} (sha256 {sha256})").format(
                source=audit.source,
                name=audit.pack_name,
                version=audit.pack_version,
                sha256=audit.pack_sha256,
            )
        ),
        (
            _("{sets} answer sets evaluated; {refused} refused (not counted)")
            if audit.refused
            else _("{sets} answer sets evaluated")
        ).format(sets=f"{audit.sets:,}", refused=f"{audit.refused:,}"),
        "",
    ]
    rule_rows = [[_("rule"), _("raised"), _("open"), _("not raised")]] + [
        [r.rule_id, *(_share(n, audit.sets) for n in (r.raised, r.open, r.not_raised))]
        for r in audit.rules
    ]
    lines += _columns(rule_rows)
    if audit.items:
        heading = [_("item"), _("yes"), _("no"), _("unknown"), _("not assessed"), _("not asked")]
        item_rows = [heading] + [
            [
                i.item_id,
                *(
                    _share(n, audit.sets)
                    for n in (i.yes, i.no, i.unknown, i.not_assessed, i.not_asked)
                ),
            ]
            for i in audit.items
        ]
        lines += ["", *_columns(item_rows)]
    else:
        lines += [
            "",
            _("Items: not counted (a results table holds no answers; audit the answers)."),
        ]
    return "\n".join(lines) + "\n"


def audit_json(audit: Audit) -> str:
    data = asdict(audit)
    for part in ("rules", "items"):
        data[part] = [{k: v for k, v in row.items() if k not in NAMES} for row in data[part]]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def audit_csv(audit: Audit) -> str:
    """One line per count, `what,id,state,count`: easy to pivot or chart."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["what", "id", "state", "count"])
    for r in audit.rules:
        writer.writerows(("rule", r.rule_id, s, getattr(r, s)) for s in RULE_STATES)
    for i in audit.items:
        writer.writerows(("item", i.item_id, s, getattr(i, s)) for s in ITEM_STATES)
    return out.getvalue()
