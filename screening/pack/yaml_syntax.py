"""Where a YAML syntax error is: the line a person must mend, which is not always the line
where the reader noticed it."""

from __future__ import annotations

import contextlib
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import BlockEndToken, ScalarToken, StreamEndToken, ValueToken


def mistake_line(text: str, exc: MarkedYAMLError) -> int | None:
    """The line a syntax error is on. A key without its ':' is noticed only at the next token,
    often lines later: ruamel's context mark is the key itself, and a key written alone above
    its indented fields (`pack` for `pack:`) is read on into the next line's key."""
    if exc.context == "while scanning a simple key" and exc.context_mark is not None:
        return int(exc.context_mark.line) + 1
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None
    if exc.problem == "mapping values are not allowed here":
        key = _key_read_on(text[: mark.index])
        if key is not None and key < mark.line:
            return key + 1
    return int(mark.line) + 1


def _key_read_on(before: str) -> int | None:
    """The first line of the plain scalar that ends `before`, when it stands where a key does
    (not after a ':'): a key whose ':' is missing, read on into the next line."""
    tokens: list[Any] = []
    with contextlib.suppress(YAMLError):
        tokens.extend(YAML(typ="rt").scan(before))
    tokens = [t for t in tokens if not isinstance(t, (StreamEndToken, BlockEndToken))]
    if not tokens or not isinstance(tokens[-1], ScalarToken) or not tokens[-1].plain:
        return None
    if isinstance(tokens[-2], ValueToken):
        return None
    return int(tokens[-1].start_mark.line)
