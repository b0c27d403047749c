"""The core's problem messages and click's frame of a usage error, in the pseudo-locale.

A problem is made once and may be shown in any language: its message keeps its template and
values (`screening.catalogue.Said`) and is worded when it is shown. Each test renders one kind
of refusal in en-XA and fails on any English word of ours left (`english_left`, from
tests/test_pseudo_locale.py); what a refusal quotes (ids, file names, the values given, a
parser's own words) is the user's or the library's, and is taken out first. In English, every
text stays what it was, byte for byte.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import ClassVar, get_args

import click
import pytest
from click.testing import CliRunner, Result
from pypdf import PdfWriter

from screening import cli
from screening.catalogue import PSEUDO_LANGUAGE, speaking
from screening.cli import shell
from screening.engine import evaluate
from screening.errors import ExportError, PackError, Problem, problem_lines
from screening.fhir.response import READABLE_STATUSES
from screening.models import AnswersFile, Kind, RulePack, Status
from screening.pack.loader import load_pack
from screening.pdf import checklist_pdf
from screening.pdf.record import FORMAT_VERSION, RELEASES
from screening.pdf.verify import verify_pdf
from tests.conftest import MINI_PACK, write_pack
from tests.test_pseudo_locale import EXAMPLE, english_left, pack_strings, read_checklist

_NAMES = re.compile(r"[A-Za-z_][\w.\-]*")


def run(*args: str | Path, lang: str = PSEUDO_LANGUAGE) -> Result:
    """A command run in `lang`, its `--lang` given right after the command's name."""
    words = [str(a) for a in args]
    at = 2 if words[0] in ("fhir", "cds") else 1
    return CliRunner().invoke(cli.cli, [*words[:at], "--lang", lang, *words[at:]])


def as_is(*groups: list[str] | tuple[str, ...]) -> list[str]:
    """Strings a refusal quotes as they are (ids, names, values), as `english_left` takes
    them: without the spaces a view may wrap at, longest first."""
    found = {re.sub(r"[\s\\]", "", s) for group in groups for s in group}
    return sorted(filter(None, found), key=len, reverse=True)


def written(files: dict[str, str]) -> list[str]:
    """What a pack's files say as their author wrote them (keys, ids, values, file names): a
    refusal quotes these as they are."""
    found = {name for text in files.values() for name in _NAMES.findall(text)}
    return [*(n for n in found if len(n) >= 4), *files]


def broken_pack(tmp_path: Path, name: str, changes: dict[str, tuple[str, str]]) -> Path:
    """The mini pack with, in each named file, one text replaced by another."""
    files = {
        f: MINI_PACK[f].replace(*changes[f]) if f in changes else MINI_PACK[f] for f in MINI_PACK
    }
    for f, (old, _new) in changes.items():
        assert old in MINI_PACK[f], f"{old!r} is not in {f}"
    return write_pack(tmp_path / name, files)


SCHEMA_MISTAKES = {
    "pack.yaml": ("status: draft", "status: bogus"),
    "items.yaml": (
        '    help: "Count any diagnosis, past or present."\n    sources: [src-a]\n',
        "    colour: red\n    sources: []\n",
    ),
    "sources.yaml": (
        'citation: "Author B. Another study. J Test. 2021;2:3-4."',
        "citation: [1, 2]",
    ),
    "rules-main.yaml": ('summary: "Arrange monitoring"', f'summary: "Arrange {"1" * 120}"'),
}
"""A pack refused by its schema: a value not among the choices, a field missing, an unknown
field, a list too short, a list where text goes, a summary too long (our own validator)."""

CROSS_MISTAKES = {
    "rules-main.yaml": (
        "    sources: [src-b]\n",
        "    sources: [src-z]\n    when_also: 1\n",
    ),
    "items.yaml": ("asked_if: {item: history", "asked_if: {item: nowhere"),
    "sources.yaml": ("id: src-b", "id: src-a"),
}
"""A pack whose files each read, refused by the checks across them: an unknown source, an
unknown item in a condition, an id used twice (and an unknown field, found first)."""


