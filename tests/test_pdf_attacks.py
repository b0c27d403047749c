"""`verify` refuses what it cannot vouch for: each test is one way to make a reader see a
checklist PDF differently from what its pages' text and its record say."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

import pikepdf
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    RectangleObject,
    TextStringObject,
)

from screening import AnswersFile, RulePack, evaluate
from screening.errors import ExportError
from screening.pdf import GENERATOR, RECORD_NAME, checklist_pdf, verify_pdf
from screening.pdf.record import FORMAT_VERSION, RELEASES
from screening.pdf.structure import strict_reading
from screening.pdf.verify import EXIT_NOT_REPRODUCIBLE, EXIT_OK, EXIT_RE_SAVED
from tests.cli_process import run_screening
from tests.conftest import write_pack

ANSWERS = {"history": "yes", "active": "yes", "monitoring": "no"}
ALTERED = ": the file has been altered"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[RulePack, bytes]:
    """A genuine PDF of the mini pack, made once for the module."""
    from screening import load_pack  # noqa: PLC0415 - module-scoped, so no mini_pack fixture
    from tests.conftest import write_pack  # noqa: PLC0415

    pack = load_pack(write_pack(tmp_path_factory.mktemp("mini")))
    answers = AnswersFile(answers=ANSWERS, date="2026-11-30")
    return pack, checklist_pdf(evaluate(pack, answers))


def refusal(pdf: bytes, pack: RulePack) -> list[str]:
    with pytest.raises(ExportError) as caught:
        verify_pdf(pdf, pack, "c.pdf")
    return str(caught.value).splitlines()


def rewritten(
    pdf: bytes, change: Callable[[PdfWriter], object], incremental: bool = False
) -> bytes:
    """The file as pypdf writes it after `change`: whole, or appended as an incremental update."""
    writer = (
        PdfWriter(io.BytesIO(pdf), incremental=True)
        if incremental
        else PdfWriter(clone_from=io.BytesIO(pdf))
    )
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return pdf + out.getvalue()[len(pdf) :] if incremental else out.getvalue()


def with_record(pdf: bytes, text: str) -> bytes:
    """The file with its record replaced by `text`, as is."""

    def replace(writer: PdfWriter) -> None:
        for attachment in writer.attachment_list:
            attachment.content = text.encode()

    return rewritten(pdf, replace)


def stamped(draw: Callable[[FPDF], None]) -> Callable[[PdfWriter], None]:
    """Merge what `draw` paints onto page 1."""
    stamp = FPDF()
    stamp.add_page()
    draw(stamp)
    page = PdfReader(io.BytesIO(bytes(stamp.output()))).pages[0]
    return lambda writer: writer.pages[0].merge_page(page)


def free_text(writer: PdfWriter) -> None:
    writer.add_annotation(0, FreeText(text="Patient is ELIGIBLE", rect=(50, 550, 300, 600)))


class TestStructure:
    """What a reader shows beside the page text: nothing the writer does not write."""

    def test_the_genuine_file_verifies(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made
        assert verify_pdf(pdf, pack, "c.pdf").matches

    def test_an_annotation_added_by_incremental_update_is_refused(
        self, made: tuple[RulePack, bytes]
    ) -> None:
        pack, pdf = made
        assert refusal(rewritten(pdf, free_text, incremental=True), pack)[0] == (
            "c.pdf: the file was changed after it was written (an incremental update)" + ALTERED
        )

    def test_an_annotation_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made
        assert refusal(rewritten(pdf, free_text), pack) == [
            "c.pdf: page 1 carries annotations (notes, stamps or links drawn over the page)"
            + ALTERED
        ]

    def test_document_javascript_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made

        def script(writer: PdfWriter) -> None:
            names = cast(DictionaryObject, writer._root_object["/Names"])
            names[NameObject("/JavaScript")] = DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject("x"), DictionaryObject()])}
            )

        added = rewritten(pdf, script)
        assert "c.pdf: the document's name tree carries JavaScript" + ALTERED in refusal(
            added, pack
        )

    def test_an_open_action_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made

        def open_action(writer: PdfWriter) -> None:
            action = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert('x')"),
                }
            )
            writer._root_object[NameObject("/OpenAction")] = action

        assert refusal(rewritten(pdf, open_action), pack) == [
            "c.pdf: the document carries an action that runs when it is opened" + ALTERED
        ]

    def test_a_page_action_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made

        def page_action(writer: PdfWriter) -> None:
            writer.pages[0][NameObject("/AA")] = DictionaryObject()

        assert refusal(rewritten(pdf, page_action), pack) == [
            "c.pdf: page 1 carries actions that run when the page is opened" + ALTERED
        ]

    def test_an_optional_content_layer_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made

        def layers(writer: PdfWriter) -> None:
            writer._root_object[NameObject("/OCProperties")] = DictionaryObject(
                {NameObject("/OCGs"): ArrayObject()}
            )

        assert refusal(rewritten(pdf, layers), pack) == [
            "c.pdf: the document carries optional-content layers, which a reader can switch off"
            + ALTERED
        ]

    def test_an_extra_attachment_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made
        added = rewritten(pdf, lambda w: w.add_attachment("verdict.txt", b"ELIGIBLE"))
        assert refusal(added, pack) == [
            f"c.pdf: the file holds attachments besides {RECORD_NAME}: verdict.txt" + ALTERED
        ]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda page: page.rotate(90), "page 1 carries a rotation"),
            (
                lambda page: page.__setitem__(
                    NameObject("/CropBox"), RectangleObject((0, 400, 595.28, 841.89))
                ),
                "page 1 carries a crop box",
            ),
            (
                lambda page: page.__setitem__(
                    NameObject("/MediaBox"),
                    ArrayObject(
                        [NumberObject(0), NumberObject(0), FloatObject(595.28), FloatObject(400)]
                    ),
                ),
                "page 1 has another page size than A4",
            ),
        ],
        ids=["rotated", "cropped", "media-box"],
    )
    def test_a_page_box_or_rotation_the_writer_never_uses_is_refused(
        self, made: tuple[RulePack, bytes], change: Callable[[Any], None], message: str
    ) -> None:
        pack, pdf = made
        assert refusal(rewritten(pdf, lambda w: change(w.pages[0])), pack) == [
            f"c.pdf: {message}{ALTERED}"
        ]


class TestPaint:
    """Text made invisible or painted over keeps the page text, but not the page content."""

    @pytest.mark.parametrize(
        "draw",
        [
            lambda pdf: (pdf.set_fill_color(255, 255, 255), pdf.rect(0, 40, 210, 60, style="F")),
            lambda pdf: (
                pdf.set_font("helvetica", size=10),
                pdf.set_text_color(255, 255, 255),
                pdf.text(30, 120, "Eligible"),
            ),
        ],
        ids=["painted-over", "white-text"],
    )
    def test_paint_over_the_page_is_refused(
        self, made: tuple[RulePack, bytes], draw: Callable[[FPDF], None]
    ) -> None:
        pack, pdf = made
        assert refusal(rewritten(pdf, stamped(draw)), pack) == [
            "c.pdf: the file differs from what this program writes for its record, first on "
            "page 1" + ALTERED
        ]


class TestFonts:
    """A font program changed so that a glyph draws as another letter changes what is read."""

    def test_a_changed_embedded_font_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made

        def change_font(writer: PdfWriter) -> None:
            resources: Any = writer.pages[0]["/Resources"].get_object()
            font = next(iter(resources["/Font"].values())).get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = descriptor["/FontFile2"].get_object()
            data = program.get_data()
            program.set_data(data[:-64] + bytes(64))

        assert refusal(rewritten(pdf, change_font), pack) == [
            "c.pdf: the file differs from what this program writes for its record" + ALTERED
        ]


class TestRecord:
    """The embedded record is read strictly: one value per key, each of its own type."""

    def record(self, pdf: bytes) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(PdfReader(io.BytesIO(pdf)).attachments[RECORD_NAME][0])
        return loaded

    def test_a_record_with_a_duplicate_key_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made
        text = json.dumps(self.record(pdf)).replace(
            '"history": "yes"', '"history": "no", "history": "yes"', 1
        )
        assert refusal(with_record(pdf, text), pack) == [
            "c.pdf: the embedded record repeats the key 'history'" + ALTERED
        ]

    @pytest.mark.parametrize(
        "change",
        [
            lambda r: r.update(format_version="2"),
            lambda r: r["checklist"]["entries"][0].update(done="true"),
            lambda r: r["checklist"]["entries"][0].update(done=1),
            lambda r: r["answers"].update(discussed={"substance-history": {"done": 1}}),
            lambda r: r["checklist"]["entries"][0].update(because=[["history", "yes"]]),
        ],
        ids=["version-as-text", "done-as-text", "done-as-number", "mark-as-number", "pairs"],
    )
    def test_a_record_with_a_value_of_the_wrong_type_is_refused(
        self, made: tuple[RulePack, bytes], change: Callable[[dict[str, Any]], None]
    ) -> None:
        pack, pdf = made
        data = self.record(pdf)
        change(data)
        assert refusal(with_record(pdf, json.dumps(data)), pack) == [
            "c.pdf: the embedded checklist record is not readable" + ALTERED
        ]


def exit_of(pdf: bytes, pack: RulePack) -> tuple[int, list[str]]:
    result = verify_pdf(pdf, pack, "c.pdf")
    return result.exit_code(), result.lines()


class TestRelease:
    """The release a record names must be one this program knows, exactly: a name that only
    prints like one would have the file read by its text alone."""

    @pytest.mark.parametrize(
        "generator",
        [
            GENERATOR + "\u200b",
            GENERATOR.replace(" ", "\u00a0"),
            GENERATOR + " ",
            "Screening 0.2.0",
        ],
        ids=["zero-width-space", "no-break-space", "trailing-space", "capital"],
    )
    def test_a_release_name_that_only_prints_like_a_known_one_is_refused(
        self, made: tuple[RulePack, bytes], generator: str
    ) -> None:
        pack, pdf = made
        data = json.loads(PdfReader(io.BytesIO(pdf)).attachments[RECORD_NAME][0])
        data["generator"] = generator
        assert refusal(with_record(pdf, json.dumps(data)), pack) == [
            "c.pdf: the embedded record names a release this program does not know: "
            f"{generator!a} (it knows {', '.join(RELEASES)}, exactly so): it cannot be checked"
        ]

    def test_a_known_release_with_another_format_than_it_writes_is_refused(
        self, made: tuple[RulePack, bytes]
    ) -> None:
        pack, pdf = made
        data = json.loads(PdfReader(io.BytesIO(pdf)).attachments[RECORD_NAME][0])
        data["generator"] = "screening 0.2.0"
        assert refusal(with_record(pdf, json.dumps(data)), pack) == [
            f"c.pdf: the embedded record is format {FORMAT_VERSION}, but screening 0.2.0 "
            "writes format 2" + ALTERED
        ]


class TestStrictReading:
    """What qpdf has to repair, a strict viewer may drop: refused."""

    def test_a_damaged_obj_keyword_is_refused(self, made: tuple[RulePack, bytes]) -> None:
        pack, pdf = made
        at = pdf.index(b" 0 obj", pdf.index(b"/Type /Page\n") - 200)
        damaged = pdf[: at + 5] + b"k" + pdf[at + 6 :]
        lines = refusal(damaged, pack)
        assert lines[0].startswith("c.pdf: qpdf finds the file damaged, as a strict viewer would: ")
        assert all(line.endswith(ALTERED) for line in lines)

    def test_the_genuine_file_is_read_without_repair(self, made: tuple[RulePack, bytes]) -> None:
        assert strict_reading(made[1]) == ([], False)


def resaved_by_pikepdf(**options: Any) -> Callable[[bytes], bytes]:
    def save(pdf: bytes) -> bytes:
        out = io.BytesIO()
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            opened.save(out, **options)
        return out.getvalue()

    return save


def resaved_by_pypdf(pdf: bytes) -> bytes:
    return rewritten(pdf, lambda writer: None)


class TestResaved:
    """A file written again by another program with the same content is re-saved, not
    altered: exit 4, and what was compared is said."""

    @pytest.mark.parametrize(
        "resave",
        [
            resaved_by_pypdf,
            resaved_by_pikepdf(),
            resaved_by_pikepdf(qdf=True),
            resaved_by_pikepdf(linearize=True),
            resaved_by_pikepdf(object_stream_mode=pikepdf.ObjectStreamMode.generate),
        ],
        ids=["pypdf", "pikepdf", "qpdf-qdf", "qpdf-linearize", "object-streams"],
    )
    def test_a_file_re_saved_by_another_program_is_reported_as_re_saved(
        self, made: tuple[RulePack, bytes], resave: Callable[[bytes], bytes]
    ) -> None:
        pack, pdf = made
        again = resave(pdf)
        assert again != pdf
        code, lines = exit_of(again, pack)
        assert code == EXIT_RE_SAVED
        assert lines[0].startswith("RE-SAVED: c.pdf: the checklist matches")
        assert lines[1] == (
            "  re-saved by another program: the pages draw and the record hold exactly what "
            "this program writes for them, in a file written otherwise (not altered)"
        )

    def test_a_re_saved_file_with_paint_over_the_page_is_refused(
        self, made: tuple[RulePack, bytes]
    ) -> None:
        pack, pdf = made

        def white_box(stamp: FPDF) -> None:
            stamp.set_fill_color(255, 255, 255)
            stamp.rect(0, 40, 210, 60, style="F")

        painted = resaved_by_pikepdf(qdf=True)(rewritten(pdf, stamped(white_box)))
        assert refusal(painted, pack)[0].endswith(ALTERED)

    def test_the_genuine_file_exits_0(self, made: tuple[RulePack, bytes]) -> None:
        assert exit_of(made[1], made[0])[0] == EXIT_OK


def nudged(pdf: bytes) -> bytes:
    """The file with one line width on page 1 drawn 0.01 pt wider: what another fpdf2
    release could write, and no reader would see; the text is untouched."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        page = opened.pages[0]
        data = page.Contents.read_bytes()
        assert b"0.57 w" in data
        page.Contents.write(data.replace(b"0.57 w", b"0.58 w", 1))
        out = io.BytesIO()
        opened.save(out)
        return out.getvalue()


