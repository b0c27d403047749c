"""The guard's shortcuts find exactly what reading every text in full finds.

The wording guard skips work it can prove cannot find anything: a fixed pattern is not run
over a text that holds none of the strings each of its matches holds, digits and signs are
read as letters only in words that have some, ASCII characters are not asked about Unicode
properties they cannot have, and the `regex` module is imported only for a text that needs
it. Each proof is checked here (from the patterns' parse, and over every code point), and
the guard is held against the straightforward reading it replaced, kept below as it was
written, on the shipped pack's texts, on disguised copies of them and on generated texts.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from screening import hidden, language
from screening.pack import guard, loader
from tests.conftest import REPOSITORY
from tests.test_language_quick import reference_hidden_text, reference_lookalike_words

sre_parse: Any = importlib.import_module("re._parser")  # `re`'s own parser: typeshed has no stub
sre: Any = importlib.import_module("re._constants")


def reference_readings(seen: str) -> Iterator[str]:
    """`digit_readings` as it was: every word of the text asked whether it has a digit."""
    yield re.sub(r"\d", " ", seen)
    words = list(hidden._WORD_WITH_SWAPS.finditer(seen))
    ways = max(
        (hidden._ways(m.group(0)) for m in words if hidden._swapped(m.group(0), 0) is not None),
        default=0,
    )
    for choice in range(ways):
        text = list(seen)
        for m in words:
            read = hidden._swapped(m.group(0), choice)
            if read is not None and len(read) == len(m.group(0)):
                text[m.start() : m.end()] = read
        yield "".join(text)


def reference_found(patterns: Sequence[re.Pattern[str]], text: str) -> list[str]:
    """The guard's finds as they were: every pattern, ungrouped, over every reading."""
    found: dict[tuple[int, int], str] = {}
    readings = list(reference_readings(language._seen(text)))
    for reading in readings:
        skeleton = reading.translate(language._SKELETON)
        for pattern in patterns:
            plain = re.compile(pattern.pattern.translate(language._SKELETON), pattern.flags)
            for m in plain.finditer(skeleton):
                if not any(m.start() < end and start < m.end() for start, end in found):
                    found[m.span()] = reading[m.start() : m.end()]
    for start, end in found:
        for reading in readings:
            if any(p.fullmatch(reading, start, end) for p in patterns):
                found[start, end] = reading[start:end]
                break
    return [re.sub(r"\s+", " ", found[span]) for span in sorted(found)]


def reference_verdict_words(text: str, vocabulary: language.Vocabulary) -> list[str]:
    extra = vocabulary.verdict_pattern
    return reference_found([language._VERDICT_PATTERN, *([extra] if extra else [])], text)


def reference_gatekeeping_phrases(text: str, vocabulary: language.Vocabulary) -> list[str]:
    extra = vocabulary.gatekeeping_pattern
    return reference_found([language._GATE_PATTERN, *([extra] if extra else [])], text)


def reference_wording_problems(
    text: str,
    *,
    scripts: Sequence[str],
    vocabulary: language.Vocabulary,
    quoted: bool,
    gatekeeping: bool,
) -> list[str]:
    found = reference_hidden_text(text, scripts)
    if not quoted:
        words = reference_verdict_words(text, vocabulary)
        if words:
            found.append(f"uses verdict language ({', '.join(words)})")
        gates = reference_gatekeeping_phrases(text, vocabulary) if gatekeeping else []
        if gates:
            found.append(
                f"uses gatekeeping language ({', '.join(gates)}): ask the clinician to discuss, "
                "verify, arrange or document instead"
            )
    mixed = reference_lookalike_words(text)
    if mixed:
        found.append(
            f"mixes alphabets within a word ({', '.join(mixed)}): look-alike letters could "
            "hide a verdict word"
        )
    return found


