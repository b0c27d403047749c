"""The review document: every item, rule and source of a pack in plain English, for a committee.

Someone who never saw YAML reads it to approve a pack: conditions are sentences, each rule
shows its rationale and full sources, and the vignettes that exercise it. Markdown is the
one rendering; HTML is that Markdown through a CommonMark library with raw HTML disabled,
so no text from a rule file can become markup. CSV has one row per rule, for spreadsheets.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence

from markdown_it import MarkdownIt

from screening.algebra import condition_items
from screening.catalogue import _, active_language
from screening.citations import source_block, source_markdown, source_text
from screening.describe import describe_condition, item_list
from screening.language import DISCLAIMER
from screening.markdown import md_escape
from screening.models import Item, Rule, RulePack, Source
from screening.pack.record_map import RecordMap
from screening.pack.scenarios import ScenarioResult
from screening.review.record import record_markdown
from screening.statements import statement_ref, statement_text
from screening.text import inert_cell
from screening.words import ANSWER_WORDS, KIND_WORDS, STATUS_WORDS, by_section, section_rank


def _emphasised(label: str) -> str:
    return f"*{md_escape(label)}*"


def condition_markdown(rule_or_item: Rule | Item, pack: RulePack) -> str:
    """The rule's condition, or the item's `asked_if`, as a sentence with item labels in italics."""
    condition = rule_or_item.when if isinstance(rule_or_item, Rule) else rule_or_item.asked_if
    if condition is None:
        return ""
    return describe_condition(condition, pack, label=_emphasised)


def _source_line(source: Source) -> str:
    return f"{source_markdown(source)} (`{source.id}`)"


def _code_list(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


class _Usage:
    """Who reads and cites what, so each part of the document can point to the others."""

    def __init__(self, pack: RulePack, results: Sequence[ScenarioResult]) -> None:
        self.rules_reading = {
            item.id: [r.id for r in pack.rules if item.id in condition_items(r.when)]
            for item in pack.items
        }
        self.followups = {
            item.id: [
                i.id
                for i in pack.items
                if i.asked_if is not None and item.id in condition_items(i.asked_if)
            ]
            for item in pack.items
        }
        self.citing = {
            s.id: (
                [i.id for i in pack.items if s.id in i.sources],
                [r.id for r in pack.rules if s.id in r.sources],
            )
            for s in pack.sources
        }
        self.held_in = {
            r.id: [x.scenario.id for x in results if r.id in x.held] for r in pack.rules
        }
        self.kept_open_in = {
            r.id: [x.scenario.id for x in results if r.id in x.scenario.open] for r in pack.rules
        }
        self.kept_off_in = {
            r.id: [x.scenario.id for x in results if _expects_absent(x, r.id)] for r in pack.rules
        }


def _expects_absent(result: ScenarioResult, rule_id: str) -> bool:
    scenario = result.scenario
    if scenario.nothing_else:
        return rule_id not in scenario.present and rule_id not in scenario.open
    return rule_id in scenario.absent


def _rule_order(pack: RulePack) -> list[Rule]:
    """Rules in the order of the form's sections, as the checklist lists its entries."""
    rank = section_rank(pack.sections)
    return sorted(pack.rules, key=lambda r: rank(r.section))


def review_markdown(
    pack: RulePack, results: Sequence[ScenarioResult] = (), record: RecordMap | None = None
) -> str:
    """The whole review document as Markdown; with the pack's `record` mapping, its part on
    answers drawn from the record."""
    usage = _Usage(pack, results)
    lines = [
        "# " + _("Rule pack for review: {name}").format(name=md_escape(pack.meta.name)),
        "",
        f"> {md_escape(_(DISCLAIMER))}",
        "",
        *_front_matter(pack, results),
        *_how_to_read(),
        *_items_part(pack, usage),
        *_rules_part(pack, usage, bool(results)),
        *record_markdown(record, pack),
        *_vignettes_part(pack, results),
        *_sources_part(pack, usage),
    ]
    return "\n".join(lines) + "\n"


def _front_matter(pack: RulePack, results: Sequence[ScenarioResult]) -> list[str]:
    meta = pack.meta
    passed = sum(r.passed for r in results)
    vignettes = (
        _("{n} vignettes, {passed} passing").format(n=len(results), passed=passed)
        if results
        else _("no vignettes found")
    )
    reviewers = md_escape(", ".join(meta.reviewers)) or _("none recorded yet")
    contents = _(
        "{items} questions in {sections} sections, {rules} rules, {sources} sources, {vignettes}"
    ).format(
        items=len(pack.items),
        sections=len(pack.sections),
        rules=len(pack.rules),
        sources=len(pack.sources),
        vignettes=vignettes,
    )
    lines = [
        "- " + _("**Version:** {version}").format(version=md_escape(meta.version)),
        "- " + _("**Status:** {status}").format(status=STATUS_WORDS[meta.status]),
        "- " + _("**Date:** {date}").format(date=md_escape(meta.date)),
        "- " + _("**Reviewers:** {reviewers}").format(reviewers=reviewers),
        "- " + _("**Content fingerprint (SHA-256):** {sha256}").format(sha256=f"`{pack.sha256}`"),
        "- " + _("**Contents:** {contents}").format(contents=contents),
        "",
    ]
    if meta.description:
        lines += [md_escape(meta.description, block=True), ""]
    return lines


