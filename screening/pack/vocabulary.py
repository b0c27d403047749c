"""The pack's `vocabulary.yaml`: verdict words and gatekeeping phrases the committee adds to
the guard's fixed list, by language, as data a reviewer reads and `diff` compares.

A language counts for the pack's own texts when the pack declares its script (so a Latin
pack is read for English, Spanish, Portuguese, French, Italian and German words alike); for
free text (a patient reference, a name, a note) every language counts.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from screening.catalogue import N_, Said
from screening.hidden import is_script_name
from screening.language import PHRASE, Language, Vocabulary
from screening.pack.files import YamlFile

VOCABULARY_FILE = "vocabulary.yaml"

Phrase = Annotated[str, StringConstraints(pattern=PHRASE, min_length=2, max_length=80)]


def _script(value: str) -> str:
    if not is_script_name(value):
        raise ValueError(
            Said(N_("is not a Unicode script name (such as Latin, Greek, Cyrillic, Han)"))
        )
    return value


class LanguageEntry(BaseModel):
    """One language's words: those that pronounce on the patient, and those that decide the
    order or outcome of care."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    language: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    script: Annotated[str, AfterValidator(_script)]
    verdict: list[Phrase] = Field(default_factory=list, max_length=2_000)
    gatekeeping: list[Phrase] = Field(default_factory=list, max_length=2_000)


class VocabularyFile(YamlFile):
    """vocabulary.yaml: the committee's verdict and gatekeeping vocabulary, by language."""

    vocabulary: list[LanguageEntry] = Field(max_length=50)

    def as_vocabulary(self) -> Vocabulary:
        return Vocabulary(
            tuple(
                Language(e.language, e.script, tuple(e.verdict), tuple(e.gatekeeping))
                for e in self.vocabulary
            )
        )
