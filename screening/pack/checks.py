"""Checks that span a pack's files: ids, references, sizes, follow-up cycles and depth,
rules that can never hold (the satisfiability search) and the wording guard.

The follow-up graph is `graph.py`, the wording guard `guard.py`, and a condition's leaves
and size come from the one walk over conditions (`screening.algebra`).
Every check that can run does, so a reviewer sees all problems in one pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from ruamel.yaml.comments import CommentedMap

from screening.algebra import Tri, condition_items, condition_size, leaves
from screening.catalogue import N_, Said
from screening.errors import Problem
from screening.hidden import DEFAULT_SCRIPTS
from screening.language import NO_VOCABULARY, Vocabulary
from screening.limits import (
    MAX_COMBINATIONS_PER_PACK,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_NODES,
    MAX_FOLLOW_UP_DEPTH,
    MAX_ITEMS,
    MAX_ITEMS_PER_CONDITION_CHECKED,
    MAX_RULES,
    MAX_SOURCES,
)
from screening.logic import compile_value, visible_states
from screening.models import ANSWERS, Condition, Item, Rule, Source
from screening.pack.graph import cyclic_components, path_back, with_parents
from screening.pack.guard import guard_wording
from screening.pack.salvage import Refused
from screening.pack.source_checks import citation_problems, statement_problems
from screening.pack.yaml_files import line_of

RESERVED_COLUMNS = ("row", "record_id", "pack_name", "pack_version", "pack_sha256")
"""The batch results table's own columns (`screening.batch.run`); an item or rule id equal
to one would be read as it, or clash with it, so `check` refuses it."""


def _item_refs(
    raw: Any, condition: Condition, negated_only: bool = False
) -> Iterator[tuple[str, int | None]]:
    """Every item a condition reads (or only those under a `not`), with the line naming it."""
    for leaf in leaves(condition):
        if leaf.negated or not negated_only:
            at = raw
            for key in leaf.path:
                at = at[key]
            yield leaf.node.item, line_of(at)


class CrossChecker:
    """Checks that span files: ids, references, cycles, satisfiability and wording."""

    def __init__(
        self,
        sources: list[tuple[str, CommentedMap, Source]] | None,
        items: list[tuple[str, CommentedMap, Item]] | None,
        rules: list[tuple[str, CommentedMap, Rule]],
        *,
        files_sound: bool = True,
        scripts: tuple[str, ...] = DEFAULT_SCRIPTS,
        gatekeeping: bool = True,
        vocabulary: Vocabulary = NO_VOCABULARY,
        refused: Sequence[Refused] = (),
    ) -> None:
        """`None` stands for a sources or items file that could not be read; `files_sound`
        is false when any file was refused, so only the checks that stay meaningful run.
        `gatekeeping`: refuse gatekeeping phrases (pack schema 1.1 on). `refused`: entries
        their model refused, whose references are still checked (`salvage.py`)."""
        self.sources = sources or []
        self.items = items or []
        self.rules = rules
        self.refused = refused
        self.references_known = (
            sources is not None
            and items is not None
            and all(r.id is not None for r in refused if r.kind != "rule")
        )
        self.files_sound = files_sound
        self.scripts = scripts
        self.gatekeeping = gatekeeping
        self.vocabulary = vocabulary
        self.source_ids = {s.id for _, _, s in self.sources} | self._refused_ids("source")
        self.item_ids = {i.id for _, _, i in self.items} | self._refused_ids("item")

    def _refused_ids(self, kind: str) -> set[str]:
        return {r.id for r in self.refused if r.kind == kind and r.id is not None}

    def problems(self) -> list[Problem]:
        found = [
            *self._duplicates("source", self.sources),
            *self._duplicates("item", self.items),
            *self._duplicates("rule", self.rules),
            *self._reserved(),
        ]
        found += statement_problems(self.sources, self.rules)
        if self.references_known:
            cited = citation_problems(self.sources, self.items, self.rules, self.refused)
            found += [*cited, *self._item_references()]
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
                message = Said(_DUPLICATE[what], where=where)
                yield Problem(shown, message, line_of(raw), model.id)
            else:
                first[model.id] = (shown, line_of(raw))

    def _reserved(self) -> Iterator[Problem]:
        entries: list[tuple[str, CommentedMap, Item | Rule]] = [*self.items, *self.rules]
        for shown, raw, model in entries:
            if model.id in RESERVED_COLUMNS:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "'{id}' is a column of the batch results table ({columns}): give "
                            "another id"
                        ),
                        id=model.id,
                        columns=", ".join(RESERVED_COLUMNS),
                    ),
                    line_of(raw),
                    model.id,
                )

    def _item_references(self) -> Iterator[Problem]:
        conditions = [
            *(
                (s, raw, "asked_if", i.asked_if, i.id)
                for s, raw, i in self.items
                if i.asked_if is not None
            ),
            *((s, raw, "when", r.when, r.id) for s, raw, r in self.rules),
            *(
                (r.shown, r.raw, r.condition_field, r.condition, r.id)
                for r in self.refused
                if r.condition is not None
            ),
        ]
        for shown, raw, field, condition, owner in conditions:
            reads = (
                N_("asked_if reads unknown item '{item}'")
                if field == "asked_if"
                else N_("condition reads unknown item '{item}'")
            )
            for ref, line in _item_refs(raw[field], condition):
                if ref not in self.item_ids:
                    yield Problem(shown, Said(reads, item=ref), line, owner)

    def _sizes(self) -> list[Problem]:
        """Counts and condition sizes within their bounds, checked in one linear pass."""
        found: list[Problem] = []
        for what, entries, bound in (
            (N_("items"), self.items, MAX_ITEMS),
            (N_("rules"), self.rules, MAX_RULES),
            (N_("sources"), self.sources, MAX_SOURCES),
        ):
            if len(entries) > bound:
                shown, raw, _ = entries[bound]
                found.append(
                    Problem(
                        shown,
                        Said(
                            N_("the pack has {count} {what}; at most {limit} are read"),
                            count=f"{len(entries):,}",
                            what=Said(what),
                            limit=f"{bound:,}",
                        ),
                        line_of(raw),
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
                        Said(
                            N_(
                                "{field} has {nodes} parts nested {depth} deep; a condition may "
                                "have at most {most} parts nested {deepest} deep"
                            ),
                            field=field,
                            nodes=str(nodes),
                            depth=str(depth),
                            most=str(MAX_CONDITION_NODES),
                            deepest=str(MAX_CONDITION_DEPTH),
                        ),
                        line_of(raw[field]),
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
        component = cyclic_components(depends)
        reported: set[int] = set()
        for shown, raw, item in self.items:
            group = component.get(item.id)
            if group is None or group in reported:
                continue
            reported.add(group)
            cycle = path_back(item.id, depends, component)
            yield Problem(
                shown,
                Said(N_("asked_if is circular: {cycle}"), cycle=" -> ".join([*cycle, cycle[0]])),
                line_of(raw.get("asked_if", raw)),
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
                        Said(
                            N_(
                                "follow-up chain is {depth} questions deep; at most {most} "
                                "follow-ups may hang one below another"
                            ),
                            depth=str(depth[item.id]),
                            most=str(MAX_FOLLOW_UP_DEPTH),
                        ),
                        line_of(raw["asked_if"]),
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
                        Said(
                            N_(
                                "'not' over the follow-up item '{item}': when it is not asked, "
                                "the condition would hold for no reason; name the answers that "
                                "should count"
                            ),
                            item=ref,
                        ),
                        line,
                        owner,
                    )

    def _never_holds(self) -> Iterator[Problem]:
        """Try every Yes / No / Unknown combination, with follow-ups hidden as the form hides
        them; refuse a condition too large to try rather than pass it unchecked."""
        asked_if = {i.id: compile_value(i.asked_if) for _, _, i in self.items if i.asked_if}
        parents = {
            i.id: condition_items(i.asked_if) for _, _, i in self.items if i.asked_if is not None
        }
        budget = MAX_COMBINATIONS_PER_PACK
        for shown, raw, rule in self.rules:
            refs = with_parents(condition_items(rule.when), parents)
            if len(refs) > MAX_ITEMS_PER_CONDITION_CHECKED:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "condition reads {count} questions, counting those their follow-ups "
                            "depend on; at most {most} can be checked, so split it"
                        ),
                        count=str(len(refs)),
                        most=str(MAX_ITEMS_PER_CONDITION_CHECKED),
                    ),
                    line_of(raw["when"]),
                    rule.id,
                )
                continue
            budget -= 3 ** len(refs)
            if budget < 0:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "the pack's conditions are too many or too large to check (over "
                            "{most} combinations); simplify them"
                        ),
                        most=f"{MAX_COMBINATIONS_PER_PACK:,}",
                    ),
                    line_of(raw["when"]),
                    rule.id,
                )
                return
            holds = compile_value(rule.when)
            combos = itertools.product(ANSWERS, repeat=len(refs))
            if not any(
                holds(visible_states(dict(zip(refs, combo, strict=True)), asked_if)) is Tri.TRUE
                for combo in combos
            ):
                yield Problem(
                    shown,
                    Said(N_("condition can never hold, whatever the answers")),
                    line_of(raw["when"]),
                    rule.id,
                )

    def _wording(self) -> Iterator[Problem]:
        """Every text a reader sees; a citation is quoted as published, so only what would
        hide or reorder its letters is refused there, not its words."""
        guard = partial(
            guard_wording,
            scripts=self.scripts,
            gatekeeping=self.gatekeeping,
            vocabulary=self.vocabulary,
        )
        for shown, raw, rule in self.rules:
            texts = {f: getattr(rule, f) for f in ("section", "summary", "text", "rationale")}
            yield from guard(shown, raw, texts, rule.id)
            for index, said in enumerate(rule.source_says):
                # A statement is the source's own words, shown attributed with its strength:
                # a source's "do not", "should not be used" or "avoid until" is what it quotes,
                # so gatekeeping phrases pass there; verdict words never do, quoted or not.
                raw_said = raw["source_says"][index]
                prefix = f"source_says[{index + 1}]."
                yield from guard(shown, raw_said, {"section": said.section}, rule.id, prefix)
                yield from guard(
                    shown,
                    raw_said,
                    {"statement": said.statement},
                    rule.id,
                    prefix,
                    gatekeeping=False,
                )
        for shown, raw, item in self.items:
            texts = {f: getattr(item, f) for f in ("section", "label", "question", "help")}
            yield from guard(shown, raw, texts, item.id)
        for shown, raw, source in self.sources:
            fields = ("revised", "sections", "grade", "note", "short_name")
            yield from guard(shown, raw, {f: getattr(source, f) for f in fields}, source.id)
            quoted = {f: getattr(source, f) for f in ("citation", "doi", "url")}
            yield from guard(shown, raw, quoted, source.id, wording=False)


_DUPLICATE = {
    "source": N_("duplicate source id (first defined at {where})"),
    "item": N_("duplicate item id (first defined at {where})"),
    "rule": N_("duplicate rule id (first defined at {where})"),
}
