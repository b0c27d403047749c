"""What a checklist PDF may contain besides its pages' text: exactly what this program writes.

A reader can be shown things that page text does not reveal: an annotation or a form field
drawn over a page, a page cropped or rotated, content in a layer that can be switched off,
script run on opening, a second attachment, or a later revision appended to the file. None of
these is ever written by `checklist_pdf`, so `verify` refuses a file that has any of them
rather than trying to judge what a reader would see.

The file is also read by qpdf (through pikepdf), which is as strict as the strictest common
viewers: anything it has to repair (an object whose `obj` keyword is damaged, a broken
cross-reference table, a stream of the wrong length) is refused, since a viewer may drop
or show otherwise what pypdf's lenient reading takes. A linearized file (saved for fast web
view, `qpdf --linearize`) has two cross-reference sections by design; that is not taken for
a later revision when qpdf finds its linearization sound.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pikepdf
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from screening.catalogue import N_, Said
from screening.text import echo

A4 = (0.0, 0.0, 595.28, 841.89)
"""The only page box the writer uses (points), with no rotation."""

_CATALOG = {"/Type", "/Pages", "/Names", "/AF", "/Lang", "/OpenAction", "/PageLayout"}
_CATALOG |= {"/PageMode", "/Outlines"}
_NAMED = {
    "/AA": N_("actions that run when the document is opened or closed"),
    "/AcroForm": N_("form fields"),
    "/OCProperties": N_("optional-content layers, which a reader can switch off"),
    "/JavaScript": N_("JavaScript"),
    "/URI": N_("a link action"),
    "/Perms": N_("signature permissions"),
    "/StructTreeRoot": N_("a structure tree this program never writes"),
}
_PAGES_NODE = {"/Type", "/Kids", "/Count", "/MediaBox"}
_PAGE = {"/Type", "/Parent", "/Resources", "/Contents", "/MediaBox", "/Group"}
_PAGE_NAMED = {
    "/Annots": N_("annotations (notes, stamps or links drawn over the page)"),
    "/AA": N_("actions that run when the page is opened"),
    "/Rotate": N_("a rotation"),
    "/CropBox": N_("a crop box"),
    "/BleedBox": N_("a bleed box"),
    "/TrimBox": N_("a trim box"),
    "/ArtBox": N_("an art box"),
    "/UserUnit": N_("a user unit"),
}
_RESOURCES = {"/Font", "/ProcSet"}
_OUTLINE_ITEM = {"/Title", "/Parent", "/Prev", "/Next", "/First", "/Last", "/Count", "/Dest"}


def structure_problems(reader: PdfReader, data: bytes, record_name: str) -> list[str]:
    """Everything in the file's structure that this program never writes, one line each."""
    damage, linearized = strict_reading(data)
    problems = _revision_problems(reader, data, linearized) + damage
    if damage:
        return problems
    root = _resolved(reader.trailer.get("/Root"))
    if not isinstance(root, DictionaryObject):
        return [*problems, Said(N_("the file has no document catalog"))]
    problems += _unexpected(root, _CATALOG, _NAMED, Said(N_("the document")))
    action = root.get("/OpenAction")
    if action is not None and not isinstance(_resolved(action), ArrayObject):
        problems.append(Said(N_("the document carries an action that runs when it is opened")))
    problems += _names_problems(_resolved(root.get("/Names")), record_name)
    problems += _outline_problems(_resolved(root.get("/Outlines")))
    pages = _resolved(root.get("/Pages"))
    if isinstance(pages, DictionaryObject):
        problems += _unexpected(pages, _PAGES_NODE, _PAGE_NAMED, Said(N_("the page tree")))
    for number, page in enumerate(reader.pages, start=1):
        problems += _unexpected(page, _PAGE, _PAGE_NAMED, Said(N_("page {n}"), n=str(number)))
        box = tuple(round(float(v), 2) for v in page.mediabox)
        if box != A4:
            problems.append(Said(N_("page {n} has another page size than A4"), n=str(number)))
        resources = _resolved(page.get("/Resources"))
        if isinstance(resources, DictionaryObject):
            extra = sorted(set(resources) - _RESOURCES)
            if extra:
                problems.append(
                    Said(
                        N_(
                            "page {n} uses resources this program never writes ({names}): "
                            "images, layers or graphics states"
                        ),
                        n=str(number),
                        names=", ".join(extra),
                    )
                )
    return problems


