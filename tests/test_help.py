"""`--help` speaks the command's language: every help page of the shell (the group, each command
and subcommand) shown in the pseudo-locale en-XA carries no English word of ours, whichever
of `--help` and `--lang` comes first; in English each page is click's own, byte for byte; and
every help text is in the catalogue's template (`screening.cli.help`).

A help page names things that are not words of any language and stay as they are: the
program and its commands, the options with their metavars (`--rules DIRECTORY`, `--lang
[en|en-XA]`), the arguments (`ANSWERS.json`), and the defaults shown as values
(`[default: json]`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import click
from babel.messages.pofile import read_po
from click.testing import CliRunner, Result

from screening.catalogue import PSEUDO_LANGUAGE
from screening.cli import cli
from screening.cli.help import HelpGroup, help_texts
from screening.cli.help_catalogue import root_context, template_with_help
from screening.pseudo_locale import pseudo
from tests.conftest import REPOSITORY
from tests.test_pseudo_locale import english_left

TEMPLATE = REPOSITORY / "screening" / "locale" / "screening.pot"


def pages() -> Iterator[tuple[tuple[str, ...], click.Command, click.Context]]:
    """Every help page of the shell: the command path typed after `screening`, the command
    and a context of its own (click's, not the shell's), the groups' pages included."""

    def walk(
        command: click.Command, ctx: click.Context, path: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], click.Command, click.Context]]:
        yield path, command, ctx
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                found = command.get_command(ctx, name)
                assert found is not None, name
                yield from walk(found, click.Context(found, ctx, name), (*path, name))

    yield from walk(cli, root_context(), ())


def show(*args: str) -> Result:
    """`screening ARGS` as typed, stdout and stderr apart."""
    return CliRunner().invoke(cli, list(args), prog_name="screening")


def names_on(command: click.Command, ctx: click.Context, path: tuple[str, ...]) -> list[str]:
    """What the page of `command` names rather than says, spaces taken out (as `english_left`
    reads a page), longest first."""
    names = ["screening", *path]
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            names.append(param.get_help_spec(ctx))
            extra = param.get_help_extra(ctx)
            names.append(extra.get("range", ""))
            if not isinstance(param.show_default, str):  # a default shown as words is ours
                names.append(extra.get("default", ""))
        else:
            names.append(param.make_metavar(ctx))
    if isinstance(command, click.Group):
        names.extend(command.list_commands(ctx))
    return sorted({"".join(n.split()) for n in names if n}, key=len, reverse=True)


class TestEveryHelpPageInThePseudoLocale:
    """The group's page and every command's speak en-XA, `--lang` before or after `--help`."""

    def test_every_page_holds_no_english_word_of_ours(self) -> None:
        seen = 0
        for path, command, ctx in pages():
            after = show(*path, "--help", "--lang", PSEUDO_LANGUAGE)
            before = show(*path, "--lang", PSEUDO_LANGUAGE, "--help")
            assert (after.exit_code, before.exit_code) == (0, 0), (path, after.output)
            assert after.stdout == before.stdout, path
            assert english_left(after.stdout, names_on(command, ctx, path)) == [], after.stdout
            seen += 1
        assert seen == 19, "the group, its 13 commands, fhir's 4 and cds's 1"

    def test_its_headings_usage_and_brackets_are_ours_too(self) -> None:
        page = show("batch", "--help", "--lang", PSEUDO_LANGUAGE).stdout
        assert page.startswith(f"{pseudo('Usage:')} screening batch {pseudo('[OPTIONS]')} ANSWERS")
        assert f"\n{pseudo('Options')}:\n" in page
        assert f"[{pseudo('required')}]" in page
        assert f"[{pseudo('default: {default}').format(default='pandas')}]" in page
        shown = pseudo("default: {default}").format(
            default=f"({pseudo('the shipped rules/ folder')})"
        )
        assert " ".join(page.split()).count(shown) == 1
        group = show("--lang", PSEUDO_LANGUAGE, "--help").stdout
        assert f"\n{pseudo('Commands')}:\n" in group
        assert pseudo("[OPTIONS]") + " " + pseudo("COMMAND [ARGS]...") in group

    def test_a_command_s_short_help_in_its_group_is_shortened_from_its_words(self) -> None:
        group = show("--lang", PSEUDO_LANGUAGE, "--help").stdout
        (row,) = [line for line in group.splitlines() if line.startswith("  check ")]
        said = pseudo("Validate a rule pack: exit 0 when valid, 1 with every problem listed.")
        assert row.split(None, 1)[1].removesuffix("...") in said

    def test_lang_given_to_the_group_above_speaks_on_the_command_s_page(self) -> None:
        page = show("--lang", PSEUDO_LANGUAGE, "fhir", "questionnaire", "--help").stdout
        assert page == show("fhir", "questionnaire", "--help", "--lang", PSEUDO_LANGUAGE).stdout
        assert page != show("fhir", "questionnaire", "--help").stdout

    def test_the_usage_line_of_a_usage_error_is_drawn_as_on_the_help_page(self) -> None:
        refused = show("check", "--lang", PSEUDO_LANGUAGE, "--nope")
        assert refused.exit_code == 2
        usage = show("check", "--lang", PSEUDO_LANGUAGE, "--help").stdout.splitlines()[0]
        assert refused.stderr.splitlines()[0] == usage


