"""The checklist as a PDF that can be filed, printed, and re-checked against its rule pack later.

Built with fpdf2, a well-kept pure-Python library, because it has what this document needs and
little else: TrueType Unicode fonts with per-glyph fallback fonts (`set_fallback_fonts`), so any
name a user types prints with the shipped DejaVu and Droid fonts; font subsetting, so files stay
small; speed (the default checklist in about 125 ms, see bench/pdf.py); a small drawing API;
and embedded file attachments (`embed_file`), which carry the answers and the checklist as JSON
so that `verify` can re-evaluate them. Reading a PDF back uses pypdf.

`verify` checks the visible pages against the embedded record by their text, whichever release
made the file: the page contract in `pdf_layout` says where each datum is printed. A PDF made
by this very release is also rendered afresh and compared whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pypdf import PdfReader

from screening import __version__
from screening.engine import asked_states, evaluate
from screening.errors import AnswersError, ExportError, Problem
from screening.models import AnswersFile, Checklist, RulePack, RuleSetRef
from screening.pdf_layout import (
    ABOUT_HEADING,
    ANSWERS_HEADING,
    ANSWERS_INTRO,
    CHECKLIST_HEADING,
    DETAILS_NOTE,
    FINGERPRINT_LABEL,
    FOOTER_TEXT,
    KICKER,
    KIND_LABELS,
    NOTES_HEADING,
    RECORD_NOTE,
    REFERENCES_HEADING,
    REPLACED_NOTE,
    REPLACEMENT,
    SIGN_OFF_CAPTIONS,
    SIGN_OFF_HEADING,
    TITLE,
    because_text,
    details_rows,
    draw_checklist,
    grouped,
    item_label,
    made_by,
    reference_text,
    row_answer,
    rule_and_sources,
    running_head,
    summary_text,
)

__all__ = [
    "FOOTER_TEXT",
    "GENERATOR",
    "RECORD_NAME",
    "PdfRecord",
    "VerifyResult",
    "checklist_digest",
    "checklist_pdf",
    "verify_pdf",
]

RECORD_NAME = "screening-record.json"
"""File name of the embedded record, as PDF readers list it."""

RECORD_FORMAT = "ketamine-screening-checklist-record"
GENERATOR = f"screening {__version__}"
"""Recorded in each PDF; pages are also compared with a fresh rendering under the same one."""
FORMAT_VERSION = 1
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""Creation date of a PDF whose answers carry no date: fixed, so the bytes stay reproducible."""


