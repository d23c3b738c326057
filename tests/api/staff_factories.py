"""Factories for authentication tests (plain functions): identity-provider keys, JWTs,
a JWKS document, and the staff and services the tokens name."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.authentication import Authenticator
from authz.actor import Actor
from records.database import Database
from records.models import Role, Service, Staff, StaffRole

NOW = dt.datetime(2031, 3, 4, 9, 30, tzinfo=dt.UTC)
ISSUER = "https://login.example.test/tenant"
AUDIENCE = "tact-test"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        public = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.algorithm}


def make_key(algorithm: str, kid: str | None = None) -> SigningKey:
    private: Any
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = Ed25519PrivateKey.generate()
    return SigningKey(kid or f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}", algorithm, private)


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "alex.officer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + dt.timedelta(minutes=15)).timestamp()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: SigningKey, payload: dict[str, Any], *, kid: str | None = "same") -> str:
    headers = {"kid": key.kid if kid == "same" else kid} if kid is not None else {}
    return jwt.encode(payload, key.private, algorithm=key.algorithm, headers=headers)


def write_jwks(path: Path, keys: list[SigningKey]) -> Path:
    path.write_text(json.dumps({"keys": [k.jwk() for k in keys]}), encoding="utf-8")
    return path


async def authenticate(
    authenticator: Authenticator,
    database: Database,
    headers: dict[str, str],
    now: dt.datetime = NOW,
) -> Actor | None:
    async with database.sessions() as session, session.begin():
        return await authenticator.authenticate(headers, session, now)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused_tokens(idp: dict[str, SigningKey]) -> dict[str, str]:
    ed = idp["EdDSA"]
    stranger = make_key("EdDSA", kid=ed.kid)  # same kid, different key: a forged signature
    hs_secret = ed.private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": ed.kid})
    signed = sign(ed, claims())
    head, body, _ = signed.split(".")
    return {
        "expired": sign(ed, claims(exp=int((NOW - dt.timedelta(minutes=5)).timestamp()))),
        "wrong audience": sign(ed, claims(aud="another-service")),
        "wrong issuer": sign(ed, claims(iss="https://login.example.test/other")),
        "signed by another key": sign(stranger, claims()),
        "alg none": unsigned,
        "alg none, signature stripped": f"{head}.{body}.",
        "HS256 with the public key as secret": jwt.encode(
            claims(), hs_secret, algorithm="HS256", headers={"kid": ed.kid}
        ),
        "malformed": "not-a-token",
        "malformed segments": "a.b.c",
        "no exp": sign(ed, claims(exp=None)),
        "no sub": sign(ed, claims(sub=None)),
        "not yet valid": sign(ed, claims(nbf=int((NOW + dt.timedelta(hours=1)).timestamp()))),
        "unknown kid": sign(ed, claims(), kid="no-such-kid"),
        "no kid among several keys": sign(ed, claims(), kid=None),
        "unknown subject": sign(ed, claims(sub="nobody.here")),
        "inactive staff": sign(ed, claims(sub="sam.former")),
    }


async def add_people(database: Database) -> None:
    """Services; an active officer with roles in housing and everywhere; an inactive one."""
    async with database.sessions() as session, session.begin():
        housing = Service(id=uuid.uuid4(), slug="housing", name="Housing")
        fire = Service(id=uuid.uuid4(), slug="fire-safety", name="Fire safety")
        active = Staff(id=uuid.uuid4(), username="alex.officer", display_name="Officer A")
        former = Staff(
            id=uuid.uuid4(), username="sam.former", display_name="Officer S", active=False
        )
        session.add_all([housing, fire, active, former])
        await session.flush()
        session.add_all(
            [
                StaffRole(staff_id=active.id, role=Role.MANAGER, service_id=housing.id),
                StaffRole(staff_id=active.id, role=Role.IG_OFFICER, service_id=None),
                StaffRole(staff_id=former.id, role=Role.MANAGER, service_id=housing.id),
            ]
        )
