"""Steps nobody takes, taken on a schedule: arrangements that ran out are expired every day, so
a case nobody touches still ends on its end date, its reviews stop showing as due, its
"ended" notification falls due, and `Case.restrictions_ended_on` (the retention clock) is
true before the retention job reads it (docs/workflow.md, "The daily sweep").

The sweep applies the same expiry a case's next step would (`steps.expire_past`), one case per
transaction. The caller hands in that transaction (`through`): in Tact it is the gate's, with
the system actor, so each case's access-log entry commits with its change (api/cli_cases.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from casework.profiles import Profile
from casework.steps import StepRun, expire_past, load_case, ran_out
from records.days import uk_today
from records.models import Arrangement
from records.vault import Vault

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# Opens the transaction one case's expiry runs in, and commits it on a normal exit.
Through = Callable[[uuid.UUID], AbstractAsyncContextManager[AsyncSession]]

BATCH = 200


@dataclass
class Swept:
    """What a sweep did, by case reference (references and counts only)."""

    expired: dict[str, int] = field(default_factory=dict)  # reference -> arrangements expired
    ended: list[str] = field(default_factory=list)  # references of cases that ended
    failed: list[str] = field(default_factory=list)  # case ids (a failed case may not load)


async def due_cases(
    session: AsyncSession, today: dt.date, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Cases with an arrangement in force whose end date has passed, in id order, one page."""
    query = (
        select(Arrangement.case_id)
        .where(ran_out(today))
        .group_by(Arrangement.case_id)
        .order_by(Arrangement.case_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Arrangement.case_id > after)
    return list(await session.scalars(query))


async def expire_due(
    sessions: Sessions,
    through: Through,
    *,
    vault: Vault,
    profile: Profile,
    clock: Callable[[], dt.datetime],
    batch: int = BATCH,
    on_failure: Callable[[uuid.UUID, Exception], None] = lambda case_id, exc: None,
) -> Swept:
    """Expire what ran out before today (the clock's UK day), a page of cases at a time, each
    case in its own transaction; a case that fails is named and the sweep goes on."""
    swept = Swept()
    today = uk_today(clock)
    after: uuid.UUID | None = None
    while True:
        async with sessions() as session:
            page = await due_cases(session, today, after=after, limit=batch)
        for case_id in page:
            try:
                await _expire_one(through, case_id, StepRunner(vault, profile, clock), swept)
            except Exception as exc:  # one case's failure must not stop the rest
                swept.failed.append(str(case_id))
                on_failure(case_id, exc)
        if len(page) < batch:
            return swept
        after = page[-1]


@dataclass(frozen=True)
class StepRunner:
    vault: Vault
    profile: Profile
    clock: Callable[[], dt.datetime]

    def run(self, session: AsyncSession) -> StepRun:
        return StepRun(session, self.vault, self.profile, self.clock, actor_id=None)


async def _expire_one(
    through: Through, case_id: uuid.UUID, runner: StepRunner, swept: Swept
) -> None:
    async with through(case_id) as session:
        run = runner.run(session)
        case = await load_case(run, case_id)
        reference = case.reference
        expired = await expire_past(run, case)
    if expired is not None:  # recorded only once the transaction has committed
        swept.expired[reference] = expired.arrangements
        if expired.case_ended:
            swept.ended.append(reference)
