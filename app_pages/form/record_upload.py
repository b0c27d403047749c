"""Pre-fill from the record: a FHIR Bundle uploaded, its matches proposed, each one confirmed.

The core reads the Bundle (`screening.fhir.bundle`); this module only keeps the proposals in
the session's memory and draws them. A proposal is never an answer: the question stays blank,
and the checklist does not count it, until the clinician clicks *Confirm* (the answer becomes
Yes) or *Change* (the clinician answers it as they see fit, or leaves it not assessed). Nothing
is written back to the record or to disk.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from app_pages.common import md, rules_dir
from app_pages.form import memory
from app_pages.form.memory import answer_key
from app_pages.language_choice import in_session_language
from screening import (
    ANSWER_WORDS,
    ANSWERS,
    BundleError,
    Finding,
    Item,
    PackError,
    RecordMap,
    RulePack,
    _,
    load_record_map,
    problem_lines,
    propose,
    provenance,
    read_patient_record,
)

RECORD_PANEL = "record_panel"
RECORD_UPLOAD_KEY = "upload__record"
PROPOSED = "record__proposed"
"""In the form's memory: item id -> the Finding proposing Yes (cleared by a new screening)."""
CHANGING = "record__changing"
"""In the form's memory: the item ids whose proposal the clinician chose to change."""
NOTE = "record__note"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordNote:
    """What became of the last Bundle uploaded: its problems, or what it proposed."""

    name: str
    problems: tuple[str, ...]
    patient: str = ""
    proposed: int = 0
    answered: int = 0
    notes: tuple[str, ...] = ()


_MAPS: dict[str, tuple[RulePack, RecordMap | None]] = {}
"""The record mapping read once per pack folder and pack (the pack is loaded once too)."""


def record_map(pack: RulePack) -> RecordMap | None:
    """The pack's record mapping (rules/record.yaml), or None when the pack has none;
    `PackError` if it is wrong (the pack loader has checked it already)."""
    directory = str(rules_dir())
    cached = _MAPS.get(directory)
    if cached is None or cached[0] is not pack:
        cached = _MAPS[directory] = (pack, load_record_map(directory, pack))
    return cached[1]


def proposed() -> Mapping[str, Finding]:
    found: Mapping[str, Finding] = memory.memory().get(PROPOSED, {})
    return found


def _changing() -> frozenset[str]:
    found: frozenset[str] = memory.memory().get(CHANGING, frozenset())
    return found


def awaiting(asked: Mapping[str, object]) -> list[str]:
    """The asked items proposed by the record and neither confirmed nor changed yet."""
    held = memory.memory()
    return [
        i
        for i in proposed()
        if i in asked and i not in _changing() and held.get(answer_key(i)) not in ANSWERS
    ]


@in_session_language  # its note (refusal, proposals, notes) is worded here, shown later
def load(pack: RulePack) -> None:
    """Read the uploaded Bundle into proposals (a callback); refuse it whole, saying why."""
    uploaded = st.session_state.get(RECORD_UPLOAD_KEY)
    if uploaded is None:
        st.session_state[NOTE] = None
        return
    try:
        record = record_map(pack)
        if record is None:
            st.session_state[NOTE] = RecordNote(
                uploaded.name, (_("this rule pack has no record mapping (record.yaml)"),)
            )
            return
        read = read_patient_record(uploaded.getvalue(), uploaded.name)
        found = propose(record, read, memory.answers(pack), dt.date.today())
    except (BundleError, PackError) as exc:
        st.session_state[NOTE] = RecordNote(uploaded.name, tuple(problem_lines(exc.problems)))
        return
    except Exception:  # a bug: say so plainly and keep the form as it was
        _log.exception("reading the uploaded record failed")
        st.session_state[NOTE] = RecordNote(
            uploaded.name,
            (
                _("{name}: could not be read: an unexpected error occurred (see the log)").format(
                    name=uploaded.name
                ),
            ),
        )
        return
    held = memory.memory()
    held[PROPOSED] = {f.item: f for f in found.proposed}
    held[CHANGING] = frozenset()
    st.session_state[NOTE] = RecordNote(
        uploaded.name, (), found.patient, len(found.proposed), len(found.answered), found.notes
    )


