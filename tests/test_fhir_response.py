"""QuestionnaireResponse in and out: the same answers, the same checklist, the same refusals."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.structuredefinition import StructureDefinition
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app_pages.form.fhir_download import saved_response_json
from app_pages.form.memory import note_key, tick_key
from screening import AnswersError, AnswersFile, RulePack, evaluate
from screening.answers import answer_problems, read_answers_bytes
from screening.cli import cli
from screening.fhir.hidden import drop_not_enabled
from screening.fhir.response import fhir_string, questionnaire_response, response_json
from screening.logic import asked_states
from screening.models import Answer, DiscussedMark
from tests.app_helpers import open_save_panel
from tests.conftest import write_answers

APP = str(Path(__file__).resolve().parent.parent / "app.py")
URL = "http://example.org/fhir/Questionnaire/ketamine-for-pain-pre-treatment-discussion-checklist"
SOME = AnswersFile(
    answers={
        "substance_use_history": "yes",
        "substance_use_active": "unknown",
        "monitoring_available": "no",
    },
    patient_reference="bed 4",
    clinician="Dr Lee",
    date="2026-11-30",
)


def read(pack: RulePack, resource: dict[str, Any]) -> AnswersFile:
    """Read a response as the CLI and the app do, checked against the pack."""
    answers = read_answers_bytes(json.dumps(resource).encode(), "r.json")
    problems = answer_problems(pack, answers, "r.json")
    if problems:
        raise AnswersError(problems)
    return answers


def refusal(pack: RulePack, resource: dict[str, Any]) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        read(pack, resource)
    return [str(p) for p in caught.value.problems]


@st.composite
def answer_sets(draw: st.DrawFn, pack: RulePack) -> AnswersFile:
    """Any answers the form can produce: each item Yes, No, Unknown or blank, if asked."""
    choice: st.SearchStrategy[Answer | None] = st.sampled_from(["yes", "no", "unknown", None])
    given = {i.id: a for i in pack.items if (a := draw(choice)) is not None}
    asked = asked_states(pack, given)
    text = st.none() | st.text(min_size=1, max_size=30)
    days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31))
    return AnswersFile(
        answers={k: v for k, v in given.items() if k in asked},
        patient_reference=draw(text),
        clinician=draw(text),
        date=draw(st.none() | days.map(dt.date.isoformat)),
    )


class TestWriting:
    """A response names its questionnaire, answers with LOINC codes and leaves blanks out."""

    def test_it_is_valid_fhir_naming_the_questionnaire_by_url_and_version(
        self, shipped_pack: RulePack
    ) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        QuestionnaireResponse.model_validate(resource)
        assert resource["questionnaire"] == f"{URL}|{shipped_pack.meta.version}"
        assert resource["status"] == "completed"

    def test_unknown_is_an_answer_and_a_blank_item_is_left_out(
        self, shipped_pack: RulePack
    ) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        answered = {
            q["linkId"]: q["answer"][0]["valueCoding"]["code"]
            for group in resource["item"]
            for q in group["item"]
        }
        assert answered == {
            "substance_use_history": "LA33-6",
            "substance_use_active": "LA4489-6",
            "monitoring_available": "LA32-8",
        }

    def test_details_go_to_display_texts_and_authored(self, shipped_pack: RulePack) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        assert resource["subject"] == {"display": "bed 4"}
        assert resource["author"] == {"display": "Dr Lee"}
        assert resource["authored"] == "2026-11-30"

    def test_an_empty_reference_or_name_is_left_out(self, shipped_pack: RulePack) -> None:
        answers = AnswersFile(answers={}, patient_reference="", clinician="")
        resource = questionnaire_response(evaluate(shipped_pack, answers))
        assert "subject" not in resource
        assert "author" not in resource
        QuestionnaireResponse.model_validate(resource)

    def test_whitespace_fhir_does_not_allow_becomes_a_plain_space(
        self, shipped_pack: RulePack
    ) -> None:
        answers = AnswersFile(answers={}, patient_reference="bed\xa04", clinician="\u2003")
        resource = questionnaire_response(evaluate(shipped_pack, answers))
        QuestionnaireResponse.model_validate(resource)
        assert resource["subject"] == {"display": "bed 4"}
        assert resource["author"] == {"display": " "}

    def test_answers_to_a_question_not_asked_are_refused(self, shipped_pack: RulePack) -> None:
        answers = AnswersFile(
            answers={"substance_use_history": "no", "substance_use_active": "yes"}
        )
        with pytest.raises(AnswersError) as caught:
            questionnaire_response(evaluate(shipped_pack, answers))
        assert "substance_use_active: answered, but not asked" in str(caught.value)


def marked(pack: RulePack) -> AnswersFile:
    """SOME with two of its points marked: one discussed with a note, one not yet, noted."""
    first, second = (e.rule_id for e in evaluate(pack, SOME).entries[:2])
    return SOME.model_copy(
        update={
            "discussed": {
                first: DiscussedMark(done=True, note="talked it through with the patient"),
                second: DiscussedMark(done=False, note="to ask at the next visit"),
            }
        }
    )


class TestDiscussedMarks:
    """Ticks and notes travel in the response as the project's discussed-point extension."""

    def test_the_response_carries_each_mark_and_validates(self, shipped_pack: RulePack) -> None:
        answers = marked(shipped_pack)
        resource = questionnaire_response(evaluate(shipped_pack, answers))
        QuestionnaireResponse.model_validate(resource)
        first, second = answers.discussed
        assert resource["extension"] == [
            {
                "url": "http://example.org/fhir/StructureDefinition/discussed-point",
                "extension": [
                    {"url": "rule", "valueCode": rule},
                    {"url": "done", "valueBoolean": done},
                    *([{"url": "note", "valueString": note}] if note else []),
                ],
            }
            for rule, done, note in sorted(
                [
                    (first, True, "talked it through with the patient"),
                    (second, False, "to ask at the next visit"),
                ],
                key=lambda m: [r.id for r in shipped_pack.rules].index(m[0]),
            )
        ]

    def test_reading_back_restores_ticks_and_notes(self, shipped_pack: RulePack) -> None:
        answers = marked(shipped_pack)
        back = read(shipped_pack, json.loads(response_json(evaluate(shipped_pack, answers))))
        assert back.discussed == answers.discussed
        checklist = evaluate(shipped_pack, back)
        done = [e for e in checklist.entries if e.done]
        assert [e.note for e in done] == ["talked it through with the patient"]

    def test_a_response_without_marks_has_no_extension(self, shipped_pack: RulePack) -> None:
        assert "extension" not in questionnaire_response(evaluate(shipped_pack, SOME))

    def test_an_empty_mark_is_no_mark_as_on_the_checklist(self, shipped_pack: RulePack) -> None:
        """Not done and no note: the checklist cannot tell it from no mark, so neither can
        the response rendered from it (before 0.4.0 it was carried with done false)."""
        rule_id = evaluate(shipped_pack, SOME).entries[0].rule_id
        empty = SOME.model_copy(update={"discussed": {rule_id: DiscussedMark(done=False)}})
        assert evaluate(shipped_pack, empty) == evaluate(shipped_pack, SOME)
        assert "extension" not in questionnaire_response(evaluate(shipped_pack, empty))

    def test_marks_under_another_base_are_read_and_other_extensions_ignored(
        self, shipped_pack: RulePack
    ) -> None:
        answers = marked(shipped_pack)
        resource = questionnaire_response(
            evaluate(shipped_pack, answers), "https://fhir.example-hospital.org"
        )
        resource["extension"].append({"url": "http://other.example/x", "valueString": "y"})
        assert read(shipped_pack, resource).discussed == answers.discussed

    @pytest.mark.parametrize(
        ("parts", "message"),
        [
            ([{"url": "done", "valueBoolean": True}], "a discussed point needs a rule"),
            ([{"url": "rule", "valueCode": "x"}], "a discussed point needs a rule"),
            (
                [{"url": "rule", "valueCode": "x"}, {"url": "done", "valueString": "yes"}],
                "a discussed point needs a rule",
            ),
        ],
    )
    def test_a_mark_without_its_rule_or_done_is_refused(
        self, shipped_pack: RulePack, parts: list[dict[str, Any]], message: str
    ) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        resource["extension"] = [
            {
                "url": "http://example.org/fhir/StructureDefinition/discussed-point",
                "extension": parts,
            }
        ]
        (problem,) = refusal(shipped_pack, resource)
        assert problem == (
            "r.json: extension(discussed-point): a discussed point needs a rule (code) and done "
            "(boolean)"
        )
        assert message in problem

    def test_a_mark_for_a_point_not_raised_is_refused(self, shipped_pack: RulePack) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        resource["extension"] = [
            {
                "url": "http://example.org/fhir/StructureDefinition/discussed-point",
                "extension": [
                    {"url": "rule", "valueCode": "no-such-rule"},
                    {"url": "done", "valueBoolean": True},
                ],
            }
        ]
        assert refusal(shipped_pack, resource) == [
            "r.json: discussed.no-such-rule: marked discussed, but no rule of this rule pack has "
            "this id"
        ]

    def test_fhir_response_on_the_command_line_carries_the_marks(
        self, shipped_pack: RulePack, tmp_path: Path
    ) -> None:
        answers = marked(shipped_pack)
        path = tmp_path / "a.json"
        path.write_text(answers.model_dump_json(), encoding="utf-8")
        result = CliRunner().invoke(cli, ["fhir", "response", str(path)])
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)["extension"]) == 2

    def test_a_mark_on_a_point_not_raised_is_refused_on_the_command_line_as_evaluate_does(
        self, shipped_pack: RulePack, tmp_path: Path
    ) -> None:
        every_no = {i.id: "no" for i in shipped_pack.items if i.asked_if is None}
        answers = AnswersFile.model_validate({"answers": every_no})
        raised = {e.rule_id for e in evaluate(shipped_pack, answers).entries}
        rule_id = next(r.id for r in shipped_pack.rules if r.id not in raised)
        stray = answers.model_copy(update={"discussed": {rule_id: DiscussedMark(done=True)}})
        path = tmp_path / "a.json"
        path.write_text(stray.model_dump_json(), encoding="utf-8")
        for command in (["fhir", "response"], ["evaluate"]):
            result = CliRunner().invoke(cli, [*command, str(path)])
            assert result.exit_code == 1, command
            assert result.stdout == ""
            assert f"discussed.{rule_id}: marked discussed, but this rule raises no" in (
                result.stderr
            )

    def test_the_apps_fhir_download_carries_the_ticks_and_notes_on_screen(
        self, shipped_pack: RulePack
    ) -> None:
        entry = evaluate(shipped_pack, SOME).entries[0]
        marks = {tick_key(entry): True, note_key(entry): " asked the patient "}
        resource = json.loads(saved_response_json(shipped_pack, SOME, marks))
        assert resource["extension"][0]["extension"] == [
            {"url": "rule", "valueCode": entry.rule_id},
            {"url": "done", "valueBoolean": True},
            {"url": "note", "valueString": "asked the patient"},
        ]
        assert "extension" not in json.loads(saved_response_json(shipped_pack, SOME, {}))

    def test_the_extension_is_published_by_a_command_and_validates(self) -> None:
        result = CliRunner().invoke(
            cli, ["fhir", "extension", "--base", "https://fhir.example-hospital.org/fhir"]
        )
        assert result.exit_code == 0, result.output
        definition = StructureDefinition.model_validate(json.loads(result.output))
        assert definition.url == (
            "https://fhir.example-hospital.org/fhir/StructureDefinition/discussed-point"
        )
        assert definition.context is not None
        assert definition.differential is not None
        assert definition.context[0].expression == "QuestionnaireResponse"
        slices = [e.sliceName for e in definition.differential.element or [] if e.sliceName]
        assert slices == ["rule", "done", "note"]


