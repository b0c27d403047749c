"""Command-line shell: each command gathers input, calls one core function and prints.

Domain errors become `Error: ...` lines on stderr in one place (`_Shell.invoke`), exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from screening.engine import evaluate as evaluate_answers
from screening.engine import parse_answers
from screening.errors import PackError, ScreeningError
from screening.export import checklist_json, checklist_markdown
from screening.loader import DEFAULT_RULES_DIR, display_path, load_pack
from screening.models import RulePack


class _Shell(click.Group):
    """Turns every core error into a plain message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PackError as exc:
            click.echo(f"Error: rule pack refused ({len(exc.problems)} problem(s)):", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except ScreeningError as exc:
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"Error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(1)


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_RULES_DIR,
    show_default="the shipped rules/ folder",
    help="Rule pack folder.",
)


def write_output(text: str | bytes, out: Path | None) -> None:
    """Write the whole result at once, to a file or stdout: never a partial output."""
    if out is None:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            click.echo(text, nl=False)
        return
    tmp = out.with_name(f".{out.name}.part")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)


@click.group(cls=_Shell, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=None, version="0.1.0", prog_name="screening")
def cli() -> None:
    """Ketamine-for-pain screening checklist: a discussion checklist, never a verdict."""


@cli.command()
@rules_option
def check(rules_dir: Path) -> None:
    """Validate a rule pack: exit 0 when valid, 1 with every problem listed."""
    pack = load_pack(rules_dir)
    click.echo(
        f"OK: {pack.meta.name} {pack.meta.version} ({pack.meta.status}): "
        f"{len(pack.items)} items, {len(pack.rules)} rules, {len(pack.sources)} sources; "
        f"sha256 {pack.sha256}"
    )


@cli.command()
@rules_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
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
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for section in pack.sections:
        click.echo(section)
        for item in (i for i in pack.items if i.section == section):
            click.echo(f"  {item.id}: {item.question}")


def load_answers(path: Path, pack: RulePack) -> Any:
    """Read and evaluate an answers file, naming the file in every error."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.ClickException(f"{shown}: no such file") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{shown}: not UTF-8 text") from None
    return evaluate_answers(pack, parse_answers(text, shown), shown)


@cli.command()
@click.argument(
    "answers_file", metavar="ANSWERS.json", type=click.Path(path_type=Path, dir_okay=False)
)
@rules_option
@click.option(
    "--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True
)
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of stdout."
)
def evaluate(answers_file: Path, rules_dir: Path, fmt: str, out: Path | None) -> None:
    """Evaluate ANSWERS.json and print the discussion checklist."""
    pack = load_pack(rules_dir)
    checklist = load_answers(answers_file, pack)
    text = checklist_json(checklist) if fmt == "json" else checklist_markdown(checklist, pack)
    write_output(text, out)


def main() -> None:
    cli(prog_name="python -m screening")
