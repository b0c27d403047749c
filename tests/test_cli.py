"""`python -m screening`: check, items, evaluate, end to end, and one clear line for bad input."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening import __version__, cli
from screening.cli import pack_commands
from tests.conftest import MINI_PACK, REPOSITORY, screening, write_answers, write_pack


class TestCheck:
    """`check` says OK with exit 0 for a valid pack, and lists every problem with exit 1."""

    def test_the_shipped_pack_is_valid(self) -> None:
        result = screening("check")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("OK: Ketamine for pain")
        assert "42 items" in result.stdout

    def test_a_broken_pack_is_refused_with_every_problem_and_exit_1(self, tmp_path: Path) -> None:
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: decide")
        rules = rules.replace("sources: [src-a]", "sources: [src-z]", 1)
        write_pack(tmp_path / "bad", {"rules-main.yaml": rules})
        result = screening("check", "--rules", "bad", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.splitlines()[0] == "Error: rule pack refused (2 problem(s)):"
        assert "bad/rules-main.yaml:23: setting-monitoring: rules.kind" in result.stderr
        assert "bad/rules-main.yaml:9: substance-history: cites unknown source 'src-z'" in (
            result.stderr
        )
        assert "Traceback" not in result.stderr

    def test_help_describes_the_command(self) -> None:
        result = screening("check", "--help")
        assert result.returncode == 0
        assert "Validate a rule pack" in result.stdout


class TestItems:
    """`items` lists the form's questions as text or as a JSON array."""

    def test_json_lists_every_item_with_id_section_and_question(self) -> None:
        result = screening("items", "--format", "json")
        rows = json.loads(result.stdout)
        assert len(rows) == 42
        assert {"id", "section", "question"} <= set(rows[0])
        assert rows[0]["id"] == "chronic_pain_over_3_months"

    def test_text_groups_items_by_section(self) -> None:
        lines = screening("items").stdout.splitlines()
        assert lines[0] == "Indication and prior treatment"
        assert lines[1].startswith("  chronic_pain_over_3_months: ")


class TestFreeTextFlags:
    """Free text reading as a verdict is flagged on stderr, printed as typed, never refused."""

    def test_a_patient_reference_reading_as_a_verdict_is_flagged_and_the_checklist_made(
        self, tmp_path: Path
    ) -> None:
        reference = "ELIGIBLE - APPROVED FOR KETAMINE"
        answers = write_answers(tmp_path / "a.json", {}, patient_reference=reference)
        result = screening("evaluate", answers)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["patient_reference"] == reference
        assert result.stderr.startswith(
            f"Warning: {answers}: patient reference reads as a verdict (ELIGIBLE, APPROVED)"
        )

    def test_a_note_in_spanish_reading_as_a_verdict_is_flagged(self, tmp_path: Path) -> None:
        answers = write_answers(
            tmp_path / "a.json",
            {"chronic_pain_over_3_months": "no"},
            clinician="Dr A",
            discussed={"indication-pain-under-3-months": {"done": True, "note": "paciente apto"}},
        )
        result = screening("evaluate", answers)
        assert "note on indication-pain-under-3-months reads as a verdict (apto)" in result.stderr


class TestWhatIsPrinted:
    """What a command prints is escaped for the terminal, and stays the format it claims."""

    def test_json_on_stdout_stays_json_with_a_bidi_control_as_an_escape(
        self, tmp_path: Path
    ) -> None:
        reference = "ref \u202egnp.exe"
        answers = write_answers(tmp_path / "a.json", {}, patient_reference=reference)
        result = screening("fhir", "response", answers)
        assert result.returncode == 0, result.stderr
        assert "\u202e" not in result.stdout
        assert '"ref \\u202egnp.exe"' in result.stdout
        assert reference in json.dumps(json.loads(result.stdout), ensure_ascii=False)

    def test_a_csv_report_on_stdout_keeps_its_line_breaks(self) -> None:
        result = screening("rules", "--format", "csv")
        assert result.returncode == 0, result.stderr
        assert "\\x0d" not in result.stdout
        assert len(result.stdout.splitlines()) > 50


class TestEvaluate:
    """`evaluate` prints the checklist, the same bytes for the same input."""

    def test_json_output_has_the_public_shape(self, tmp_path: Path) -> None:
        answers = write_answers(
            tmp_path / "a.json", {"monitoring_available": "no"}, patient_reference="Ref 1"
        )
        result = screening("evaluate", answers)
        assert result.returncode == 0, result.stderr
        checklist = json.loads(result.stdout)
        assert set(checklist) >= {"rule_set", "entries", "not_assessed", "disclaimer"}
        assert set(checklist["rule_set"]) >= {"name", "version", "sha256"}
        entry = next(
            e for e in checklist["entries"] if e["rule_id"] == "setting-monitoring-missing"
        )
        assert entry["because"] == [{"item": "monitoring_available", "answer": "no"}]
        assert {"rule_id", "kind", "section", "text", "because", "sources", "rationale"} <= set(
            entry
        )
        assert "monitoring_available" not in checklist["not_assessed"]

    def test_the_same_input_gives_the_same_bytes(self, tmp_path: Path) -> None:
        answers = write_answers(tmp_path / "a.json", {"substance_use_history": "unknown"})
        assert screening("evaluate", answers).stdout == screening("evaluate", answers).stdout

    def test_markdown_goes_to_the_out_file(self, tmp_path: Path) -> None:
        answers = write_answers(tmp_path / "a.json", {"pregnancy_possible": "yes"})
        out = tmp_path / "c.md"
        result = screening("evaluate", answers, "--format", "markdown", "--out", out)
        assert result.returncode == 0 and result.stdout == ""
        assert out.read_text(encoding="utf-8").startswith(
            "# Ketamine for pain: discussion checklist"
        )

    def test_an_all_unknown_file_yields_a_verify_entry_for_every_item(self, tmp_path: Path) -> None:
        items = json.loads(screening("items", "--format", "json").stdout)
        answers = write_answers(tmp_path / "a.json", {i["id"]: "unknown" for i in items})
        checklist = json.loads(screening("evaluate", answers).stdout)
        opened = {i for e in checklist["entries"] if e["kind"] == "verify" for i in e["open_items"]}
        assert opened == {i["id"] for i in items}


