"""What `verify` found about a checklist PDF, and how it says so: the lines it prints and
the exit code (listed in the README's "What verify proves"); made by `screening.pdf.verify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from screening.catalogue import _, worded
from screening.models import CURRENT_PACK_SCHEMA, PackSchema, RuleSetRef
from screening.pdf import record as records
from screening.pdf.record import listed, shown
from screening.pdf.signing import SignatureReport

Drawing = Literal["same", "re-saved", "not-reproducible", "by-text"]
"""How the pages were checked. "same": rendered again from the record, the file is what this
program writes (fonts compared by the glyphs they draw, not by the subsetter's bytes).
"re-saved": the same drawing and record, written by another program (pypdf, pikepdf,
qpdf). "not-reproducible": this release's file, but a drawing library here is another
release than the one that drew it and the drawing differs, so its text was read instead.
"by-text": another release's file, read by its text against its format's page contract."""

EXIT_OK = 0
EXIT_REFUSED = 1
"""Altered, damaged, another pack or another checklist, a release not known, a signature
that does not hold: what the result or the refusal says."""
EXIT_OLDER_RELEASE = 3
EXIT_RE_SAVED = 4
EXIT_NOT_REPRODUCIBLE = 5
EXIT_UNTRUSTED_SIGNER = 6
"""The exit codes of `verify`, one per outcome (2 is the command line's usage error)."""


@dataclass(frozen=True)
class VerifyResult:
    """Whether re-evaluating a PDF's embedded answers with the current pack gives its checklist.

    Only made once the pages have been checked against the record. Rule ids list how today's
    checklist differs from the one in the file: `changed` where an entry's decision differs
    (see `_decision`), `reworded` where only its wording does. `same_checklist` holds when
    every decision, the items not assessed, the disclaimer and the patient details are the
    same. `unchecked` names what the pages show that could not be checked; `drawing` how the
    pages were checked; `libraries` the drawing libraries that differ here from the file's.
    """

    source: str
    produced_by: RuleSetRef
    current: RuleSetRef
    same_checklist: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    reworded: tuple[str, ...] = ()
    answers_problem: str | None = None
    other_disclaimer: bool = False
    rerendered: bool = False
    made_by: str = ""
    unchecked: tuple[str, ...] = ()
    pack_schema: PackSchema = CURRENT_PACK_SCHEMA
    drawing: Drawing = "same"
    libraries: tuple[str, ...] = ()
    signature: SignatureReport | None = None

    @property
    def matches(self) -> bool:
        """Same pack, same checklist, pages all checked: the record is what these rules make
        of these answers (how the drawing was checked is `drawing`)."""
        return (
            self.produced_by.sha256 == self.current.sha256
            and self.same_checklist
            and not self.unchecked
            and not (self.rerendered and self.reworded)
        )

    def exit_code(self, accept_older: bool = False) -> int:
        """The command line's exit code: 0 only when the checklist matches and the drawing
        was checked (or, with `accept_older`, read by its text for another release's file)."""
        if not self.matches:
            return EXIT_REFUSED
        if self.drawing == "not-reproducible":
            return EXIT_NOT_REPRODUCIBLE
        if self.drawing == "re-saved":
            return EXIT_RE_SAVED
        if self.drawing == "by-text" and not accept_older:
            return EXIT_OLDER_RELEASE
        if self.signature is not None and self.signature.trusted is False:
            return EXIT_UNTRUSTED_SIGNER
        return EXIT_OK

    def lines(self) -> list[str]:
        """The result in words, for the command line and the app."""
        made = _pack_words(self.produced_by)
        signed = self.signature.lines() if self.signature is not None else []
        if self.matches:
            ok = [self._ok_heading(made), *self._drawing_lines()]
            return ok + signed + self._schema_lines() + self._reworded_lines()
        lines, now = self._heading(made)
        if self.answers_problem is not None:
            lines.append(
                _("  the embedded answers do not fit {pack}: {problem}").format(
                    pack=now, problem=self.answers_problem
                )
            )
        elif self.same_checklist:
            lines.append(
                _("  re-evaluated with {pack}, the checklist is the same.").format(pack=now)
            )
        else:
            lines.append(_("  re-evaluated with {pack}, the checklist differs:").format(pack=now))
            lines += self._differences()
        if self.drawing != "by-text":  # the heading names the release that made it
            lines += self._drawing_lines()
        lines += signed + self._schema_lines() + self._reworded_lines()
        lines.extend(
            _("  not checked: {what}").format(what=worded(what)) for what in self.unchecked
        )
        return lines

    def _ok_heading(self, made: str) -> str:
        checklist = _(
            "the checklist matches: re-evaluating the embedded answers with {pack} gives the "
            "same checklist."
        ).format(pack=made)
        heading = {
            "same": _("OK: {file}: {checklist}"),
            "re-saved": _("RE-SAVED: {file}: {checklist}"),
            "not-reproducible": _("NOT REPRODUCIBLE HERE: {file}: {checklist}"),
            "by-text": _("OLDER RELEASE: {file}: {checklist}"),
        }[self.drawing]
        return heading.format(file=self.source, checklist=checklist)

    def _drawing_lines(self) -> list[str]:
        """How the pages were checked, when not by drawing them again exactly."""
        if self.drawing == "same":
            return []
        if self.drawing == "re-saved":
            return [
                _(
                    "  re-saved by another program: the pages draw and the record hold exactly "
                    "what this program writes for them, in a file written otherwise (not altered)"
                )
            ]
        if self.drawing == "not-reproducible":
            return [
                _(
                    "  cannot re-draw the pages identically here: {libraries}; text and record "
                    "match (the drawing itself is not checked: verify where those releases are "
                    "installed)"
                ).format(libraries="; ".join(self.libraries))
            ]
        release = shown(self.made_by).removeprefix("screening ")
        return [
            _(
                "  text and record match; the page drawing of a {release} file cannot be checked "
                "by this release ({generator}): paint over the text would not show here"
            ).format(release=release, generator=records.GENERATOR)
        ]

    def _differences(self) -> list[str]:
        lines = [
            f"    {what}: {', '.join(ids)}"
            for what, ids in (
                (_("new entries"), self.added),
                (_("entries gone"), self.removed),
                (_("entries changed"), self.changed),
            )
            if ids
        ]
        if self.other_disclaimer:
            lines.append(_("    the disclaimer is not this program's"))
        elif not (self.added or self.removed or self.changed):
            lines.append(_("    the items not assessed or the patient details differ"))
        return lines

    def _heading(self, made: str) -> tuple[list[str], str]:
        """What differs, first; and what the answers were re-evaluated with."""
        if self.produced_by.sha256 != self.current.sha256:
            return [
                _("{file}: the rule pack has changed since this PDF was made.").format(
                    file=self.source
                ),
                _("  made with: {pack}").format(pack=made),
                _("  current:   {pack}").format(pack=_pack_words(self.current)),
            ], _("the current pack")
        if not self.same_checklist:
            return [
                _(
                    "{file}: the rule pack is the same, but the program is not: made by "
                    "{made_by}, re-evaluated by {generator}."
                ).format(
                    file=self.source, made_by=shown(self.made_by), generator=records.GENERATOR
                ),
                _("  rule pack: {pack}").format(pack=made),
            ], _("this program")
        if self.rerendered:
            return [
                _(
                    "{file}: the rule pack and the program's version are the same, but the "
                    "record words entries otherwise than this program does."
                ).format(file=self.source)
            ], _("the current pack")
        return [_("{file}: parts of the pages could not be checked.").format(file=self.source)], _(
            "the current pack"
        )

    def _schema_lines(self) -> list[str]:
        if self.pack_schema == CURRENT_PACK_SCHEMA:
            return []
        return [
            _(
                "  the rule pack was read by pack schema {schema}, as screening 0.1.0 and 0.2.0 "
                "read packs: its rules have no summaries"
            ).format(schema=self.pack_schema)
        ]

    def _reworded_lines(self) -> list[str]:
        if not self.reworded:
            return []
        return [
            _(
                "  same points, worded differently today (text, rationale or citations): {rules}"
            ).format(rules=listed([shown(r) for r in self.reworded]))
        ]


def _pack_words(rs: RuleSetRef) -> str:
    return _("{name} {version} (sha256 {sha256})").format(
        name=shown(rs.name), version=shown(rs.version), sha256=shown(rs.sha256)
    )
