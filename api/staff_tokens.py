"""Staff bearer tokens: JWTs from the organisation's identity provider, verified against its
JWKS (a file, or an https URL fetched and cached), or on the embedded default against a local
Ed25519 signing key that `tact token` signs with.

Only the subject (`sub`, the staff username) is taken from a token. Roles and services are
read from the database afterwards (authz.staff_actor), never from claims.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from api.settings import Settings
from authz.credentials import credentials_refused
from records.errors import KeyMaterialError, Unauthenticated
from records.key_files import load_ed25519, new_ed25519_pem, write_new

log = logging.getLogger("tact.auth")

# Asymmetric only: with a symmetric algorithm anyone holding the (public) JWKS could sign.
ALLOWED_ALGORITHMS = ("RS256", "ES256", "EdDSA")
CLOCK_SKEW = dt.timedelta(seconds=30)
MAX_TOKEN_LENGTH = 8192
JWKS_CACHE_SECONDS = 300


def _refuse(reason: str) -> Unauthenticated:
    return credentials_refused("bearer", reason)


def _usable(keys: Iterable[jwt.PyJWK]) -> list[jwt.PyJWK]:
    return [
        k
        for k in keys
        if k.algorithm_name in ALLOWED_ALGORITHMS and k.public_key_use in ("sig", None)
    ]


def _pick(keys: list[jwt.PyJWK], kid: str | None) -> jwt.PyJWK:
    if kid is None:
        # A token without `kid` is accepted only when the choice is not ambiguous.
        if len(keys) == 1:
            return keys[0]
        raise _refuse("no kid and several keys")
    for key in keys:
        if key.key_id == kid:
            return key
    raise _refuse("unknown kid")


class VerificationKeys(Protocol):
    async def key_for(self, kid: str | None) -> jwt.PyJWK: ...


class StaticKeys:
    """A key set held in memory: a JWKS file read at start-up, or the local signing key."""

    def __init__(self, key_set: jwt.PyJWKSet, origin: str) -> None:
        self._keys = _usable(key_set)
        if not self._keys:
            raise KeyMaterialError(f"{origin}: no RS256, ES256 or EdDSA signing key in the JWKS")

    @classmethod
    def from_file(cls, path: Path) -> StaticKeys:
        try:
            key_set = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise KeyMaterialError(f"JWKS file {path}: cannot be read as a JWK set") from exc
        return cls(key_set, f"JWKS file {path}")

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        return _pick(self._keys, kid)


class RemoteKeys:
    """The identity provider's JWKS endpoint, cached for JWKS_CACHE_SECONDS.

    PyJWKClient fetches with urllib, which blocks, so lookups run in a worker thread; after
    the first fetch they are served from its cache."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=JWKS_CACHE_SECONDS, timeout=5
        )

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        try:
            if kid is None:
                key_set = await asyncio.to_thread(self._client.get_jwk_set)
                return _pick(_usable(key_set), None)
            # get_signing_key refetches once (with a cooldown) when it meets an unknown kid,
            # so keys the identity provider rotates in are found without a restart.
            key = await asyncio.to_thread(self._client.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError:
            log.warning("JWKS endpoint unreachable", extra={"event": "jwks_unreachable"})
            raise _refuse("jwks unreachable") from None
        except jwt.PyJWTError:
            raise _refuse("no matching key") from None
        return _pick(_usable([key]), kid)


def keys_from_setting(jwks: str) -> VerificationKeys:
    """TACT_JWKS: an https URL (http only to this machine), or a path to a JWKS file."""
    parsed = urlparse(jwks)
    if parsed.scheme == "https":
        return RemoteKeys(jwks)
    if parsed.scheme == "http":
        if parsed.hostname not in ("localhost", "127.0.0.1", "::1"):
            raise KeyMaterialError("TACT_JWKS: a JWKS URL must use https")
        return RemoteKeys(jwks)
    return StaticKeys.from_file(Path(jwks))


@dataclass(frozen=True)
class LocalSigningKey:
    """The embedded default's token signing key (Ed25519, PEM, readable by the owner only)."""

    private_key: Ed25519PrivateKey
    kid: str

    @classmethod
    def load_or_create(cls, path: Path) -> LocalSigningKey:
        # Another process starting at the same time may make it first: then use theirs, or
        # tokens signed here would not verify there.
        if write_new(path, new_ed25519_pem()):
            log.warning(
                "generated a local token signing key for the embedded default; it is for local "
                "use only, set TACT_JWKS to your identity provider's keys in production",
                extra={"event": "token_signing_key_generated", "path": str(path)},
            )
        key = load_ed25519(path, "token signing key")
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return cls(key, hashlib.sha256(raw).hexdigest()[:16])

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update(kid=self.kid, use="sig", alg="EdDSA")
        return jwk

    def key_set(self) -> jwt.PyJWKSet:
        return jwt.PyJWKSet([self.public_jwk()])

    def issue(
        self, username: str, *, issuer: str, audience: str, now: dt.datetime, lifetime: dt.timedelta
    ) -> str:
        issued = int(now.timestamp())
        claims = {
            "sub": username,
            "iss": issuer,
            "aud": audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + int(lifetime.total_seconds()),
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})


def _numeric(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse(f"{name} not a number")
    return float(value)


def _check_times(claims: dict[str, Any], now: dt.datetime) -> None:
    # Checked here rather than by PyJWT so the clock can be injected.
    moment, skew = now.timestamp(), CLOCK_SKEW.total_seconds()
    expires = _numeric(claims, "exp")
    if expires is None or expires <= moment - skew:
        raise _refuse("expired")
    not_before = _numeric(claims, "nbf")
    if not_before is not None and not_before > moment + skew:
        raise _refuse("not yet valid")
    issued = _numeric(claims, "iat")
    if issued is not None and issued > moment + skew:
        raise _refuse("issued in the future")


class StaffTokenVerifier:
    """Checks a bearer token and returns its subject. Built once at start-up."""

    def __init__(self, keys: VerificationKeys, *, issuer: str, audience: str) -> None:
        self._keys, self._issuer, self._audience = keys, issuer, audience

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffTokenVerifier:
        if settings.jwks is not None:
            keys = keys_from_setting(settings.jwks)
        else:
            local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
            keys = StaticKeys(local.key_set(), "local token signing key")
        return cls(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    async def subject(self, token: str, now: dt.datetime) -> str:
        """The verified `sub`; raises Unauthenticated with one message for every failure."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise _refuse("too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refuse("malformed") from None
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise _refuse("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _refuse("malformed kid")
        key = await self._keys.key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": ["exp", "iss", "aud", "sub"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as exc:
            raise _refuse(type(exc).__name__) from None
        _check_times(claims, now)
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise _refuse("bad subject")
        return subject
