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
    N_,
    UPLOAD_BOUNDS,
    AnswersError,
    Audit,
    BatchResult,
    RulePack,
    _,
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
    worded,
)

# Problems listed on the page (a module string here would be shown: Streamlit's magic).
SHOWN_PROBLEMS = 1000  # the download holds them all
RESULT_COLOURS = {N_("raised"): "#2f6f8f", N_("open"): "#e3a33b"}
# Bar colours by column; the columns are named in the language of the page (`_`).
GAP_COLOURS = {N_("unknown"): "#e3a33b", N_("not assessed"): "#9aa9b5"}
LAST = "audit__last_upload"  # (name, bytes) of the last table: kept across page visits
RESULTS = "audit__results_counts"  # (digest, counts or None): is the upload a results table


def share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def rule_frame(audit: Audit) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                _("rule"): r.rule_id,
                _("point"): r.headline,
                _("kind"): KIND_WORDS[r.kind] if r.kind else "",
                _("raised"): r.raised,
                _("open"): r.open,
                _("not raised"): r.not_raised,
                _("raised %"): share(r.raised, audit.sets),
                _("open %"): share(r.open, audit.sets),
            }
            for r in audit.rules
        ]
    )


def item_frame(audit: Audit) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                _("item"): i.item_id,
                _("yes"): i.yes,
                _("no"): i.no,
                _("unknown"): i.unknown,
                _("not assessed"): i.not_assessed,
                _("not asked"): i.not_asked,
                _("unknown %"): share(i.unknown, audit.sets),
                _("not assessed %"): share(i.not_assessed, audit.sets),
                _("question"): i.label,
            }
            for i in audit.items
        ]
    )


def stacked_bars(frame: pd.DataFrame, label: str, colours: dict[str, str]) -> alt.Chart:
    """Counts per row of `frame`, one bar segment per column named in `colours` (their words
    looked up in the language of the page, as the frame's columns are)."""
    label = _(label)
    colours = {_(name): colour for name, colour in colours.items()}
    long = frame.melt(id_vars=[label], value_vars=list(colours), var_name="what", value_name="sets")
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("sets:Q", stack="zero", title=_("answer sets")),
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
            tooltip=[
                alt.Tooltip(f"{label}:N"),
                alt.Tooltip("what:N", title=_("what")),
                alt.Tooltip("sets:Q", title=_("answer sets")),
            ],
        )
    )
    return chart


def show_problems(result: BatchResult) -> None:
    st.warning(
        _(
            "{refused} of {rows} answer sets were refused and are not counted: each bad cell is "
            "listed with its row (1 = the first answer set), column, value and reason. Fix them "
            "in the table and upload it again."
        ).format(refused=f"{result.refused_rows:,}", rows=f"{result.rows:,}"),
        icon=":material/warning:",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("row"): p.row,
                    _("column"): p.column,
                    _("value"): p.value,
                    _("reason"): worded(p.reason),
                }
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
            _("Results (Parquet)"),
            lambda: table_bytes(results(), "parquet"),
            f"{stem}-results.parquet",
            "download_results_parquet",
            _("One row per accepted answer set, one column per rule: raised, open or empty."),
        ),
        Download(
            _("Results (CSV)"),
            lambda: table_bytes(results(), "csv"),
            f"{stem}-results.csv",
            "download_results_csv",
            _("The same results for a spreadsheet."),
        ),
        Download(
            _("Counts (CSV)"),
            partial(audit_csv, audit),
            f"{stem}-counts.csv",
            "download_audit_csv",
            _("One line per count: what, id, state, count."),
        ),
        Download(
            _("Counts (JSON)"),
            partial(audit_json, audit),
            f"{stem}-counts.json",
            "download_audit_json",
            _("The per-rule and per-item counts, as the command line's audit --format json."),
        ),
    ]
    if result.problems:
        files.append(
            Download(
                _("Problems (CSV)"),
                partial(problems_csv, result.problems, result.problem_count),
                f"{stem}-problems.csv",
                "download_problems_csv",
                _("Every refused cell: row, column, value, reason."),
            )
        )
    offer(st.columns(2), files)


def counted(audit: Audit, line: str) -> None:
    """How many sets were counted (`line` says it): a success only when there is something to
    count."""
    if audit.sets:
        st.success(line, icon=":material/check_circle:")
    else:
        st.warning(line + " " + _("Nothing is counted."), icon=":material/warning:")


def show_rules(audit: Audit) -> None:
    st.header(_("Per rule"), divider="gray")
    st.caption(_("How many answer sets raised each point, or left it open (a verify entry)."))
    rules = rule_frame(audit)
    st.altair_chart(stacked_bars(rules, N_("rule"), RESULT_COLOURS), key="audit_rules_chart")
    st.dataframe(rules, hide_index=True, key="audit_rules")


