"""The screening page: yes / no / unknown answers in, a discussion checklist out.

The page decides nothing clinical: what is asked comes from `asked_states`, what goes on the
checklist from `evaluate`. Answers live in this session's memory only, never on disk, and
survive page switches because widgets are re-seeded from that memory.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

import streamlit as st

from app_pages.common import (
    Download,
    QuestionText,
    UploadNote,
    drawn,
    md,
    offer,
    page_header,
    question_texts,
    require_pack,
    take_drawn,
)
from screening import (
    ANSWER_WORDS,
    ANSWERS,
    FREE_TEXT_MAX_LENGTH,
    KIND_WORDS,
    MAX_YEAR,
    MIN_YEAR,
    NO_VOCABULARY,
    NOTE_MAX_LENGTH,
    Answer,
    AnswersError,
    AnswersFile,
    AnswerState,
    Checklist,
    DiscussedMark,
    Entry,
    Item,
    RulePack,
    Vocabulary,
    answers_download_name,
    asked_states,
    by_section,
    checklist_json,
    checklist_markdown,
    checklist_pdf,
    describe_condition,
    download_name,
    entry_headline,
    evaluate,
    free_text_flags,
    group_open_entries,
    identifier_hints,
    md_escape,
    problem_lines,
    read_answers_bytes,
    response_json,
    source_markdown,
)

DETAILS = ("patient_reference", "clinician", "date")
# The date field's range: Streamlit's default, today ± 10 years, would drop other dates.
EARLIEST_DATE = dt.date(MIN_YEAR, 1, 1)
LATEST_DATE = dt.date(MAX_YEAR, 12, 31)
# Scrolls the page's main section to the top, and moves keyboard focus to the checklist's
# heading, so the next Tab reaches its first point; a new view would otherwise open where the
# last one was scrolled to, with focus lost on the page body. Run once each time the view is
# mounted (the frame is not rebuilt on reruns); the heading may be drawn just after the frame.
SCROLL_TO_TOP = """<script>
const doc = window.parent.document;
const main = doc.querySelector('[data-testid="stMain"]');
if (main) { main.scrollTo(0, 0); }
window.parent.scrollTo(0, 0);
let tries = 0;
const focusHeading = () => {
  const heading = doc.getElementById('discussion-checklist');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: true});
  } else if (tries++ < 400) {
    setTimeout(focusHeading, 50);
  }
};
focusHeading();
</script>"""

# Session-state keys (no bare strings below the docstring: Streamlit's magic would print them).
MEMORY = "screening__memory"  # widget key -> value, kept while the widget is not shown
DROPPED = "screening__dropped"  # item id -> the answer removed when it stopped being asked
VIEW = "screening__view"
UPLOAD_NOTE = "screening__upload_note"
UPLOAD_KEY = "upload__answers"
SAVE_PANEL = "save_panel"  # open or closed: its contents are drawn only while open
# The form's one style element. Follow-ups are indented under their parent, with a rule beside
# them, by one rule that names them all (built once per pack): cheaper on every rerun than an
# element each. The date field's month and day are 18 px wide as drawn: each is given the
# 24 px a pointer target needs (WCAG 2.2, 2.5.8).
DATE_TARGETS = (
    '[data-testid="stDateInput"] [role="spinbutton"] '
    "{ min-width: 24px; min-height: 24px; display: inline-flex; align-items: center; "
    "justify-content: center; }"
)
FOLLOW_UPS = "{} { margin-left: 1.25rem; padding-left: 0.75rem; border-left: 2px solid #d0d3da; }"
TICK_PREFIX = "tick__"
NOTE_PREFIX = "note__"
_log = logging.getLogger(__name__)
_UNSET = object()


def answer_key(item_id: str) -> str:
    return f"answer__{item_id}"


def detail_key(field: str) -> str:
    return f"detail__{field}"


def tick_key(entry: Entry) -> str:
    """One tick per point as raised: a rule held and the same rule left open are different points.

    A tick on "Find out: X?" must not carry over to the entry that answering X raises; the
    rule id comes last, as ids may hold underscores.
    """
    return f"{TICK_PREFIX}{_state(entry)}__{entry.rule_id}"


def note_key(entry: Entry) -> str:
    return f"{NOTE_PREFIX}{_state(entry)}__{entry.rule_id}"


def _state(entry: Entry) -> str:
    return "open" if entry.open_items else "held"


def _memory() -> dict[str, Any]:
    memory: dict[str, Any] = st.session_state.setdefault(
        MEMORY, {detail_key("date"): dt.date.today()}
    )
    return memory


def _remember(keys: list[str]) -> None:
    """Widget state is dropped while a widget is not shown; the memory is not. Sync the two.

    A widget's value given by the user wins; then every value is written back in this run,
    before its widget is drawn. A value set in an earlier run is known to the server but not
    sent to the browser, which would show the widget empty and send that back: the lost
    answers after a tick and *Back to the answers*.
    """
    memory, state = _memory(), st.session_state
    for key in keys:
        value = state.get(key, _UNSET)
        if value is not _UNSET:
            memory[key] = value
        elif key in memory:
            value = memory[key]
        else:
            continue
        state[key] = value


def _keep(key: str) -> None:
    """A form widget's new value, into the memory as it is given (its `on_change`): so a run
    after one that drew the whole form needs no `_remember`, a cost on every click."""
    _memory()[key] = st.session_state[key]


def _set(key: str, value: Any) -> None:
    """A form widget's value set by the page (a new screening, an upload), and remembered."""
    st.session_state[key] = _memory()[key] = value


