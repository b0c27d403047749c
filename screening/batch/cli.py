"""The quality team's and the committee's commands: `batch`, `audit` and `impact`.

Registered on the main CLI in `screening.cli.shell`; errors are rendered there. Exit codes as
everywhere: 0 done, 1 refused or bad input (for `batch` and `audit`: any row refused),
2 usage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from screening.batch.audit import (
    Audit,
    audit_csv,
    audit_json,
    audit_result,
    audit_results_table,
    audit_text,
    is_results_table,
)
from screening.batch.impact import impact_json, impact_markdown, impact_of
from screening.batch.run import BatchResult, results_table, run_batch, table_bytes
from screening.batch.table import (
    CellProblem,
    code_table,
    problems_csv,
    raw_table_path,
    read_table_path,
)
from screening.catalogue import _, worded
from screening.cli.shared import (
    check_output,
    file_option,
    format_option,
    lang_option,
    print_report,
    rules_option,
    write_output,
)
from screening.cli.usage import Choice
from screening.models import RulePack
from screening.pack.loader import display_path, load_pack
from screening.text import printable

RESULTS_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
SHOWN_PROBLEMS = 10
"""Problems printed on stderr by `audit`; the rest are counted (`batch` writes them all)."""

engine_option = click.option(
    "--engine",
    type=Choice(["pandas", "dask"]),
    default="pandas",
    show_default=True,
    help="pandas: in memory on this machine. dask: a Parquet file or folder of files, "
    "partition by partition, on the local scheduler or the cluster given by --scheduler.",
)
scheduler_option = click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Address of a dask.distributed scheduler (e.g. tcp://10.0.0.5:8786); needs --engine dask. "
    "Its scheduler and workers must import screening at this version, or the run is refused "
    "before any work is sent.",
)
report_out_option = file_option("--out", "out", "Write here instead of stdout.")
ship_option = click.option(
    "--ship-package",
    "ship",
    is_flag=True,
    help="Send this screening package to the --scheduler's nodes before the run (they need "
    "its dependencies installed), instead of installing it on every node.",
)


def _evaluate(
    pack: RulePack, answers: Path, engine: str, scheduler: str | None, ship: bool
) -> BatchResult:
    shown = display_path(answers)
    if scheduler is not None and engine != "dask":
        raise click.UsageError(_("--scheduler needs --engine dask"))
    if ship and scheduler is None:
        raise click.UsageError(_("--ship-package needs --scheduler"))
    if engine == "dask":
        from screening.batch.dask_engine import run_dask  # noqa: PLC0415 - loads Dask

        return run_dask(pack, answers, shown, scheduler, ship=ship)
    return run_batch(pack, read_table_path(answers, shown, pack))


def default_problems_path(out: Path) -> Path:
    """`results.parquet` -> `results.problems.csv`, beside the results."""
    return out.with_name(f"{out.stem}.problems.csv")


def _say_refused(problems: tuple[CellProblem, ...], refused: int, total: int) -> None:
    click.echo(_("{n} answer set(s) refused:").format(n=f"{refused:,}"), err=True)
    for p in problems[:SHOWN_PROBLEMS]:
        line = _("  row {row}: {column}: {reason} (got {value})").format(
            row=p.row, column=p.column or _("(row)"), reason=worded(p.reason), value=repr(p.value)
        )
        click.echo(printable(line), err=True)
    shown = min(len(problems), SHOWN_PROBLEMS)
    more = max(total, len(problems)) - shown
    if more > 0:
        click.echo(_("  ... and {n} more problem(s)").format(n=f"{more:,}"), err=True)


@click.command()
@click.argument("answers", metavar="ANSWERS", type=click.Path(path_type=Path))
@click.option(
    "--out",
    metavar="RESULTS",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Results file: .parquet (or .pq) or .csv.",
)
@file_option(
    "--problems",
    "problems_out",
    "Problems file (CSV: row, column, value, reason); default RESULTS' name with "
    ".problems.csv, beside it.",
)
@rules_option
@engine_option
@scheduler_option
@ship_option
@lang_option
def batch(
    *,
    answers: Path,
    out: Path,
    problems_out: Path | None,
    rules_dir: Path,
    engine: str,
    scheduler: str | None,
    ship: bool,
) -> None:
    """Evaluate every answer set in ANSWERS (CSV, Parquet or JSON Lines) into RESULTS.

    Rows with a bad cell are left out and listed in the problems file; exit 1 if any was.
    """
    fmt = RESULTS_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(_("RESULTS must end in .parquet, .pq or .csv"), param_hint="--out")
    problems_path = problems_out or default_problems_path(out)
    inputs = (answers, rules_dir)
    if os.path.abspath(out) == os.path.abspath(problems_path):
        raise click.BadParameter(
            _("the problems file must not be the results file"), param_hint="--problems"
        )
    for path in (out, problems_path):
        check_output(path, inputs)  # both refused or accepted before any work or any write
    pack = load_pack(rules_dir)
    result = _evaluate(pack, answers, engine, scheduler, ship)
    # Both made whole before either is written: a run that fails writes nothing.
    results = table_bytes(results_table(result), fmt)
    problems = problems_csv(result.problems, result.problem_count)
    write_output(results, out, inputs)
    write_output(problems, problems_path, inputs)
    evaluated = _("{accepted} of {rows} answer sets evaluated with {pack} {version} into {file}")
    click.echo(
        printable(
            evaluated.format(
                accepted=f"{len(result.accepted):,}",
                rows=f"{result.rows:,}",
                pack=pack.meta.name,
                version=pack.meta.version,
                file=display_path(out),
            )
        ),
        err=True,
    )
    if result.refused_rows:
        click.echo(printable(_refused_line(result, display_path(problems_path))), err=True)
        sys.exit(1)


def _refused_line(result: BatchResult, problems_file: str) -> str:
    """How many rows `batch` refused, and where their problems are listed."""
    words = {
        "refused": f"{result.refused_rows:,}",
        "n": f"{result.problem_count:,}",
        "listed": f"{len(result.problems):,}",
        "file": problems_file,
    }
    if result.problem_count > len(result.problems):
        return _("{refused} refused: {n} problem(s), the first {listed} listed, in {file}").format(
            **words
        )
    return _("{refused} refused: {n} problem(s) in {file}").format(**words)


def _audit(
    table: Path, rules_dir: Path, engine: str, scheduler: str | None, ship: bool
) -> tuple[Audit, BatchResult | None]:
    """A results table is counted as it is; an answers table is evaluated first."""
    if engine == "pandas" and scheduler is None and not ship:
        shown = display_path(table)
        raw, problems = raw_table_path(table, shown)
        if is_results_table(raw):
            return audit_results_table(raw, shown), None
        pack = load_pack(rules_dir)
        result = run_batch(pack, code_table(raw, problems, shown, pack))
    else:
        result = _evaluate(load_pack(rules_dir), table, engine, scheduler, ship)
    return audit_result(result), result


@click.command()
@click.argument("table", metavar="RESULTS_OR_ANSWERS", type=click.Path(path_type=Path))
@format_option(["table", "json", "csv"], "table")
@report_out_option
@rules_option
@engine_option
@scheduler_option
@ship_option
@lang_option
def audit(
    *,
    table: Path,
    fmt: str,
    out: Path | None,
    rules_dir: Path,
    engine: str,
    scheduler: str | None,
    ship: bool,
) -> None:
    """Per rule, how many answer sets raised it or left it open; per item, how often it was
    unknown, not assessed or not asked. Exit 1 if any answer set was refused."""
    report, result = _audit(table, rules_dir, engine, scheduler, ship)
    render = {"table": audit_text, "json": audit_json, "csv": audit_csv}[fmt]
    print_report(render(report), out, (table, rules_dir))
    if result is not None and result.refused_rows:
        _say_refused(result.problems, result.refused_rows, result.problem_count)
        sys.exit(1)


@click.command("impact")
@click.argument("old_rules", type=click.Path(path_type=Path, file_okay=False))
@click.argument("new_rules", type=click.Path(path_type=Path, file_okay=False))
@click.argument("answers", metavar="ANSWERS", type=click.Path(path_type=Path))
@format_option(["markdown", "json"], "markdown")
@report_out_option
@lang_option
def impact_command(
    old_rules: Path, new_rules: Path, answers: Path, fmt: str, out: Path | None
) -> None:
    """What NEW_RULES would change, against OLD_RULES, for the answer sets in ANSWERS:
    per rule, how many gain or lose its entry or move between raised and open."""
    old_pack, new_pack = load_pack(old_rules), load_pack(new_rules)
    shown = display_path(answers)
    result = impact_of(old_pack, new_pack, raw_table_path(answers, shown), shown)
    if fmt == "json":
        text = impact_json(result)
    else:
        text = impact_markdown(result, display_path(old_rules), display_path(new_rules))
    print_report(text, out, (old_rules, new_rules, answers))