class PdfRecord(BaseModel):
    """What the PDF embeds: enough to re-evaluate the answers and compare the checklist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ketamine-screening-checklist-record"]
    format_version: Literal[1]
    generator: str
    rule_set: RuleSetRef
    answers: AnswersFile
    checklist: Checklist
    checklist_sha256: str


@dataclass(frozen=True)
class VerifyResult:
    """Whether re-evaluating a PDF's embedded answers with the current pack gives its checklist.

    Only made once the pages have been checked against the record. Rule ids list how today's
    checklist differs from the one in the file; all empty and `same_checklist` true when only
    the pack's hash differs. `unchecked` names what the pages show that could not be checked.
    """

    source: str
    produced_by: RuleSetRef
    current: RuleSetRef
    same_checklist: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    answers_problem: str | None = None
    other_disclaimer: bool = False
    rerendered: bool = False
    made_by: str = GENERATOR
    unchecked: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        """Same pack, same checklist, pages all checked: the file is what these rules make of
        these answers."""
        return (
            self.produced_by.sha256 == self.current.sha256
            and self.same_checklist
            and not self.unchecked
        )

    def lines(self) -> list[str]:
        """The result in words, for the command line and the app."""
        made = _pack_words(self.produced_by)
        if self.matches:
            ok = [
                f"OK: {self.source}: the checklist matches: re-evaluating the embedded answers "
                f"with {made} gives the same checklist."
            ]
            if not self.rerendered:
                ok.append(
                    f"  the pages agree with the embedded record; made by {_shown(self.made_by)}, "
                    f"so not also compared with a fresh rendering by {GENERATOR}"
                )
            return ok
        now = "the current pack"
        if self.produced_by.sha256 != self.current.sha256:
            lines = [
                f"{self.source}: the rule pack has changed since this PDF was made.",
                f"  made with: {made}",
                f"  current:   {_pack_words(self.current)}",
            ]
        elif not self.same_checklist:
            lines = [
                f"{self.source}: the rule pack is the same, but the program is not: made by "
                f"{_shown(self.made_by)}, re-evaluated by {GENERATOR}.",
                f"  rule pack: {made}",
            ]
            now = "this program"
        else:
            lines = [f"{self.source}: parts of the pages could not be checked."]
        if self.answers_problem is not None:
            lines.append(f"  the embedded answers do not fit {now}: {self.answers_problem}")
        elif self.same_checklist:
            lines.append(f"  re-evaluated with {now}, the checklist is the same.")
        else:
            lines.append(f"  re-evaluated with {now}, the checklist differs:")
            for what, ids in (
                ("new entries", self.added),
                ("entries gone", self.removed),
                ("entries changed", self.changed),
            ):
                if ids:
                    lines.append(f"    {what}: {', '.join(ids)}")
            if self.other_disclaimer:
                lines.append("    the disclaimer is not this program's")
            elif not (self.added or self.removed or self.changed):
                lines.append("    the items not assessed or the patient details differ")
        lines.extend(f"  not checked: {what}" for what in self.unchecked)
        return lines


def _shown(text: str, limit: int = 80) -> str:
    """Text from the file on one line: controls and line breaks gone, long text shortened."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    one_line = " ".join(kept.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _pack_words(rs: RuleSetRef) -> str:
    return f"{_shown(rs.name)} {_shown(rs.version)} (sha256 {_shown(rs.sha256)})"


def checklist_digest(checklist: Checklist) -> str:
    """sha256 of the checklist's canonical JSON: printed in the PDF and kept in its record."""
    return _digest(checklist.model_dump(mode="json"))


def _digest(data: Any) -> str:
    """sha256 of JSON data in canonical form; verify hashes the record's checklist as stored,
    so fields a later release adds to `Checklist` do not change an older file's hash."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _creation_date(answers: AnswersFile, source: str) -> datetime:
    """Midnight UTC of the answers' date, which `AnswersFile` has checked is YYYY-MM-DD."""
    if answers.date is None:
        return UNDATED
    day = date.fromisoformat(answers.date)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def checklist_pdf(
    pack: RulePack, answers: AnswersFile, checklist: Checklist, *, source: str = "answers"
) -> bytes:
    """The checklist as PDF bytes, with its record embedded; the same inputs give the same bytes.

    `answers.date` is printed and fixes the PDF's creation date; raises `ExportError` naming
    `source` when the date is not YYYY-MM-DD or the checklist came from another pack.
    """
    created = _creation_date(answers, source)
    if checklist.rule_set.sha256 != pack.sha256:
        message = "the checklist was made with a different rule pack than the one given"
        raise ExportError([Problem(source, message)])
    fingerprint = checklist_digest(checklist)
    record = PdfRecord(
        format=RECORD_FORMAT,
        format_version=FORMAT_VERSION,
        generator=GENERATOR,
        rule_set=checklist.rule_set,
        answers=answers,
        checklist=checklist,
        checklist_sha256=fingerprint,
    )
    doc = draw_checklist(
        pack,
        answers,
        checklist,
        record_name=RECORD_NAME,
        fingerprint=fingerprint,
        generator=GENERATOR,
    )
    doc.set_creation_date(created)
    doc.embed_file(
        bytes=(json.dumps(record.model_dump(mode="json"), indent=2) + "\n").encode("ascii"),
        basename=RECORD_NAME,
        desc="Answers and discussion checklist, with the rule pack's name, version and sha256",
        mime_type="application/json",
        creation_date=created,
        modification_date=created,
        compress=True,
    )
    return bytes(doc.output())


