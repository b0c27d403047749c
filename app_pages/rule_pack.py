"""The Rule pack page: the shipped rules in plain language, their vignettes, and a candidate check.

A reviewer filters the rules, reads any one of them as a sentence, sees which vignettes pass,
and can upload a candidate pack (zip) to see whether it is valid and how it differs from the
shipped one. The candidate is read in memory only: it never replaces the shipped pack and is
never written to disk.
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import isolated
from app_pages.answer_tables import answers_upload, compared
from app_pages.common import (
    Download,
    md,
    offer,
    page_header,
    require_pack,
    rules_dir,
    unexpected_error,
)
from screening import (
    KIND_WORDS,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_TOTAL_BYTES,
    N_,
    STATUS_WORDS,
    AnswersError,
    Candidate,
    Problem,
    RulePack,
    ScenarioError,
    ScenarioResult,
    _,
    describe_condition,
    diff_markdown,
    diff_summary,
    impact_markdown,
    load_record_map,
    problem_lines,
    review_csv,
    review_html,
    rule_markdown,
    run_pack_scenarios,
    worded,
)


@st.cache_resource(show_spinner=False, max_entries=4)
def pack_vignettes(
    folder: str, sha256: str, _pack: RulePack
) -> tuple[tuple[ScenarioResult, ...], tuple[Problem, ...]]:
    """The vignettes' results, or why they cannot run: once per pack, not on every rerun.

    Keyed by folder and pack hash, and read once per process like the pack itself. Shared
    between sessions, which is safe: the results are frozen and hold no patient data.
    """
    try:
        return tuple(run_pack_scenarios(Path(folder), _pack)), ()
    except ScenarioError as exc:
        return (), tuple(exc.problems)


@st.cache_resource(show_spinner=False, max_entries=16)
def candidate_review(
    content_sha256: str, name: str, shipped_sha256: str, folder: str, _data: bytes
) -> Candidate | tuple[Problem, ...]:
    """A candidate zip's review, or why it is refused, kept by content hash across reruns.

    Checked in a process of its own, bounded in time, so other sessions stay responsive
    (`app_pages/isolated.py`). The zip is a rule pack, not patient data, so sharing the
    frozen result is safe; a check that fails or runs out of time is not kept.
    """
    return isolated.review_isolated(_data, name, folder)


def show_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    st.code("\n".join(problem_lines(problems)), language=None, wrap_lines=True)


def pack_summary(pack: RulePack) -> None:
    meta = pack.meta
    reviewers = md(", ".join(meta.reviewers)) or _("none recorded")
    lines = [
        f"**{md(meta.name)}**",
        _("Version {version} · {status} · dated {date} · reviewers: {reviewers}").format(
            version=md(meta.version),
            status=STATUS_WORDS[meta.status],
            date=md(meta.date),
            reviewers=reviewers,
        ),
        _("{items} questions, {rules} rules, {sources} sources").format(
            items=len(pack.items), rules=len(pack.rules), sources=len(pack.sources)
        ),
        _("Content fingerprint (SHA-256): {sha256}").format(sha256=f"`{pack.sha256}`"),
    ]
    st.markdown("  \n".join(lines))


def scenario_table(results: list[ScenarioResult] | tuple[ScenarioResult, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "vignette": r.scenario.id,
                "result": _("passes") if r.passed else _("FAILS"),
                "differences": "; ".join(
                    f"{what}: {', '.join(ids)}" for what, ids in r.differences
                ),
            }
            for r in results
        ],
        columns=["vignette", "result", "differences"],
    )


def _scenario_columns() -> dict[str, Any]:
    """The vignettes table's headers in the language of the page; its keys stay the data's."""
    return {
        name: st.column_config.TextColumn(_(name))
        for name in (N_("vignette"), N_("result"), N_("differences"))
    }


def rules_section(pack: RulePack) -> None:
    st.header(_("Rules"), divider="gray")
    # In the form's order: sections as the items introduce them (a rule may name a section of
    # its own: those come last), rules as the pack lists them within a section.
    all_sections = list(dict.fromkeys([*pack.sections, *(r.section for r in pack.rules)]))
    in_form_order = sorted(pack.rules, key=lambda r: all_sections.index(r.section))
    left, middle, right = st.columns(3)
    sections = left.multiselect(
        _("Section"),
        all_sections,
        key="rules_filter_section",
        help=_("Show only rules of these sections; none chosen shows all."),
    )
    kinds = middle.multiselect(
        _("Kind"),
        list(KIND_WORDS),
        format_func=KIND_WORDS.__getitem__,
        key="rules_filter_kind",
        help=_("What the clinician is asked to do about the point."),
    )
    sources = right.multiselect(
        _("Source"),
        [s.id for s in pack.sources],
        key="rules_filter_source",
        help=_("Show only rules citing at least one of these sources."),
    )
    shown = [
        r
        for r in in_form_order
        if (not sections or r.section in sections)
        and (not kinds or r.kind in kinds)
        and (not sources or set(r.sources) & set(sources))
    ]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "rule": r.id,
                    "section": r.section,
                    "kind": KIND_WORDS[r.kind],
                    "when": describe_condition(r.when, pack),
                    "sources": ", ".join(r.sources),
                }
                for r in shown
            ],
            columns=["rule", "section", "kind", "when", "sources"],
        ),
        hide_index=True,
        # Widths that fit the centred page (about 700 px), so every column is in view; rows
        # taller than one line let the long columns wrap.
        column_config={
            "rule": st.column_config.TextColumn(_("rule"), width=170),
            "section": st.column_config.TextColumn(_("section"), width=110),
            "kind": st.column_config.TextColumn(_("kind"), width=70),
            "when": st.column_config.TextColumn(_("when"), width=230),
            "sources": st.column_config.TextColumn(_("sources"), width=110),
        },
        row_height=80,
    )
    st.caption(_("{n} of {total} rules shown.").format(n=len(shown), total=len(pack.rules)))
    if not shown:
        return
    chosen = st.selectbox(
        _("Read a rule in full"),
        [r.id for r in shown],
        key="rule_detail",
        help=_("The rule as the review document states it: condition, entry, rationale, sources."),
    )
    rule = next(r for r in shown if r.id == chosen)
    with st.container(border=True):
        st.markdown("\n".join(rule_markdown(rule, pack)))


def review_document(pack: RulePack, results: tuple[ScenarioResult, ...], folder: str) -> str:
    """The review document as `screening rules --format html` writes it, the part on answers
    drawn from the record included: built when the button is clicked, not on every rerun."""
    return review_html(pack, results, load_record_map(folder, pack))


def scenarios_section(pack: RulePack) -> None:
    st.header(_("Vignettes"), divider="gray")
    results, problems = pack_vignettes(str(rules_dir()), pack.sha256, pack)
    if problems:
        st.error(_("The vignette files could not be read:"), icon=":material/error:")
        show_problems(problems)
        return
    if not results:
        st.warning(_("No vignettes were found beside this rule pack."))
        return
    failed = sum(not r.passed for r in results)
    if failed:
        failing = _("{n} of {total} vignettes fail.").format(n=failed, total=len(results))
        st.error(failing, icon=":material/error:")
    else:
        passing = _("All {n} vignettes pass.").format(n=len(results))
        st.success(passing, icon=":material/check_circle:")
    st.dataframe(scenario_table(results), hide_index=True, column_config=_scenario_columns())
    version = pack.meta.version
    offer(
        st.columns(2),
        [
            Download(
                _("Review document (HTML)"),
                partial(review_document, pack, results, str(rules_dir())),
                f"rule-pack-review-{version}.html",
                "download_review_html",
                _("Every question, rule and source in plain English, for the committee."),
            ),
            Download(
                _("Rules table (CSV)"),
                partial(review_csv, pack, results),
                f"rule-pack-rules-{version}.csv",
                "download_review_csv",
                _("One row per rule, for a spreadsheet."),
            ),
        ],
    )


def candidate_section(pack: RulePack) -> None:
    st.header(_("Check a candidate pack"), divider="gray")
    st.markdown(
        _(
            "Upload a zip of a changed rule pack (its `pack.yaml`, `sources.yaml`, `items.yaml` "
            "and `rules-*.yaml`, optionally its `scenarios/` folder). It is checked in memory "
            "and compared with the pack in use; **it does not replace it** and is not saved."
        )
    )
    st.caption(
        _(
            "Upload a **.zip** of the rules folder (zip the folder itself, or its files). Single "
            "YAML files are not accepted: a pack is checked whole."
        )
    )
    upload = st.file_uploader(
        _("Candidate rule pack (zip)"),
        type=["zip"],
        key="candidate_zip",
        help=_(
            "The pack's files at the root of the zip or in one folder; at most {files} files "
            "and {mb} MB unpacked. Files that macOS or Windows add (`.DS_Store`, `__MACOSX`, "
            "`Thumbs.db`) are ignored."
        ).format(files=MAX_ZIP_MEMBERS, mb=MAX_ZIP_TOTAL_BYTES // 1_000_000),
    )
    if upload is None:
        return
    data = upload.getvalue()
    try:
        candidate = candidate_review(
            hashlib.sha256(data).hexdigest(),
            upload.name,
            pack.sha256,
            str(rules_dir()),
            data,
        )
    except isolated.CheckFailedError as exc:
        st.error(
            _("The candidate pack {name} could not be checked: {why}.").format(
                name=md(upload.name), why=md(str(exc))
            ),
            icon=":material/error:",
        )
        return
    except Exception:
        unexpected_error(
            _("The candidate pack {name} could not be checked").format(name=md(upload.name))
        )
        return
    if not isinstance(candidate, Candidate):
        st.error(
            _(
                "The candidate pack was refused ({n} problem(s)); each is shown as file:line: "
                "id: message."
            ).format(n=len(candidate)),
            icon=":material/error:",
        )
        show_problems(candidate)
        return
    st.success(_("The candidate pack is valid."), icon=":material/check_circle:")
    pack_summary(candidate.pack)
    st.markdown("**" + _("Changes from the pack in use") + "**")
    for warning in candidate.diff.warnings:
        st.warning(worded(warning), icon=":material/warning:")
    if not candidate.diff.changes and not candidate.diff.notes:
        st.info(_("No differences: the candidate holds the same content as the pack in use."))
    else:
        st.markdown(diff_summary(candidate.diff))
        st.markdown(diff_markdown(candidate.diff))
    st.markdown(_("**Vignettes** (from {where})").format(where=md(candidate.scenarios_from)))
    if candidate.scenario_problems:
        st.error(_("The vignettes could not be run on the candidate:"), icon=":material/error:")
        show_problems(candidate.scenario_problems)
    elif candidate.results:
        failed = sum(not r.passed for r in candidate.results)
        total = len(candidate.results)
        st.markdown(_("{n} of {total} pass.").format(n=total - failed, total=total))
        st.dataframe(
            scenario_table(candidate.results), hide_index=True, column_config=_scenario_columns()
        )
    else:
        st.warning(_("No vignettes to run."))
    impact_section(pack, candidate.pack)


def impact_section(shipped: RulePack, candidate: RulePack) -> None:
    """What the candidate would change for past answer sets, from a table in memory."""
    st.markdown(_("**Impact on past answer sets** (optional)"))
    uploaded = answers_upload(_("Answers table to compare the packs on"), key="candidate_answers")
    if uploaded is None:
        return
    name, data = uploaded
    try:
        found = compared(shipped, candidate, name, data, key="impact")
    except AnswersError as exc:
        st.error(_("The table {name} was refused:").format(name=md(name)), icon=":material/error:")
        show_problems(exc.problems)
        return
    st.markdown(impact_markdown(found, _("pack in use"), _("candidate"), heading=False))


pack = require_pack()
page_header(_("Rule pack"), pack)
pack_summary(pack)
rules_section(pack)
scenarios_section(pack)
candidate_section(pack)