@cache
def shipped_reads() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Every text the guard reads in the shipped pack, with how it reads it."""
    reads: list[tuple[str, dict[str, Any]]] = []

    def record(text: str, **options: Any) -> list[str]:
        reads.append((text, options))
        return language.wording_problems(text, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(guard, "wording_problems", record)
        patch.setattr(loader, "_VALIDATED", {})  # a pack validated earlier is not read again
        loader.load_pack()
    return tuple(reads)


def shipped_vocabulary() -> language.Vocabulary:
    return loader.load_pack().vocabulary


DISGUISES = [
    *("eligible", "e1igible", "ELlGlBLE", "eIigible", "el|gible", "3ligible", "elig\u00adible"),
    *("\u0435ligible", "\u1d07ligible", "\uff45\uff4c\uff49\uff47\uff49\uff42\uff4c\uff45"),
    *("\u0131neligible", "\u0130NELIGIBLE", "ineligibility", "sc0re", "$core", "\u017fcore"),
    *("unsuitable", "5uitable", "recommend", "rec0mmended", "candidacy", "c@ndidate"),
    *("approval", "4pproved", "pre-approved", "rescored", "underscore", "approximately"),
    *("before going further", "before we go any further", "proceeding", "pr0ceed", "go-ahead"),
    *("go  ahead", "whether to treat", "whether or not to start", "be addressed first"),
    *("address it first", "at best", "at\u00a0b\u0435st", "may not be a good fit", "not ideal"),
    *("doesn't fit", "not a good fit for", "less than ideal", "\u212aetamine should wait"),
    *("withhold treatment", "defer the course", "de1ay dosing", "benefit", "the first session"),
    *("good to go", "no-go", "no go", "g00d to go", "green-light", "do not give"),
    *("don\u2019t give", "contraindicated", "contre-indiqu\u00e9", "n\u00e3o administrar"),
    *("\u00e9cart\u00e9", "aprova\u00e7\u00e3o", "kontraindiziert", "ELEGIBLE"),
    *("meets the criteria", "screened out"),
    *("c!eared", "a!!owed to receive", "e!igible"),  # named as the reading that spells them
]
"""Verdict words and gatekeeping phrases (fixed and the shipped vocabulary's), written as a
reader would still read them, and innocent words that resemble them."""


def disguised(text: str, first: int = 0, count: int = len(DISGUISES)) -> Iterator[str]:
    """The text, then copies with `count` disguises from the `first` on (round the list) each
    put before, inside and after it."""
    yield text
    middle = len(text) // 2
    for n in range(first, first + count):
        word = DISGUISES[n % len(DISGUISES)]
        yield f"{word} {text[:middle]}{word}{text[middle:]} {word}."


class TestTheShortcutsAreProven:
    """What each shortcut relies on holds for every pattern and every code point."""

    @staticmethod
    def holds_one(sequence: Any, strings: Sequence[str], before: str = "") -> bool:
        """Whether every match of a parsed sequence, matched right after the letters `before`,
        holds one of `strings` in a run of ASCII letters (in lower case) the pattern spells."""
        run = before
        for op, av in sequence:
            if op is sre.LITERAL and chr(av).isascii() and chr(av).isalpha():
                run += chr(av).lower()
                if any(s in run for s in strings):
                    return True
                continue
            if op is sre.SUBPATTERN and TestTheShortcutsAreProven.holds_one(av[3], strings, run):
                return True
            if op is sre.BRANCH and all(
                TestTheShortcutsAreProven.holds_one(b, strings, run) for b in av[1]
            ):
                return True
            repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
            if op in repeats and av[0] >= 1 and TestTheShortcutsAreProven.holds_one(av[2], strings):
                return True
            run = ""
        return False

    @pytest.mark.parametrize("verdict", [True, False], ids=["verdict", "gatekeeping"])
    def test_every_match_of_a_fixed_pattern_holds_one_of_its_strings(self, verdict: bool) -> None:
        scanner = language._scanner(verdict, ())
        skeleton = scanner.skeletons[0]
        parsed = sre_parse.parse(skeleton.pattern, skeleton.flags)
        assert self.holds_one(parsed, scanner.holds)

    def test_a_pattern_with_an_alternative_that_holds_none_is_not_proven(self) -> None:
        parsed = sre_parse.parse(r"\b(?:\w*eligib\w*|\w*suitab\w*)\b", re.IGNORECASE)
        assert self.holds_one(parsed, ["eligib", "suitab"])
        assert not self.holds_one(parsed, ["eligib"])
        assert not self.holds_one(sre_parse.parse(r"(?:e|x)ligib", 0), ["eligib"])
        assert not self.holds_one(sre_parse.parse(r"eli(?:g)?ib", 0), ["eligib"])

    def test_every_character_re_takes_for_an_ascii_letter_reads_as_it_caselessly(self) -> None:
        """A pattern's letter in either case; `_caseless` gives each character it matches as
        that letter in lower case, one character for one (so a run of them stays a run)."""
        every = "".join(map(chr, range(0x110000)))
        for letter in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
            for m in re.finditer(letter, every, re.IGNORECASE):
                assert language._caseless(m.group()) == letter.lower(), hex(m.start())

    def test_no_ascii_character_is_what_hidden_text_tests_only_other_characters_for(
        self,
    ) -> None:
        for code in range(128):
            char = chr(code)
            assert char not in hidden._BIDI_CONTROLS
            assert not hidden.drawn_as_nothing(char)
            assert unicodedata.category(char) not in ("Mn", "Me")
            if unicodedata.category(char)[0] in "LMN":
                assert any(hidden.in_script(char, s) for s in ("Latin", "Common")), hex(code)
            assert (char in hidden._ASCII_CONTROLS) == (unicodedata.category(char) == "Cc")

    def test_every_default_ignorable_character_is_blank_a_mark_or_of_a_category_drawn_so(
        self,
    ) -> None:
        every = "".join(map(chr, range(0x110000)))
        for char in regex.findall(r"\p{Default_Ignorable_Code_Point}", every):
            category = unicodedata.category(char)
            assert (
                char in hidden._INVISIBLE_LETTERS
                or category in ("Cf", "Cn", "Co", "Cs")
                or category[0] == "M"
            ), hex(ord(char))

    def test_a_mark_or_a_default_ignorable_character_is_drawn_as_nothing_as_defined(
        self,
    ) -> None:
        """`drawn_as_nothing` asks `regex` only about marks; these are the characters whose
        answer then depends on it, and each is what the definition says."""
        every = "".join(map(chr, range(0x110000)))
        ignorable = set(regex.findall(r"\p{Default_Ignorable_Code_Point}", every))
        marks = set(regex.findall(r"\p{M}", every))
        assert "\u034f" in ignorable & marks
        for char in ignorable | marks:
            expected = (
                char in hidden._INVISIBLE_LETTERS
                or unicodedata.category(char) in ("Cf", "Cn", "Co", "Cs")
                or char in ignorable
            )
            assert hidden.drawn_as_nothing(char) == expected, hex(ord(char))

    @pytest.mark.parametrize("name", hidden.DEFAULT_SCRIPTS)
    def test_a_default_script_is_a_script_name_as_regex_reads_it(self, name: str) -> None:
        regex.compile(rf"\p{{Script={name}}}")
        assert name not in hidden.ALWAYS_ALLOWED_SCRIPTS
        assert hidden.is_script_name(name)

    def test_regex_is_imported_only_for_a_text_that_needs_it(self) -> None:
        """An ASCII text, even read for a vocabulary with accented words, needs no Unicode
        property; a text with other letters asks for their script."""
        code = (
            "import sys\n"
            "from screening.hidden import is_script_name\n"
            "from screening.language import Language, Vocabulary, wording_problems\n"
            "words = ('\u00e9cart\u00e9*', 'n\u00e3o administrar')\n"
            "vocabulary = Vocabulary((Language('x', 'Latin', words, words),))\n"
            "assert is_script_name('Latin')\n"
            "assert wording_problems('Plain text: e1igible, at b3st.', vocabulary=vocabulary)\n"
            "print('regex' in sys.modules)\n"
            "wording_problems('\u00e9cart\u00e9', vocabulary=vocabulary)\n"
            "print('regex' in sys.modules)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert done.stdout.split() == ["False", "True"]


class TestTheShippedPack:
    """Every text of the shipped pack, plain and disguised, reads as it read before."""

    def test_the_guard_reads_hundreds_of_texts_of_the_shipped_pack(self) -> None:
        assert len(shipped_reads()) > 300
        assert any(options["quoted"] for _, options in shipped_reads())

    def test_each_text_and_its_disguises_give_what_reading_them_in_full_gives(self) -> None:
        for n, (text, options) in enumerate(shipped_reads()):
            for variant in disguised(text, first=n * 3, count=3):
                expected = reference_wording_problems(variant, **options)
                assert language.wording_problems(variant, **options) == expected, variant

    @pytest.mark.parametrize("scripts", [("Latin",), ("Latin", "Greek"), ("Han",)], ids="+".join)
    def test_each_text_and_its_disguises_read_alike_under_other_scripts(
        self, scripts: tuple[str, ...]
    ) -> None:
        vocabulary = shipped_vocabulary()
        for n, text in enumerate(sorted({text for text, _ in shipped_reads()})):
            for variant in disguised(text, first=n, count=2):
                assert hidden.hidden_text(variant, scripts) == reference_hidden_text(
                    variant, scripts
                )
                assert language.verdict_words(variant, vocabulary) == reference_verdict_words(
                    variant, vocabulary
                )
                assert language.gatekeeping_phrases(variant) == reference_gatekeeping_phrases(
                    variant, language.NO_VOCABULARY
                )


CHARACTERS = st.sampled_from(
    [
        *"aeilIL1 _-.,'\u00e9\u2019\u2013",
        *"0123456789@$!|",
        *("\u0131", "\u0130", "\u017f", "\u212a", "\u00df", "\u1e9e", "\u03c3", "\u03c2"),
        *("\u200b", "\u202e", "\u2066", "\u0301", "\u034f", "\u180b", "\ufe0f", "\u00ad"),
        *("\u0456", "\u0435", "\u03b1", "\u4e00", "\u3164", "\x07", "\x7f", "\ue000"),
        *("\u0378", "\ufeff", "\u1d07", "\uff45", "\u2800", "\t", "\n"),
    ]
)
FRAGMENTS = st.sampled_from([*DISGUISES, " ", "-", "--", "\u2014", "\n"])
TEXTS = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(CHARACTERS, FRAGMENTS), max_size=24).map("".join),
    st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
)
SCRIPTS = st.sampled_from([("Latin",), ("Latin", "Greek"), ("Han",), ("Greek",)])

WORDS = ["eligible", "Elig*", "apt", "no", "go", "\u00e9cart\u00e9*", "\u03ba\u03b1\u03bb\u03cc"]
WORDS += ["stra\u00dfe", "\u017fcore", "\u212aetamin*", "IL", "don't", "anti-pain", "\u0131d"]
VOCABULARIES = (
    st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
        min_size=1,
        max_size=8,
    )
    .map(tuple)
    .map(lambda ps: language.Vocabulary((language.Language("x", "Latin", ps, ps),)))
)


@settings(max_examples=400, deadline=None)
@given(TEXTS, SCRIPTS)
@example("score, sc0re and \u017fcore", ("Latin",))
@example("e|igible 1 | 2 !", ("Latin",))
@example("a\u034fpproved \u180b\ufe0f", ("Latin",))
@example("plain ASCII text", ("Han",))
def test_any_text_gives_what_reading_it_in_full_gives(text: str, scripts: Sequence[str]) -> None:
    vocabulary = shipped_vocabulary().for_scripts(scripts)
    for quoted, gatekeeping in [(False, True), (False, False), (True, True)]:
        found = language.wording_problems(
            text, scripts=scripts, vocabulary=vocabulary, quoted=quoted, gatekeeping=gatekeeping
        )
        assert found == reference_wording_problems(
            text, scripts=scripts, vocabulary=vocabulary, quoted=quoted, gatekeeping=gatekeeping
        )


@settings(max_examples=300, deadline=None)
@given(VOCABULARIES, TEXTS)
@example(
    language.Vocabulary((language.Language("x", "Latin", ("\u03ba\u03b1\u03bb\u03cc",)),)),
    "\u039a\u0391\u039b\u038c and \u03ba\u03b1\u03bb\u03cc",
)
def test_any_vocabulary_finds_what_reading_in_full_finds(
    vocabulary: language.Vocabulary, text: str
) -> None:
    assert language.verdict_words(text, vocabulary) == reference_verdict_words(text, vocabulary)
    assert language.gatekeeping_phrases(text, vocabulary) == reference_gatekeeping_phrases(
        text, vocabulary
    )
