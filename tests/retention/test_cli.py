"""`tact retention` as the README tells an IG officer to use it: place a hold, see it named in
the preview with the rule, release it; bad input is refused by field, not by value."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from casework.profiles import load_profile
from records.database import Database
from records.vault import Vault
from tests.cli import tact, tact_env
from tests.retention.world import add_case, build_world

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)


async def test_hold_preview_release_from_the_command_line(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference = world.references[case_id]
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")
    placed = await tact(
        env, "retention", "hold", "place", "--as", "ig.one", "--case-ref", reference,
        "--reason", "ombudsman_investigation",
    )  # fmt: skip
    assert placed.exit_code == 0, placed.output
    hold_id = placed.output.strip()

    preview = await tact(env, "retention", "preview", "--as-of", "2026-03-01")
    (line,) = [json.loads(text) for text in preview.output.splitlines()]
    assert line["case"] == reference and line["action"] == "held"
    assert line["holds"] == ["ombudsman_investigation"]
    version = load_profile("portsmouth-cc").version
    assert line["rule"] == (
        "after_last_restriction: destroy 6 years after the last restriction ended "
        f"(profile portsmouth-cc v{version})"
    )
    assert line["destroy_on"] == "2026-03-01"

    refused = await tact(
        env, "retention", "hold", "place", "--as", "ig.one", "--case-ref", reference,
        "--reason", "Jo Bloggs asked",
    )  # fmt: skip
    assert refused.exit_code == 1 and "Jo Bloggs" not in refused.output
    as_manager = await tact(
        env, "retention", "hold", "release", "--as", "manager.housing", "--hold-id", hold_id
    )
    assert as_manager.exit_code == 1 and "not permitted" in as_manager.output
    released = await tact(
        env, "retention", "hold", "release", "--as", "ig.two", "--hold-id", hold_id
    )
    assert released.exit_code == 0, released.output
    preview = await tact(env, "retention", "preview", "--as-of", "2026-03-01")
    assert json.loads(preview.output)["action"] == "archive"


async def test_a_certificate_asked_for_by_a_reference_that_has_none_is_refused(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    """`certificates --case-ref` for a case not destroyed, or a mistyped reference, printed
    nothing and exited 0: the same as no certificate at all, which an IG officer checking a
    destruction could not tell from a typo."""
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")
    for reference in (world.references[case_id], "MC-2020-AAAAA-AAAAA"):
        asked = await tact(env, "retention", "certificates", "--case-ref", reference)
        assert asked.exit_code == 1
        assert asked.output == "Error: case-ref: no destruction certificate for that reference\n"
    listed = await tact(env, "retention", "certificates")
    assert (listed.exit_code, listed.output) == (0, "")  # the list of none is not an error