class TestEnglishHelpIsClicksOwn:
    """Without `--lang`, or with `--lang en`, every page is what click itself draws."""

    def test_every_page_byte_for_byte(self) -> None:
        runner = CliRunner()
        for path, command, ctx in pages():
            with runner.isolation():  # click's width under the test runner
                clicks_own = command.get_help(ctx) + "\n"
            assert type(ctx) is click.Context  # click's context, not the shell's
            assert show(*path, "--help").stdout == clicks_own, path
            assert show(*path, "--help", "--lang", "en").stdout == clicks_own, path

    def test_the_group_lists_each_command_once_however_often_it_is_drawn(self) -> None:
        """The lazily loaded groups are listed by name, and by the shell once loaded."""
        for _drawn in range(2):
            commands = show("--help").stdout.split("\nCommands:\n")[1].splitlines()
            names = [row.split()[0] for row in commands]
            assert names == sorted(set(names)), names

    def test_a_page_as_the_readme_and_the_tests_know_it(self) -> None:
        assert show("check", "--help").stdout == (
            "Usage: screening check [OPTIONS]\n"
            "\n"
            "  Validate a rule pack: exit 0 when valid, 1 with every problem listed.\n"
            "\n"
            "Options:\n"
            "  --rules DIRECTORY  Rule pack folder.  [default: (the shipped rules/ folder)]\n"
            "  --lang [en|en-XA]  Language of the program's own words (the pack's stay as the\n"
            "                     pack wrote them); default English.\n"
            "  --coverage         Also list rules that no scenario makes hold and items that\n"
            "                     nothing reads; exit 1 on any gap.\n"
            "  -h, --help         Show this message and exit.\n"
        )


class TestEveryHelpTextIsInTheCatalogue:
    """`make messages` adds the help pages' texts to the template; a text it lacks fails."""

    def test_the_template_holds_every_help_text(self) -> None:
        template = {m.id for m in read_po(io.BytesIO(TEMPLATE.read_bytes())) if m.id}
        texts = set(help_texts(cli, root_context()))
        assert texts - template == set(), "run `make messages`"
        assert template_with_help(TEMPLATE.read_bytes()) == TEMPLATE.read_bytes()

    def test_a_new_command_s_texts_are_listed_for_the_template_and_its_page_drawn(self) -> None:
        @click.group(cls=HelpGroup)
        def group() -> None:
            """A group.

            \b
            Kept  as
              written.
            """

        @group.command()
        @click.option("--size", default=3, show_default="three of them", help="How many.")
        def frobnicate(size: int) -> None:
            """Frobnicate the widgets."""

        ctx = click.Context(group, info_name="group")
        assert list(help_texts(group, ctx)) == [
            "A group.",
            "Kept  as\n  written.",
            "Show this message and exit.",
            "Frobnicate the widgets.",
            "How many.",
            "three of them",
            "Show this message and exit.",
        ]
        page = CliRunner().invoke(group, ["frobnicate", "--help"]).stdout
        assert "How many.  [default: (three of them)]" in page
