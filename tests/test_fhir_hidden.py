"""An answer to a follow-up that is not shown given the other answers: a QuestionnaireResponse
that still holds one (LHC-Forms keeps them: lforms#185) and an answers file of our own (a parent
changed to No after its follow-up was answered) alike have it dropped, named in a note on
stderr, and never evaluated. The core's `evaluate` given such answers still refuses them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from screening import AnswersError, AnswersFile, RulePack, evaluate
from screening.answers import read_answers_bytes
from screening.cli import cli
from screening.fhir.hidden import hidden_answers_dropped
from screening.fhir.response import questionnaire_response

PARENT, FOLLOW_UP = "substance_use_history", "substance_use_active"
NO = {"system": "http://loinc.org", "code": "LA32-8", "display": "No"}


def kept_by_lforms(pack: RulePack) -> dict[str, Any]:
    """A response whose parent was changed to No, its follow-up's Yes still in it."""
    resource = questionnaire_response(
        evaluate(pack, AnswersFile(answers={PARENT: "yes", FOLLOW_UP: "yes"}))
    )
    stack = list(resource["item"])
    while stack:
        item = stack.pop()
        if item.get("linkId") == PARENT:
            item["answer"][0] = {"valueCoding": NO}
        stack += item.get("item", [])
        for answer in item.get("answer", []):
            stack += answer.get("item", [])
    return resource


def written(tmp_path: Path, resource: dict[str, Any]) -> Path:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(resource), encoding="utf-8")
    return path


class TestCore:
    def test_the_hidden_answer_is_dropped_and_named(self, shipped_pack: RulePack) -> None:
        read = read_answers_bytes(json.dumps(kept_by_lforms(shipped_pack)).encode(), "r.json")
        answers, note = hidden_answers_dropped(shipped_pack, read)
        assert answers.answers == {PARENT: "no"}
        assert note is not None and note.endswith(f": {FOLLOW_UP}")

    def test_an_answers_file_of_our_own_has_it_dropped_and_named_too(
        self, shipped_pack: RulePack
    ) -> None:
        own = AnswersFile(answers={PARENT: "no", FOLLOW_UP: "yes"})
        answers, note = hidden_answers_dropped(shipped_pack, own)
        assert answers.answers == {PARENT: "no"}
        assert note == (
            "1 answer(s) to questions not shown given the other answers were dropped, "
            f"not evaluated: {FOLLOW_UP}"
        )

    def test_the_core_evaluate_still_refuses_it(self, shipped_pack: RulePack) -> None:
        with pytest.raises(AnswersError, match="answered, but not asked"):
            evaluate(shipped_pack, AnswersFile(answers={PARENT: "no", FOLLOW_UP: "yes"}))

    def test_an_answers_file_without_hidden_answers_gives_no_note(
        self, shipped_pack: RulePack
    ) -> None:
        own = AnswersFile(answers={PARENT: "yes", FOLLOW_UP: "yes"})
        assert hidden_answers_dropped(shipped_pack, own) == (own, None)

    def test_a_response_without_hidden_answers_gives_no_note(self, shipped_pack: RulePack) -> None:
        resource = questionnaire_response(
            evaluate(shipped_pack, AnswersFile(answers={PARENT: "no"}))
        )
        read = read_answers_bytes(json.dumps(resource).encode(), "r.json")
        assert hidden_answers_dropped(shipped_pack, read) == (read, None)


class TestCommandLine:
    def test_evaluate_drops_the_hidden_answer_and_says_so_on_stderr(
        self, shipped_pack: RulePack, tmp_path: Path
    ) -> None:
        path = written(tmp_path, kept_by_lforms(shipped_pack))
        result = CliRunner().invoke(cli, ["evaluate", str(path)])
        assert result.exit_code == 0, result.output
        assert "note: 1 answer(s) to questions not shown" in result.stderr
        assert FOLLOW_UP in result.stderr
        states = {i["id"]: i["state"] for i in json.loads(result.stdout)["items"]}
        assert states[PARENT] == "no"
        assert FOLLOW_UP not in states  # not asked, so not on the checklist: never evaluated

    def test_fhir_response_prints_the_response_without_it(
        self, shipped_pack: RulePack, tmp_path: Path
    ) -> None:
        path = written(tmp_path, kept_by_lforms(shipped_pack))
        result = CliRunner().invoke(cli, ["fhir", "response", str(path)])
        assert result.exit_code == 0, result.output
        assert FOLLOW_UP in result.stderr
        assert f'"linkId": "{FOLLOW_UP}"' not in result.stdout
        assert f'"linkId": "{PARENT}"' in result.stdout

    def test_an_answers_file_with_a_hidden_answer_has_it_dropped_with_the_same_note(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "answers.json"
        path.write_text(json.dumps({"answers": {PARENT: "no", FOLLOW_UP: "yes"}}), "utf-8")
        result = CliRunner().invoke(cli, ["evaluate", str(path)])
        assert result.exit_code == 0, result.output
        assert result.stderr == (
            f"{path}: note: 1 answer(s) to questions not shown given the other answers were "
            f"dropped, not evaluated: {FOLLOW_UP}\n"
        )
        states = {i["id"]: i["state"] for i in json.loads(result.stdout)["items"]}
        assert states[PARENT] == "no"
        assert FOLLOW_UP not in states