def confirm(item_id: str) -> None:
    """The clinician confirms the record's Yes: it becomes their answer (a callback)."""
    memory.set_value(answer_key(item_id), "yes")


def change(item_id: str) -> None:
    """The clinician will answer this one themselves: the proposal is set aside (a callback)."""
    held = memory.memory()
    held[CHANGING] = _changing() | {item_id}


def panel(pack: RulePack) -> None:
    """*Pre-fill from the record*, drawn only while open, like *Save or resume*."""
    opened = st.expander(
        _("Pre-fill from the record: FHIR Bundle (JSON)"),
        icon=":material/clinical_notes:",
        key=RECORD_PANEL,
        on_change="rerun",
    )
    if not opened.open:
        return
    with opened:
        st.write(
            _(
                "Load one patient's record exported from the EHR (a `$everything` or a search, "
                "as a FHIR Bundle). Coded data the rule pack maps to a question proposes **Yes, "
                "from the record**: each proposal waits for you to confirm or change it, and "
                "counts for nothing until you do. A question the record does not answer stays "
                "blank, never No. Nothing is written back to the record or kept on disk."
            )
        )
        st.file_uploader(
            _("Load a record (FHIR Bundle, JSON)"),
            type=["json"],
            key=RECORD_UPLOAD_KEY,
            on_change=load,
            args=(pack,),
            help=_("One patient's resources only; a Bundle about two patients is refused."),
        )
        note: RecordNote | None = st.session_state.pop(NOTE, None)
        if note is not None and note.problems:
            unused = _("{name} was not used; the form is unchanged.").format(name=md(note.name))
            st.error(unused, icon=":material/error:")
            st.code("\n".join(note.problems), language=None, wrap_lines=True)
        elif note is not None:
            kept = (
                " "
                + _("{n} question(s) you had answered were left as you answered them.").format(
                    n=note.answered
                )
                if note.answered
                else ""
            )
            read = _(
                "Read the record of Patient/{patient} from {name}: {n} answer(s) proposed, "
                "awaiting your confirmation below."
            ).format(patient=md(note.patient), name=md(note.name), n=note.proposed)
            st.success(read + kept, icon=":material/done:")
            for line in note.notes:
                st.warning(md(line), icon=":material/warning:")


def proposal(item: Item) -> None:
    """Beside a question the record answers: where from, and Confirm / Change until done."""
    finding = proposed().get(item.id)
    if finding is None:
        return
    where = md(provenance(finding))
    given = memory.memory().get(answer_key(item.id))
    if given in ANSWERS:
        what = (
            _("confirmed")
            if given == "yes"
            else _("changed to {answer}").format(answer=ANSWER_WORDS[given])
        )
        st.caption(_("Yes {where}: {what}.").format(where=where, what=what))
        return
    if item.id in _changing():
        st.caption(
            _(
                "Yes {where}: set aside; answer the question above, or leave it blank (not "
                "assessed)."
            ).format(where=where)
        )
        return
    box = st.container(horizontal=True, key=f"record__{item.id}")
    badge = _("Awaiting confirmation")
    box.markdown(
        f":orange-badge[:material/pending: {badge}] "
        + _("Yes {where}. Not counted until you confirm or change it.").format(where=where)
    )
    box.button(
        _("Confirm"),
        key=f"record_confirm__{item.id}",
        on_click=confirm,
        args=(item.id,),
        icon=":material/check:",
        help=_("Answer Yes, as the record says."),
    )
    box.button(
        _("Change"),
        key=f"record_change__{item.id}",
        on_click=change,
        args=(item.id,),
        icon=":material/edit:",
        help=_("Set the record's answer aside and answer the question yourself."),
    )


def awaiting_notice(asked: Mapping[str, object]) -> None:
    """Said on the form and the checklist while any answer from the record awaits the clinician."""
    waiting = awaiting(asked)
    if waiting:
        st.warning(
            _(
                "{n} answer(s) from the record await confirmation on the form. Until confirmed "
                "or changed they are not counted: those questions are not assessed."
            ).format(n=len(waiting)),
            icon=":material/pending:",
        )