def _answers(pack: RulePack) -> dict[str, Answer]:
    memory = _memory()
    return {
        item.id: memory[answer_key(item.id)]
        for item in pack.items
        if memory.get(answer_key(item.id)) in ANSWERS
    }


def _drop_unasked(pack: RulePack) -> dict[str, AnswerState]:
    """Remove answers to questions no longer asked, noting each, so none reaches the checklist."""
    answers = _answers(pack)
    asked = asked_states(pack, answers)
    dropped: dict[str, Answer] = st.session_state.setdefault(DROPPED, {})
    for item_id, answer in answers.items():
        if item_id not in asked:
            dropped[item_id] = answer
            _memory().pop(answer_key(item_id), None)
            st.session_state.pop(answer_key(item_id), None)
    for item_id in [i for i in dropped if i in asked]:
        del dropped[item_id]
    return asked


def _given(pack: RulePack) -> AnswersFile:
    """The answers and details the form holds, without the marks on the points."""
    memory = _memory()
    date = memory.get(detail_key("date"))
    return AnswersFile(
        answers=_answers(pack),
        patient_reference=memory.get(detail_key("patient_reference")) or None,
        clinician=memory.get(detail_key("clinician")) or None,
        date=date.isoformat() if isinstance(date, dt.date) else None,
    )


def _marks() -> dict[str, Any]:
    """A copy of the ticks and notes in memory, by widget key."""
    return {k: v for k, v in _memory().items() if k.startswith((TICK_PREFIX, NOTE_PREFIX))}


def _marked(
    pack: RulePack, given: AnswersFile, unmarked: Checklist, marks: Mapping[str, Any]
) -> tuple[AnswersFile, Checklist]:
    """The answers with the marks on the points they raise now, and the checklist carrying them.

    Pure, so a download can call it when clicked, outside the page's run.
    """
    on_points = {
        e.rule_id: DiscussedMark(
            done=bool(marks.get(tick_key(e))),
            note=str(marks.get(note_key(e)) or "").strip() or None,
        )
        for e in unmarked.entries
    }
    discussed = {rule_id: m for rule_id, m in on_points.items() if m.done or m.note}
    if not discussed:
        return given, unmarked
    answers = given.model_copy(update={"discussed": discussed})
    return answers, evaluate(pack, answers, source="form")


def _record(pack: RulePack) -> tuple[AnswersFile, Checklist]:
    """What the form holds (answers, details, the marks on the points it raises now) and the
    checklist it makes, which carries those marks."""
    given = _given(pack)
    unmarked = evaluate(pack, given, source="form")
    _remember([key for e in unmarked.entries for key in (tick_key(e), note_key(e))])
    return _marked(pack, given, unmarked, _memory())


def _saved_answers_json(pack: RulePack, given: AnswersFile, marks: Mapping[str, Any]) -> str:
    """The answers file the form's *Save* gives: the checklist is built only when clicked."""
    answers, _ = _marked(pack, given, evaluate(pack, given, source="form"), marks)
    return _answers_json(answers)


