"""`verify`: re-check a checklist PDF against its embedded record and the current rule pack.

The checks, in this order, each refusing with one line per problem:

0. The signature, if the file is signed (`signing.py`): it must match the bytes and cover
   the whole file; the rest is checked on the file as it was signed.
1. Structure (`structure.py`): read by qpdf as strictly as strict viewers read it, nothing
   a reader could be shown besides page text, and one revision only. Applies to every file.
2. The record (`record.py`): read strictly; its checklist hashes to the printed fingerprint;
   the release it names is one this program knows, byte for byte, writing its format.
3. The pages. A file this release made is rendered again from its record and compared as a
   document (`drawing.py`): the same objects, fonts by the glyphs they draw ("same"); the
   same drawing written by another program ("re-saved"); or, where a drawing library here
   is another release than the file names, its text read instead ("not-reproducible").
   A file from another release is read by its text (`pages.py`) against the page contract
   of its record format (`contract.CONTRACTS`), which every later release keeps ("by-text").

Then the recorded answers are evaluated with the current pack and compared entry by entry
(`_decision`): the same points, or which are new, gone or changed, or only reworded. Each
outcome has its exit code (`VerifyResult.exit_code`, listed in the README).

The pack is the one given; `pack_for_verifying` reads a folder by the current pack schema,
or, for a file of 0.1.0 or 0.2.0, by schema 1.0 when the folder is the very pack that made
it, so such a file is checked in full (item names, answers, references) under its own pack.

Reading pages by their text cannot go: files of earlier releases exist (formats 1 to 3,
pinned in tests/fixtures/pdf) and can only be checked that way, and that reading
(`pages.py`) cannot be an exact comparison: pypdf gives right-to-left runs back reordered,
the fonts of the release that made a file decided which characters printed as U+FFFD,
lines were shortened to fit by widths, and a refusal should name each part that differs.
"""

from __future__ import annotations

__all__ = [  # what verify's callers import from here; the outcome is defined in outcome.py
    "EXIT_NOT_REPRODUCIBLE",
    "EXIT_OK",
    "EXIT_OLDER_RELEASE",
    "EXIT_REFUSED",
    "EXIT_RE_SAVED",
    "EXIT_UNTRUSTED_SIGNER",
    "Drawing",
    "VerifyResult",
    "pack_for_verifying",
    "verify_pdf",
]

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509  # type: ignore[import-untyped]  # no types
from pypdf import PdfReader

from screening.catalogue import N_, SOURCE_LANGUAGE, Said, _, speaking
from screening.engine import evaluate
from screening.errors import AnswersError, ExportError, PackError, Problem
from screening.models import (
    CURRENT_PACK_SCHEMA,
    Checklist,
    Entry,
    PackSchema,
    RulePack,
    RuleSetRef,
)
from screening.pack.loader import WRITTEN_FOR_1_0, display_path, load_pack
from screening.pdf import record as records
from screening.pdf.drawing import Shapes, TooLargeError, graph
from screening.pdf.opening import DAMAGED, open_checked, page_texts, quiet_pypdf
from screening.pdf.outcome import (
    EXIT_NOT_REPRODUCIBLE,
    EXIT_OK,
    EXIT_OLDER_RELEASE,
    EXIT_RE_SAVED,
    EXIT_REFUSED,
    EXIT_UNTRUSTED_SIGNER,
    Drawing,
    VerifyResult,
)
from screening.pdf.pages import check_pages
from screening.pdf.record import PdfRecord, altered, digest, listed, shown
from screening.pdf.signing import SignatureReport, signed_part
from screening.text import echo

PACK_SCHEMA_OF_FORMAT: dict[int, PackSchema] = {1: "1.0", 2: "1.0"}
"""The schema of the packs that the releases writing each record format read (0.1.0 and 0.2.0:
1.0); the releases of later formats read the current one."""


