"""The screening's session memory: answers, details, ticks and notes, kept while widgets are not.

Streamlit drops a widget's value while the widget is not shown; this memory does not. Every
view reads what the form holds from here, never by iterating over `st.session_state`, so a
hidden follow-up's stale answer cannot reach the checklist. Nothing here is written to disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from app_pages.common import UploadNote
from app_pages.form import recovery
from app_pages.language_choice import in_session_language
from screening import (
    ANSWERS,
    Answer,
    AnswersError,
    AnswersFile,
    AnswerState,
    Checklist,
    DiscussedMark,
    Entry,
    RulePack,
    _,
    active_language,
    asked_states,
    checklist_with_marks,
    evaluate,
    hidden_answers_dropped,
    problem_lines,
    read_answers_bytes,
)

DETAILS = ("patient_reference", "clinician", "date")

# Session-state keys (no bare strings below the docstring: Streamlit's magic would print them).
MEMORY = "screening__memory"  # widget key -> value, kept while the widget is not shown
DROPPED = "screening__dropped"  # item id -> the answer removed when it stopped being asked
VIEW = "screening__view"
UPLOAD_NOTE = "screening__upload_note"
UPLOAD_KEY = "upload__answers"
TOKEN = "screening__recovery_token"  # this session's key to its copy in `recovery`
ASKING = "screening__asking"  # the id of this session's question to its tab (`asking`)
HANDED = "screening__token_handed"  # the tab has been told the token, and asked for its old one
LAST_CHANGE = "screening__last_change"  # (answer key, value before) of the last answer given
UNDO = "screening__undo"  # (answer key, value before, {item id: answer}) a change removed
RESTORED = "screening__restored"  # a copy was restored in this session: say so once
RESTORING = "screening__restoring"  # widget key -> value restored, until a run has drawn it all
PENDING = "screening__pending_upload"  # an answers file read, waiting for "replace the form?"
TYPED = "screening__typed"  # widget key -> text typed in its field and not yet sent by it
NOTES_DRAWN = "screening__notes_drawn"  # the note fields (keys) the last run drew
EVALUATED = "screening__evaluated"  # ((pack sha256, answers), their checklist, {its words})
ANSWER_PREFIX = "answer__"
TICK_PREFIX = "tick__"
NOTE_PREFIX = "note__"
_log = logging.getLogger(__name__)
_UNSET = object()
_T = TypeVar("_T")


def answer_key(item_id: str) -> str:
    return f"{ANSWER_PREFIX}{item_id}"


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


def why_key(entry: Entry) -> str:
    """The key of a point's *Why?* popover, whose open state says whether to draw its contents."""
    return f"why_popover__{_state(entry)}__{entry.rule_id}"


def note_popover_key(entry: Entry) -> str:
    """The key of a point's *Note* popover (not under `NOTE_PREFIX`: it holds no note)."""
    return f"note_popover__{_state(entry)}__{entry.rule_id}"


def _state(entry: Entry) -> str:
    return "open" if entry.open_items else "held"


def start_again_popover(where: str) -> str:
    """The key of the *Start a new screening* confirmation drawn at `where`."""
    return f"start_again_popover__{where}"


def memory() -> dict[str, Any]:
    """This session's memory of the form, made on first use with today's date."""
    held: dict[str, Any] | None = st.session_state.get(MEMORY)
    if held is None:  # not `setdefault`, which would work out its default on every call
        held = st.session_state[MEMORY] = {detail_key("date"): dt.date.today()}
    return held


def remember(keys: list[str]) -> None:
    """Widget state is dropped while a widget is not shown; the memory is not. Sync the two.

    A widget's value given by the user wins; then every value is written back in this run,
    before its widget is drawn. A value set in an earlier run is known to the server but not
    sent to the browser, which would show the widget empty and send that back: the lost
    answers after a tick and *Back to the answers*.
    """
    held, state = memory(), st.session_state
    for key in keys:
        value = state.get(key, _UNSET)
        if value is not _UNSET:
            held[key] = value
        elif key in held:
            value = held[key]
        else:
            continue
        state[key] = value