def verify_pdf(pdf_bytes: bytes, pack: RulePack, source: str) -> VerifyResult:
    """Check a PDF's pages against its embedded record, then re-evaluate the embedded answers
    with `pack` and compare with its checklist.

    Raises `ExportError` naming `source` for anything that is not an intact checklist PDF: not
    a PDF, unreadable, no record, a record that disagrees with itself, or pages that do not
    show what the record holds (one problem per difference). The pages are read by their text,
    so a file from any release is checked; one from this release must also read exactly as a
    fresh rendering does.
    """
    record, stored_checklist, page_texts = _read_record(pdf_bytes, source)
    claimed = record.checklist
    if _digest(stored_checklist) != record.checklist_sha256 or record.rule_set != claimed.rule_set:
        raise _altered(source, "the embedded checklist does not match its recorded hash")
    same_pack = record.rule_set.sha256 == pack.sha256
    if same_pack and record.rule_set != _rule_set_of(pack):
        raise _altered(source, "the embedded record names its rule pack unlike the pack it hashes")
    this_release = record.generator == GENERATOR
    today: Checklist | None = None
    answers_problem = None
    try:
        today = evaluate(pack, record.answers, f"{source} (embedded answers)")
    except AnswersError as exc:
        if same_pack and this_release:
            raise _altered(
                source, "the embedded answers do not fit the pack that made them"
            ) from None
        answers_problem = str(exc.problems[0])
    if today is not None and this_release and claimed.disclaimer != today.disclaimer:
        raise _altered(source, "the embedded checklist does not carry this program's disclaimer")
    same = today is not None and _same_checklist(claimed, today)
    if same_pack and this_release and not same:
        raise _altered(source, "the embedded answers do not give the embedded checklist")
    unchecked = _check_pages(page_texts, record, pack if same_pack else None, source)
    if today is None:
        return VerifyResult(
            source=source,
            produced_by=record.rule_set,
            current=_rule_set_of(pack),
            same_checklist=False,
            answers_problem=answers_problem,
            made_by=record.generator,
            unchecked=unchecked,
        )
    old = {e.rule_id: e for e in claimed.entries}
    new = {e.rule_id: e for e in today.entries}
    rerendered = same_pack and this_release
    if rerendered:
        _compare_pages(pdf_bytes, page_texts, pack, record, source)
    return VerifyResult(
        source=source,
        produced_by=record.rule_set,
        current=today.rule_set,
        same_checklist=same,
        added=tuple(r for r in new if r not in old),
        removed=tuple(r for r in old if r not in new),
        changed=tuple(r for r in new if r in old and new[r] != old[r]),
        other_disclaimer=claimed.disclaimer != today.disclaimer,
        rerendered=rerendered,
        made_by=record.generator,
        unchecked=unchecked,
    )


def _same_checklist(claimed: Checklist, today: Checklist) -> bool:
    """Same entries, items not assessed, disclaimer and patient details; a field the record
    predates is not compared."""
    always = ("entries", "not_assessed", "disclaimer")
    if_recorded = ("patient_reference", "clinician", "date")
    return all(getattr(claimed, name) == getattr(today, name) for name in always) and all(
        getattr(claimed, name) == getattr(today, name)
        for name in if_recorded
        if name in claimed.model_fields_set
    )


def _rule_set_of(pack: RulePack) -> RuleSetRef:
    meta = pack.meta
    return RuleSetRef(name=meta.name, version=meta.version, status=meta.status, sha256=pack.sha256)


def _compare_pages(
    pdf_bytes: bytes, page_texts: list[str], pack: RulePack, record: PdfRecord, source: str
) -> None:
    """Render the record again and compare: same bytes, or at least the same text on each page."""
    try:
        fresh = checklist_pdf(pack, record.answers, record.checklist, source=source)
    except ExportError:
        raise _altered(
            source, "the embedded answers carry a date this program never writes"
        ) from None
    if fresh != pdf_bytes and _read_pages(fresh) != page_texts:
        raise _altered(source, "the printed pages differ from those these answers give")


# Reading the pages against the record --------------------------------------------------------