def strict_reading(data: bytes) -> tuple[list[str], bool]:
    """What qpdf has to repair to read the file (each object resolved), at most 3 lines; and
    whether the file is soundly linearized."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for _ in pdf.objects:
                pass
            warnings = [_warning(w) for w in pdf.get_warnings()]
            linearized = not warnings and pdf.is_linearized and pdf.check_linearization()
    except pikepdf.PdfError as exc:
        warnings = [_warning(str(exc))]
        linearized = False
    damage: list[str] = [
        Said(N_("qpdf finds the file damaged, as a strict viewer would: {warning}"), warning=w)
        for w in warnings[:3]
    ]
    return damage, bool(linearized)


def _warning(text: str) -> str:
    """qpdf's message without the name it gives the in-memory file."""
    return echo(re.sub(r"^(stream )?<_io\.BytesIO object at 0x[0-9a-f]+>:? ?", "", text))


def _revision_problems(reader: PdfReader, data: bytes, linearized: bool = False) -> list[str]:
    """One revision only: a file changed by an incremental update has a second cross-reference
    section appended, which readers show while page text may not (a linearized file has its
    two sections by design)."""
    sections = len(re.findall(rb"startxref", data))
    if sections != (2 if linearized else 1) or ("/Prev" in reader.trailer and not linearized):
        return [Said(N_("the file was changed after it was written (an incremental update)"))]
    if not data.rstrip().endswith(b"%%EOF"):
        return [Said(N_("the file carries data after its end"))]
    return []


def _names_problems(names: Any, record_name: str) -> list[str]:
    """Only one embedded file, the record, and no named JavaScript."""
    if names is None:
        return []
    if not isinstance(names, DictionaryObject):
        return [Said(N_("the document's name tree is not what this program writes"))]
    where = Said(N_("the document's name tree"))
    problems = _unexpected(names, {"/EmbeddedFiles"}, _NAMED, where)
    files = _resolved(names.get("/EmbeddedFiles"))
    listed = [str(n) for n in _name_tree_keys(files)] if isinstance(files, DictionaryObject) else []
    others = [echo(name) for name in listed if name != record_name]
    if others:
        problems.append(
            Said(
                N_("the file holds attachments besides {record}: {names}"),
                record=record_name,
                names=", ".join(others),
            )
        )
    return problems


def _name_tree_keys(node: DictionaryObject, depth: int = 0) -> Iterator[Any]:
    if depth > 8:
        yield "(too deep)"
        return
    entries = _resolved(node.get("/Names"))
    if isinstance(entries, ArrayObject):
        yield from entries[::2]
    kids = _resolved(node.get("/Kids"))
    if isinstance(kids, ArrayObject):
        for kid in kids:
            child = _resolved(kid)
            if isinstance(child, DictionaryObject):
                yield from _name_tree_keys(child, depth + 1)


def _outline_problems(outlines: Any) -> list[str]:
    """Bookmarks that only go to a place in the document, never run an action."""
    if outlines is None:
        return []
    if not isinstance(outlines, DictionaryObject):
        return [Said(N_("the bookmarks are not what this program writes"))]
    seen: set[int] = set()
    stack = [_resolved(outlines.get("/First"))]
    while stack:
        item = stack.pop()
        if not isinstance(item, DictionaryObject) or id(item) in seen or len(seen) > 10_000:
            continue
        seen.add(id(item))
        if set(item) - _OUTLINE_ITEM:
            return [Said(N_("a bookmark carries an action or data this program never writes"))]
        stack += [_resolved(item.get("/First")), _resolved(item.get("/Next"))]
    return []


def _unexpected(
    node: DictionaryObject, allowed: set[str], named: dict[str, str], where: str
) -> list[str]:
    keys = set(node)
    problems: list[str] = [
        Said(N_("{where} carries {what}"), where=where, what=Said(named[key]))
        for key in sorted(keys & set(named))
    ]
    others = sorted(keys - allowed - set(named))
    if others:
        problems.append(
            Said(
                N_("{where} carries entries this program never writes: {names}"),
                where=where,
                names=", ".join(others),
            )
        )
    return problems


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value