def keep(key: str) -> None:
    """A form widget's new value, into the memory as it is given (its `on_change`): so a run
    after one that drew the whole form needs no `remember`, a cost on every click. For an
    answer, the value before is noted too, so a change that removes follow-ups can be undone."""
    held = memory()
    if key.startswith(ANSWER_PREFIX):
        st.session_state[LAST_CHANGE] = (key, held.get(key))
    held[key] = st.session_state[key]
    typed().pop(key, None)  # the field has sent its text: what it holds is in the memory now
    st.session_state.get(RESTORING, {}).pop(key, None)  # the person's change wins over it


def typed() -> dict[str, str]:
    """Text typed in a field and not yet sent by it (no Enter, no click away), by widget key:
    the tab's guard sends it after a pause in typing, for the copy kept for a reload only."""
    found: dict[str, str] = st.session_state.setdefault(TYPED, {})
    return found


def hold_typed(key: str, text: str) -> None:
    """Text still in its field, sent by the tab's guard: into the copy kept for a reload.

    Not into the memory the checklist and the downloads read: they wait for the field itself
    (a download clicked while text is on its way waits for it, `app_pages/guard.py`).
    """
    typed()[key] = text
    snapshot()


def note_fields_drawn(shown: bool) -> set[str]:
    """The note fields the run before drew (none unless it drew the whole checklist: a run cut
    short may have made the browser drop what it had), and this run's set, empty, in their place.
    """
    before: set[str] = st.session_state.get(NOTES_DRAWN, set())
    st.session_state[NOTES_DRAWN] = set()
    return before if shown else set()


def note_field(key: str, drawn_before: set[str]) -> None:
    """Before a note's field is drawn: when the run before did not draw it (its popover has just
    opened), fill it with the note the memory holds, which is the note: a value Streamlit still
    holds for a field it stopped drawing may be older. Left alone when the field was drawn, so a
    rerun while the person types never writes over their text."""
    if key not in drawn_before:
        st.session_state[key] = memory().get(key) or ""
    st.session_state[NOTES_DRAWN].add(key)


def set_value(key: str, value: Any) -> None:
    """A form widget's value set by the page (a new screening, an upload), and remembered."""
    st.session_state[key] = memory()[key] = value


def answers(pack: RulePack) -> dict[str, Answer]:
    held = memory()
    return {
        item.id: held[answer_key(item.id)]
        for item in pack.items
        if held.get(answer_key(item.id)) in ANSWERS
    }


def drop_unasked(pack: RulePack) -> dict[str, AnswerState]:
    """Set aside answers to questions no longer asked, noting each, so none reaches the
    checklist; give one back when its question is asked again (the parent answered as before).
    The change that set answers aside can be undone in one click (`undo`)."""
    given = answers(pack)
    asked = asked_states(pack, given)
    aside: dict[str, Answer] = st.session_state.setdefault(DROPPED, {})
    now_aside = {i: a for i, a in given.items() if i not in asked}
    for item_id, answer in now_aside.items():
        aside[item_id] = answer
        memory().pop(answer_key(item_id), None)
        st.session_state.pop(answer_key(item_id), None)
    if now_aside and LAST_CHANGE in st.session_state:
        key, before = st.session_state[LAST_CHANGE]
        st.session_state[UNDO] = (key, before, now_aside)
    back = {i: a for i, a in aside.items() if i in asked}
    for item_id, answer in back.items():
        del aside[item_id]
        set_value(answer_key(item_id), answer)
    if back:  # the answers given back may themselves open follow-ups
        return drop_unasked(pack)
    return asked


def undo() -> tuple[str, Any, dict[str, Answer]] | None:
    """The change that set answers aside, while they are still set aside."""
    found = st.session_state.get(UNDO)
    if found is None or not any(i in dropped() for i in found[2]):
        return None
    key, before, aside = found
    return str(key), before, dict(aside)


def undo_change() -> None:
    """Put the answer changed back as it was, and the answers it set aside (a callback)."""
    found = undo()
    st.session_state.pop(UNDO, None)
    if found is None:
        return
    key, before, aside = found
    set_value(key, before)
    for item_id, answer in aside.items():
        if dropped().pop(item_id, None) is not None:
            set_value(answer_key(item_id), answer)