V2 = "http://terminology.hl7.org/CodeSystem/v2-0136"


def with_answer(pack: RulePack, value: dict[str, Any]) -> dict[str, Any]:
    """SOME as a response, its answer on monitoring (no follow-ups) replaced by `value`."""
    resource = questionnaire_response(evaluate(pack, SOME))
    for group in resource["item"]:
        for item in group["item"]:
            if item["linkId"] == "monitoring_available":
                item["answer"] = [value]
    return resource


class TestWhatClientsSend:
    """Readers take the other ways real clients say Yes, No and Unknown, and nothing more."""

    @pytest.mark.parametrize(
        ("value", "answer"),
        [
            ({"valueCoding": {"system": V2, "code": "Y"}}, "yes"),
            ({"valueCoding": {"system": V2, "code": "N"}}, "no"),
            ({"valueCoding": {"system": V2, "code": "UNK"}}, "unknown"),
            (
                {
                    "valueCoding": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
                        "code": "UNK",
                    }
                },
                "unknown",
            ),
            ({"valueBoolean": True}, "yes"),
            ({"valueBoolean": False}, "no"),
            ({"valueCoding": {"system": "https://loinc.org", "code": "LA33-6"}}, "yes"),
            ({"valueCoding": {"system": "https://loinc.org", "code": "LA4489-6"}}, "unknown"),
        ],
    )
    def test_other_codings_of_yes_no_unknown_are_read(
        self, shipped_pack: RulePack, value: dict[str, Any], answer: str
    ) -> None:
        resource = with_answer(shipped_pack, value)
        assert read(shipped_pack, resource).answers["monitoring_available"] == answer

    @pytest.mark.parametrize(
        "value",
        [
            {"valueCoding": {"system": V2, "code": "y"}},
            {
                "valueCoding": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
                    "code": "NA",
                }
            },
            {"valueBoolean": "true"},
            {"valueCoding": {"system": "https://loinc.org", "code": "LA99-9"}},
        ],
    )
    def test_anything_else_is_still_refused(
        self, shipped_pack: RulePack, value: dict[str, Any]
    ) -> None:
        (problem,) = refusal(shipped_pack, with_answer(shipped_pack, value))
        assert "answer must be a LOINC Yes (LA33-6)" in problem

    def test_a_questionnaire_without_version_is_read_when_its_questions_are_ours(
        self, shipped_pack: RulePack
    ) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        resource["questionnaire"] = URL
        assert read(shipped_pack, resource).answers == SOME.answers

    def test_answers_to_questions_not_shown_are_dropped_and_named(
        self, shipped_pack: RulePack
    ) -> None:
        kept_by_lforms = AnswersFile(
            answers={"substance_use_history": "no", "substance_use_active": "yes"}
        )
        answers, dropped = drop_not_enabled(shipped_pack, kept_by_lforms)
        assert answers.answers == {"substance_use_history": "no"}
        assert dropped == ["substance_use_active"]
        assert drop_not_enabled(shipped_pack, SOME) == (SOME, [])


