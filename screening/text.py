"""Text from outside made safe to show, and JSON from outside read strictly: written once.

Whatever a file, a name or a request holds, what the product prints of it can neither drive
a terminal nor show itself in another order (`printable`), is never quoted whole (`echo`),
and JSON is read with every key once and every number bounded (`strict_json`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from screening.limits import MAX_ECHO

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Marks, embeddings, overrides and isolates: each can show stored text in another order."""

_C1 = "\x7f-\x9f"
"""DEL and the C1 controls."""

UNPRINTABLE = re.compile(f"[\x00-\x1f{_C1}{BIDI_CONTROLS}]")
"""Control characters (C0, DEL, C1) and bidirectional controls: a terminal obeys the first,
and the second can show a name reversed."""

RAW_IN_JSON = re.compile(f"[{_C1}{BIDI_CONTROLS}]")
"""What JSON leaves raw of `UNPRINTABLE` (it already escapes the C0 controls)."""

NOT_WHITESPACE_CONTROLS = re.compile(f"[\x00-\x08\x0e-\x1f{_C1}{BIDI_CONTROLS}]")
"""`UNPRINTABLE` less the whitespace controls (tab to carriage return), which fold to spaces."""


def printable(text: str) -> str:
    """`text` with control and bidirectional characters shown as escapes (`\\x1b`, `\\u202e`).

    Whatever a file or its name holds, a message about it can neither drive the terminal
    (colours, titles, cursor moves, bells) nor show itself in another order.
    """
    return UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )


def printable_lines(text: str) -> str:
    """`text` made `printable` line by line: its line breaks (`\\n`, `\\r\\n`) kept, every
    other control shown as an escape. What every command prints on a terminal goes through it."""
    lines = text.split("\n")
    return "\n".join(
        printable(line[:-1]) + "\r" if line.endswith("\r") else printable(line) for line in lines
    )


def escaped_json(text: str) -> str:
    """JSON with DEL, C1 and bidirectional controls written as `\\u` escapes, as JSON already
    writes the C0 controls: the same data, but a terminal showing it obeys none of them."""
    return RAW_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """At most `limit` characters, an ellipsis for the rest."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def echo(value: str) -> str:
    """A value as a message quotes it: at most `MAX_ECHO` characters, an ellipsis for the rest.
    Every message and problems file quotes through this, so no input is ever echoed whole."""
    return shorten(value)


def echo_json(value: Any) -> str:
    """A JSON value as a message quotes it: as JSON in ASCII, then `echo`ed."""
    return echo(json.dumps(value, ensure_ascii=True))


def one_line(text: str) -> str:
    """Text from a file on one line, as a message quotes it: controls and line breaks gone,
    then `echo`ed."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    return echo(" ".join(kept.split()))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a cell as a formula (or as the start of one)."""


def inert_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs (OWASP, CSV injection): one that
    opens with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms) is
    prefixed with a single quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class DuplicateKeyError(ValueError):
    """A key given twice in one object: JSON readers disagree on which value wins."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class NumberTooLongError(ValueError):
    """A JSON number with more characters than any field needs (and Python would read)."""


class TooManyKeysError(ValueError):
    """An object with more keys than the reader allows."""


class ConstantError(ValueError):
    """`NaN`, `Infinity` or `-Infinity`: Python reads them, JSON does not have them."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class UnpairedSurrogateError(ValueError):
    """A string holding half of a surrogate pair (`"\\ud800"` alone): valid JSON syntax, but
    it stands for no character, and no UTF-8 text (a reply, a page) can carry it."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}")
        self.line = line
        self.column = column


_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
"""A run of backslashes, then `u` and a surrogate's four digits: an escape when the run is odd."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def unpaired_surrogate_at(text: str) -> int | None:
    """Where (an offset) JSON text that parses writes the first half of a surrogate pair left
    alone, escaped (`\\ud800` not followed by `\\udc00`-`\\udfff`) or as itself; None if it
    writes none. Linear in the text, and a regular expression's scan when it has no escape."""
    raw = _SURROGATE.search(text)
    first = raw.start() if raw else None
    pending: tuple[int, int] | None = None  # a high half's escape, awaiting its low half
    for m in _SURROGATE_ESCAPE.finditer(text, 0, len(text) if first is None else first):
        if len(m[1]) % 2 == 0:
            continue  # escaped backslashes, then a plain "u"
        start = m.end(1) - 1
        high = int(m[2], 16) < 0xDC00
        if pending is not None:
            if not high and start == pending[1]:
                pending = None
                continue
            return pending[0]
        if not high:
            return start
        pending = (start, m.end())
    return pending[0] if pending is not None else first


def strict_json(
    text: str | bytes,
    *,
    max_digits: int | None = None,
    max_keys: int | None = None,
    refuse_constants: bool = False,
    refuse_surrogates: bool = False,
) -> Any:
    """JSON read strictly, in time linear in the text.

    Raises `DuplicateKeyError` for a key given twice in one object, `NumberTooLongError` for a
    number longer than `max_digits` characters (before converting it), `TooManyKeysError` for
    an object with more than `max_keys` keys, `ConstantError` for `NaN` or `Infinity` when
    `refuse_constants`, `UnpairedSurrogateError` for half a surrogate pair when
    `refuse_surrogates` (for input kept as plain data, which no model's string check reads);
    and, as `json.loads`, `json.JSONDecodeError` and `RecursionError`.
    """

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if max_keys is not None and len(pairs) > max_keys:
            raise TooManyKeysError
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise DuplicateKeyError(key)
            result[key] = value
        return result

    def bounded(digits: str) -> str:
        if max_digits is not None and len(digits) > max_digits:
            raise NumberTooLongError
        return digits

    def constant(name: str) -> Any:
        raise ConstantError(name)

    parsed = json.loads(
        text,
        object_pairs_hook=pairs_hook,
        parse_int=lambda digits: int(bounded(digits)),
        parse_float=lambda digits: float(bounded(digits)),
        parse_constant=constant if refuse_constants else None,
    )
    if refuse_surrogates:
        decoded = text if isinstance(text, str) else text.decode("utf-8", "surrogatepass")
        at = unpaired_surrogate_at(decoded)
        if at is not None:
            line = decoded.count("\n", 0, at) + 1
            raise UnpairedSurrogateError(line, at - decoded.rfind("\n", 0, at))
    return parsed


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether any value of read JSON sits deeper than `limit` (the top value is at depth 1):
    a level of containers at a time, so scalars cost nothing."""
    level = [data] if isinstance(data, dict | list) else []
    depth = 1
    while level:
        if depth >= limit:
            return any(level)  # a non-empty container here has children deeper than the limit
        deeper: list[Any] = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value
            deeper += [c for c in children if isinstance(c, dict | list)]
        level = deeper
        depth += 1
    return False
