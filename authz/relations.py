"""Need-to-know, from data: how an actor stands towards a case, a customer or a service.

DESIGN.md 5's relations are "assigned to the case" (case_assignments, by relation) and "member
of the case's service or of a service an arrangement of the case applies to". They are read
here, per request, and handed to Casbin as standings, so the policy never names a case.
The same rules are also written as a SQL condition for list queries (`visible_cases`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import Actor, RoleGrant
from authz.operations import Standing
from records.cases import relations_of
from records.errors import Forbidden, NotFound
from records.models import (
    Arrangement,
    ArrangementService,
    ArrangementState,
    AssignmentRelation,
    Case,
    CaseAssignment,
    CaseState,
    Customer,
    Service,
)

# Arrangements that make their services' staff part of the need-to-know set: the ones in
# force or about to be. Lifted and expired ones no longer do.
CURRENT = (ArrangementState.PROPOSED, ArrangementState.ACTIVE)
EVERY_SERVICE = "*"


@dataclass(frozen=True)
class Facts:
    """What the data says about a target, for one actor."""

    service: str | None  # the service the access log records
    services: frozenset[str]  # membership in any of these counts as "member"
    relations: frozenset[AssignmentRelation]  # the actor's assignments on the case(s)
    case_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    # An archived case is read-only and read in full by fewer people (authz/gate.py).
    archived: bool = False


def standings(grant: RoleGrant, facts: Facts) -> list[Standing]:
    """The standings one role grant gives towards the target, weakest first."""
    found = [Standing.HOLDER]
    if grant.service is None or grant.service in facts.services:
        found.append(Standing.MEMBER)
    if facts.relations:
        found.append(Standing.ASSIGNED)
    if AssignmentRelation.DECISION_MAKER in facts.relations:
        found.append(Standing.ASSIGNED_AS_DECISION_MAKER)
    if AssignmentRelation.REVIEWER in facts.relations:
        found.append(Standing.ASSIGNED_AS_REVIEWER)
    return found


def domain_of(grant: RoleGrant, facts: Facts) -> str:
    """The Casbin domain a grant is exercised in: its own service, or the target's."""
    return grant.service or facts.service or EVERY_SERVICE


async def facts_about(
    session: AsyncSession,
    actor: Actor,
    *,
    service: str | None,
    case_id: uuid.UUID | None,
    customer_id: uuid.UUID | None,
) -> Facts:
    """Read the facts for a target. Raises NotFound for a case or customer that is not there."""
    if case_id is not None:
        found = await case_facts(session, actor, [case_id])
        if case_id not in found:
            raise NotFound("no such case")
        return found[case_id]
    if customer_id is not None:
        return await _customer_facts(session, actor, service, customer_id)
    return Facts(service, frozenset({service}) if service else frozenset(), frozenset())


async def case_facts(
    session: AsyncSession, actor: Actor, case_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Facts]:
    """Facts for several cases in three queries (list queries check every row); cases that
    are not there are left out."""
    ids = list(dict.fromkeys(case_ids))
    rows = (
        await session.execute(
            select(Case.id, Case.customer_id, Case.state, Service.slug)
            .join(Service, Service.id == Case.service_id)
            .where(Case.id.in_(ids))
        )
    ).all()
    services = await _arrangement_services(session, Arrangement.case_id.in_(ids))
    relations = await _relations(session, actor, CaseAssignment.case_id.in_(ids))
    return {
        row.id: Facts(
            service=row.slug,
            services=frozenset({row.slug, *services.get(row.id, ())}),
            relations=frozenset(relations.get(row.id, ())),
            case_id=row.id,
            customer_id=row.customer_id,
            archived=row.state == CaseState.ARCHIVED,
        )
        for row in rows
    }


async def _customer_facts(
    session: AsyncSession, actor: Actor, service: str | None, customer_id: uuid.UUID
) -> Facts:
    if await session.scalar(select(Customer.id).where(Customer.id == customer_id)) is None:
        raise NotFound("no such customer")
    cases = select(Case.id).where(Case.customer_id == customer_id)
    relations = await _relations(session, actor, CaseAssignment.case_id.in_(cases))
    if service is not None:
        services = frozenset({service})
    else:
        # No service asked about: the customer's cases' services and their arrangements'.
        own = (
            await session.scalars(
                select(Service.slug)
                .join(Case, Case.service_id == Service.id)
                .where(Case.customer_id == customer_id)
            )
        ).all()
        by_case = await _arrangement_services(session, Arrangement.customer_id == customer_id)
        services = frozenset(own).union(*by_case.values())
    every = frozenset(r for rs in relations.values() for r in rs)
    return Facts(service, services, every, customer_id=customer_id)


async def _arrangement_services(
    session: AsyncSession, which: ColumnElement[bool]
) -> dict[uuid.UUID, set[str]]:
    rows = await session.execute(
        select(Arrangement.case_id, Service.slug)
        .join(ArrangementService, ArrangementService.arrangement_id == Arrangement.id)
        .join(Service, Service.id == ArrangementService.service_id)
        .where(which, Arrangement.state.in_(CURRENT))
    )
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for case_id, slug in rows:
        found[case_id].add(slug)
    return found


