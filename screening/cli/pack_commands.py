"""The rule pack's commands: `check`, `items`, `rules`, `diff`, `scenarios` and `schema`.

Each gathers its input, calls one core function and prints; errors are rendered by the
shell (`screening.cli.shell`). The review, scenario and schema modules are imported when
their command runs, so `check` and `items` start quickly (tests/test_cli_imports.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from screening.catalogue import _
from screening.cli.shared import (
    format_option,
    lang_option,
    out_option,
    print_report,
    rules_option,
    write_output,
)
from screening.describe import describe_condition
from screening.pack.loader import DEFAULT_RULES_DIR, display_path, load_pack
from screening.text import escaped_json, printable

# The commands' own modules, imported when the command runs (the module docstring says why).
# ruff: noqa: PLC0415

SCENARIOS_FOLDER = "scenarios"
"""`screening.pack.scenarios.SCENARIOS_FOLDER`, for the commands' help (a test holds them equal)."""
SCHEMA_FOLDER = "schema"
"""`screening.pack.schema.SCHEMA_FOLDER`, likewise."""


@click.command()
@rules_option
@lang_option
@click.option(
    "--coverage",
    "with_coverage",
    is_flag=True,
    help="Also list rules that no scenario makes hold and items that nothing reads; "
    "exit 1 on any gap.",
)
def check(rules_dir: Path, with_coverage: bool) -> None:
    """Validate a rule pack: exit 0 when valid, 1 with every problem listed."""
    pack = load_pack(rules_dir)
    click.echo(
        _(
            "OK: {name} {version} ({status}): {items} items, {rules} rules, {sources} sources; "
            "sha256 {sha256}"
        ).format(
            name=pack.meta.name,
            version=pack.meta.version,
            status=pack.meta.status,
            items=len(pack.items),
            rules=len(pack.rules),
            sources=len(pack.sources),
            sha256=pack.sha256,
        )
    )
    if with_coverage:
        from screening.pack.scenarios import coverage, coverage_report, run_pack_scenarios

        results = run_pack_scenarios(rules_dir, pack)
        gaps = coverage(pack, results)
        print_report(coverage_report(gaps, results))
        sys.exit(0 if gaps.complete else 1)


@click.command()
@rules_option
@lang_option
@format_option(["text", "json"], "text")
def items(rules_dir: Path, fmt: str) -> None:
    """List the form's items with their ids, sections and questions."""
    pack = load_pack(rules_dir)
    if fmt == "json":
        rows = [
            {
                "id": i.id,
                "section": i.section,
                "question": i.question,
                "label": i.label,
                "help": i.help,
                "sources": list(i.sources),
                "asked_if": i.asked_if.model_dump(mode="json", by_alias=True)
                if i.asked_if
                else None,
            }
            for i in pack.items
        ]
        click.echo(escaped_json(json.dumps(rows, indent=2, ensure_ascii=False)))
        return
    for section in pack.sections:
        click.echo(printable(section))
        for item in (i for i in pack.items if i.section == section):
            asked = ""
            if item.asked_if is not None:
                when = describe_condition(item.asked_if, pack)
                asked = " " + _("(asked only when {condition})").format(condition=when)
            click.echo(printable(f"  {item.id}: {item.question}{asked}"))


@click.command("rules")
@rules_option
@format_option(["markdown", "html", "csv"], "markdown")
@out_option("")
@lang_option
def rules_document(rules_dir: Path, fmt: str, out: Path | None) -> None:
    """Print the review document: every item and rule in plain English, with its vignettes."""
    from screening.pack.record_map import load_record_map
    from screening.pack.scenarios import run_pack_scenarios
    from screening.review.report import review_csv, review_html, review_markdown

    pack = load_pack(rules_dir)
    results = run_pack_scenarios(rules_dir, pack)
    record = load_record_map(rules_dir, pack)
    if fmt == "csv":
        text = review_csv(pack, results)
    else:
        text = (review_html if fmt == "html" else review_markdown)(pack, results, record)
    write_output(text, out, (rules_dir,))


@click.command()
@click.argument("old_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("new_dir", type=click.Path(path_type=Path, file_okay=False))
@lang_option
def diff(old_dir: Path, new_dir: Path) -> None:
    """List what changed from OLD_DIR to NEW_DIR; exit 0 whether or not they differ."""
    from screening.pack.record_map import load_record_map
    from screening.review.diff import diff_packs, diff_text

    old, new = load_pack(old_dir), load_pack(new_dir)
    records = load_record_map(old_dir, old), load_record_map(new_dir, new)
    print_report(
        diff_text(diff_packs(old, new, *records), display_path(old_dir), display_path(new_dir))
    )


@click.command()
@rules_option
@lang_option
def scenarios(rules_dir: Path) -> None:
    """Run the vignettes in the pack's scenarios/ folder: exit 0 when all pass, 1 otherwise."""
    from screening.pack.scenarios import all_passed, run_pack_scenarios, scenario_report

    pack = load_pack(rules_dir)
    results = run_pack_scenarios(rules_dir, pack)
    report = scenario_report(results, display_path(rules_dir / SCENARIOS_FOLDER))
    print_report(report)
    sys.exit(0 if all_passed(results) else 1)


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_RULES_DIR / SCHEMA_FOLDER,
    show_default="the shipped rules/schema/ folder",
    help="Folder to write the schema files to.",
)
@lang_option
def schema(out_dir: Path) -> None:
    """Write the JSON Schemas of the rule and scenario files, for editors to validate with."""
    from screening.pack.schema import schema_documents

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in schema_documents().items():
        write_output(text, out_dir / name)
        click.echo(printable(_("Wrote {file}").format(file=display_path(out_dir / name))))
