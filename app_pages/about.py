"""The About page: what the tool is and is not, what it keeps, and the sources behind it."""

import streamlit as st

from app_pages.common import md, page_header, require_pack
from screening import _, source_block

pack = require_pack()
page_header(_("About this checklist"), pack)

st.header(_("What it is"), divider="gray")
st.markdown(
    _(
        "A structured list of points to go through when ketamine for pain is being considered. "
        "Each answer you give may raise points to **discuss**, **verify**, **arrange** or "
        "**document**; every point shows the answers that raised it, the rule behind it and its "
        "sources. It gives no score and reaches no decision: the judgement stays with the "
        "treating clinicians and the patient."
    )
)
st.markdown(
    _(
        "Unanswered questions are listed as *not assessed* and an *Unknown* answer raises a point "
        "to verify: neither is ever taken as No."
    )
)
st.header(_("What is and is not stored"), divider="gray")
st.markdown(
    _(
        "- Answers, the patient reference, the clinician and the date live only in this browser "
        "session, in the server's memory. Nothing about a patient is written to disk or sent "
        "anywhere. Closing the tab ends the session; the server forgets it about two minutes "
        "later. Starting a new screening clears it at once.\n"
        "- Downloads (checklist, answers) are saved by your browser, on your computer. Keep them "
        "as you would any clinical note.\n"
        "- Do not enter names, dates of birth or record numbers as the patient reference.\n"
        "- The server keeps the rule pack, which is the same for everyone, and no usage "
        "statistics are collected."
    )
)

st.header(_("Rule pack"), divider="gray")
reviewers = ", ".join(pack.meta.reviewers) or _("none yet")
st.markdown(
    _(
        "{name}, version {version}, status {status}, dated {date}; reviewers: {reviewers}.  \n"
        "sha256 {sha256}"
    ).format(
        name=f"**{md(pack.meta.name)}**",
        version=md(pack.meta.version),
        status=pack.meta.status,
        date=md(pack.meta.date),
        reviewers=md(reviewers),
        sha256=f"`{pack.sha256}`",
    )
)
if pack.meta.description:
    st.markdown(md(pack.meta.description))

st.header(_("Sources"), divider="gray")
st.markdown(
    _(
        "Each point rests on a guideline, a prescribing label or a professional statement. "
        "Sources marked *background only* (the overview article the checklist started from, a "
        "lay article with no author or date) are background reading, not clinical evidence: "
        "they stand beside those sources and never alone behind a point. Evidence borrowed from "
        "another drug or use is marked *by analogy* or *by extension*, and anything the pack "
        "could not check against its source says *not verified*."
    )
)
for source in pack.sources:
    st.markdown("\n".join([f"**{source.id}**", "", *source_block(source)]))
