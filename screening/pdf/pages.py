"""Reading a checklist PDF's pages by their text, against the page contract of its format.

Used for a file this release did not make (another release, or another pack): such a file
cannot be rendered again, so its pages' text is read back and compared, part by part, with
what its format's contract (`contract.CONTRACTS`) prints for its record. The comparison
allows only what text extraction and the writer's fitting change: layout (spaces and line
breaks are folded away), right-to-left runs that pypdf gives back reordered, a character
the fonts lacked printed as U+FFFD, and a line shortened with an ellipsis. After a
difference the reading goes on from the next part it can find, so that one refusal lists
every part that differs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from screening.catalogue import N_, Said, _
from screening.errors import ExportError, Problem
from screening.models import Checklist, RulePack
from screening.pdf.contract import (
    ANSWERS_HEADING,
    CHECKLIST_HEADING,
    CONTRACTS,
    DETAILS_NOTE,
    FOOTER_TEXT,
    REPLACEMENT,
    PageContract,
    draft_band,
    running_head,
    section_blocks,
    spoken,
)
from screening.pdf.expected import Part, expected_parts, fold
from screening.pdf.record import PdfRecord, altered, listed, shown

_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
"""Where pypdf reverses text, with the neutral marks after it; see also `_reordered`."""


_RUNS = re.compile(r"[A-Za-z]|[^A-Za-z]+")
"""Latin letters, and the runs between them; extraction reorders text only within a run."""


def _rule_ids() -> re.Pattern[str]:
    """An entry's last line, "Rule <id> · Sources: ...", as `fold` leaves it, in the language
    of the pages."""
    line = re.escape(fold(_("Rule {rule} · Sources: {sources}")))
    rule = line.replace(r"\{rule\}", "([a-z][a-z0-9_-]*)")
    return re.compile(rule[: rule.index(r"\{sources\}")])


_MOST_PROBLEMS = 12
"""Differences listed one per line before the rest are counted in one."""


_DIFFERS = N_("{what} on the pages differs from the embedded record")
_BAND_DIFFERS = N_("{what} differs from the embedded record")
_CANNOT_FIND = N_("cannot find {what} on the pages")


UNCHECKED_WITHOUT_PACK = Said(
    N_(
        "the item names and answers printed on the pages, and the references: checking them "
        "needs the rule pack that made this PDF ({command})"
    ),
    command="verify FILE.pdf --rules ITS_FOLDER",
)


def _agrees(printed: str, expected: str) -> bool:
    """Whether folded page text shows the folded expected text.

    A character the fonts lacked prints as U+FFFD; right-to-left text comes back from the page
    reordered within its run, so such a run is compared as a multiset of characters.
    """
    if printed == expected:
        return True
    ours, theirs = _RUNS.findall(printed), _RUNS.findall(expected)
    return len(ours) == len(theirs) and all(
        _same_run(mine, wanted) for mine, wanted in zip(ours, theirs, strict=True)
    )


def _same_run(printed: str, expected: str) -> bool:
    if len(printed) != len(expected):
        return False
    if not _reordered(printed + expected):
        return all(
            mine == wanted or (mine == REPLACEMENT and not wanted.isascii())
            for mine, wanted in zip(printed, expected, strict=True)
        )
    not_printed = Counter(expected) - Counter(printed)
    not_expected = Counter(printed) - Counter(expected)
    return set(not_expected) <= {REPLACEMENT} and all(not c.isascii() for c in not_printed)


def _reordered(text: str) -> bool:
    """Whether text extraction may give this run in another order: it holds right-to-left
    script, by pypdf's ranges or by Unicode's bidirectional class."""
    return _RIGHT_TO_LEFT.search(text) is not None or any(
        unicodedata.bidirectional(c) in ("R", "AL") for c in text
    )


def _agrees_shortened(printed: str, expected: str) -> bool:
    """Like `_agrees`, for a line that may have been cut to fit and ended with an ellipsis."""
    if _agrees(printed, expected):
        return True
    cut = printed.rfind("…")
    if cut < 0:
        return False
    kept = printed[:cut] + printed[cut + 1 :]
    return len(kept) < len(expected) and _agrees(kept, expected[: len(kept)])


def check_pages(
    page_texts: list[str], record: PdfRecord, pack: RulePack | None, source: str
) -> tuple[str, ...]:
    """Raise `ExportError` unless every page shows what the record holds; return what could
    not be checked. `pack` is the pack that made the PDF, when it is the current one."""
    bodies: list[str] = []
    problems: list[str] = []
    bad_heads: list[int] = []
    bad_bands: list[int] = []
    footers: list[tuple[int, int] | None] = []
    contract = spoken(CONTRACTS[record.format_version])
    head = fold(running_head(contract, record.answers, record.rule_set))
    band = draft_band(contract, record.rule_set)
    for number, text in enumerate(page_texts, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 1 + (band is not None):
            message = Said(
                N_(
                    "page {n} has no text that can be read, so the pages cannot be checked "
                    "against the embedded record"
                ),
                n=str(number),
            )
            raise ExportError([Problem(source, message)])
        if band is not None:
            if not _agrees_shortened(fold(lines[0]), fold(band)):
                bad_bands.append(number)
            lines = lines[1:]
        footers.append(_page_number(lines[-1]))
        if number > 1 and not _agrees_shortened(fold(lines[0]), head):
            bad_heads.append(number)
        bodies.append("".join(fold(line) for line in lines[1 if number > 1 else 0 : -1]))
    problems.extend(_numbering_problems(footers))
    if bad_bands:
        band_of = Said(N_("the draft band of {pages}"), pages=_pages(bad_bands))
        problems.append(Said(_BAND_DIFFERS, what=band_of))
    if bad_heads:
        head_of = Said(N_("the running head of {pages}"), pages=_pages(bad_heads))
        problems.append(Said(_BAND_DIFFERS, what=head_of))
    printed = "".join(bodies)
    entries_problem = _entries_problem(printed, record.checklist, contract)
    if entries_problem:
        problems.append(entries_problem)
    parts = expected_parts(record, pack, contract, entries_readable=entries_problem is None)
    problems.extend(_differences(printed, parts))
    if problems:
        if len(problems) > _MOST_PROBLEMS:
            rest = len(problems) - _MOST_PROBLEMS + 1
            problems[_MOST_PROBLEMS - 1 :] = [
                Said(
                    N_("{count} more parts of the pages differ from the embedded record"),
                    count=str(rest),
                )
            ]
        raise ExportError([altered(source, problem).problems[0] for problem in problems])
    return () if pack is not None or contract.from_checklist else (UNCHECKED_WITHOUT_PACK,)


def _page_number(line: str) -> tuple[int, int] | None:
    """The "Page n of m" a page's last line ends with, if it is the footer."""
    folded, footer = fold(line), fold(_(FOOTER_TEXT))
    page = re.escape(fold(_("Page {page} of "))).replace(r"\{page\}", r"(\d{1,4})")
    found = re.fullmatch(page + r"(\d{1,4})", folded.removeprefix(footer))
    return (int(found[1]), int(found[2])) if found and folded.startswith(footer) else None