_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
"""Where pypdf reverses text, with the neutral marks after it; see also `_reordered`."""
_RUNS = re.compile(r"[A-Za-z]|[^A-Za-z]+")
"""Latin letters, and the runs between them; extraction reorders text only within a run."""
_RULE_IDS = re.compile(r"Rule([a-z][a-z0-9_-]*)·Sources:")
"""An entry's last line, "Rule <id> · Sources: ...", as `_fold` leaves it."""
_MOST_PROBLEMS = 12
"""Differences listed one per line before the rest are counted in one."""
_DIFFERS = "differs from the embedded record"
_DIFFER = "differ from the embedded record"
_UNCHECKED_WITHOUT_PACK = (
    "the item names and answers printed on the pages, and the references: checking them needs "
    "the rule pack that made this PDF"
)


def _fold(text: str) -> str:
    """Text as the pages print it, without what layout changes: spaces, line breaks, and the
    control and format characters that `ChecklistDocument.printable` drops."""
    return "".join(
        c
        for c in unicodedata.normalize("NFC", text)
        if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf")
    )


def _agrees(printed: str, expected: str) -> bool:
    """Whether folded page text shows the folded expected text.

    A character the fonts lacked prints as U+FFFD; right-to-left text comes back from the page
    reordered within its run, so such a run is compared as a multiset of characters.
    """
    if printed == expected:
        return True
    ours, theirs = _RUNS.findall(printed), _RUNS.findall(expected)
    return len(ours) == len(theirs) and all(
        _same_run(mine, wanted) for mine, wanted in zip(ours, theirs, strict=True)
    )


def _same_run(printed: str, expected: str) -> bool:
    if len(printed) != len(expected):
        return False
    if not _reordered(printed + expected):
        return all(
            mine == wanted or (mine == REPLACEMENT and not wanted.isascii())
            for mine, wanted in zip(printed, expected, strict=True)
        )
    not_printed = Counter(expected) - Counter(printed)
    not_expected = Counter(printed) - Counter(expected)
    return set(not_expected) <= {REPLACEMENT} and all(not c.isascii() for c in not_printed)


def _reordered(text: str) -> bool:
    """Whether text extraction may give this run in another order: it holds right-to-left
    script, by pypdf's ranges or by Unicode's bidirectional class."""
    return _RIGHT_TO_LEFT.search(text) is not None or any(
        unicodedata.bidirectional(c) in ("R", "AL") for c in text
    )


def _agrees_shortened(printed: str, expected: str) -> bool:
    """Like `_agrees`, for a line that may have been cut to fit and ended with an ellipsis."""
    if _agrees(printed, expected):
        return True
    cut = printed.rfind("…")
    if cut < 0:
        return False
    kept = printed[:cut] + printed[cut + 1 :]
    return len(kept) < len(expected) and _agrees(kept, expected[: len(kept)])


@dataclass(frozen=True)
class _Part:
    """A stretch of expected page text, named for the message if the pages differ.

    `anchor`: contract words distinct enough to find again after a difference. `shortened`:
    may be cut with an ellipsis, and ends where the next part (an anchor) starts. `unread`:
    not checkable here, skipped up to the next part (an anchor). `optional`: may be absent.
    """

    what: str
    text: str
    anchor: bool = False
    shortened: bool = False
    unread: bool = False
    optional: bool = False