def _answers_json(answers: AnswersFile) -> str:
    return answers.model_dump_json(indent=2) + "\n"


def _show(view: str) -> None:
    st.session_state[VIEW] = view


def _back_to_the_form() -> None:
    """Keep a tick or note sent with the click on *Back*: the form does not draw their widgets."""
    memory = _memory()
    for key in [k for k in st.session_state if str(k).startswith((TICK_PREFIX, NOTE_PREFIX))]:
        memory[key] = st.session_state[key]
    _show("form")


def _start_again(pack: RulePack, where: str | None = None) -> None:
    """Clear this session's answers, details and ticks (a callback, so widgets may be reset),
    and close the confirmation it was clicked in."""
    if where is not None:
        st.session_state[_start_again_popover(where)] = False
    st.session_state[MEMORY] = {}
    for item in pack.items:
        _set(answer_key(item.id), None)
    for key in [k for k in st.session_state if str(k).startswith(TICK_PREFIX)]:
        st.session_state[key] = False
    for key in [k for k in st.session_state if str(k).startswith(NOTE_PREFIX)]:
        st.session_state[key] = ""
    for field in DETAILS:
        _set(detail_key(field), dt.date.today() if field == "date" else "")
    st.session_state[DROPPED] = {}
    st.session_state[UPLOAD_NOTE] = None
    _show("form")


def read_answers_upload(pack: RulePack, name: str, data: bytes) -> tuple[AnswersFile, Checklist]:
    """An uploaded answers file and its checklist; `AnswersError` if the core refuses it."""
    loaded = read_answers_bytes(data, name, pack)
    return loaded, evaluate(pack, loaded, name)