def pack_for_verifying(folder: Path | str, pdf_bytes: bytes, source: str) -> RulePack:
    """The pack in `folder` to verify a PDF with, read by the current schema; or, if that
    refuses it, by the older schema the release that made the PDF read packs by, provided the
    folder holds the very pack that made it (the sha256 its record names).

    So a PDF of 0.1.0 or 0.2.0 is checked under the pack that made it, and that pack is never
    read by its older schema for anything else. When the older reading does not apply, the
    refusal is the current schema's, unless the folder was written for the older schema (no
    rule has a summary): then it is the older schema's, or that it is another pack.
    """
    try:
        return load_pack(folder)
    except PackError as refused:
        older = _older_pack(folder, pdf_bytes, source, refused)
        if isinstance(older, RulePack):
            return older
        raise older from None


def _older_pack(
    folder: Path | str, pdf_bytes: bytes, source: str, refused: PackError
) -> RulePack | PackError:
    """The pack as the release that made the PDF read packs, if that is an older schema and
    gives the pack the record names; else the refusal to show (the current schema's if the
    file is not a checklist PDF: its own refusal comes once a pack loads)."""
    try:
        _, record, _ = open_checked(pdf_bytes, source)
    except ExportError:
        return refused
    schema = PACK_SCHEMA_OF_FORMAT.get(record.format_version, CURRENT_PACK_SCHEMA)
    written_for_it = refused.problems[0].message == WRITTEN_FOR_1_0
    if schema == CURRENT_PACK_SCHEMA or not written_for_it:
        return refused
    label = display_path(Path(folder))
    release = shown(record.generator)
    try:
        pack = load_pack(folder, schema)
    except PackError as older:
        refused_as = Said(
            N_("read by pack schema {schema}, as {release} read packs, it is refused:"),
            schema=schema,
            release=release,
        )
        return PackError([Problem(label, refused_as), *older.problems])
    if pack.sha256 != record.rule_set.sha256:
        message = Said(
            N_(
                "read by pack schema {schema}, as {release} read packs, it is not the pack that "
                "made {source}: its sha256 is {sha256}, the file names {named}"
            ),
            schema=schema,
            release=release,
            source=source,
            sha256=pack.sha256,
            named=shown(record.rule_set.sha256),
        )
        return PackError([Problem(label, message)])
    return pack


def verify_pdf(
    pdf_bytes: bytes,
    pack: RulePack,
    source: str,
    trust: list[x509.Certificate] | None = None,
) -> VerifyResult:
    """Check a PDF against its embedded record (and its signature, if signed), then
    re-evaluate the embedded answers with `pack` and compare with its checklist.

    Raises `ExportError` naming `source` for anything that is not an intact checklist PDF: not
    a PDF, unreadable, damaged as a strict viewer finds it, anything in its structure this
    program never writes, no record or a record that disagrees with itself, a release it
    does not know, a signature that does not hold, or pages that do not draw what the record
    holds. How the pages were checked is the result's `drawing` (see `Drawing`).
    """
    signature, unsigned = signed_part(pdf_bytes, source, trust)
    reader, record, stored_checklist = open_checked(unsigned, source)
    this_release = _check_record(record, stored_checklist, pack, source)
    today, answers_problem = _re_evaluate(record, pack, source, this_release)
    drawing, differing, unchecked = _check_drawing(reader, record, pack, source, this_release)
    found = _Found(record, drawing, differing, unchecked, signature, pack.pack_schema)
    if today is None:
        return found.result(source, _rule_set_of(pack), answers_problem=answers_problem)
    return found.compared(source, today)


