"""Command-line shell: the `screening` group, its commands, and errors rendered in one place.

Each command gathers input, calls one core function and prints. Domain errors become
`Error: ...` lines on stderr in one place (`_Shell.invoke`), exit 1; usage errors are shown
there too, in the command's language (`screening.cli.usage`), exit 2. The commands of the pack
and the checklist are in `screening.cli.pack_commands` and `screening.cli.checklist_commands`;
the batch, FHIR and CDS command groups are imported from their own modules only when named
(`LAZY_COMMANDS`), and a command imports what only it uses when it runs, so `check`, `items`
and `evaluate` start in a fraction of a second (tests/test_cli_imports.py).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from screening.catalogue import _, speaking
from screening.cli import checklist_commands, pack_commands
from screening.cli.help import HelpGroup
from screening.cli.shared import lang_option
from screening.cli.usage import typed_language, usage_error_text
from screening.errors import PackError, ScreeningError, problem_lines
from screening.text import printable
from screening.version import __version__


class _Shell(HelpGroup):
    """Turns every core error into a plain message and exit code 1, never a traceback.

    The commands of `LAZY_COMMANDS` are imported from their modules when named (or listed,
    by `--help`), as click's documentation shows for lazily loaded subcommands. Every help
    page speaks the command's language (`screening.cli.help`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, name = LAZY_COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        typed = list(ctx.args)
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:  # click's frame and words, in ours (cli/usage.py)
            with speaking(typed_language(typed)):
                click.echo(usage_error_text(exc), err=True, color=ctx.color)
            sys.exit(exc.exit_code)
        except PackError as exc:
            refused = _("Error: rule pack refused ({n} problem(s)):")
            click.echo(refused.format(n=len(exc.problems)), err=True)
            for line in problem_lines(exc.problems):
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        except ScreeningError as exc:
            for line in problem_lines(exc.problems):
                click.echo(_("Error: {problem}").format(problem=line), err=True)
            sys.exit(1)
        except BrokenPipeError:
            # The reader went away (`| head`): nothing left to say, and nobody to say it to.
            sys.stderr.close()
            sys.exit(1)
        except OSError as exc:
            problem = f"{exc.filename or ''}: {exc.strerror or exc}"
            click.echo(printable(_("Error: {problem}").format(problem=problem)), err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug must still not show a user a traceback
            click.echo(
                printable(
                    _(
                        "Error: unexpected internal error ({error}); nothing was written. "
                        "Please report it."
                    ).format(error=f"{type(exc).__name__}: {exc}")
                ),
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Shell, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="screening")
@lang_option
def cli() -> None:
    """Ketamine-for-pain screening checklist: a discussion checklist, never a verdict."""


for command in (
    pack_commands.check,
    pack_commands.items,
    checklist_commands.evaluate,
    checklist_commands.verify,
    pack_commands.rules_document,
    pack_commands.diff,
    pack_commands.scenarios,
    pack_commands.schema,
):
    cli.add_command(command)


LAZY_COMMANDS = {
    "batch": "screening.batch.cli:batch",
    "audit": "screening.batch.cli:audit",
    "impact": "screening.batch.cli:impact_command",
    "fhir": "screening.fhir.commands:fhir",
    "cds": "screening.cds.commands:cds",
}
"""Command groups that live in their own modules (which use `screening.cli.shared`)."""


def main() -> None:
    """`python -m screening`, or the `screening` command of an installed package: usage and
    error lines name the one that was typed."""
    typed = "screening" if Path(sys.argv[0]).name == "screening" else "python -m screening"
    cli(prog_name=typed)
