"""What every command group of the CLI shares, defined once: the `--rules`, `--out` and
`--lang` options (and the shapes of `--format` and of a file option), reading an answers file,
and writing a result whole to a file or stdout, or a report to the terminal.

The command modules (`screening.cli.pack_commands`, `screening.cli.checklist_commands`,
`screening.batch.cli`, `screening.fhir.commands`, `screening.cds.commands`) import from here;
this module imports none of them, so the CLI's import graph has no cycle.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from screening.answers import read_answers_bytes
from screening.catalogue import _, available_languages, speaking
from screening.cli.usage import Choice
from screening.fhir.hidden import hidden_answers_dropped
from screening.limits import MAX_ANSWERS_BYTES
from screening.models import AnswersFile, RulePack
from screening.pack.loader import DEFAULT_RULES_DIR, display_path
from screening.reading import read_bounded
from screening.text import escaped_json, printable, printable_lines

rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_RULES_DIR,
    show_default="the shipped rules/ folder",
    help="Rule pack folder.",
)


def _speak(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Renders the whole command in the language asked for, its error messages included: the
    language holds until the outermost context closes (after the shell has said what went
    wrong), so the next command (a test's, in the same process) starts in English again."""
    if value is not None:
        ctx.find_root().with_resource(speaking(value))


lang_option = click.option(
    "--lang",
    type=Choice(available_languages()),
    callback=_speak,
    expose_value=False,
    is_eager=True,  # before the other options' callbacks, whose refusals speak its language
    help="Language of the program's own words (the pack's stay as the pack wrote them); "
    "default English.",
)


def _out_file(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    """`--out` names a file: a name ending in a slash is a folder, refused before any work."""
    if value is not None and value.endswith(("/", os.sep)):
        raise click.BadParameter(
            _("{given} names a folder; give a file name, e.g. {example}").format(
                given=repr(printable(value)), example=f"{value}checklist.json"
            )
        )
    return None if value is None else Path(value)


_Command = TypeVar("_Command", bound=Callable[..., Any])


def out_option(what: str) -> Callable[[_Command], _Command]:
    return click.option(
        "--out",
        type=click.Path(dir_okay=False),
        callback=_out_file,
        help=f"Write to this file instead of stdout{what}. A folder is refused: name the file. "
        "The file is replaced only once complete, through a fresh temporary file beside it; "
        "a new file is readable by you only.",
    )


def format_option(choices: Sequence[str], default: str) -> Callable[[_Command], _Command]:
    """`--format`: one of `choices`, `default` when not given (shown in `--help`)."""
    return click.option(
        "--format", "fmt", type=Choice(list(choices)), default=default, show_default=True
    )


def file_option(
    name: str, dest: str, help_text: str, metavar: str | None = None
) -> Callable[[_Command], _Command]:
    """An option that names one file (a folder is refused), passed as a `Path`."""
    return click.option(
        name, dest, metavar=metavar, type=click.Path(path_type=Path, dir_okay=False), help=help_text
    )


def read_answers(path: Path, pack: RulePack | None = None) -> tuple[AnswersFile, str]:
    """Read and parse an answers file; also return its name as every error shows it.

    Given the pack it is for, a file with bad values also hears of its unknown ids, and its
    answers to questions not shown given the other answers (an answers file whose parent was
    changed to No; a QuestionnaireResponse from a renderer that keeps them, lforms#185) are
    dropped, never evaluated, and named in a note on stderr.
    """
    shown = display_path(path)
    data = read_bounded(path, MAX_ANSWERS_BYTES, shown)
    answers = read_answers_bytes(data, shown, pack)
    if pack is not None:  # answers to hidden follow-ups: dropped, with a note
        answers, note = hidden_answers_dropped(pack, answers)
        if note is not None:
            click.echo(printable(_("{file}: note: {note}").format(file=shown, note=note)), err=True)
    return answers, shown


def write_output(text: str | bytes, out: Path | None, inputs: Sequence[Path] = ()) -> None:
    """Write the whole result at once, to a file or stdout: never a partial output.

    Text for stdout is made `printable_lines`: whatever the inputs hold, a terminal obeys
    none of it. A file is written through a fresh temporary file in its folder, created
    exclusively with an unpredictable name (so nothing planted there is followed or
    overwritten), then renamed into place. A link named as `--out` is written through to its
    target and kept. Refused before anything is written: one of the command's `inputs` (a
    file, or a YAML file of an input folder), a device, pipe or socket (a pipe with no
    reader would block forever), a folder, and a file the user may not write.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if out is None:
        if isinstance(text, str):  # JSON stays JSON: DEL, C1 and bidi as `\u` escapes first
            data = printable_lines(escaped_json(text)).encode("utf-8")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target, existing = check_output(out, inputs)
    _replace_file(target, data, out, existing)


def print_report(text: str, out: Path | None = None, inputs: Sequence[Path] = ()) -> None:
    """A report (a table, Markdown, a list of findings) on stdout, every line made
    `printable`, or written whole to `out` as `write_output` writes: the one way a command
    shows a text that is not JSON."""
    if out is None:
        click.echo(printable_lines(text), nl=False)
    else:
        write_output(text, out, inputs)


def check_output(out: Path, inputs: Sequence[Path] = ()) -> tuple[Path, os.stat_result | None]:
    """The file `out` writes to and its state now, or a refusal naming `out` and why."""
    if not out.name:
        raise click.ClickException(_("--out needs a file name"))
    target = Path(os.path.realpath(out)) if out.is_symlink() else out
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise _cannot_write(out, exc) from None

    def refuse(why: str) -> click.ClickException:
        return click.ClickException(printable(f"{display_path(out)}: {why}"))

    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise refuse(_("is a folder; give a file name"))
    if existing is None and not target.parent.is_dir():
        raise _cannot_write(out, FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)))
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise refuse(
            _("is not a regular file (a device, pipe or socket): give the name of a file to write")
        )
    if existing is not None and (
        not os.access(target, os.W_OK) or not existing.st_mode & stat.S_IWUSR
    ):
        raise refuse(_("is read-only: it is not replaced; give another name"))
    for given in inputs:
        if given.is_dir():
            inside = Path(os.path.realpath(target.parent)) == Path(os.path.realpath(given))
            if inside and target.suffix.lower() in (".yaml", ".yml"):
                raise refuse(
                    _("is a file of the input folder {folder}: not replaced").format(
                        folder=display_path(given)
                    )
                )
        elif existing is not None and given.exists() and os.path.samefile(target, given):
            raise refuse(_("is the input file: it is not replaced; give another name"))
    return target, existing


def _replace_file(target: Path, data: bytes, out: Path, existing: os.stat_result | None) -> None:
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as exc:
        raise _cannot_write(out, exc) from None
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            if existing is not None:
                os.fchmod(stream.fileno(), stat.S_IMODE(existing.st_mode))
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _cannot_write(out, exc) from None


def _cannot_write(out: Path, exc: OSError) -> click.ClickException:
    """The requested file's name, never the temporary one's, and why it cannot be written."""
    return click.ClickException(
        printable(
            _("{file}: cannot write: {why}").format(file=display_path(out), why=exc.strerror or exc)
        )
    )