class TestRoundTrip:
    """answers -> response -> answers is the identity, and gives the same checklist."""

    @settings(max_examples=40, deadline=None)
    @given(data=st.data())
    def test_answers_survive_the_round_trip(
        self, shipped_pack: RulePack, data: st.DataObject
    ) -> None:
        answers = data.draw(answer_sets(shipped_pack))
        text = response_json(evaluate(shipped_pack, answers))
        QuestionnaireResponse.model_validate(json.loads(text))
        back = read(shipped_pack, json.loads(text))
        as_fhir = {
            "patient_reference": answers.patient_reference
            and fhir_string(answers.patient_reference),
            "clinician": answers.clinician and fhir_string(answers.clinician),
        }
        expected = answers.model_copy(update=as_fhir)
        assert back.model_dump() == expected.model_dump()
        assert evaluate(shipped_pack, back) == evaluate(shipped_pack, expected)

    def test_evaluate_gives_the_same_checklist_for_the_file_and_its_response(
        self, tmp_path: Path
    ) -> None:
        answers_path = write_answers(
            tmp_path / "a.json",
            dict(SOME.answers),
            patient_reference="bed 4",
            clinician="Dr Lee",
            date="2026-11-30",
        )
        runner = CliRunner()
        made = runner.invoke(cli, ["fhir", "response", str(answers_path)])
        assert made.exit_code == 0, made.output
        response_path = tmp_path / "r.json"
        response_path.write_text(made.output, encoding="utf-8")
        from_file = runner.invoke(cli, ["evaluate", str(answers_path)])
        from_response = runner.invoke(cli, ["evaluate", str(response_path)])
        assert from_response.exit_code == 0, from_response.output
        assert from_response.output == from_file.output

    def test_an_ehr_datetime_gives_its_day_and_an_identifier_is_never_read(
        self, shipped_pack: RulePack
    ) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        resource["authored"] = "2026-11-30T09:15:00+01:00"
        resource["subject"] = {"reference": "Patient/123"}
        back = read(shipped_pack, resource)
        assert back.date == "2026-11-30"
        assert back.patient_reference is None

    def test_items_may_be_nested_or_flat(self, shipped_pack: RulePack) -> None:
        resource = questionnaire_response(evaluate(shipped_pack, SOME))
        flat = [q for group in resource.pop("item") for q in group["item"]]
        resource["item"] = flat
        assert read(shipped_pack, resource).answers == SOME.answers


