"""Who is asking: the authenticated actor handed to the choke point.

Authentication (api/authentication.py) builds an Actor from a portal key or a staff token,
reading roles and services from the database, never trusting them from the token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from records.models import Role


class ActorKind(StrEnum):
    PORTAL = "portal"
    STAFF = "staff"
    SYSTEM = "system"  # the CLI and scheduled jobs, acting for a named operator


@dataclass(frozen=True)
class RoleGrant:
    """A role held in one service (by slug), or in every service when service is None."""

    role: Role
    service: str | None = None


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    # What the access log records as "who": "portal:<key prefix>", "staff:<username>", ...
    label: str
    roles: frozenset[RoleGrant] = field(default_factory=frozenset)
    staff_id: uuid.UUID | None = None
    portal_key_id: uuid.UUID | None = None

    def roles_in(self, service: str | None) -> set[Role]:
        """Roles that hold in `service` (global grants count everywhere)."""
        return {g.role for g in self.roles if g.service is None or g.service == service}

    @property
    def services(self) -> set[str]:
        return {g.service for g in self.roles if g.service is not None}


# How a member of staff is named as "who" (an actor's label, the access log's `actor`).
_STAFF = "staff:"


def staff_label(username: str) -> str:
    """The label of the member of staff with this username: "staff:<username>"."""
    return _STAFF + username


def staff_username(label: str) -> str | None:
    """The username a label names, when it names a member of staff; None for a portal, a job
    or anything else."""
    return label.removeprefix(_STAFF) if label.startswith(_STAFF) else None


# The daily sweep that expires arrangements past their end date (`tact cases expire`): the
# manager role in every service, the role that updates any case of its service. `openCase`
# acts as it too when it ends a case the sweep has not reached yet (docs/workflow.md).
CASES_EXPIRE = Actor(
    kind=ActorKind.SYSTEM,
    label="system:cases-expire",
    roles=frozenset({RoleGrant(Role.MANAGER, None)}),
)
