"""`--help` in the command's language: every help page of the shell drawn with its texts (the
commands' docstrings, the options' help and shown defaults) and click's own words (`Usage:`,
`Options:`, `Commands:`, `[default: ...]`, `[required]`) looked up in the catalogue as it is
drawn.

click words its own with the standard library's gettext, global to the process, and prints
the texts as they were written; so the page is drawn here from the parts click draws it from,
in click's order and with click's formatter: in English it is click's page byte for byte
(tests/test_help.py holds it so). The shell's group (`HelpGroup`) gives every command added
to it, and every command below that, the context that draws this page (`adopt`): a new
command speaks the language without a word of its own. `--help` is eager and may come before
`--lang`, so the page speaks the language typed on the command line (`typed_language`), else
the one already chosen. Help texts are marked by no `_()`: `help_texts` lists them, and
`make messages` adds them to the template (`screening.cli.help_catalogue`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import click

from screening.catalogue import N_, _, speaking
from screening.cli.usage import UsageFormatter, typed_language

OPTIONS = N_("Options")
COMMANDS = N_("Commands")
ARGUMENTS = N_("Positional arguments")
"""click's headings of a help page's sections."""
DEFAULT = N_("default: {default}")
REQUIRED = N_("required")
ENVVAR = N_("env var: {var}")
"""click's words in the brackets after an option's help."""

_TYPED = "screening.cli.help.typed"
"""Where the root context keeps the command line as typed (`Context.meta`, shared by all)."""


class HelpContext(click.Context):
    """A context whose help page is drawn in the command's language (`help_page`)."""

    formatter_class = UsageFormatter

    def get_help(self) -> str:
        with speaking(typed_language(self.meta.get(_TYPED, ()))):
            return help_page(self)


def adopt(command: click.Command) -> None:
    """Draws the help pages of `command` and of every command below it with `HelpContext`."""
    command.context_class = HelpContext
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            adopt(subcommand)


class HelpGroup(click.Group):
    """A command group whose help page, and every command's below it, speaks the language of
    the command line."""

    context_class = HelpContext

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        adopt(cmd)
        super().add_command(cmd, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_TYPED, tuple(args))
        return super().parse_args(ctx, args)


def help_page(ctx: click.Context) -> str:
    """click's `Command.get_help`, in the language of the render under way: the usage line,
    the help text, the arguments and options, a group's commands, the epilog."""
    command = ctx.command
    formatter = ctx.make_formatter()
    command.format_usage(ctx, formatter)
    _write_text(formatter, worded_text(command.help))
    params = command.get_params(ctx)
    arguments = [p for p in params if isinstance(p, click.Argument)]
    if any(a.help is not None for a in arguments):
        _write_dl(formatter, ARGUMENTS, [(a.make_metavar(ctx), _worded(a.help)) for a in arguments])
    options = [_option_record(p, ctx) for p in params if not isinstance(p, click.Argument)]
    _write_dl(formatter, OPTIONS, [record for record in options if record is not None])
    if isinstance(command, click.Group):
        _write_dl(formatter, COMMANDS, _command_rows(command, ctx, formatter.width))
    _write_text(formatter, worded_text(command.epilog))
    return formatter.getvalue().rstrip("\n")


def _write_text(formatter: click.HelpFormatter, text: str) -> None:
    if text:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text)


def _write_dl(formatter: click.HelpFormatter, heading: str, rows: list[tuple[str, str]]) -> None:
    if rows:
        with formatter.section(_(heading)):
            formatter.write_dl(rows)


def _option_record(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    """click's `Option.get_help_record`, its words ours: the help, a default shown as words,
    and the bracket's own words; values, ranges and names as click shows them."""
    if not isinstance(param, click.Option):
        return param.get_help_record(ctx)
    if param.hidden:
        return None
    extra = param.get_help_extra(ctx)
    items = []
    if "envvars" in extra:
        items.append(_(ENVVAR).format(var=", ".join(extra["envvars"])))
    if "default" in extra:
        default = extra["default"]
        if isinstance(param.show_default, str):  # click shows it as "(words)"
            default = f"({_(param.show_default)})"
        items.append(_(DEFAULT).format(default=default))
    if "range" in extra:
        items.append(extra["range"])
    if "required" in extra:
        items.append(_(REQUIRED))
    text = _worded(param.help)
    if items:
        bracket = "; ".join(items)
        text = f"{text}  [{bracket}]" if text else f"[{bracket}]"
    return param.get_help_spec(ctx), text


def _command_rows(group: click.Group, ctx: click.Context, width: int) -> list[tuple[str, str]]:
    """click's `Group.format_commands` rows: each command with its help shortened to fit,
    shortened by click from the help in our words."""
    commands = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not command.hidden:
            commands.append((name, command))
    if not commands:
        return []
    limit = width - 6 - max(len(name) for name, _command in commands)
    return [(name, _short_help(command, limit)) for name, command in commands]


def _short_help(command: click.Command, limit: int) -> str:
    worded = click.Command(
        command.name,
        help=worded_text(command.help) or None,
        short_help=worded_text(command.short_help) or None,
        deprecated=command.deprecated,
    )
    return worded.get_short_help_str(limit)


def _worded(text: str | None) -> str:
    """An option's help, a word of ours; none stays empty (`_("")` is the catalogue's header)."""
    return _(text) if text else ""


def _paragraphs(text: str | None) -> list[tuple[str, str]]:
    """A help text as click shows it (dedented, up to a form feed), cut into paragraphs, each
    as click's no-rewrap mark (`\\b`) or none, and its words."""
    if not text:
        return []
    shown = inspect.cleandoc(text).partition("\f")[0]
    mark = "\b\n"
    return [
        (mark, paragraph.removeprefix(mark)) if paragraph.startswith(mark) else ("", paragraph)
        for paragraph in shown.split("\n\n")
    ]


def worded_text(text: str | None) -> str:
    """A command's help text in the language of the render under way, paragraph by paragraph
    (the catalogue's messages), click's marks kept out of the words."""
    return "\n\n".join(mark + _worded(words) for mark, words in _paragraphs(text))


def help_texts(command: click.Command, ctx: click.Context) -> Iterator[str]:
    """Every text of ours on the help pages of `command` and of the commands below it, as the
    catalogue knows it: the help texts' paragraphs, the options' help and shown defaults."""
    for text in (command.help, command.short_help, command.epilog):
        yield from (words for _mark, words in _paragraphs(text) if words)
    for param in command.get_params(ctx):
        yield from _param_texts(param)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            subcommand = command.get_command(ctx, name)
            if subcommand is not None:
                yield from help_texts(subcommand, click.Context(subcommand, ctx, name))


def _param_texts(param: click.Parameter) -> Iterator[str]:
    if param.help:
        yield param.help
    if isinstance(param, click.Option) and isinstance(param.show_default, str):
        yield param.show_default
