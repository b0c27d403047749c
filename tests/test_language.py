"""The language guard: verdict words in any form are refused, innocent look-alikes are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.hidden import hidden_text, lookalike_words
from screening.language import (
    Language,
    Vocabulary,
    gatekeeping_phrases,
    reads_as_verdict,
    verdict_words,
    wording_problems,
)
from screening.review.diff import diff_packs, diff_text
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
        assert [p.message for p in caught.value.problems] == [
            "text uses letters of a script the pack does not declare (Cyrillic: \u0456); "
            "declared: Latin",
            "text uses verdict language (eligible)",
            "text mixes alphabets within a word (el\u0456gible): look-alike letters could hide a "
            "verdict word",
        ]


GATE_FORMS = [
    ("Discuss the history before going further.", "before going further"),
    ("Verify the record before we go any further.", "before we go any further"),
    ("Discuss whether to proceed at all.", "proceed"),
    ("Document the plan before proceeding.", "proceeding"),
    ("Discuss whether treatment should go ahead.", "go ahead"),
    ("Give the go-ahead once it is known.", "go-ahead"),
    ("Discuss whether to treat the pain this way.", "whether to treat"),
    ("Discuss whether it should be addressed first.", "be addressed first"),
    ("Discuss the use, which must be treated first.", "be treated first"),
    ("Verify whether control can be improved first.", "be improved first"),
    ("Address the drinking first.", "Address the drinking first"),
    ("Benefit is short-lived at best.", "at best"),
    ("Ketamine may not fit every patient.", "may not fit"),
    ("It might not be a good fit.", "might not be a good fit"),
    ("Ketamine doesn't fit here.", "doesn't fit"),
    ("The patient is not a good fit for infusions.", "not a good fit for"),
    ("The setting is not ideal.", "not ideal"),
    ("Agree whether treatment should wait.", "treatment should wait"),
    ("Defer the treatment until then.", "Defer the treatment"),
    ("Postpone ketamine until then.", "Postpone ketamine"),
]

INNOCENT_PHRASES = [
    "Document the procedure and the first session.",
    "Discuss what the patient would like to address.",
    "Verify the best time of day for the session.",
    "Discuss the patient's fitness to travel home.",
    "Arrange the first of the planned infusions.",
    "Discuss the ideal outcome with the patient.",
]


class TestGatekeepingPhrases:
    """Wording that decides the order of care or its outcome is caught in every form."""

    @pytest.mark.parametrize(("text", "phrase"), GATE_FORMS)
    def test_each_gatekeeping_form_is_caught(self, text: str, phrase: str) -> None:
        assert gatekeeping_phrases(text) == [phrase]

    @pytest.mark.parametrize("text", INNOCENT_PHRASES)
    def test_ordinary_clinical_wording_is_not_caught(self, text: str) -> None:
        assert gatekeeping_phrases(text) == []

    def test_a_gate_hidden_by_letter_tricks_is_caught(self) -> None:
        assert gatekeeping_phrases("at\u00a0b\u0435st, bef0re going further") == [
            "at best",
            "before going further",
        ]

    @pytest.mark.parametrize(
        ("field", "old", "line"),
        [
            ("text", 'text: "Arrange monitoring by trained staff."', 26),
            ("summary", 'summary: "Arrange monitoring"', 25),
            ("rationale", 'rationale: "Side effects need watching."', 27),
            ("section", 'section: "Setting"', 22),
        ],
    )
    def test_a_gatekeeping_phrase_in_any_rule_text_is_refused_naming_rule_field_and_line(
        self, tmp_path: Path, field: str, old: str, line: int
    ) -> None:
        rules = MINI_PACK["rules-main.yaml"]
        start = rules.index("  - id: setting-monitoring")
        new = old[:-1] + ' before going further"'
        write_pack(tmp_path, {"rules-main.yaml": rules[:start] + rules[start:].replace(old, new)})
        with pytest.raises(PackError) as caught:
            load_pack(tmp_path)
        (problem,) = caught.value.problems
        assert (problem.line, problem.ref) == (line, "setting-monitoring")
        assert problem.message == (
            f"{field} uses gatekeeping language (before going further): ask the clinician "
            "to discuss, verify, arrange or document instead"
        )

    def test_a_gatekeeping_phrase_in_an_item_help_is_refused(self, tmp_path: Path) -> None:
        items = MINI_PACK["items.yaml"].replace(
            "During and after each dose.", "If not, the patient may not fit."
        )
        write_pack(tmp_path, {"items.yaml": items})
        with pytest.raises(PackError) as caught:
            load_pack(tmp_path)
        (problem,) = caught.value.problems
        assert (problem.ref, problem.message.split(":")[0]) == (
            "monitoring",
            "help uses gatekeeping language (may not fit)",
        )


def refusal(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """The problems of the mini pack with `files` replaced, as `ref: message`."""
    folder = write_pack(tmp_path / "attack", files)
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [f"{p.ref}: {p.message}" for p in caught.value.problems]


def rule_text_attack(tmp_path: Path, text: str) -> list[str]:
    return refusal(tmp_path, {"rules-main.yaml": rule_with(text)})


class TestGuardBypasses:
    """Each way found to slip a verdict past the guard is refused, written as the attack."""

    def test_a_right_to_left_override_showing_a_reversed_word_as_eligible_is_refused(
        self, tmp_path: Path
    ) -> None:
        problems = rule_text_attack(tmp_path, "Patient is \u202eelbigile\u202c.")
        assert problems == [
            "setting-monitoring: text holds a bidirectional control character (U+202C POP "
            "DIRECTIONAL FORMATTING, U+202E RIGHT-TO-LEFT OVERRIDE): it can show the text in "
            "another order than it is stored"
        ]

    @pytest.mark.parametrize("control", ["\u2066", "\u2067", "\u2068", "\u200f", "\u061c"])
    def test_every_bidirectional_isolate_and_mark_is_refused(
        self, tmp_path: Path, control: str
    ) -> None:
        (problem,) = rule_text_attack(tmp_path, f"Arrange {control}monitoring.")
        assert "bidirectional control character" in problem

    @pytest.mark.parametrize(
        "invisible", ["\u00ad", "\u200b", "\u200d", "\u2060", "\ufeff", "\u3164", "\u115f"]
    )
    def test_an_invisible_character_inside_a_verdict_word_is_refused_and_the_word_named(
        self, tmp_path: Path, invisible: str
    ) -> None:
        problems = rule_text_attack(tmp_path, f"Patient is elig{invisible}ible.")
        assert any("holds an invisible character" in p for p in problems), problems
        assert "setting-monitoring: text uses verdict language (eligible)" in problems

    @pytest.mark.parametrize("mark", ["\u0336", "\u0338", "\u034f", "\ufe0f", "\u20dd"])
    def test_a_combining_mark_inside_a_word_is_refused(self, tmp_path: Path, mark: str) -> None:
        problems = rule_text_attack(tmp_path, f"Patient is recom{mark}mended.")
        assert any("combining mark that does not form a letter" in p for p in problems), problems

    def test_an_accent_that_composes_into_a_letter_is_accepted(self, tmp_path: Path) -> None:
        folder = write_pack(
            tmp_path / "ok", {"rules-main.yaml": rule_with("Arrange cafe\u0301 time.")}
        )
        assert load_pack(folder).rules[-1].text == "Arrange cafe\u0301 time."

    @pytest.mark.parametrize(
        ("text", "word"),
        [
            (
                "Patient is \u1d07\u029f\u026a\u0262\u026a\u0299\u029f\u1d07.",
                "eligible",
            ),  # small capitals
            (
                "Patient is \U0001d41e\U0001d425\U0001d422\U0001d420\U0001d422\U0001d41b\U0001d425\U0001d41e.",
                "eligible",
            ),  # maths bold
            ("A \u1d49ligible patient.", "eligible"),  # modifier letter
            ("Patient is el\u0131gible.", "eligible"),  # dotless i
            ("A high \u0455core.", "score"),  # Cyrillic dze in a Latin word
            ("\u00e9l\u00efgible for it.", "eligible"),  # accents a reader looks through
        ],
    )
    def test_compatibility_and_look_alike_letters_do_not_hide_a_verdict_word(
        self, tmp_path: Path, text: str, word: str
    ) -> None:
        problems = rule_text_attack(tmp_path, text)
        assert f"setting-monitoring: text uses verdict language ({word})" in problems

    def test_a_whole_word_of_cyrillic_look_alikes_is_refused_even_where_cyrillic_is_declared(
        self, tmp_path: Path
    ) -> None:
        pack = MINI_PACK["pack.yaml"] + "  scripts: [Latin, Cyrillic]\n"
        problems = refusal(
            tmp_path,
            {
                "pack.yaml": pack,
                "rules-main.yaml": rule_with("A high \u0455\u0441\u043e\u0433\u0435."),
            },
        )
        assert problems == ["setting-monitoring: text uses verdict language (score)"]

    @pytest.mark.parametrize(
        ("text", "word"),
        [
            ("A sc0re of 3.", "score"),
            ("Patient is e1igible.", "eligible"),
            ("Patient is elig1ble.", "eligible"),
            ("Not rec0mm3nded.", "recommended"),
            ("Patient is $uitable.", "suitable"),
            ("Care is @pproved.", "approved"),
        ],
    )
    def test_digits_and_signs_for_letters_do_not_hide_a_verdict_word(
        self, tmp_path: Path, text: str, word: str
    ) -> None:
        assert rule_text_attack(tmp_path, text) == [
            f"setting-monitoring: text uses verdict language ({word})"
        ]

    @pytest.mark.parametrize(
        "text",
        [
            "Verify vitamin B12 and 5-HT3 use.",
            "Arrange AUDIT-C at 24 h.",
            "Document COVID-19 status!",
        ],
    )
    def test_ordinary_digits_in_clinical_text_pass(self, tmp_path: Path, text: str) -> None:
        folder = write_pack(tmp_path / "ok", {"rules-main.yaml": rule_with(text)})
        assert load_pack(folder).rules[-1].text == text

    def test_a_greek_word_in_a_pack_declaring_only_latin_is_refused(self, tmp_path: Path) -> None:
        problems = rule_text_attack(tmp_path, "Verify \u03b2\u03bb\u03bf\u03ba\u03ad\u03c1 use.")
        assert problems == [
            "setting-monitoring: text uses letters of a script the pack does not declare "
            "(Greek: \u03ad\u03b2\u03ba\u03bb\u03bf\u03c1); declared: Latin"
        ]

    def test_a_declared_script_is_accepted(self, tmp_path: Path) -> None:
        pack = MINI_PACK["pack.yaml"] + "  scripts: [Latin, Greek]\n"
        folder = write_pack(
            tmp_path / "ok",
            {"pack.yaml": pack, "rules-main.yaml": rule_with("Verify \u03b2-blocker use.")},
        )
        assert load_pack(folder).meta.scripts == ["Latin", "Greek"]

    def test_an_unknown_script_name_is_refused_with_its_line(self, tmp_path: Path) -> None:
        pack = MINI_PACK["pack.yaml"] + "  scripts: [Latin, Klingon]\n"
        assert refusal(tmp_path, {"pack.yaml": pack}) == [
            "None: pack.scripts: is not a Unicode script name (such as Latin, Greek, Cyrillic, "
            "Han) (got 'Klingon')"
        ]

    def test_the_micro_sign_in_a_dose_is_not_taken_for_greek(self, tmp_path: Path) -> None:
        folder = write_pack(
            tmp_path / "ok", {"rules-main.yaml": rule_with("Verify the 5 \u00b5g dose.")}
        )
        assert load_pack(folder).rules[-1].text == "Verify the 5 \u00b5g dose."

    def test_a_control_character_in_a_text_is_refused(self, tmp_path: Path) -> None:
        (problem,) = rule_text_attack(tmp_path, "Arrange \\e[31mmonitoring.")
        assert problem.startswith("setting-monitoring: text holds a control character (U+001B")


class TestEveryFieldAReaderSees:
    """Grades, notes, reviewers and citations are guarded too, each as its use allows."""

    def test_a_verdict_word_in_a_source_grade_is_refused(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '"Author A. A study. J Test. 2020;1:1-2."',
            '"Author A. A study. J Test. 2020;1:1-2."\n    grade: "Recommended (grade A)"',
        )
        assert refusal(tmp_path, {"sources.yaml": sources}) == [
            "src-a: grade uses verdict language (Recommended)"
        ]

    def test_a_gatekeeping_phrase_in_a_source_note_is_refused(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '"Author A. A study. J Test. 2020;1:1-2."',
            '"Author A. A study. J Test. 2020;1:1-2."\n    note: "Weak at best."',
        )
        (problem,) = refusal(tmp_path, {"sources.yaml": sources})
        assert problem.startswith("src-a: note uses gatekeeping language (at best)")

    def test_a_verdict_word_in_a_reviewer_name_is_refused(self, tmp_path: Path) -> None:
        pack = MINI_PACK["pack.yaml"].replace('["Dr Test"]', '["Dr Test", "Approved by Dr B"]')
        assert refusal(tmp_path, {"pack.yaml": pack}) == [
            "None: pack.reviewers uses verdict language (Approved)"
        ]

    def test_a_citation_may_quote_a_title_with_a_verdict_word(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '"Author A. A study. J Test. 2020;1:1-2."', '"Author A. Recommendations. J Test. 2020."'
        )
        folder = write_pack(tmp_path / "ok", {"sources.yaml": sources})
        assert load_pack(folder).sources[0].citation.startswith("Author A. Recommendations")

    def test_a_citation_with_a_bidirectional_override_is_refused(self, tmp_path: Path) -> None:
        sources = MINI_PACK["sources.yaml"].replace("A study.", "A \u202estudy.")
        (problem,) = refusal(tmp_path, {"sources.yaml": sources})
        assert problem.startswith("src-a: citation holds a bidirectional control character")


REPOSITORY_RULES = Path(__file__).parents[1] / "rules"
SHIPPED_VOCABULARY = REPOSITORY_RULES / "vocabulary.yaml"


def with_vocabulary(files: dict[str, str] | None = None) -> dict[str, str]:
    """The mini pack's files plus the shipped pack's vocabulary."""
    return {"vocabulary.yaml": SHIPPED_VOCABULARY.read_text("utf-8"), **(files or {})}


class TestCaseAwareSkeletons:
    """Capital I, small l and their look-alikes read alike, so a swap hides no word."""

    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("Patient is ELlGlBLE.", ["ELlGlBLE"]),  # small l for capital I
            ("Patient is eIigible.", ["eIigible"]),  # capital I for small l
            ("Patient is e\u2160igible.", ["eIigible"]),  # Roman numeral one for l
            ("Patient is eligi\u0185le.", ["eligible"]),  # tone six drawn as b
            ("SUITABLE AND APPROVED", ["SUITABLE", "APPROVED"]),
        ],
    )
    def test_the_word_a_reader_would_see_is_caught(self, text: str, found: list[str]) -> None:
        assert verdict_words(text) == found

    def test_an_i_for_l_swap_in_a_rule_text_is_refused(self, tmp_path: Path) -> None:
        assert rule_text_attack(tmp_path, "The patient is ELlGlBLE.") == [
            "setting-monitoring: text uses verdict language (ELlGlBLE)"
        ]

    @pytest.mark.parametrize("text", ["Verify the Ill patient's lactate.", "Discuss LIL pain."])
    def test_words_of_is_and_ls_alone_pass(self, text: str) -> None:
        assert verdict_words(text) == []


class TestNothingDrawnAsNothing:
    """Default-ignorable, unassigned and private-use code points are refused wherever they are."""

    @pytest.mark.parametrize(
        "char",
        ["\U000e0080", "\U000e01f0", "\u0378", "\U0010fffd", "\ue000", "\u180e", "\u17b4"],
    )
    def test_a_code_point_a_viewer_may_draw_as_nothing_is_refused_and_the_word_seen(
        self, tmp_path: Path, char: str
    ) -> None:
        problems = rule_text_attack(tmp_path, f"Patient is elig{char}ible.")
        assert any("holds an invisible character" in p for p in problems), problems
        assert "setting-monitoring: text uses verdict language (eligible)" in problems

    def test_free_standing_default_ignorable_letters_are_refused(self) -> None:
        assert hidden_text("Arrange\u3164monitoring") != []


class TestVocabulary:
    """The committee's vocabulary (vocabulary.yaml) adds clinical synonyms and other languages'
    word forms to the fixed list; `diff` shows its changes; quoted text is not judged."""

    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("The patient is cleared for ketamine.", "verdict language (cleared)"),
            ("Ketamine is ruled out.", "verdict language (ruled out)"),
            ("The patient meets the criteria.", "verdict language (meets the criteria)"),
            ("The patient is good to go.", "verdict language (good to go)"),
            ("Patient qualifies.", "verdict language (qualifies)"),
            ("Paciente elegible.", "verdict language (elegible)"),
            ("Buen candidato.", "verdict language (candidato)"),
            ("Patient ist geeignet.", "verdict language (geeignet)"),
            ("Ketamine is contraindicated \u2014 stop.", "gatekeeping language (contraindicated"),
            ("Do not give ketamine.", "gatekeeping language (Do not give"),
            ("Don\u2019t give ketamine.", "gatekeeping language (Don\u2019t give"),
            ("Infusion is off the table.", "gatekeeping language (off the table"),
            ("CLEARED", "verdict language (CLEARED)"),
            ("c1eared", "verdict language (cleared)"),
        ],
    )
    def test_a_synonym_or_another_languages_form_is_refused(
        self, tmp_path: Path, text: str, found: str
    ) -> None:
        problems = refusal(tmp_path, with_vocabulary({"rules-main.yaml": rule_with(text)}))
        assert any(found in p for p in problems), problems

    def test_the_shipped_pack_passes_its_own_vocabulary(self) -> None:
        pack = load_pack(REPOSITORY_RULES)
        assert {lang.name for lang in pack.vocabulary.languages} >= {"English", "Spanish"}

    def test_a_language_counts_only_where_the_pack_declares_its_script(self) -> None:
        vocabulary = Vocabulary((Language("Spanish", "Latin", ("elegib*",)),))
        assert verdict_words("elegible", vocabulary.for_scripts(["Latin"])) == ["elegible"]
        assert verdict_words("elegible", vocabulary.for_scripts(["Greek"])) == []

    def test_a_label_that_contraindicates_may_be_reported_in_a_rationale(
        self, tmp_path: Path
    ) -> None:
        text = "The label contraindicates ketamine in severe hypertension."
        folder = write_pack(tmp_path / "ok", with_vocabulary({"rules-main.yaml": rule_with(text)}))
        assert load_pack(folder).rules[-1].text == text

    def test_quoted_source_text_is_judged_only_for_what_hides_letters(self) -> None:
        quote = "Ketamine is contraindicated in patients in whom a rise in blood pressure..."
        vocabulary = load_pack(REPOSITORY_RULES).vocabulary
        assert wording_problems(quote, vocabulary=vocabulary, quoted=True) == []
        assert wording_problems(quote, vocabulary=vocabulary) == [
            "uses gatekeeping language (contraindicated): ask the clinician to discuss, verify, "
            "arrange or document instead"
        ]
        assert wording_problems("contra\u200bindicated", quoted=True)[0].startswith(
            "holds an invisible character"
        )

    def test_a_malformed_entry_is_refused_with_its_line(self, tmp_path: Path) -> None:
        vocabulary = (
            "vocabulary:\n  - language: English\n    script: Latin\n    verdict: [ok, 'a|b']\n"
        )
        (problem,) = refusal(tmp_path, {"vocabulary.yaml": vocabulary})
        assert problem.startswith("None: vocabulary.verdict: String should match pattern")

    def test_diff_lists_words_added_and_removed_and_warns_of_a_removal(
        self, tmp_path: Path
    ) -> None:
        old = write_pack(tmp_path / "old", with_vocabulary())
        text = SHIPPED_VOCABULARY.read_text("utf-8").replace("      - cleared\n", "      - ok-ed\n")
        new = write_pack(tmp_path / "new", {"vocabulary.yaml": text})
        shown = diff_text(diff_packs(load_pack(old), load_pack(new)), "old", "new")
        assert "Warning: Words were removed from the guard's vocabulary" in shown
        assert "verdict words added (English)\n      was: (none)\n      now: ok-ed" in shown
        assert "verdict words removed (English)\n      was: cleared\n      now: (none)" in shown


class TestSourceFieldsAreGuarded:
    """A source's `sections` and `revised` are read as every other text a reader sees."""

    def test_a_verdict_word_in_a_source_section_is_refused_at_its_line(
        self, tmp_path: Path
    ) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '"Author A. A study. J Test. 2020;1:1-2."',
            '"Author A. A study. J Test. 2020;1:1-2."\n    sections:\n      - "Methods"\n'
            '      - "Patients ELIGIBLE"',
        )
        folder = write_pack(tmp_path / "attack", {"sources.yaml": sources})
        with pytest.raises(PackError) as caught:
            load_pack(folder)
        (problem,) = caught.value.problems
        assert (problem.ref, problem.message) == (
            "src-a",
            "sections uses verdict language (ELIGIBLE)",
        )
        lines = (folder / "sources.yaml").read_text("utf-8").splitlines()
        assert problem.line is not None and "Patients ELIGIBLE" in lines[problem.line - 1]

    @pytest.mark.parametrize(
        ("revised", "found"),
        [
            ("2023-01 \\e[2J", "revised holds a control character (U+001B"),
            ("2023 \u202e10-10", "revised holds a bidirectional control character"),
            ("2023, approved", "revised uses verdict language (approved)"),
        ],
    )
    def test_a_revised_date_is_guarded(self, tmp_path: Path, revised: str, found: str) -> None:
        sources = MINI_PACK["sources.yaml"].replace(
            '"Author A. A study. J Test. 2020;1:1-2."',
            f'"Author A. A study. J Test. 2020;1:1-2."\n    revised: "{revised}"',
        )
        (problem,) = refusal(tmp_path, {"sources.yaml": sources})
        assert problem.startswith(f"src-a: {found}")


class TestFreeTextIsFlagged:
    """Free text is a person's: never refused, but flagged where it reads as a verdict."""

    def test_a_patient_reference_reading_as_a_verdict_is_flagged_in_any_language(self) -> None:
        vocabulary = load_pack(REPOSITORY_RULES).vocabulary
        assert reads_as_verdict("ELIGIBLE - APPROVED FOR KETAMINE", vocabulary) == [
            "ELIGIBLE",
            "APPROVED",
        ]
        assert reads_as_verdict("paciente apto", vocabulary) == ["apto"]

    def test_an_ordinary_name_is_not_flagged(self) -> None:
        vocabulary = load_pack(REPOSITORY_RULES).vocabulary
        assert reads_as_verdict("MRN 00123 Zoë Núñez", vocabulary) == []
