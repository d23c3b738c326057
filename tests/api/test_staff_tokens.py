"""Staff bearer tokens: real JWTs signed with keys generated here, verified against a JWKS
file, a JWKS served over real HTTP, or the embedded default's local signing key."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.authentication import Authenticator
from api.settings import Settings
from api.staff_tokens import LocalSigningKey
from authz.actor import ActorKind, RoleGrant
from authz.credentials import REFUSED
from records.database import Database
from records.errors import KeyMaterialError, Unauthenticated
from records.models import Role
from tests.api.staff_factories import (
    AUDIENCE,
    ISSUER,
    NOW,
    SigningKey,
    authenticate,
    bearer,
    claims,
    make_key,
    refused_tokens,
    sign,
)

# -- staff tokens against a JWKS file -----------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
async def test_a_staff_token_yields_roles_from_the_database_not_the_claims(
    people: Database,
    jwks_settings: Settings,
    idp_keys: dict[str, SigningKey],
    algorithm: str,
) -> None:
    authenticator = Authenticator.from_settings(jwks_settings)
    token = sign(idp_keys[algorithm], claims(roles=["admin"], services=["fire-safety"]))

    actor = await authenticate(authenticator, people, bearer(token))

    assert actor is not None
    assert actor.kind is ActorKind.STAFF
    assert actor.label == "staff:alex.officer"
    assert actor.staff_id is not None
    assert actor.roles == {
        RoleGrant(Role.MANAGER, "housing"),
        RoleGrant(Role.IG_OFFICER, None),
    }
    assert actor.roles_in("fire-safety") == {Role.IG_OFFICER}
    assert Role.ADMIN not in actor.roles_in("housing")


async def test_bad_tokens_are_refused_with_one_message_that_reveals_nothing(
    people: Database, jwks_settings: Settings, idp_keys: dict[str, SigningKey]
) -> None:
    authenticator = Authenticator.from_settings(jwks_settings)
    messages: dict[str, str] = {}
    for label, token in refused_tokens(idp_keys).items():
        with pytest.raises(Unauthenticated) as refused:
            await authenticate(authenticator, people, bearer(token))
        messages[label] = refused.value.message

    assert set(messages.values()) == {REFUSED}, messages
    for word in ("expired", "audience", "issuer", "signature", "sam.former", "nobody"):
        assert word not in REFUSED


async def test_the_token_clock_is_the_injected_one(
    people: Database, jwks_settings: Settings, idp_keys: dict[str, SigningKey]
) -> None:
    authenticator = Authenticator.from_settings(jwks_settings)
    token = sign(idp_keys["ES256"], claims())  # expires NOW + 15 minutes

    assert await authenticate(authenticator, people, bearer(token), NOW) is not None
    later = NOW + dt.timedelta(minutes=16)
    with pytest.raises(Unauthenticated):
        await authenticate(authenticator, people, bearer(token), later)


def test_an_unusable_jwks_file_is_a_start_up_error(tmp_path: Path) -> None:
    (tmp_path / "jwks.json").write_text('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')
    settings = Settings(data_dir=tmp_path, jwks=str(tmp_path / "jwks.json"))
    with pytest.raises(KeyMaterialError, match="no RS256, ES256 or EdDSA"):
        Authenticator.from_settings(settings)
    with pytest.raises(KeyMaterialError, match="cannot be read"):
        Authenticator.from_settings(Settings(data_dir=tmp_path, jwks=str(tmp_path / "none")))


def test_a_jwks_url_must_be_https_unless_local(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, jwks="http://login.example.test/jwks")
    with pytest.raises(KeyMaterialError, match="https"):
        Authenticator.from_settings(settings)


# -- staff tokens against a JWKS URL -------------------------------------------------------


@pytest.fixture
def jwks_endpoint(idp_keys: dict[str, SigningKey]) -> Iterator[tuple[str, list[int]]]:
    """A real HTTP server on this machine serving the JWKS; yields (url, fetch counter)."""
    body = json.dumps({"keys": [k.jwk() for k in idp_keys.values()]}).encode()
    fetches: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(1)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", fetches
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_a_jwks_url_is_fetched_once_and_cached(
    people: Database,
    tmp_path: Path,
    idp_keys: dict[str, SigningKey],
    jwks_endpoint: tuple[str, list[int]],
) -> None:
    url, fetches = jwks_endpoint
    settings = Settings(data_dir=tmp_path, jwks=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    authenticator = Authenticator.from_settings(settings)

    for algorithm in ("RS256", "ES256", "EdDSA"):
        token = sign(idp_keys[algorithm], claims())
        actor = await authenticate(authenticator, people, bearer(token))
        assert actor is not None and actor.label == "staff:alex.officer"
    stranger = make_key("EdDSA", kid=idp_keys["EdDSA"].kid)
    with pytest.raises(Unauthenticated):
        await authenticate(authenticator, people, bearer(sign(stranger, claims())))

    assert len(fetches) == 1


# -- the embedded default's local signing key ----------------------------------------------


async def test_the_local_signing_key_is_made_once_and_verifies_its_tokens(
    people: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with caplog.at_level(logging.WARNING, logger="tact.auth"):
        authenticator = Authenticator.from_settings(settings)
    key_file = settings.resolved_local_signing_key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert any("local token signing key" in r.getMessage() for r in caplog.records)

    local = LocalSigningKey.load_or_create(key_file)
    token = local.issue(
        "alex.officer",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        now=NOW,
        lifetime=dt.timedelta(minutes=60),
    )
    again = Authenticator.from_settings(settings)  # a second process: same key, no new file

    for each in (authenticator, again):
        actor = await authenticate(each, people, bearer(token))
        assert actor is not None and actor.roles_in("housing") == {
            Role.MANAGER,
            Role.IG_OFFICER,
        }
    with pytest.raises(Unauthenticated):
        await authenticate(authenticator, people, bearer(token), NOW + dt.timedelta(hours=2))


async def test_the_operator_log_says_why_without_the_token_or_subject(
    people: Database,
    jwks_settings: Settings,
    idp_keys: dict[str, SigningKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    authenticator = Authenticator.from_settings(jwks_settings)
    token = sign(idp_keys["EdDSA"], claims(sub="sam.former"))

    with caplog.at_level(logging.INFO, logger="tact.auth"), pytest.raises(Unauthenticated):
        await authenticate(authenticator, people, bearer(token))

    [record] = caplog.records
    assert record.__dict__["event"] == "credentials_refused"
    assert record.__dict__["reason"] == "unknown or inactive staff"
    logged = json.dumps({k: str(v) for k, v in record.__dict__.items()})
    assert "sam.former" not in logged and token not in logged
