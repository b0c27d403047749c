"""What every page shares: the rule pack loaded once per process, the page header, escaping."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import screening
from screening import (
    DEFAULT_RULES_DIR,
    DISCLAIMER,
    EXPORT_FORMATS,
    STATUS_WARNINGS,
    PackError,
    RulePack,
    _,
    active_language,
    describe_condition,
    md_escape,
    problem_lines,
    source_markdown,
    speaking,
)

RULES_DIR_ENV = "SCREENING_RULES_DIR"
"""Environment variable naming the rule pack folder; the shipped rules/ folder otherwise."""
SIGNING_IDENTITY_ENV = "SCREENING_SIGNING_IDENTITY"
"""Environment variable naming the clinic's PKCS#12 signing identity on the server (its
password in SCREENING_SIGNING_PASSWORD): when set, every PDF download is signed with it.
Configured by whoever runs the server; users never upload one, and nothing writes it."""

_log = logging.getLogger(__name__)
DRAWN = "page__drawn"
"""Session-state key: what this session's last run finished drawing (see `take_drawn`)."""
RUNS = "page__runs"
"""Session-state key: how many runs this session has started (see `count_run`)."""


@dataclass(frozen=True)
class UploadNote:
    """What became of the last uploaded answers file: its problems, or how many answers loaded.

    Defined here, not in the page script, which Streamlit re-executes on every rerun.
    """

    name: str
    problems: list[str]
    loaded: int = 0
    dropped: str | None = None
    """The note naming answers to questions not shown that were dropped, not loaded."""


@dataclass(frozen=True)
class QuestionText:
    """An item's question, help (with its sources) and follow-up note, as escaped Markdown.

    A follow-up's label starts "Follow-up:" and its help starts with when it is asked: in the
    widget itself, not a caption beside it, so a screen reader hears it with the question and
    the page draws one element per question.
    """

    question: str
    help: str
    follow_up: str | None


def _build_question_texts(pack: RulePack) -> Mapping[str, QuestionText]:
    texts = {}
    for item in pack.items:
        sources = "\n".join(f"- {source_markdown(pack.source(s))}" for s in item.sources)
        heading = _("Sources")
        help_text = f"{md(item.help)}\n\n**{heading}**\n\n{sources}"
        if item.asked_if is None:
            texts[item.id] = QuestionText(md(item.question), help_text, None)
            continue
        follow_up = _(
            "Follow-up: asked when {condition}, or while that is not yet answered."
        ).format(condition=md(describe_condition(item.asked_if, pack)))
        texts[item.id] = QuestionText(
            question=_("Follow-up: {question}").format(question=md(item.question)),
            help=f"*{follow_up}*\n\n{help_text}",
            follow_up=follow_up,
        )
    return MappingProxyType(texts)


_TEXTS: dict[tuple[str, str], Mapping[str, QuestionText]] = {}


def question_texts(pack: RulePack) -> Mapping[str, QuestionText]:
    """Built once per pack and language (keyed by the pack's hash and the language) and
    shared: they hold the pack's words and ours in that language, nothing of a session.

    A plain dictionary, not `st.cache_resource`, whose hashing of its arguments costs more on
    every rerun than building the texts once; a second build in a race is harmless.
    """
    key = (pack.sha256, active_language())
    texts = _TEXTS.get(key)
    if texts is None:
        texts = _TEXTS[key] = _build_question_texts(pack)
    return texts


@dataclass(frozen=True)
class Download:
    """A file offered on a page: built only when its button is clicked, never on a rerun."""

    label: str
    data: Callable[[], str | bytes]
    file_name: str
    key: str
    help: str
    icon: str | None = None


MIME_TYPES = (
    (".fhir.json", "application/fhir+json"),
    *((f".{export.extension}", export.media_type) for export in EXPORT_FORMATS),
    (".json", "application/json"),
    (".csv", "text/csv"),
    (".parquet", "application/vnd.apache.parquet"),
    (".html", "text/html"),
)
"""A download's type, by how its file name ends (the first that fits): each checklist export's
as the registry gives it, then the other downloads'."""


def offer(places: Sequence[DeltaGenerator], downloads: Iterable[Download]) -> None:
    """Download buttons dealt over `places` in turn (columns, or one row); a click downloads
    the file without rerunning the page, built in the page's language (the server builds it
    when the browser asks for it, outside the page's run)."""
    for n, file in enumerate(downloads):
        places[n % len(places)].download_button(
            file.label,
            functools.partial(_built_in, active_language(), file.data),
            file_name=file.file_name,
            mime=next(m for end, m in MIME_TYPES if file.file_name.endswith(end)),
            key=file.key,
            on_click="ignore",
            icon=file.icon,
            help=file.help,
        )


