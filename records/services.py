"""Is this a service? The one place that turns service slugs a caller typed into services.

Slugs are compared in Python against the organisation's short list (a council has tens of
services), so text that is not a service (a name typed in the wrong box) never becomes a
statement parameter that a database log could keep.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from records.errors import ValidationFailed
from records.models import Service

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def check_slug(slug: str, field: str) -> None:
    """Refuse text that no service's slug could be, naming `field`. It says what a slug looks
    like, never which services there are: that depends on the text alone. Text of the right
    shape naming no service is left to the caller (the gate, `add_service`)."""
    if not _SLUG.fullmatch(slug):
        raise ValidationFailed(
            field,
            "must be a service's slug: 1 to 64 lower-case letters, digits or hyphens, "
            "beginning and ending with a letter or digit (e.g. housing)",
        )


async def service_slugs(session: AsyncSession) -> frozenset[str]:
    """Every service's slug."""
    return frozenset((await session.scalars(select(Service.slug))).all())


async def service_ids(session: AsyncSession, slugs: list[str]) -> dict[str, uuid.UUID]:
    """The id of each slug in `slugs` that names a service; unknown slugs are left out."""
    wanted = set(slugs)
    rows = await session.execute(select(Service.slug, Service.id))
    return {slug: service_id for slug, service_id in rows if slug in wanted}


async def service_names(session: AsyncSession) -> dict[str, str]:
    """Each service's name (what a letter calls it), by slug."""
    rows = await session.execute(select(Service.slug, Service.name))
    return {slug: name for slug, name in rows}


def unknown_slugs(slugs: list[str], ids: dict[str, uuid.UUID]) -> list[str]:
    """The slugs `service_ids` found no service for, sorted and once each."""
    return sorted(set(slugs) - ids.keys())
