"""Every format a checklist is exported in, listed once: renderer, media type, file extension.

`screening evaluate --format` offers exactly these, the app's checklist page offers one
download of each, and the tests that guard every export's promises run over them
(tests/test_exports.py). A new format is one renderer taking only the `Checklist` and one
entry here (CONTRIBUTING.md, "Adding an export format").
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

from screening.catalogue import N_

if TYPE_CHECKING:
    from collections.abc import Callable

    from screening.models import Checklist


class File(NamedTuple):
    """What a download of a format is."""

    media_type: str
    extension: str
    """A download's file name ends in `.extension`."""
    binary: bool = False
    """Bytes, not text: the command line writes it only to a file (`--out`)."""


class Words(NamedTuple):
    """How the command line and the app name a format: words of the catalogue, shown with `_`."""

    noun: str
    """What the command line calls it in a message: "a PDF is binary"."""
    label: str
    """The app's download button."""
    icon: str
    """The app's download button's icon (Material Symbols)."""


@dataclass(frozen=True)
class ExportFormat:
    """One export of a checklist, and how the command line and the app offer it."""

    name: str
    """The `--format` value."""
    renderer: str
    """`module:function` taking only the `Checklist`; imported when first used, so the PDF's
    libraries load only when a PDF is made (tests/test_cli_imports.py)."""
    media_type: str
    extension: str
    binary: bool
    noun: str
    label: str
    icon: str
    help: str
    """The app's download button's help."""
    for_people: bool
    """Read by people, so it words what a person must be told (an open point is never read
    as No, a pack not approved); a format for programs carries the same as data."""

    @classmethod
    def of(
        cls,
        name: str,
        renderer: str,
        file: File,
        words: Words,
        help: str,
        *,
        for_people: bool = True,
    ) -> ExportFormat:
        """A format from its parts (`File`, `Words`): an entry of the registry."""
        return cls(name, renderer, *file, *words, help, for_people)

    def renderer_function(self) -> Callable[[Checklist], str | bytes]:
        module, name = self.renderer.split(":")
        render: Callable[[Checklist], str | bytes] = getattr(import_module(module), name)
        return render

    def render(self, checklist: Checklist) -> str | bytes:
        """The checklist in this format: from the checklist alone."""
        return self.renderer_function()(checklist)


EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat.of(
        "json",
        "screening.export:checklist_json",
        File("application/json", "json"),
        Words(N_("JSON file"), N_("Checklist JSON"), ":material/data_object:"),
        N_("The checklist in the command line's JSON format, with the rule pack's hash."),
        for_people=False,
    ),
    ExportFormat.of(
        "markdown",
        "screening.export:checklist_markdown",
        File("text/markdown", "md"),
        Words(N_("Markdown file"), N_("Checklist Markdown"), ":material/description:"),
        N_("A readable text version, with reasons and sources."),
    ),
    ExportFormat.of(
        "pdf",
        "screening.pdf.record:checklist_pdf",
        File("application/pdf", "pdf", binary=True),
        Words(N_("PDF"), N_("Download PDF"), ":material/picture_as_pdf:"),
        N_(
            "A printable PDF of this checklist; the answers and the checklist are embedded "
            "in it as data, so it can be checked against the rule pack later."
        ),
    ),
)
"""In the order the command line lists them and the app offers them."""


def export_format(name: str) -> ExportFormat:
    """The format with this `--format` name."""
    return next(f for f in EXPORT_FORMATS if f.name == name)
