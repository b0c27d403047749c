"""What a clinic configures about its CDS service: who may call it, from where, and what it shows.

Read from one JSON file (`cds serve --config FILE`), validated whole before the service
starts; a bad file is refused with one line per problem naming the file and the field.
Nothing here is about a patient: issuers' public keys, host names, origins and switches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.catalogue import N_, SOURCE_LANGUAGE, Said, available_languages
from screening.errors import Problem, ScreeningError
from screening.text import echo

MAX_CONFIG_BYTES = 1_000_000
"""A configuration file: a few issuers' key sets fit in a few kilobytes."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
"""Host names a service on this machine answers to when nothing else is configured."""

JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
"""Signature algorithms accepted from an EHR: asymmetric only (CDS Hooks asks for ES384 or
RS384); never `none` and never a shared secret (HS*), which a key set must not hold."""


@dataclass(frozen=True)
class ServiceConfig:
    """The service's settings; the defaults are a service on loopback that nobody can call.

    `issuers` maps each allowed `iss` to its JWK Set (the EHR's public keys, as JSON).
    `audience` is the service's own public base URL: a call's `aud` must be that base plus
    the path called. `jwt_off` is the development switch (loopback only, said loudly).
    """

    issuers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    audience: str = "http://127.0.0.1:8090"
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    allowed_origins: tuple[str, ...] = ()
    fhir_servers: tuple[str, ...] = ()
    per_point_cards: bool = False
    app_url: str | None = None
    jwt_off: bool = False
    feedback_per_call: int = 20
    feedback_per_minute: int = 600
    body_seconds: float = 10.0
    header_seconds: float = 10.0
    language: str = SOURCE_LANGUAGE
    """The language of everything the service says, its cards, notes and refusals (the pack's
    words stay as written): a tag with a catalogue here
    (`screening.catalogue.available_languages`); `cds serve --lang` sets it over the file's."""


KNOWN_KEYS = {
    "issuers": Said(
        N_("must be an object: issuer URL -> its JWK Set ({example})"), example='{"keys": [...]}'
    ),
    "audience": Said(
        N_("must be the service's public base URL, such as {example}"),
        example="https://cds.example-hospital.org",
    ),
    "allowed_hosts": Said(N_("must be a list of host names the service answers to")),
    "allowed_origins": Said(
        N_("must be a list of web origins allowed by CORS, such as {example}"),
        example="https://ehr.example.org",
    ),
    "fhir_servers": Said(
        N_(
            "must be a list of FHIR base URLs a call's fhirServer may name, to fetch missing "
            "prefetch from with the call's fhirAuthorization token"
        )
    ),
    "per_point_cards": Said(
        N_("must be true for one card per checklist point instead of one summary card")
    ),
    "language": Said(
        N_(
            "must be the tag of a language with a catalogue here, for the cards' own words "
            "({languages})"
        ),
        languages=", ".join(available_languages()),
    ),
    "app_url": Said(N_("must be the web form's address, linked from the summary card")),
    "feedback_per_call": Said(N_("must be the most feedback entries in one call (1 to 100)")),
    "feedback_per_minute": Said(
        N_("must be the most feedback entries accepted per minute (1 to 100000)")
    ),
    "body_seconds": Said(N_("must be seconds allowed to receive a request body (0.5 to 60)")),
    "header_seconds": Said(
        N_("must be seconds allowed to receive a request's headers (0.5 to 60)")
    ),
}
"""Each setting, and what its value must be (the refusal of a bad one)."""

_URL = re.compile(r"https?://[^\s|#?]+")
_ORIGIN = re.compile(r"https?://[^\s/|#?]+")
_HOST = re.compile(r"(\*\.)?[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]|::1")


def _problem(path: Path, key: str, message: str) -> Problem:
    return Problem(str(path), message, ref=key)


def _strings(value: Any, pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and pattern.fullmatch(v) for v in value
    ):
        return None
    return tuple(value)


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return None
    return float(value)