def _numbering_problems(footers: list[tuple[int, int] | None]) -> list[str]:
    """Every page ends with the footer, numbered 1 to the number of pages in the file."""
    total = len(footers)
    missing = [n for n, footer in enumerate(footers, start=1) if footer is None]
    if missing:
        message = (
            N_("{pages} do not end with the footer and its page number")
            if len(missing) > 1
            else N_("{pages} does not end with the footer and its page number")
        )
        return [Said(message, pages=_pages(missing))]
    counted = {footer[1] for footer in footers if footer is not None}
    if counted != {total}:
        claimed = [str(n) for n in sorted(counted)]
        return [
            Said(
                N_(
                    "the footers count {claimed} pages, the file has {total}: pages were removed "
                    "or added"
                ),
                claimed=Said(N_("{some} or {last}"), some=", ".join(claimed[:-1]), last=claimed[-1])
                if len(claimed) > 1
                else claimed[0],
                total=str(total),
            )
        ]
    numbers = [footer[0] for footer in footers if footer is not None]
    if numbers != list(range(1, total + 1)):
        return [
            Said(
                N_("the pages are out of order: numbered {numbers}"),
                numbers=", ".join(map(str, numbers)),
            )
        ]
    return []


def _pages(numbers: list[int]) -> Said:
    listed_numbers = ", ".join(map(str, numbers))
    if len(numbers) > 1:
        return Said(N_("pages {numbers}"), numbers=listed_numbers)
    return Said(N_("page {numbers}"), numbers=listed_numbers)


