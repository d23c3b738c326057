"""What a block inside `Gate.access` gets (authz/gate.py): the session, the field set it may
show, and a way to report what it touched, each distinct touch one access-log entry."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from authz import relations
from authz.access_log import LogRecord
from authz.actor import Actor
from authz.operations import FIELDS_OF, FieldSet

if TYPE_CHECKING:
    from authz.gate import Gate

log = logging.getLogger("tact.gate")


@dataclass(frozen=True)
class _Touch:
    case_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    service: str | None
    fields: str | None


class Access:
    """What the block gets: the session, the field set it may show, and a way to report
    what it actually touched (each distinct touch becomes one access-log entry)."""

    def __init__(
        self, gate: Gate, session: AsyncSession, actor: Actor, fields: FieldSet, entry: LogRecord
    ) -> None:
        self.session = session
        self.fields = fields
        self.actor = actor
        self._gate = gate
        self._entry = entry
        self._touches: dict[_Touch, None] = {}
        self._on_behalf: list[LogRecord] = []

    @property
    def operation(self) -> str:
        return self._entry.operation

    def touched(
        self,
        *,
        case_id: uuid.UUID | None = None,
        customer_id: uuid.UUID | None = None,
        service: str | None = None,
        fields: str | None = None,
    ) -> None:
        self._touches[_Touch(case_id, customer_id, service, fields)] = None

    def visible_cases(self) -> ColumnElement[bool]:
        """For list queries: a WHERE condition on `Case` by the same rules as the gate."""
        return relations.visible_cases(self.actor, self.operation, self._gate.decisions.allows)

    async def may(self, operation: str, case_id: uuid.UUID) -> bool:
        """Would the gate let this actor take `operation` on this case, by the need-to-know
        rules alone (no break-glass)? Records nothing: the caller says what it touched."""
        facts = (await relations.case_facts(self.session, self.actor, [case_id])).get(case_id)
        return facts is not None and self._gate.decide(self.actor, operation, facts).allowed

    async def on_behalf_of(self, actor: Actor, operation: str, case_id: uuid.UUID) -> bool:
        """May `actor` take `operation` on this case inside this request's transaction (a
        system step the request brings forward: openCase ending a case the daily sweep has
        not reached)? Decided by the gate's rules as if `actor` had asked alone (no
        break-glass, nor for operations that need someone independent of the decision).
        Allowed, the change is logged as that actor's own would be, with this request's id,
        and commits with this request's entry; refused, nothing is recorded: the block does
        not make the change."""
        if operation in self._gate.independent_of_decision:
            return False
        facts = (await relations.case_facts(self.session, actor, [case_id])).get(case_id)
        if facts is None:
            return False
        verdict = self._gate.decide(actor, operation, facts)
        if not verdict.allowed:
            return False
        entry = self._entry.but(
            actor=actor.label, operation=str(operation), outcome=verdict.outcome,
            role=verdict.role, service=facts.service, case_id=case_id,
            customer_id=facts.customer_id, fields=FIELDS_OF.get(operation), reason=None,
        )  # fmt: skip
        self._on_behalf.append(entry)
        return True

    async def admit(self, case_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Check each listed case as the gate would check it alone; keep (and record as
        touched) only those that pass, in the given order."""
        facts = await relations.case_facts(self.session, self.actor, case_ids)
        admitted: list[uuid.UUID] = []
        for case_id in dict.fromkeys(case_ids):
            found = facts.get(case_id)
            if found is None or not self._gate.decide(self.actor, self.operation, found).allowed:
                continue
            needs_another = self.operation in self._gate.independent_of_decision
            if needs_another and not relations.is_independent(found.relations):
                continue
            admitted.append(case_id)
            self.touched(case_id=case_id, customer_id=found.customer_id, service=found.service)
        if len(admitted) < len(dict.fromkeys(case_ids)):
            log.info("list rows refused by the row check", extra={"event": "rows_refused"})
        return admitted

    def entries(self) -> list[LogRecord]:
        """This request's own entries (one per distinct touch) first, then those of changes
        made on another's behalf (`on_behalf_of`)."""
        if not self._touches:
            return [self._entry, *self._on_behalf]
        base = self._entry
        own = [
            base.but(
                case_id=t.case_id or base.case_id,
                customer_id=t.customer_id or base.customer_id,
                service=t.service or base.service,
                fields=t.fields or base.fields,
            )
            for t in self._touches
        ]
        return own + self._on_behalf
