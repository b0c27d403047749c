"""The page contract of the checklist PDF: every word the pages print around the data, as data.

`verify` reads a PDF's pages back against the contract of the record format that made it, so
a PDF from any earlier release stays checkable: a change to what the pages say needs a new
format in `CONTRACTS`, never an edit to an old one. The words shared by every format so far
are the constants below; `PageContract` holds what differs between formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from screening.algebra import NOT_ASSESSED
from screening.catalogue import N_, Words, _, ngettext
from screening.models import (
    AnswersFile,
    AnswerState,
    AskedItem,
    Checklist,
    Entry,
    Kind,
    RuleSetRef,
    Source,
    SourceRef,
    SourceStrength,
    StatementRef,
)
from screening.open_entries import group_open_entries

FOOTER_TEXT = N_("This is a discussion checklist, not a recommendation or a diagnosis.")
KICKER = N_("KETAMINE FOR PAIN MANAGEMENT")
TITLE = N_("Discussion checklist")
DOCUMENT_TITLE = N_("Discussion checklist: ketamine for pain management")
"""The PDF's metadata title, which readers show in place of the file name."""
LANGUAGE = "en"
DETAILS_NOTE = N_(
    "The answers and this checklist are embedded in the file as data (see the last page)."
)
CHECKLIST_HEADING = N_("Checklist")
ANSWERS_HEADING = N_("Answers given")
ANSWERS_INTRO = N_(
    "Every item of the rule pack, as answered. Not assessed: asked but not answered, "
    "which is never read as No. Not asked: a follow-up that the other answers made "
    "irrelevant."
)
NOTES_HEADING = N_("Notes")
SIGN_OFF_HEADING = N_("Sign-off")
SIGN_OFF_CAPTIONS = (N_("Clinician (name)"), N_("Signature"), N_("Date"))
REFERENCES_HEADING = N_("References")
ABOUT_HEADING = N_("About this document")
REPLACEMENT = "\ufffd"
"""Printed for a character no font of the document has."""
REPLACED_NOTE = N_(
    "Some characters could not be drawn with the fonts of this document and are "
    "shown as \ufffd; the embedded data keeps the exact text."
)
FINGERPRINT_LABEL = N_("Checklist fingerprint (sha256 of the embedded checklist):")
NOT_GIVEN = N_("not given")
KIND_LABELS: Mapping[Kind, str] = Words(
    {
        "discuss": N_("DISCUSS"),
        "verify": N_("VERIFY"),
        "arrange": N_("ARRANGE"),
        "document": N_("DOCUMENT"),
    }
)
ANSWER_LABELS: Mapping[AnswerState, str] = Words(
    {
        "yes": N_("Yes"),
        "no": N_("No"),
        "unknown": N_("Unknown"),
        "not_assessed": N_("not assessed"),
    }
)
"""Answer words in an entry's "Because" line; the Answers section capitalises not assessed."""


