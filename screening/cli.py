"""Command-line shell: each command gathers input, calls one core function and prints.

Domain errors become `Error: ...` lines on stderr in one place (`_Shell.invoke`), exit 1.
A command imports what only it uses (the PDF, signing, review, batch, FHIR and CDS modules,
and with them fpdf2, pandas, pyarrow, Dask, Starlette) when it runs, so `check`, `items` and
`evaluate` start in a fraction of a second (tests/test_cli_imports.py).
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from screening import __version__
from screening.answers import read_answers_bytes
from screening.catalogue import _
from screening.cli_options import lang_option, rules_option
from screening.describe import describe_condition
from screening.engine import evaluate as evaluate_answers
from screening.errors import (
    PackError,
    ScreeningError,
    printable,
    printable_lines,
    problem_lines,
)
from screening.export import checklist_json, checklist_markdown
from screening.fhir.response import hidden_answers_dropped
from screening.language import free_text_flags
from screening.limits import MAX_ANSWERS_BYTES, MAX_CREDENTIAL_BYTES, MAX_PDF_BYTES
from screening.models import AnswersFile, RulePack, free_texts
from screening.pack.loader import DEFAULT_RULES_DIR, display_path, load_pack
from screening.reading import read_bounded

if TYPE_CHECKING:
    from screening.pdf.signing import Identity

# The commands' own modules, imported when the command runs (the module docstring says why).
# ruff: noqa: PLC0415

SCENARIOS_FOLDER = "scenarios"
"""`screening.pack.scenarios.SCENARIOS_FOLDER`, for the commands' help (a test holds them equal)."""
SCHEMA_FOLDER = "schema"
"""`screening.pack.schema.SCHEMA_FOLDER`, likewise."""
PASSWORD_ENV = "SCREENING_SIGNING_PASSWORD"
"""`screening.pdf.signing.PASSWORD_ENV`, likewise."""


