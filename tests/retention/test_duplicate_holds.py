"""One hold a reason: an IG officer placing a hold (same reason) on a case or a customer that
already has one in force is refused, told the id of the one in force, and nothing is written,
so releasing "the" hold does not leave a second keeping the records. Over HTTP (two at once
on PostgreSQL too), and from the command line as the README prints it. A hold for another
reason, or a new one after the first is released, is placed."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from api.runtime import Runtime
from records.database import Database
from records.retention_tables import RetentionHold
from records.vault import Vault
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_customer_holds import PLACE, RELEASE
from tests.retention.test_graphql import ask, token
from tests.retention.world import add_case, build_world
from tests.scenarios.world import at_once


async def _in_force(database: Database) -> list[tuple[str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(RetentionHold.id, RetentionHold.reason).where(
                RetentionHold.released_at.is_(None)
            )
        )
        return sorted((str(hold_id), reason.value) for hold_id, reason in rows)


async def _count(database: Database) -> int:
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(RetentionHold)) or 0


async def test_a_second_hold_for_the_same_reason_is_refused_over_http_naming_the_first(
    runtime: Runtime, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    # Given a case, its customer, and an IG officer
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference = world.references[case_id]
    customer_ref = world.canaries[case_id]["reference"]
    ig_one, ig_two = (token(runtime, name, clock.now) for name in ("ig.one", "ig.two"))

    for named in ({"caseRef": reference}, {"customerRef": customer_ref}):
        # When a litigation hold is placed, and another IG officer places it again
        first = (await ask(client, ig_one, PLACE, reason="litigation", **named))["data"]
        before = await _count(runtime.database)
        again = await ask(client, ig_two, PLACE, reason="litigation", **named)

        # Then the second is refused as out of turn, naming the hold in force, by id only
        (error,) = again["errors"]
        assert error["extensions"]["code"] == "INVALID_TRANSITION", again
        hold_id = first["placeHold"]["id"]
        assert f"hold {hold_id}" in error["message"] and "litigation" in error["message"]
        assert customer_ref not in error["message"]
        # And nothing was written
        assert await _count(runtime.database) == before

    # A hold for another reason on the same case is a separate hold
    other = await ask(client, ig_two, PLACE, reason="ombudsman_investigation", caseRef=reference)
    assert other["data"]["placeHold"]["reason"] == "ombudsman_investigation", other
    assert sorted(reason for _, reason in await _in_force(runtime.database)) == [
        "litigation",
        "litigation",  # one on the case, one on the customer
        "ombudsman_investigation",
    ]

    # When the case's litigation hold is released, a new one may be placed
    (on_case,) = [
        hold_id
        for hold_id, reason in await _in_force(runtime.database)
        if reason == "litigation" and await _on_case(runtime.database, hold_id)
    ]
    released = await ask(client, ig_one, RELEASE, id=on_case)
    assert released["data"]["releaseHold"]["releasedAt"], released
    placed = await ask(client, ig_one, PLACE, reason="litigation", caseRef=reference)
    assert placed["data"]["placeHold"]["id"] not in (None, on_case), placed


async def _on_case(database: Database, hold_id: str) -> bool:
    async with database.sessions() as session:
        hold = await session.get(RetentionHold, uuid.UUID(hold_id))
        return hold is not None and hold.case_id is not None


async def test_two_placements_at_once_make_one_hold(
    runtime: Runtime, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    customer_ref = world.canaries[case_id]["reference"]
    ig_one, ig_two = (token(runtime, name, clock.now) for name in ("ig.one", "ig.two"))
    for named in ({"caseRef": world.references[case_id]}, {"customerRef": customer_ref}):
        # On PostgreSQL both are held at their insert of the hold, unless the first holds
        # what the hold names and the second waits for it before it looks for one in force.
        both = [
            ask(client, bearer, PLACE, reason="open_complaint", **named)
            for bearer in (ig_one, ig_two)
        ]
        answers: list[dict[str, Any]] = await at_once(
            runtime.database.engine, "retention_holds", both
        )
        placed = [a["data"]["placeHold"]["id"] for a in answers if a.get("data")]
        refused = [a["errors"][0] for a in answers if a.get("errors")]
        assert len(placed) == 1 and len(refused) == 1, answers
        assert refused[0]["extensions"]["code"] == "INVALID_TRANSITION"
        assert f"hold {placed[0]}" in refused[0]["message"]
    assert len(await _in_force(runtime.database)) == 2  # one on the case, one on the customer


async def test_the_command_line_refuses_a_second_hold_and_writes_nothing(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    world = await build_world(database, dt.datetime.now(dt.UTC))
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")
    for named in (
        ("--case-ref", world.references[case_id]),
        ("--customer-ref", world.canaries[case_id]["reference"]),
    ):
        # As the README prints it
        place = ("retention", "hold", "place", "--as", "ig.one", *named, "--reason", "litigation")
        first = await tact(env, *place)
        assert first.exit_code == 0, first.output
        before = await _count(database)
        again = await tact(env, *place)
        assert again.exit_code == 1, again.output
        assert f"already in force on this {named[0][2:6]}" in again.output
        assert f"hold {first.output.strip()}" in again.output
        assert await _count(database) == before
