"""A UI language is one `.po` file: dropped into the locale folder, it is offered, used for
every word of ours, with its own plural rule, and kept to the render that asked for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening import catalogue
from screening.catalogue import _, available_languages, ngettext, speaking
from screening.engine import evaluate
from screening.export import checklist_markdown
from screening.models import AnswersFile, RulePack
from screening.words import KIND_WORDS

FRENCH = """\
msgid ""
msgstr ""
"Language: fr\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Discuss"
msgstr "Discuter"

msgid "To find out"
msgstr "À vérifier"

msgid "{n} item not assessed (see Answers)."
msgid_plural "{n} items not assessed (see Answers)."
msgstr[0] "{n} question non évaluée (voir Réponses)."
msgstr[1] "{n} questions non évaluées (voir Réponses)."
"""


@pytest.fixture
def with_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A locale folder holding the shipped catalogues and a French one, as a translator
    would add it (CONTRIBUTING.md, "Adding a UI language")."""
    for po in catalogue.LOCALE_DIR.glob("*/LC_MESSAGES/screening.po"):
        target = tmp_path / po.relative_to(catalogue.LOCALE_DIR)
        target.parent.mkdir(parents=True)
        target.write_bytes(po.read_bytes())
    french = tmp_path / "fr" / "LC_MESSAGES" / "screening.po"
    french.parent.mkdir(parents=True)
    french.write_text(FRENCH, encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALE_DIR", tmp_path)
    catalogue.translations.cache_clear()
    yield french
    catalogue.translations.cache_clear()


class TestALanguageIsOneFile:
    """A `.po` file in the locale folder is a language the program offers and speaks."""

    def test_it_is_offered_beside_english_and_the_pseudo_locale(self, with_french: Path) -> None:
        assert available_languages() == ("en", "en-XA", "fr")

    def test_its_words_are_used_and_a_missing_one_falls_back_to_english(
        self, with_french: Path
    ) -> None:
        with speaking("fr"):
            assert KIND_WORDS["discuss"] == "Discuter"
            assert KIND_WORDS["verify"] == "Verify"

    def test_its_own_plural_rule_counts_zero_as_one(self, with_french: Path) -> None:
        singular, plural = (
            "{n} item not assessed (see Answers).",
            "{n} items not assessed (see Answers).",
        )
        with speaking("fr"):
            assert (
                ngettext(singular, plural, 0).format(n=0)
                == "0 question non évaluée (voir Réponses)."
            )
            assert (
                ngettext(singular, plural, 2).format(n=2)
                == "2 questions non évaluées (voir Réponses)."
            )
        assert ngettext(singular, plural, 0).format(n=0) == "0 items not assessed (see Answers)."

    def test_a_view_made_in_it_uses_it(self, with_french: Path, shipped_pack: RulePack) -> None:
        checklist = evaluate(shipped_pack, AnswersFile(), "answers")
        with speaking("fr"):
            text = checklist_markdown(checklist)
        assert "## À vérifier" in text
        assert "## To find out" in checklist_markdown(checklist)


class TestTheLanguageBelongsToTheRender:
    """The language is held per context: renders side by side never mix their languages."""

    def test_threads_speaking_different_languages_each_keep_their_own(self) -> None:
        seen: dict[str, set[str]] = {"en": set(), "en-XA": set()}
        start = threading.Barrier(2)

        def render(tag: str) -> None:
            with speaking(tag):
                start.wait()
                for _round in range(200):
                    seen[tag].add(_("Discuss"))

        threads = [threading.Thread(target=render, args=(tag,)) for tag in seen]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == {"en": {"Discuss"}, "en-XA": {"Đîîšçûûšš"}}

    def test_the_language_goes_back_to_english_after_the_block(self) -> None:
        with speaking("en-XA"):
            assert _("Discuss") != "Discuss"
        assert _("Discuss") == "Discuss"

    def test_none_keeps_the_language_already_chosen(self) -> None:
        with speaking("en-XA"), speaking(None):
            assert _("Discuss") == "Đîîšçûûšš"
