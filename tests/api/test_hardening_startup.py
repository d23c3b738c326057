"""Issue 16, item 17: library chatter stays at WARNING; `tact serve --demo` turns GraphiQL and
introspection on in development only, never over an explicit setting."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from api.cli_serve import demo_switches
from api.logging import configure_logging
from api.settings import Settings


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """configure_logging's stream, with pytest's root logger put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("tact", "aiosqlite")}
    configure_logging("INFO")
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        logging.getLogger("uvicorn.access").disabled = False


def test_libraries_speak_only_at_warning_and_tact_at_its_level(captured: io.StringIO) -> None:
    library = logging.getLogger("aiosqlite")
    library.setLevel(logging.INFO)  # as records/database.py (and Casbin's own dictConfig) do

    library.info("executing ...")
    logging.getLogger("sqlalchemy.engine").info("SELECT ...")
    logging.getLogger("tact.startup").info("started")
    library.warning("a library warning")

    lines = captured.getvalue().splitlines()
    assert len(lines) == 2
    assert '"logger":"tact.startup"' in lines[0]
    assert '"message":"a library warning"' in lines[1]


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://db/tact",
    "keystore_url": "postgresql://db/keys",
    "key_file": "/run/secrets/tact.key",
    "jwks": "https://idp.example.gov.uk/jwks.json",
}


def test_demo_turns_graphiql_and_introspection_on_in_development() -> None:
    assert demo_switches(settings(), with_demo=True) == {
        "TACT_GRAPHIQL": "true",
        "TACT_INTROSPECTION": "true",
    }
    assert demo_switches(settings(), with_demo=False) == {}


def test_an_explicit_setting_wins_over_demo() -> None:
    assert demo_switches(settings(graphiql=False), with_demo=True) == {"TACT_INTROSPECTION": "true"}


def test_production_keeps_both_off_even_with_demo() -> None:
    assert demo_switches(settings(**PRODUCTION), with_demo=True) == {}
    assert settings(**PRODUCTION).graphiql is False
    assert settings(**PRODUCTION).introspection is False
