"""Web form entry point: page setup and navigation only; each page lives in app_pages/."""

import copy

import streamlit as st

import app_pages.download_grace  # downloads outlive other sessions' sweeps (bench/load.py)
import app_pages.no_disk  # noqa: F401 - uploads stay in memory, before any page runs
from app_pages import heap, language_choice
from app_pages.common import count_run
from app_pages.form import memory
from app_pages.guard import guard
from screening import _, speaking

PAGES = "app__pages"  # session-state key: this session's pages, made on its first run
# (one list per language: the page titles are words of ours)

count_run()  # first: a run cut short after this line still counts (see take_drawn)
language = language_choice.chosen()  # the session's language, as its last run chose it
with speaking(language):
    st.set_page_config(
        page_title=_("Ketamine for pain: discussion checklist"),
        page_icon="📋",  # drawn in the browser; a :material: icon would be fetched from Google
        layout="centered",
    )
    language = language_choice.picker()
# Each st.Page looks its file up on the disk when made: made once per session rather than on
# every rerun. Each run navigates with its own shallow copies: st.navigation marks the page it
# returns as let run once, on the page object, and with fast reruns a session's next run starts
# while its last one is still stopping, so shared pages let one run's mark be spent by the other
# ("This page cannot be called directly", found by bench/load.py at 50 sessions).
pages_key = f"{PAGES}_{language}"
with speaking(language):
    if pages_key not in st.session_state:
        st.session_state[pages_key] = [
            st.Page(
                "app_pages/form/page.py",
                title=_("Screening"),
                icon=":material/checklist:",
                url_path="form",
            ),
            st.Page("app_pages/rule_pack.py", title=_("Rule pack"), icon=":material/rule:"),
            st.Page("app_pages/audit.py", title=_("Audit"), icon=":material/query_stats:"),
            st.Page("app_pages/about.py", title=_("About"), icon=":material/info:"),
        ]
    pages = [copy.copy(page) for page in st.session_state[pages_key]]
    # The page is resolved before the guard runs: the guard's restore reruns the app, and the
    # tab's answer that causes it can come back before the tab knows its page, so a guard run
    # first drew the form in place of the page the address named (CI: the Audit page).
    chosen = st.navigation(pages, position="top")
    ready = guard()  # Esc, paste, downloads, leaving the page, and a reload's recovery
    if ready:  # not before the tab has said whether it held a screening before a reload
        try:
            chosen.run()  # the page draws in the chosen language
        finally:  # a run cut short by a click or `st.rerun` has taken its changes all the same
            memory.snapshot()  # the form as it stands, in server memory, for a reload of this tab
heap.settle()  # what this run loaded is left out of the full collection after every run
