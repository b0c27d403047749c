"""Whatever YAML a rule file holds, the loader either loads the pack or refuses it cleanly."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import PackError, load_pack
from tests.conftest import MINI_PACK, write_pack

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.sampled_from(["yes", "no", "unknown", "history", "active", "src-a", "discuss", ""]),
    st.text(max_size=12),
)
KEYS = st.sampled_from(
    ["rules", "id", "section", "kind", "when", "item", "is", "all", "any", "not", "text",
     "summary", "rationale", "sources", "items", "label", "question", "help", "asked_if"]
)  # fmt: skip
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)
YAML_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "rules: [",
            "rules: *x",
            "rules: &a [*a]",
            "%YAML 9.9\n---\n",
            "rules: !!python/object {}",
            "\t- x",
        ]
    ),
)


def _yaml_of(value: object) -> str:
    """JSON is YAML 1.2, so any document can be written this way."""
    return json.dumps({"rules": value})


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_pack(Path(tmp), {"rules-main.yaml": text})
        try:
            load_pack(folder)
        except PackError as exc:
            assert exc.problems and all(str(p) for p in exc.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_any_structured_document_loads_or_is_refused_with_problems(value: object) -> None:
    _check(_yaml_of(value))


@settings(max_examples=150, deadline=None)
@given(YAML_TEXT)
def test_any_text_loads_or_is_refused_with_problems(text: str) -> None:
    _check(text)


def test_the_mini_rules_still_load_unchanged() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert load_pack(
            write_pack(Path(tmp), {"rules-main.yaml": MINI_PACK["rules-main.yaml"]})
        ).rules