def _check_pages(
    page_texts: list[str], record: PdfRecord, pack: RulePack | None, source: str
) -> tuple[str, ...]:
    """Raise `ExportError` unless every page shows what the record holds; return what could
    not be checked. `pack` is the pack that made the PDF, when it is the current one."""
    bodies: list[str] = []
    problems: list[str] = []
    bad_heads: list[int] = []
    footers: list[tuple[int, int] | None] = []
    head = _fold(running_head(record.answers, record.rule_set))
    for number, text in enumerate(page_texts, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            message = (
                f"page {number} has no text that can be read, so the pages cannot be checked "
                "against the embedded record"
            )
            raise ExportError([Problem(source, message)])
        footers.append(_page_number(lines[-1]))
        if number > 1 and not _agrees_shortened(_fold(lines[0]), head):
            bad_heads.append(number)
        bodies.append("".join(_fold(line) for line in lines[1 if number > 1 else 0 : -1]))
    problems.extend(_numbering_problems(footers))
    if bad_heads:
        problems.append(f"the running head of {_pages(bad_heads)} {_DIFFERS}")
    printed = "".join(bodies)
    entries_problem = _entries_problem(printed, record.checklist)
    if entries_problem:
        problems.append(entries_problem)
    parts = _expected_parts(record, pack, entries_readable=entries_problem is None)
    problems.extend(_differences(printed, parts))
    if problems:
        if len(problems) > _MOST_PROBLEMS:
            rest = len(problems) - _MOST_PROBLEMS + 1
            problems[_MOST_PROBLEMS - 1 :] = [f"{rest} more parts of the pages {_DIFFER}"]
        raise ExportError(
            [Problem(source, f"{problem}: the file has been altered") for problem in problems]
        )
    return () if pack is not None else (_UNCHECKED_WITHOUT_PACK,)


def _page_number(line: str) -> tuple[int, int] | None:
    """The "Page n of m" a page's last line ends with, if it is the footer."""
    folded, footer = _fold(line), _fold(FOOTER_TEXT)
    found = re.fullmatch(r"Page(\d{1,4})of(\d{1,4})", folded.removeprefix(footer))
    return (int(found[1]), int(found[2])) if found and folded.startswith(footer) else None


def _numbering_problems(footers: list[tuple[int, int] | None]) -> list[str]:
    """Every page ends with the footer, numbered 1 to the number of pages in the file."""
    total = len(footers)
    missing = [n for n, footer in enumerate(footers, start=1) if footer is None]
    if missing:
        verb = "do" if len(missing) > 1 else "does"
        return [f"{_pages(missing)} {verb} not end with the footer and its page number"]
    counted = {footer[1] for footer in footers if footer is not None}
    if counted != {total}:
        claimed = " or ".join(map(str, sorted(counted)))
        return [
            f"the footers count {claimed} pages, the file has {total}: pages were removed or added"
        ]
    numbers = [footer[0] for footer in footers if footer is not None]
    if numbers != list(range(1, total + 1)):
        return [f"the pages are out of order: numbered {', '.join(map(str, numbers))}"]
    return []


def _pages(numbers: list[int]) -> str:
    return f"page{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"


def _entries_problem(printed: str, checklist: Checklist) -> str | None:
    """Whether the "Rule <id>" lines of the Checklist section list the record's entries, in
    order; the kind of each is then checked with its text."""
    start = printed.find(_fold(DETAILS_NOTE + CHECKLIST_HEADING))
    end = printed.find(_fold(ANSWERS_HEADING + ANSWERS_INTRO), start)
    if start < 0 or end < 0:
        return None
    shown = _RULE_IDS.findall(printed, start, end)
    recorded = [e.rule_id for e in checklist.entries]
    if shown == recorded:
        return None
    differences = [
        f"{label}: {_ids(ids)}"
        for label, ids in (
            ("not on the pages", [_shown(r) for r in recorded if r not in shown]),
            ("not in the record", [r for r in shown if r not in recorded]),
        )
        if ids
    ]
    if not differences:
        same_ids = sorted(shown) == sorted(recorded)
        differences = ["in another order" if same_ids else "some listed more than once"]
    return (
        f"the pages list {len(shown)} checklist entries, the embedded record "
        f"{len(recorded)}: {'; '.join(differences)}"
    )


def _ids(ids: list[str], most: int = 10) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _expected_parts(
    record: PdfRecord, pack: RulePack | None, entries_readable: bool
) -> list[_Part]:
    """The text of the pages below the running heads and above the footers, in order."""
    answers, checklist = record.answers, record.checklist
    parts = [
        _Part("the title", _fold(KICKER + TITLE), anchor=True),
        _Part("the disclaimer", _fold(checklist.disclaimer)),
    ]
    for label, value in details_rows(answers, record.rule_set):
        what = f"the {label.rstrip(':').lower()}"
        parts += [_Part(what, _fold(label), anchor=True), _Part(what, _fold(value))]
    parts += [
        _Part("the note under the details", _fold(DETAILS_NOTE + CHECKLIST_HEADING), anchor=True),
        _Part("the checklist summary", _fold(summary_text(checklist))),
    ]
    if entries_readable:
        parts += _entry_parts(checklist, pack)
    else:
        parts.append(_Part("the checklist entries", "", unread=True))
    parts.append(_Part("the Answers section", _fold(ANSWERS_HEADING + ANSWERS_INTRO), anchor=True))
    if pack is not None:
        states = asked_states(pack, answers.answers)
        for section, items in grouped(list(pack.items), lambda i: i.section):
            parts.append(_Part("a section heading in the Answers section", _fold(section)))
            for item in items:
                parts += [
                    _Part(f"the question of item {item.id}", _fold(item.question)),
                    _Part(f"the answer to item {item.id}", _fold(row_answer(states.get(item.id)))),
                ]
    else:
        parts.append(_Part("the answers", "", unread=True))
    sign_off = _fold(NOTES_HEADING + SIGN_OFF_HEADING)
    parts += [
        _Part("the Notes and Sign-off part", sign_off, anchor=True),
        _Part("the clinician in the sign-off", _fold(answers.clinician or ""), shortened=True),
        _Part("the sign-off", _fold("".join(SIGN_OFF_CAPTIONS) + REFERENCES_HEADING), anchor=True),
    ]
    if pack is not None:
        parts += [
            _Part(f"the reference {s.id}", _fold(s.id + reference_text(s))) for s in pack.sources
        ]
    else:
        parts.append(_Part("the references", "", unread=True))
    about = ABOUT_HEADING + RECORD_NOTE.format(name=RECORD_NAME)
    return [
        *parts,
        _Part("the note about the embedded record", _fold(about), anchor=True),
        _Part("the 'Made by' line", _fold(made_by(record.generator, record.rule_set))),
        _Part("the note on characters not drawn", _fold(REPLACED_NOTE), optional=True),
        _Part(
            "the checklist fingerprint",
            _fold(FINGERPRINT_LABEL + record.checklist_sha256),
            anchor=True,
        ),
    ]


def _entry_parts(checklist: Checklist, pack: RulePack | None) -> list[_Part]:
    """Each entry's kind, text, "Because" line and rule line, with section headings between.

    The item names in "Because" come from the pack that made the PDF: without it, unread.
    """
    label = partial(item_label, pack) if pack is not None else None
    parts: list[_Part] = []
    section = None
    for entry in checklist.entries:
        name = f"entry {_shown(entry.rule_id)}"
        if entry.section != section:
            section = entry.section
            parts.append(_Part(f"the section heading before {name}", _fold(section)))
        parts += [
            _Part(f"the kind of {name}", KIND_LABELS[entry.kind]),
            _Part(f"the text of {name}", _fold(entry.text)),
        ]
        if label is not None:
            parts.append(_Part(f"the 'Because' line of {name}", _fold(because_text(entry, label))))
        else:
            parts += [
                _Part(f"the 'Because' line of {name}", "Because:"),
                _Part(f"the 'Because' line of {name}", "", unread=True),
            ]
        rule_line = _fold(rule_and_sources(entry))
        parts.append(_Part(f"the rule line of {name}", rule_line, anchor=True))
    return parts


def _differences(printed: str, parts: list[_Part]) -> list[str]:
    """The parts the printed text does not show, in order; after each difference the reading
    goes on from the next part found."""
    found: list[str] = []
    position, index = 0, 0
    while index < len(parts):
        part = parts[index]
        if part.shortened or part.unread:
            end = printed.find(parts[index + 1].text, position)
            if end < 0:
                found.append(f"cannot find {parts[index + 1].what} on the pages")
                return found
            if part.shortened and not _agrees_shortened(printed[position:end], part.text):
                found.append(f"{part.what} on the pages {_DIFFERS}")
            position, index = end, index + 1
            continue
        window = printed[position : position + len(part.text)]
        if _agrees(window, part.text):
            position, index = position + len(part.text), index + 1
            continue
        if part.optional:
            index += 1
            continue
        later = printed.find(part.text, position) if part.anchor else -1
        if later >= 0:
            found.append(
                f"the pages carry text that the embedded record does not, before {part.what}"
            )
            position, index = later + len(part.text), index + 1
            continue
        if f"{part.what} on the pages {_DIFFERS}" not in found:
            found.append(f"{part.what} on the pages {_DIFFERS}")
        anchor = next((n for n in range(index + 1, len(parts)) if parts[n].anchor), None)
        if anchor is None:
            return found
        limit = printed.find(parts[anchor].text, position)
        if limit < 0:
            found.append(f"cannot find {parts[anchor].what} on the pages")
            return found
        index, position = _resume(printed, parts, range(index + 1, anchor), position, limit)
    if position != len(printed):
        found.append("the pages carry text after the checklist fingerprint")
    return found


def _resume(
    printed: str, parts: list[_Part], between: range, start: int, limit: int
) -> tuple[int, int]:
    """Where to read on after a difference: the first part `between` the one that differed
    and the next anchor that is found before that anchor (at `limit`), or else the anchor."""
    for index in between:
        text = parts[index].text
        found = printed.find(text, start, limit) if text else -1
        if found >= 0:
            return index, found
    return between.stop, limit


def _altered(source: str, why: str) -> ExportError:
    return ExportError([Problem(source, f"{why}: the file has been altered")])


class _QuietPypdf:
    """Silence pypdf's log of repairs to damaged files while reading; the caller says one line.

    Counted under a lock, so overlapping reads in app sessions restore the level exactly once.
    """

    def __init__(self) -> None:
        self._logger = logging.getLogger("pypdf")
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = logging.NOTSET

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = self._logger.level
                self._logger.setLevel(logging.CRITICAL)
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._logger.setLevel(self._saved)


_quiet_pypdf = _QuietPypdf()


def _read_pages(pdf_bytes: bytes) -> list[str]:
    with _quiet_pypdf:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


def _read_record(pdf_bytes: bytes, source: str) -> tuple[PdfRecord, Any, list[str]]:
    """The record, its checklist as stored (for the hash), and each page's text."""
    if b"%PDF-" not in pdf_bytes[:1024]:
        raise ExportError([Problem(source, "not a PDF file")])
    try:
        with _quiet_pypdf:
            reader = PdfReader(io.BytesIO(pdf_bytes))
            attachments = dict(reader.attachments)
            page_texts = [page.extract_text() for page in reader.pages]
    except Exception:  # pypdf raises many kinds of error on damaged input; one message fits all
        raise ExportError(
            [Problem(source, "cannot read this PDF: the file is damaged or incomplete")]
        ) from None
    contents = attachments.get(RECORD_NAME, [])
    if not contents:
        raise ExportError(
            [
                Problem(
                    source,
                    f"no embedded checklist record ({RECORD_NAME}): "
                    "only PDFs made by `screening evaluate --format pdf` can be verified",
                )
            ]
        )
    if len(contents) > 1:
        raise _altered(source, f"the PDF holds more than one {RECORD_NAME}")
    try:
        data = json.loads(contents[0])
        if isinstance(data, dict) and _newer_format(data):
            message = (
                f"the embedded record is format version {data['format_version']}, newer than "
                f"this program reads ({FORMAT_VERSION}): it cannot be checked; verify it with the "
                "release that made it or a later one"
            )
            raise ExportError([Problem(source, message)])
        return PdfRecord.model_validate(data), data["checklist"], page_texts
    except ValidationError as exc:
        raise _unreadable(source, exc) from None
    except (ValueError, RecursionError):
        raise _altered(source, "the embedded checklist record is not readable") from None


def _unreadable(source: str, exc: ValidationError) -> ExportError:
    """Answers longer than this release accepts may come from an earlier one: not checkable,
    but not proof of an alteration either."""
    errors = exc.errors()
    if errors and all(e["type"] == "string_too_long" and e["loc"][0] == "answers" for e in errors):
        field = str(errors[0]["loc"][-1]).replace("_", " ")
        limit = (errors[0].get("ctx") or {}).get("max_length")
        message = (
            f"the embedded {field} is longer than this program accepts ({limit} characters), "
            "so the file cannot be checked"
        )
        return ExportError([Problem(source, message)])
    return _altered(source, "the embedded checklist record is not readable")


def _newer_format(data: dict[str, Any]) -> bool:
    version = data.get("format_version")
    return (
        data.get("format") == RECORD_FORMAT
        and isinstance(version, int)
        and not isinstance(version, bool)
        and version > FORMAT_VERSION
    )
