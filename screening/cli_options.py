"""Options shared by every command group of the CLI, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from screening.catalogue import available_languages, speaking
from screening.pack.loader import DEFAULT_RULES_DIR

rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_RULES_DIR,
    show_default="the shipped rules/ folder",
    help="Rule pack folder.",
)


def _speak(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Renders the whole command in the language asked for: the language holds until the
    command's context closes, so the next command (a test's, in the same process) starts
    in English again."""
    if value is not None:
        ctx.with_resource(speaking(value))


lang_option = click.option(
    "--lang",
    type=click.Choice(available_languages()),
    callback=_speak,
    expose_value=False,
    help="Language of the program's own words (the pack's stay as the pack wrote them); "
    "default English.",
)
