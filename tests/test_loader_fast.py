"""The fast reader gives exactly the data the reader with positions gives, or steps aside.

`parse_plain` (libyaml's events) accepts only what ruamel.yaml's round-trip reader accepts,
as the same data; at any doubt it raises `NeedsPositions` and the pack is read again with
positions, which words every refusal with its line (tests/test_loader.py). These tests hold
the two readers side by side.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from screening import PackError, load_pack
from screening.errors import Problem
from screening.models import PackSchema
from screening.pack import loader, yaml_files
from screening.pack.loader import load_pack_from_files, read_files
from screening.pack.yaml_files import NeedsPositions, parse_plain, parse_positioned, parse_yaml
from tests.conftest import MINI_PACK, REPOSITORY, write_pack

FIXTURE_PACKS: dict[str, tuple[Path, PackSchema]] = {
    "shipped": (REPOSITORY / "rules", "1.1"),
    "pack-1.0.0": (REPOSITORY / "tests/fixtures/pack-1.0.0", "1.1"),
    "pdf-pack-1.0.0": (REPOSITORY / "tests/fixtures/pdf/pack-1.0.0", "1.0"),
    "pdf-pack-1.1.0": (REPOSITORY / "tests/fixtures/pdf/pack-1.1.0", "1.1"),
}


def plain(node: Any) -> Any:
    """ruamel's data as plain dicts and lists, keeping each scalar's type and value."""
    if isinstance(node, dict):
        return {plain(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def with_positions(text: str) -> Any:
    return plain(YAML(typ="rt").load(text))


def assert_same_or_aside(text: str) -> None:
    """The fast reader steps aside, or gives what the reader with positions gives."""
    try:
        fast = parse_plain(text.encode("utf-8", "surrogatepass"))
    except NeedsPositions:
        return
    assert plain(fast) == with_positions(text), text
    kinds = [_kind(v) for v in _leaves(with_positions(text))]
    assert [_kind(v) for v in _leaves(fast)] == kinds, text


def _kind(value: Any) -> type:
    """A scalar's type; ruamel's kinds of string (folded, literal) are strings."""
    return str if isinstance(value, str) else type(value)


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in (k, *_leaves(v))]
    if isinstance(node, list):
        return [x for v in node for x in _leaves(v)]
    return [node]


def test_every_yaml_file_in_the_repository_reads_the_same_both_ways() -> None:
    files = [
        p
        for p in REPOSITORY.rglob("*.y*ml")
        if ".venv" not in p.parts and not any(part.startswith(".") for part in p.parts[-3:])
    ]
    assert len(files) > 30
    for path in files:
        assert_same_or_aside(path.read_text("utf-8"))


def test_the_shipped_pack_is_read_fast_every_file() -> None:
    for path in (REPOSITORY / "rules").glob("*.yaml"):
        parse_plain(path.read_bytes())  # raises NeedsPositions if it stepped aside


@pytest.mark.parametrize("name", FIXTURE_PACKS)
def test_a_pack_read_fast_is_the_pack_read_with_positions(name: str) -> None:
    folder, schema = FIXTURE_PACKS[name]
    files = read_files(list(folder.glob("*.yaml")))
    fast = loader._assembled(files, "p", schema, fast=True)
    slow = loader._assembled(files, "p", schema, fast=False)
    assert fast == slow
    assert fast.sha256 == slow.sha256


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "a: &x [1]\nb: *x\n",  # anchor and alias
        "a: &x b\n",  # an anchor alone
        "a: !!str no\n",  # a tag
        "a: !custom x\n",
        "%YAML 1.1\n---\na: no\n",  # a directive that would change what `no` means
        "a: 1\n---\nb: 2\n",  # two documents
        "<<: {a: 1}\n",  # a merge key
        "a: 2024-01-01\n",  # a date
        "a: 1.5\n",  # a number other than a whole one in plain decimals
        "a: 007\n",
        "a: +7\n",
        "a: 1_000\n",
        "a: 0o17\n",
        "a: .inf\n",
        "a:\tb\n",  # a tab
        "a: b\r\nc: d\r\n",  # carriage returns
        "\ufeffa: b\n",  # a byte order mark
        "a: b\u2028c\n",  # a Unicode line break
        "a: [b\n",  # a syntax error
        "? [a]\n: b\n",  # a key that is not a string
        "true: b\n",  # a key that is a boolean
        "",  # empty
        "# only a comment\n",
        "[" * 70 + "]" * 70,  # nesting deeper than the fast reader goes
    ],
)
def test_the_fast_reader_steps_aside_for_anything_unusual(text: str) -> None:
    with pytest.raises(NeedsPositions):
        parse_plain(text.encode())


def test_no_and_yes_stay_strings_and_only_true_and_false_are_booleans() -> None:
    data = parse_plain(b"a: [no, yes, on, off, y, n, NO, true, False, ~, null, '']\nb:\n")
    assert data == {
        "a": ["no", "yes", "on", "off", "y", "n", "NO", True, False, None, None, ""],
        "b": None,
    }


def test_whole_numbers_in_plain_decimals_are_numbers() -> None:
    assert parse_plain(b"a: [0, 12, -3, '12']\n") == {"a": [0, 12, -3, "12"]}


def test_a_file_over_the_size_bound_or_not_utf8_steps_aside() -> None:
    with pytest.raises(NeedsPositions):
        parse_plain(b"a: '" + b"x" * 1_000_001 + b"'\n")
    with pytest.raises(NeedsPositions):
        parse_plain(b"a: \xff\n")


WORDS = st.sampled_from(
    [
        "no", "yes", "on", "Off", "y", "NULL", "~", "true", "FALSE", "0o17", "0x1F", "1_000",
        "12", "-3", "1e3", ".5", ".inf", ".NaN", "2024-01-01", "2001-12-14t21:59:43.10-05:00",
        "1:20", "<<", "=", "- a", "a: b", "#x", "a #b", "'", '"', "\\", "|", ">", "?", "&a",
        "*a", "!x", "%", "@", "`", "{", "}", "[", "]", ",", "", " ", "  a  ", "a\nb", "a\n\nb",
        "\n", "é", "ǅ", "\u200b", "\u00a0", "x" * 30,
    ]
)  # fmt: skip
STRINGS = st.one_of(WORDS, st.text(max_size=12), st.lists(WORDS, max_size=4).map(" ".join))
SCALARS = st.one_of(STRINGS, st.booleans(), st.none())
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(STRINGS, inner, max_size=4),
    max_leaves=15,
)
STYLES = st.sampled_from([None, '"', "'", "|", ">", "plain"])


def dumped(data: Any, flow: bool | None, style: str | None, width: int) -> str:
    """ruamel's own writing of the data, in block or flow style, with a quoting style."""
    writer = YAML(typ="rt")
    writer.default_flow_style = flow
    writer.width = width
    if style != "plain":
        writer.default_style = style  # type: ignore[assignment]  # ruamel takes any style
    out = io.StringIO()
    writer.dump(data, out)
    return out.getvalue()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DATA, st.sampled_from([None, True, False]), STYLES, st.sampled_from([12, 80, 4096]))
