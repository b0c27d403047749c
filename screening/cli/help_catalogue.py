"""Adds the help pages' texts to the catalogue's template: `pybabel extract` reads the words
marked with `_()`, not the docstrings and option texts click shows in `--help`, so these are
read from the command tree itself (`screening.cli.help.help_texts`, every command group
loaded).

Run by `make messages` after `pybabel extract` and before the pseudo-locale is made:
`python -m screening.cli.help_catalogue`.
"""

from __future__ import annotations

import io
import sys

import click
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from screening.catalogue import DOMAIN, LOCALE_DIR
from screening.cli.help import help_texts
from screening.cli.shell import cli

HELP_COMMENT = "--help text, rewrapped unless aligned; keep --options, NAMES, $NAMES as they are"
"""What a translator is told of each help text the template gets from here."""


def root_context() -> click.Context:
    """The context of `screening` as it runs, for walking its commands."""
    return click.Context(cli, info_name="screening", **cli.context_settings)


def with_help_texts(template: Catalog) -> Catalog:
    """The template with every help text of the command tree that it does not hold yet."""
    for text in dict.fromkeys(help_texts(cli, root_context())):
        if text not in template:
            template.add(text, auto_comments=[HELP_COMMENT])
    return template


def template_with_help(pot: bytes) -> bytes:
    """The template file `pybabel extract` wrote, with the help texts, written as it writes."""
    catalog = with_help_texts(read_po(io.BytesIO(pot)))
    out = io.BytesIO()
    write_po(out, catalog, omit_header=True, no_location=True, sort_output=True, width=100)
    return out.getvalue()


def main() -> int:
    """Rewrites `screening/locale/screening.pot` with the help texts."""
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    pot.write_bytes(template_with_help(pot.read_bytes()))
    print(f"added the help texts to {pot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
