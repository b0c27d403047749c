"""The guard's quick paths give what its definitions give, on any text.

`hidden_text` tests each distinct character once, and `lookalike_words` passes over words
of ASCII letters alone (all Latin): both are held here against the definitions they replace,
kept as they were written, on texts mixing invisible, bidirectional, control, combining and
foreign characters with plain ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from hypothesis import example, given, settings
from hypothesis import strategies as st

from screening import hidden, language
from screening.pack.loader import load_pack

CHARACTERS = st.sampled_from(
    [
        *"aeilIL1 _-.,'é",
        *("\u200b", "\u202e", "\u2066", "\u0301", "\u0456", "\u0435", "\u03b1", "\u4e00"),
        *("\u3164", "\x07", "\ue000", "\u0378", "\ufeff", "\u00ad", "\u1d07", "\uff45"),
    ]
)
TEXTS = st.one_of(st.text(max_size=40), st.lists(CHARACTERS, max_size=40).map("".join))


def reference_hidden_text(text: str, scripts: Sequence[str] = hidden.DEFAULT_SCRIPTS) -> list[str]:
    """What would make a reader see something other than what is stored, each as a sentence:
    bidirectional controls, invisible characters, control characters, combining marks left
    over after composing (NFC), and letters of a script the pack does not declare."""
    found: list[str] = []
    composed = unicodedata.normalize("NFC", text)
    bidi = sorted({c for c in composed if c in hidden._BIDI_CONTROLS})
    if bidi:
        found.append(
            "holds a bidirectional control character ("
            + ", ".join(hidden._codepoint(c) for c in bidi)
            + "): it can show the text in another order than it is stored"
        )
    invisible = sorted(
        {c for c in composed if c not in hidden._BIDI_CONTROLS and hidden.drawn_as_nothing(c)}
    )
    if invisible:
        found.append(
            "holds an invisible character ("
            + ", ".join(hidden._codepoint(c) for c in invisible[:8])
            + "): a viewer may draw it as nothing, and a word can hide behind it"
        )
    controls = sorted(
        {c for c in composed if unicodedata.category(c) == "Cc" and c not in "\t\n\r"}
    )
    if controls:
        found.append(
            "holds a control character (" + ", ".join(hidden._codepoint(c) for c in controls) + ")"
        )
    marks = sorted(
        {
            c
            for c in composed
            if unicodedata.category(c) in ("Mn", "Me") and hidden.in_script(c, "Inherited")
        }
    )
    if marks:
        found.append(
            "holds a combining mark that does not form a letter ("
            + ", ".join(hidden._codepoint(c) for c in marks)
            + "): it can disguise a word; write the accented letter itself"
        )
    allowed = (*scripts, *hidden.ALWAYS_ALLOWED_SCRIPTS)
    foreign = sorted(
        {
            c
            for c in composed
            if not hidden.drawn_as_nothing(c)
            and unicodedata.category(c)[0] in "LMN"
            and not any(hidden.in_script(c, s) for s in allowed)
        }
    )
    if foreign:
        names = sorted({hidden._script_of(c) for c in foreign})
        found.append(
            f"uses letters of a script the pack does not declare ({', '.join(names)}: "
            f"{''.join(foreign[:8])}); declared: {', '.join(scripts)}"
        )
    return found


def reference_lookalike_words(text: str) -> list[str]:
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text))
    allowed = ("Latin", *hidden.ALWAYS_ALLOWED_SCRIPTS)
    return [
        w
        for w in words
        if any(c.isascii() for c in w)
        and any(not any(hidden.in_script(c, s) for s in allowed) for c in w)
    ]


@settings(max_examples=500, deadline=None)
@given(TEXTS, st.sampled_from([("Latin",), ("Latin", "Greek"), ("Han",)]))
def test_hidden_text_is_what_testing_every_character_gives(
    text: str, scripts: Sequence[str]
) -> None:
    assert hidden.hidden_text(text, scripts) == reference_hidden_text(text, scripts)


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_lookalike_words_are_what_testing_every_word_gives(text: str) -> None:
    assert hidden.lookalike_words(text) == reference_lookalike_words(text)


def reference_seen(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    visible = (
        c
        for c in folded
        if unicodedata.category(c) not in ("Mn", "Me", "Mc") and not hidden.drawn_as_nothing(c)
    )
    return "".join(
        " " if c == "_" or unicodedata.category(c) == "Cc" else language._fold_letter(c)
        for c in visible
    )


@settings(max_examples=500, deadline=None)
@given(st.one_of(TEXTS, st.text(alphabet=st.characters(max_codepoint=127), max_size=60)))
def test_text_as_a_reader_sees_it_is_what_reading_every_character_gives(text: str) -> None:
    assert language._seen(text) == reference_seen(text)


def test_an_accented_ascii_letter_folds_as_the_confusables_data_and_its_name_fold_it() -> None:
    """`_fold_letter` reads a letter with accents as its letter without reading the
    confusables data; every such code point folds as the data, then its name, would."""
    table = language._confusable_prototypes()
    for code in range(0x80, 0x110000):
        char = chr(code)
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) < 2 or not all(unicodedata.combining(c) for c in decomposed[1:]):
            continue
        if not (decomposed[0].isascii() and decomposed[0].isalpha()):
            continue
        named = language._LATIN_NAME.match(unicodedata.name(char, ""))
        by_data = table.get(char) or (named.group(1).lower() if named else decomposed[0].lower())
        assert language._fold_letter(char) == by_data == decomposed[0].lower(), hex(code)


def test_no_character_matches_two_different_ascii_letters_ignoring_case() -> None:
    every = "".join(map(chr, range(0x110000)))
    matched: dict[int, str] = {}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for m in re.finditer(letter, every, re.IGNORECASE):
            assert matched.setdefault(m.start(), letter) == letter, hex(m.start())


def shipped_vocabulary() -> language.Vocabulary:
    return load_pack().vocabulary


WORDS = ["eligible", "Elig*", "apt", "approved", "at", "best", "léger", "Ideal*", "la", "no", "ok"]
PHRASE_WORDS = st.sampled_from(WORDS)
VOCABULARIES = st.lists(
    st.lists(PHRASE_WORDS, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=12
).map(lambda phrases: language.Vocabulary((language.Language("x", "Latin", tuple(phrases)),)))
VOCABULARY_TEXTS = st.one_of(
    TEXTS,
    st.lists(
        st.sampled_from([*(w.rstrip("*") for w in WORDS), " ", "-", "1", "I", "L", "l", "\u0131"]),
        max_size=20,
    )
    .map("".join)
    .map(str.lower),
    st.lists(st.sampled_from([w.rstrip("*") for w in WORDS]), max_size=8).map(" ".join),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.just(None), VOCABULARIES), VOCABULARY_TEXTS)
@example(  # a phrase that begins another: the longer one is tried first, as it was
    language.Vocabulary((language.Language("x", "Latin", ("at", "at best", "apt", "Elig*")),)),
    "it is at best eligible",
)
def test_a_vocabulary_grouped_by_first_letter_matches_what_its_phrases_in_order_match(
    vocabulary: language.Vocabulary | None, text: str
) -> None:
    vocab = shipped_vocabulary() if vocabulary is None else vocabulary
    for pattern in (vocab.verdict_pattern, vocab.gatekeeping_pattern):
        if pattern is None:
            continue
        plain = re.compile(pattern.pattern.translate(language._SKELETON), pattern.flags)
        grouped = language._skeleton_pattern(pattern)
        assert grouped.pattern != plain.pattern  # the grouped pattern is the one held here
        for reading in language._text_readings(text):
            skeleton = reading.translate(language._SKELETON)
            assert [m.span() for m in grouped.finditer(skeleton)] == [
                m.span() for m in plain.finditer(skeleton)
            ]
