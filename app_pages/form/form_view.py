"""The form view: the details, the questions as asked, Save or resume, and *Build*.

What is asked comes from `asked_states` (the caller passes it); each widget's value goes into
the session memory as it is given (`memory.keep`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import partial

import streamlit as st

from app_pages.common import Download, QuestionText, md, offer, question_texts
from app_pages.form import memory, record_upload
from app_pages.form.fhir_download import saved_response_json
from app_pages.form.memory import answer_key, detail_key, start_again_popover
from screening import (
    ANSWER_WORDS,
    ANSWERS,
    FREE_TEXT_MAX_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    N_,
    Answer,
    AnswerState,
    Item,
    RulePack,
    Vocabulary,
    _,
    answers_download_name,
    describe_condition,
    free_text_flags,
    identifier_hints,
)

# The date field's range: Streamlit's default, today ± 10 years, would drop other dates.
EARLIEST_DATE = dt.date(MIN_YEAR, 1, 1)
LATEST_DATE = dt.date(MAX_YEAR, 12, 31)
CLEAR_ALL = N_("Clear all answers, details and ticks, and the notes")
"""The confirmation names everything it clears, notes included."""
BUILD_ANCHOR = "build-the-checklist"
"""Where the form's skip link goes: past the questions, to the count and *Build*."""
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


def _question(text: QuestionText, item: Item, words: Mapping[AnswerState, str]) -> None:
    """A question; `words`, its answers' words in this run's language."""
    st.segmented_control(
        text.question,
        ANSWERS,
        format_func=words.__getitem__,
        key=answer_key(item.id),
        help=text.help,
        on_change=memory.keep,
        args=(answer_key(item.id),),
    )


def _form_style(texts: Mapping[str, QuestionText]) -> str:
    follow_ups = [f".st-key-{answer_key(i)}" for i, text in texts.items() if text.follow_up]
    rules = [DATE_TARGETS]
    if follow_ups:
        rules.append(FOLLOW_UPS.replace("{}", ", ".join(follow_ups), 1))
    return "<style>" + "\n".join(rules) + "</style>"


def _dropped_note(pack: RulePack, item: Item, answer: Answer, undo_here: bool) -> None:
    reason = describe_condition(item.asked_if, pack) if item.asked_if is not None else ""
    st.warning(
        _(
            "Answer set aside: “{question}” was answered **{answer}**, but it is asked only when "
            "{condition}. It is not on the form and will not be used; it comes back if that is "
            "answered as before."
        ).format(question=md(item.question), answer=ANSWER_WORDS[answer], condition=md(reason)),
        icon="ℹ️",
    )
    found = memory.undo() if undo_here else None
    if found is None:
        return
    key, before, aside = found
    changed = pack.item(key.removeprefix("answer__")).question
    was = ANSWER_WORDS[before] if before in ANSWER_WORDS else _("unanswered")
    st.button(
        _("Undo: “{question}” back to {was}, and {n} answer(s) back").format(
            question=md(changed), was=was, n=len(aside)
        ),
        key="undo_change",
        on_click=memory.undo_change,
        icon=":material/undo:",
        help=_("Puts that answer back as it was, and the follow-up answers it set aside."),
    )


def _upload_panel(pack: RulePack) -> None:
    """Save or resume, drawn only while its panel is open: most reruns are a click on an answer
    with the panel closed, and need none of it (Streamlit's lazy expander, `on_change="rerun"`)."""
    panel = st.expander(
        _("Save or resume: answers file (JSON)"),
        icon=":material/save:",
        key=SAVE_PANEL,
        on_change="rerun",
    )
    if not panel.open:
        return
    given = memory.given(pack)
    with panel:
        st.write(
            _(
                "Save the answers so far to a file on this computer, or load such a file to "
                "resume. Loading a file replaces every answer on the form."
            )
        )
    offer(
        [panel],
        [
            Download(
                _("Save answers (JSON)"),
                partial(memory.saved_answers_json, pack, given, memory.marks()),
                answers_download_name(given),
                "download__answers_form",
                _("The answers, patient reference, clinician and date, to load again later."),
                ":material/download:",
            ),
            Download(
                _("Save as FHIR QuestionnaireResponse"),
                partial(saved_response_json, pack, given, memory.marks()),
                answers_download_name(given, "fhir.json"),
                "download__answers_fhir",
                _(
                    "The same answers as a FHIR R4 QuestionnaireResponse, for an EHR; loads "
                    "here too."
                ),
                ":material/download:",
            ),
        ],
    )
    with panel:
        st.file_uploader(
            _("Load answers (JSON)"),
            type=["json"],
            key=memory.UPLOAD_KEY,
            on_change=memory.load_upload,
            args=(pack,),
            help=_(
                "An answers file saved from this form or written for the command line, or a "
                "FHIR QuestionnaireResponse to this form's questionnaire."
            ),
        )
        waiting = memory.pending()
        if waiting is not None:
            st.warning(
                _(
                    "Load {name}? It replaces everything on the form: the answers, the details, "
                    "and the ticks and notes on the checklist."
                ).format(name=md(waiting.name)),
                icon=":material/warning:",
            )
            choice = st.container(horizontal=True)
            choice.button(
                _("Replace the form with {name}").format(name=md(waiting.name)),
                key="upload_replace",
                on_click=memory.replace_with_pending,
                type="primary",
                help=_("Save the answers first if you may need them again."),
            )
            choice.button(
                _("Keep the form as it is"),
                key="upload_keep",
                on_click=memory.keep_the_form,
                help=_("The file is not loaded."),
            )
        note = memory.take_upload_note()
        if note is not None and note.problems:
            st.error(
                _("{name} was not loaded; the answers on the form are unchanged.").format(
                    name=md(note.name)
                ),
                icon=":material/error:",
            )
            st.code("\n".join(note.problems), language=None, wrap_lines=True)
        elif note is not None:
            loaded = _("Loaded {n} answer(s) from {name}.")
            st.success(loaded.format(n=note.loaded, name=md(note.name)), icon=":material/done:")
            if note.dropped:
                st.info(f"{md(note.name)}: {md(note.dropped)}", icon=":material/info:")