def dropped() -> dict[str, Answer]:
    """Answers removed because their question stopped being asked, by item id."""
    found: dict[str, Answer] = st.session_state.get(DROPPED, {})
    return found


def given(pack: RulePack) -> AnswersFile:
    """The answers and details the form holds, without the marks on the points."""
    held = memory()
    date = held.get(detail_key("date"))
    return AnswersFile(
        answers=answers(pack),
        patient_reference=held.get(detail_key("patient_reference")) or None,
        clinician=held.get(detail_key("clinician")) or None,
        date=date.isoformat() if isinstance(date, dt.date) else None,
    )


def marks() -> dict[str, Any]:
    """A copy of the ticks and notes in memory, by widget key."""
    return {k: v for k, v in memory().items() if k.startswith((TICK_PREFIX, NOTE_PREFIX))}


def marked(
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
    with_marks = given.model_copy(update={"discussed": discussed})
    return with_marks, checklist_with_marks(unmarked, discussed, source="form")


def record(pack: RulePack) -> Checklist:
    """The checklist the form makes, carrying what the form holds: the answers, the details and
    the marks on the points it raises now (`Checklist.answers_file` gives them back).

    The marks are read from the memory, which each tick and note joins as it is given (`keep`),
    drawn or not: a note's field is drawn only while its popover is open.
    """
    held = given(pack)
    return marked(pack, held, _evaluated(pack, held), memory())[1]


def _evaluated(pack: RulePack, given: AnswersFile) -> Checklist:
    """The checklist these answers make, evaluated once per pack and answers in this session:
    a tick, a note or a popover opened reruns the view with the same answers."""
    key = (pack.sha256, given.model_dump_json())
    found = st.session_state.get(EVALUATED)
    if found is None or found[0] != key:
        found = st.session_state[EVALUATED] = (key, evaluate(pack, given, source="form"), {})
    checklist: Checklist = found[1]
    return checklist


def once_per_checklist(name: str, compute: Callable[[], _T]) -> _T:
    """A value worked out from the answers `record` evaluated last (the points' labels, the
    downloads' names), in the page's language, kept until the answers change: a tick, a note
    or a popover leaves it as it was."""
    memo: dict[tuple[str, str], Any] = st.session_state[EVALUATED][2]
    key = (name, active_language())
    if key not in memo:
        memo[key] = compute()
    found: _T = memo[key]
    return found


def saved_answers_json(pack: RulePack, given: AnswersFile, marks: Mapping[str, Any]) -> str:
    """The answers file the form's *Save* gives: the checklist is built only when clicked."""
    with_marks, _ = marked(pack, given, evaluate(pack, given, source="form"), marks)
    return answers_json(with_marks)


def answers_json(answers: AnswersFile) -> str:
    return answers.model_dump_json(indent=2) + "\n"


def view() -> str:
    """The view this session shows on the screening page: "form" or "checklist"."""
    return str(st.session_state.get(VIEW) or "form")


def show(view: str) -> None:
    st.session_state[VIEW] = view


def back_to_the_form() -> None:
    """Keep a tick or note sent with the click on *Back*: the form does not draw their widgets.

    Only the notes whose fields the checklist drew: Streamlit hands back an older value set for
    a field before it was drawn once the field is no longer drawn (a note loaded from a file).
    """
    held = memory()
    notes = st.session_state.get(NOTES_DRAWN, set())
    for key in [k for k in st.session_state if str(k).startswith(TICK_PREFIX) or k in notes]:
        held[key] = st.session_state[key]
    show("form")


def start_again(where: str | None = None) -> None:
    """Clear this session's answers, details, ticks and notes (a callback, so widgets may be reset),
    and close the confirmation it was clicked in. The copy kept for a reload goes too.

    Every answer the memory or a widget holds is cleared, by its key: no pack is needed, so the
    checklist view, which has only the checklist, offers it too."""
    recovery.forget(token())
    if where is not None:
        st.session_state[start_again_popover(where)] = False
    answered = sorted(k for k in {*memory(), *st.session_state} if str(k).startswith(ANSWER_PREFIX))
    st.session_state[MEMORY] = {}
    for key in answered:
        set_value(key, None)
    for key in [k for k in st.session_state if str(k).startswith(TICK_PREFIX)]:
        st.session_state[key] = False
    for key in [k for k in st.session_state if str(k).startswith(NOTE_PREFIX)]:
        st.session_state[key] = ""
    for field in DETAILS:
        set_value(detail_key(field), dt.date.today() if field == "date" else "")
    st.session_state[DROPPED] = {}
    st.session_state.pop(UNDO, None)
    st.session_state.pop(PENDING, None)
    st.session_state.pop(RESTORING, None)
    st.session_state[TYPED] = {}
    st.session_state[UPLOAD_NOTE] = None
    show("form")


def read_answers_upload(
    pack: RulePack, name: str, data: bytes
) -> tuple[AnswersFile, Checklist, str | None]:
    """An uploaded answers file and its checklist; `AnswersError` if the core refuses it.

    Answers to questions not shown given the other answers are dropped, never evaluated, and
    the note naming them is returned, as `screening evaluate` says it on stderr.
    """
    loaded, note = hidden_answers_dropped(pack, read_answers_bytes(data, name, pack))
    return loaded, evaluate(pack, loaded, name), note


@in_session_language  # its note (refusal, dropped answers) is worded here, shown later
def load_upload(pack: RulePack) -> None:
    """Replace the form with an uploaded answers file, or say why not and change nothing."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    st.session_state.pop(PENDING, None)
    if uploaded is None:
        st.session_state[UPLOAD_NOTE] = None
        return
    try:
        loaded, checklist, note = read_answers_upload(pack, uploaded.name, uploaded.getvalue())
        with_marks = [e for e in checklist.entries if e.done or e.note]
    except AnswersError as exc:
        st.session_state[UPLOAD_NOTE] = UploadNote(uploaded.name, problem_lines(exc.problems))
        return
    except Exception:  # a bug: say so plainly and keep the form as it was
        _log.exception("reading the uploaded answers file failed")
        st.session_state[UPLOAD_NOTE] = UploadNote(
            uploaded.name,
            [
                _("{name}: could not be read: an unexpected error occurred (see the log)").format(
                    name=uploaded.name
                )
            ],
        )
        return
    upload = Pending(uploaded.name, loaded, tuple(with_marks), note)
    if has_work():
        st.session_state[PENDING] = upload
        return
    _fill(upload)


@dataclass(frozen=True)
class Pending:
    """An answers file read and checked, waiting until the person confirms it may replace the
    form they have filled."""

    name: str
    loaded: AnswersFile
    marked: tuple[Entry, ...]
    dropped: str | None = None


def pending() -> Pending | None:
    found: Pending | None = st.session_state.get(PENDING)
    return found


def _fill(upload: Pending) -> None:
    """Replace the form with a loaded answers file, and say so."""
    loaded = upload.loaded
    start_again()
    for item_id, answer in loaded.answers.items():
        set_value(answer_key(item_id), answer)
    set_value(detail_key("patient_reference"), loaded.patient_reference or "")
    set_value(detail_key("clinician"), loaded.clinician or "")
    set_value(detail_key("date"), dt.date.fromisoformat(loaded.date) if loaded.date else None)
    for entry in upload.marked:
        set_value(tick_key(entry), entry.done)
        set_value(note_key(entry), entry.note or "")
    st.session_state[UPLOAD_NOTE] = UploadNote(upload.name, [], len(loaded.answers), upload.dropped)


def replace_with_pending() -> None:
    """The person confirmed: the waiting file replaces the form (a callback)."""
    upload = st.session_state.pop(PENDING, None)
    if isinstance(upload, Pending):
        _fill(upload)


def keep_the_form() -> None:
    """The person declined: the waiting file is dropped, the form stays (a callback)."""
    st.session_state.pop(PENDING, None)
    st.session_state[UPLOAD_NOTE] = None


def take_upload_note() -> UploadNote | None:
    """What became of the last upload, shown once: the next edit or page switch makes it stale."""
    note: UploadNote | None = st.session_state.pop(UPLOAD_NOTE, None)
    return note


def has_work() -> bool:
    """Whether the form holds anything a person gave: an answer, a detail, a tick or a note.

    The date alone is not work: the form fills it in with today's. Text still in its field
    is work too.
    """
    for key, value in {**memory(), **typed()}.items():
        if key == detail_key("date"):
            continue
        if value in ANSWERS or value is True or (isinstance(value, str) and value.strip()):
            return True
    return bool(dropped())


def token() -> str:
    """This session's recovery token, made on first use."""
    found: str | None = st.session_state.get(TOKEN)
    if found is None:  # drawn from the system's randomness once, not on every call
        found = st.session_state[TOKEN] = recovery.new_token()
    return found


def asking() -> str:
    """This session's question to its tab, "which screening did you hold?", by a random id
    (not the token, which the tab is given only once it has answered): the tab answers each
    session once, and again should it reconnect to a new session."""
    found: str | None = st.session_state.get(ASKING)
    if found is None:
        found = st.session_state[ASKING] = secrets.token_hex(8)
    return found


def handed() -> bool:
    """Whether the browser tab was asked for an older token and may now keep this one."""
    return bool(st.session_state.get(HANDED))


def snapshot() -> None:
    """Copy the form under this session's token, once the tab knows it; drop it when empty."""
    if not handed():
        return
    if has_work():
        recovery.keep(token(), {**memory(), **typed()}, dropped(), view())
    else:
        recovery.forget(token())


def restore(old_token: str) -> bool:
    """Take the form kept under a token the tab held before a reload, if this session's form is
    still empty; say whether it was restored. The tab is then given this session's token."""
    st.session_state[HANDED] = True
    if not old_token or old_token == token():
        return False
    kept = recovery.take(old_token)
    if kept is None or has_work():
        return False
    st.session_state[MEMORY] = dict(kept.memory)
    st.session_state[DROPPED] = dict(kept.dropped)
    for key, value in kept.memory.items():
        st.session_state[key] = value
    show(kept.view)
    st.session_state[RESTORED] = True
    st.session_state[RESTORING] = dict(kept.memory)
    return True


def hold_restored() -> None:
    """The values restored, over whatever the browser sent for them, until a run has drawn the
    whole page: a click while the restored form is still being drawn cuts that run short and
    sends only the widgets the browser had by then (seen under load: the last answer lost).
    A value the person changed since (`keep`) is theirs."""
    for key, value in st.session_state.get(RESTORING, {}).items():
        set_value(key, value)


def restored_drawn() -> None:
    """A run has drawn the whole page since the restore: the browser holds every value now."""
    st.session_state.pop(RESTORING, None)


def take_restored() -> bool:
    """Whether this run is the first to show a form restored after a reload (said once)."""
    return bool(st.session_state.pop(RESTORED, False))


@dataclass(frozen=True)
class SettledMark:
    """A tick or note on a point the checklist no longer shows: the answers settled it."""

    rule_id: str
    headline: str
    was_open: bool
    done: bool
    note: str


def settled_marks(checklist: Checklist) -> list[SettledMark]:
    """The marks kept in memory for points not on this checklist, in pack order (the rules and
    their headlines as the checklist carries them, `Checklist.rule_headlines`).

    A tick on "Find out: X?" is not carried to the point that answering X raises (finding out
    is not arranging); it stays in memory, and is shown here, until its point comes back.
    """
    shown = {(_state(e), e.rule_id) for e in checklist.entries}
    held = memory()
    found = []
    for rule_id, headline in checklist.rule_headlines:
        for state in ("open", "held"):
            if (state, rule_id) in shown:
                continue
            done = held.get(f"{TICK_PREFIX}{state}__{rule_id}") is True
            note = str(held.get(f"{NOTE_PREFIX}{state}__{rule_id}") or "").strip()
            if done or note:
                found.append(SettledMark(rule_id, headline, state == "open", done, note))
    return found
