"""The JWT every CDS Hooks call carries, checked as the specification asks, with PyJWT.

The EHR signs a short-lived JWT per call (`Authorization: Bearer ...`). It is accepted only
when its `iss` is a configured issuer, its signature verifies against that issuer's
configured JWK Set (asymmetric keys only; no key is ever fetched), its `aud` is the URL
called, `exp` is at most five minutes ahead, `iat` is not in the future, and its `jti` was
never seen before from that issuer. Seen `jti`s are held in memory until they expire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt

from screening.catalogue import _
from screening.cds.config import JWT_ALGORITHMS

MAX_TOKEN_CHARS = 8_000
"""A bearer token; an EHR's is well under 2,000 characters."""

MAX_LIFETIME_SECONDS = 300
"""CDS Hooks: `exp` SHALL be no more than five minutes in the future."""

LEEWAY_SECONDS = 30
"""Clock difference tolerated between the EHR and this service."""

MAX_SEEN_TOKENS = 100_000
"""Unexpired `jti`s remembered against replay; beyond it calls are refused until some expire."""

REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]


class AuthError(Exception):
    """A call whose credentials are refused: 401, or 503 when the replay memory is full; its
    message in the language of the call (`screening.catalogue`)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def _decode(
    token: str, key: jwt.PyJWK, alg: str, iss: str, audiences: Iterable[str]
) -> dict[str, Any]:
    """The verified claims, or `AuthError` naming which check failed."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=list(audiences),
            issuer=iss,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(_("the JWT has expired")) from None
    except jwt.ImmatureSignatureError:
        raise AuthError(_("the JWT is issued in the future (iat) or not yet valid")) from None
    except jwt.InvalidAudienceError:
        raise AuthError(_("the JWT's aud is not the URL of this service")) from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(_("the JWT has no {claim} claim").format(claim=exc.claim)) from None
    except jwt.InvalidSignatureError:
        raise AuthError(_("the JWT's signature does not verify against its issuer's key")) from None
    except jwt.PyJWTError as exc:
        raise AuthError(_("the JWT is refused: {error}").format(error=type(exc).__name__)) from None
    return claims


class JwtChecker:
    """Checks one bearer token per call against the configured issuers; thread-safe."""

    def __init__(
        self,
        issuers: Mapping[str, Mapping[str, Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys: dict[str, dict[str, Mapping[str, Any]]] = {
            iss: {k["kid"]: k for k in jwks["keys"]} for iss, jwks in issuers.items()
        }
        self._built: dict[tuple[str, str, str], jwt.PyJWK] = {}
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def check(self, authorization: str | None, audiences: Iterable[str]) -> dict[str, Any]:
        """The token's claims; raise `AuthError` saying what is wrong (never echoing it)."""
        scheme, _space, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(
                _("a JWT bearer token is required ({header})").format(
                    header="Authorization: Bearer <JWT>"
                )
            )
        token = token.strip()
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError(
                _("the bearer token is over {limit} characters").format(limit=MAX_TOKEN_CHARS)
            )
        try:  # read once, unverified, only to find the issuer's key; verified below
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError(_("the bearer token is not a JWT")) from None
        header, claimed = unverified["header"], unverified["payload"]  # PyJWT: both objects
        alg, kid, iss = header.get("alg"), header.get("kid"), claimed.get("iss")
        if alg not in JWT_ALGORITHMS:
            raise AuthError(
                _("the JWT's alg must be one of {algorithms}").format(
                    algorithms=", ".join(JWT_ALGORITHMS)
                )
            )
        if not isinstance(iss, str) or iss not in self._keys:
            raise AuthError(_("the JWT's iss is not an issuer this service is configured to trust"))
        if not isinstance(kid, str) or kid not in self._keys[iss]:
            raise AuthError(_("the JWT's kid names no key in its issuer's configured JWK Set"))
        key = self._key(iss, kid, str(alg))
        now = self._clock()
        claims = _decode(token, key, str(alg), iss, audiences)
        exp, jti = claims["exp"], claims["jti"]
        if exp - now > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
            raise AuthError(
                _("the JWT's exp is more than {limit} s ahead").format(limit=MAX_LIFETIME_SECONDS)
            )
        if not isinstance(jti, str) or not jti:
            raise AuthError(_("the JWT's jti must be a non-empty string"))
        self._remember(iss, jti, float(exp), now)
        return claims

    def _key(self, iss: str, kid: str, alg: str) -> jwt.PyJWK:
        """The issuer's key for this algorithm; a JWK naming another `alg` is not used for it."""
        cached = self._built.get((iss, kid, alg))
        if cached is not None:
            return cached
        data = dict(self._keys[iss][kid])
        if data.get("alg", alg) != alg:
            raise AuthError(_("the JWT's alg is not the algorithm of the key it names"))
        try:
            built = jwt.PyJWK(data, algorithm=alg)
        except jwt.PyJWTError:
            raise AuthError(_("the JWT's alg does not fit the key it names")) from None
        self._built[(iss, kid, alg)] = built  # two threads may build it at once: the same key
        return built

    def _remember(self, iss: str, jti: str, exp: float, now: float) -> None:
        with self._lock:
            if (iss, jti) in self._seen:
                raise AuthError(_("the JWT's jti was already used: a replayed call is refused"))
            if len(self._seen) >= MAX_SEEN_TOKENS:
                for seen, until in list(self._seen.items()):
                    if until + LEEWAY_SECONDS < now:
                        del self._seen[seen]
            if len(self._seen) >= MAX_SEEN_TOKENS:
                raise AuthError(
                    _("too many calls in flight to check for replay; retry shortly"), 503
                )
            self._seen[(iss, jti)] = exp
