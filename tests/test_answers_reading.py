"""Reading an answers file: each refusal says what is wrong, where, in words a clinician reads.

Bounds come in boundary pairs (the largest accepted, the smallest refused), and every line
number is asked for on a line other than the first, so a refusal points at the right place.
"""

from __future__ import annotations

import json

import pytest

from screening import AnswersError, AnswersFile, RulePack, evaluate, parse_answers
from screening.answers import answer_problems, read_answers_bytes
from screening.fhir.response import questionnaire_response
from screening.limits import MAX_ANSWERS, MAX_ANSWERS_BYTES, MAX_ECHO, MAX_NUMBER_DIGITS


def refusal(text: str | bytes) -> list[str]:
    """The problems, one line each, with which an answers file is refused."""
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(AnswersError) as caught:
        read_answers_bytes(data, "a.json")
    return [str(p) for p in caught.value.problems]


def padded(text: str, size: int) -> bytes:
    """The JSON text padded with spaces (insignificant in JSON) to exactly `size` bytes."""
    return (text + " " * (size - len(text.encode()))).encode()


class TestBounds:
    """Each bound lets its largest value through and refuses the next, saying which bound."""

    def test_a_file_of_exactly_the_size_limit_is_read(self) -> None:
        data = padded('{"answers": {"history": "no"}}', MAX_ANSWERS_BYTES)
        assert read_answers_bytes(data, "a.json").answers == {"history": "no"}

    def test_a_file_one_byte_over_the_size_limit_is_refused_unread(self) -> None:
        data = padded('{"answers": {"history": "no"}}', MAX_ANSWERS_BYTES + 1)
        assert refusal(data) == ["a.json: file is larger than 1,000,000 bytes"]

    @pytest.mark.parametrize("field", ["answers", "discussed"])
    def test_exactly_the_most_entries_pass_the_count_check(self, field: str) -> None:
        entry = "yes" if field == "answers" else {"done": True}
        document = {field: {f"i{n}": entry for n in range(MAX_ANSWERS)}}
        assert len(getattr(parse_answers(json.dumps(document), "a.json"), field)) == MAX_ANSWERS

    @pytest.mark.parametrize("field", ["answers", "discussed"])
    def test_one_entry_more_than_the_most_is_refused_naming_the_field(self, field: str) -> None:
        document = {field: {f"i{n}": "yes" for n in range(MAX_ANSWERS + 1)}}
        assert refusal(json.dumps(document)) == [
            f"a.json: {field}: holds 1,001 entries; at most 1,000 are read"
        ]

    def test_a_number_of_exactly_the_most_digits_is_read_and_refused_as_an_answer(self) -> None:
        number = "1" * MAX_NUMBER_DIGITS
        assert refusal('{"answers": {"history": ' + number + "}}") == [
            f'a.json: history: answer must be "yes", "no" or "unknown", got {number}'
        ]

    def test_a_fraction_of_exactly_the_most_characters_is_read_and_refused_as_text(self) -> None:
        number = "0." + "5" * (MAX_NUMBER_DIGITS - 2)
        assert refusal('{"clinician": ' + number + "}") == [
            "a.json: clinician: Input should be a valid string"
        ]

    @pytest.mark.parametrize("number", ["1" * 101, "-1" + "0" * 100, "0." + "5" * 99])
    def test_a_number_one_digit_longer_is_refused_on_its_line(self, number: str) -> None:
        text = '\n{"answers": {},\n\n "clinician": ' + number + "\n}\n"
        assert refusal(text) == [
            "a.json:4: a number longer than 100 digits: no field of an answers file is a number"
        ]

    def test_the_line_is_that_of_the_long_number_not_of_a_long_run_of_digits_in_text(
        self,
    ) -> None:
        text = '{"answers": {},\n"clinician": "' + "1" * 100 + '",\n"date": ' + "1" * 101 + "}"
        assert refusal(text) == [
            "a.json:3: a number longer than 100 digits: no field of an answers file is a number"
        ]

    def test_nesting_deeper_than_python_reads_is_refused_in_words(self) -> None:
        assert refusal("[" * 200_000) == ["a.json: not an answers file: nested too deeply"]


class TestWhere:
    """A refusal names the line it found the problem on, or none when it cannot tell."""

    def test_bytes_that_are_not_utf8_are_refused_naming_their_line(self) -> None:
        assert refusal(b'{"answers": {},\n"clinician":\n "\xff"}') == ["a.json:3: not UTF-8 text"]

    def test_a_duplicate_key_is_refused_on_the_line_of_its_second_appearance(self) -> None:
        text = '{"answers": {\n"history": "yes",\n"monitoring": "history",\n"history": "no"}}'
        assert refusal(text) == ["a.json:4: history: duplicate key in JSON"]

    def test_a_duplicate_key_written_two_ways_is_refused_without_a_line(self) -> None:
        text = '{"answers": {\n"history": "yes",\n"\\u0068istory": "no"}}'
        assert refusal(text) == ["a.json: history: duplicate key in JSON"]

    def test_the_line_counts_a_blank_first_line(self) -> None:
        text = '\n{"answers": {"history": "yes",\n"history": "no"}}'
        assert refusal(text) == ["a.json:3: history: duplicate key in JSON"]

    def test_a_key_written_three_times_is_refused_at_its_second_appearance(self) -> None:
        text = '{"answers": {\n"history": "yes",\n"history": "no",\n"history": "unknown"}}'
        assert refusal(text) == ["a.json:3: history: duplicate key in JSON"]

    def test_text_that_is_not_json_is_refused_with_its_line_and_column(self) -> None:
        assert refusal('{"answers": {},\n  "date": 2026-01-01}') == [
            "a.json:2: not valid JSON: Expecting ',' delimiter (column 15)"
        ]


