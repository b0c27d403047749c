"""Screening core: a rule pack turns yes / no / unknown answers into a discussion checklist.

Pure and typed: no user interface, no clock, no network, no files written.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from screening.answers import parse_answers, read_answers_bytes
from screening.catalogue import (
    N_,
    PSEUDO_LANGUAGE,
    _,
    active_language,
    available_languages,
    language_name,
    ngettext,
    speaking,
    worded,
)
from screening.citations import source_block, source_details, source_markdown, source_text
from screening.describe import describe_condition
from screening.engine import checklist_with_marks, evaluate
from screening.errors import AnswersError, PackError, Problem, ScreeningError, problem_lines
from screening.export import (
    answers_download_name,
    checklist_from_json,
    checklist_json,
    checklist_markdown,
    download_name,
)
from screening.fhir.hidden import hidden_answers_dropped
from screening.formats import EXPORT_FORMATS, ExportFormat, export_format
from screening.identifiers import identifier_hints
from screening.language import DISCLAIMER, NO_VOCABULARY, Vocabulary, free_text_flags
from screening.limits import (
    CANDIDATE_CHECK_SECONDS,
    MAX_TABLE_UPLOAD_MB,
    MAX_TABLE_UPLOAD_ROWS,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_TOTAL_BYTES,
)
from screening.logic import asked_states
from screening.markdown import md_escape
from screening.models import (
    ANSWERS,
    FREE_TEXT_MAX_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    NOTE_MAX_LENGTH,
    Answer,
    AnswersFile,
    AnswerState,
    Checklist,
    DiscussedMark,
    Entry,
    Item,
    RulePack,
    StatementRef,
)
from screening.open_entries import entry_headline, entry_text, group_open_entries
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack
from screening.pack.record_map import RecordMap, load_record_map
from screening.review.diff import diff_markdown
from screening.review.diff import summary as diff_summary
from screening.statements import (
    ABSENT_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    STATEMENTS_INTRO,
    group_statements,
    statement_text,
)
from screening.version import __version__ as __version__
from screening.words import ANSWER_WORDS, KIND_WORDS, STATUS_WARNINGS, STATUS_WORDS, by_section

if TYPE_CHECKING:
    from screening.batch.audit import (
        Audit,
        audit_csv,
        audit_json,
        audit_named,
        audit_result,
        audit_results_table,
        is_results_table,
    )
    from screening.batch.impact import Impact, impact, impact_markdown, impact_of
    from screening.batch.run import BatchResult, results_table, run_batch, table_bytes
    from screening.batch.table import (
        UPLOAD_BOUNDS,
        problems_csv,
        raw_table_bytes,
        read_table_bytes,
    )
    from screening.fhir.bundle import BundleError, propose, provenance, read_patient_record
    from screening.fhir.record import Finding
    from screening.fhir.response import response_json
    from screening.pack.candidate import Candidate, review_candidate
    from screening.pack.scenarios import ScenarioError, ScenarioResult, run_pack_scenarios
    from screening.pdf import checklist_pdf
    from screening.pdf.signing import server_identity, signed_checklist_pdf
    from screening.review.report import review_csv, review_html, rule_markdown


_ON_FIRST_USE = {
    "Audit": "screening.batch.audit",
    "audit_csv": "screening.batch.audit",
    "audit_json": "screening.batch.audit",
    "audit_named": "screening.batch.audit",
    "audit_result": "screening.batch.audit",
    "audit_results_table": "screening.batch.audit",
    "is_results_table": "screening.batch.audit",
    "raw_table_bytes": "screening.batch.table",
    "UPLOAD_BOUNDS": "screening.batch.table",
    "Impact": "screening.batch.impact",
    "impact": "screening.batch.impact",
    "impact_markdown": "screening.batch.impact",
    "impact_of": "screening.batch.impact",
    "BatchResult": "screening.batch.run",
    "results_table": "screening.batch.run",
    "run_batch": "screening.batch.run",
    "table_bytes": "screening.batch.run",
    "problems_csv": "screening.batch.table",
    "read_table_bytes": "screening.batch.table",
    "BundleError": "screening.fhir.bundle",
    "propose": "screening.fhir.bundle",
    "provenance": "screening.fhir.bundle",
    "read_patient_record": "screening.fhir.bundle",
    "Finding": "screening.fhir.record",
    "response_json": "screening.fhir.response",
    "Candidate": "screening.pack.candidate",
    "review_candidate": "screening.pack.candidate",
    "ScenarioError": "screening.pack.scenarios",
    "ScenarioResult": "screening.pack.scenarios",
    "run_pack_scenarios": "screening.pack.scenarios",
    "checklist_pdf": "screening.pdf",
    "server_identity": "screening.pdf.signing",
    "signed_checklist_pdf": "screening.pdf.signing",
    "review_csv": "screening.review.report",
    "review_html": "screening.review.report",
    "rule_markdown": "screening.review.report",
}
"""Names whose modules take a second or more to import (pandas, fpdf2), or that only some
commands and pages use (FHIR Bundles and responses, candidate packs, vignettes): imported
when first used, so the command line and the form start without them."""


def __getattr__(name: str) -> object:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'screening' has no attribute {name!r}")
    value = getattr(import_module(_ON_FIRST_USE[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "ABSENT_POINT_NOTE",
    "ANSWERS",
    "ANSWER_WORDS",
    "CANDIDATE_CHECK_SECONDS",
    "DEFAULT_RULES_DIR",
    "DISCLAIMER",
    "EXPORT_FORMATS",
    "FREE_TEXT_MAX_LENGTH",
    "KIND_WORDS",
    "MAX_TABLE_UPLOAD_MB",
    "MAX_TABLE_UPLOAD_ROWS",
    "MAX_YEAR",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_TOTAL_BYTES",
    "MIN_YEAR",
    "NOTE_MAX_LENGTH",
    "NO_VOCABULARY",
    "N_",
    "OPEN_STATEMENTS_HEADING",
    "OPEN_STATEMENTS_INTRO",
    "PSEUDO_LANGUAGE",
    "STATEMENTS_HEADING",
    "STATEMENTS_INTRO",
    "STATUS_WARNINGS",
    "STATUS_WORDS",
    "UPLOAD_BOUNDS",
    "Answer",
    "AnswerState",
    "AnswersError",
    "AnswersFile",
    "Audit",
    "BatchResult",
    "BundleError",
    "Candidate",
    "Checklist",
    "DiscussedMark",
    "Entry",
    "ExportFormat",
    "Finding",
    "Impact",
    "Item",
    "PackError",
    "Problem",
    "RecordMap",
    "RulePack",
    "ScenarioError",
    "ScenarioResult",
    "ScreeningError",
    "StatementRef",
    "Vocabulary",
    "_",
    "active_language",
    "answers_download_name",
    "asked_states",
    "audit_csv",
    "audit_json",
    "audit_named",
    "audit_result",
    "audit_results_table",
    "available_languages",
    "by_section",
    "checklist_from_json",
    "checklist_json",
    "checklist_markdown",
    "checklist_pdf",
    "checklist_with_marks",
    "describe_condition",
    "diff_markdown",
    "diff_summary",
    "download_name",
    "entry_headline",
    "entry_text",
    "evaluate",
    "export_format",
    "free_text_flags",
    "group_open_entries",
    "group_statements",
    "hidden_answers_dropped",
    "identifier_hints",
    "impact",
    "impact_markdown",
    "impact_of",
    "is_results_table",
    "language_name",
    "load_pack",
    "load_record_map",
    "md_escape",
    "ngettext",
    "parse_answers",
    "problem_lines",
    "problems_csv",
    "propose",
    "provenance",
    "raw_table_bytes",
    "read_answers_bytes",
    "read_patient_record",
    "read_table_bytes",
    "response_json",
    "results_table",
    "review_candidate",
    "review_csv",
    "review_html",
    "rule_markdown",
    "run_batch",
    "run_pack_scenarios",
    "server_identity",
    "signed_checklist_pdf",
    "source_block",
    "source_details",
    "source_markdown",
    "source_text",
    "speaking",
    "statement_text",
    "table_bytes",
    "worded",
]
