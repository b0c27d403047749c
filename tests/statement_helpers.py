"""A pack whose rules quote their sources (`source_says`), for the tests of source statements.

The mini pack (tests/conftest.py) with a labelled source and two rules that quote it: the
shape the clinical content uses, so every renderer can be shown to carry the statements.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MINI_PACK, write_pack

SOURCES = """\
sources:
  - id: src-a
    citation: "Author A. A study. J Test. 2020;1:1-2."
  - id: src-b
    citation: "Author B. Another study. J Test. 2021;2:3-4."
  - id: test-label
    citation: "Test Pharma. TESTAMINE (ketamine) prescribing information. Revised 2022."
    short_name: "The TESTAMINE label"
  - id: lay-article
    citation: "A. Writer. Ketamine explained. Health Magazine. 2023."
    background: true
"""

LABEL_CONTRAINDICATION = "significant elevation of blood pressure would constitute a serious hazard"
LABEL_DO_NOT = "do not co-administer with theophylline"
GUIDELINE_CAUTION = "ketamine can be misused and needs safeguards"

RULES = (
    """\
rules:
  - id: substance-history
    section: "Substance use"
    kind: discuss
    when: {item: history, is: "yes"}
    summary: "Discuss the substance use history"
    text: "Discuss the substance use history and a plan for misuse."
    rationale: "Ketamine can be misused."
    sources: [src-a, test-label]
    source_says:
      - source: src-a
        section: "Table 2"
        strength: caution
        statement: "CAUTION"
  - id: substance-active
    section: "Substance use"
    kind: discuss
    when:
      all:
        - {item: history, is: "yes"}
        - {item: active, is: "yes"}
    summary: "Discuss current non-medical use"
    text: "Discuss current non-medical use before any treatment."
    rationale: "Active use raises the risk of misuse."
    sources: [src-a]
  - id: setting-monitoring
    section: "Setting"
    kind: arrange
    when: {item: monitoring, is: "no"}
    summary: "Arrange monitoring"
    text: "Arrange monitoring by trained staff."
    rationale: "Side effects need watching."
    sources: [src-b, test-label]
    source_says:
      - source: test-label
        section: "4 Contraindications"
        strength: contraindication
        statement: "CONTRAINDICATION"
      - source: test-label
        section: "7.1 Theophylline"
        strength: do-not
        statement: "DO_NOT"
""".replace("CAUTION", GUIDELINE_CAUTION)
    .replace("CONTRAINDICATION", LABEL_CONTRAINDICATION)
    .replace("DO_NOT", LABEL_DO_NOT)
)

STATEMENT_PACK = {**MINI_PACK, "sources.yaml": SOURCES, "rules-main.yaml": RULES}
"""The mini pack with three source statements on two rules."""

ALL_RAISED = {"history": "yes", "active": "yes", "monitoring": "no"}
"""Answers that raise every rule of the statement pack."""


def write_statement_pack(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the statement pack to `folder`, with `files` replacing files by name."""
    return write_pack(folder, {**STATEMENT_PACK, **(files or {})})