def _details(vocabulary: Vocabulary) -> None:
    left, middle, right = st.columns([2, 2, 1.3])
    left.text_input(
        _("Patient reference (optional)"),
        key=detail_key("patient_reference"),
        on_change=memory.keep,
        args=(detail_key("patient_reference"),),
        max_chars=FREE_TEXT_MAX_LENGTH,
        help=_("A local reference only, to match a printout to a consultation."),
    )
    middle.text_input(
        _("Clinician (optional)"),
        key=detail_key("clinician"),
        on_change=memory.keep,
        args=(detail_key("clinician"),),
        max_chars=FREE_TEXT_MAX_LENGTH,
        help=_("Who is completing the checklist."),
    )
    right.date_input(
        _("Date (optional)"),
        value=None,
        min_value=EARLIEST_DATE,
        max_value=LATEST_DATE,
        key=detail_key("date"),
        on_change=memory.keep,
        args=(detail_key("date"),),
        format="YYYY-MM-DD",
        help=_("The date of the consultation."),
    )
    st.caption(
        _(
            "Do not enter names, dates of birth or record numbers. Nothing typed here is written "
            "to disk: it is kept in this session's memory until you close the tab or start a new "
            "screening."
        )
    )
    hints = identifier_hints(str(st.session_state.get(detail_key("patient_reference")) or ""))
    if hints:
        st.warning(
            _(
                "The patient reference looks like it holds {what}. Use a local reference "
                "without identifiers: it is never stored, but it is printed on the checklist "
                "and in every download."
            ).format(what=(" " + _("and") + " ").join(hints)),
            icon=":material/badge:",
        )
    for flag in free_text_flags(
        {
            _("The patient reference"): st.session_state.get(detail_key("patient_reference")),
            _("The clinician"): st.session_state.get(detail_key("clinician")),
        },
        vocabulary,
    ):
        st.warning(flag, icon=":material/gavel:")


def start_again_button(where: str) -> None:
    """*Start a new screening*, with its confirmation, drawn at `where` (the form, the
    checklist)."""
    confirm = st.popover(
        _("Start a new screening"),
        icon=":material/restart_alt:",
        help=_("Clear this session's answers, details, ticks and notes."),
        key=start_again_popover(where),
        on_change="rerun",  # lazy: its button is drawn only while it is open
    )
    if not confirm.open:
        return
    with confirm:
        st.button(
            _(CLEAR_ALL),
            key=f"start_again__{where}",
            on_click=memory.start_again,
            args=(where,),
            type="primary",
            help=_("Save the answers first if you may need them again."),
        )


def form_view(pack: RulePack, asked: dict[str, AnswerState]) -> None:
    st.markdown(
        _(
            "Answer **Yes**, **No** or **Unknown**. Leave a question blank if it was not "
            "assessed: it will be listed as *not assessed*, never taken as No. Click a chosen "
            "answer again to clear it. With a keyboard: Tab goes from question to question, and "
            "**?** on a question opens its help and sources. [Skip to *Build the checklist*]"
            "(#{anchor})"
        ).format(anchor=BUILD_ANCHOR)
    )
    _details(pack.vocabulary)
    _upload_panel(pack)
    record_upload.panel(pack)
    dropped = memory.dropped()
    undo = memory.undo()
    undo_at = next((i.id for i in pack.items if undo and i.id in undo[2] and i.id in dropped), None)
    texts = question_texts(pack)
    words = dict(ANSWER_WORDS)  # looked up in the catalogue once, not for each question
    proposed = record_upload.proposed()
    st.html(_form_style(texts))
    for section in pack.sections:
        st.header(md(section), divider="gray", anchor=False)  # no link: one tab stop less
        for item in (i for i in pack.items if i.section == section):
            if item.id in asked:
                _question(texts[item.id], item, words)
                if item.id in proposed:  # read once, not once per question
                    record_upload.proposal(item)
            elif item.id in dropped:
                _dropped_note(pack, item, dropped[item.id], item.id == undo_at)
    st.html(f'<span id="{BUILD_ANCHOR}"></span>')  # the skip link's target, just before Build
    answered = sum(1 for state in asked.values() if state != "not_assessed")
    progress = _("{answered} of {asked} answered").format(answered=answered, asked=len(asked))
    st.progress(answered / len(asked), text=progress)
    row = st.container(horizontal=True)
    row.button(
        _("Build the discussion checklist"),
        key="build",
        type="primary",
        on_click=memory.show,
        args=("checklist",),
        icon=":material/checklist:",
        help=_("Shows the points to discuss, verify, arrange or document. Your answers are kept."),
    )
    with row:
        start_again_button("form")
