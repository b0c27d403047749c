"""Benchmark of the PDF export: time to build and verify the default checklist's PDF and a
500-entry one, the latter as this release makes it (pages rendered again and compared) and as
an earlier release did (pages read back against the record only).

Also prints the page count of the shipped pack's checklist with 0, 2, 10 and all asked
questions answered (each "no", in form order), the figure behind "a partly answered form
gives a short PDF". Prints figures; never fails. Targets: default checklist < 150 ms
median, 500 entries < 2 s, a Chinese or Korean patient reference within 2x the Latin-only
build (the fallback fonts are parsed once per process, on first need: the first such build
pays for it).
Run: `.venv/bin/python bench/pdf.py`.
"""

from __future__ import annotations

import functools
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader

from screening import AnswersFile, RulePack, evaluate, load_pack
from screening.logic import asked_states
from screening.models import Answer
from screening.pdf import checklist_pdf, verify_pdf
from screening.pdf.record import FORMAT_VERSION

SECTIONS = 10
ITEMS_PER_SECTION = 5
RULES_PER_ITEM = 10


def large_pack(folder: Path) -> Path:
    """A valid pack whose all-yes answers raise 500 entries, each two or three lines long."""
    (folder / "pack.yaml").write_text(
        'pack: {name: "Bench pack", version: "1.0.0", status: draft, date: "2026-01-01"}\n'
    )
    (folder / "sources.yaml").write_text(
        'sources:\n  - {id: src-a, citation: "Author A. A study. J Test. 2020;1:1-2."}\n'
    )
    items, rules = ["items:"], ["rules:"]
    for n in range(SECTIONS * ITEMS_PER_SECTION):
        section = f"Section {n // ITEMS_PER_SECTION + 1}"
        items.append(
            f'  - {{id: item-{n}, section: "{section}", label: "finding {n}", '
            f'question: "Is finding {n} present?", help: "Bench item.", sources: [src-a]}}'
        )
        for r in range(RULES_PER_ITEM):
            rules.append(
                f'  - {{id: rule-{n}-{r}, section: "{section}", kind: discuss, '
                f'when: {{item: item-{n}, is: "yes"}}, sources: [src-a], '
                f'rationale: "Bench rationale.", summary: "Discuss finding {n}", '
                f'text: "Discuss point {r} raised by finding {n} '
                f"with the patient and the team, and agree who follows it up, by when, and how "
                f'the outcome will be written down in the notes."}}'
            )
    (folder / "items.yaml").write_text("\n".join(items) + "\n")
    (folder / "rules-bench.yaml").write_text("\n".join(rules) + "\n")
    return folder


def page_counts(pack: RulePack) -> str:
    """Pages of the PDF with the first n questions asked answered "no", for several n."""
    counts = []
    for wanted in (0, 2, 10, len(pack.items)):
        answers: dict[str, Answer] = {}
        for item in pack.items:
            if len(answers) < wanted and item.id in asked_states(pack, answers):
                answers[item.id] = "no"
        given = AnswersFile(answers=answers, date="2026-03-14")
        pdf = checklist_pdf(evaluate(pack, given))
        counts.append(f"{len(answers)} answered: {len(PdfReader(io.BytesIO(pdf)).pages)} pages")
    return "; ".join(counts)


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3


def main() -> None:
    pack = load_pack()
    print(f"default pack, page counts: {page_counts(pack)}")
    cases = {
        "Latin-only patient reference": "Zoë Ω Дмитрий",
        "Chinese patient reference": "王小明",
        "Korean patient reference": "김민준",
    }
    built = {}
    for name, reference in cases.items():
        answers = AnswersFile(patient_reference=reference, date="2026-03-14")
        checklist = evaluate(pack, answers)
        start = time.perf_counter()
        pdf = checklist_pdf(checklist)
        first = (time.perf_counter() - start) * 1e3
        built[name] = (answers, checklist, pdf)
        print(f"{name}: first build in this process {first:.0f} ms")
    # Rounds interleave the cases, so a machine busy with other work slows each alike.
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(15):
        for name, (_answers, checklist, _pdf) in built.items():
            start = time.perf_counter()
            checklist_pdf(checklist)
            timings[name].append((time.perf_counter() - start) * 1e3)
    latin = statistics.median(timings["Latin-only patient reference"])
    for name, (_answers, checklist, pdf) in built.items():
        build = statistics.median(timings[name])
        check = median_ms(functools.partial(verify_pdf, pdf, pack, "bench.pdf"), 5)
        print(
            f"default pack, all unanswered, {name}: {len(checklist.entries)} entries, "
            f"{len(pdf) / 1024:.0f} KiB; build median {build:.0f} ms "
            f"({build / latin:.2f}x Latin-only), verify median {check:.0f} ms"
        )
    with tempfile.TemporaryDirectory() as tmp:
        big = load_pack(large_pack(Path(tmp)))
    answers = AnswersFile(answers={i.id: "yes" for i in big.items}, date="2026-03-14")
    checklist = evaluate(big, answers)
    pdf = checklist_pdf(checklist)
    build = median_ms(lambda: checklist_pdf(checklist), 5)
    check = median_ms(lambda: verify_pdf(pdf, big, "bench.pdf"), 3)
    with mock.patch("screening.pdf.record.GENERATOR", "screening 0.0.9"):
        older = checklist_pdf(checklist)
    # verify reads only releases it knows: 0.0.9 stands for one of the current format
    with mock.patch.dict("screening.pdf.record.RELEASES", {"screening 0.0.9": FORMAT_VERSION}):
        check_older = median_ms(lambda: verify_pdf(older, big, "bench.pdf"), 3)
    print(
        f"bench pack: {len(checklist.entries)} entries, {len(pdf) / 1024:.0f} KiB; "
        f"build median {build:.0f} ms, verify median {check:.0f} ms, "
        f"verify of an earlier release's file {check_older:.0f} ms"
    )


if __name__ == "__main__":
    main()
