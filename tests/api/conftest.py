"""Fixtures of the api tests: an identity provider's keys and JWKS, and the staff they name."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings
from records.database import Database
from tests.api.staff_factories import (
    AUDIENCE,
    ISSUER,
    SigningKey,
    add_people,
    make_key,
    write_jwks,
)


@pytest.fixture(scope="module")
def idp_keys() -> dict[str, SigningKey]:
    """The identity provider's keys, one per allowed algorithm (RSA generation is slow)."""
    return {alg: make_key(alg) for alg in ("RS256", "ES256", "EdDSA")}


@pytest.fixture
def jwks_settings(tmp_path: Path, idp_keys: dict[str, SigningKey]) -> Settings:
    jwks = write_jwks(tmp_path / "jwks.json", list(idp_keys.values()))
    return Settings(
        data_dir=tmp_path / "data", jwks=str(jwks), jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    )


@pytest.fixture
async def people(database: Database) -> Database:
    await add_people(database)
    return database


# The app over real HTTP (runtime, app, client, clock): see tests/api/app_fixtures.py.
from tests.api.app_fixtures import app, client, clock, runtime  # noqa: E402, F401
