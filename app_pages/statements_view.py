"""What the sources themselves say, and the line on points not listed, on the checklist screen.

Rendered from the checklist alone, in the words every export uses (`screening.statements`):
each statement attributed to its source, with where the source says it and how strongly;
information with its citation, never a statement about the patient.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import md
from screening import (
    ABSENT_POINT_NOTE,
    STATEMENTS_HEADING,
    STATEMENTS_INTRO,
    Checklist,
    Entry,
    statement_text,
)


def checklist_top(checklist: Checklist) -> None:
    """Once, above the points: what a point not listed means, then what the sources say."""
    st.caption(md(ABSENT_POINT_NOTE))
    if checklist.statements:
        with st.container(border=True, key="sources-say"):
            st.markdown(f"**{STATEMENTS_HEADING}**")
            st.caption(md(STATEMENTS_INTRO))
            st.markdown("\n".join(f"- {md(statement_text(s))}" for s in checklist.statements))


def entry_statements(entry: Entry) -> None:
    """Under a point: what its own sources say about it, one line each, in the point's own
    size (a caption), so the quotation reads as part of the point, not above it."""
    if entry.source_says:
        st.caption("\n".join(f"- {md(statement_text(s))}" for s in entry.source_says))
