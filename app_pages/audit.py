"""The Audit page: a de-identified answers table in, the per-rule and per-item picture out.

For a clinic's quality team: how often each point was raised or left open, and which
questions are most often unknown or not assessed. The table is read and evaluated in
memory for this session only; nothing is saved. Downloads go to the reviewer's computer.
"""

from __future__ import annotations

import hashlib
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.answer_tables import answers_upload, evaluated
from app_pages.common import Download, md, offer, page_header, require_pack, unexpected_error
from screening import (
    KIND_WORDS,
    MAX_TABLE_UPLOAD_MB,
    MAX_TABLE_UPLOAD_ROWS,
    UPLOAD_BOUNDS,
    AnswersError,
    Audit,
    BatchResult,
    RulePack,
    audit_csv,
    audit_json,
    audit_named,
    audit_result,
    audit_results_table,
    is_results_table,
    problem_lines,
    problems_csv,
    raw_table_bytes,
    results_table,
    table_bytes,
)

# Problems listed on the page (a module string here would be shown: Streamlit's magic).
SHOWN_PROBLEMS = 1000  # the download holds them all
RESULT_COLOURS = {"raised": "#2f6f8f", "open": "#e3a33b"}
GAP_COLOURS = {"unknown": "#e3a33b", "not assessed": "#9aa9b5"}
LAST = "audit__last_upload"  # (name, bytes) of the last table: kept across page visits
RESULTS = "audit__results_counts"  # (digest, counts or None): is the upload a results table


def share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def rule_frame(audit: Audit) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rule": r.rule_id,
                "point": r.headline,
                "kind": KIND_WORDS[r.kind] if r.kind else "",
                "raised": r.raised,
                "open": r.open,
                "not raised": r.not_raised,
                "raised %": share(r.raised, audit.sets),
                "open %": share(r.open, audit.sets),
            }
            for r in audit.rules
        ]
    )


def item_frame(audit: Audit) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "item": i.item_id,
                "yes": i.yes,
                "no": i.no,
                "unknown": i.unknown,
                "not assessed": i.not_assessed,
                "not asked": i.not_asked,
                "unknown %": share(i.unknown, audit.sets),
                "not assessed %": share(i.not_assessed, audit.sets),
                "question": i.label,
            }
            for i in audit.items
        ]
    )


def stacked_bars(frame: pd.DataFrame, label: str, colours: dict[str, str]) -> alt.Chart:
    """Counts per row of `frame`, one bar segment per column named in `colours`."""
    long = frame.melt(id_vars=[label], value_vars=list(colours), var_name="what", value_name="sets")
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("sets:Q", stack="zero", title="answer sets"),
            y=alt.Y(
                f"{label}:N",
                sort=list(frame[label]),
                title=None,
                axis=alt.Axis(labelLimit=320),  # ids are long; truncated ones read alike
            ),
            color=alt.Color(
                "what:N",
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[label, "what", "sets"],
        )
    )
    return chart


def show_problems(result: BatchResult) -> None:
    st.warning(
        f"{result.refused_rows:,} of {result.rows:,} answer sets were refused and are not "
        "counted: each bad cell is listed with its row (1 = the first answer set), column, "
        "value and reason. Fix them in the table and upload it again.",
        icon=":material/warning:",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
                for p in result.problems[:SHOWN_PROBLEMS]
            ]
        ),
        hide_index=True,
        key="audit_problems",
    )


def downloads(result: BatchResult, audit: Audit) -> None:
    stem = f"audit-{result.pack.meta.version}"
    results = partial(results_table, result)
    files = [
        Download(
            "Results (Parquet)",
            lambda: table_bytes(results(), "parquet"),
            f"{stem}-results.parquet",
            "download_results_parquet",
            "One row per accepted answer set, one column per rule: raised, open or empty.",
        ),
        Download(
            "Results (CSV)",
            lambda: table_bytes(results(), "csv"),
            f"{stem}-results.csv",
            "download_results_csv",
            "The same results for a spreadsheet.",
        ),
        Download(
            "Counts (CSV)",
            partial(audit_csv, audit),
            f"{stem}-counts.csv",
            "download_audit_csv",
            "One line per count: what, id, state, count.",
        ),
        Download(
            "Counts (JSON)",
            partial(audit_json, audit),
            f"{stem}-counts.json",
            "download_audit_json",
            "The per-rule and per-item counts, as the command line's audit --format json.",
        ),
    ]
    if result.problems:
        files.append(
            Download(
                "Problems (CSV)",
                partial(problems_csv, result.problems, result.problem_count),
                f"{stem}-problems.csv",
                "download_problems_csv",
                "Every refused cell: row, column, value, reason.",
            )
        )
    offer(st.columns(2), files)


