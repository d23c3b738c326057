"""Fixtures of the retention tests: the app over real HTTP (tests/api/app_fixtures.py)."""

from tests.api.app_fixtures import app, client, clock, runtime  # noqa: F401