class _Shell(click.Group):
    """Turns every core error into a plain message and exit code 1, never a traceback.

    The commands of `LAZY_COMMANDS` are imported from their modules when named (or listed,
    by `--help`), as click's documentation shows for lazily loaded subcommands.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, name = LAZY_COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PackError as exc:
            click.echo(f"Error: rule pack refused ({len(exc.problems)} problem(s)):", err=True)
            for line in problem_lines(exc.problems):
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        except ScreeningError as exc:
            for line in problem_lines(exc.problems):
                click.echo(f"Error: {line}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # The reader went away (`| head`): nothing left to say, and nobody to say it to.
            sys.stderr.close()
            sys.exit(1)
        except OSError as exc:
            click.echo(printable(f"Error: {exc.filename or ''}: {exc.strerror or exc}"), err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug must still not show a user a traceback
            click.echo(
                printable(
                    f"Error: unexpected internal error ({type(exc).__name__}: {exc}); "
                    "nothing was written. Please report it."
                ),
                err=True,
            )
            sys.exit(1)


def _out_file(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    """`--out` names a file: a name ending in a slash is a folder, refused before any work."""
    if value is not None and value.endswith(("/", os.sep)):
        raise click.BadParameter(
            f"{printable(value)!r} names a folder; give a file name, e.g. {value}checklist.json"
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
            data = printable_lines(_escaped_json(text)).encode("utf-8")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target, existing = check_output(out, inputs)
    _replace_file(target, data, out, existing)


def check_output(out: Path, inputs: Sequence[Path] = ()) -> tuple[Path, os.stat_result | None]:
    """The file `out` writes to and its state now, or a refusal naming `out` and why."""
    if not out.name:
        raise click.ClickException("--out needs a file name")
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
        raise refuse("is a folder; give a file name")
    if existing is None and not target.parent.is_dir():
        raise _cannot_write(out, FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)))
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise refuse(
            "is not a regular file (a device, pipe or socket): give the name of a file to write"
        )
    if existing is not None and (
        not os.access(target, os.W_OK) or not existing.st_mode & stat.S_IWUSR
    ):
        raise refuse("is read-only: it is not replaced; give another name")
    for given in inputs:
        if given.is_dir():
            inside = Path(os.path.realpath(target.parent)) == Path(os.path.realpath(given))
            if inside and target.suffix.lower() in (".yaml", ".yml"):
                raise refuse(f"is a file of the input folder {display_path(given)}: not replaced")
        elif existing is not None and given.exists() and os.path.samefile(target, given):
            raise refuse("is the input file: it is not replaced; give another name")
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
        printable(f"{display_path(out)}: cannot write: {exc.strerror or exc}")
    )


@click.group(cls=_Shell, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="screening")
def cli() -> None:
    """Ketamine-for-pain screening checklist: a discussion checklist, never a verdict."""


@cli.command()
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
        click.echo(printable_lines(coverage_report(gaps, results)), nl=False)
        sys.exit(0 if gaps.complete else 1)


@cli.command()
@rules_option
@lang_option
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
        click.echo(_escaped_json(json.dumps(rows, indent=2, ensure_ascii=False)))
        return
    for section in pack.sections:
        click.echo(printable(section))
        for item in (i for i in pack.items if i.section == section):
            asked = ""
            if item.asked_if is not None:
                when = describe_condition(item.asked_if, pack)
                asked = " " + _("(asked only when {condition})").format(condition=when)
            click.echo(printable(f"  {item.id}: {item.question}{asked}"))


def read_answers(path: Path, pack: RulePack | None = None) -> tuple[AnswersFile, str]:
    """Read and parse an answers file; also return its name as every error shows it.

    Given the pack it is for, a file with bad values also hears of its unknown ids, and a
    QuestionnaireResponse's answers to questions it should not have shown are dropped, named
    in a note on stderr (LHC-Forms keeps them: lforms#185).
    """
    shown = display_path(path)
    data = read_bounded(path, MAX_ANSWERS_BYTES, shown)
    answers = read_answers_bytes(data, shown, pack)
    if pack is not None:  # a QuestionnaireResponse's answers to hidden follow-ups: dropped
        answers, note = hidden_answers_dropped(pack, answers)
        if note is not None:
            click.echo(printable(f"{shown}: note: {note}"), err=True)
    return answers, shown


@cli.command()
@click.argument(
    "answers_file", metavar="ANSWERS.json", type=click.Path(path_type=Path, dir_okay=False)
)
@rules_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "pdf"]),
    default="json",
    show_default=True,
)
@out_option(" (required for pdf)")
@lang_option
@click.option(
    "--sign",
    "identity",
    metavar="CERT.p12",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Sign the PDF (PAdES) with this PKCS#12 identity; its password is read from "
    f"${PASSWORD_ENV}, else asked for.",
)
@click.option(
    "--timestamp-url",
    metavar="URL",
    help="With --sign: a timestamp authority (RFC 3161) to ask for the signing time; it is "
    "sent a hash of the signature only.",
)
def evaluate(  # click passes the options by name
    *,
    answers_file: Path,
    rules_dir: Path,
    fmt: str,
    out: Path | None,
    identity: Path | None,
    timestamp_url: str | None,
) -> None:
    """Evaluate ANSWERS.json and print the discussion checklist."""
    if fmt == "pdf" and out is None:
        raise click.ClickException("--format pdf needs --out FILE.pdf: a PDF is binary")
    if identity is not None and fmt != "pdf":
        raise click.ClickException("--sign signs a PDF: give --format pdf")
    if timestamp_url is not None and identity is None:
        raise click.ClickException("--timestamp-url times a signature: give --sign CERT.p12")
    signer = _signing_identity(identity) if identity is not None else None
    pack = load_pack(rules_dir)
    answers, shown = read_answers(answers_file, pack)
    checklist = evaluate_answers(pack, answers, shown)
    for flag in free_text_flags(free_texts(answers), pack.vocabulary):
        click.echo(printable(f"Warning: {shown}: {flag}"), err=True)
    if fmt == "pdf":
        from screening.pdf import checklist_pdf
        from screening.pdf.signing import sign, timestamp_authority

        pdf = checklist_pdf(pack, answers, checklist, source=shown)
        if signer is not None:
            stamper = timestamp_authority(timestamp_url) if timestamp_url else None
            pdf = sign(pdf, signer, stamper)
        write_output(pdf, out, (answers_file, rules_dir))
        return
    text = (
        _escaped_json(checklist_json(checklist)) if fmt == "json" else checklist_markdown(checklist)
    )
    write_output(text, out, (answers_file, rules_dir))


_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped_json(text: str) -> str:
    """JSON with DEL, C1 and bidirectional controls written as `\\u` escapes, as JSON already
    writes the C0 controls: the same data, but a terminal showing it obeys none of them."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _signing_identity(path: Path) -> Identity:
    """The PKCS#12 identity to sign with, its password from the environment or a prompt."""
    from screening.pdf.signing import load_identity

    shown = display_path(path)
    data = read_bounded(path, MAX_CREDENTIAL_BYTES, shown)
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt(f"Password for {shown}", hide_input=True, err=True)
    return load_identity(data, password.encode(), shown)


@cli.command()
@click.argument("pdf_file", metavar="FILE.pdf", type=click.Path(path_type=Path, dir_okay=False))
@rules_option
@click.option(
    "--trust",
    "trust_file",
    metavar="CERTS.pem",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Certificates the clinic trusts: a signed file's signer must chain to one (else exit 6).",
)
@click.option(
    "--accept-older-by-text",
    is_flag=True,
    help="Exit 0, not 3, for another release's file whose text and record match (its page "
    "drawing cannot be checked by this release).",
)
def verify(
    pdf_file: Path, rules_dir: Path, trust_file: Path | None, accept_older_by_text: bool
) -> None:
    """Re-check a checklist PDF against its record, its signature and the current pack.

    \b
    Exit codes (the README's "What verify proves" says each in full):
      0  OK: the file is what this program writes for its record, drawn the same
         (fonts by their glyphs), and the pack gives the same checklist
      1  refused: altered, damaged, not a checklist PDF, another pack or checklist,
         a release it does not know, or a signature that does not hold
      3  another release's file: text and record match, but its page drawing cannot
         be checked by this release (0 with --accept-older-by-text)
      4  re-saved by another program: same pages and record, not altered
      5  this release's file, but drawn by other library releases than those here,
         and not drawn identically: text and record match
      6  signed, intact, but the signer does not chain to a --trust certificate

    \b
    What an OK proves: the file holds nothing this program never writes (no later edits,
    annotations, scripts, layers, extra attachments, other page boxes), its pages draw
    exactly its embedded record, and the pack gives the same checklist from its answers.
    Who made the file only a signature proves (`evaluate --sign`, `verify --trust`).

    \b
    A file made by 0.1.0 or 0.2.0 is checked in full only under the pack that made it
    (--rules tests/fixtures/pdf/pack-1.0.0 for the golden ones), which is read by pack
    schema 1.0 as those releases read it, and only because it is that very pack.
    """
    from screening.pdf import pack_for_verifying, verify_pdf
    from screening.pdf.signing import load_trust, signed_part

    trust = None
    if trust_file is not None:
        trusted = display_path(trust_file)
        trust = load_trust(read_bounded(trust_file, MAX_CREDENTIAL_BYTES, trusted), trusted)
    shown = display_path(pdf_file)
    data = read_bounded(pdf_file, MAX_PDF_BYTES, shown)
    pack = pack_for_verifying(rules_dir, signed_part(data, shown, None)[1], shown)
    result = verify_pdf(data, pack, shown, trust)
    click.echo("\n".join(printable(line) for line in result.lines()))
    sys.exit(result.exit_code(accept_older=accept_older_by_text))


@cli.command("rules")
@rules_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html", "csv"]),
    default="markdown",
    show_default=True,
)
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


