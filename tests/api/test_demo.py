"""The demonstration data set: what it holds, that loading it twice changes nothing, that the
quick-start customer answers as the README says, and `tact demo` end to end."""

from __future__ import annotations

import asyncio
import json
import random
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from api.app import create_app
from api.demo import load_demo
from api.demo_data import (
    CONCERN_NOTES,
    PARAMETERS,
    QUICK_START_EMAIL,
    SEED,
    SERVICES,
    demo_people,
    demo_staff,
)
from api.runtime import Runtime
from api.settings import Settings
from casework.profiles import load_profile
from casework.retention_queue import plan
from casework.retention_schedule import RetentionPolicy
from casework.status import restriction_status
from records.addresses import address_from_cell
from records.case_steps import CaseDeadline, DeadlineKind, load_timeline
from records.customers import customer_ids_by
from records.database import Database
from records.lookup import LookupKind
from records.models import (
    Arrangement,
    ArrangementKind,
    Case,
    CaseAssignment,
    CaseState,
    ContactDetail,
    Customer,
    CustomerKind,
    PortalKey,
    Role,
    Service,
    Staff,
    StaffRole,
    utcnow,
)
from records.sign_in import attempt_sign_in
from records.vault import Vault
from tests.api.app_fixtures import NOW
from tests.cli import tact, tact_env

LABEL_WORDS = ("vexatious", "persistent", "resource intensive", "abusive")
DEFAULT = load_profile("default")  # the demo under every profile: tests/api/test_demo_profiles.py


async def counts(database: Database) -> dict[str, int]:
    async with database.sessions() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (
                ("customers", Customer),
                ("contacts", ContactDetail),
                ("cases", Case),
                ("arrangements", Arrangement),
                ("staff", Staff),
                ("roles", StaffRole),
                ("services", Service),
                ("assignments", CaseAssignment),
            )
        }


async def test_every_letter_the_demo_history_owes_is_recorded(
    database: Database, vault: Vault
) -> None:
    """A warning, a decision or an ended arrangement owes the customer a letter (a
    deadline until recorded): the demo's history sends each, so none is left overdue."""
    await load_demo(database, vault, NOW, DEFAULT)
    owed = {k for k in DeadlineKind if k.value.endswith("_notification")}
    async with database.sessions() as session:
        kinds = list(await session.scalars(select(CaseDeadline.kind)))
        open_letters = await session.scalars(
            select(CaseDeadline.kind).where(
                CaseDeadline.kind.in_(owed), CaseDeadline.met_at.is_(None)
            )
        )
        assert list(open_letters) == []
    assert {DeadlineKind.WARNING_NOTIFICATION, DeadlineKind.DECISION_NOTIFICATION} <= set(kinds)


async def test_the_demo_letters_open_with_the_customers_address(
    database: Database, vault: Vault
) -> None:
    """Letters go to the preferred address (records/addresses.py): the quick-start
    customer's warning and decision open with theirs, under the organisation's name."""
    await load_demo(database, vault, NOW, DEFAULT)

    alex = demo_people(random.Random(SEED))[0]
    async with database.sessions() as session:
        (customer_id,) = await customer_ids_by(
            session, vault, LookupKind.CUSTOMER_REF, alex.reference, "reference"
        )
        (case_id,) = await session.scalars(select(Case.id).where(Case.customer_id == customer_id))
        timeline = await load_timeline(session, vault, case_id)
    letters = [e.details["letter"] for e in timeline if "letter" in e.details]
    assert alex.address is not None and len(letters) >= 2
    block = "\n".join([alex.name, *alex.address]) + "\n\n"
    for letter in letters:
        assert f"\n\n{block}" in letter.split("Dear", 1)[0], letter


