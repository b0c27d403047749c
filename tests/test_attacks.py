"""Hostile inputs, each written as the attack: refused cleanly and quickly, or evaluated.

Time bounds here are generous ("within a few seconds") and guard against a hang or a
quadratic blow-up, not against a slow machine; `bench/load.py` measures speed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening import AnswersError, PackError, RulePack, evaluate, load_pack
from screening.answers import read_answers_bytes
from screening.cli import cli
from screening.errors import Problem, problem_lines
from screening.limits import (
    MAX_ANSWERS,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_NODES,
    MAX_FOLLOW_UP_DEPTH,
    MAX_ITEMS,
    MAX_PROBLEMS_SHOWN,
    MAX_UPLOAD_MB,
)
from screening.models import AnswersFile
from screening.pack.candidate import review_candidate
from screening.text import printable
from tests.cli_process import run_screening
from tests.conftest import MINI_PACK, write_answers, write_pack, zipped

ROOT = Path(__file__).resolve().parent.parent
QUICK = 5.0
"""Seconds an answers-file attack may take: the quadratic check it guards against took ~37 s
for 40,000 keys, while a loaded shared machine can make a linear one take a second."""
SLOWER = 30.0
"""Seconds a pack attack may take: a bound against a hang, not a speed test (see bench/)."""
ESC = "\x1b]0;owned\x07\x1b[31m"
REFERENCE = f"Ref{ESC}\x9b2J 7\u202eeno\tb"


def run(*args: str | Path, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return run_screening(*args, cwd=cwd, timeout=timeout)


def timed_refusal(data: bytes) -> tuple[str, float]:
    start = time.perf_counter()
    with pytest.raises(AnswersError) as caught:
        read_answers_bytes(data, "a.json")
    return str(caught.value), time.perf_counter() - start


def item(n: int, parent: int | None = None) -> str:
    asked = f"\n    asked_if: {{item: q{parent}, is: 'yes'}}" if parent is not None else ""
    return (
        f"  - id: q{n}\n    section: S\n    label: q{n}\n    question: Q{n}?\n    help: H.\n"
        f"    sources: [src-a]{asked}\n"
    )


CHAIN_RULE = """\
rules:
  - id: r
    section: S
    kind: discuss
    when: {item: q0, is: "yes"}
    summary: "Discuss it"
    text: "Discuss it."
    rationale: "Why."
    sources: [src-a]
