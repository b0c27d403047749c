"""Shared fixtures: a small, valid pack written to disk, which tests then break on purpose."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

from screening import RulePack, load_pack
from screening.loader import DEFAULT_RULES_DIR

MINI_PACK = {
    "pack.yaml": """\
pack:
  name: "Mini pack"
  version: "0.1.0"
  status: draft
  date: "2026-01-01"
  reviewers: ["Dr Test"]
""",
    "sources.yaml": """\
sources:
  - id: src-a
    citation: "Author A. A study. J Test. 2020;1:1-2."
  - id: src-b
    citation: "Author B. Another study. J Test. 2021;2:3-4."
""",
    "items.yaml": """\
items:
  - id: history
    section: "Substance use"
    label: "substance use history"
    question: "Any history of substance use disorder?"
    help: "Count any diagnosis, past or present."
    sources: [src-a]
  - id: active
    section: "Substance use"
    label: "active use"
    question: "Non-medical use in the past 12 months?"
    help: "Asked only when there is a history."
    sources: [src-a]
    asked_if: {item: history, is: "yes"}
  - id: monitoring
    section: "Setting"
    label: "monitoring"
    question: "Can trained staff monitor the patient?"
    help: "During and after each dose."
    sources: [src-b]
""",
    "rules-main.yaml": """\
rules:
  - id: substance-history
    section: "Substance use"
    kind: discuss
    when: {item: history, is: "yes"}
    summary: "Discuss the substance use history"
    text: "Discuss the substance use history and a plan for misuse."
    rationale: "Ketamine can be misused."
    sources: [src-a]
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
    sources: [src-b]
""",
}


def write_pack(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the mini pack to `folder`, with `files` replacing or adding files by name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**MINI_PACK, **(files or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def mini_dir(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "mini")


@pytest.fixture
def mini_pack(mini_dir: Path) -> RulePack:
    return load_pack(mini_dir)


@pytest.fixture(scope="session")
def shipped_pack() -> RulePack:
    return load_pack(DEFAULT_RULES_DIR)


SHARED_CONTENT = Path(__file__).resolve().parents[2] / "shared" / "content"
"""The team's clinical content, checked out beside the repository (`<repo>/../shared/content`)."""


def shared_content_file(path: Path) -> Path:
    """A file of the shared content: skipped where it is absent, but CI must have it, so a CI
    run without it fails instead of silently skipping the contract it checks."""
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must check out shared/ beside the repository")
        pytest.skip(f"{path} is not beside this checkout")
    return path


@pytest.fixture
def item_catalogue() -> Path:
    """The shared item catalogue (items.md), the public contract for item ids."""
    return shared_content_file(SHARED_CONTENT / "items.md")


def write_answers(path: Path, answers: dict[str, str], **extra: object) -> Path:
    path.write_text(json.dumps({"answers": answers, **extra}), encoding="utf-8")
    return path


# CI runs the same examples every time, so a red run can be reproduced; locally they vary.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