async def test_the_set_holds_every_kind_state_and_role(database: Database, vault: Vault) -> None:
    summary = await load_demo(database, vault, NOW, DEFAULT)

    assert summary.loaded
    async with database.sessions() as session:
        kinds = set(await session.scalars(select(Arrangement.kind).distinct()))
        states = set(await session.scalars(select(Case.state).distinct()))
        customer_kinds = set(await session.scalars(select(Customer.kind).distinct()))
        slugs = set(await session.scalars(select(Service.slug)))
        rows = await session.execute(
            select(StaffRole.role, Service.slug).outerjoin(
                Service, Service.id == StaffRole.service_id
            )
        )
        grants = {(role, slug) for role, slug in rows}
    assert (await counts(database))["customers"] >= 40
    assert kinds == set(ArrangementKind)
    # Every state the default's process reaches (a warning first, no referral or assessment)
    # but DESTROYED: destruction deletes the rows and keeps only a certificate.
    assert states == set(CaseState) - {
        CaseState.DESTROYED,
        CaseState.REFERRED,
        CaseState.IN_ASSESSMENT,
    }
    assert customer_kinds == set(CustomerKind)
    assert slugs == set(SERVICES)
    for slug in SERVICES:
        for role in (
            Role.FRONTLINE,
            Role.CASE_OFFICER,
            Role.MANAGER,
            Role.DECISION_MAKER,
            Role.REVIEWER,
        ):
            assert (role, slug) in grants
    assert (Role.IG_OFFICER, None) in grants and (Role.ADMIN, None) in grants


async def test_every_case_has_a_case_officer(database: Database, vault: Vault) -> None:
    await load_demo(database, vault, NOW, DEFAULT)

    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(Case.id, func.count(CaseAssignment.id))
                .outerjoin(CaseAssignment, CaseAssignment.case_id == Case.id)
                .group_by(Case.id)
            )
        ).all()
    assert rows and all(assigned >= 1 for _, assigned in rows)


async def test_one_case_is_due_for_destruction_under_its_rule(
    database: Database, vault: Vault
) -> None:
    """The demo keeps no fabricated destroyed case; instead one ended over six years before
    the demo's day, which the retention preview names as due with its rule."""
    await load_demo(database, vault, NOW, DEFAULT)

    policy = RetentionPolicy.of(DEFAULT)
    async with database.sessions() as session:
        due = [p async for batch in plan(session, policy, NOW.date()) for p in batch]
    destroy = [p for p in due if p.destroy_due]
    assert len(destroy) == 1  # the others due are archived only
    assert destroy[0].rule == destroy[0].schedule.describe(policy)
    assert destroy[0].schedule.destroy_on <= NOW.date()


async def test_loading_twice_changes_nothing(database: Database, vault: Vault) -> None:
    await load_demo(database, vault, NOW, DEFAULT)
    before = await counts(database)

    again = await load_demo(database, vault, NOW, DEFAULT)

    assert not again.loaded
    assert await counts(database) == before


async def test_the_quick_start_customer_has_a_named_officer_and_letters_only(
    database: Database, vault: Vault
) -> None:
    await load_demo(database, vault, NOW, DEFAULT)

    async with database.sessions() as session:
        status = await restriction_status(
            session, vault, LookupKind.EMAIL, QUICK_START_EMAIL, "housing", NOW.date()
        )
    by_kind = {a.kind: a for a in status.arrangements}
    assert set(by_kind) == {ArrangementKind.NAMED_OFFICER, ArrangementKind.CONTACT_CHANNEL}
    assert by_kind[ArrangementKind.NAMED_OFFICER].named_officer == "Jo Example"
    assert "by letter only" in by_kind[ArrangementKind.CONTACT_CHANNEL].handling_instructions


def test_the_set_uses_neutral_words_and_made_up_contact_details() -> None:
    people = demo_people(random.Random(SEED))
    texts = [p.name for p in people] + list(CONCERN_NOTES.values())
    texts += [s.display_name + " " + s.job_title for s in demo_staff(DEFAULT)]
    texts += [json.dumps(raw) for raw in PARAMETERS.values()]
    for text in texts:
        for word in LABEL_WORDS:
            assert word not in text.lower()
    for person in people:
        assert person.email is None or person.email.endswith(("@example.org", ".invalid"))
        # Ofcom's drama range: 07700 900000 to 900999.
        assert person.phone is None or re.fullmatch(r"07700 900\d{3}", person.phone)
        # A postal address as an import would take it: lines, then a postcode of the ZZ area.
        if person.address is not None:
            text = address_from_cell(";".join(person.address), person.reference)
            assert text.endswith(person.address[-1]) and person.address[-1].startswith("ZZ")
    assert len({p.reference for p in people}) == len(people)
    with_address = [p for p in people if p.address]
    assert people[0].address and len(people) > len(with_address) > len(people) * 3 // 4
    # Groups and organisations have an address too.
    assert {p.kind for p in with_address} == set(CustomerKind)


