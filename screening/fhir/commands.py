"""`python -m screening fhir ...`: the Questionnaire and QuestionnaireResponses, printed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from screening.cli.shared import lang_option, read_answers, rules_option, write_output
from screening.engine import evaluate
from screening.fhir.discussed import discussed_structure_definition
from screening.fhir.questionnaire import DEFAULT_BASE, check_base, item_codes, questionnaire_json
from screening.fhir.response import response_json
from screening.pack.loader import load_pack


def _base(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return check_base(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


base_option = click.option(
    "--base",
    default=DEFAULT_BASE,
    show_default=True,
    callback=_base,
    help="Canonical base the Questionnaire is published under: its url is BASE/Questionnaire/ID.",
)


@click.group()
@lang_option
def fhir() -> None:
    """FHIR R4: the form as a Questionnaire, answers as a QuestionnaireResponse."""


@fhir.command("questionnaire")
@rules_option
@base_option
@lang_option
def questionnaire_command(rules_dir: Path, base: str) -> None:
    """Print the pack's form as an R4 Questionnaire (SDC) for an EHR's form renderer."""
    write_output(questionnaire_json(load_pack(rules_dir), base), None)


@fhir.command("response")
@click.argument(
    "answers_file", metavar="ANSWERS.json", type=click.Path(path_type=Path, dir_okay=False)
)
@rules_option
@base_option
@lang_option
def response_command(answers_file: Path, rules_dir: Path, base: str) -> None:
    """Print ANSWERS.json as a QuestionnaireResponse to the pack's Questionnaire."""
    pack = load_pack(rules_dir)
    answers, shown = read_answers(answers_file, pack)
    write_output(response_json(evaluate(pack, answers, shown), base), None)


@fhir.command("extension")
@base_option
@lang_option
def extension_command(base: str) -> None:
    """Print the StructureDefinition of the extension that carries discussed points and notes."""
    write_output(json.dumps(discussed_structure_definition(base), indent=2) + "\n", None)


@fhir.command("codesystem")
@rules_option
@base_option
@lang_option
def codesystem_command(rules_dir: Path, base: str) -> None:
    """Print the CodeSystem of the Questionnaire's item codes (BASE/CodeSystem/ID-items)."""
    write_output(json.dumps(item_codes(load_pack(rules_dir), base), indent=2) + "\n", None)
