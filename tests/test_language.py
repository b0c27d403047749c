"""The language guard: verdict words in any form are refused, innocent look-alikes are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.language import lookalike_words, verdict_words
from tests.conftest import MINI_PACK, write_pack

VERDICT_FORMS = [
    "eligible",
    "ineligible",
    "eligibility",
    "Eligibility",
    "recommend",
    "recommends",
    "recommended",
    "recommendation",
    "recommendations",
    "candidate",
    "candidates",
    "candidacy",
    "approve",
    "approved",
    "approval",
    "disapprove",
    "score",
    "scores",
    "scored",
    "scoring",
    "SCORE",
    "suitable",
    "unsuitable",
    "suitability",
]

INNOCENT_WORDS = [
    "candida",  # a fungus: an infection is a clinical fact, not a verdict
    "candidiasis",
    "underscore",
    "scoreboard",
    "approximately",
    "improve",
]


@pytest.mark.parametrize("word", VERDICT_FORMS)
def test_each_verdict_word_form_is_caught(word: str) -> None:
    assert verdict_words(f"Discuss whether the patient is {word} today.") == [word]


@pytest.mark.parametrize("word", VERDICT_FORMS)
def test_a_verdict_word_next_to_punctuation_is_caught(word: str) -> None:
    assert verdict_words(f'Not "{word}", (nor {word}).') == [word, word]


@pytest.mark.parametrize("word", INNOCENT_WORDS)
def test_an_innocent_look_alike_is_not_caught(word: str) -> None:
    assert verdict_words(f"Verify {word} before the infusion.") == []


def test_every_verdict_word_in_a_text_is_listed_in_order() -> None:
    text = "A score of 3 makes the candidate eligible; approval follows."
    assert verdict_words(text) == ["score", "candidate", "eligible", "approval"]


def rule_with(text: str = "Arrange monitoring by trained staff.", rationale: str = "Why.") -> str:
    return (
        MINI_PACK["rules-main.yaml"]
        .replace('text: "Arrange monitoring by trained staff."', f'text: "{text}"')
        .replace('rationale: "Side effects need watching."', f'rationale: "{rationale}"')
    )


class TestGuardInTheLoader:
    """`check` refuses a pack whose rule or item wording slips into a verdict, naming the rule."""

    @pytest.mark.parametrize(
        "word", ["eligible", "recommended", "candidacy", "approval", "scoring"]
    )
    def test_a_verdict_word_in_a_rule_text_is_refused_naming_the_rule_and_line(
        self, tmp_path: Path, word: str
    ) -> None:
        write_pack(tmp_path, {"rules-main.yaml": rule_with(f"Arrange monitoring if {word}.")})
        with pytest.raises(PackError) as caught:
            load_pack(tmp_path)
        (problem,) = caught.value.problems
        assert (problem.line, problem.ref) == (26, "setting-monitoring")
        assert problem.message.startswith(f"text uses verdict language ({word})")

    def test_a_verdict_word_in_a_rationale_is_refused(self, tmp_path: Path) -> None:
        write_pack(
            tmp_path, {"rules-main.yaml": rule_with(rationale="The guideline recommends it.")}
        )
        with pytest.raises(PackError) as caught:
            load_pack(tmp_path)
        (problem,) = caught.value.problems
        assert problem.ref == "setting-monitoring"
        assert problem.message.startswith("rationale uses verdict language (recommends)")

    def test_a_verdict_word_in_an_item_question_is_refused(self, tmp_path: Path) -> None:
        items = MINI_PACK["items.yaml"].replace(
            "Can trained staff monitor the patient?", "Is the patient a candidate?"
        )
        write_pack(tmp_path, {"items.yaml": items})
        with pytest.raises(PackError) as caught:
            load_pack(tmp_path)
        (problem,) = caught.value.problems
        assert problem.ref == "monitoring"
        assert problem.message == "question uses verdict language (candidate)"

    def test_an_innocent_look_alike_in_a_rule_text_is_accepted(self, tmp_path: Path) -> None:
        write_pack(
            tmp_path,
            {"rules-main.yaml": rule_with("Verify candida infection, underscore monitoring.")},
        )
        assert load_pack(tmp_path).rules[-1].text.startswith("Verify candida")


class TestHiddenVerdicts:
    """A verdict word cannot hide behind invisible characters, odd forms or look-alike letters."""

    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("not elig\u00adible", ["eligible"]),  # a soft hyphen vanishes in print
            ("not recom\u200bmended", ["recommended"]),  # so does a zero-width space
            (
                "\uff45\uff4c\uff49\uff47\uff49\uff42\uff4c\uff45",
                ["eligible"],
            ),  # full-width letters
            ("preapproved", ["preapproved"]),
            ("unrecommended", ["unrecommended"]),
            ("rescored", ["rescored"]),
            ("not_recommended", ["recommended"]),
        ],
    )
    def test_the_word_a_reader_would_see_is_caught(self, text: str, found: list[str]) -> None:
        assert verdict_words(text) == found

    def test_a_word_mixing_latin_and_cyrillic_letters_is_flagged(self) -> None:
        assert lookalike_words("The patient is el\u0456gible.") == ["el\u0456gible"]

    @pytest.mark.parametrize("text", ["Zoë Núñez", "Дмитрий", "王小明", "naïve café"])
    def test_words_in_one_alphabet_are_not_flagged(self, text: str) -> None:
        assert lookalike_words(text) == []

    def test_a_rule_text_with_look_alike_letters_is_refused(self, tmp_path: Path) -> None:
        folder = write_pack(
            tmp_path / "p", {"rules-main.yaml": rule_with(text="Patient is el\u0456gible.")}
        )
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        (problem,) = caught.value.problems
        assert problem.message == (
            "text mixes alphabets within a word (el\u0456gible): look-alike letters could hide a verdict word"
        )
