"""Fixed wording: the non-diagnostic statement, and the guard against verdict and gate language.

The lists of verdict words and gatekeeping phrases live here and only here; `rules/README.md`
documents them. The guard reads text as a person sees it: compatibility forms folded (NFKC),
look-alike letters mapped to the letter they imitate (Unicode's confusables data, TR 39),
accents and digits-for-letters seen through; and it refuses what would make a reader see
something other than what is stored (bidirectional controls, invisible characters, stray
combining marks, letters of a script the pack does not declare).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources

from screening.catalogue import N_, Said, _
from screening.hidden import (
    DEFAULT_SCRIPTS,
    digit_readings,
    drawn_as_nothing,
    hidden_text,
    lookalike_words,
)

DISCLAIMER = N_(
    "This is a discussion checklist, not a recommendation, a diagnosis or a decision. "
    "It lists points for the clinician to discuss, verify, arrange or document; "
    "it does not say whether ketamine is appropriate for this patient."
)

_VERDICT_PATTERN = re.compile(  # the one list of verdict words, each with every form
    r"\b(?:"
    r"\w*eligib\w*"  # eligible, ineligible, eligibility
    r"|\w*recommend\w*"  # recommended, unrecommended, recommendation
    r"|\w*candida(?:te|tes|cy|cies)"  # candidate, candidacy; not the fungus candida
    r"|\w*approv\w*"  # approve, preapproved, disapproval; not approximately
    r"|(?:re|pre|un)?scor(?:e|es|ed|ing|er|ers)"  # score, rescored; not underscore
    r"|\w*suitab\w*"  # suitable, unsuitable, suitability
    r")\b",
    re.IGNORECASE,
)
_VERDICT_HOLDS = ("eligib", "recommend", "candida", "approv", "scor", "suitab")
"""Each match of `_VERDICT_PATTERN` holds one of these (tests/test_language_speed.py proves it
from the pattern), so a text that holds none is not scanned for it."""

_GATE_PATTERN = re.compile(  # the one list of gatekeeping phrases: wording that decides the order
    r"\b(?:"  # of care or its outcome instead of asking the clinician to discuss or verify
    r"before\s+(?:going|moving|getting|we\s+go|you\s+go)\s+(?:any\s+)?further"
    r"|go(?:es|ing)?\s+(?:any\s+)?further\s+with"  # going further with treatment
    r"|(?:go|goes|going|went|proceed\w*)\s+no\s+further"
    r"|proceed(?:s|ed|ing)?"  # whether to proceed (at all), before proceeding
    r"|go(?:es|ing)?[\s-]+ahead"  # whether to go ahead, the go-ahead
    r"|whether\s+(?:or\s+not\s+)?to\s+(?:treat|start|begin|offer|give|continue|use)"
    r"|(?:be|been|being|is|are)\s+\w+(?:ed|en)\s+first"  # should be addressed first
    r"|address(?:ed|es|ing)?\s+(?:\w+\s+){0,4}?first"  # address it first
    r"|at\s+best"
    r"|(?:may|might|could|would|will|does|do|did)\s*(?:not|n't)\s+(?:be\s+)?(?:an?\s+)?"
    r"(?:good\s+|ideal\s+)?fit\w*"  # may not fit, might not be a good fit
    r"|not\s+(?:an?\s+)?(?:good\s+|ideal\s+)?fit(?:s|ted|ting)?\s+for"
    r"|(?:not|less\s+than)\s+ideal"
    r"|(?:treatment|ketamine|infusions?|dosing|the\s+course)\s+(?:should|must|can|could|would)"
    r"\s+wait"
    r"|(?:defer|postpone|delay|withhold)(?:s|ed|ing)?\s+(?:the\s+|any\s+)?"
    r"(?:treatment|ketamine|infusions?|dosing|course)"
    r")\b",
    re.IGNORECASE,
)
_GATE_HOLDS: tuple[str, ...] = ("further", "proceed", "ahead", "whether", "first", "best", "fit")
_GATE_HOLDS += ("ideal", "wait", "defer", "postpone", "delay", "withhold")
"""Each match of `_GATE_PATTERN` holds one of these, as `_VERDICT_HOLDS` for its pattern."""

_LATIN_NAME = re.compile(
    r"^LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL |DOTLESS |SCRIPT )?([A-Z])(?: WITH .*)?$"
)
"""Unicode names of Latin letters that a reader takes for a plain one (small capitals, ...)."""


@cache
def _confusable_prototypes() -> dict[str, str]:
    """Each character that Unicode's confusables data (TR 39) lists as a look-alike of a single
    ASCII letter, mapped to that letter: Cyrillic `\u0435` -> `e`, dotless `\u0131` -> `i`."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    table: dict[str, str] = {}
    chained: dict[str, list[str]] = {}
    for char, glyphs in data.items():
        if len(char) == 1 and not char.isascii():
            letters = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()]
            letters = [c for c in letters if c.isalpha()]
            if letters:
                table[char] = letters[0].lower()
            else:
                chained[char] = [g["c"] for g in glyphs if len(g["c"]) == 1]
    # A look-alike listed only beside other look-alikes takes the letter they imitate.
    for char, glyphs in chained.items():
        letters = [table[g] for g in glyphs if g in table]
        if letters:
            table[char] = letters[0]
    return {**table, **_MORE_LOOKALIKES}


