"""`verify` refuses what it cannot vouch for: each test is one way to make a reader see a
checklist PDF differently from what its pages' text and its record say."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any, cast

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
from screening.pdf import RECORD_NAME, checklist_pdf, verify_pdf

ANSWERS = {"history": "yes", "active": "yes", "monitoring": "no"}
ALTERED = ": the file has been altered"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[RulePack, bytes]:
    """A genuine PDF of the mini pack, made once for the module."""
    from screening import load_pack  # noqa: PLC0415 - module-scoped, so no mini_pack fixture
    from tests.conftest import write_pack  # noqa: PLC0415

    pack = load_pack(write_pack(tmp_path_factory.mktemp("mini")))
    answers = AnswersFile(answers=ANSWERS, date="2026-11-30")
    return pack, checklist_pdf(pack, answers, evaluate(pack, answers))


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
