"""The habits that keep the house in step: pre-commit runs what `make test` runs, and every
version of the program has its section in the changelog."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

import screening

REPOSITORY = Path(__file__).resolve().parents[1]


def make_test_targets() -> list[str]:
    """The targets `make test` runs, from its rule in the Makefile."""
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^test:(.*)$", makefile, re.MULTILINE)
    assert found is not None, "the Makefile has no test target"
    return found[1].split()


class TestPreCommit:
    """A commit that passes pre-commit passes the same checks in `make test`."""

    def test_every_hook_is_a_make_target_that_make_test_runs(self) -> None:
        config = YAML(typ="safe").load((REPOSITORY / ".pre-commit-config.yaml").read_text())
        hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
        entries = [hook["entry"] for hook in hooks]
        assert entries == ["make lint", "make typecheck"]
        assert {entry.removeprefix("make ") for entry in entries} <= set(make_test_targets())
        assert all(hook["pass_filenames"] is False for hook in hooks)


class TestChangelog:
    """CHANGELOG.md follows Keep a Changelog and knows the version being built."""

    def test_the_version_of_the_package_has_its_section(self) -> None:
        changelog = (REPOSITORY / "CHANGELOG.md").read_text(encoding="utf-8")
        sections = re.findall(r"^## \[([^\]]+)\]", changelog, re.MULTILINE)
        assert sections[0] == "Unreleased"
        assert screening.__version__ in sections, (
            f"add a '## [{screening.__version__}] - YYYY-MM-DD' section to CHANGELOG.md"
        )