_MORE_LOOKALIKES = {"\u0184": "b", "\u0185": "b", "\u044c": "b", "\uab9f": "b"}
"""Letters a reader takes for an ASCII one that the confusables data ties only to each other
(tone six, the Cyrillic soft sign and a Cherokee letter are drawn as a b)."""


def _fold_letter(char: str) -> str:
    """The plain letter a reader takes `char` for (lower case), or `char` itself."""
    if char.isascii():
        return char
    # An ASCII letter with accents ("é", "ç") is that letter, whatever the confusables data
    # says (tests/test_language_quick.py checks every code point): the data, 18 ms to read,
    # is then read only for a text with other letters.
    decomposed = unicodedata.normalize("NFD", char)
    if (
        len(decomposed) > 1
        and decomposed[0].isascii()
        and decomposed[0].isalpha()
        and all(unicodedata.combining(c) for c in decomposed[1:])
    ):
        return decomposed[0].lower()
    prototype = _confusable_prototypes().get(char)
    if prototype is not None:
        return prototype
    named = _LATIN_NAME.match(unicodedata.name(char, ""))
    if named:
        return named.group(1).lower()
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base.lower() if len(base) == 1 else char.lower()


_ASCII_SEEN = {**dict.fromkeys([*range(32), 127], " "), ord("_"): " "}
"""`_seen` of ASCII text, which NFKC keeps, holds nothing invisible and folds to itself: its
control characters and `_` read as spaces."""


def _seen(text: str) -> str:
    """Text as a reader sees it: NFKC, invisible characters dropped, every letter folded to the
    plain letter it looks like, accents and leftover marks dropped, `_` read as a space."""
    if text.isascii():
        return text.translate(_ASCII_SEEN)
    folded = unicodedata.normalize("NFKC", text)
    visible = (
        c
        for c in folded
        if unicodedata.category(c) not in ("Mn", "Me", "Mc") and not drawn_as_nothing(c)
    )
    return "".join(
        " " if c == "_" or unicodedata.category(c) == "Cc" else _fold_letter(c) for c in visible
    )


@lru_cache(maxsize=1024)  # each text is read for verdict words, then for gatekeeping phrases
def _text_readings(text: str) -> tuple[str, ...]:
    return tuple(digit_readings(_seen(text)))


_SKELETON = str.maketrans("ILl", "iii")
"""Capital I, small l and capital L read alike (as do 1 and |, already read as either): a
word is matched with all of them taken as one letter, so "ELlGlBLE" and "eIigible" fall."""