@cli.command()
@click.argument("old_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("new_dir", type=click.Path(path_type=Path, file_okay=False))
def diff(old_dir: Path, new_dir: Path) -> None:
    """List what changed from OLD_DIR to NEW_DIR; exit 0 whether or not they differ."""
    from screening.pack.record_map import load_record_map
    from screening.review.diff import diff_packs, diff_text

    old, new = load_pack(old_dir), load_pack(new_dir)
    records = load_record_map(old_dir, old), load_record_map(new_dir, new)
    text = diff_text(diff_packs(old, new, *records), display_path(old_dir), display_path(new_dir))
    click.echo(printable_lines(text), nl=False)


@cli.command()
@rules_option
def scenarios(rules_dir: Path) -> None:
    """Run the vignettes in the pack's scenarios/ folder: exit 0 when all pass, 1 otherwise."""
    from screening.pack.scenarios import all_passed, run_pack_scenarios, scenario_report

    pack = load_pack(rules_dir)
    results = run_pack_scenarios(rules_dir, pack)
    report = scenario_report(results, display_path(rules_dir / SCENARIOS_FOLDER))
    click.echo(printable_lines(report), nl=False)
    sys.exit(0 if all_passed(results) else 1)


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_RULES_DIR / SCHEMA_FOLDER,
    show_default="the shipped rules/schema/ folder",
    help="Folder to write the schema files to.",
)
def schema(out_dir: Path) -> None:
    """Write the JSON Schemas of the rule and scenario files, for editors to validate with."""
    from screening.pack.schema import schema_documents

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in schema_documents().items():
        write_output(text, out_dir / name)
        click.echo(f"Wrote {display_path(out_dir / name)}")


LAZY_COMMANDS = {
    "batch": "screening.batch.cli:batch",
    "audit": "screening.batch.cli:audit",
    "impact": "screening.batch.cli:impact_command",
    "fhir": "screening.fhir.commands:fhir",
    "cds": "screening.cds.commands:cds",
}
"""Commands and groups that live in their own modules (which use this module's options)."""


def main() -> None:
    """`python -m screening`, or the `screening` command of an installed package: usage and
    error lines name the one that was typed."""
    typed = "screening" if Path(sys.argv[0]).name == "screening" else "python -m screening"
    cli(prog_name=typed)