# -- `tact demo`, end to end -------------------------------------------------------------------


@pytest.fixture
def env(database_urls: tuple[str, str], key_file: Path, tmp_path: Path) -> dict[str, str | None]:
    return tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)


async def test_tact_demo_prints_a_key_that_answers_for_the_quick_start_customer(
    env: dict[str, str | None], database: Database, runtime: Runtime
) -> None:
    first = await tact(env, "demo")
    second = await tact(env, "demo")

    assert first.exit_code == 0, first.output
    key = re.search(r"tact_pk_\w+_[\w-]{43}", first.output)
    assert key is not None
    assert "`tact token <username>`" in first.output and "housing.case-officer" in first.output
    assert second.exit_code == 0 and "already present" in second.output
    assert "tact_pk_" not in second.output
    # The README's table says what the second run prints, in its words.
    assert second.output.splitlines()[0] in readme_row("tact demo")
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PortalKey)) == 1

    # The command dated the set from today's date, so the app runs on the real clock too.
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as client:
        response = await client.post(
            "/graphql",
            json={
                "query": "query($l: RestrictionLookup!) { restrictionStatus(lookup: $l, "
                'service: "housing") { restricted arrangements { kind namedOfficer } } }',
                "variables": {"l": {"email": QUICK_START_EMAIL}},
            },
            headers={"Authorization": f"ApiKey {key.group(0)}"},
        )
    status = response.json()["data"]["restrictionStatus"]
    assert status["restricted"] is True
    assert {a["kind"] for a in status["arrangements"]} == {"NAMED_OFFICER", "CONTACT_CHANNEL"}


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_row(command: str) -> str:
    """The README's Commands table row of `command`."""
    text = README.read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| `{command}` |")]
    return row


PANEL_PASSWORD = re.compile(r"sign in as (\S+) with password (\S+)")


async def test_each_serve_demo_replaces_the_demo_panel_passwords_as_the_readme_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` twice on the embedded default, with `tact staff set-password demo.admin`
    between: the second start prints new passwords, and the one set by hand no longer works.
    Deliberate (shown once, like the portal key), so the README says so. The demo's are
    hashed off the event loop (in threads, while the set loads); the one typed in on it."""
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)  # the banner, no server
    on_the_loop: list[bool] = []
    real_hash = PasswordHasher.hash

    def hash_noting_where(self: PasswordHasher, password: str | bytes, **kw: Any) -> str:
        on_the_loop.append(asyncio._get_running_loop() is not None)
        return real_hash(self, password, **kw)

    monkeypatch.setattr(PasswordHasher, "hash", hash_noting_where)
    monkeypatch.setattr("api.cli_serve.configure_logging", lambda level: None)
    # Embedded: no database URL.
    env: dict[str, str | None] = {
        "TACT_DATA_DIR": str(tmp_path / "data"),
        **dict.fromkeys(("TACT_DATABASE_URL", "TACT_KEYSTORE_URL", "TACT_KEY_FILE"), None),
        "TACT_JWKS": None,
    }
    mine = "a password of my own"

    first = await tact(env, "serve", "--demo")
    chosen = await tact(env, "staff", "set-password", "demo.admin", given=f"{mine}\n{mine}\n")
    second = await tact(env, "serve", "--demo")

    assert first.exit_code == 0 and chosen.exit_code == 0 and second.exit_code == 0
    assert on_the_loop == [False, False, True, False, False]
    before = dict(PANEL_PASSWORD.findall(first.output))
    after = dict(PANEL_PASSWORD.findall(second.output))["demo.admin"]
    assert set(before) == {"demo.admin", "demo.ig-officer"}
    assert after not in {before["demo.admin"], mine}
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    database = Database.open(settings.resolved_database_url, settings.resolved_keystore_url)
    try:
        async with database.sessions() as session, session.begin():
            by_hand = await attempt_sign_in(session, "demo.admin", mine, utcnow())
            printed = await attempt_sign_in(session, "demo.admin", after, utcnow())
    finally:
        await database.dispose()
    assert by_hand.staff_id is None and printed.staff_id is not None
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "a password set with `tact staff set-password` included" in readme