def show_audit(pack: RulePack, result: BatchResult) -> None:
    audit = audit_result(result)
    line = _("{sets} of {rows} answer sets evaluated with {name} {version}.").format(
        sets=f"{audit.sets:,}",
        rows=f"{result.rows:,}",
        name=md(pack.meta.name),
        version=md(pack.meta.version),
    )
    counted(audit, line)
    if result.refused_rows:
        show_problems(result)
    if not audit.sets:
        return
    show_rules(audit)
    st.header(_("Per item"), divider="gray")
    st.caption(
        _(
            "How often each question was answered Unknown or left blank (not assessed): gaps in "
            "how the answers are gathered. Not asked: a follow-up its parent's answer ruled out."
        )
    )
    items = item_frame(audit)
    st.altair_chart(stacked_bars(items, N_("item"), GAP_COLOURS), key="audit_items_chart")
    st.dataframe(items, hide_index=True, key="audit_items")
    st.header(_("Downloads"), divider="gray")
    downloads(result, audit)


def show_results_table(pack: RulePack, audit: Audit) -> None:
    """A results table written by `batch`: counted as it is, not evaluated again."""
    line = _("{sets} of {rows} answer sets counted from a results table of {name} {version}.")
    counted(
        audit,
        line.format(
            sets=f"{audit.sets:,}",
            rows=f"{audit.sets:,}",
            name=md(audit.pack_name),
            version=md(audit.pack_version),
        ),
    )
    if audit.pack_sha256 != pack.sha256:
        st.warning(
            _(
                "These results were made with another rule pack than the one in use: the points "
                "are named from the pack in use where it has them."
            ),
            icon=":material/rate_review:",
        )
    st.caption(
        _(
            "A results table holds the points raised or left open, not the answers: the "
            "per-item counts need the answers table (`python -m screening audit` reads both)."
        )
    )
    if audit.sets:
        show_rules(audit_named(audit, pack))
        st.download_button(
            _("Counts (JSON)"),
            partial(audit_json, audit),
            file_name=f"audit-{audit.pack_version}-counts.json",
            mime="application/json",
            key="download_audit_json",
            on_click="ignore",
            help=_("The per-rule counts, as the command line's audit --format json."),
        )


def results_counts(name: str, data: bytes) -> Audit | None:
    """The counts of a results table written by `batch`; None for an answers table. Read once
    per upload (kept by content in this session's state), not on every rerun."""
    digest = (hashlib.sha256(data).hexdigest(), name)
    kept = st.session_state.get(RESULTS)
    if not (isinstance(kept, tuple) and kept[0] == digest):
        raw = raw_table_bytes(data, name, bounds=UPLOAD_BOUNDS)[0]
        kept = (digest, audit_results_table(raw, name) if is_results_table(raw) else None)
        st.session_state[RESULTS] = kept
    counts: Audit | None = kept[1]
    return counts


def table_upload() -> tuple[str, bytes] | None:
    """This upload, or the last one of this session: a visit to another page drops the
    uploader's file, not the table the person was reading."""
    uploaded = answers_upload(_("Answers or results table"), key="audit_table")
    if uploaded is not None:
        st.session_state[LAST] = uploaded
        return uploaded
    kept: tuple[str, bytes] | None = st.session_state.get(LAST)
    if kept is not None:
        st.info(
            _("Showing {name}, uploaded earlier in this session (kept in memory only).").format(
                name=md(kept[0])
            ),
            icon=":material/history:",
        )
        st.button(_("Clear it"), key="audit_clear", on_click=st.session_state.pop, args=(LAST,))
    return kept


pack = require_pack()
page_header(_("Audit"), pack)
st.markdown(
    _(
        "Upload a **de-identified** table of past answer sets (CSV, Parquet or JSON Lines), or "
        "the results `python -m screening batch` wrote, to see how often each point was raised "
        "or left open and which questions are most often unknown or not assessed. **At most "
        "{mb} MB and {rows} rows.** The table is read in memory for this session only and "
        "never saved; larger exports go through the command line (`python -m screening audit`)."
    ).format(mb=MAX_TABLE_UPLOAD_MB, rows=f"{MAX_TABLE_UPLOAD_ROWS:,}")
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
        refused = _("The table {name} was refused: nothing was evaluated.")
        st.error(refused.format(name=md(name)), icon=":material/error:")
        st.code("\n".join(problem_lines(exc.problems)), language=None, wrap_lines=True)
    except Exception:
        unexpected_error(_("The table {name} could not be evaluated").format(name=md(name)))
    if result is not None:
        show_audit(pack, result)
