"""click's own frame of a usage error (`Usage: ...`, `Try '...' for help.`, `Error: ...`) and
its messages worded through our catalogue, in the language of the command.

click words these with the standard library's gettext in a domain of its own, which is global
to the process and never follows `--lang`. So the shell shows a usage error itself: each kind
that the commands meet is worded here from the exception's attributes, with click's English
as the template, so the English text is byte for byte what click prints; a kind not listed
here keeps click's own text. A usage error can come before `--lang` is read (an unknown
option stops the parsing), so the language is taken from the command line as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import click

from screening.catalogue import (
    N_,
    SOURCE_LANGUAGE,
    _,
    available_languages,
    ngettext,
    speaking,
)

OPTIONS_METAVAR = N_("[OPTIONS]")
COMMAND_METAVAR = N_("COMMAND [ARGS]...")
"""click's names, in a usage line, for a command's options and a group's subcommand."""


class Choice(click.Choice[str]):
    """click's `Choice`, refusing a value not among its choices in our words."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        choices = ", ".join(map(repr, self._normalized_mapping(ctx=ctx).values()))
        return ngettext(
            "{value!r} is not {choice}.", "{value!r} is not one of {choices}.", len(self.choices)
        ).format(value=value, choice=choices, choices=choices)

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        choices = ",\n\t".join(self._normalized_mapping(ctx=ctx).values())
        return _("Choose from:\n\t{choices}").format(choices=choices)


def typed_language(args: Sequence[str]) -> str | None:
    """The language a command line asks for with `--lang` (None: none, or one we lack)."""
    for n, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and n + 1 < len(args):
            value = args[n + 1]
        elif arg.startswith("--lang="):
            value = arg.removeprefix("--lang=")
        else:
            continue
        return value if value in available_languages() else None
    return None


def usage_error_text(exc: click.UsageError) -> str:
    """What click's `UsageError.show` prints, in the language of the render under way."""
    said = _("Error: {problem}").format(problem=_message(exc))
    ctx = exc.ctx
    if ctx is None:
        return said
    hint = ""
    if ctx.command.get_help_option(ctx) is not None:
        option = max(ctx.command.get_help_option_names(ctx), key=len)
        hint = _("Try '{command} {option}' for help.").format(
            command=ctx.command_path, option=option
        )
        hint = f"{hint}\n"
    return f"{_usage(ctx)}\n{hint}\n{said}"


class UsageFormatter(click.HelpFormatter):
    """click's formatter, with the words of its usage line (`Usage:`, `[OPTIONS]`,
    `COMMAND [ARGS]...`) ours, wrapped as click wraps them; the names stay as they are."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = _("Usage:") + " "
        args = args.replace(OPTIONS_METAVAR, _(OPTIONS_METAVAR))
        super().write_usage(prog, args.replace(COMMAND_METAVAR, _(COMMAND_METAVAR)), prefix)


def _usage(ctx: click.Context) -> str:
    """`Usage: PROGRAM [OPTIONS] ARGUMENTS` as click's `Context.get_usage`, its words ours."""
    formatter = UsageFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
    ctx.command.format_usage(ctx, formatter)
    return formatter.getvalue().rstrip("\n")


def _message(exc: click.UsageError) -> str:
    """The error's message in our words when its kind and text are known, else click's."""
    with speaking(SOURCE_LANGUAGE):  # click's text, whatever our Choice said in its message
        english = exc.format_message()
    for template, worded in _candidates(exc):
        if template == english:
            return worded
    return english


