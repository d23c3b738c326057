"""THE choke point: every read and change of case data passes through `Gate.access`.

    async with gate.access(session, actor, Operation.READ_CASE, Target(case_id=...)) as access:
        ...  # the domain operation, in `access.session`, showing only `access.fields`

On entry the gate decides (deny by default). Denied: one "denied" entry is written and
committed, and Forbidden raised. A target that is not there (a case or customer id that
matches nothing; `NOTHING` when a reference matched nothing) is refused with the same
Forbidden, so a caller cannot tell which references exist; its entry says "not_found".

Allowed: the block runs; on normal exit the access-log entry is appended, as the
transaction's last statement, and the transaction committed once, so the operation and its
entry stand or fall together: if the entry cannot be written the exception propagates and
nothing is returned. If the block raises, its work is rolled back and an entry is written in
a fresh transaction: "refused" for bad input or a step out of order, "not_found", "denied",
"integrity_failure" for a sealed value that failed its check, else "error" (a fault).

The gate owns the session's transaction: hand it a session with no uncommitted changes (reads
before the gate are fine), and do not commit inside the block.

With a `GroupCommit` (authz/group_commit.py; `tact serve` has one), entries whose transaction
holds no writes (refusals, failures, and allowed operations that only read) are committed in
a group with other requests' entries instead of in the request's own transaction: the read
transaction ends first, and the gate returns only after the group's commit succeeded, so the
answer still never leaves before its entry is durable. Operations that change data keep
their entry in their own transaction, so the change and its entry stand or fall together.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from authz import relations
from authz.access import Access as Access  # re-exported: blocks name it as the gate's
from authz.access_log import LogRecord, append
from authz.actor import Actor, ActorKind
from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions
from authz.group_commit import GroupCommit
from authz.operations import (
    BATCHED,
    BREAK_GLASS_MIN_REASON,
    FIELDS_OF,
    INDEPENDENT_OF_DECISION,
    LISTABLE,
    ON_ARCHIVED,
    FieldSet,
    Operation,
    Outcome,
)
from authz.relations import Facts
from authz.witness import deliver_off_loop, take_pending
from casework.label_guard import check_text
from records.errors import (
    DecryptionFailed,
    Forbidden,
    InvalidTransition,
    NotFound,
    TactError,
    ValidationFailed,
)
from records.free_text import has_control_characters, visible_length
from records.services import service_slugs
from records.vault import Vault

# The id to ask about when a reference matched nothing: the gate screens the caller, finds
# nothing, logs not_found and refuses as it refuses a target the caller may not see.
NOTHING = uuid.UUID(int=0)

log = logging.getLogger("tact.gate")
_REASON_MAX = 2000
REASON_FIELD = "breakGlassReason"  # what a reason's errors name: the API's argument for it
_GLASS_OPERATIONS = (Operation.READ_CASE, Operation.BREAK_GLASS)
# Operations whose block only reads: their entries may go to the group commit. Anything not
# listed (every mutation) keeps its entry in its own transaction.
_READ_ONLY = frozenset(
    {
        Operation.RESTRICTION_STATUS,
        Operation.READ_CASE_SUMMARY,
        Operation.READ_CASE,
        Operation.READ_ACCESS_LOG,
        Operation.VERIFY_ACCESS_LOG,
    }
)


@dataclass(frozen=True)
class Target:
    """What is asked about. A case's own service and customer are read from the data, never
    taken from here; `service` says which service a portal or list asks about."""

    service: str | None = None
    case_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    role: str | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome in (Outcome.ALLOWED, Outcome.BREAK_GLASS)


class Gate:
    """One per process: the enforcer, a clock and the access log's key (it signs checkpoints
    and keys the entry chain)."""

    def __init__(
        self,
        decisions: Decisions,
        clock: Callable[[], dt.datetime],
        *,
        signer: CheckpointSigner,
        checkpoint_every: int = 1000,
        vault: Vault | None = None,
        log_writer: GroupCommit | None = None,
        independent_of_decision: frozenset[str] = INDEPENDENT_OF_DECISION,
    ) -> None:
        self.decisions = decisions
        # Which of appeals and reviews are decided by someone other than the decider: both,
        # unless the policy has the decider look again at their own decision (Merseyside:
        # "review the decision with the Director" who authorised it; RCT 7.4: the Group
        # Director endorses the group's review). The profile's `independent_of_decider`.
        self.independent_of_decision = independent_of_decision
        self.signer = signer
        # Seals reasons under the case's data key. Without one (tests of deciding alone)
        # reasons are kept as given.
        self._vault = vault
        self._clock = clock
        self._checkpoint_every = checkpoint_every
        self._services: set[str] = set()
        self.log_writer = log_writer
        # Told (operation, outcome, seconds) of every access, for metrics (api/metrics.py).
        self.observe: Callable[[str, str, float], None] | None = None

    @asynccontextmanager
    async def access(
        self,
        session: AsyncSession,
        actor: Actor | None,
        operation: Operation,
        target: Target,
        *,
        request_id: str | None = None,
        reason: str | None = None,
    ) -> AsyncIterator[Access]:
        started = time.perf_counter()
        outcome: str = Outcome.ERROR
        try:
            known = await self._known_service(session, target.service)
            entry = LogRecord(
                at=self._clock(),
                actor=actor.label if actor is not None else "anonymous",
                operation=str(operation),
                outcome=Outcome.DENIED,
                # Only a real service slug is written: the text a caller typed could be
                # anything, a person's name included, and the log must hold references only.
                service=target.service if known else None,
                case_id=target.case_id,
                customer_id=target.customer_id,
                request_id=request_id,
            )
            if not known:
                not_known = ValidationFailed("service", "is not a service of this organisation")
                await self._refuse(session, entry.but(outcome=Outcome.NOT_FOUND), not_known)
            access = await self._enter(session, actor, operation, target, reason, entry)
            try:
                yield access
            except Exception as exc:
                await self._record_failure(session, access, exc)
                raise
            entries = access.entries()
            await self._write(session, entries, reads_only=operation in _READ_ONLY)
            outcome = entries[0].outcome
        except (Forbidden, NotFound) as refused:
            outcome = Outcome.DENIED if isinstance(refused, Forbidden) else Outcome.NOT_FOUND
            raise
        except DecryptionFailed:
            outcome = Outcome.INTEGRITY_FAILURE
            raise
        except (ValidationFailed, InvalidTransition):
            outcome = Outcome.REFUSED
            raise
        finally:
            if self.observe is not None:
                self.observe(operation, outcome, time.perf_counter() - started)

    async def _known_service(self, session: AsyncSession, service: str | None) -> bool:
        """Is `service` a service's slug (or absent)? Slugs seen once are remembered: services
        are added, not removed, so only an unknown slug costs a query."""
        if service is None or service in self._services:
            return True
        self._services.update(await service_slugs(session))
        return service in self._services

    # -- deciding ------------------------------------------------------------------------

    async def _enter(
        self,
        session: AsyncSession,
        actor: Actor | None,
        operation: Operation,
        target: Target,
        reason: str | None,
        entry: LogRecord,
    ) -> Access:
        fields = FIELDS_OF.get(operation)
        if actor is None or fields is None:
            await self._refuse(session, entry, _forbidden(operation))
        entry = await self._screen(session, actor, operation, reason, entry)
        batch = operation in LISTABLE or operation in BATCHED
        if batch and target.case_id is None and target.customer_id is None:
            if not relations.may_list(actor, operation, self.decisions.allows, target.service):
                await self._refuse(session, entry, _forbidden(operation))
            listed = _allowed(entry, Verdict(Outcome.ALLOWED), fields)
            return Access(self, session, actor, fields, listed)
        try:
            facts = await relations.facts_about(
                session,
                actor,
                service=target.service,
                case_id=target.case_id,
                customer_id=target.customer_id,
            )
        except NotFound:
            await self._refuse(session, entry.but(outcome=Outcome.NOT_FOUND), _forbidden(operation))
        customer_id = facts.customer_id or target.customer_id
        if (facts.service, customer_id) != (entry.service, entry.customer_id):
            entry = entry.but(service=facts.service, customer_id=customer_id)
        verdict = await self._verdict(session, actor, operation, facts, reason, entry)
        if operation in _GLASS_OPERATIONS:
            fields = FieldSet.FULL
        return Access(self, session, actor, fields, _allowed(entry, verdict, fields))

    async def _screen(
        self,
        session: AsyncSession,
        actor: Actor,
        operation: Operation,
        reason: str | None,
        entry: LogRecord,
    ) -> LogRecord:
        """Checks that need no data: the reason's size, and whether any rule could ever let
        this actor do this. Someone who could never be allowed is refused before the target
        is looked up, so they cannot learn whether it exists."""
        role = _roles_label(actor)
        if reason is not None and len(reason) > _REASON_MAX:
            error = ValidationFailed(REASON_FIELD, f"must be at most {_REASON_MAX} characters")
            await self._refuse(session, entry.but(role=role), error)
        if reason is not None and has_control_characters(reason):
            error = ValidationFailed(REASON_FIELD, "must not contain control characters")
            await self._refuse(session, entry.but(role=role), error)
        entry = entry.but(role=role, reason=reason)
        await self.decisions.refresh(session)
        asked = {Operation.READ_CASE if operation in _GLASS_OPERATIONS else operation}
        if operation in _GLASS_OPERATIONS and reason is not None:
            asked.add(Operation.BREAK_GLASS)
        if operation == Operation.READ_CASE:
            asked.add(Operation.READ_ARCHIVED_CASE)
        if not any(self._could_allow(actor, op) for op in asked):
            await self._refuse(session, entry, _forbidden(operation))
        return entry

    async def _verdict(
        self,
        session: AsyncSession,
        actor: Actor,
        operation: Operation,
        facts: Facts,
        reason: str | None,
        entry: LogRecord,
    ) -> Verdict:
        glass = operation in _GLASS_OPERATIONS
        if operation == Operation.BREAK_GLASS and reason is None:
            missing = ValidationFailed(REASON_FIELD, "a reason is required")
            await self._refuse(session, entry, missing)
        verdict = self.decide(actor, Operation.READ_CASE if glass else operation, facts)
        if not verdict.allowed and glass and reason is not None:
            verdict = await self._break_glass(session, actor, facts, reason, entry)
        if not verdict.allowed:
            await self._refuse(session, entry, _forbidden(operation))
        if operation in self.independent_of_decision:
            await self._ensure_independent(session, actor, operation, facts, entry)
        return verdict

    async def _break_glass(
        self, session: AsyncSession, actor: Actor, facts: Facts, reason: str, entry: LogRecord
    ) -> Verdict:
        if actor.kind is not ActorKind.STAFF or facts.case_id is None:
            return Verdict(Outcome.DENIED)
        verdict = self.decide(actor, Operation.BREAK_GLASS, facts)
        if verdict.allowed and visible_length(reason) < BREAK_GLASS_MIN_REASON:
            error = ValidationFailed(
                REASON_FIELD, f"say why, in at least {BREAK_GLASS_MIN_REASON} visible characters"
            )
            await self._refuse(session, entry.but(reason=None), error)
        if verdict.allowed:
            try:  # the reason is kept and shown to IG officers: free text like any other
                check_text(REASON_FIELD, reason)
            except ValidationFailed as labelled:
                await self._refuse(session, entry.but(reason=None), labelled)
        return Verdict(Outcome.BREAK_GLASS, verdict.role) if verdict.allowed else verdict

    async def _ensure_independent(
        self,
        session: AsyncSession,
        actor: Actor,
        operation: Operation,
        facts: Facts,
        entry: LogRecord,
    ) -> None:
        if facts.case_id is None or actor.staff_id is None:
            await self._refuse(session, entry, _forbidden(operation))
        try:
            await relations.ensure_independent(session, facts.case_id, actor.staff_id)
        except Forbidden as exc:
            await self._refuse(session, entry, exc)

    def decide(self, actor: Actor, operation: str, facts: Facts) -> Verdict:
        """Casbin's answer for this actor and target: allowed by the first grant and standing
        that a rule allows, else denied. On an archived case, operations are asked as their
        archived counterparts (ON_ARCHIVED): read in full by fewer, changed by no one."""
        if facts.archived:
            operation = ON_ARCHIVED.get(operation, operation)
        for grant in sorted(actor.roles, key=lambda g: (g.role.value, g.service or "")):
            domain = relations.domain_of(grant, facts)
            for standing in relations.standings(grant, facts):
                if self.decisions.allows(grant.role.value, domain, standing, operation):
                    return Verdict(Outcome.ALLOWED, grant.role.value)
        return Verdict(Outcome.DENIED)

    def _could_allow(self, actor: Actor, operation: str) -> bool:
        return any(self.decisions.grants_any(g.role.value, operation) for g in actor.roles)

    # -- writing -------------------------------------------------------------------------

    async def _refuse(self, session: AsyncSession, entry: LogRecord, error: TactError) -> NoReturn:
        # Before the block: the caller's session holds no changes (see the module docstring).
        await self._write(session, [entry], reads_only=True)
        raise error

    async def _write(
        self, session: AsyncSession, entries: list[LogRecord], *, reads_only: bool = False
    ) -> None:
        if reads_only and self.log_writer is not None and not _changed(session):
            await self._write_grouped(session, entries)
            return
        try:
            entries = [await self._sealed(entry) for entry in entries]
            await append(
                session,
                entries,
                signer=self.signer,
                checkpoint_every=self._checkpoint_every,
                now=self._clock(),
            )
            checkpoints = take_pending(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        await deliver_off_loop(checkpoints)

    async def _write_grouped(self, session: AsyncSession, entries: list[LogRecord]) -> None:
        """End the read transaction (on SQLite this frees the one connection the group commit
        needs), then wait for the group commit holding these entries."""
        assert self.log_writer is not None
        if session.in_transaction():  # a lookup answered from caches and readers began none
            try:
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        await self.log_writer.append([await self._sealed(entry) for entry in entries])

    async def _sealed(self, entry: LogRecord) -> LogRecord:
        """A reason is staff's free text and may name people: it is sealed under the case's
        data key (destroyed with the case), or not kept at all when there is no case."""
        if entry.reason is None or self._vault is None:
            return entry
        if entry.case_id is None:
            return entry.but(reason=None)
        try:
            cipher = await self._vault.cipher("case", entry.case_id)
        except NotFound:
            return entry.but(reason=None)
        sealed = cipher.seal("access_log", "reason", entry.case_id, entry.reason)
        return entry.but(reason=None, reason_sealed=sealed)

    async def _record_failure(self, session: AsyncSession, access: Access, exc: Exception) -> None:
        await session.rollback()
        failed = access.entries()[0].but(outcome=Outcome.ERROR, fields=None)
        if isinstance(exc, NotFound):
            failed = failed.but(outcome=Outcome.NOT_FOUND)
        elif isinstance(exc, ValidationFailed | InvalidTransition):
            failed = failed.but(outcome=Outcome.REFUSED)
        elif isinstance(exc, Forbidden):
            failed = failed.but(outcome=Outcome.DENIED)
        elif isinstance(exc, DecryptionFailed):
            failed = _integrity_failure(failed, exc)
        try:
            await self._write(session, [failed], reads_only=True)  # rolled back just above
        except Exception:
            # The block's own error is what the caller must see; this one is only noted.
            log.warning(
                "access-log entry for a failed operation could not be written",
                extra={"event": "access_log_write_failed", "operation": access.operation},
            )


def _integrity_failure(entry: LogRecord, exc: DecryptionFailed) -> LogRecord:
    """Told apart from an outage, so an IG officer sees that stored data was altered and
    where: `fields` names the sealed value that failed, and the case or customer it belongs
    to fills the entry's own id where the operation had not named one yet (a portal lookup
    fails before it reports whom it found). Ids only, never contents."""
    kind, _, owner_id = (exc.owner or "").partition(":")
    whose = {f"{kind}_id": uuid.UUID(owner_id)} if kind in ("case", "customer") else {}
    named = {name: value for name, value in whose.items() if getattr(entry, name) is None}
    return entry.but(outcome=Outcome.INTEGRITY_FAILURE, fields=exc.place, **named)


def _allowed(entry: LogRecord, verdict: Verdict, fields: FieldSet) -> LogRecord:
    return entry.but(outcome=verdict.outcome, role=verdict.role or entry.role, fields=fields)


def _forbidden(operation: str) -> Forbidden:
    known = operation in {o.value for o in Operation}
    return Forbidden(f"not permitted: {operation}" if known else "not permitted")


def _changed(session: AsyncSession) -> bool:
    """Does the session hold ORM changes not yet flushed or committed? (A guard: operations
    that only read are listed in _READ_ONLY.)"""
    return bool(session.new or session.dirty or session.deleted)


def _roles_label(actor: Actor) -> str | None:
    return ",".join(sorted({g.role.value for g in actor.roles})) or None