def _nest_deep(resource: dict[str, Any]) -> None:
    nest: dict[str, Any] = {"linkId": "deep"}
    resource["item"].append(nest)
    for _ in range(10):
        nest["item"] = [{"linkId": "deep"}]
        nest = nest["item"][0]


LOINC_NO = {"system": "http://loinc.org", "code": "LA32-8", "display": "No"}
EDITS: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "url": lambda r, _: r.update(questionnaire="http://example.org/fhir/Questionnaire/phq-9|1.0.0"),
    "version": lambda r, _: r.update(questionnaire=f"{URL}|0.9.0"),
    "no-version": lambda r, q: r.update(questionnaire=URL) or q.update(text="Reworded?"),
    "status": lambda r, _: r.update(status="entered-in-error"),
    "code": lambda _, q: q.update(
        answer=[{"valueCoding": {"system": "http://loinc.org", "code": "LA99-9"}}]
    ),
    "system": lambda _, q: q["answer"][0]["valueCoding"].update(system="http://snomed.info/sct"),
    "string": lambda _, q: q.update(answer=[{"valueString": "yes"}]),
    "two-answers": lambda _, q: q.update(answer=q["answer"] * 2),
    "twice": lambda r, q: r["item"][1]["item"].append(copy.deepcopy(q)),
    "modifier": lambda _, q: q.update(
        modifierExtension=[{"url": "http://x.test/negated", "valueBoolean": True}]
    ),
    "unknown-item": lambda _, q: q.update(linkId="no_such_item"),
    "not-asked": lambda _, q: q.update(answer=[{"valueCoding": LOINC_NO}]),
    "authored": lambda r, _: r.update(authored="yesterday"),
    "long-reference": lambda r, _: r.update(subject={"display": "x" * 201}),
    "no-link-id": lambda _, q: q.pop("linkId"),
    "deep": lambda r, _: _nest_deep(r),
    "many": lambda r, _: r["item"].extend({"linkId": f"x{n}"} for n in range(1_001)),
}