"""


def chain_pack(folder: Path, items: list[str]) -> Path:
    """A pack of the given items and one rule reading q0, the root of any chain."""
    return write_pack(
        folder, {"items.yaml": "items:\n" + "".join(items), "rules-main.yaml": CHAIN_RULE}
    )


def line_of(text: str, needle: str) -> int:
    """The 1-based line of `text` where `needle` first appears."""
    return text[: text.index(needle)].count("\n") + 1


def refused(folder: Path) -> tuple[list[str], float]:
    start = time.perf_counter()
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(p) for p in caught.value.problems], time.perf_counter() - start


class TestBoundedReads:
    """A device, a pipe or a folder named as a file is refused at once, never read or waited on."""

    def test_dev_zero_as_answers_is_refused_within_seconds(self, tmp_path: Path) -> None:
        """The message shows it was refused before reading; the timeout guards against a hang
        without timing a busy machine."""
        result = run("evaluate", "/dev/zero", cwd=tmp_path, timeout=30)
        assert (result.returncode, result.stderr) == (
            1,
            "Error: /dev/zero: is a device, not a regular file\n",
        )

    def test_dev_zero_given_to_verify_is_refused_within_seconds(self, tmp_path: Path) -> None:
        result = run("verify", "/dev/zero", cwd=tmp_path, timeout=30)
        assert (result.returncode, result.stderr) == (
            1,
            "Error: /dev/zero: is a device, not a regular file\n",
        )

    def test_a_fifo_with_no_writer_is_refused_not_waited_on(self, tmp_path: Path) -> None:
        os.mkfifo(tmp_path / "a.json")
        result = run("evaluate", "a.json", cwd=tmp_path, timeout=30)
        assert result.returncode == 1
        assert result.stderr == (
            "Error: a.json: is a pipe, not a regular file; save it to a file first\n"
        )

    def test_a_link_to_a_device_in_a_rule_pack_is_refused(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "p")
        (folder / "rules-main.yaml").unlink()
        (folder / "rules-main.yaml").symlink_to("/dev/zero")
        problems, took = refused(folder)
        assert problems == [
            f"{folder}/rules-main.yaml: not a readable file (a folder, or a broken link?)"
        ]
        assert took < SLOWER

    def test_a_fifo_in_a_rule_pack_is_refused(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "p")
        (folder / "rules-main.yaml").unlink()
        os.mkfifo(folder / "rules-main.yaml")
        problems, _ = refused(folder)
        assert len(problems) == 1 and "rules-main.yaml: not a readable file" in problems[0]

    def test_an_answers_file_over_the_size_bound_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "a.json").write_bytes(b" " * 1_000_001 + b"{}")
        result = run("evaluate", "a.json", cwd=tmp_path)
        assert result.stderr == "Error: a.json: file is larger than 1,000,000 bytes\n"

    def test_a_folder_as_answers_file_is_named(self, tmp_path: Path) -> None:
        (tmp_path / "d.json").mkdir()
        result = run("evaluate", "d.json", cwd=tmp_path)
        assert result.returncode == 2
        assert "'d.json' is a directory" in result.stderr

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
    def test_an_unreadable_answers_file_is_named(self, tmp_path: Path) -> None:
        path = write_answers(tmp_path / "a.json", {})
        path.chmod(0)
        result = run("evaluate", "a.json", cwd=tmp_path)
        assert result.stderr == "Error: a.json: cannot be read: permission denied\n"

    def test_a_dangling_link_is_reported_as_missing(self, tmp_path: Path) -> None:
        (tmp_path / "a.json").symlink_to("gone.json")
        result = run("evaluate", "a.json", cwd=tmp_path)
        assert result.stderr == "Error: a.json: no such file\n"


class TestAnswersFileAttacks:
    """Answers files built to cost time or crash the reader end in one clear refusal."""

    def test_forty_thousand_keys_are_refused_within_a_second(self) -> None:
        data = json.dumps({"answers": {f"k{i}": "yes" for i in range(40_000)}}).encode()
        message, took = timed_refusal(data)
        assert message == f"a.json: answers: holds 40,000 entries; at most {MAX_ANSWERS:,} are read"
        assert took < QUICK

    def test_forty_thousand_keys_elsewhere_are_refused_within_a_second(self) -> None:
        data = json.dumps({"answers": {}, "x": {f"k{i}": 1 for i in range(40_000)}}).encode()
        message, took = timed_refusal(data)
        assert "x: unknown field" in message
        assert took < QUICK

    def test_a_duplicate_key_among_forty_thousand_is_found_within_a_second(self) -> None:
        keys = ", ".join(f'"k{i}": 1' for i in range(40_000))
        message, took = timed_refusal(f'{{"x": {{{keys},\n"k7": 2}}}}'.encode())
        assert message == "a.json:2: k7: duplicate key in JSON"
        assert took < QUICK

    def test_a_4301_digit_integer_is_refused_naming_its_line(self) -> None:
        message, _ = timed_refusal(b'{"answers": {},\n "date": ' + b"9" * 4301 + b"}")
        assert message == (
            "a.json:2: a number longer than 100 digits: no field of an answers file is a number"
        )

    def test_a_long_float_is_refused_the_same_way(self) -> None:
        message, _ = timed_refusal(b'{"answers": {"a": 1.' + b"5" * 5000 + b"}}")
        assert "a number longer than 100 digits" in message

    def test_non_utf8_bytes_are_refused_with_their_line(self) -> None:
        message, _ = timed_refusal(b'{"answers": {},\n\n "clinician": "\xe9"}')
        assert message == "a.json:3: not UTF-8 text"

    def test_many_unknown_ids_are_listed_up_to_a_bound_then_counted(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {f"k{i:03}": "yes" for i in range(900)})
        result = run("evaluate", "a.json", cwd=tmp_path)
        lines = result.stderr.splitlines()
        assert len(lines) == MAX_PROBLEMS_SHOWN + 1
        assert lines[0] == "Error: a.json: k000: unknown item id (not in this rule pack)"
        assert lines[-1] == f"Error: ... and {900 - MAX_PROBLEMS_SHOWN} more problem(s)"

    def test_deep_nesting_is_refused_not_crashed(self) -> None:
        message, _ = timed_refusal(b"[" * 200_000)
        assert message == "a.json: not an answers file: nested too deeply"


class TestPackAttacks:
    """Packs built to stall the checks or break evaluation are refused by the loader, fast."""

    def test_a_reverse_ordered_deep_follow_up_chain_is_refused_quickly(
        self, tmp_path: Path
    ) -> None:
        items = [item(n, n - 1 if n else None) for n in reversed(range(300))]
        problems, took = refused(chain_pack(tmp_path / "p", items))
        assert len(problems) == 1
        assert problems[0].endswith(
            f"q299: follow-up chain is 299 questions deep; at most {MAX_FOLLOW_UP_DEPTH} "
            "follow-ups may hang one below another"
        )
        assert took < SLOWER

    def test_a_chain_at_the_depth_bound_loads_and_evaluates(self, tmp_path: Path) -> None:
        depth = MAX_FOLLOW_UP_DEPTH
        items = [item(n, n - 1 if n else None) for n in reversed(range(depth + 1))]
        pack = load_pack(chain_pack(tmp_path / "p", items))
        answers = {f"q{n}": "yes" for n in range(depth + 1)}
        checklist = evaluate(pack, AnswersFile.model_validate({"answers": answers}))
        assert len(checklist.not_assessed) == 0

    def test_a_long_circular_chain_is_refused_quickly_and_once(self, tmp_path: Path) -> None:
        n = MAX_ITEMS - 10
        items = [item(k, (k - 1) % n) for k in range(n)]
        problems, took = refused(chain_pack(tmp_path / "p", items))
        assert len(problems) == 1
        assert "q0: asked_if is circular: q0 -> q489 -> q488" in problems[0]
        assert took < SLOWER

    def test_too_many_items_are_refused_before_any_analysis(self, tmp_path: Path) -> None:
        items = "items:\n" + "".join(item(k) for k in range(MAX_ITEMS + 1))
        rules = MINI_PACK["rules-main.yaml"].replace("history", "q1").replace("active", "q2")
        rules = rules.replace("monitoring", "q3")
        problems, _ = refused(
            write_pack(tmp_path / "p", {"items.yaml": items, "rules-main.yaml": rules})
        )
        assert problems == [
            f"{tmp_path}/p/items.yaml:{1 + 6 * MAX_ITEMS + 1}: the pack has 501 items; "
            "at most 500 are read"
        ]

    def test_a_condition_nested_too_deeply_is_refused(self, tmp_path: Path) -> None:
        condition = "{item: history, is: 'yes'}"
        for _ in range(MAX_CONDITION_DEPTH + 5):
            condition = "{all: [" + condition + "]}"
        rules = MINI_PACK["rules-main.yaml"].replace(
            'when: {item: monitoring, is: "no"}', f"when: {condition}"
        )
        problems, _ = refused(write_pack(tmp_path / "p", {"rules-main.yaml": rules}))
        assert problems == [
            f"{tmp_path}/p/rules-main.yaml:{line_of(rules, 'when: {all')}: setting-monitoring: when has 26 parts nested 26 "
            f"deep; a condition may have at most {MAX_CONDITION_NODES} parts nested "
            f"{MAX_CONDITION_DEPTH} deep"
        ]

    def test_a_condition_nested_thousands_deep_is_refused_not_crashed(self, tmp_path: Path) -> None:
        condition = "{item: history, is: 'yes'}"
        for _ in range(3000):
            condition = "{all: [" + condition + "]}"
        rules = MINI_PACK["rules-main.yaml"].replace(
            'when: {item: monitoring, is: "no"}', f"when: {condition}"
        )
        problems, _ = refused(write_pack(tmp_path / "p", {"rules-main.yaml": rules}))
        assert problems == [
            f"{tmp_path}/p/rules-main.yaml: nested too deeply to read (conditions nest at most "
            "20 levels)"
        ]


class TestTerminalAndMarkdown:
    """Nothing a file holds can drive the terminal or hide in a Markdown export."""

    def test_an_escape_in_an_unknown_item_id_is_shown_escaped(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {f"x{ESC}": "yes"})
        result = run("evaluate", "a.json", cwd=tmp_path)
        assert result.stderr == (
            "Error: a.json: x\\x1b]0;owned\\x07\\x1b[31m: unknown item id (not in this rule pack)\n"
        )

    def test_an_escape_in_a_file_name_is_shown_escaped(self, tmp_path: Path) -> None:
        result = run("evaluate", f"{ESC}.json", cwd=tmp_path)
        assert result.stderr == "Error: \\x1b]0;owned\\x07\\x1b[31m.json: no such file\n"

    def test_an_escape_in_a_patient_reference_is_removed_from_markdown(
        self, tmp_path: Path
    ) -> None:
        write_answers(tmp_path / "a.json", {}, patient_reference=REFERENCE, clinician=f"Dr{ESC}")
        result = run("evaluate", "a.json", "--format", "markdown", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\u202e\t")
        assert "- Patient reference: Ref\\]0;owned\\[31m2J 7eno b\n" in result.stdout

    def test_an_escape_in_a_patient_reference_is_escaped_in_json_and_kept(
        self, tmp_path: Path
    ) -> None:
        write_answers(tmp_path / "a.json", {}, patient_reference=REFERENCE)
        result = run("evaluate", "a.json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\u202e\t")
        assert json.loads(result.stdout)["patient_reference"] == REFERENCE

    def test_printable_escapes_control_and_bidirectional_characters(self) -> None:
        assert printable("a\x1b[2Jb\x07\u202ec\x9b") == "a\\x1b[2Jb\\x07\\u202ec\\x9b"
        assert str(Problem("f\x1b", "m\x07", ref="r\x00")) == "f\\x1b: r\\x00: m\\x07"

    def test_a_long_problem_list_ends_with_how_many_more(self) -> None:
        problems = [Problem("f", f"m{i}") for i in range(25)]
        assert problem_lines(problems, 3) == [
            "f: m0",
            "f: m1",
            "f: m2",
            "... and 22 more problem(s)",
        ]


class TestOut:
    """`--out` writes through a fresh temporary file, follows no planted link, names the file."""

    def test_a_planted_part_link_is_left_untouched(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        (tmp_path / "victim").write_text("keep", encoding="utf-8")
        (tmp_path / ".c.json.part").symlink_to("victim")
        result = run("evaluate", "a.json", "--out", "c.json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "victim").read_text(encoding="utf-8") == "keep"
        assert os.readlink(tmp_path / ".c.json.part") == "victim"
        assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["entries"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            ".c.json.part",
            "a.json",
            "c.json",
            "victim",
        ]

    def test_a_new_file_is_private_and_an_existing_file_keeps_its_mode(
        self, tmp_path: Path
    ) -> None:
        write_answers(tmp_path / "a.json", {})
        run("evaluate", "a.json", "--out", "new.json", cwd=tmp_path)
        assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o600
        (tmp_path / "old.json").write_text("old", encoding="utf-8")
        (tmp_path / "old.json").chmod(0o640)
        run("evaluate", "a.json", "--out", "old.json", cwd=tmp_path)
        assert stat.S_IMODE((tmp_path / "old.json").stat().st_mode) == 0o640
        assert (tmp_path / "old.json").read_text(encoding="utf-8") != "old"

    def test_a_folder_name_with_a_slash_is_refused_and_nothing_is_created(
        self, tmp_path: Path
    ) -> None:
        write_answers(tmp_path / "a.json", {})
        result = run("evaluate", "a.json", "--out", "newdir/", cwd=tmp_path)
        assert result.returncode == 2
        assert "'newdir/' names a folder; give a file name" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]

    def test_an_existing_folder_is_refused(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        (tmp_path / "out").mkdir()
        result = run("evaluate", "a.json", "--out", "out", cwd=tmp_path)
        assert result.returncode == 2
        assert "'out' is a directory" in result.stderr

    def test_a_link_to_a_folder_is_refused(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        (tmp_path / "out").mkdir()
        (tmp_path / "link").symlink_to("out")
        result = run("evaluate", "a.json", "--out", "link", cwd=tmp_path)
        assert result.returncode != 0
        assert list((tmp_path / "out").iterdir()) == []

    def test_help_says_a_folder_is_refused(self) -> None:
        for command in ("evaluate", "rules"):
            output = " ".join(CliRunner().invoke(cli, [command, "--help"]).output.split())
            assert "A folder is refused: name the file." in output

    def test_a_failed_write_names_the_requested_file_and_leaves_nothing(
        self, tmp_path: Path
    ) -> None:
        write_answers(tmp_path / "a.json", {})
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
        try:
            result = run("evaluate", "a.json", "--out", "ro/c.json", cwd=tmp_path)
        finally:
            (tmp_path / "ro").chmod(0o700)
        if os.geteuid() == 0:  # root writes anywhere: then the write succeeds
            assert result.returncode == 0
        else:
            assert result.stderr == "Error: ro/c.json: cannot write: Permission denied\n"
        assert [p.name for p in (tmp_path / "ro").iterdir()] in ([], ["c.json"])

    def test_a_device_is_refused(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        result = run("evaluate", "a.json", "--out", "/dev/null", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (
            1,
            "Error: /dev/null: is not a regular file (a device, pipe or socket): give the name "
            "of a file to write\n",
        )
        assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)

    def test_a_pipe_with_no_reader_is_refused_without_waiting(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        os.mkfifo(tmp_path / "fifo")
        result = run("evaluate", "a.json", "--out", "fifo", cwd=tmp_path)
        assert result.returncode == 1
        assert "fifo: is not a regular file" in result.stderr

    def test_the_input_file_is_refused_and_kept(self, tmp_path: Path) -> None:
        answers = write_answers(tmp_path / "a.json", {})
        before = answers.read_bytes()
        result = run("evaluate", "a.json", "--out", "./a.json", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (
            1,
            "Error: a.json: is the input file: it is not replaced; give another name\n",
        )
        assert answers.read_bytes() == before

    def test_a_link_to_the_input_file_is_refused(self, tmp_path: Path) -> None:
        answers = write_answers(tmp_path / "a.json", {})
        (tmp_path / "link.json").symlink_to("a.json")
        result = run("evaluate", "a.json", "--out", "link.json", cwd=tmp_path)
        assert "is the input file" in result.stderr
        assert json.loads(answers.read_text(encoding="utf-8")) == {"answers": {}}

    def test_a_file_of_the_rule_pack_is_refused(self, tmp_path: Path) -> None:
        pack = write_pack(tmp_path / "pack")
        before = (pack / "items.yaml").read_bytes()
        result = run("rules", "--rules", "pack", "--out", "pack/items.yaml", cwd=tmp_path)
        assert result.returncode == 1
        assert "pack/items.yaml: is a file of the input folder pack: not replaced" in result.stderr
        assert (pack / "items.yaml").read_bytes() == before

    def test_a_read_only_file_is_refused_and_kept(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        (tmp_path / "kept.json").write_text("kept", encoding="utf-8")
        (tmp_path / "kept.json").chmod(0o444)
        result = run("evaluate", "a.json", "--out", "kept.json", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (
            1,
            "Error: kept.json: is read-only: it is not replaced; give another name\n",
        )
        assert (tmp_path / "kept.json").read_text(encoding="utf-8") == "kept"

    def test_batch_refuses_its_input_as_either_output_before_any_work(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "pack")
        (tmp_path / "t.csv").write_text("history\nyes\n", encoding="utf-8")
        for args in (
            ["--out", "t.csv"],
            ["--out", "r.csv", "--problems", "t.csv"],
            ["--out", "r.csv", "--problems", "r.csv"],
        ):
            result = run("batch", "t.csv", "--rules", "pack", *args, cwd=tmp_path)
            assert result.returncode in (1, 2), result.stderr
            assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "history\nyes\n"
            assert sorted(p.name for p in tmp_path.iterdir()) == ["pack", "t.csv"]


def test_the_upload_limit_is_the_one_stated_in_limits() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_the_shipped_pack_is_well_within_every_bound(shipped_pack: RulePack) -> None:
    assert len(shipped_pack.items) * 10 < MAX_ITEMS


def test_a_zip_cut_short_at_its_start_is_refused_as_damaged(mini_pack: RulePack) -> None:
    """Found by the property test: zipfile's negative seek (ValueError) escaped as a crash."""
    data = zipped({name: text.encode() for name, text in MINI_PACK.items()})[1:]
    with pytest.raises(PackError) as caught:
        review_candidate(data, "c.zip", mini_pack, ROOT / "rules")
    assert [str(p) for p in caught.value.problems] == [
        "c.zip: damaged zip: 'pack.yaml' cannot be read"
    ]
