"""How a source is cited: one set of parts, rendered as plain text, Markdown or HTML.

A source reads as its citation followed by its parts, always in the same order and with the
same labels: DOI, link, label revision, sections relied on, the background note, evidence
grade and note. The short form keeps what finds the source (DOI, link), for lists beside a
point; the full form, for a list of references, says what was relied on and how strong it is.
A pack's `Source` and a checklist's `SourceRef` (its copy, less grade and note) read alike.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from screening.catalogue import N_, _
from screening.markdown import is_web_address, md_escape, md_link
from screening.models import Source, SourceRef

BACKGROUND_NOTE = N_(
    "Background reading for patients, not clinical evidence: it stands beside a guideline or "
    "label and never alone behind a point."
)
"""Said of a source marked `background` (a lay overview); the content engineer's wording."""

SEPARATOR = " · "
"""Between a citation and its parts when they share one line."""


@dataclass(frozen=True)
class SourcePart:
    """One part of a citation after its text: a label (None for a sentence standing alone),
    the words, and a web address to link them to, if any."""

    label: str | None
    text: str
    href: str | None = None


def source_parts(source: Source | SourceRef, *, full: bool = False) -> tuple[SourcePart, ...]:
    """The parts after the citation, in their fixed order; `full` adds label revision,
    sections relied on, the background note, evidence grade and the source's note; the labels
    in the language of the render."""
    grade, note = (source.grade, source.note) if isinstance(source, Source) else (None, None)
    parts = []
    if source.doi:
        parts.append(SourcePart(_("DOI"), source.doi, "https://doi.org/" + source.doi))
    if source.url:
        parts.append(SourcePart(_("Link"), source.url, source.url))
    if full and source.revised:
        parts.append(SourcePart(_("Label revision"), source.revised))
    if full and source.sections:
        parts.append(SourcePart(_("Sections relied on"), "; ".join(source.sections)))
    if full and source.background:
        parts.append(SourcePart(None, _(BACKGROUND_NOTE)))
    if full and grade:
        parts.append(SourcePart(_("Evidence"), grade))
    if full and note:
        parts.append(SourcePart(_("Note"), note))
    return tuple(parts)


def part_text(part: SourcePart) -> str:
    """A part as plain text, e.g. `DOI: 10.1000/x`."""
    return part.text if part.label is None else f"{part.label}: {part.text}"


def part_markdown(part: SourcePart) -> str:
    """A part as Markdown: escaped, and linked only when its address is a web address."""
    words = md_link(part.text, part.href) if part.href else md_escape(part.text)
    return words if part.label is None else f"{part.label}: {words}"


def part_html(part: SourcePart) -> str:
    """A part as HTML: escaped, and linked only when its address is a web address."""
    words = html.escape(part.text)
    if part.href and is_web_address(part.href):
        words = f'<a href="{html.escape(part.href)}">{words}</a>'
    return words if part.label is None else f"{html.escape(part.label)}: {words}"


def source_text(source: Source | SourceRef, *, full: bool = False) -> str:
    """The source on one line of plain text (terminal, PDF, CSV)."""
    return SEPARATOR.join([source.citation, *map(part_text, source_parts(source, full=full))])


def source_markdown(source: Source | SourceRef, *, full: bool = False) -> str:
    """The source on one line of Markdown."""
    parts = map(part_markdown, source_parts(source, full=full))
    return SEPARATOR.join([md_escape(source.citation), *parts])


def source_html(source: Source | SourceRef, *, full: bool = False) -> str:
    """The source on one line of HTML."""
    parts = map(part_html, source_parts(source, full=full))
    return SEPARATOR.join([html.escape(source.citation), *parts])


def source_details(source: Source | SourceRef) -> list[str]:
    """Every part of the full form as its own Markdown line, for a reviewer's list."""
    return [part_markdown(part) for part in source_parts(source, full=True)]


def source_block(source: Source | SourceRef) -> list[str]:
    """The full form as Markdown lines: the citation as a paragraph, then its parts listed."""
    return [md_escape(source.citation, block=True), "", *(f"- {d}" for d in source_details(source))]


SHORT_NAME_MAX = 60
"""A short name made from a citation is cut to this many characters."""

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def cited_as(source: Source) -> str:
    """The name a statement is attributed to: the source's `short_name`, or a short form of
    its citation: its first sentence up to the first comma, "et al." after a list of authors,
    and the first year the citation gives ("Cohen SP et al., 2018")."""
    if source.short_name:
        return source.short_name
    first = re.split(r"\.\s", source.citation, maxsplit=1)[0].strip().rstrip(".")
    head = first.split(",")[0].strip()
    authors = first.count(",") >= 2 and len(head.split()) <= 3
    name = f"{head} et al." if authors else head
    year = _YEAR.search(source.citation)
    if year and year.group(0) not in name:
        name = f"{name}, {year.group(0)}"
    if len(name) > SHORT_NAME_MAX:
        name = name[: SHORT_NAME_MAX - 1].rsplit(" ", 1)[0] + "…"
    return name
