"""A key written without its ':' is reported on the line it is on, not on the line where the
YAML reader noticed it (the next key, or further down past blank lines)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.errors import Problem
from screening.pack.yaml_files import parse_yaml
from tests.conftest import MINI_PACK, screening, write_pack

RULES = MINI_PACK["rules-main.yaml"]
MISSING = "YAML syntax: while scanning a simple key could not find expected ':'"
READ_ON = "YAML syntax: mapping values are not allowed here"


def problems(text: str) -> list[str]:
    found: list[Problem] = []
    parse_yaml(text.encode(), "f.yaml", found)
    return [str(p) for p in found]


class TestAKeyWithoutItsColon:
    """The line named is the key's own."""

    @pytest.mark.parametrize(
        ("line", "written"),
        [
            ("kind: arrange", "kind arrange"),
            ('summary: "Arrange monitoring"', 'summary "Arrange monitoring"'),
            ("sources: [src-b]", "sources [src-b]"),
        ],
        ids=["plain value", "quoted value", "flow list"],
    )
    def test_a_field_of_a_rule_is_named_on_its_line(
        self, tmp_path: Path, line: str, written: str
    ) -> None:
        text = RULES.replace(line, written)
        at = text.splitlines().index("    " + written) + 1
        folder = write_pack(tmp_path / "p", {"rules-main.yaml": text})
        with contextlib.chdir(folder), pytest.raises(PackError) as caught:
            load_pack(folder)
        assert [str(p) for p in caught.value.problems] == [f"rules-main.yaml:{at}: {MISSING}"]

    def test_blank_lines_after_it_do_not_move_the_line(self) -> None:
        text = "rules:\n  - id: a\n    kind discuss\n\n\n    when: x\n"
        assert problems(text) == [f"f.yaml:3: {MISSING}"]

    def test_a_key_above_its_indented_fields_is_named_on_its_line(self) -> None:
        assert problems("pack\n  name: x\n  version: y\n") == [f"f.yaml:1: {READ_ON}"]
        assert problems("rules:\n  - id: a\n    when\n      item: x\n") == [f"f.yaml:3: {MISSING}"]

    def test_check_names_the_line_of_the_missing_colon(self, tmp_path: Path) -> None:
        write_pack(
            tmp_path / "p", {"rules-main.yaml": RULES.replace("kind: arrange", "kind arrange")}
        )
        result = screening("check", "--rules", "p", cwd=tmp_path)
        assert result.returncode == 1
        assert f"p/rules-main.yaml:23: {MISSING}" in result.stderr


class TestOtherMistakesKeepTheirLine:
    """A value read on past its line, or a second ':' on one line, is named where it is."""

    def test_a_value_continued_onto_a_key_line_is_named_at_that_line(self) -> None:
        assert problems("a: b\n c: d\n") == [f"f.yaml:2: {READ_ON}"]

    def test_a_second_colon_on_a_line_is_named_on_that_line(self) -> None:
        assert problems("rules:\n  - id: a: b\n") == [f"f.yaml:2: {READ_ON}"]