def test_any_data_written_in_any_style_reads_the_same_both_ways(
    data: Any, flow: bool | None, style: str | None, width: int
) -> None:
    try:
        text = dumped({"k": data}, flow, style, width)
    except Exception:
        return
    assert_same_or_aside(text)


PIECES = st.sampled_from(
    [
        "a", "b", "no", "yes", "1", "x y", ":", ": ", " ", "  ", "\n", "\n  ", "- ", "-", "[",
        "]", "{", "}", ", ", ",", "'", '"', "''", "#", " #c", "|", "|-", ">", ">+", "? ",
        "---\n", "...\n", "\\", "\\n", "!", "&", "*", "<<", "%", "é", "\u0085", "\t", "\r\n",
        "true", "~", "@", "`", "\u2028", "\ufeff", "\x07",
    ]
)  # fmt: skip


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["", "k: ", "k:\n  ", "- k: ", "k: [", "k: {a: "]),
    st.lists(PIECES, max_size=30),
)
def test_any_text_is_refused_by_the_fast_reader_or_read_as_the_reader_with_positions_reads_it(
    start: str, pieces: list[str]
) -> None:
    text = start + "".join(pieces)
    try:
        fast = parse_plain(text.encode("utf-8", "surrogatepass"))
    except NeedsPositions:
        return
    try:
        expected = with_positions(text)
    except Exception as exc:
        pytest.fail(f"the fast reader accepted what the other refuses ({exc!r}): {text!r}")
    assert plain(fast) == expected, text


