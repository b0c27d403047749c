"""Pydantic's validation errors worded through the catalogue: its English for each kind of error
that our inputs meet, kept as a `Said` so a problem is shown in the language of its render.

Pydantic words its errors in English only (`error["msg"]`); each kind here is its template,
filled from the error's `ctx`, so the English stays pydantic's own text byte for byte. A kind
not listed, or one whose English would differ from pydantic's (a new pydantic release), keeps
pydantic's text as it is. Our own validators raise a `Said` (in a `ValueError` or as a
`PydanticCustomError` template listed in `CUSTOM_MESSAGES`), which is worded the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import ErrorDetails

from screening.catalogue import N_, Said

_TEMPLATES: Mapping[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "none_required": N_("Input should be None"),
    "string_type": N_("Input should be a valid string"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "dict_type": N_("Input should be a valid dictionary"),
    "list_type": N_("Input should be a valid list"),
    "tuple_type": N_("Input should be a valid tuple"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "value_error": N_("Value error, {error}"),
    "union_tag_invalid": N_(
        "Input tag '{tag}' found using {discriminator} does not match any of the expected "
        "tags: {expected_tags}"
    ),
}
"""Pydantic's English for each kind of error, as `pydantic_core` writes its template."""

_COUNTED: Mapping[tuple[str, bool], str] = {
    ("too_short", True): N_(
        "{field_type} should have at least {min_length} item after validation, not {actual_length}"
    ),
    ("too_short", False): N_(
        "{field_type} should have at least {min_length} items after validation, not {actual_length}"
    ),
    ("too_long", True): N_(
        "{field_type} should have at most {max_length} item after validation, not {actual_length}"
    ),
    ("too_long", False): N_(
        "{field_type} should have at most {max_length} items after validation, not {actual_length}"
    ),
    ("string_too_short", True): N_("String should have at least {min_length} character"),
    ("string_too_short", False): N_("String should have at least {min_length} characters"),
    ("string_too_long", True): N_("String should have at most {max_length} character"),
    ("string_too_long", False): N_("String should have at most {max_length} characters"),
}
"""The kinds whose English agrees with a length (pydantic adds the plural `s` itself)."""

_FIELD_TYPES: Mapping[str, str] = {
    "List": N_("List"),
    "Tuple": N_("Tuple"),
    "Dictionary": N_("Dictionary"),
    "Set": N_("Set"),
    "Value": N_("Value"),
}
"""The kinds of collection pydantic names in a length error."""

CUSTOM_MESSAGES: list[str] = []
"""The templates of our own `PydanticCustomError`s (`custom_error`), worded like pydantic's."""


def custom_message(template: str) -> str:
    """Lists a template of our own validation errors (marked `N_` where it is written), so its
    errors are worded in the language of their render; returns it."""
    CUSTOM_MESSAGES.append(template)
    return template


def error_said(error: ErrorDetails) -> str:
    """A pydantic error's message: a `Said` whose English is pydantic's text, or that text as
    it is for a kind of error we do not expect."""
    msg = error["msg"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    kind = error["type"]
    template = _TEMPLATES.get(kind)
    if kind == "value_error":
        ctx["error"] = value_error_said(ctx.get("error"))
    if kind in ("literal_error", "enum") and " or " in str(ctx.get("expected", "")):
        some, last = str(ctx["expected"]).rsplit(" or ", 1)
        ctx["expected"] = Said(N_("{some} or {last}"), some=some, last=last)
    if "field_type" in ctx:
        ctx["field_type"] = Said(_FIELD_TYPES.get(str(ctx["field_type"]), str(ctx["field_type"])))
    if template is None:
        length = ctx.get("min_length", ctx.get("max_length"))
        template = _COUNTED.get((kind, length == 1))
    if template is None:
        template = next((t for t in CUSTOM_MESSAGES if _filled(t, ctx) == msg), None)
    if template is None:
        return msg
    said = Said(template, **{k: v if isinstance(v, Said) else str(v) for k, v in ctx.items()})
    return said if said == msg else msg


def value_error_said(error: object) -> str:
    """The message of a `ValueError` one of our validators raised: the `Said` it carries, or
    its text."""
    if isinstance(error, ValueError) and error.args and isinstance(error.args[0], Said):
        return error.args[0]
    return str(error)


def _filled(template: str, ctx: Mapping[str, Any]) -> str | None:
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return None
