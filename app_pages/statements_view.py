"""What the sources themselves say, and the line on points not listed, on the checklist screen.

Rendered from the checklist alone, in the words every export uses (`screening.statements`):
each statement attributed to its source, with where the source says it and how strongly;
information with its citation, never a statement about the patient.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app_pages.common import md
from screening import (
    ABSENT_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    STATEMENTS_INTRO,
    Checklist,
    StatementRef,
    _,
    statement_text,
)


def checklist_top(checklist: Checklist) -> None:
    """Once, above the points: what a point not listed means, then what the sources say."""
    st.caption(md(_(ABSENT_POINT_NOTE)))
    if checklist.statements or checklist.open_statements:
        with st.container(border=True, key="sources-say"):
            st.markdown(f"**{_(STATEMENTS_HEADING)}**")
            st.caption(md(_(STATEMENTS_INTRO)))
            if checklist.statements:
                st.markdown("\n".join(f"- {md(statement_text(s))}" for s in checklist.statements))
            if checklist.open_statements:
                st.markdown(f"**{md(_(OPEN_STATEMENTS_HEADING))}**")
                st.caption(md(_(OPEN_STATEMENTS_INTRO)))
                st.markdown(
                    "\n".join(f"- {md(statement_text(s))}" for s in checklist.open_statements)
                )


def entry_statements(statements: Sequence[StatementRef]) -> None:
    """Under a point (or a group of open points): what its own sources say about it, one
    line each, in the point's own size (a caption), so the quotation reads as part of the
    point, not above it."""
    if statements:
        st.caption("\n".join(f"- {md(statement_text(s))}" for s in statements))