def edited(pack: RulePack, change: str) -> dict[str, Any]:
    """A valid response with one thing wrong; `first` answers substance_use_history."""
    resource = copy.deepcopy(questionnaire_response(evaluate(pack, SOME)))
    EDITS[change](resource, resource["item"][0]["item"][0])
    return resource


REFUSALS = {
    "url": 'r.json: questionnaire: answers another questionnaire, "http://example.org/fhir/Questionnaire/phq-9"; this rule pack\'s is Questionnaire/ketamine-for-pain-pre-treatment-discussion-checklist version {version}',
    "version": 'r.json: questionnaire: answers version "0.9.0" of the questionnaire, but this rule pack is version {version}: evaluate it with the pack of that version',
    "no-version": "r.json: questionnaire: names no version of the questionnaire, and questions it answers differ from this rule pack's (substance_use_history): evaluate it with the pack it was made for",
    "status": 'r.json: status: must be one of in-progress, completed, amended, stopped, got "entered-in-error"',
    "code": 'r.json: substance_use_history: answer must be a LOINC Yes (LA33-6), No (LA32-8) or Unknown (LA4489-6) coding, got {"system": "http://loinc.org", "code": "LA99-9"}',
    "system": "r.json: substance_use_history: answer must be a LOINC Yes (LA33-6), No (LA32-8) or Unknown (LA4489-6) coding, got",
    "string": 'r.json: substance_use_history: answer must be a LOINC Yes (LA33-6), No (LA32-8) or Unknown (LA4489-6) coding, got {"valueString": "yes"}',
    "two-answers": "r.json: substance_use_history: has more than one answer",
    "twice": "r.json: substance_use_history: is answered twice",
    "modifier": "r.json: substance_use_history: has a modifierExtension, which could change what the answers mean: not read",
    "unknown-item": "r.json: no_such_item: unknown item id (not in this rule pack)",
    "not-asked": "r.json: substance_use_active: answered, but not asked given the other answers: it is asked only when substance use history is Yes",
    "authored": 'r.json: authored: must be a FHIR date or dateTime, got "yesterday"',
    "long-reference": "r.json: subject.display: String should have at most 200 characters",
    "no-link-id": "r.json: item[0].item[0]: an item needs a linkId",
    "deep": "items are nested more than 8 deep",
    "many": "r.json: holds more than 1,000 items; no more are read",
}