@dataclass(frozen=True)
class PageContract:
    """What one record format prints that another does not.

    `about`: the closing page's paragraphs before the "Made by" line (`{name}` is the embedded
    record's file name). `command`: small print after them. `draft_band`: atop every page
    while the pack's status is not approved (`{status}`). `done_mark`: in the box of an entry
    marked done. `note_label`: starts the line under an entry that carries a note.
    `open_heading`: when set, each section prints its raised entries in full, then this
    heading and its open entries grouped under the question that would settle them
    (`find_out`, with `{question}`), one compact line each; the grouping and each line's
    words ("If yes: ...") are `open_entries`' own, so a change there is a new format (the
    golden files of format 3, read as a later release reads them, fail otherwise).
    `absent_note`: printed once under the Checklist summary (format 4 on): a point not
    listed means no answer raised it. `statements_heading` and `statements_intro`: the "What
    the sources say" block under it, listing the checklist's `statements`, one line each in
    `statement_line` (with `{cited_as}`, `{section}`, `{strength}` in `STRENGTH_LABELS`'
    words, `{statement}`); each entry also prints its own statements so, under its text, and
    each group of open entries prints its entries' statements once, under the group. Then
    `open_statements_heading` and `open_statements_intro` head the checklist's
    `open_statements`: what applies if an open question is answered so that it raises its
    point.
    `head_reference`: how the running head prints the patient reference (`{reference}`);
    from format 4 on it is labelled, so free text that reads like a heading never stands
    alone atop every page.
    `reference_grade`: the References print each checklist source's evidence grade and
    level of certainty (format 4 on; a pack's source, as formats 1 and 2 list, always does).
    `find_out_last`: the points raised come first, by section, then the open points under
    `open_heading` as a part of its own, each question once whatever the sections of its
    points, as the screen lists them (format 4 on; format 3 groups them within each section).
    `background_note`: printed once in the References, under the first source marked
    background. `answers_intro`: under
    the Answers heading. `from_checklist`: the pages print only what the checklist carries:
    the Answers part lists the items answered, then after `not_assessed` names the items
    asked but not answered (follow-ups not asked are not listed), and the References list
    the sources the entries cite. Earlier formats list every item and every source of the
    pack.
    """

    about: tuple[str, ...]
    command: str | None = None
    draft_band: str | None = None
    done_mark: str | None = None
    note_label: str | None = None
    open_heading: str | None = None
    find_out: str = N_("Find out: {question}")
    background_note: str | None = None
    answers_intro: str = ANSWERS_INTRO
    from_checklist: bool = False
    not_assessed: str = N_("Not assessed:")
    absent_note: str | None = None
    statements_heading: str | None = None
    statements_intro: str | None = None
    statement_line: str | None = None
    open_statements_heading: str | None = None
    open_statements_intro: str | None = None
    head_reference: str = "{reference}"
    reference_grade: bool = False
    find_out_last: bool = False


_FORMAT_1 = PageContract(
    about=(
        "The answers, this checklist and the rule pack's name, version and sha256 are "
        "embedded in this PDF as a machine-readable JSON attachment ({name}). Browser PDF "
        "viewers may not list attachments; desktop readers and pdfdetach do. To re-check "
        "this file later against the rule pack in use then:\n"
        "python -m screening verify FILE.pdf",
    ),
)
_FORMAT_2 = PageContract(
    about=(
        N_(
            "This is the record of a conversation about ketamine for pain management. A rule "
            "pack turned the answers given into the points above, each to discuss, verify, "
            "arrange or document; a ticked box and a note show what was marked as discussed. "
            "It reaches no decision about the patient: that stays with the treating clinicians."
        ),
        N_(
            "It can be re-checked. The answers, the checklist with its ticks and notes, and the "
            "rule pack's name, version and sha256 are embedded in this file as data ({name}). "
            "The program that made it can confirm that these pages show that data, and whether "
            "the rule pack in use at the time of the check still gives the same checklist. Such "
            "a check shows consistency, not authorship: the file carries no signature."
        ),
    ),
    command=N_(
        "To re-check, from the program's folder: python -m screening verify FILE.pdf "
        "(browser PDF viewers may not list the embedded data; desktop readers do)."
    ),
    draft_band=N_(
        "DRAFT: the rule pack's status is {status}; its content has not completed clinical review."
    ),
    done_mark="\u2713",
    note_label=N_("Note:"),
)
CONTRACTS: dict[int, PageContract] = {
    1: _FORMAT_1,
    2: _FORMAT_2,
    3: replace(
        _FORMAT_2,
        open_heading=N_("To find out"),
        background_note=N_(
            "Background reading for patients, not clinical evidence: it stands "
            "beside a guideline or label and never alone behind a point."
        ),
        answers_intro=N_(
            "The items answered, as answered; then, by name, the items asked but not "
            "answered, which are never read as No. Follow-ups that the other answers made "
            "irrelevant are not listed."
        ),
        from_checklist=True,
    ),
}
CONTRACTS[4] = replace(
    CONTRACTS[3],
    absent_note=N_(
        "A point not listed here means that no answer given raised it, not that the "
        "patient was assessed as low risk."
    ),
    statements_heading=N_("What the sources say"),
    statements_intro=N_(
        "Quoted from the sources the points below cite, each with where it says "
        "so; information with its citation, not a finding about this patient."
    ),
    statement_line=N_("{cited_as} ({section}), {strength}: \u201c{statement}\u201d"),
    open_statements_heading=N_("If an open question is answered so that it raises its point"),
    open_statements_intro=N_(
        "Contraindications and \u201cdo not\u201d statements only; every "
        "statement a point cites is under that point."
    ),
    head_reference=N_("Patient reference: {reference}"),
    reference_grade=True,
    find_out_last=True,
)
"""Each record format's page contract, by `format_version`; the last is the one written."""