@dataclass(frozen=True)
class _Found:
    """What the checks found, for the result."""

    record: PdfRecord
    drawing: Drawing
    differing: tuple[str, ...]
    unchecked: tuple[str, ...]
    signature: SignatureReport | None
    pack_schema: PackSchema

    def result(self, source: str, current: RuleSetRef, **found: Any) -> VerifyResult:
        return VerifyResult(
            source=source,
            produced_by=self.record.rule_set,
            current=current,
            same_checklist=found.pop("same_checklist", False),
            made_by=self.record.generator,
            unchecked=self.unchecked,
            pack_schema=self.pack_schema,
            rerendered=self.drawing != "by-text",
            drawing=self.drawing,
            libraries=self.differing,
            signature=self.signature,
            **found,
        )

    def compared(self, source: str, today: Checklist) -> VerifyResult:
        """The result, with how today's checklist differs from the recorded one."""
        claimed = self.record.checklist
        old = {e.rule_id: e for e in claimed.entries}
        new = {e.rule_id: e for e in today.entries}
        common = [r for r in new if r in old]
        return self.result(
            source,
            today.rule_set,
            same_checklist=_same_checklist(claimed, today),
            added=tuple(r for r in new if r not in old),
            removed=tuple(r for r in old if r not in new),
            changed=tuple(r for r in common if _decision(new[r]) != _decision(old[r])),
            reworded=tuple(
                r for r in common if _decision(new[r]) == _decision(old[r]) and new[r] != old[r]
            ),
            other_disclaimer=claimed.disclaimer != today.disclaimer,
        )


def _check_record(record: PdfRecord, stored_checklist: Any, pack: RulePack, source: str) -> bool:
    """The record agrees with itself and names a release this program knows, byte for byte,
    with the format that release writes. True when it is this release's."""
    if (
        digest(stored_checklist) != record.checklist_sha256
        or record.rule_set != record.checklist.rule_set
    ):
        raise altered(source, Said(N_("the embedded checklist does not match its recorded hash")))
    if record.rule_set.sha256 == pack.sha256 and record.rule_set != _rule_set_of(pack):
        raise altered(
            source,
            Said(N_("the embedded record names its rule pack unlike the pack it hashes")),
        )
    written = records.RELEASES.get(record.generator)
    if written is None:
        message = Said(
            N_(
                "the embedded record names a release this program does not know: {release} (it "
                "knows {known}, exactly so): it cannot be checked"
            ),
            release=ascii(echo(record.generator)),
            known=listed(list(records.RELEASES)),
        )
        raise ExportError([Problem(source, message)])
    if written != record.format_version:
        raise altered(
            source,
            Said(
                N_("the embedded record is format {format}, but {release} writes format {written}"),
                format=str(record.format_version),
                release=record.generator,
                written=str(written),
            ),
        )
    return record.generator == records.GENERATOR


def _re_evaluate(
    record: PdfRecord, pack: RulePack, source: str, this_release: bool
) -> tuple[Checklist | None, str | None]:
    """Today's checklist from the recorded answers, or why the answers do not fit the pack;
    for a file this release made with this pack, it must be the recorded one."""
    same_pack = record.rule_set.sha256 == pack.sha256
    try:
        today = evaluate(pack, record.answers, f"{source} (embedded answers)")
    except AnswersError as exc:
        if same_pack and this_release:
            raise altered(
                source, Said(N_("the embedded answers do not fit the pack that made them"))
            ) from None
        return None, str(exc.problems[0])
    claimed = record.checklist
    if this_release and claimed.disclaimer != today.disclaimer:
        raise altered(
            source, Said(N_("the embedded checklist does not carry this program's disclaimer"))
        )
    if same_pack and this_release and not _same_checklist(claimed, today):
        raise altered(source, Said(N_("the embedded answers do not give the embedded checklist")))
    return today, None


def _check_drawing(
    reader: PdfReader, record: PdfRecord, pack: RulePack, source: str, this_release: bool
) -> tuple[Drawing, tuple[str, ...], tuple[str, ...]]:
    """How the pages were checked, the drawing libraries that differ here from the file's,
    and what the pages show that could not be checked."""
    if this_release:
        drawing = _compare_with_fresh(reader, record, source)
        if drawing is not None:
            return drawing, (), ()
        differing = _differing_libraries(record)
        if not differing:
            raise altered(source, _differs_message(reader, record))
    else:
        differing = ()
    same_pack = record.rule_set.sha256 == pack.sha256
    with speaking(record.language or SOURCE_LANGUAGE):  # never the command's --lang
        unchecked = check_pages(
            page_texts(reader, source), record, pack if same_pack else None, source
        )
    return ("not-reproducible" if this_release else "by-text"), differing, unchecked