@lru_cache(maxsize=64)
def _skeleton_pattern(pattern: re.Pattern[str] | tuple[str, ...]) -> re.Pattern[str]:
    """The pattern over skeletons: its letters I, L and l read as i (its escapes use none).

    A vocabulary's pattern (or its phrases' parts), an alternation of phrases, is the same
    alternation with its phrases grouped by first letter (`_by_first_letter`), which `re`
    tries far faster."""
    if not isinstance(pattern, tuple) and pattern not in _PHRASE_PARTS:
        return re.compile(pattern.pattern.translate(_SKELETON), pattern.flags)
    parts = pattern if isinstance(pattern, tuple) else _PHRASE_PARTS[pattern]
    skeleton = _by_first_letter([part.translate(_SKELETON) for part in parts])
    return re.compile(_PHRASES_AROUND.format(skeleton), re.IGNORECASE)


def _by_first_letter(parts: Sequence[str]) -> str:
    """The alternation `part|part|...` with each run of phrases that begin with a plain ASCII
    letter grouped by that letter (`e(?:ligible|ligibility)|a(?:t best)`).

    It matches exactly what the alternation matches, at the same span: under IGNORECASE two
    different ASCII letters never match the same character (tests/test_language_quick.py
    checks every code point), so phrases of different groups never both match where a match
    starts, and within a group, and across a phrase that does not begin so, the order stays."""
    out: list[str] = []
    run: dict[str, list[str]] = {}

    def flush() -> None:
        out.extend(f"{head}(?:{'|'.join(rests)})" for head, rests in run.items())
        run.clear()

    for part in parts:
        head = part[:1]
        if head.isascii() and head.isalpha() and part[1:2] not in ("*", "+", "?", "{"):
            key = head.lower()
            run.setdefault(key, []).append(part[1:])
        else:
            flush()
            out.append(part)
    flush()
    return "|".join(out)


_PHRASES_AROUND = r"\b(?:{})(?!\w)"
"""A vocabulary's pattern around the alternation of its phrases."""

_PHRASE_PARTS: dict[re.Pattern[str], tuple[str, ...]] = {}
"""Each vocabulary pattern's phrases, as alternatives in their order: `_phrases_pattern`."""


_CASELESS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
"""Characters `re` takes for an ASCII letter ignoring case, other than its two cases: with them read
as it, `str.lower` gives it for each (tests/test_language_speed.py checks every code point)."""


@dataclass(frozen=True, eq=False)  # one per list of patterns (`_scanner`): hashed by identity
class _Scanner:
    """A fixed pattern and a vocabulary's phrases, which `_found_once` reads a text for."""

    fixed: re.Pattern[str]
    holds: tuple[str, ...]
    """Strings (as `_caseless` reads a skeleton) one of which each match of `fixed` holds."""
    phrases: tuple[str, ...]

    @cached_property
    def skeletons(self) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
        """The fixed pattern and the vocabulary's over skeletons; the vocabulary's own pattern
        is compiled only to name what is found (`patterns`)."""
        vocabulary = _skeleton_pattern(_phrase_parts(self.phrases)) if self.phrases else None
        return _skeleton_pattern(self.fixed), vocabulary

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        extra = _phrases_pattern(self.phrases)
        return (self.fixed, *([extra] if extra else []))


@lru_cache(maxsize=64)
def _scanner(verdict: bool, phrases: tuple[str, ...]) -> _Scanner:
    fixed, holds = (_VERDICT_PATTERN, _VERDICT_HOLDS) if verdict else (_GATE_PATTERN, _GATE_HOLDS)
    return _Scanner(fixed, tuple(_caseless(h.translate(_SKELETON)) for h in holds), phrases)


def _caseless(skeleton: str) -> str:
    return (skeleton if skeleton.isascii() else skeleton.translate(_CASELESS)).lower()


