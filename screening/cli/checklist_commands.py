"""The checklist's commands: `evaluate` (a checklist in any export format) and `verify`.

Errors are rendered by the shell (`screening.cli.shell`). The PDF and signing modules are
imported when a PDF is made or checked, so `evaluate` to JSON or Markdown starts quickly
(tests/test_cli_imports.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from screening.catalogue import _
from screening.cli.shared import (
    file_option,
    format_option,
    lang_option,
    out_option,
    print_report,
    read_answers,
    rules_option,
    write_output,
)
from screening.engine import evaluate as evaluate_answers
from screening.formats import EXPORT_FORMATS, export_format
from screening.language import free_text_flags
from screening.limits import MAX_CREDENTIAL_BYTES, MAX_PDF_BYTES
from screening.models import free_texts
from screening.pack.loader import display_path, load_pack
from screening.reading import read_bounded
from screening.text import escaped_json, printable

if TYPE_CHECKING:
    from screening.pdf.signing import Identity

# The commands' own modules, imported when the command runs (the module docstring says why).
# ruff: noqa: PLC0415

PASSWORD_ENV = "SCREENING_SIGNING_PASSWORD"
"""`screening.pdf.signing.PASSWORD_ENV`, for the commands' help (a test holds them equal)."""


@click.command()
@click.argument(
    "answers_file", metavar="ANSWERS.json", type=click.Path(path_type=Path, dir_okay=False)
)
@rules_option
@format_option([f.name for f in EXPORT_FORMATS], "json")
@out_option(f" (required for {', '.join(f.name for f in EXPORT_FORMATS if f.binary)})")
@lang_option
@file_option(
    "--sign",
    "identity",
    f"Sign the PDF (PAdES) with this PKCS#12 identity; its password is read from "
    f"${PASSWORD_ENV}, else asked for.",
    metavar="CERT.p12",
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
    chosen = export_format(fmt)
    if chosen.binary and out is None:
        raise click.ClickException(
            _("--format {format} needs --out FILE.{extension}: a {noun} is binary").format(
                format=fmt, extension=chosen.extension, noun=_(chosen.noun)
            )
        )
    if identity is not None and fmt != "pdf":
        raise click.ClickException(_("--sign signs a PDF: give --format pdf"))
    if timestamp_url is not None and identity is None:
        raise click.ClickException(_("--timestamp-url times a signature: give --sign CERT.p12"))
    signer = _signing_identity(identity) if identity is not None else None
    pack = load_pack(rules_dir)
    answers, shown = read_answers(answers_file, pack)
    checklist = evaluate_answers(pack, answers, shown)
    for flag in free_text_flags(free_texts(answers), pack.vocabulary):
        said = _("Warning: {file}: {flag}").format(file=shown, flag=flag)
        click.echo(printable(said), err=True)
    output = chosen.render(checklist)
    if signer is not None and isinstance(output, bytes):
        from screening.pdf.signing import sign, timestamp_authority

        stamper = timestamp_authority(timestamp_url) if timestamp_url else None
        output = sign(output, signer, stamper)
    if isinstance(output, str) and chosen.media_type == "application/json":
        output = escaped_json(output)  # the same data, but no terminal obeys what it holds
    write_output(output, out, (answers_file, rules_dir))


def _signing_identity(path: Path) -> Identity:
    """The PKCS#12 identity to sign with, its password from the environment or a prompt."""
    from screening.pdf.signing import load_identity

    shown = display_path(path)
    data = read_bounded(path, MAX_CREDENTIAL_BYTES, shown)
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt(
            _("Password for {file}").format(file=shown), hide_input=True, err=True
        )
    return load_identity(data, password.encode(), shown)


@click.command()
@click.argument("pdf_file", metavar="FILE.pdf", type=click.Path(path_type=Path, dir_okay=False))
@rules_option
@file_option(
    "--trust",
    "trust_file",
    "Certificates the clinic trusts: a signed file's signer must chain to one (else exit 6).",
    metavar="CERTS.pem",
)
@click.option(
    "--accept-older-by-text",
    is_flag=True,
    help="Exit 0, not 3, for another release's file whose text and record match (its page "
    "drawing cannot be checked by this release).",
)
@lang_option
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
    print_report("".join(f"{line}\n" for line in result.lines()))
    sys.exit(result.exit_code(accept_older=accept_older_by_text))
