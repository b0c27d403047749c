"""The one message catalogue: every word of ours a person reads is looked up here, in the
language chosen for the render under way.

English is the source language: the words are written in English in the code, marked with
`_` (looked up now) or `N_` (a table's word, looked up where it is shown), extracted by
`pybabel extract` into `screening/locale/screening.pot`, and translated in one `.po` file per
language (`make catalogues` compiles them to `.mo`). The language is held per context
(`contextvars`), so a render in one language never changes another running beside it (the
CDS server's requests, the app's sessions); without a choice, English. The pack's own words
(questions, rules, sources) are not ours and never pass through here.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TypeVar

DOMAIN = "screening"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
"""The language the words are written in, which needs no catalogue."""
PSEUDO_LANGUAGE = "en-XA"
"""Accented, lengthened English made from the template (`make catalogues`): any English left
in a view shown in it is a word that does not go through the catalogue."""


class UnknownLanguageError(ValueError):
    """A language with no catalogue here."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        super().__init__(
            f"no catalogue for language {tag!r}; known: {', '.join(available_languages())}"
        )


def language_name(tag: str) -> str:
    """A language as a language picker lists it: by its own name (Babel's locale data), with
    its tag; the pseudo-locale, which no locale data knows, by what it is."""
    if tag == PSEUDO_LANGUAGE:
        return f"Pseudo-English ({tag})"
    from babel import Locale, UnknownLocaleError  # noqa: PLC0415 - only for the picker

    try:
        return f"{Locale.parse(tag, sep='-').get_display_name()} ({tag})"
    except (UnknownLocaleError, ValueError):
        return tag


def _folder(tag: str) -> str:
    """The catalogue folder of a language tag: en-XA is kept as en_XA, as gettext names it."""
    return tag.replace("-", "_")


def available_languages() -> tuple[str, ...]:
    """The source language, then every language with a catalogue, as tags (en-XA)."""
    found = sorted(
        po.parent.parent.name.replace("_", "-")
        for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    )
    return (SOURCE_LANGUAGE, *found)


@cache
def translations(tag: str) -> gettext.NullTranslations:
    """A language's compiled catalogue, read once: its `.mo` when it was built from the current
    `.po`, else the `.po` compiled in memory with Babel (an installed package, a fresh
    checkout); raises `UnknownLanguageError` for a language with no catalogue."""
    if tag == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po = LOCALE_DIR / _folder(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if "/" in tag or "\\" in tag or tag.startswith(".") or not po.is_file():
        raise UnknownLanguageError(tag)
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        return gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    return gettext.GNUTranslations(io.BytesIO(compile_po(po.read_bytes(), tag)))


def compile_po(po: bytes, tag: str) -> bytes:
    """A `.po` catalogue compiled to `.mo` bytes with Babel's own reader and writer."""
    from babel.messages.mofile import write_mo  # noqa: PLC0415 - only without a built .mo
    from babel.messages.pofile import read_po  # noqa: PLC0415

    catalog = read_po(io.BytesIO(po), locale=_folder(tag))
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


_ACTIVE: ContextVar[str] = ContextVar("screening_language", default=SOURCE_LANGUAGE)


def active_language() -> str:
    """The language of the render under way, as a tag."""
    return _ACTIVE.get()


@contextmanager
def speaking(tag: str | None) -> Iterator[None]:
    """Render in `tag` inside the block (None: keep the language already chosen); checks the
    catalogue exists before anything is drawn."""
    if tag is None:
        yield
        return
    translations(tag)
    token = _ACTIVE.set(tag)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _(message: str) -> str:
    """A word of ours in the active language."""
    return translations(_ACTIVE.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """A word of ours that agrees with a count, in the active language."""
    return translations(_ACTIVE.get()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - the name every gettext extractor knows
    """Marks a word for the catalogue where it is defined (a table, a constant); it is looked
    up with `_` where it is shown, so the language is the one of that render."""
    return message


_Key = TypeVar("_Key")


class Words(Mapping[_Key, str]):
    """A table of words of ours, each looked up in the catalogue when it is read, so the
    same table serves every language (the render's own, `screening.catalogue.speaking`)."""

    def __init__(self, source: Mapping[_Key, str]) -> None:
        self._source = dict(source)

    def __getitem__(self, key: _Key) -> str:
        return _(self._source[key])

    def __iter__(self) -> Iterator[_Key]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


class Said(str):
    """A sentence of ours, in English, that keeps its message and values, so that a render in
    another language words it in that one (`worded`): for a result made once and shown in
    many languages (a pack diff, which the app keeps for every session). Equal to its English,
    and pickled with its message and values (the app makes a diff in a process of its own)."""

    message: str
    values: dict[str, str]

    def __new__(cls, message: str, **values: str) -> Said:
        said = super().__new__(cls, message.format(**values))
        said.message, said.values = message, values
        return said

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, str]]:
        return (self.message,), self.values

    def worded(self) -> str:
        """The sentence in the language of the render under way (a value that is itself a
        `Said`, worded in it too)."""
        return _(self.message).format(**{k: worded(v) for k, v in self.values.items()})


def worded(text: str) -> str:
    """A text in the language of the render under way: a `Said` worded again, else as it is."""
    return text.worded() if isinstance(text, Said) else text