@lru_cache(maxsize=4096)  # the same text stands in several fields, and packs are re-checked
def _found_once(scanner: _Scanner, text: str) -> tuple[str, ...]:
    """Matches in the skeleton of every reading of the text (any plain match is one there
    too), in order; a stretch found in one reading is not reported again from another.

    A skeleton that holds none of the fixed pattern's `holds` is not scanned for it. The
    vocabulary's phrases would hold so many strings, and such common ones, that testing
    them costs more than its scan."""
    found: dict[tuple[int, int], str] = {}
    readings = _text_readings(text)
    fixed, vocabulary = scanner.skeletons
    for reading in readings:
        skeleton = reading.translate(_SKELETON)
        caseless = _caseless(skeleton)
        scans = [fixed] if any(h in caseless for h in scanner.holds) else []
        for pattern in [*scans, *([vocabulary] if vocabulary else [])]:
            for m in pattern.finditer(skeleton):
                if not any(m.start() < end and start < m.end() for start, end in found):
                    found[m.span()] = reading[m.start() : m.end()]
    # Named as a reading shows the word with its letters as they stand, where one does
    # ("e1igible" as "eligible", not "eliglble"); only a swap of I and l is named as written.
    for start, end in found:
        for reading in readings:
            if any(p.fullmatch(reading, start, end) for p in scanner.patterns):
                found[start, end] = reading[start:end]
                break
    return tuple(re.sub(r"\s+", " ", found[span]) for span in sorted(found))


@dataclass(frozen=True)
class Language:
    """One language's verdict words and gatekeeping phrases, as the committee wrote them: each
    a phrase of words, a word ending in `*` standing for every word it begins."""

    name: str
    script: str
    verdict: tuple[str, ...] = ()
    gatekeeping: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """The pack's own verdict and gatekeeping vocabulary (its `vocabulary.yaml`), read beside
    this module's fixed list, which it extends and can never shrink."""

    languages: tuple[Language, ...] = ()

    def for_scripts(self, scripts: Sequence[str]) -> Vocabulary:
        """The languages written in the pack's declared scripts: those its texts can use."""
        kept = tuple(lang for lang in self.languages if lang.script in scripts)
        return self if kept == self.languages else Vocabulary(kept)

    @cached_property
    def verdict_pattern(self) -> re.Pattern[str] | None:
        return _phrases_pattern(tuple(p for lang in self.languages for p in lang.verdict))

    @cached_property
    def gatekeeping_pattern(self) -> re.Pattern[str] | None:
        return _phrases_pattern(tuple(p for lang in self.languages for p in lang.gatekeeping))

    @cached_property
    def _scanners(self) -> tuple[_Scanner, _Scanner]:
        """How a text is read for verdict words, and for gatekeeping phrases."""
        verdict = tuple(p for lang in self.languages for p in lang.verdict)
        gatekeeping = tuple(p for lang in self.languages for p in lang.gatekeeping)
        return _scanner(True, verdict), _scanner(False, gatekeeping)


NO_VOCABULARY = Vocabulary()
"""Only this module's fixed list: a pack without a `vocabulary.yaml`."""

PHRASE = r"^[^\W\d_]+(?:['\u2019-][^\W\d_]+)*\*?(?: [^\W\d_]+(?:['\u2019-][^\W\d_]+)*\*?)*$"
"""A vocabulary entry: words of letters (an apostrophe or hyphen inside one), one space between
words, each word ending in `*` if it stands for every word it begins."""


def _phrase_regex(phrase: str) -> str:
    """A phrase as a pattern over the text a reader sees: words folded as text is, any run of
    spaces, hyphens or dashes between them, `*` for the rest of a word."""
    words = []
    for word in phrase.split(" "):
        core = re.escape(_seen(word.rstrip("*")))
        core = core.replace("'", "['\u2019]").replace("\\-", "[\\s-]?")
        words.append(core + (r"\w*" if word.endswith("*") else ""))
    return r"[\s\-\u2013\u2014]+".join(words)


