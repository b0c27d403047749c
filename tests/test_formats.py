"""The export registry's public face: the `--format` choices, each download's media type and
file suffix, which formats are binary and which are for people, in the order they are offered."""

from __future__ import annotations

from screening.formats import EXPORT_FORMATS, export_format
from tests.conftest import screening

PUBLIC = [
    ("json", "application/json", "json", False, False, "JSON file"),
    ("markdown", "text/markdown", "md", False, True, "Markdown file"),
    ("pdf", "application/pdf", "pdf", True, True, "PDF"),
]
"""name, media type, extension, binary, for people, the noun a message calls it."""


class TestRegistry:
    """Each format keeps its name, media type, suffix, kind and words, in the registry's order."""

    def test_the_formats_are_json_markdown_and_pdf_with_their_media_types_and_suffixes(
        self,
    ) -> None:
        assert [
            (f.name, f.media_type, f.extension, f.binary, f.for_people, f.noun)
            for f in EXPORT_FORMATS
        ] == PUBLIC

    def test_each_format_offers_its_button_words_and_icon(self) -> None:
        assert [(f.label, f.icon) for f in EXPORT_FORMATS] == [
            ("Checklist JSON", ":material/data_object:"),
            ("Checklist Markdown", ":material/description:"),
            ("Download PDF", ":material/picture_as_pdf:"),
        ]
        assert export_format("markdown").help == (
            "A readable text version, with reasons and sources."
        )

    def test_each_renderer_is_the_function_it_names(self) -> None:
        assert [f.renderer_function().__name__ for f in EXPORT_FORMATS] == [
            "checklist_json",
            "checklist_markdown",
            "checklist_pdf",
        ]


class TestCommandLine:
    """`evaluate --format` offers the registry's names, and refuses a binary one without a file."""

    def test_evaluate_offers_exactly_the_registry_s_formats(self) -> None:
        result = screening("evaluate", "--help")
        assert "[json|markdown|pdf]" in result.stdout

    def test_a_pdf_without_out_is_refused_with_its_suffix_and_noun(self) -> None:
        result = screening("evaluate", "missing.json", "--format", "pdf")
        assert result.returncode == 1
        assert "--format pdf needs --out FILE.pdf: a PDF is binary" in result.stderr