STRENGTH_LABELS: Mapping[SourceStrength, str] = Words(
    {
        "contraindication": N_("contraindication"),
        "do-not": N_("do not"),
        "should-not": N_("should not"),
        "caution": N_("caution"),
    }
)
"""How strongly a source says it, as the pages of format 4 on print it."""

CURRENT_FORMAT = max(CONTRACTS)


def spoken(contract: PageContract) -> PageContract:
    """A format's contract in the language of the render: its words looked up in the catalogue
    (in English, the very words the format printed, so a file of any format reads back)."""
    words: dict[str, Any] = {
        f.name: _(value)
        for f in fields(contract)
        if isinstance(value := getattr(contract, f.name), str) and value
    }
    return replace(contract, **words, about=tuple(_(p) for p in contract.about))


def statement_lines(contract: PageContract, statements: Sequence[StatementRef]) -> list[str]:
    """Each source statement as the format prints it, one line each; none before format 4."""
    if contract.statement_line is None:
        return []
    return [
        _(contract.statement_line).format(
            cited_as=said.cited_as,
            section=said.section,
            strength=STRENGTH_LABELS[said.strength],
            statement=said.statement,
        )
        for said in statements
    ]


def draft_band(contract: PageContract, rule_set: RuleSetRef) -> str | None:
    """The band atop every page, or None when the format has none or the pack is approved."""
    if contract.draft_band is None or rule_set.status == "approved":
        return None
    return _(contract.draft_band).format(status=rule_set.status.replace("_", " "))


def note_text(contract: PageContract, entry: Entry) -> str | None:
    """The line under an entry that carries a note; a blank note prints nothing."""
    if contract.note_label is None or not entry.note or not entry.note.strip():
        return None
    return f"{_(contract.note_label)} {entry.note}"


@dataclass(frozen=True)
class SectionBlock:
    """A section of the Checklist part as printed: the entries raised, in full, then the open
    entries grouped by the item whose answer would settle them (empty in formats that print
    every entry in full)."""

    section: str
    raised: tuple[Entry, ...]
    open_groups: tuple[tuple[str, tuple[Entry, ...]], ...]
    labelled: bool = True
    """Whether the open groups print the small `open_heading` above them: not when the
    block is the part of the open points, whose heading it is already."""

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The entries in the order the pages print them."""
        return self.raised + tuple(e for _, group in self.open_groups for e in group)


def section_blocks(contract: PageContract, checklist: Checklist) -> list[SectionBlock]:
    """The Checklist part's sections in the order they first appear, as the format prints them."""
    if contract.find_out_last and contract.open_heading:
        raised = [e for e in checklist.entries if not e.open_items]
        blocks = [
            SectionBlock(section, tuple(e for e in raised if e.section == section), ())
            for section in dict.fromkeys(e.section for e in raised)
        ]
        groups = group_open_entries(checklist.entries)
        if groups:
            together = tuple((item, tuple(group)) for item, group in groups.items())
            blocks.append(SectionBlock(contract.open_heading, (), together, labelled=False))
        return blocks
    blocks = []
    for section in dict.fromkeys(e.section for e in checklist.entries):
        here = [e for e in checklist.entries if e.section == section]
        if contract.open_heading is None:
            blocks.append(SectionBlock(section, tuple(here), ()))
            continue
        groups = group_open_entries(here)
        blocks.append(
            SectionBlock(
                section,
                tuple(e for e in here if not e.open_items),
                tuple((item, tuple(group)) for item, group in groups.items()),
            )
        )
    return blocks


def open_because(entry: Entry) -> bool:
    """Whether a compact open entry prints its "Because" line: only when answers besides the
    question it is grouped under raised or left it open."""
    return len(entry.because) > 1


def not_assessed_text(contract: PageContract, checklist: Checklist) -> str:
    """The items asked but not answered, by name: "Not assessed: a; b; c"."""
    labels = [i.label for i in checklist.items if i.state == NOT_ASSESSED]
    return f"{_(contract.not_assessed)} {'; '.join(labels) if labels else _('none')}"


def answered(checklist: Checklist) -> list[AskedItem]:
    """The items printed with their answer when the format prints from the checklist."""
    return [i for i in checklist.items if i.state != NOT_ASSESSED]