class TestABrokenPackIsRefusedInThePseudoLocale:
    """YAML syntax, schema and cross-check problems: each worded in en-XA."""

    def test_yaml_syntax_the_reader_s_own_words_aside(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "pack", {"items.yaml": "items: ["})
        english, pseudo_run = (
            run("check", "--rules", folder, lang="en"),
            run("check", "--rules", folder),
        )
        assert [english.exit_code, pseudo_run.exit_code] == [1, 1]
        reader_said = english.stderr.split("YAML syntax: ", 1)[1].strip()  # ruamel.yaml's words
        assert "YAML syntax" not in pseudo_run.stderr
        allowed = as_is([reader_said, str(folder)], written(MINI_PACK))
        assert english_left(pseudo_run.stderr, allowed) == [], pseudo_run.stderr

    @pytest.mark.parametrize("mistakes", [SCHEMA_MISTAKES, CROSS_MISTAKES], ids=["schema", "cross"])
    def test_schema_and_cross_check_problems(
        self, tmp_path: Path, mistakes: dict[str, tuple[str, str]]
    ) -> None:
        folder = broken_pack(tmp_path, "pack", mistakes)
        result = run("check", "--rules", folder)
        assert result.exit_code == 1
        problems = result.stderr.splitlines()[1:]
        assert len(problems) >= 3, result.stderr
        files = {f: (folder / f).read_text(encoding="utf-8") for f in MINI_PACK}
        allowed = as_is([str(folder)], written(files), get_args(Status), get_args(Kind))
        assert english_left(result.stderr, allowed) == [], result.stderr

    def test_the_same_problems_in_english_are_as_they_were(self, tmp_path: Path) -> None:
        folder = broken_pack(tmp_path, "pack", SCHEMA_MISTAKES)
        lines = run("check", "--rules", folder, lang="en").stderr.splitlines()
        assert lines[0] == "Error: rule pack refused (6 problem(s)):"
        assert (
            f"  {folder}/pack.yaml:4: pack.status: Input should be 'draft', 'in_review', "
            "'approved' or 'retired' (got 'bogus')" in lines
        )
        assert f"  {folder}/items.yaml:2: history: items.help: required field is missing" in lines
        assert f"  {folder}/items.yaml:6: history: items.colour: unknown field" in lines
        assert any(
            line.endswith(
                "items.sources: List should have at least 1 item after validation, not 0 (got [])"
            )
            for line in lines
        ), lines


class TestABadAnswersFileIsRefusedInThePseudoLocale:
    """Bad values, unknown ids and fields, a bad date, a bad mark: each worded in en-XA."""

    BAD: ClassVar[dict[str, object]] = {
        "answers": {"course_planned": "maybe", "nowhere": "yes"},
        "colour": 1,
        "date": "2026-13-01",
        "clinician": 5,
        "discussed": {"x": {"done": "yes"}},
    }

    def test_evaluate_refuses_it_in_en_xa(self, tmp_path: Path, shipped_pack: RulePack) -> None:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(self.BAD), encoding="utf-8")
        result = run("evaluate", path)
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 6, result.stderr
        # What the file holds, and the names its format gives fields and answers
        given = [str(path), '"maybe"', "nowhere", "colour", '"2026-13-01"', '"yes"']
        codes = ['"yes"', '"no"', '"unknown"']  # the answers as a file writes them
        fields = ["answers", "patient_reference", "clinician", "date", "discussed", "done"]
        allowed = as_is(pack_strings(shipped_pack, AnswersFile()), given, codes, fields)
        assert english_left(result.stderr, allowed) == [], result.stderr

    def test_a_file_that_reads_but_does_not_fit_the_pack(
        self, tmp_path: Path, shipped_pack: RulePack
    ) -> None:
        """Checked against the pack once it reads: an unknown id, a mark on no rule."""
        path = tmp_path / "other.json"
        marks = {"nope": {"done": True}}
        path.write_text(json.dumps({"answers": {"nowhere": "yes"}, "discussed": marks}))
        result = run("evaluate", path)
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 2, result.stderr
        given = [str(path), "nowhere", "discussed.nope"]
        allowed = as_is(pack_strings(shipped_pack, AnswersFile()), given)
        assert english_left(result.stderr, allowed) == [], result.stderr

    @pytest.mark.parametrize("text", ["{", '{"answers": {"a" "yes"}}', '{"a": 1} x', '"\\q"'])
    def test_a_file_that_is_not_json_the_parser_s_reason_ours_too(
        self, tmp_path: Path, text: str
    ) -> None:
        path = tmp_path / "broken.json"
        path.write_text(text, encoding="utf-8")
        english, pseudo_run = run("evaluate", path, lang="en"), run("evaluate", path)
        assert english.stderr.startswith(f"Error: {path}:1: not valid JSON: ")
        assert english_left(pseudo_run.stderr, as_is([str(path)])) == [], pseudo_run.stderr

    def test_in_english_the_lines_are_as_they_were(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(self.BAD), encoding="utf-8")
        lines = run("evaluate", path, lang="en").stderr.splitlines()
        assert lines == [
            f'Error: {path}: course_planned: answer must be "yes", "no" or "unknown", got "maybe"',
            f"Error: {path}: clinician: Input should be a valid string",
            f"Error: {path}: date: must be a calendar date from 1900 on, written YYYY-MM-DD, got "
            '"2026-13-01"',
            f'Error: {path}: discussed.x.done: must be true or false, got "yes"',
            f"Error: {path}: colour: unknown field (expected answers, patient_reference, "
            "clinician, date, discussed)",
            f"Error: {path}: nowhere: unknown item id (not in this rule pack)",
        ]


