"""What every kind of authentication shares: the one refusal message, the operator's log line
for a refusal, and the Actor of a member of staff read from the database.

Staff tokens (api) and the admin panel's login (admin) both build staff Actors here, so roles
come from staff_roles only, whatever an identity provider puts in a token's claims.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import Actor, ActorKind, RoleGrant, staff_label
from records.errors import Unauthenticated
from records.staff import staff_grants

log = logging.getLogger("tact.auth")

# One message for every refusal, so a caller cannot tell an unknown key from a revoked one,
# or an expired token from a wrong audience.
REFUSED = "the credentials presented were not accepted"


def credentials_refused(scheme: str, reason: str, key_prefix: str | None = None) -> Unauthenticated:
    """The error to raise. The reason goes to the operator's log only, with no personal data
    (a key prefix is public; a token's unverified subject is never logged)."""
    log.info(
        "credentials refused",
        extra={
            "event": "credentials_refused",
            "scheme": scheme,
            "reason": reason,
            "key_prefix": key_prefix,
        },
    )
    return Unauthenticated(REFUSED)


async def staff_actor(session: AsyncSession, username: str) -> Actor | None:
    """The active member of staff's Actor; None when the username is unknown or inactive."""
    found = await staff_grants(session, username)
    if found is None or not found.active:
        return None
    return Actor(
        kind=ActorKind.STAFF,
        label=staff_label(found.username),
        roles=frozenset(RoleGrant(role, service) for role, service in found.grants),
        staff_id=found.staff_id,
    )
