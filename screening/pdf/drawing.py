"""What a PDF draws, as data to compare: the file's objects, not its bytes.

`verify` renders a file of this release again from its record and compares the two. Bytes
cannot be compared: a font subsetter (fonttools) may write the same glyphs into other bytes
and number them otherwise from one release to the next, zlib builds compress differently,
and a program that re-saves a file (pypdf, pikepdf, qpdf) renumbers its objects. So each
file is read as a canonical graph, walked from the trailer in a fixed order, where:

- every stream is compared decoded (`/Length`, `/Filter` and `/DecodeParms` left out);
- an embedded TrueType font is compared by what it draws: for each character code the
  page text can use (CID), the outline of the glyph it maps to (every point of every
  contour, composite glyphs decomposed) and the font's units per em; the font program's
  bytes and its CID-to-glyph map, which the subsetter decides, are not compared;
- in the `written` view, nothing else is relaxed: the file is the one this program writes;
- in the `drawn` view, what a re-saving program changes and a reader never sees is left out
  too: page content streams are compared as their parsed operators and operands (not the
  spacing between them), the document information as its Title, Author, Subject, Keywords,
  Creator and CreationDate (not the Producer or ModDate a re-saver writes).

Two files with the same `drawn` graph show the same pages, bookmarks, metadata and record
in every reader; with the same `written` graph they are also the same file, object for
object, as this program writes it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, Literal

from fontTools.pens.recordingPen import (  # type: ignore[import-untyped]  # no types
    DecomposingRecordingPen,
)
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no types
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

View = Literal["written", "drawn"]

_TRAILER_KEYS = ("/Root", "/Info")
"""The trailer's other keys (`/ID`, `/Size`, `/Prev`, `/XRefStm`) describe the bytes."""
_STREAM_KEYS = ("/Length", "/Filter", "/DecodeParms")
_SUBSETTER_KEYS = ("/FontFile2", "/CIDToGIDMap", "/Length1")
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
"""What a page takes from the page tree nodes above it when it does not say it itself."""
_SHOWN_INFO = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate")


class TooLargeError(Exception):
    """The file holds more objects than the one it is compared with."""


Shapes = dict[tuple[bytes, bytes | None], tuple[Any, ...]]
"""Glyph shapes already read, by font program and CID map: one comparison reads each once."""


def graph(
    reader: PdfReader, view: View, most: int = 1_000_000, shapes: Shapes | None = None
) -> list[Any]:
    """The document as a canonical list of objects (see the module's docstring).

    Raises `TooLargeError` past `most` objects; anything else a damaged file raises is left to
    the caller."""
    walker = _Walker(reader, view, {} if shapes is None else shapes)
    trailer = DictionaryObject(
        {NameObject(k): v for k, v in reader.trailer.items() if k in _TRAILER_KEYS}
    )
    objects = [walker.walk(trailer)]
    while walker.pending:
        if len(objects) > most:
            raise TooLargeError
        reference = walker.pending.pop(0)
        role = walker.roles.get((reference.idnum, reference.generation))
        objects.append(walker.walk(reference.get_object(), role))
    return objects


class _Walker:
    def __init__(self, reader: PdfReader, view: View, shapes: Shapes) -> None:
        self.reader = reader
        self.view = view
        self.shapes = shapes
        self.numbers: dict[tuple[int, int], int] = {}
        self.pending: list[IndirectObject] = []
        self.roles: dict[tuple[int, int], str] = {}

    def follow(self) -> list[Any]:
        """The objects referred to so far and those they refer to, in the order reached."""
        objects = []
        while self.pending:
            reference = self.pending.pop(0)
            role = self.roles.get((reference.idnum, reference.generation))
            objects.append(self.walk(reference.get_object(), role))
        return objects

    def walk(self, value: Any, role: str | None = None) -> Any:
        if isinstance(value, IndirectObject):
            target = value.get_object() if self.view == "drawn" else None
            if target is None or isinstance(target, (DictionaryObject, StreamObject)):
                return self._reference(value, role)
            return self.walk(target, role)
        if isinstance(value, StreamObject):
            return self._stream(value, role)
        if isinstance(value, DictionaryObject):
            return self._dictionary(value, role)
        if isinstance(value, ArrayObject):
            return tuple(self.walk(v, role) for v in value)
        return _operand(value)

    def _reference(self, value: IndirectObject, role: str | None) -> Any:
        key = (value.idnum, value.generation)
        if key not in self.numbers:
            self.numbers[key] = len(self.numbers)
            self.pending.append(value)
            if role is not None:
                self.roles[key] = role
        return ("ref", self.numbers[key])

    def _stream(self, value: StreamObject, role: str | None) -> Any:
        header = DictionaryObject({k: v for k, v in value.items() if k not in _STREAM_KEYS})
        if role == "contents" and self.view == "drawn":
            return ("contents", _operations(value, self.reader))
        return ("stream", self._dictionary(header, None), value.get_data())

    def _dictionary(self, value: DictionaryObject, role: str | None) -> Any:
        kept: dict[str, Any] = dict(value.items())
        extra: tuple[Any, ...] = ()
        if value.get("/Subtype") == "/CIDFontType2":
            extra = ("glyphs", glyph_shapes(value, self.shapes))
            kept.pop("/CIDToGIDMap", None)
        if value.get("/Type") == "/FontDescriptor":
            kept = {k: v for k, v in kept.items() if k not in _SUBSETTER_KEYS}
        if self.view == "drawn":
            kept = _as_drawn(value, kept, role)
        items = []
        for key, item in sorted(kept.items()):
            items.append((str(key), self.walk(item, _role(value, key))))
        return (*items, *extra)