class TestRefusals:
    """Anything that would change what the answers mean is refused, saying what and where."""

    @pytest.mark.parametrize("change", sorted(REFUSALS))
    def test_a_bad_response_is_refused_with_a_clear_message(
        self, shipped_pack: RulePack, change: str
    ) -> None:
        problems = refusal(shipped_pack, edited(shipped_pack, change))
        assert len(problems) == 1, problems
        assert REFUSALS[change].replace("{version}", shipped_pack.meta.version) in problems[0]

    def test_another_resource_type_is_not_answers(self, shipped_pack: RulePack) -> None:
        assert refusal(shipped_pack, {"resourceType": "Patient"}) == [
            'r.json: resourceType: a FHIR "Patient" resource is not answers: expected a '
            "QuestionnaireResponse or an answers file"
        ]

    def test_every_problem_is_listed_at_once(self, shipped_pack: RulePack) -> None:
        resource = edited(shipped_pack, "status")
        resource["authored"] = "soon"
        assert len(refusal(shipped_pack, resource)) == 2

    def test_evaluate_refuses_another_version_in_one_error_line(
        self, shipped_pack: RulePack, tmp_path: Path
    ) -> None:
        path = tmp_path / "r.json"
        path.write_text(json.dumps(edited(shipped_pack, "version")), encoding="utf-8")
        result = CliRunner().invoke(cli, ["evaluate", str(path)])
        assert result.exit_code == 1
        assert result.output.startswith(f'Error: {path}: questionnaire: answers version "0.9.0"')


class TestApp:
    """The form saves its answers as a response, and loads one back."""

    def test_the_form_offers_the_response_download(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("SCREENING_RULES_DIR", raising=False)
        at = open_save_panel(AppTest.from_file(APP, default_timeout=30).run())
        labels = {b.key: b.label for b in at.download_button}
        assert labels["download__answers_fhir"] == "Save as FHIR QuestionnaireResponse"

    def test_an_uploaded_response_fills_the_form(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack
    ) -> None:
        monkeypatch.delenv("SCREENING_RULES_DIR", raising=False)
        at = AppTest.from_file(APP, default_timeout=30).run()
        content = response_json(evaluate(shipped_pack, SOME)).encode()
        open_save_panel(at)
        at.file_uploader(key="upload__answers").set_value(
            ("answers.fhir.json", content, "application/json")
        ).run()
        assert not at.exception
        values = {
            str(w.key).removeprefix("answer__"): w.value
            for w in at.segmented_control
            if w.value is not None
        }
        assert values == SOME.answers
        assert at.text_input(key="detail__patient_reference").value == "bed 4"
