"""The screening page: yes / no / unknown answers in, a discussion checklist out.

The page decides nothing clinical: what is asked comes from `asked_states`, what goes on the
checklist from `evaluate`. Answers live in this session's memory only, never on disk, and
survive page switches because widgets are re-seeded from that memory (`memory.py`).
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import drawn, page_header, require_pack, take_drawn
from app_pages.form import memory, record_upload, recovery
from app_pages.form.checklist_view import checklist_refused, checklist_view
from app_pages.form.form_view import form_view
from app_pages.form.memory import DETAILS, answer_key, detail_key
from screening import AnswersError, _


def main() -> None:
    shown = take_drawn()
    pack = require_pack()
    page_header(_("Ketamine for pain: discussion checklist"), pack)
    memory.hold_restored()
    on_form = memory.view() != "checklist"
    # Else the widgets show their values, and `keep` kept each change; the checklist draws
    # none of them.
    if on_form and shown != "form":
        memory.remember([answer_key(i.id) for i in pack.items] + [detail_key(f) for f in DETAILS])
    asked = memory.drop_unasked(pack)
    if memory.take_restored():
        st.info(
            _(
                "The screening was restored as it stood before the page was reloaded. It was "
                "kept in this server's memory only, never on disk, and for at most {minutes} "
                "minutes."
            ).format(minutes=f"{recovery.IDLE_SECONDS / 60:g}"),
            icon=":material/history:",
        )
    record_upload.awaiting_notice(asked)
    if not on_form:
        try:  # evaluated once per pack and answers: a tick or a note reruns with the same
            checklist = memory.record(pack)
        except AnswersError as exc:
            checklist_refused(exc.problems)
        else:
            checklist_view(checklist, vocabulary=pack.vocabulary, shown=shown == "checklist")
    else:
        form_view(pack, asked)
        drawn("form")
    memory.restored_drawn()


main()