class TestWhatIsWrong:
    """The message says what is wrong with the field in the clinician's terms."""

    def test_a_date_that_is_no_date_says_why_and_echoes_it(self) -> None:
        (problem,) = refusal('{"date": "2026-02-30"}')
        assert problem.startswith("a.json: date: ")
        assert problem.endswith(', got "2026-02-30"')

    def test_a_mark_echoes_at_most_the_echo_length_of_what_it_got(self) -> None:
        note = "é" * 500
        assert refusal(json.dumps({"discussed": {"r": {"done": note}}})) == [
            f'a.json: discussed.r.done: must be true or false, got "{"é" * (MAX_ECHO - 2)}…'
        ]

    def test_a_nested_field_that_is_not_text_is_named_by_its_whole_path(self) -> None:
        text = '{"discussed": {"r": {"done": true, "note": "A\\ud800B"}}}'
        assert refusal(text) == [
            "a.json: discussed.r.note: Input should be a valid string, "
            "unable to parse raw data as a unicode string"
        ]

    def test_a_fhir_resource_of_another_kind_is_refused_naming_the_file(self) -> None:
        assert refusal('{"resourceType": "Patient"}') == [
            'a.json: resourceType: a FHIR "Patient" resource is not answers: expected a '
            "QuestionnaireResponse or an answers file"
        ]

    def test_a_fhir_resource_is_read_as_a_questionnaire_response(
        self, shipped_pack: RulePack
    ) -> None:
        answers = AnswersFile(answers={"monitoring_available": "no"})
        resource = questionnaire_response(evaluate(shipped_pack, answers))
        read = read_answers_bytes(json.dumps(resource).encode(), "r.json")
        assert read.answers == {"monitoring_available": "no"}
        assert answer_problems(shipped_pack, read, "r.json") == []


class TestCheckedAgainstThePack:
    """Against a pack, every wrong id is listed at once; a wrong questionnaire comes first."""

    def test_unknown_items_and_unknown_marks_are_all_listed_in_order(
        self, mini_pack: RulePack
    ) -> None:
        answers = parse_answers(
            json.dumps(
                {
                    "answers": {"nope": "yes", "history": "yes", "nada": "no"},
                    "discussed": {"no-rule": {"done": True}, "setting-monitoring": {"done": True}},
                }
            ),
            "a.json",
        )
        assert [str(p) for p in answer_problems(mini_pack, answers, "a.json")] == [
            "a.json: nope: unknown item id (not in this rule pack)",
            "a.json: nada: unknown item id (not in this rule pack)",
            "a.json: discussed.no-rule: marked discussed, but no rule of this rule pack has "
            "this id",
        ]

    def test_a_file_refused_for_its_values_also_names_its_unknown_ids_given_the_pack(
        self, mini_pack: RulePack
    ) -> None:
        text = json.dumps(
            {"answers": {"history": "perhaps", "nope": "yes", "nada": "maybe"}, "date": "x"}
        )
        with pytest.raises(AnswersError) as caught:
            read_answers_bytes(text.encode(), "a.json", mini_pack)
        assert [str(p) for p in caught.value.problems] == [
            'a.json: history: answer must be "yes", "no" or "unknown", got "perhaps"',
            'a.json: date: must be a calendar date from 1900 on, written YYYY-MM-DD, got "x"',
            "a.json: nope: unknown item id (not in this rule pack)",
            "a.json: nada: unknown item id (not in this rule pack)",
        ]

    def test_without_the_pack_the_refusal_for_values_is_all_it_can_say(self) -> None:
        assert refusal('{"answers": {"history": "perhaps", "nope": "yes"}}') == [
            'a.json: history: answer must be "yes", "no" or "unknown", got "perhaps"'
        ]

    def test_a_response_to_another_questionnaire_is_refused_before_its_answers_are_read(
        self, shipped_pack: RulePack
    ) -> None:
        resource = questionnaire_response(
            evaluate(shipped_pack, AnswersFile(answers={"monitoring_available": "no"}))
        )
        resource["questionnaire"] = "http://example.org/Questionnaire/other|1.0.0"
        resource["item"][0]["item"][0]["linkId"] = "not_an_item"
        answers = read_answers_bytes(json.dumps(resource).encode(), "r.json")
        problems = [str(p) for p in answer_problems(shipped_pack, answers, "r.json")]
        assert len(problems) == 1
        assert problems[0].startswith("r.json: questionnaire: answers another questionnaire")

    def test_answers_to_asked_questions_with_known_marks_have_no_problem(
        self, mini_pack: RulePack
    ) -> None:
        answers = AnswersFile(
            answers={"history": "yes", "active": "no"},
            discussed={"substance-history": {"done": True}},
        )
        assert answer_problems(mini_pack, answers, "a.json") == []