class TestLibraries:
    """The record names the libraries that drew the file; a drawing this environment cannot
    reproduce is said to be so, with its own exit code, and never called altered."""

    def test_the_record_names_the_drawing_libraries_installed(
        self, made: tuple[RulePack, bytes]
    ) -> None:
        data = json.loads(PdfReader(io.BytesIO(made[1])).attachments[RECORD_NAME][0])
        assert data["libraries"] == {name: version(name) for name in ("fpdf2", "fonttools")}

    def test_a_drawing_that_differs_where_the_libraries_differ_is_not_reproducible_here(
        self, made: tuple[RulePack, bytes], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pack, pdf = made
        here = {"fpdf2": version("fpdf2"), "fonttools": "99.0.0"}
        monkeypatch.setattr("screening.pdf.record.installed_libraries", lambda: here)
        code, lines = exit_of(nudged(pdf), pack)
        assert code == EXIT_NOT_REPRODUCIBLE
        assert lines[0].startswith("NOT REPRODUCIBLE HERE: c.pdf: the checklist matches")
        assert lines[1] == (
            "  cannot re-draw the pages identically here: fonttools 99.0.0 here, the file names "
            f"{version('fonttools')}; text and record match (the drawing itself is not "
            "checked: verify where those releases are installed)"
        )

    def test_the_same_difference_with_the_same_libraries_is_an_alteration(
        self, made: tuple[RulePack, bytes]
    ) -> None:
        pack, pdf = made
        assert refusal(nudged(pdf), pack) == [
            "c.pdf: the file differs from what this program writes for its record, first on "
            "page 1" + ALTERED
        ]

    def test_text_changed_where_the_libraries_differ_is_still_refused(
        self, made: tuple[RulePack, bytes], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pack, pdf = made
        here = {"fpdf2": "99.0.0", "fonttools": version("fonttools")}
        monkeypatch.setattr("screening.pdf.record.installed_libraries", lambda: here)
        data = json.loads(PdfReader(io.BytesIO(pdf)).attachments[RECORD_NAME][0])
        data["answers"]["clinician"] = "Dr Mallory"
        data["checklist"]["clinician"] = "Dr Mallory"
        with pytest.raises(ExportError):
            verify_pdf(with_record(pdf, json.dumps(data)), pack, "c.pdf")


class TestExitCodes:
    """The command line's exit code for each outcome, as the README's table lists them."""

    @pytest.fixture
    def folder(self, made: tuple[RulePack, bytes], tmp_path: Path) -> Path:
        write_pack(tmp_path / "mini")
        (tmp_path / "c.pdf").write_bytes(made[1])
        (tmp_path / "re-saved.pdf").write_bytes(resaved_by_pikepdf(qdf=True)(made[1]))
        (tmp_path / "altered.pdf").write_bytes(rewritten(made[1], free_text))
        return tmp_path

    @pytest.mark.parametrize(
        ("given", "code"),
        [
            (("c.pdf",), EXIT_OK),
            (("altered.pdf",), 1),
            (("c.pdf", "--no-such-option"), 2),
            (("re-saved.pdf",), EXIT_RE_SAVED),
        ],
        ids=["ok", "altered", "usage", "re-saved"],
    )
    def test_each_outcome_has_its_exit_code(
        self, folder: Path, given: tuple[str, ...], code: int
    ) -> None:
        result = run_screening("verify", *given, "--rules", "mini", cwd=folder)
        assert result.returncode == code, result.stdout + result.stderr