def _differing_libraries(record: PdfRecord) -> tuple[str, ...]:
    """Each drawing library whose release here is not the one that drew the file."""
    here = records.installed_libraries()
    if record.libraries is None and record.generator not in records.PINNED_LIBRARIES:
        return ()  # this release always names them: a record without them is not its own
    named = records.libraries_of(record)
    return tuple(
        _("{library} {here} here, the file names {named}").format(
            library=name, here=here[name], named=shown(named.get(name, "none"))
        )
        for name in records.DRAWING_LIBRARIES
        if named.get(name) != here[name]
    )


def _decision(entry: Entry) -> tuple[Any, ...]:
    """What an entry says about the patient's record: which rule raised it as what, from which
    answers, citing which sources, and what was marked. Its wording (text, rationale and
    citations) is the pack's and the program's, and may change without changing this."""
    return (
        entry.rule_id,
        entry.kind,
        entry.section,
        entry.because,
        entry.open_items,
        tuple(s.id for s in entry.sources),
        entry.done,
        entry.note,
    )


def _same_checklist(claimed: Checklist, today: Checklist) -> bool:
    """The same decisions for every entry (`_decision`), the same items not assessed, the
    same disclaimer, and the same patient details where the record holds them."""
    if_recorded = ("patient_reference", "clinician", "date")
    return (
        [_decision(e) for e in claimed.entries] == [_decision(e) for e in today.entries]
        and claimed.not_assessed == today.not_assessed
        and claimed.disclaimer == today.disclaimer
        and all(
            getattr(claimed, name) == getattr(today, name)
            for name in if_recorded
            if name in claimed.model_fields_set
        )
    )


def _rule_set_of(pack: RulePack) -> RuleSetRef:
    meta = pack.meta
    return RuleSetRef(name=meta.name, version=meta.version, status=meta.status, sha256=pack.sha256)


# Comparing with a fresh rendering ------------------------------------------------------------


def _compare_with_fresh(reader: PdfReader, record: PdfRecord, source: str) -> Drawing | None:
    """Render the record again: "same" when the file is what this program writes for it,
    object for object (fonts by the glyphs they draw, `drawing.py`); "re-saved" when another
    program wrote the same drawing and record otherwise; None when the drawing differs."""
    try:
        fresh = PdfReader(io.BytesIO(records.render(record)))
        shapes: Shapes = {}
        with quiet_pypdf:
            for view in ("written", "drawn"):
                expected = graph(fresh, view, shapes=shapes)
                if graph(reader, view, len(expected), shapes) == expected:
                    return "same" if view == "written" else "re-saved"
    except TooLargeError:
        return None
    except Exception:  # a damaged object surfaces only when read; one message fits all
        raise ExportError([Problem(source, Said(DAMAGED))]) from None
    return None


def _differs_message(reader: PdfReader, record: PdfRecord) -> Said:
    fresh = PdfReader(io.BytesIO(records.render(record)))
    pairs = enumerate(zip(reader.pages, fresh.pages, strict=False), start=1)
    with quiet_pypdf:
        first = next((n for n, (a, b) in pairs if _page_graph(a) != _page_graph(b)), None)
    if first:
        return Said(
            N_(
                "the file differs from what this program writes for its record, first on page "
                "{page}"
            ),
            page=str(first),
        )
    return Said(N_("the file differs from what this program writes for its record"))


def _page_graph(page: Any) -> Any:
    contents = page.get_contents()
    return (
        contents.get_data() if contents is not None else b"",
        sorted(page.keys()),
        tuple(round(float(v), 2) for v in page.mediabox),
    )