def _key_set_problem(jwks: Any) -> Said | None:
    """Why a JWK Set is unusable, or None: public asymmetric keys only, each with a `kid`."""
    import jwt  # noqa: PLC0415 - only a configured service needs PyJWT

    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        return Said(
            N_("must be a JWK Set: {example} with at least one key"), example='{"keys": [ ... ]}'
        )
    for n, key in enumerate(jwks["keys"]):
        at = f"keys[{n}]"
        if not isinstance(key, dict) or not isinstance(key.get("kid"), str):
            return Said(N_("{key} needs a kid"), key=at)
        if key.get("kty") not in ("RSA", "EC"):
            return Said(
                N_("{key} must be an RSA or EC public key, not {kty}"),
                key=at,
                kty=repr(key.get("kty")),
            )
        if "d" in key:
            return Said(N_("{key} is a private key: configure the EHR's public key only"), key=at)
        try:
            jwt.PyJWK(key)
        except jwt.PyJWTError as exc:
            return Said(N_("{key} is not a usable key: {reason}"), key=at, reason=str(exc))
    return None


def _issuers(issuers: Any, path: Path, problems: list[Problem]) -> Any:
    if not isinstance(issuers, dict):
        problems.append(_problem(path, "issuers", KNOWN_KEYS["issuers"]))
        return {}
    for iss, jwks in issuers.items():
        why = _key_set_problem(jwks) if _URL.fullmatch(iss) else Said(N_("must be an http(s) URL"))
        if why:
            problems.append(_problem(path, f"issuers.{echo(iss)}", why))
    return issuers


def parse_config(data: Any, path: Path) -> ServiceConfig:
    """A configuration from parsed JSON; raise `ScreeningError` listing every problem."""
    if not isinstance(data, dict):
        raise ScreeningError([_problem(path, "", Said(N_("must be a JSON object")))])
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key in data:
        if key not in KNOWN_KEYS:
            problems.append(
                _problem(
                    path,
                    key,
                    Said(N_("unknown setting; known: {keys}"), keys=", ".join(sorted(KNOWN_KEYS))),
                )
            )
    if "issuers" in data:
        values["issuers"] = _issuers(data["issuers"], path, problems)
    checks: dict[str, tuple[Any, ...]] = {
        "audience": (
            lambda v: v.rstrip("/") if isinstance(v, str) and _URL.fullmatch(v) else None,
        ),
        "app_url": (lambda v: v if isinstance(v, str) and _URL.fullmatch(v) else None,),
        "allowed_hosts": (lambda v: _strings(v, _HOST),),
        "allowed_origins": (lambda v: _strings(v, _ORIGIN),),
        "fhir_servers": (lambda v: _strings(v, _URL),),
        "per_point_cards": (lambda v: v if isinstance(v, bool) else None,),
        "feedback_per_call": (lambda v: _int(v, 1, 100),),
        "feedback_per_minute": (lambda v: _int(v, 1, 100_000),),
        "body_seconds": (lambda v: _number(v, 0.5, 60),),
        "header_seconds": (lambda v: _number(v, 0.5, 60),),
        "language": (lambda v: v if isinstance(v, str) and v in available_languages() else None,),
    }
    for key, (check,) in checks.items():
        if key in data:
            value = check(data[key])
            if value is None:
                problems.append(_problem(path, key, KNOWN_KEYS[key]))
            else:
                values[key] = value
    if problems:
        raise ScreeningError(problems)
    return ServiceConfig(**values)


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def load_config(path: Path) -> ServiceConfig:
    """Read and validate a configuration file, bounded in size; refuse it whole if anything
    is wrong."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ScreeningError(
            [
                _problem(
                    path,
                    "",
                    Said(N_("cannot be read: {reason}"), reason=str(exc.strerror or exc)),
                )
            ]
        ) from None
    if len(raw) > MAX_CONFIG_BYTES:
        said = Said(N_("is over {limit} bytes"), limit=str(MAX_CONFIG_BYTES))
        raise ScreeningError([_problem(path, "", said)])
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        said = (
            Said(N_("is not valid JSON (line {line})"), line=str(exc.lineno))
            if isinstance(exc, json.JSONDecodeError)
            else Said(N_("is not valid JSON"))
        )
        raise ScreeningError([_problem(path, "", said)]) from None
    return parse_config(data, path)