def _built_in(language: str, build: Callable[[], str | bytes]) -> str | bytes:
    """A download's file, built in the language of the page that offered it."""
    with speaking(language):
        return build()


@functools.lru_cache(maxsize=2)
def signing_identity(path: str | None) -> Any:
    """The server's signing identity, read once per process (None when none is configured);
    raises `ExportError` naming the file when it cannot be opened, and is then not cached."""
    return screening.server_identity(path)


def rules_dir() -> Path:
    return Path(os.environ.get(RULES_DIR_ENV) or DEFAULT_RULES_DIR)


@functools.lru_cache(maxsize=8)
def _cached_pack(directory: str) -> RulePack:
    """Validated once per process and shared by every session: the pack is frozen, no answers.

    `lru_cache` rather than `st.cache_resource`: the same memo, without hashing the argument
    through Streamlit's machinery on every rerun. A refused pack raises and is not cached.
    """
    return screening.load_pack(directory)


def md(text: str) -> str:
    """Typed or loaded text that Markdown shows literally, never as markup or HTML.

    The core's one escaper, which escapes only what would change meaning: a screen reader
    reads a widget's label raw, so "(CRPS)" must not become "\\(CRPS\\)".
    """
    return md_escape(text)


def unexpected_error(what: str) -> None:
    """A failure no check foresaw: a plain message on the page, the traceback in the server log.

    Call it from an `except` block; `what` is Markdown, already escaped.
    """
    _log.exception("%s", what)
    st.error(
        _(
            "{what}: an unexpected error occurred. The details are in the server's log; "
            "please report this."
        ).format(what=what),
        icon=":material/error:",
    )


def count_run() -> None:
    """Number this run: app.py calls it first, before anything a rerun can interrupt."""
    st.session_state[RUNS] = int(st.session_state.get(RUNS, 0)) + 1


def take_drawn() -> str | None:
    """What the previous run of this session finished drawing, if it said so with `drawn`.

    Taken, not read: every page takes it when it starts (in `require_pack`). And only the run
    just before counts: a run started since (another page, cut short by a click before its page
    took this) may have made the browser drop what was drawn, though it drew nothing itself.
    Under load that is how a page switch wiped the form: the form believed its widgets were
    still shown, so it did not write the answers back into them, and the empty widgets the
    browser then sent back cleared the memory.
    """
    found = st.session_state.pop(DRAWN, None)
    if not isinstance(found, tuple) or found[1] != int(st.session_state.get(RUNS, 0)) - 1:
        return None
    what: str = found[0]
    return what


def drawn(what: str) -> None:
    """Say, at the end of a run, that it drew `what` in full."""
    st.session_state[DRAWN] = (what, int(st.session_state.get(RUNS, 0)))


def require_pack() -> RulePack:
    """The rule pack; when it is refused or cannot be read, say so in place of the page, stop."""
    take_drawn()
    try:
        return _cached_pack(str(rules_dir()))
    except PackError as exc:
        st.title(_("The rule pack was refused"))
        st.error(
            _(
                "The rule pack could not be used, so no form is shown: a checklist built from a "
                "partly valid pack could miss points. {n} problem(s) to fix in the rule files, "
                "each as file:line: id: message."
            ).format(n=len(exc.problems)),
            icon=":material/error:",
        )
        st.code("\n".join(problem_lines(exc.problems)), language=None, wrap_lines=True)
    except Exception:
        st.title(_("The rule pack could not be read"))
        unexpected_error(_("The rule pack could not be loaded, so no form is shown"))
    st.caption(
        _(
            "Rule pack folder: {folder}. Check a pack from the command line with "
            "`python -m screening check --rules FOLDER`."
        ).format(folder=md(str(rules_dir())))
    )
    st.stop()


def page_header(title: str, pack: RulePack) -> None:
    """Title, the versions in use, and the statement that this is not a recommendation."""
    st.title(title)
    st.caption(
        _("App version {app} · rule pack {name}, version {version} ({status})").format(
            app=screening.__version__,
            name=md(pack.meta.name),
            version=md(pack.meta.version),
            status=pack.meta.status,
        )
    )
    disclaimer_banner()
    if pack.meta.status in STATUS_WARNINGS:
        st.warning(STATUS_WARNINGS[pack.meta.status], icon=":material/rate_review:")


def disclaimer_banner() -> None:
    st.info(_(DISCLAIMER), icon=":material/info:")