def _as_drawn(node: DictionaryObject, kept: dict[str, Any], role: str | None) -> dict[str, Any]:
    """A node as a reader takes it: a page with what it inherits from the page tree (which
    re-savers push down to the pages), a page tree node without it, the document
    information without what a re-saver writes."""
    if role == "info":
        return {k: v for k, v in kept.items() if k in _SHOWN_INFO}
    if node.get("/Type") == "/Pages":
        return {k: v for k, v in kept.items() if k not in _INHERITED}
    if node.get("/Type") == "/Page":
        parent, depth = node.get("/Parent"), 0
        while parent is not None and depth < 64:
            tree = parent.get_object()
            for key in _INHERITED:
                if key not in kept and key in tree:
                    kept[key] = tree[key]
            parent, depth = tree.get("/Parent"), depth + 1
    return kept


def _role(parent: DictionaryObject, key: str) -> str | None:
    """Which children are read otherwise in the `drawn` view: page contents, the document
    information."""
    if key == "/Contents" and parent.get("/Type") == "/Page":
        return "contents"
    if key == "/Info" and "/Root" in parent:
        return "info"
    return None


def _operations(stream: StreamObject, reader: PdfReader) -> tuple[Any, ...]:
    """The operators of a content stream with their operands, numbers to 4 decimals."""
    content = ContentStream(stream, reader)
    return tuple(
        (operator, tuple(_operand(v) for v in operands))
        for operands, operator in content.operations
    )


def _operand(value: Any) -> Any:
    if isinstance(value, FloatObject):
        return round(float(value), 4)
    if isinstance(value, ArrayObject):
        return tuple(_operand(v) for v in value)
    if isinstance(value, bytes):
        return value
    return (type(value).__name__, str(value))


def glyph_shapes(cid_font: DictionaryObject, known: Shapes) -> tuple[Any, ...]:
    """For each CID the font maps to a glyph, the glyph's outline (composites decomposed),
    with the font's units per em: what the font draws, whatever bytes hold it."""
    descriptor: Any = cid_font["/FontDescriptor"].get_object()
    program = descriptor["/FontFile2"].get_object().get_data()
    mapping = cid_font["/CIDToGIDMap"].get_object()
    map_data = mapping.get_data() if isinstance(mapping, StreamObject) else None
    if (program, map_data) not in known:
        try:
            known[program, map_data] = _shapes(program, map_data)
        except Exception:  # fontTools raises many kinds of error on a damaged font
            known[program, map_data] = ("unreadable font", program, map_data)
    return known[program, map_data]


def _shapes(program: bytes, map_data: bytes | None) -> tuple[Any, ...]:
    gids = _cid_to_gid(map_data)
    font = TTFont(io.BytesIO(program), lazy=True)
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    upem = font["head"].unitsPerEm
    shapes: list[Any] = [("unitsPerEm", upem)]
    for cid, gid in gids(len(order)):
        pen = DecomposingRecordingPen(glyph_set)
        glyph_set[order[gid]].draw(pen)
        shapes.append((cid, tuple(pen.value)))
    return tuple(shapes)


def _cid_to_gid(data: bytes | None) -> Callable[[int], list[tuple[int, int]]]:
    """The (CID, glyph id) pairs of a CIDToGIDMap stream (two bytes each, big-endian), glyph
    id 0 (no glyph) left out; `/Identity` (no stream) maps each CID to itself."""

    def pairs(glyphs: int) -> list[tuple[int, int]]:
        if data is None:
            return [(cid, cid) for cid in range(1, glyphs)]
        found = []
        for cid in range(len(data) // 2):
            gid = int.from_bytes(data[2 * cid : 2 * cid + 2], "big")
            if gid:
                if gid >= glyphs:
                    raise ValueError(f"CID {cid} maps to glyph {gid}, past the font's {glyphs}")
                found.append((cid, gid))
        return found

    return pairs


def page_drawings(reader: PdfReader) -> list[Any]:
    """What each page draws (contents, resources, boxes, as in the `drawn` view), without its
    annotations or its place in the page tree."""
    drawings = []
    for page in reader.pages:
        walker = _Walker(reader, "drawn", {})
        kept = _as_drawn(page, dict(page.items()), None)
        kept = {k: v for k, v in kept.items() if k not in ("/Annots", "/Parent")}
        drawings.append(walker.walk(DictionaryObject(kept)))
        drawings.append(walker.follow())
    return drawings