def _candidates(exc: click.UsageError) -> Iterator[tuple[str, str]]:
    """(click's English, ours) for each text this kind of error can carry."""
    if isinstance(exc, click.MissingParameter):
        yield from _missing(exc)
    elif isinstance(exc, click.BadParameter):
        hint = _param_hint(exc)
        if hint is None:
            yield (
                "Invalid value: " + exc.message,
                _("Invalid value: {message}").format(message=exc.message),
            )
        else:
            yield (
                f"Invalid value for {hint}: {exc.message}",
                _("Invalid value for {param_hint}: {message}").format(
                    param_hint=hint, message=exc.message
                ),
            )
    elif isinstance(exc, click.NoSuchOption):
        name = exc.option_name
        yield from _with_possibilities(
            f"No such option {name!r}.",
            _("No such option {name!r}.").format(name=name),
            exc.possibilities,
        )
    elif isinstance(exc, click.exceptions.NoSuchCommand):
        name = exc.command_name
        yield from _with_possibilities(
            f"No such command {name!r}.",
            _("No such command {name!r}.").format(name=name),
            exc.possibilities,
        )
    elif isinstance(exc, click.BadOptionUsage):
        yield from _bad_option(exc)
    else:
        found = re.fullmatch(r"Got unexpected extra arguments? \((.*)\)", exc.message)
        if found:
            count = len(found[1].split(" "))
            yield (
                exc.message,
                ngettext(
                    "Got unexpected extra argument ({args})",
                    "Got unexpected extra arguments ({args})",
                    count,
                ).format(args=found[1]),
            )


def _bad_option(exc: click.BadOptionUsage) -> Iterator[tuple[str, str]]:
    """An option given a value it does not take, or not given the values it needs."""
    name = exc.option_name
    yield (
        f"Option {name!r} does not take a value.",
        _("Option {name!r} does not take a value.").format(name=name),
    )
    found = re.fullmatch(r"Option '.*' requires (?:an argument|(\d+) arguments)\.", exc.message)
    if found:
        nargs = int(found[1] or 1)
        yield (
            exc.message,
            ngettext(
                "Option {name!r} requires an argument.",
                "Option {name!r} requires {nargs} arguments.",
                nargs,
            ).format(name=name, nargs=nargs),
        )


def _param_hint(exc: click.BadParameter) -> str | None:
    hint: Sequence[str] | str | None = exc.param_hint
    if hint is None and exc.param is not None:
        hint = exc.param.get_error_hint(exc.ctx)
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(x) for x in hint)
    return hint


def _missing(exc: click.MissingParameter) -> Iterator[tuple[str, str]]:
    """`Missing argument 'X'.`, `Missing option '--x'.` and the like, with the choices of a
    `Choice` when it has them."""
    kind = exc.param_type
    if kind is None and exc.param is not None:
        kind = exc.param.param_type_name
    words = {
        "argument": N_("Missing argument"),
        "option": N_("Missing option"),
        "parameter": N_("Missing parameter"),
    }
    if kind not in words or exc.message:
        return
    hint = _param_hint(exc)
    shown = f" {hint}" if hint else ""
    choices = None
    if exc.param is not None and isinstance(exc.param.type, Choice):
        choices = exc.param.type
    with speaking(SOURCE_LANGUAGE):
        english = choices.get_missing_message(exc.param, exc.ctx) if choices else ""  # type: ignore[arg-type]
    extra = choices.get_missing_message(exc.param, exc.ctx) if choices else ""  # type: ignore[arg-type]
    yield (
        f"{words[kind]}{shown}.{' ' + english if english else ''}",
        f"{_(words[kind])}{shown}.{' ' + extra if extra else ''}",
    )


def _with_possibilities(
    english: str, worded: str, possibilities: list[str] | None
) -> Iterator[tuple[str, str]]:
    if not possibilities:
        yield english, worded
        return
    listed = ", ".join(repr(p) for p in sorted(possibilities))
    click_said = (
        f"Did you mean {listed}?"
        if len(possibilities) == 1
        else f"(Did you mean one of: {listed}?)"
    )
    ours = ngettext(
        "Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", len(possibilities)
    ).format(possibility=listed, possibilities=listed)
    yield f"{english} {click_said}", f"{worded} {ours}"
