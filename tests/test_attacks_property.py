"""Whatever bytes arrive, `evaluate`, the candidate check and `verify` end in a result or a
clean refusal (a `ScreeningError` naming the file), and within a time bound.

The bound (a few seconds per input) guards against hangs and blow-ups, not a slow machine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import RulePack, evaluate
from screening.answers import read_answers_bytes
from screening.errors import ScreeningError
from screening.models import AnswersFile
from screening.pack.candidate import review_candidate
from screening.pdf import checklist_pdf, verify_pdf
from tests.conftest import MINI_PACK, zipped

BOUND_SECONDS = 20.0
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def splice(data: bytes, at: int, cut: int, insert: bytes) -> bytes:
    """`data` with `cut` bytes at a position replaced by `insert`: a damaged or hostile copy."""
    at %= len(data) + 1
    return data[:at] + insert + data[at + cut :]


def refused_cleanly(exc: ScreeningError, source: str) -> None:
    assert exc.problems
    assert all(str(p).startswith(source) for p in exc.problems)


ANSWERS = json.dumps(
    {"answers": {"history": "yes", "active": "no"}, "patient_reference": "R1"}
).encode()
ANY_ANSWERS_BYTES = st.one_of(
    st.binary(max_size=400),
    st.builds(
        splice, st.just(ANSWERS), st.integers(0, 200), st.integers(0, 8), st.binary(max_size=12)
    ),
    st.builds(
        lambda digits, depth: (
            b'{"answers": {}, "x": ' + b"[" * depth + b"9" * digits + b"]" * depth + b"}"
        ),
        st.integers(1, 6000),
        st.integers(0, 3000),
    ),
)


@SETTINGS
@given(data=ANY_ANSWERS_BYTES)
def test_any_bytes_given_to_evaluate_end_in_a_checklist_or_a_clean_refusal(
    mini_pack: RulePack, data: bytes
) -> None:
    start = time.perf_counter()
    try:
        checklist = evaluate(mini_pack, read_answers_bytes(data, "a.json"), "a.json")
    except ScreeningError as exc:
        refused_cleanly(exc, "a.json")
    else:
        assert checklist.rule_set.sha256 == mini_pack.sha256
    assert time.perf_counter() - start < BOUND_SECONDS


MINI_FILES = {name: text.encode() for name, text in MINI_PACK.items()}
ANY_ZIP_BYTES = st.one_of(
    st.binary(max_size=400),
    st.builds(
        splice,
        st.just(zipped(MINI_FILES)),
        st.integers(0, 3000),
        st.integers(0, 8),
        st.binary(max_size=12),
    ),
    st.builds(
        lambda name, at, cut, insert: zipped(
            {**MINI_FILES, name: splice(MINI_FILES[name], at, cut, insert)}
        ),
        st.sampled_from(sorted(MINI_FILES)),
        st.integers(0, 2000),
        st.integers(0, 20),
        st.binary(max_size=20) | st.text(max_size=20).map(str.encode),
    ),
)


@SETTINGS
@given(data=ANY_ZIP_BYTES)
def test_any_bytes_given_to_the_candidate_check_end_in_a_review_or_a_clean_refusal(
    mini_pack: RulePack, mini_dir: Path, data: bytes
) -> None:
    start = time.perf_counter()
    try:
        review = review_candidate(data, "c.zip", mini_pack, mini_dir)
    except ScreeningError as exc:
        refused_cleanly(exc, "c.zip")
    else:
        assert review.pack.sha256
    assert time.perf_counter() - start < BOUND_SECONDS


@SETTINGS
@given(at=st.integers(0, 200_000), cut=st.integers(0, 16), insert=st.binary(max_size=16))
def test_any_damage_to_a_pdf_given_to_verify_ends_in_a_result_or_a_clean_refusal(
    mini_pack: RulePack, at: int, cut: int, insert: bytes
) -> None:
    answers = AnswersFile.model_validate({"answers": {"history": "yes"}})
    pdf = checklist_pdf(evaluate(mini_pack, answers))
    start = time.perf_counter()
    try:
        verify_pdf(splice(pdf, at, cut, insert), mini_pack, "c.pdf")
    except ScreeningError as exc:
        refused_cleanly(exc, "c.pdf")
    assert time.perf_counter() - start < BOUND_SECONDS