async def _relations(
    session: AsyncSession, actor: Actor, which: ColumnElement[bool]
) -> dict[uuid.UUID, set[AssignmentRelation]]:
    found: dict[uuid.UUID, set[AssignmentRelation]] = defaultdict(set)
    if actor.staff_id is None:
        return found
    rows = await session.execute(
        select(CaseAssignment.case_id, CaseAssignment.relation).where(
            which, CaseAssignment.staff_id == actor.staff_id
        )
    )
    for case_id, relation in rows:
        found[case_id].add(relation)
    return found


# -- independence ------------------------------------------------------------------------


def is_independent(relations: Iterable[AssignmentRelation]) -> bool:
    """Without a recorded decider (a case decided before deciders were recorded), whoever is
    assigned as the case's decision maker counts as having made the decision."""
    return AssignmentRelation.DECISION_MAKER not in set(relations)


async def ensure_independent(
    session: AsyncSession, case_id: uuid.UUID, staff_id: uuid.UUID
) -> None:
    """Refuse (Forbidden) the member of staff who made the decision under appeal: the case's
    recorded decider (`Case.decided_by`, set by casework's decide step); with none recorded,
    the assigned decision maker."""
    decided_by = await session.scalar(select(Case.decided_by).where(Case.id == case_id))
    if decided_by is not None:
        independent = decided_by != staff_id
    else:
        independent = is_independent(await relations_of(session, case_id, staff_id))
    if not independent:
        raise Forbidden(
            "an appeal or review must be decided by someone independent of the decision"
        )


# -- list queries ------------------------------------------------------------------------


def visible_cases(
    actor: Actor | None, operation: str, allows: Callable[[str, str, str, str], bool]
) -> ColumnElement[bool]:
    """A WHERE condition on `Case` selecting the cases `actor` may see for `operation`, by the
    same rules as the gate (`allows` is `Decisions.allows`). A superset filter: rows it selects
    are still checked one by one (`Access.admit`)."""
    terms = _visibility(actor, operation, allows)
    return or_(*terms) if terms else false()


def may_list(
    actor: Actor | None,
    operation: str,
    allows: Callable[[str, str, str, str], bool],
    service: str | None = None,
) -> bool:
    """Whether any case at all could be visible: the gate's decision on a list request. A
    list of one `service` is the caller's only where they hold a role in that service (or in
    every service) that could see a case there; elsewhere it is refused, not answered empty,
    so "nothing to do" never stands for "not yours to see"."""
    return bool(_visibility(actor, operation, allows, service))


def _visibility(
    actor: Actor | None,
    operation: str,
    allows: Callable[[str, str, str, str], bool],
    service: str | None = None,
) -> list[ColumnElement[bool]]:
    if actor is None:
        return []
    terms: list[ColumnElement[bool]] = []
    for grant in sorted(actor.roles, key=lambda g: (g.role.value, g.service or "")):
        if service is not None and grant.service not in (None, service):
            continue
        # A grant in every service is asked about in the "*" domain: rules for one service
        # then apply in the row check, not here (this filter may select more, never less).
        domain = grant.service or EVERY_SERVICE
        if allows(grant.role.value, domain, Standing.MEMBER, operation):
            terms.append(true() if grant.service is None else _in_service(grant.service))
        for standing, relation in _ASSIGNMENT_STANDINGS:
            if actor.staff_id is not None and allows(grant.role.value, domain, standing, operation):
                terms.append(_assigned(actor.staff_id, relation))
    return terms


_ASSIGNMENT_STANDINGS: tuple[tuple[Standing, AssignmentRelation | None], ...] = (
    (Standing.ASSIGNED, None),
    (Standing.ASSIGNED_AS_DECISION_MAKER, AssignmentRelation.DECISION_MAKER),
    (Standing.ASSIGNED_AS_REVIEWER, AssignmentRelation.REVIEWER),
)


def _in_service(slug: str) -> ColumnElement[bool]:
    service_id = select(Service.id).where(Service.slug == slug).scalar_subquery()
    by_arrangement = exists(
        select(ArrangementService.arrangement_id)
        .join(Arrangement, Arrangement.id == ArrangementService.arrangement_id)
        .where(
            Arrangement.case_id == Case.id,
            Arrangement.state.in_(CURRENT),
            ArrangementService.service_id == service_id,
        )
    )
    return or_(Case.service_id == service_id, by_arrangement)


def _assigned(staff_id: uuid.UUID, relation: AssignmentRelation | None) -> ColumnElement[bool]:
    condition = and_(CaseAssignment.case_id == Case.id, CaseAssignment.staff_id == staff_id)
    if relation is not None:
        condition = and_(condition, CaseAssignment.relation == relation)
    return exists(select(CaseAssignment.id).where(condition))