def row_answer(state: AnswerState | None) -> str:
    """What the Answers section prints for an item: its answer, Not assessed or Not asked."""
    if state is None:
        return _("Not asked")
    return _("Not assessed") if state == NOT_ASSESSED else ANSWER_LABELS[state]


def details_rows(answers: AnswersFile, rule_set: RuleSetRef) -> list[tuple[str, str]]:
    """The labelled rows under the title on page 1."""
    pack = _("{name}, version {version} ({status})").format(
        name=rule_set.name, version=rule_set.version, status=rule_set.status
    )
    return [
        (_("Patient reference:"), answers.patient_reference or _(NOT_GIVEN)),
        (_("Clinician:"), answers.clinician or _(NOT_GIVEN)),
        (_("Date:"), answers.date or _(NOT_GIVEN)),
        (_("Rule pack:"), pack),
        (_("Rule pack sha256:"), rule_set.sha256),
    ]


def running_head(contract: PageContract, answers: AnswersFile, rule_set: RuleSetRef) -> str:
    """The line atop every page after the first, shortened with an ellipsis to fit."""
    given = answers.patient_reference
    head = _(contract.head_reference)
    reference = head.format(reference=given) if given else _("no patient reference")
    dated = answers.date or _("date: {date}").format(date=_(NOT_GIVEN))
    return f"{_(TITLE)} · {reference} · {dated} · {rule_set.name} {rule_set.version}"


def summary_text(checklist: Checklist) -> str:
    """The sentence under the Checklist heading: counts by kind, never a conclusion."""
    entries = checklist.entries
    if entries:
        counts = [
            f"{sum(e.kind == kind for e in entries)} {_(_KIND_COUNTED[kind])}"
            for kind in KIND_LABELS
            if any(e.kind == kind for e in entries)
        ]
        text = _("{n} points to go through: {counts}.").format(
            n=len(entries), counts=", ".join(counts)
        )
    else:
        text = _(
            "No points were raised by these answers. This is not a conclusion about the "
            "patient: it only means that no rule in this pack applies to the answers given."
        )
    if checklist.not_assessed:
        missing = len(checklist.not_assessed)
        text += " " + ngettext(
            "{n} item not assessed (see Answers).", "{n} items not assessed (see Answers).", missing
        ).format(n=missing)
    return text


_KIND_COUNTED: Mapping[Kind, str] = {
    "discuss": N_("discuss"),
    "verify": N_("verify"),
    "arrange": N_("arrange"),
    "document": N_("document"),
}
"""A kind as the summary counts it ("3 verify"): the format's own lower-case words."""


def because_text(entry: Entry, label: Callable[[str], str]) -> str:
    because = "; ".join(f"{label(b.item)} = {ANSWER_LABELS[b.answer]}" for b in entry.because)
    return _("Because: {answers}").format(answers=because or _("no answer needed"))


def rule_and_sources(entry: Entry) -> str:
    """The line that ends every entry: its rule id and the ids of its sources."""
    sources = ", ".join(s.id for s in entry.sources)
    return _("Rule {rule} · Sources: {sources}").format(rule=entry.rule_id, sources=sources)


def reference_text(contract: PageContract, source: Source | SourceRef) -> str:
    """A source in the References: citation, DOI, link and the evidence grade with its level
    of certainty: always from a pack's source (formats 1 and 2), from a checklist's source
    when the format prints it (`reference_grade`, format 4 on)."""
    parts = [source.citation]
    if source.doi:
        parts.append(f"doi:{source.doi}")
    if source.url:
        parts.append(source.url)
    if (isinstance(source, Source) or contract.reference_grade) and source.grade:
        parts.append(_("Evidence: {grade}").format(grade=source.grade))
    return " · ".join(parts)


def background_source(contract: PageContract, sources: Sequence[Source | SourceRef]) -> str | None:
    """The id of the source the background note is printed under: the first marked
    background, when the format prints the note."""
    if contract.background_note is None:
        return None
    return next((s.id for s in sources if s.background), None)


def made_by(generator: str, rule_set: RuleSetRef) -> str:
    return _(
        "Made by {generator} with rule pack {name}, version {version} ({status}), sha256 {sha256}."
    ).format(
        generator=generator,
        name=rule_set.name,
        version=rule_set.version,
        status=rule_set.status,
        sha256=rule_set.sha256,
    )
