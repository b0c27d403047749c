"""Text from outside is shown safely and JSON from outside read strictly, by one module."""

from __future__ import annotations

import ast
import json
import re

import pytest

from screening import errors, text
from screening.limits import MAX_ECHO
from screening.text import (
    ConstantError,
    DuplicateKeyError,
    NumberTooLongError,
    TooManyKeysError,
    UnpairedSurrogateError,
    echo,
    escaped_json,
    nested_deeper_than,
    one_line,
    printable,
    printable_lines,
    strict_json,
    unpaired_surrogate_at,
)
from tests.conftest import REPOSITORY


class TestStrictJson:
    """Every reader of JSON from outside refuses what JSON readers disagree on."""

    def test_a_key_given_twice_is_refused_naming_it(self) -> None:
        with pytest.raises(DuplicateKeyError) as caught:
            strict_json('{"a": {"b": 1, "b": 2}}')
        assert caught.value.key == "b"

    def test_a_number_longer_than_allowed_is_refused_before_it_is_read(self) -> None:
        assert strict_json('{"n": 12345}', max_digits=5) == {"n": 12345}
        with pytest.raises(NumberTooLongError):
            strict_json('{"n": 123456}', max_digits=5)
        with pytest.raises(NumberTooLongError):
            strict_json('{"n": 1.23456}', max_digits=5)

    def test_an_object_with_more_keys_than_allowed_is_refused(self) -> None:
        assert strict_json('{"a": 1, "b": 2}', max_keys=2) == {"a": 1, "b": 2}
        with pytest.raises(TooManyKeysError):
            strict_json('{"a": 1, "b": 2, "c": 3}', max_keys=2)

    def test_nan_and_infinity_are_refused_when_asked(self) -> None:
        assert strict_json('{"x": 1}', refuse_constants=True) == {"x": 1}
        with pytest.raises(ConstantError) as caught:
            strict_json('{"x": NaN}', refuse_constants=True)
        assert caught.value.name == "NaN"

    @pytest.mark.parametrize(
        ("written", "at"),
        [
            (r'{"a": "x\ud800y"}', 8),  # a high half alone
            (r'{"a": "x\udc00y"}', 8),  # a low half alone
            (r'{"a": "\ud83d\ude00", "b": "\ud83d"}', 28),  # a pair, then a half alone
            (r'{"a": "\ud83d x\ude00"}', 7),  # the halves apart
            (r'{"a": "\ud83d\ud83d\ude00"}', 7),  # a high half, then a pair
            (r'{"x\uDBFF": 1}', 3),  # in a key, upper-case digits
            ('{"a": "\\\\\\ud800"}', 9),  # an escaped backslash, then an escape
            ('{"a": "x\ud800"}', 8),  # the half itself, not escaped
            ('{"a": "\\ud83d\\ude00x\udfff"}', 20),  # a pair escaped, a low half itself
        ],
    )
    def test_half_a_surrogate_pair_is_found_where_it_is_written(
        self, written: str, at: int
    ) -> None:
        assert unpaired_surrogate_at(written) == at
        with pytest.raises(UnpairedSurrogateError) as caught:
            strict_json(written, refuse_surrogates=True)
        assert (caught.value.line, caught.value.column) == (1, at + 1)

    @pytest.mark.parametrize(
        "written",
        [
            r'{"a": "\ud83d\ude00 and \uD83D\uDE00"}',  # pairs, either case
            r'{"a": "\\ud800"}',  # an escaped backslash and the letters "ud800"
            r'{"a": "\u00e9\ud7ff\ue000"}',  # escapes either side of the surrogates
            '{"a": "\U0001f600 plain"}',
        ],
    )
    def test_whole_pairs_and_look_alikes_are_read(self, written: str) -> None:
        assert unpaired_surrogate_at(written) is None
        assert strict_json(written, refuse_surrogates=True) == json.loads(written)

    def test_a_surrogate_half_is_read_unless_refused_and_its_line_is_counted(self) -> None:
        written = '{\n  "a": 1,\n  "b": "\\ud800"\n}'
        assert strict_json(written) == {"a": 1, "b": "\ud800"}
        with pytest.raises(UnpairedSurrogateError) as caught:
            strict_json(written.encode(), refuse_surrogates=True)
        assert (caught.value.line, caught.value.column) == (3, 9)


class TestShown:
    """A message or terminal shows outside text, never obeys it."""

    def test_controls_and_bidirectional_marks_become_escapes(self) -> None:
        assert printable("a\x1b[31mb\u202ec\x85") == "a\\x1b[31mb\\u202ec\\x85"

    def test_line_breaks_survive_printable_lines(self) -> None:
        assert printable_lines("a\r\nb\x07\n") == "a\r\nb\\x07\n"

    def test_json_escapes_are_the_same_data(self) -> None:
        text = json.dumps({"k": "x\u202ey\x9b"}, ensure_ascii=False)
        assert json.loads(escaped_json(text)) == json.loads(text)
        assert "\u202e" not in escaped_json(text)

    def test_every_quote_is_at_most_the_one_echo_length(self) -> None:
        long = "x" * (MAX_ECHO * 2)
        assert len(echo(long)) == MAX_ECHO
        assert echo(long).endswith("\u2026")
        assert echo("short") == "short"
        assert one_line("a\u202eb\u2028 " + long) == echo("ab " + long)


def test_the_control_class_and_the_strict_json_reader_are_written_once() -> None:
    """No second copy of either may grow back elsewhere in the core."""
    copies = re.compile(r"object_pairs_hook|\\u202a-\\u202e|\\x7f-\\x9f")
    found = [
        path.relative_to(REPOSITORY).as_posix()
        for path in sorted((REPOSITORY / "screening").rglob("*.py"))
        if path.name != "text.py" and copies.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_text_helpers_are_imported_from_screening_text_only() -> None:
    """`screening.errors` no longer passes them on: every site names the module that has them."""
    found = [
        f"{path.relative_to(REPOSITORY).as_posix()}: {alias.name}"
        for folder in ("screening", "app_pages", "tests", "bench")
        for path in sorted((REPOSITORY / folder).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "screening.errors"
        for alias in node.names
        if hasattr(text, alias.name)
    ]
    assert found == []
    assert not {"echo", "inert_cell", "printable_lines", "FORMULA_STARTS"} & set(dir(errors))


def test_json_nested_to_the_limit_is_taken_and_one_deeper_is_not() -> None:
    at_limit: object = 1
    for _ in range(4):
        at_limit = {"k": [at_limit]}  # 1 at depth 9
    assert not nested_deeper_than(at_limit, 9)
    assert nested_deeper_than(at_limit, 8)
    assert not nested_deeper_than([[[]]], 3)  # an empty container holds nothing deeper
    assert nested_deeper_than([[[]]], 2)
    assert not nested_deeper_than("text", 1)
