"""Every format a checklist is exported in, listed once: renderer, media type, file extension.

`screening evaluate --format` offers exactly these, the app's checklist page offers one
download of each, and the tests that guard every export's promises run over them
(tests/test_exports.py). A new format is one renderer taking only the `Checklist` and one
entry here (CONTRIBUTING.md, "Adding an export format").
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from screening.catalogue import N_

if TYPE_CHECKING:
    from collections.abc import Callable

    from screening.models import Checklist


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
    """A download's file name ends in `.extension`."""
    binary: bool
    """Bytes, not text: the command line writes it only to a file (`--out`)."""
    for_people: bool
    """Read by people, so it words what a person must be told (an open point is never read
    as No, a pack not approved); a format for programs carries the same as data."""
    noun: str
    """What the command line calls it in a message: "a PDF is binary" (a word of the catalogue,
    shown with `_`, as `label` and `help` are)."""
    label: str
    """The app's download button."""
    help: str
    """The app's download button's help."""
    icon: str
    """The app's download button's icon (Material Symbols)."""

    def renderer_function(self) -> Callable[[Checklist], str | bytes]:
        module, name = self.renderer.split(":")
        render: Callable[[Checklist], str | bytes] = getattr(import_module(module), name)
        return render

    def render(self, checklist: Checklist) -> str | bytes:
        """The checklist in this format: from the checklist alone."""
        return self.renderer_function()(checklist)


EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        name="json",
        renderer="screening.export:checklist_json",
        media_type="application/json",
        extension="json",
        binary=False,
        for_people=False,
        noun=N_("JSON file"),
        label=N_("Checklist JSON"),
        help=N_("The checklist in the command line's JSON format, with the rule pack's hash."),
        icon=":material/data_object:",
    ),
    ExportFormat(
        name="markdown",
        renderer="screening.export:checklist_markdown",
        media_type="text/markdown",
        extension="md",
        binary=False,
        for_people=True,
        noun=N_("Markdown file"),
        label=N_("Checklist Markdown"),
        help=N_("A readable text version, with reasons and sources."),
        icon=":material/description:",
    ),
    ExportFormat(
        name="pdf",
        renderer="screening.pdf.record:checklist_pdf",
        media_type="application/pdf",
        extension="pdf",
        binary=True,
        for_people=True,
        noun=N_("PDF"),
        label=N_("Download PDF"),
        help=N_(
            "A printable PDF of this checklist; the answers and the checklist are embedded "
            "in it as data, so it can be checked against the rule pack later."
        ),
        icon=":material/picture_as_pdf:",
    ),
)
"""In the order the command line lists them and the app offers them."""


def export_format(name: str) -> ExportFormat:
    """The format with this `--format` name."""
    return next(f for f in EXPORT_FORMATS if f.name == name)
