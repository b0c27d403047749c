"""The PDF's fonts: each file read once per process, and each document's embedded subset cut
from what was read rather than from the file again.

fpdf2 embeds a subset of every font a document uses, made by fontTools from a font object it
subsets in place, so each document needs a font object of its own. Parsing the whole file for
that costs time in proportion to the font's glyphs, not the document's: for the 4 MB CJK
font (49,000 glyphs) about 150 ms a document, for three characters of a patient reference.
So each font is parsed once (`FontCache`), and at output each document gets a font object
holding only the glyphs it draws (`Outlines.cut`), built from the parsed glyph data: the same
outlines, metrics and hinting, so every character draws as it did, and the time follows the
text. The cut is made afresh from immutable parts for every document, so documents made at
the same time in different sessions share nothing they write to.
"""

from __future__ import annotations

import copy
import struct
import threading
from collections.abc import Iterable
from pathlib import Path

from fontTools.ttLib import TTFont, newTable  # type: ignore[import-untyped]  # no types
from fontTools.ttLib.tables._c_m_a_p import (  # type: ignore[import-untyped]  # no types
    CmapSubtable,
)
from fontTools.ttLib.tables._g_l_y_f import Glyph  # type: ignore[import-untyped]  # no types
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"

_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "morx", "kern", "DSIG")
"""Shaping and signature tables: fpdf2 draws glyph by glyph (no text shaping), and a PDF's
embedded font never needs them."""
_REBUILT = ("GlyphOrder", "glyf", "loca", "hmtx", "cmap")
"""Tables a cut builds for its own glyphs; every other table is copied whole."""
_VERTICAL = ("vhea", "vmtx", "hdmx", "LTSH", "VDMX")
"""Per-glyph tables for vertical text and device metrics, which fpdf2 never writes into a PDF."""


class Outlines:
    """A TrueType font's glyph data and tables, read once, that documents cut subsets from."""

    def __init__(self, path: Path) -> None:
        font = TTFont(path, recalcTimestamp=False)
        self._order: list[str] = font.getGlyphOrder()
        self._glyf = font["glyf"]
        self._raw: dict[str, bytes] = {
            name: getattr(glyph, "data", b"") for name, glyph in self._glyf.glyphs.items()
        }
        self._metrics: dict[str, tuple[int, int]] = dict(font["hmtx"].metrics)
        self._codes: dict[str, list[int]] = {}
        for code, name in font.getBestCmap().items():
            self._codes.setdefault(name, []).append(code)
        skipped = set(_UNUSED_TABLES + _REBUILT + _VERTICAL)
        tags = font.keys()  # a TTFont is not iterable by tag
        self._tables = {tag: font[tag] for tag in tags if tag not in skipped}

    @property
    def glyph_order(self) -> list[str]:
        return list(self._order)

    def cut(self, names: Iterable[str]) -> TTFont:
        """A font object with the glyphs `names` (and the first four, which subsetting keeps,
        and any glyph a composite among them is built of), for fpdf2 to subset and embed."""
        wanted = self._with_components({*self._order[:4], *names})
        order = [name for name in self._order if name in wanted]
        font = TTFont(recalcTimestamp=False)
        font.setGlyphOrder(order)
        for tag, table in self._tables.items():
            font[tag] = copy.deepcopy(table)
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {name: self._glyph(name) for name in order}
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        hmtx = newTable("hmtx")
        hmtx.metrics = {name: self._metrics[name] for name in order}
        font["hmtx"] = hmtx
        font["cmap"] = self._cmap(order)
        return font

    def _glyph(self, name: str) -> Glyph:
        """A fresh glyph object; a composite is expanded here, since its data names its
        components by their ids in the whole font, which the cut renumbers."""
        data = self._raw[name]
        glyph = Glyph(data)
        if len(data) >= 2 and struct.unpack(">h", data[:2])[0] < 0:
            glyph.expand(self._glyf)
        return glyph

    def _with_components(self, names: set[str]) -> set[str]:
        pending = [name for name in names if name in self._raw]
        found = set(pending)
        while pending:
            glyph = self._glyph(pending.pop())
            if not glyph.isComposite():
                continue
            for component in glyph.getComponentNames(self._glyf):
                if component not in found:
                    found.add(component)
                    pending.append(component)
        return found

    def _cmap(self, order: list[str]) -> object:
        mapping = {code: name for name in order for code in self._codes.get(name, ())}
        cmap = newTable("cmap")
        cmap.tableVersion = 0
        cmap.tables = []
        for format_, encoding, codes in (
            (4, 1, {c: n for c, n in mapping.items() if c <= 0xFFFF}),
            (12, 10, mapping if max(mapping, default=0) > 0xFFFF else None),
        ):
            if codes is None:
                continue
            subtable = CmapSubtable.newSubtable(format_)
            subtable.platformID, subtable.platEncID, subtable.language = 3, encoding, 0
            subtable.cmap = codes
            cmap.tables.append(subtable)
        return cmap


class FontCache:
    """Each font file parsed once per process; every document gets its own copy of the parts
    fpdf2 changes while writing (the subset map, the font descriptor, and at output the font
    object it subsets), so documents written at once in different sessions never share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[str, TTFFont] = {}
        self._outlines: dict[str, Outlines] = {}

    def add(self, doc: FPDF, family: str, style: str, filename: str) -> TTFFont:
        with self._lock:
            if filename not in self._parsed:
                scratch = FPDF()
                scratch.add_font(family, style, FONTS_DIR / filename)
                parsed = scratch.fonts[f"{family}{style}"]
                if not isinstance(parsed, TTFFont):
                    raise TypeError(f"{filename} is not a TrueType font")
                self._parsed[filename] = parsed
                self._outlines[filename] = Outlines(FONTS_DIR / filename)
            parsed = self._parsed[filename]
        font = copy.copy(parsed)
        font.i = len(doc.fonts) + 1
        font.fontkey = f"{family}{style}"
        font.desc = copy.copy(parsed.desc)  # fpdf2 numbers and fills it in while writing
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        doc.fonts[font.fontkey] = font
        return font

    def cut_for_output(self, doc: FPDF) -> None:
        """Give each of the document's fonts a font object of its own holding the glyphs it
        draws, for fpdf2 to subset and embed."""
        for font in doc.fonts.values():
            if isinstance(font, TTFFont):
                outlines = self._outlines[Path(font.ttffile).name]
                font.ttfont = outlines.cut(font.subset.get_all_glyph_names())