class TestOncePerProcess:
    def test_the_same_files_give_the_same_pack_object(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path)
        assert load_pack(folder) is load_pack(folder)

    def test_a_changed_file_is_validated_again(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path)
        first = load_pack(folder)
        rules = MINI_PACK["rules-main.yaml"].replace("rules:", "rules:\n  # changed", 1)
        write_pack(tmp_path, {"rules-main.yaml": rules})
        assert load_pack(folder) is not first
        write_pack(tmp_path, {"rules-main.yaml": rules.replace("kind: discuss", "kind: x", 1)})
        with pytest.raises(PackError):
            load_pack(folder)

    def test_a_refused_pack_is_refused_again_with_the_same_problems(self, tmp_path: Path) -> None:
        folder = write_pack(tmp_path, {"rules-main.yaml": "rules: [\n"})
        problems = []
        for _ in range(2):
            with pytest.raises(PackError) as caught:
                load_pack(folder)
            problems.append([str(p) for p in caught.value.problems])
        assert problems[0] == problems[1]
        assert ":1" in problems[0][0] or ":2" in problems[0][0]

    def test_the_schema_is_part_of_what_is_remembered(self) -> None:
        files = read_files(list((REPOSITORY / "tests/fixtures/pdf/pack-1.0.0").glob("*.yaml")))
        assert load_pack_from_files(files, "p", "1.0").pack_schema == "1.0"
        with pytest.raises(PackError):
            load_pack_from_files(files, "p", "1.1")


def test_a_comment_ruamel_cannot_place_is_refused_with_a_message_not_a_crash() -> None:
    """Found by the fuzz test above: `key: # comment` with the value on the next line and a
    blank line after made ruamel's round-trip reader raise NotImplementedError."""
    problems: list[Problem] = []
    assert parse_yaml(b"k: #c\n  a\n\n", "f.yaml", problems) is None
    assert [str(p) for p in problems] == [
        "f.yaml: YAML syntax: a comment between a key and a value on the lines below it cannot "
        "be read; move the comment onto a line of its own"
    ]


def _positions(node: Any, path: str = "") -> dict[str, Any]:
    """Every position ruamel's data carries (a node's, each key's and value's, each item's)."""
    found: dict[str, Any] = {}
    if isinstance(node, CommentedMap):
        found[path] = (node.lc.line, node.lc.col)
        for key, value in node.items():
            found[f"{path}/{key}"] = tuple(node.lc.data[key])
            found.update(_positions(value, f"{path}/{key}"))
    elif isinstance(node, CommentedSeq):
        found[path] = (node.lc.line, node.lc.col)
        for index, value in enumerate(node):
            found[f"{path}[{index}]"] = tuple(node.lc.data[index])
            found.update(_positions(value, f"{path}[{index}]"))
    return found


def assert_same_positions_or_aside(text: str) -> None:
    """The positioned fast reader steps aside, or gives ruamel's data with ruamel's lines."""
    try:
        fast = parse_positioned(text.encode("utf-8", "surrogatepass"))
    except NeedsPositions:
        return
    slow = YAML(typ="rt").load(text)
    assert plain(fast) == plain(slow), text
    assert _positions(fast) == _positions(slow), text


def test_every_yaml_file_in_the_repository_has_the_same_lines_both_ways() -> None:
    files = [
        p
        for p in REPOSITORY.rglob("*.y*ml")
        if ".venv" not in p.parts and not any(part.startswith(".") for part in p.parts[-3:])
    ]
    for path in files:
        assert_same_positions_or_aside(path.read_text("utf-8"))
    for path in (REPOSITORY / "rules").glob("*.yaml"):
        assert _positions(parse_positioned(path.read_bytes()))  # read, not stepped aside


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["", "k: ", "k:\n  ", "- k: ", "k: [", "k: {a: ", "a:\n- b: 1\n  c:\n"]),
    st.lists(PIECES, max_size=30),
)
def test_any_text_read_with_positions_fast_has_the_lines_ruamel_gives(
    start: str, pieces: list[str]
) -> None:
    assert_same_positions_or_aside(start + "".join(pieces))


def test_a_pack_with_a_problem_is_re_read_without_ruamel_when_nothing_is_unusual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20 item 4: only files the fast reader steps aside for go to ruamel's reader."""
    read_by_ruamel: list[str] = []
    real = yaml_files._parse_round_trip

    def spy(text: str, shown: str, problems: list[Problem]) -> Any:
        read_by_ruamel.append(shown)
        return real(text, shown, problems)

    monkeypatch.setattr(yaml_files, "_parse_round_trip", spy)
    rules = MINI_PACK["rules-main.yaml"].replace("kind: discuss", "kind: nonsense", 1)
    folder = write_pack(tmp_path, {"rules-main.yaml": rules})
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    assert read_by_ruamel == []
    assert any("rules-main.yaml:" in str(p) for p in caught.value.problems)