class TestVerifyRefusesInThePseudoLocale:
    """A file that is not a PDF, a PDF without a record, a record that was changed."""

    def test_three_refused_files(self, tmp_path: Path, shipped_pack: RulePack) -> None:
        not_pdf = tmp_path / "notes.pdf"
        not_pdf.write_text("hello", encoding="utf-8")
        blank = tmp_path / "blank.pdf"
        writer = PdfWriter()
        writer.add_blank_page(595.28, 841.89)
        writer.write(blank)
        changed = tmp_path / "changed.pdf"
        changed.write_bytes(_with_record(checklist_pdf(read_checklist(EXAMPLE)), b"{"))
        said = [run("verify", f) for f in (not_pdf, blank, changed)]
        assert [r.exit_code for r in said] == [1, 1, 1]
        assert [len(r.stderr.splitlines()) for r in said] == [1, 1, 1]
        names = [str(f) for f in (not_pdf, blank, changed)]
        command = "`screening evaluate --format pdf`"  # the command, as typed
        record = "screening-record.json"
        allowed = as_is(pack_strings(shipped_pack, AnswersFile()), names, [command, record])
        for result in said:
            assert english_left(result.stderr, allowed) == [], result.stderr

    def test_in_english_they_are_as_they_were(self, tmp_path: Path) -> None:
        not_pdf = tmp_path / "notes.pdf"
        not_pdf.write_text("hello", encoding="utf-8")
        changed = tmp_path / "changed.pdf"
        changed.write_bytes(_with_record(checklist_pdf(read_checklist(EXAMPLE)), b"{"))
        assert run("verify", not_pdf, lang="en").stderr == f"Error: {not_pdf}: not a PDF file\n"
        assert run("verify", changed, lang="en").stderr == (
            f"Error: {changed}: the embedded checklist record is not readable: the file has "
            "been altered\n"
        )


