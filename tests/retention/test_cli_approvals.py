"""`tact retention request-approval` and `approve` as the README prints them, under a profile
that asks for two people: each IG officer approves what the other asked for, and is told
what was left for someone else rather than stopped by it."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from records.database import Database
from records.models import Case, as_utc
from records.retention_tables import DestructionApproval
from records.vault import Vault
from tests.cli import Env, tact, tact_env
from tests.retention.world import add_case, build_world

NOW = dt.datetime(2019, 1, 7, 9, tzinfo=dt.UTC)


def _two_person_profile(folder: Path) -> Path:
    """The shipped default profile with `two_person_approval = true`, as an organisation
    would write its own file."""
    shipped = resources.files("casework").joinpath("profiles", "default.toml").read_text()
    lines = shipped.splitlines(keepends=True)
    changed = [
        "two_person_approval = true\n" if line.startswith("two_person_approval") else line
        for line in lines
    ]
    assert changed != lines
    folder.mkdir()
    path = folder / "default.toml"
    path.write_text("".join(changed))
    return path


async def _approvals(env: Env, day: str) -> dict[str, str | None]:
    preview = await tact(env, "retention", "preview", "--as-of", day)
    assert preview.exit_code == 0, preview.output
    lines = [json.loads(text) for text in preview.output.splitlines()]
    return {line["case"]: line["approval"] for line in lines if "case" in line}


async def test_each_officer_approves_what_the_other_asked_for(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    world = await build_world(database, NOW)
    earlier, later = [
        world.references[await add_case(database, vault, world, ends_on=[ended])]
        for ended in (dt.date(2019, 6, 3), dt.date(2020, 2, 3))
    ]
    profile = _two_person_profile(tmp_path / "profiles")
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE=str(profile))

    # ig.one asks for the destruction due first; ig.two, a year on, for both.
    first = await tact(
        env, "retention", "request-approval", "--as", "ig.one", "--as-of", "2025-06-03"
    )
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "approval requested for 1 case(s)"
    second = await tact(
        env, "retention", "request-approval", "--as", "ig.two", "--as-of", "2026-02-03"
    )
    assert second.exit_code == 0, second.output
    assert second.output.strip() == (
        "approval requested for 1 case(s); 1 already awaiting approval"
    )

    # ig.one may approve only ig.two's request: it is approved, theirs is left, and the
    # command says so and succeeds.
    approved = await tact(env, "retention", "approve", "--as", "ig.one", "--as-of", "2026-02-03")
    assert approved.exit_code == 0, approved.output
    assert approved.output.strip() == (
        "approved 1 destruction(s); 1 requested by you left for another IG officer "
        "(the profile asks for two people)"
    )
    assert await _approvals(env, "2026-02-03") == {earlier: "requested", later: "approved"}

    # ig.two approves the one ig.one asked for.
    other = await tact(env, "retention", "approve", "--as", "ig.two", "--as-of", "2026-02-03")
    assert other.exit_code == 0, other.output
    assert other.output.strip() == "approved 1 destruction(s)"
    assert await _approvals(env, "2026-02-03") == {earlier: "approved", later: "approved"}

    # And once both are destroyed, each certificate says who asked and approved, and when:
    # the times the approvals recorded, which go with the case
    async with database.sessions() as session:
        kept = {
            reference: (requested, approved)
            for reference, requested, approved in await session.execute(
                select(Case.reference, DestructionApproval.requested_at,
                       DestructionApproval.approved_at)
                .join(Case, Case.id == DestructionApproval.case_id)
            )
        }  # fmt: skip
    ran = await tact(env, "retention", "run", "--as-of", "2026-02-03")
    assert ran.exit_code == 0, ran.output
    listed = await tact(env, "retention", "certificates")
    certificates = {c["case_reference"]: c for c in map(json.loads, listed.output.splitlines())}
    assert set(certificates) == {earlier, later}
    for reference, asker in ((earlier, "staff:ig.one"), (later, "staff:ig.two")):
        certificate = certificates[reference]
        requested, approved = kept[reference]
        assert certificate["requested_by"] == asker
        assert certificate["requested_at"] == as_utc(requested).isoformat()
        assert certificate["approved_at"] == as_utc(approved).isoformat()
        assert certificate["requested_at"] < certificate["approved_at"]