def _load_upload(pack: RulePack) -> None:
    """Replace the form with an uploaded answers file, or say why not and change nothing."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        st.session_state[UPLOAD_NOTE] = None
        return
    try:
        loaded, checklist = read_answers_upload(pack, uploaded.name, uploaded.getvalue())
        marked = [e for e in checklist.entries if e.done or e.note]
    except AnswersError as exc:
        st.session_state[UPLOAD_NOTE] = UploadNote(uploaded.name, problem_lines(exc.problems))
        return
    except Exception:  # a bug: say so plainly and keep the form as it was
        _log.exception("reading the uploaded answers file failed")
        st.session_state[UPLOAD_NOTE] = UploadNote(
            uploaded.name,
            [f"{uploaded.name}: could not be read: an unexpected error occurred (see the log)"],
        )
        return
    _start_again(pack)
    for item_id, answer in loaded.answers.items():
        _set(answer_key(item_id), answer)
    _set(detail_key("patient_reference"), loaded.patient_reference or "")
    _set(detail_key("clinician"), loaded.clinician or "")
    _set(detail_key("date"), dt.date.fromisoformat(loaded.date) if loaded.date else None)
    for entry in marked:
        st.session_state[tick_key(entry)] = _memory()[tick_key(entry)] = entry.done
        st.session_state[note_key(entry)] = _memory()[note_key(entry)] = entry.note or ""
    st.session_state[UPLOAD_NOTE] = UploadNote(uploaded.name, [], len(loaded.answers))


def _question(text: QuestionText, item: Item) -> None:
    st.segmented_control(
        text.question,
        ANSWERS,
        format_func=ANSWER_WORDS.__getitem__,
        key=answer_key(item.id),
        help=text.help,
        on_change=_keep,
        args=(answer_key(item.id),),
    )


def _form_style(texts: Mapping[str, QuestionText]) -> str:
    follow_ups = [f".st-key-{answer_key(i)}" for i, text in texts.items() if text.follow_up]
    rules = [DATE_TARGETS]
    if follow_ups:
        rules.append(FOLLOW_UPS.replace("{}", ", ".join(follow_ups), 1))
    return "<style>" + "\n".join(rules) + "</style>"


def _dropped_note(pack: RulePack, item: Item, answer: Answer) -> None:
    reason = describe_condition(item.asked_if, pack) if item.asked_if is not None else ""
    st.warning(
        f"Answer removed: “{md(item.question)}” was answered **{ANSWER_WORDS[answer]}**, but it "
        f"is asked only when {md(reason)}. That answer is no longer on the form and will not "
        "be used.",
        icon="ℹ️",
    )


def _upload_panel(pack: RulePack) -> None:
    """Save or resume, drawn only while its panel is open: most reruns are a click on an answer
    with the panel closed, and need none of it (Streamlit's lazy expander, `on_change="rerun"`)."""
    panel = st.expander(
        "Save or resume: answers file (JSON)",
        icon=":material/save:",
        key=SAVE_PANEL,
        on_change="rerun",
    )
    if not panel.open:
        return
    given = _given(pack)
    with panel:
        st.write(
            "Save the answers so far to a file on this computer, or load such a file to resume. "
            "Loading a file replaces every answer on the form."
        )
    offer(
        [panel],
        [
            Download(
                "Save answers (JSON)",
                partial(_saved_answers_json, pack, given, _marks()),
                answers_download_name(given),
                "download__answers_form",
                "The answers, patient reference, clinician and date, to load again later.",
                ":material/download:",
            ),
            Download(
                "Save as FHIR QuestionnaireResponse",
                partial(response_json, pack, given),
                answers_download_name(given, "fhir.json"),
                "download__answers_fhir",
                "The same answers as a FHIR R4 QuestionnaireResponse, for an EHR; loads here too.",
                ":material/download:",
            ),
        ],
    )
    with panel:
        st.file_uploader(
            "Load answers (JSON)",
            type=["json"],
            key=UPLOAD_KEY,
            on_change=_load_upload,
            args=(pack,),
            help="An answers file saved from this form or written for the command line, or a "
            "FHIR QuestionnaireResponse to this form's questionnaire.",
        )
        # Shown once, right after the upload: the next edit or page switch makes it stale.
        note: UploadNote | None = st.session_state.pop(UPLOAD_NOTE, None)
        if note is not None and note.problems:
            st.error(
                f"{md(note.name)} was not loaded; the answers on the form are unchanged.",
                icon=":material/error:",
            )
            st.code("\n".join(note.problems), language=None, wrap_lines=True)
        elif note is not None:
            st.success(
                f"Loaded {note.loaded} answer(s) from {md(note.name)}.", icon=":material/done:"
            )


def _details(vocabulary: Vocabulary) -> None:
    left, middle, right = st.columns([2, 2, 1.3])
    left.text_input(
        "Patient reference (optional)",
        key=detail_key("patient_reference"),
        on_change=_keep,
        args=(detail_key("patient_reference"),),
        max_chars=FREE_TEXT_MAX_LENGTH,
        help="A local reference only, to match a printout to a consultation.",
    )
    middle.text_input(
        "Clinician (optional)",
        key=detail_key("clinician"),
        on_change=_keep,
        args=(detail_key("clinician"),),
        max_chars=FREE_TEXT_MAX_LENGTH,
        help="Who is completing the checklist.",
    )
    right.date_input(
        "Date (optional)",
        value=None,
        min_value=EARLIEST_DATE,
        max_value=LATEST_DATE,
        key=detail_key("date"),
        on_change=_keep,
        args=(detail_key("date"),),
        format="YYYY-MM-DD",
        help="The date of the consultation.",
    )
    st.caption(
        "Do not enter names, dates of birth or record numbers. Nothing typed here is written "
        "to disk: it is kept in this session's memory until you close the tab or start a new "
        "screening."
    )
    hints = identifier_hints(str(st.session_state.get(detail_key("patient_reference")) or ""))
    if hints:
        st.warning(
            f"The patient reference looks like it holds {' and '.join(hints)}. Use a local "
            "reference without identifiers: it is never stored, but it is printed on the "
            "checklist and in every download.",
            icon=":material/badge:",
        )
    for flag in free_text_flags(
        {
            "The patient reference": st.session_state.get(detail_key("patient_reference")),
            "The clinician": st.session_state.get(detail_key("clinician")),
        },
        vocabulary,
    ):
        st.warning(flag, icon=":material/gavel:")


def _start_again_popover(where: str) -> str:
    return f"start_again_popover__{where}"


def _start_again_button(pack: RulePack, where: str) -> None:
    confirm = st.popover(
        "Start a new screening",
        icon=":material/restart_alt:",
        help="Clear this session's answers, details and ticks.",
        key=_start_again_popover(where),
        on_change="rerun",  # lazy: its button is drawn only while it is open
    )
    if not confirm.open:
        return
    with confirm:
        st.button(
            "Clear all answers, details and ticks",
            key=f"start_again__{where}",
            on_click=_start_again,
            args=(pack, where),
            type="primary",
            help="Save the answers first if you may need them again.",
        )


def form_view(pack: RulePack, asked: dict[str, AnswerState]) -> None:
    st.markdown(
        "Answer **Yes**, **No** or **Unknown**. Leave a question blank if it was not assessed: "
        "it will be listed as *not assessed*, never taken as No. Click a chosen answer again "
        "to clear it."
    )
    _details(pack.vocabulary)
    _upload_panel(pack)
    dropped: dict[str, Answer] = st.session_state.get(DROPPED, {})
    texts = question_texts(pack)
    st.html(_form_style(texts))
    for section in pack.sections:
        st.header(md(section), divider="gray")
        for item in (i for i in pack.items if i.section == section):
            if item.id in asked:
                _question(texts[item.id], item)
            elif item.id in dropped:
                _dropped_note(pack, item, dropped[item.id])
    answered = sum(1 for state in asked.values() if state != "not_assessed")
    st.progress(answered / len(asked), text=f"{answered} of {len(asked)} answered")
    row = st.container(horizontal=True)
    row.button(
        "Build the discussion checklist",
        key="build",
        type="primary",
        on_click=_show,
        args=("checklist",),
        icon=":material/checklist:",
        help="Shows the points to discuss, verify, arrange or document. Your answers are kept.",
    )
    with row:
        _start_again_button(pack, "form")


def _because_lines(checklist: Checklist, entry: Entry) -> list[str]:
    lines = [
        f"- {md(checklist.label(b.item))}: **{ANSWER_WORDS[b.answer]}** (`{b.item}`)"
        for b in entry.because
    ]
    return lines or ["- no particular answer: this point is always raised"]


def _why(checklist: Checklist, entry: Entry) -> None:
    """The answers, rule, rationale and sources behind a point, as one block of Markdown."""
    heading = "Left open by these answers" if entry.open_items else "Raised by these answers"
    parts = [f"**{heading}**\n\n" + "\n".join(_because_lines(checklist, entry))]
    if entry.open_items:
        parts.append(
            "Not yet known, so this is to verify: "
            + ", ".join(md(checklist.label(i)) for i in entry.open_items)
            + "."
        )
    parts.append(f"**Rule** `{entry.rule_id}`")
    parts.append(f"**Why it matters.** {md(entry.rationale)}")
    parts.append("**Sources**\n\n" + "\n".join(f"- {source_markdown(s)}" for s in entry.sources))
    st.markdown("\n\n".join(parts))


def _entry_row(
    checklist: Checklist, entry: Entry, label: str, vocabulary: Vocabulary = NO_VOCABULARY
) -> None:
    """A point: its tick, a note the clinician may add (shown as typed), and *Why?*."""
    with st.container(gap="xxsmall"):
        row = st.container(horizontal=True, gap="small", vertical_alignment="center", wrap=False)
        row.checkbox(
            md_escape(label, block=True),
            key=tick_key(entry),
            width="stretch",
            wrap=True,
            help=f"Rule {entry.rule_id}. Tick it off when it has been discussed; the tick goes "
            "into the downloads and the saved answers.",
        )
        with row.popover("Why?", type="tertiary", help="The answers, rule and sources behind it."):
            _why(checklist, entry)
        with row.popover("Note", type="tertiary", help="Add a short note to this point."):
            st.text_area(
                "Note on this point",
                key=note_key(entry),
                max_chars=NOTE_MAX_LENGTH,
                help="Printed as typed under the point in the downloads. No identifiers.",
            )
        note = str(st.session_state.get(note_key(entry)) or "").strip()
        if note:
            st.text(f"Note: {note}")
            for flag in free_text_flags({"The note": note}, vocabulary):
                st.warning(flag, icon=":material/gavel:")


def _question_asked(checklist: Checklist, item_id: str) -> str:
    asked = checklist.asked(item_id)
    return asked.question if asked is not None else item_id


def _entries(checklist: Checklist, vocabulary: Vocabulary = NO_VOCABULARY) -> None:
    """Points raised, by section and kind; then, per section, points still open, grouped under
    the question whose answer would settle them, so many unanswered questions stay scannable."""
    for section, here in by_section(checklist.entries, lambda e: e.section).items():
        st.subheader(md(section), divider="gray")
        for kind, word in KIND_WORDS.items():
            entries = [e for e in here if e.kind == kind and not e.open_items]
            if entries:
                st.markdown(f"**{word}**")
            for entry in entries:
                _entry_row(checklist, entry, entry.text, vocabulary)
        groups = group_open_entries(here)
        if groups:
            st.markdown("**To find out**")
        for item_id, entries in groups.items():
            st.markdown(f"*Find out: {md(_question_asked(checklist, item_id))}*")
            for entry in entries:
                _entry_row(checklist, entry, entry_headline(entry), vocabulary)


def _downloads(pack: RulePack, answers: AnswersFile, checklist: Checklist) -> None:
    st.subheader("Take it away", divider="gray")
    offer(
        [st.container(horizontal=True)],
        [
            Download(
                "Checklist JSON",
                partial(checklist_json, checklist),
                download_name(checklist, "json"),
                "download__json",
                "The checklist in the command line's JSON format, with the rule pack's hash.",
                ":material/data_object:",
            ),
            Download(
                "Checklist Markdown",
                partial(checklist_markdown, checklist),
                download_name(checklist, "md"),
                "download__markdown",
                "A readable text version, with reasons and sources.",
                ":material/description:",
            ),
            Download(
                "Download PDF",
                partial(checklist_pdf, pack, answers, checklist),
                download_name(checklist, "pdf"),
                "download__pdf",
                "A printable PDF of this checklist; the answers and the checklist are embedded "
                "in it as data, so it can be checked against the rule pack later.",
                ":material/picture_as_pdf:",
            ),
            Download(
                "Answers JSON",
                partial(_answers_json, answers),
                answers_download_name(answers),
                "download__answers",
                "The answers, to load again on the form later.",
                ":material/save:",
            ),
        ],
    )


def checklist_view(pack: RulePack) -> None:
    st.iframe(SCROLL_TO_TOP, height=1)
    st.button(
        "Back to the answers",
        key="back",
        on_click=_back_to_the_form,
        icon=":material/arrow_back:",
        help="Change answers; the checklist is rebuilt from them.",
    )
    try:
        answers, checklist = _record(pack)
    except AnswersError as exc:
        st.error("The checklist could not be built from these answers:", icon=":material/error:")
        st.code("\n".join(problem_lines(exc.problems)), language=None, wrap_lines=True)
        return
    _remember([tick_key(e) for e in checklist.entries])
    st.header("Discussion checklist")
    rule_set = checklist.rule_set
    st.markdown(
        f"Rule pack **{md(rule_set.name)}**, version {md(rule_set.version)} "
        f"({rule_set.status})  \nsha256 `{rule_set.sha256}`"
    )
    details = [
        f"{label}: {value}"
        for label, value in (
            ("Patient reference", answers.patient_reference),
            ("Clinician", answers.clinician),
            ("Date", answers.date),
        )
        if value
    ]
    if details:
        st.text(" · ".join(details))
    if checklist.not_assessed:
        st.warning(
            f"**{len(checklist.not_assessed)} question(s) not assessed**, listed at the end. "
            "An unanswered question is never taken as No.",
            icon=":material/help:",
        )
    if checklist.entries:
        st.caption(
            f"{len(checklist.entries)} entries, by section. Tick them off during the discussion; "
            "open “Why?” for the answers, rule and sources behind each. Downloads are at the end."
        )
        _entries(checklist, pack.vocabulary)
    else:
        st.success("No points were raised by these answers.", icon=":material/done:")
    if checklist.not_assessed:
        st.subheader("Not assessed", divider="gray")
        st.markdown(
            "\n".join(f"- {md(_question_asked(checklist, i))}" for i in checklist.not_assessed)
        )
    _downloads(pack, answers, checklist)
    st.divider()
    _start_again_button(pack, "checklist")


def main() -> None:
    form_shown = take_drawn() == "form"
    pack = require_pack()
    page_header("Ketamine for pain: discussion checklist", pack)
    if not form_shown:  # else the widgets show their values, and `_keep` kept each change
        _remember([answer_key(i.id) for i in pack.items] + [detail_key(f) for f in DETAILS])
    asked = _drop_unasked(pack)
    if st.session_state.get(VIEW) == "checklist":
        checklist_view(pack)
    else:
        form_view(pack, asked)
        drawn("form")


main()