def counted(audit: Audit, rows: int, what: str) -> None:
    """How many sets were counted: a success only when there is something to count."""
    line = f"{audit.sets:,} of {rows:,} answer sets {what}."
    if audit.sets:
        st.success(line, icon=":material/check_circle:")
    else:
        st.warning(line + " Nothing is counted.", icon=":material/warning:")


def show_rules(audit: Audit) -> None:
    st.header("Per rule", divider="gray")
    st.caption("How many answer sets raised each point, or left it open (a verify entry).")
    rules = rule_frame(audit)
    st.altair_chart(stacked_bars(rules, "rule", RESULT_COLOURS), key="audit_rules_chart")
    st.dataframe(rules, hide_index=True, key="audit_rules")


def show_audit(pack: RulePack, result: BatchResult) -> None:
    audit = audit_result(result)
    counted(audit, result.rows, f"evaluated with {md(pack.meta.name)} {md(pack.meta.version)}")
    if result.refused_rows:
        show_problems(result)
    if not audit.sets:
        return
    show_rules(audit)
    st.header("Per item", divider="gray")
    st.caption(
        "How often each question was answered Unknown or left blank (not assessed): gaps in "
        "how the answers are gathered. Not asked: a follow-up its parent's answer ruled out."
    )
    items = item_frame(audit)
    st.altair_chart(stacked_bars(items, "item", GAP_COLOURS), key="audit_items_chart")
    st.dataframe(items, hide_index=True, key="audit_items")
    st.header("Downloads", divider="gray")
    downloads(result, audit)


def show_results_table(pack: RulePack, audit: Audit) -> None:
    """A results table written by `batch`: counted as it is, not evaluated again."""
    counted(
        audit,
        audit.sets,
        f"counted from a results table of {md(audit.pack_name)} {md(audit.pack_version)}",
    )
    if audit.pack_sha256 != pack.sha256:
        st.warning(
            "These results were made with another rule pack than the one in use: the points "
            "are named from the pack in use where it has them.",
            icon=":material/rate_review:",
        )
    st.caption(
        "A results table holds the points raised or left open, not the answers: the per-item "
        "counts need the answers table (`python -m screening audit` reads both)."
    )
    if audit.sets:
        show_rules(audit_named(audit, pack))
        st.download_button(
            "Counts (JSON)",
            partial(audit_json, audit),
            file_name=f"audit-{audit.pack_version}-counts.json",
            mime="application/json",
            key="download_audit_json",
            on_click="ignore",
            help="The per-rule counts, as the command line's audit --format json.",
        )


def results_counts(name: str, data: bytes) -> Audit | None:
    """The counts of a results table written by `batch`; None for an answers table. Read once
    per upload (kept by content in this session's state), not on every rerun."""
    digest = (hashlib.sha256(data).hexdigest(), name)
    kept = st.session_state.get(RESULTS)
    if not (isinstance(kept, tuple) and kept[0] == digest):
        raw, _ = raw_table_bytes(data, name, bounds=UPLOAD_BOUNDS)
        kept = (digest, audit_results_table(raw, name) if is_results_table(raw) else None)
        st.session_state[RESULTS] = kept
    counts: Audit | None = kept[1]
    return counts


def table_upload() -> tuple[str, bytes] | None:
    """This upload, or the last one of this session: a visit to another page drops the
    uploader's file, not the table the person was reading."""
    uploaded = answers_upload("Answers or results table", key="audit_table")
    if uploaded is not None:
        st.session_state[LAST] = uploaded
        return uploaded
    kept: tuple[str, bytes] | None = st.session_state.get(LAST)
    if kept is not None:
        st.info(
            f"Showing {md(kept[0])}, uploaded earlier in this session (kept in memory only).",
            icon=":material/history:",
        )
        st.button("Clear it", key="audit_clear", on_click=st.session_state.pop, args=(LAST,))
    return kept


pack = require_pack()
page_header("Audit", pack)
st.markdown(
    "Upload a **de-identified** table of past answer sets (CSV, Parquet or JSON Lines), or the "
    "results `python -m screening batch` wrote, to see "
    "how often each point was raised or left open and which questions are most often unknown "
    f"or not assessed. **At most {MAX_TABLE_UPLOAD_MB} MB and {MAX_TABLE_UPLOAD_ROWS:,} rows.** "
    "The table is read in memory for this session only and never saved; larger exports go "
    "through the command line "
    "(`python -m screening audit`)."
)
uploaded = table_upload()
if uploaded is not None:
    name, data = uploaded
    result = None
    try:
        counts = results_counts(name, data)
        if counts is not None:
            show_results_table(pack, counts)
        else:
            result = evaluated(pack, name, data, key="audit_result")
    except AnswersError as exc:
        st.error(
            f"The table {md(name)} was refused: nothing was evaluated.", icon=":material/error:"
        )
        st.code("\n".join(problem_lines(exc.problems)), language=None, wrap_lines=True)
    except Exception:
        unexpected_error(f"The table {md(name)} could not be evaluated")
    if result is not None:
        show_audit(pack, result)