@lru_cache(maxsize=32)
def _phrase_parts(phrases: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({_phrase_regex(p) for p in phrases}, key=len, reverse=True))


@lru_cache(maxsize=32)
def _phrases_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    parts = _phrase_parts(phrases)
    pattern = re.compile(_PHRASES_AROUND.format("|".join(parts)), re.IGNORECASE)
    if len(_PHRASE_PARTS) >= 256:  # a few vocabularies per process; an upload adds one
        _PHRASE_PARTS.clear()
    _PHRASE_PARTS[pattern] = parts
    return pattern


def verdict_words(text: str, vocabulary: Vocabulary = NO_VOCABULARY) -> list[str]:
    """The verdict words a reader would see in `text`, in order, each once.

    Invisible characters, full-width or small-capital letters, look-alikes from other
    alphabets, accents and digits for letters do not hide a word: `elig\\u00adible`,
    `\\u1d07ligible` and `e1igible` are all caught as "eligible".
    """
    return list(_found_once(vocabulary._scanners[0], text))


def gatekeeping_phrases(text: str, vocabulary: Vocabulary = NO_VOCABULARY) -> list[str]:
    """Phrases that decide the order of care or its outcome ("before going further", "at
    best", "may not fit"), read as `verdict_words` reads, in order, each once."""
    return list(_found_once(vocabulary._scanners[1], text))


def wording_problems(
    text: str,
    *,
    scripts: Sequence[str] = DEFAULT_SCRIPTS,
    vocabulary: Vocabulary = NO_VOCABULARY,
    quoted: bool = False,
    gatekeeping: bool = True,
) -> list[str]:
    """Everything the guard refuses in one text a reader sees, each as the end of a sentence
    that names the field ("uses verdict language (eligible)").

    `quoted`: the text quotes a source as published (a citation, a label's own words), so its
    words are its authors' and are not judged; only what would hide or reorder its letters
    is refused. `gatekeeping`: refuse gatekeeping phrases (pack schema 1.1 on).
    """
    found = hidden_text(text, scripts)
    if not quoted:
        words = verdict_words(text, vocabulary)
        if words:
            found.append(Said(N_("uses verdict language ({words})"), words=", ".join(words)))
        gates = gatekeeping_phrases(text, vocabulary) if gatekeeping else []
        if gates:
            ask = N_(
                "uses gatekeeping language ({words}): ask the clinician to discuss, verify, "
                "arrange or document instead"
            )
            found.append(Said(ask, words=", ".join(gates)))
    mixed = lookalike_words(text)
    if mixed:
        mixing = N_(
            "mixes alphabets within a word ({words}): look-alike letters could hide a verdict word"
        )
        found.append(Said(mixing, words=", ".join(mixed)))
    return found


def reads_as_verdict(text: str, vocabulary: Vocabulary = NO_VOCABULARY) -> list[str]:
    """The verdict words and gatekeeping phrases in free text (a patient reference, a name, a
    note): never refused, a person may be called Candida, but flagged where they are shown.
    Every language of the vocabulary counts, whatever the pack's scripts."""
    return [*verdict_words(text, vocabulary), *gatekeeping_phrases(text, vocabulary)]


def free_text_flags(
    texts: Mapping[str, str | None], vocabulary: Vocabulary = NO_VOCABULARY
) -> list[str]:
    """A sentence for each free text (by the name a reader knows it by) that reads as a
    verdict: shown beside the field and by the command line, never a refusal."""
    flags = []
    for name, text in texts.items():
        found = reads_as_verdict(text or "", vocabulary)
        if found:
            flags.append(
                _(
                    "{name} reads as a verdict ({words}): it is printed as typed, and it is not "
                    "the checklist's conclusion; the checklist reaches none"
                ).format(name=name, words=", ".join(found))
            )
    return flags
