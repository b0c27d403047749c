"""The checklist view: the points the answers raise, with a tick, a note and *Why?* each, and
the downloads. Everything shown comes from the `Checklist` (its answers, details and marks
included) and the session's memory of the notes; it never reads the pack, and nothing clinical
is decided here."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import streamlit as st

from app_pages.common import (
    SIGNING_IDENTITY_ENV,
    Download,
    drawn,
    md,
    offer,
    signing_identity,
)
from app_pages.form import memory
from app_pages.form.form_view import start_again_button
from app_pages.form.memory import note_key, note_popover_key, tick_key, why_key
from app_pages.statements_view import checklist_top, entry_statements
from screening import (
    ANSWER_WORDS,
    EXPORT_FORMATS,
    KIND_WORDS,
    N_,
    NO_VOCABULARY,
    NOTE_MAX_LENGTH,
    AnswersFile,
    Checklist,
    Entry,
    ExportFormat,
    Problem,
    ScreeningError,
    Vocabulary,
    _,
    answers_download_name,
    by_section,
    entry_headline,
    entry_text,
    free_text_flags,
    group_open_entries,
    group_statements,
    md_escape,
    problem_lines,
    signed_checklist_pdf,
    source_markdown,
)

# Scrolls the page's main section to the top, and moves keyboard focus to the checklist's
# heading, so the next Tab reaches its first point; a new view would otherwise open where the
# last one was scrolled to, with focus lost on the page body. The tab's guard (guard.js) does
# it as the heading appears; this script, run once each time the view is mounted (the frame is
# not rebuilt on reruns), does it where the guard is not installed, and finds it done where it
# is. The heading may be drawn just after the frame.
# Not once the person has clicked, typed or scrolled since the view was put on the page (the
# frame's own start; the tab's guard notes the time of each): under load the frame runs
# seconds late, and the page then jumped under a click already on its way, which landed on
# another control or on none.
SCROLL_TO_TOP = """<script>
const doc = window.parent.document;
const guard = window.parent.__screeningGuard;
const untouched = () => !(guard && guard.lastInput > performance.timeOrigin);
let tries = 0;
const focusHeading = () => {
  if (!untouched()) return;
  const heading = doc.getElementById('discussion-checklist');
  if (heading) {
    const main = doc.querySelector('[data-testid="stMain"]');
    if (main) { main.scrollTo(0, 0); }
    window.parent.scrollTo(0, 0);
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: true});
  } else if (tries++ < 400) {
    setTimeout(focusHeading, 50);
  }
};
focusHeading();
</script>"""


FIND_OUT_HEADING = N_("To find out")
FIND_OUT_ANCHOR = "to-find-out"
FIND_OUT_KEY = "find_out__"
"""Key prefix of each question's group of open points (read by the tab's guard)."""
DOWNLOADS_ANCHOR = "take-it-away"
ANSWERS_FILE = "answers"
"""The answers file's place among the downloads' names (beside the export formats')."""
SKIP_LINKS = N_(
    "[Skip to the questions to find out](#{find_out}) · [Skip to the downloads](#{downloads})"
)
"""Links past the points, for a keyboard: to the open questions, and to the downloads."""


def _because_lines(checklist: Checklist, entry: Entry) -> list[str]:
    lines = [
        f"- {md(checklist.label(b.item))}: **{ANSWER_WORDS[b.answer]}** (`{b.item}`)"
        for b in entry.because
    ]
    return lines or ["- " + _("no particular answer: this point is always raised")]


def _why(checklist: Checklist, entry: Entry) -> None:
    """The answers, rule, rationale and sources behind a point, as one block of Markdown."""
    heading = _("Left open by these answers") if entry.open_items else _("Raised by these answers")
    parts = [f"**{heading}**\n\n" + "\n".join(_because_lines(checklist, entry))]
    if entry.open_items:
        unknown = ", ".join(md(checklist.label(i)) for i in entry.open_items)
        to_verify = _("Not yet known, so this is to verify: {questions}.")
        parts.append(to_verify.format(questions=unknown))
    parts.append(_("**Rule** {rule}").format(rule=f"`{entry.rule_id}`"))
    parts.append(_("**Why it matters.** {rationale}").format(rationale=md(entry.rationale)))
    sources = "\n".join(f"- {source_markdown(s)}" for s in entry.sources)
    sources_heading = _("Sources")
    parts.append(f"**{sources_heading}**\n\n{sources}")
    st.markdown("\n\n".join(parts))


@dataclass(frozen=True)
class _Notes:
    """The notes as this run finds them: the session memory, which holds every note, and the
    note fields the run before drew (`memory.note_fields_drawn`)."""

    held: Mapping[str, Any]
    drawn_before: set[str]


def _entry_row(
    checklist: Checklist,
    entry: Entry,
    notes: _Notes,
    vocabulary: Vocabulary = NO_VOCABULARY,
) -> None:
    """A point: its tick, a note the clinician may add (shown as typed), and *Why?*.

    Drawn straight into its list (a group with small gaps), with no container of its own: one
    block less per point, on every rerun."""
    # Keyed, so the tab's guard names the row's Why? and Note buttons by its point; no help on
    # the tick: a help icon is one more tab stop on every point.
    row = st.container(
        horizontal=True,
        gap="small",
        vertical_alignment="center",
        wrap=False,
        key=f"point_{tick_key(entry)}",
    )
    label, shown_label = _labels(checklist)[tick_key(entry)]
    row.checkbox(
        shown_label,
        key=tick_key(entry),
        on_change=memory.keep,
        args=(tick_key(entry),),
        width="stretch",
        wrap=True,
    )
    # No help tooltips: the guard names each button by its point, and a tooltip shown on
    # hover covered the popover it opens. Lazy (`on_change="rerun"`): what is inside is drawn
    # only while it is open; drawn for every point, it was most of a rerun.
    why = row.popover(_("Why?"), type="tertiary", key=why_key(entry), on_change="rerun")
    if why.open:
        with why:
            _why(checklist, entry)
    # The note's field is not drawn while its popover is closed, and Streamlit drops a
    # widget's value when it is not drawn: the memory keeps it (`keep`), and fills the field
    # as the popover opens.
    note_box = row.popover(
        _("Note"), type="tertiary", key=note_popover_key(entry), on_change="rerun"
    )
    if note_box.open:
        memory.note_field(note_key(entry), notes.drawn_before)
        with note_box:
            st.text_area(
                _("Note on this point: {point}").format(point=md(label)),
                key=note_key(entry),
                on_change=memory.keep,
                args=(note_key(entry),),
                max_chars=NOTE_MAX_LENGTH,
                help=_("Printed as typed under the point in the downloads. No identifiers."),
            )
    if not entry.open_items:  # an open point's statements come once under its question
        entry_statements(entry.source_says)
    note = str(notes.held.get(note_key(entry)) or "").strip()
    if note:
        st.text(_("Note: {note}").format(note=note))
        for flag in free_text_flags({_("The note"): note}, vocabulary):
            st.warning(flag, icon=":material/gavel:")


def _labels(checklist: Checklist) -> dict[str, tuple[str, str]]:
    """Each point's label, as worded and as its tick box shows it, by the tick's key: worked
    out once per answers and language (`memory.once_per_checklist`), not on every rerun."""

    def worded(entry: Entry) -> str:
        return entry_headline(entry) if entry.open_items else entry_text(entry, checklist.label)

    return memory.once_per_checklist(
        "labels",
        lambda: {
            tick_key(e): (worded(e), md_escape(worded(e), block=True)) for e in checklist.entries
        },
    )


def _question_asked(checklist: Checklist, item_id: str) -> str:
    asked = checklist.asked(item_id)
    return asked.question if asked is not None else item_id


def _raised(checklist: Checklist, notes: _Notes, vocabulary: Vocabulary = NO_VOCABULARY) -> None:
    """The points the answers raise, first and in full, by section and kind."""
    raised = [e for e in checklist.entries if not e.open_items]
    for section, here in by_section(raised, lambda e: e.section).items():
        st.subheader(md(section), divider="gray")
        with st.container(gap="xxsmall"):  # as compact as the groups to find out
            for kind, word in KIND_WORDS.items():
                entries = [e for e in here if e.kind == kind]
                if entries:
                    st.markdown(f"**{word}**")
                for entry in entries:
                    _entry_row(checklist, entry, notes, vocabulary)


def _to_find_out(
    checklist: Checklist, notes: _Notes, vocabulary: Vocabulary = NO_VOCABULARY
) -> None:
    """The questions not yet answered, each once whatever the sections its points are in,
    with what its answer would raise, compact: one line per point under the question."""
    groups = group_open_entries(checklist.entries)
    if not groups:
        return
    st.subheader(_(FIND_OUT_HEADING), divider="gray", anchor=FIND_OUT_ANCHOR)
    st.caption(
        _(
            "{n} question(s) not yet answered, each once: open one for what its answer would "
            "raise, and tick its points off during the discussion; “Why?” gives the answers, "
            "rule and sources behind each point. The downloads are at the end."
        ).format(n=len(groups))
    )
    for item_id, entries in groups.items():
        # Keyed, so the tab's guard names each control by the question and the point. Lazy
        # (`on_change="rerun"`): what a question would raise is drawn only while it is open.
        # Every question drawn in full was most of what the browser did on Build (48 points
        # for 7 answers), and the list read as long as the form.
        question = md(_question_asked(checklist, item_id))
        group = st.expander(
            _("Find out: {question}").format(question=question),
            key=f"{FIND_OUT_KEY}{item_id}",
            on_change="rerun",
        )
        if not group.open:
            continue
        # Its ticks were not drawn while it was closed, and Streamlit dropped their values:
        # the memory kept them.
        memory.remember([tick_key(e) for e in entries])
        with group:
            for entry in entries:
                _entry_row(checklist, entry, notes, vocabulary)
            entry_statements(group_statements(entries))


def _settled(checklist: Checklist) -> None:
    """Marks on points these answers no longer show: said, never silently dropped."""
    settled = memory.settled_marks(checklist)
    if not settled:
        return
    lines = []
    for mark in settled:
        was = _("was to find out") if mark.was_open else _("was raised")
        marks = [_("ticked")] if mark.done else []
        if mark.note:
            marks.append(_("note “{note}”").format(note=md(mark.note)))
        lines.append(f"- {md(mark.headline)} ({was}): {', '.join(marks)}")
    said = _(
        "**Marks on points no longer on this checklist.** The answers have settled them, so "
        "they are not in the downloads; they come back if the point does."
    )
    st.info(said + "\n\n" + "\n".join(lines), icon=":material/bookmark:")


def _shared_name(answers: AnswersFile, extension: str) -> str:
    """A checklist download's name with the answers file's date and suffix, so the PDF and the
    answers of one screening sort together even without a patient reference (the answers'
    fingerprint leaves the ticks and notes out, so it does not change as points are ticked)."""
    return "discussion-checklist" + answers_download_name(answers, extension).removeprefix(
        "screening-answers"
    )


def _names(answers: AnswersFile) -> dict[str, str]:
    """The downloads' names by export format (the answers file's under `ANSWERS_FILE`), once
    per answers: each is worked out from the answers' fingerprint."""

    def names() -> dict[str, str]:
        found = {e.name: _shared_name(answers, e.extension) for e in EXPORT_FORMATS}
        return {**found, ANSWERS_FILE: answers_download_name(answers)}

    return memory.once_per_checklist("download names", names)


def _export_download(answers: AnswersFile, checklist: Checklist, export: ExportFormat) -> Download:
    """One download per export format of the registry; the PDF is signed with the server's
    identity when the clinic configured one."""
    render: Callable[[], str | bytes] = partial(export.render, checklist)
    help_text = _(export.help)
    if export.name == "pdf":
        try:
            identity = signing_identity(os.environ.get(SIGNING_IDENTITY_ENV))
        except ScreeningError as exc:
            problems = "; ".join(problem_lines(exc.problems))
            st.error(_("The PDF cannot be signed: {problems}").format(problems=problems))
            raise st.stop() from None  # fail closed: no unsigned PDF where one must be signed
        render = partial(signed_checklist_pdf, checklist, identity)
        signed = _("It is signed with the clinic's signing identity.")
        help_text += f" {signed}" if identity else ""
    return Download(
        _(export.label),
        render,
        _names(answers)[export.name],
        f"download__{export.name}",
        help_text,
        export.icon,
    )


def _downloads(answers: AnswersFile, checklist: Checklist) -> None:
    st.subheader(_("Take it away"), anchor=DOWNLOADS_ANCHOR, divider="gray")
    offer(
        [st.container(horizontal=True)],
        [
            *(_export_download(answers, checklist, export) for export in EXPORT_FORMATS),
            Download(
                _("Answers JSON"),
                partial(memory.answers_json, answers),
                _names(answers)[ANSWERS_FILE],
                "download__answers",
                _("The answers, to load again on the form later."),
                ":material/save:",
            ),
        ],
    )


def _top() -> None:
    """What the view opens with, built or not: the scroll to the top, and *Back*."""
    st.iframe(SCROLL_TO_TOP, height=1)
    st.button(
        _("Back to the answers"),
        key="back",
        on_click=memory.back_to_the_form,
        icon=":material/arrow_back:",
        help=_("Change answers; the checklist is rebuilt from them."),
    )


def checklist_refused(problems: Sequence[Problem]) -> None:
    """In the checklist's place, why the core refused to build it from these answers."""
    _top()
    st.error(_("The checklist could not be built from these answers:"), icon=":material/error:")
    st.code("\n".join(problem_lines(problems)), language=None, wrap_lines=True)


def checklist_view(
    checklist: Checklist, *, vocabulary: Vocabulary = NO_VOCABULARY, shown: bool = False
) -> None:
    """The checklist, with the marks on its points; `vocabulary` (the pack's verdict words, the
    one thing it needs that the checklist does not carry) reads the notes; `shown` when the run
    before drew it in full. The checklist is the one `memory.record` made last: the points'
    labels and the downloads' names are worked out once per evaluation
    (`memory.once_per_checklist`)."""
    _top()
    answers = checklist.answers_file()  # the answers, details and marks it was made from
    if not shown:  # else the ticks show their values, and `keep` kept each change
        memory.remember([tick_key(e) for e in checklist.entries])
    notes = _Notes(memory.memory(), memory.note_fields_drawn(shown))
    st.header(_("Discussion checklist"), anchor="discussion-checklist")
    st.markdown(_(SKIP_LINKS).format(find_out=FIND_OUT_ANCHOR, downloads=DOWNLOADS_ANCHOR))
    rule_set = checklist.rule_set
    st.markdown(
        _("Rule pack {name}, version {version} ({status})").format(
            name=f"**{md(rule_set.name)}**", version=md(rule_set.version), status=rule_set.status
        )
        + "  \n"
        + _("sha256 {sha256}").format(sha256=f"`{rule_set.sha256}`")
    )
    details = [
        label.format(value=value)
        for label, value in (
            (_("Patient reference: {value}"), answers.patient_reference),
            (_("Clinician: {value}"), answers.clinician),
            (_("Date: {value}"), answers.date),
        )
        if value
    ]
    if details:
        st.text(" · ".join(details))
    if checklist.not_assessed:
        st.warning(
            _(
                "**{n} question(s) not assessed**, each listed once, below the points raised; "
                "never taken as No."
            ).format(n=len(checklist.not_assessed)),
            icon=":material/help:",
        )
    _settled(checklist)
    if any(not e.open_items for e in checklist.entries):  # first, in full, on the first screen
        _raised(checklist, notes, vocabulary)
    else:
        st.success(_("No points were raised by these answers."), icon=":material/done:")
    checklist_top(checklist)
    _to_find_out(checklist, notes, vocabulary)
    listed = set(group_open_entries(checklist.entries))
    rest = [i for i in checklist.not_assessed if i not in listed]
    if rest:
        st.subheader(_("Not assessed"), divider="gray")
        st.markdown(
            _(
                "These raise no point whatever their answer; the other questions not assessed "
                "are under *To find out* above, with what each would raise."
            )
            + "\n\n"
            + "\n".join(f"- {md(_question_asked(checklist, i))}" for i in rest)
        )
    _downloads(answers, checklist)
    st.divider()
    start_again_button("checklist")
    drawn("checklist")
