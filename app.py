"""Web form entry point: page setup and navigation only; each page lives in app_pages/."""

import streamlit as st

import app_pages.download_grace  # downloads outlive other sessions' sweeps (bench/load.py)
import app_pages.no_disk  # noqa: F401 - uploads stay in memory, before any page runs
from app_pages.common import count_run
from app_pages.form import memory
from app_pages.guard import guard

PAGES = "app__pages"  # session-state key: this session's pages, made on its first run

count_run()  # first: a run cut short after this line still counts (see take_drawn)
st.set_page_config(
    page_title="Ketamine for pain: discussion checklist",
    page_icon="📋",  # drawn in the browser; a :material: icon would be fetched from Google
    layout="centered",
)
# Each st.Page looks its file up on the disk when made: made once per session rather than on
# every rerun (st.navigation lets the page it returns run once on each run). Per session, not
# per process: a page is let run by one run at a time.
if PAGES not in st.session_state:
    st.session_state[PAGES] = [
        st.Page(
            "app_pages/form/page.py",
            title="Screening",
            icon=":material/checklist:",
            url_path="form",
        ),
        st.Page("app_pages/rule_pack.py", title="Rule pack", icon=":material/rule:"),
        st.Page("app_pages/audit.py", title="Audit", icon=":material/query_stats:"),
        st.Page("app_pages/about.py", title="About", icon=":material/info:"),
    ]
guard()  # Esc, paste, downloads, leaving the page, and a reload's recovery, on every page
st.navigation(st.session_state[PAGES], position="top").run()
memory.snapshot()  # the form as it stands, in server memory, for a reload of this tab