def _entries_problem(printed: str, checklist: Checklist, contract: PageContract) -> str | None:
    """Whether the "Rule <id>" lines of the Checklist section list the record's entries, in
    the order the format prints them; the kind of each is then checked with its text."""
    start = printed.find(fold(_(DETAILS_NOTE) + _(CHECKLIST_HEADING)))
    end = printed.find(fold(_(ANSWERS_HEADING) + contract.answers_intro), start)
    if start < 0 or end < 0:
        return None
    printed_ids = _rule_ids().findall(printed, start, end)
    recorded = [e.rule_id for b in section_blocks(contract, checklist) for e in b.entries]
    if printed_ids == recorded:
        return None
    differences = [
        Said(label, ids=listed(ids))
        for label, ids in (
            (N_("not on the pages: {ids}"), [shown(r) for r in recorded if r not in printed_ids]),
            (N_("not in the record: {ids}"), [r for r in printed_ids if r not in recorded]),
        )
        if ids
    ]
    if not differences:
        same_ids = sorted(printed_ids) == sorted(recorded)
        order = N_("in another order") if same_ids else N_("some listed more than once")
        differences = [Said(order)]
    return Said(
        N_(
            "the pages list {printed} checklist entries, the embedded record {recorded}: "
            "{differences}"
        ),
        printed=str(len(printed_ids)),
        recorded=str(len(recorded)),
        differences=Said(
            "; ".join(f"{{d{n}}}" for n in range(len(differences))),  # a list, not words
            **{f"d{n}": d for n, d in enumerate(differences)},
        ),
    )


def _differences(printed: str, parts: list[Part]) -> list[str]:
    """The parts the printed text does not show, in order; after each difference the reading
    goes on from the next part found."""
    found: list[str] = []
    position, index = 0, 0
    while index < len(parts):
        part = parts[index]
        if part.shortened or part.unread:
            end = printed.find(parts[index + 1].text, position)
            if end < 0:
                found.append(Said(_CANNOT_FIND, what=parts[index + 1].what))
                return found
            if part.shortened and not _agrees_shortened(printed[position:end], part.text):
                found.append(Said(_DIFFERS, what=part.what))
            position, index = end, index + 1
            continue
        window = printed[position : position + len(part.text)]
        if _agrees(window, part.text):
            position, index = position + len(part.text), index + 1
            continue
        if part.optional:
            index += 1
            continue
        later = printed.find(part.text, position) if part.anchor else -1
        if later >= 0:
            found.append(
                Said(
                    N_("the pages carry text that the embedded record does not, before {what}"),
                    what=part.what,
                )
            )
            position, index = later + len(part.text), index + 1
            continue
        differs = Said(_DIFFERS, what=part.what)
        if differs not in found:
            found.append(differs)
        anchor = next((n for n in range(index + 1, len(parts)) if parts[n].anchor), None)
        if anchor is None:
            return found
        limit = printed.find(parts[anchor].text, position)
        if limit < 0:
            found.append(Said(_CANNOT_FIND, what=parts[anchor].what))
            return found
        index, position = _resume(printed, parts, range(index + 1, anchor), position, limit)
    if position != len(printed):
        found.append(Said(N_("the pages carry text after the checklist fingerprint")))
    return found


def _resume(
    printed: str, parts: list[Part], between: range, start: int, limit: int
) -> tuple[int, int]:
    """Where to read on after a difference: the first part `between` the one that differed
    and the next anchor that is found before that anchor (at `limit`), or else the anchor."""
    for index in between:
        text = parts[index].text
        found = printed.find(text, start, limit) if text else -1
        if found >= 0:
            return index, found
    return between.stop, limit
