"""schema.graphql is the strawberry schema, exported: change one without the other and the
suite fails (re-export with `tact schema export`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from schema.root import build_schema, schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_is_in_step_with_the_schema() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is out of date: run `tact schema export`"
    )


def test_the_switches_do_not_change_the_schema() -> None:
    assert str(build_schema(introspection=True)) == str(build_schema(introspection=False))


async def test_export_writes_the_file_and_check_compares_it(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    runner = CliRunner()

    stale = await asyncio.to_thread(
        runner.invoke, main, ["schema", "export", "--output", str(target), "--check"]
    )
    written = await asyncio.to_thread(
        runner.invoke, main, ["schema", "export", "--output", str(target)]
    )
    checked = await asyncio.to_thread(
        runner.invoke, main, ["schema", "export", "--output", str(target), "--check"]
    )

    assert stale.exit_code == 1 and "out of date" in stale.output
    assert written.exit_code == 0
    assert target.read_text(encoding="utf-8") == schema_sdl()
    assert checked.exit_code == 0