def _how_to_read() -> list[str]:
    return [
        "## " + _("How to read this document"),
        "",
        "- "
        + _(
            "The clinician answers each question **Yes**, **No** or **Unknown**, or leaves it "
            "unanswered."
        ),
        "- "
        + _(
            "Each rule puts one point on the discussion checklist when its condition holds. "
            "The point asks the clinician to *discuss*, *verify*, *arrange* or *document* "
            "something; it never says whether the patient should have ketamine."
        ),
        "- "
        + _(
            "**Unknown is never read as No.** When a rule's condition hinges on an answer that "
            "is Unknown or missing, the rule stays open: its point appears as a *verify* entry "
            "that names the questions still to answer."
        ),
        "- "
        + _(
            "**A question that is not asked cannot raise a point.** Follow-up questions are "
            "asked only when their condition holds; when it does not, the follow-up plays no "
            "part."
        ),
        "- "
        + _(
            "Words in *italics* name a question by its short label, as conditions use it. "
            "Ids in `code` are the stable names that the rule files and exports use."
        ),
        "- "
        + _(
            "The content fingerprint changes whenever any question, rule or source changes; "
            "a checklist records the fingerprint of the pack that produced it."
        ),
        "",
    ]


def _items_part(pack: RulePack, usage: _Usage) -> list[str]:
    lines = ["## " + _("The questions"), ""]
    number = 0
    for section, items in by_section(pack.items, lambda i: i.section).items():
        lines += [f"### {md_escape(section)}", ""]
        for item in items:
            number += 1
            lines += _item_lines(pack, usage, item, number)
    return lines


def _item_lines(pack: RulePack, usage: _Usage, item: Item, number: int) -> list[str]:
    asked = (
        _("only when {condition}").format(condition=condition_markdown(item, pack))
        if item.asked_if
        else _("always")
    )
    reading = usage.rules_reading[item.id]
    followups = usage.followups[item.id]
    question = _("**Q{number}. {question}**").format(
        number=number, question=md_escape(item.question)
    )
    lines = [
        f"{question} (`{item.id}`)",
        "",
        "- " + _("Named in conditions as: {label}").format(label=f"*{md_escape(item.label)}*"),
        "- " + _("Guidance for the clinician: {help}").format(help=md_escape(item.help)),
        "- " + _("Asked: {when}").format(when=asked),
        "- "
        + _("Read by rules: {rules}").format(rules=_code_list(reading) if reading else _("none")),
    ]
    if followups:
        lines.append(
            "- "
            + _("Decides whether these follow-ups are asked: {items}").format(
                items=_code_list(followups)
            )
        )
    return [*lines, "- " + _("Sources: {ids}").format(ids=_code_list(item.sources)), ""]


def _rules_part(pack: RulePack, usage: _Usage, has_vignettes: bool) -> list[str]:
    columns = (_("Rule"), _("Section"), _("Kind"), _("Headline"), _("When"))
    lines = [
        "## " + _("The rules"),
        "",
        "### " + _("At a glance"),
        "",
        "| " + " | ".join(columns) + " |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r.id}` | {md_escape(r.section)} | {KIND_WORDS[r.kind]} | {md_escape(r.headline)} | "
        f"{condition_markdown(r, pack)} |"
        for r in _rule_order(pack)
    ]
    lines.append("")
    for section, rules in by_section(_rule_order(pack), lambda r: r.section).items():
        lines += [f"### {md_escape(section)}", ""]
        for rule in rules:
            lines += [f"#### `{rule.id}` ({KIND_WORDS[rule.kind].lower()})", ""]
            lines += rule_markdown(rule, pack)
            if has_vignettes:
                lines += [_vignette_line(usage, rule.id), ""]
    return lines


def rule_markdown(rule: Rule, pack: RulePack) -> list[str]:
    """One rule in plain language: when it holds, the headline and point the checklist shows,
    why, and sources."""
    return [
        _("**When** {condition}, the checklist shows:").format(
            condition=condition_markdown(rule, pack)
        ),
        "",
        f"> **{md_escape(rule.headline)}**",
        ">",
        f"> **{KIND_WORDS[rule.kind]}:** {md_escape(rule.text)}",
        *[
            f"> - {md_escape(statement_text(statement_ref(s, pack.source(s.source))))}"
            for s in rule.source_says
        ],
        "",
        _("**Why:** {rationale}").format(rationale=md_escape(rule.rationale)),
        "",
        _("**Sources:**"),
        "",
        *[f"- {_source_line(pack.source(s))}" for s in rule.sources],
        "",
    ]


