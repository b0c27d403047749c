"""Makes the pseudo-locale en-XA from the catalogue's template: every word of ours accented
and lengthened, so a view shown in it gives away at a glance (and to a test) any English that
does not go through the catalogue, and any layout that breaks on longer words.

Run by `make messages` after `pybabel extract`: `python -m screening.pseudo_locale`.
"""

from __future__ import annotations

import io
import re
import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from screening.catalogue import DOMAIN, LOCALE_DIR, PSEUDO_LANGUAGE

ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
"""Each ASCII letter to a Latin letter with a mark that every font of the PDF draws."""

_PLACEHOLDER = re.compile(r"(\{[^{}]*\}|%\([^)]*\)[sd]|%[sd])")
"""What the code fills in (`{name}`, `%(name)s`): kept as it is, or the lookup would fail."""
_VOWELS = re.compile(r"([aeiouAEIOU])")


def pseudo(text: str) -> str:
    """English made pseudo: vowels doubled (about a third longer), then every letter accented;
    placeholders kept."""
    parts = _PLACEHOLDER.split(text)
    return "".join(
        part if n % 2 else _VOWELS.sub(r"\1\1", part).translate(ACCENTED)
        for n, part in enumerate(parts)
    )


def pseudo_catalog(template: Catalog) -> Catalog:
    """The en-XA catalogue of a template: every message, singular and plural, made pseudo."""
    made = Catalog(locale="en", domain=DOMAIN, project=template.project)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            singular, plural = message.id[0], message.id[1]
            made.add(message.id, (pseudo(singular), pseudo(plural)), context=message.context)
        else:
            made.add(message.id, pseudo(message.id), context=message.context)
    return made


def pseudo_po(pot: bytes) -> bytes:
    """The en-XA `.po` file of a `.pot` file, as committed."""
    catalog = pseudo_catalog(read_po(io.BytesIO(pot)))
    out = io.BytesIO()
    write_po(out, catalog, omit_header=True, no_location=True, width=100)
    return out.getvalue()


def main() -> int:
    """Writes `screening/locale/en_XA/LC_MESSAGES/screening.po` from the template."""
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    target = LOCALE_DIR / PSEUDO_LANGUAGE.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pseudo_po(pot.read_bytes()))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