BAD_ANSWERS = [
    (
        '{"answers": {"no_such_item": "yes"}}',
        "Error: a.json: no_such_item: unknown item id (not in this rule pack)",
    ),
    (
        '{"answers": {"liver_disease": "perhaps"}}',
        'Error: a.json: liver_disease: answer must be "yes", "no" or "unknown", got "perhaps"',
    ),
    (
        '{"answers": {"liver_disease": "yes",}}',
        "Error: a.json:1: not valid JSON: Expecting property name enclosed in double quotes (column 37)",
    ),
]


class TestBadInput:
    """Every bad input exits non-zero with one line naming the file and item; no partial output."""

    @pytest.mark.parametrize(("text", "message"), BAD_ANSWERS)
    def test_a_bad_answers_file_gets_one_clear_line(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        (tmp_path / "a.json").write_text(text, encoding="utf-8")
        result = screening("evaluate", "a.json", "--out", "c.json", cwd=tmp_path)
        assert (result.returncode, result.stderr, result.stdout) == (1, message + "\n", "")
        assert not (tmp_path / "c.json").exists()

    def test_bad_values_and_unknown_ids_are_all_named_in_one_run(self, tmp_path: Path) -> None:
        (tmp_path / "a.json").write_text(
            '{"answers": {"liver_disease": "perhaps", "no_such_item": "yes"}}', encoding="utf-8"
        )
        result = screening("evaluate", "a.json", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.splitlines() == [
            'Error: a.json: liver_disease: answer must be "yes", "no" or "unknown", got "perhaps"',
            "Error: a.json: no_such_item: unknown item id (not in this rule pack)",
        ]

    def test_a_missing_answers_file_is_named(self, tmp_path: Path) -> None:
        result = screening("evaluate", "nope.json", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (1, "Error: nope.json: no such file\n")

    def test_an_answers_file_that_is_not_utf8_is_named_with_its_line(self, tmp_path: Path) -> None:
        (tmp_path / "a.json").write_bytes(b'{\n"answers": "\xff"}')
        result = screening("evaluate", "a.json", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (1, "Error: a.json:2: not UTF-8 text\n")

    def test_an_invalid_pack_is_refused_before_any_output(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "bad", {"items.yaml": "items: [\n"})
        write_answers(tmp_path / "a.json", {})
        result = screening("evaluate", "a.json", "--rules", "bad", cwd=tmp_path)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith(
            "Error: rule pack refused (1 problem(s)):\n  bad/items.yaml:"
        )

    def test_an_unknown_format_is_a_usage_error(self, tmp_path: Path) -> None:
        write_answers(tmp_path / "a.json", {})
        result = screening("evaluate", "a.json", "--format", "xml", cwd=tmp_path)
        assert result.returncode == 2
        assert "Invalid value for '--format'" in result.stderr


def test_an_unexpected_error_is_reported_in_one_line_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(pack_commands, "load_pack", boom)
    result = CliRunner().invoke(cli.cli, ["check"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: unexpected internal error (RuntimeError: simulated bug); nothing was written. "
        "Please report it.\n"
    )


def test_out_into_a_missing_folder_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    write_answers(tmp_path / "a.json", {})
    result = screening("evaluate", "a.json", "--out", "nowhere/c.json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        1,
        "Error: nowhere/c.json: cannot write: No such file or directory\n",
    )


def test_version_is_the_one_the_package_metadata_reads() -> None:
    with (REPOSITORY / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "screening/version.py"
    assert screening("--version").stdout == f"screening, version {__version__}\n"


def test_out_through_a_link_writes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    write_answers(tmp_path / "a.json", {})
    (tmp_path / "target.json").write_text("old", encoding="utf-8")
    (tmp_path / "link.json").symlink_to("target.json")
    result = screening("evaluate", "a.json", "--out", "link.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "target.json").read_text(encoding="utf-8"))["entries"]


def test_an_empty_out_name_is_refused(tmp_path: Path) -> None:
    write_answers(tmp_path / "a.json", {})
    result = screening("evaluate", "a.json", "--out", "", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "Error: --out needs a file name\n")


def test_items_text_marks_the_follow_up_questions() -> None:
    lines = screening("items").stdout.splitlines()
    active = next(line for line in lines if line.startswith("  substance_use_active: "))
    assert active.endswith("(asked only when substance use history is Yes)")
