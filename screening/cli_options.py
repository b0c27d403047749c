"""Options shared by every command group of the CLI, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from screening.pack.loader import DEFAULT_RULES_DIR

rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_RULES_DIR,
    show_default="the shipped rules/ folder",
    help="Rule pack folder.",
)
