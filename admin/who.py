"""How the panel shows a member of staff: their display name with their username, "Jo Bloggs
(jo.bloggs)", wherever a page names one (the staff page, who placed a hold, who asked for and
approved a destruction, who opened a subject access request, the access log's actor). Staff
names are work identities, not sealed (records/models.py, Staff). Anything else that acts
("portal:<key prefix>", "system:<job>") is shown as the access log records it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import staff_username
from records.models import Staff

Shown = Callable[[str | None], str]


def staff_shown(display_name: str, username: str) -> str:
    return f"{display_name} ({username})"


async def who(session: AsyncSession, labels: Iterable[str | None]) -> Shown:
    """How each of `labels` (actor labels, as the log and the records keep them) is shown:
    a member of staff by name and username, anything else as it is; None as nothing. The
    names are read in one query, in the page's own (gated) session."""
    usernames = {name for label in labels if label and (name := staff_username(label))}
    names: dict[str, str] = {}
    if usernames:
        found = await session.execute(
            select(Staff.username, Staff.display_name).where(Staff.username.in_(usernames))
        )
        names = {row.username: row.display_name for row in found}

    def shown(label: str | None) -> str:
        if not label:
            return ""
        username = staff_username(label)
        named = names.get(username) if username else None
        return staff_shown(named, username) if named and username else label

    return shown