def _vignette_line(usage: _Usage, rule_id: str) -> str:
    held = usage.held_in[rule_id]
    kept_open, kept_off = usage.kept_open_in[rule_id], usage.kept_off_in[rule_id]
    parts = [
        _("raised in {ids}").format(ids=_code_list(held))
        if held
        else _("no vignette raises this point yet")
    ]
    if kept_open:
        parts.append(
            _("shown to stay open on an unknown answer in {ids}").format(ids=_code_list(kept_open))
        )
    if kept_off:
        parts.append(_("shown not to be raised in {ids}").format(ids=_code_list(kept_off)))
    return _("**Vignettes:** {parts}.").format(parts="; ".join(parts))


def _vignettes_part(pack: RulePack, results: Sequence[ScenarioResult]) -> list[str]:
    if not results:
        return []
    lines = [
        "## " + _("The vignettes"),
        "",
        _(
            "Each vignette is a patient described in a few sentences, the answers a clinician "
            "would give, and the rules expected on or off the checklist. Questions not listed "
            "are unanswered."
        ),
        "",
    ]
    for result in results:
        lines += _vignette_lines(pack, result)
    return lines


def _vignette_lines(pack: RulePack, result: ScenarioResult) -> list[str]:
    scenario = result.scenario
    verdict = _("passes") if result.passed else _("**FAILS**")
    answers = [
        f"*{md_escape(pack.item(i).label)}*: {ANSWER_WORDS[a]}" for i, a in scenario.answers.items()
    ]
    lines = [
        f"### `{scenario.id}` ({verdict})",
        "",
        md_escape(scenario.vignette, block=True),
        "",
        "- " + _("Answers: {answers}").format(answers="; ".join(answers) or _("none")),
    ]
    for label, ids in (
        (_("Expected to be raised: {ids}"), scenario.present),
        (_("Expected to stay open (verify): {ids}"), scenario.open),
        (_("Expected not to be raised: {ids}"), scenario.absent),
    ):
        if ids:
            lines.append("- " + label.format(ids=_code_list(ids)))
    if scenario.nothing_else:
        lines.append("- " + _("Expected not to be raised: every other rule"))
    lines += [
        "- " + _("Differs: {what}: {ids}").format(what=what, ids=_code_list(ids))
        for what, ids in result.differences
    ]
    lines.append("")
    return lines


def _sources_part(pack: RulePack, usage: _Usage) -> list[str]:
    lines = ["## " + _("The sources"), ""]
    for source in pack.sources:
        items, rules = usage.citing[source.id]
        lines += [f"### `{source.id}`", "", *source_block(source)]
        cited = [
            *([_("questions {ids}").format(ids=_code_list(items))] if items else []),
            *([_("rules {ids}").format(ids=_code_list(rules))] if rules else []),
        ]
        by = item_list(cited) or _("nothing in this pack")
        lines += ["- " + _("Cited by: {what}").format(what=by), ""]
    return lines


_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #1d2b36; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; }
blockquote { margin: 0.5rem 0; padding: 0.5rem 1rem; background: #f1f5f8;
             border-left: 4px solid #2f6f8f; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #c8d3dc; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
code { font-size: 0.9em; background: #f1f5f8; padding: 0 0.2em; }
h4 { margin-top: 2rem; }
@media print { body { max-width: none; margin: 0; } h2 { page-break-before: always; } }
"""


def review_html(
    pack: RulePack, results: Sequence[ScenarioResult] = (), record: RecordMap | None = None
) -> str:
    """The review document as one standalone HTML page; every text from the pack is escaped."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = renderer.render(review_markdown(pack, results, record))
    title = _("Rule pack for review: {name}").format(name=f"{pack.meta.name} {pack.meta.version}")
    language = html.escape(active_language())
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


CSV_COLUMNS = (
    "rule_id",
    "section",
    "kind",
    "when",
    "items_read",
    "summary",
    "text",
    "rationale",
    "source_ids",
    "sources",
    "raised_in_vignettes",
)


def review_csv(pack: RulePack, results: Sequence[ScenarioResult] = ()) -> str:
    """One row per rule, condition as a plain sentence, full citations joined by ' | '."""
    usage = _Usage(pack, results)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for rule in pack.rules:
        row = [
            rule.id,
            rule.section,
            rule.kind,
            describe_condition(rule.when, pack),
            " ".join(condition_items(rule.when)),
            rule.summary or "",
            rule.text,
            rule.rationale,
            " ".join(rule.sources),
            " | ".join(source_text(pack.source(s)) for s in rule.sources),
            " ".join(usage.held_in[rule.id]),
        ]
        writer.writerow([inert_cell(c) for c in row])
    return out.getvalue()