def _with_record(pdf: bytes, record: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    for attachment in writer.attachment_list:
        attachment.content = record
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


MINI_ROWS = "record_id,history,active,monitoring,colour\np1,maybe,,,x\np2,no,yes,,\np3,yes,no,no,\n"
"""Answer sets for the mini pack: a bad value and an unknown column's value (row 1), and an
answer to a question its parent's No hides (row 2)."""


class TestARefusedTableRowInThePseudoLocale:
    """`batch` says why each row was refused, on stderr and in the problems file, in en-XA."""

    def test_batch_and_its_problems_file(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "mini")
        table = tmp_path / "past.csv"
        table.write_text(MINI_ROWS, encoding="utf-8")
        out = tmp_path / "results.csv"
        result = run("batch", table, "--rules", folder, "--out", out)
        assert result.exit_code == 1
        problems = out.with_name("results.problems.csv").read_text(encoding="utf-8")
        reasons = [line.split(",", 3)[3] for line in problems.splitlines()[1:]]
        assert len(reasons) == 3, problems
        pack = load_pack(folder)
        given = [str(table), str(out), str(out.with_name("results.problems.csv")), str(folder)]
        cells = ["record_id", "history", "active", "monitoring", "colour", "maybe", "'yes'"]
        codes = ['"yes"', '"no"', '"unknown"']  # the answers as a table writes them
        allowed = as_is(pack_strings(pack, AnswersFile()), given, cells, codes, [pack.sha256])
        assert english_left(result.stdout + result.stderr, allowed) == [], result.stderr
        assert english_left("\n".join(reasons), allowed) == [], reasons

    def test_in_english_the_reasons_are_as_they_were(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "mini")
        table = tmp_path / "past.csv"
        table.write_text(MINI_ROWS, encoding="utf-8")
        out = tmp_path / "r.csv"
        result = run("batch", table, "--rules", folder, "--out", out, lang="en")
        assert result.exit_code == 1
        assert out.with_name("r.problems.csv").read_text(encoding="utf-8").splitlines() == [
            "row,column,value,reason",
            '1,history,maybe,"answer must be ""yes"", ""no"" or ""unknown"" (lower case), or '
            'blank"',
            "1,colour,x,unknown column: not an item of this rule pack",
            '2,active,yes,"answered, but not asked given the other answers: it is asked only '
            'when substance use history is Yes"',
        ]


class TestAProblemIsWordedWhenShown:
    """A problem made during a render in one language is shown in the language of the render
    that shows it; the error's own text stays English, as it always was."""

    def test_made_in_en_xa_shown_in_english_and_the_other_way(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path / "pack", {"items.yaml": "items: ["})
        with speaking(PSEUDO_LANGUAGE), pytest.raises(PackError) as made_in_pseudo:
            load_pack(folder)
        with pytest.raises(PackError) as made_in_english:
            load_pack(folder)
        for refused in (made_in_pseudo.value, made_in_english.value):
            assert str(refused) == str(made_in_english.value)
            assert "YAML syntax" in str(refused)
            with speaking(PSEUDO_LANGUAGE):
                assert "YAML syntax" not in "\n".join(problem_lines(refused.problems))


class TestTheMoreProblemsLine:
    """The line after the problems shown counts the others, in the language of the render."""

    def test_it_is_worded_when_shown_not_when_made(self) -> None:
        problems = [Problem("f", "x") for _ in range(3)]
        english = problem_lines(problems, limit=1)
        with speaking(PSEUDO_LANGUAGE):
            pseudo_lines = problem_lines(problems, limit=1)
        assert english[-1] == "... and 2 more problem(s)"
        assert english_left(pseudo_lines[-1], []) == [], pseudo_lines


USAGE_ERRORS = [
    ("evaluate", "--bogus"),  # no such option, one close match
    ("evaluate", "--formt"),  # no such option, two close matches
    ("evaluate",),  # a missing argument
    ("evaluate", "{answers}", "--format", "bogus"),  # not one of the choices
    ("evaluate", "{answers}", "extra"),  # an argument too many
    ("evaluate", "{answers}", "--out"),  # an option without its value
    ("fhir", "nope"),  # no such command
    ("batch", "{answers}", "--engine", "spark"),  # a choice of a lazily loaded command
]


class TestUsageErrorsInThePseudoLocale:
    """click's frame of a usage error (Usage:, Try ... for help., Error:) and its messages are
    shown in the command's language, exit 2; in English, as click prints them."""

    @pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
    def test_no_english_word_is_left(self, args: tuple[str, ...]) -> None:
        typed = [a.format(answers=EXAMPLE) for a in args]
        result = run(*typed)
        assert result.exit_code == 2
        # What the user typed, and the command line's own names (commands, options, metavars)
        names = [str(EXAMPLE), "cli", *_command_names(typed), "ANSWERS.json", "ANSWERS"]
        allowed = as_is(names, typed)
        assert english_left(result.stderr, allowed) == [], result.stderr

    @pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
    def test_in_english_it_is_click_s_own_text(
        self, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        typed = [a.format(answers=EXAMPLE) for a in args]
        ours = run(*typed, lang="en")
        monkeypatch.setattr(shell, "usage_error_text", _clicks_own)
        clicks = run(*typed, lang="en")
        assert ours.exit_code == clicks.exit_code == 2
        assert ours.stderr == clicks.stderr

    def test_a_usage_error_before_lang_is_read_is_in_its_language(self) -> None:
        """An unknown option stops click's parsing before `--lang` is read: the shell takes
        the language from the command line as typed."""
        result = CliRunner().invoke(cli.cli, ["evaluate", "--bogus", "--lang", PSEUDO_LANGUAGE])
        assert result.exit_code == 2
        assert "No such option" not in result.stderr
        assert "Usage:" not in result.stderr


def _clicks_own(exc: click.UsageError) -> str:
    """What click itself prints for `exc`."""
    out = io.StringIO()
    exc.show(file=out)
    return out.getvalue().removesuffix("\n")


def _command_names(typed: list[str]) -> list[str]:
    """The commands and options of the command typed, as its usage line and hints name them."""
    group: click.Command = cli.cli
    names = []
    for word in typed:
        if isinstance(group, click.Group) and (
            found := group.get_command(click.Context(group), word)
        ):
            names.append(word)
            group = found
    options = [o for p in group.params for o in getattr(p, "opts", [])]
    choices = [c for p in group.params for c in getattr(p.type, "choices", [])]
    return [*names, *options, *choices, "--help"]


class TestMoreRefusalsInThePseudoLocale:
    """A QuestionnaireResponse refused, a CDS configuration refused, and pages that differ from
    their record: each made once and worded in the language it is shown in."""

    def test_a_questionnaire_response_refused(self, tmp_path: Path, shipped_pack: RulePack) -> None:
        response = {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": "https://x.org/Questionnaire/other|9",
            "status": "draft",
            "item": [
                {"linkId": "course_planned", "answer": [{"valueCoding": {"code": "maybe"}}]},
                {"linkId": "course_planned"},
            ],
        }
        path = tmp_path / "response.json"
        path.write_text(json.dumps(response), encoding="utf-8")
        result = run("evaluate", path)
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) >= 2, result.stderr
        given = [str(path), '{"code": "maybe"}', "course_planned", "status", "item[1]"]
        names = [  # the FHIR names and codes a refusal quotes as they are written
            ", ".join(READABLE_STATUSES),
            *(f"{word} (LA{code})" for word, code in [("Yes", "33-6"), ("No", "32-8")]),
            "Unknown (LA4489-6)",
        ]
        allowed = as_is(pack_strings(shipped_pack, AnswersFile()), given, names)
        assert english_left(result.stderr, allowed) == [], result.stderr

    def test_a_cds_configuration_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import uvicorn  # noqa: PLC0415 - the server the command would start

        monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
        config = tmp_path / "config.json"
        settings = {"colour": 1, "feedback_per_call": 0, "issuers": {"ftp://x": {}}}
        config.write_text(json.dumps(settings), encoding="utf-8")
        result = run("cds", "serve", "--config", config)
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 3, result.stderr
        keys = ["colour", "feedback_per_call", "issuers.ftp://x", "issuers", "audience"]
        allowed = as_is([str(config), *keys, "allowed_hosts", "allowed_origins"], _config_keys())
        assert english_left(result.stderr, allowed) == [], result.stderr

    def test_pages_that_differ_from_their_record(
        self, monkeypatch: pytest.MonkeyPatch, mini_pack: RulePack
    ) -> None:
        """A tick drawn that the record lacks: the refusal names the parts of the pages that
        differ, each part's name worded when the refusal is shown."""
        from tests.test_pdf import ALL_RAISED, MARKS, OLDER, assemble  # noqa: PLC0415

        monkeypatch.setitem(RELEASES, OLDER, FORMAT_VERSION)
        plain = AnswersFile.model_validate({"answers": ALL_RAISED})
        ticked = AnswersFile.model_validate({"answers": ALL_RAISED, "discussed": MARKS})
        pdf = assemble(
            plain, evaluate(mini_pack, plain), drawn=(ticked, evaluate(mini_pack, ticked))
        )
        with pytest.raises(ExportError) as refused:
            verify_pdf(pdf, mini_pack, "c.pdf")
        english = problem_lines(refused.value.problems)
        with speaking(PSEUDO_LANGUAGE):
            pseudo_lines = problem_lines(refused.value.problems)
        assert english[0].startswith("c.pdf: the kind of entry substance-history on the pages")
        assert len(pseudo_lines) == len(english) >= 2
        allowed = as_is(pack_strings(mini_pack, AnswersFile()), ["c.pdf"])
        assert english_left("\n".join(pseudo_lines), allowed) == [], pseudo_lines


def _config_keys() -> list[str]:
    from screening.cds.config import KNOWN_KEYS  # noqa: PLC0415

    return list(KNOWN_KEYS)
