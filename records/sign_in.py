"""Admin panel sign-in: a password per member of staff, hashed with argon2, and a count of
failed attempts that locks the account for a while.

A failure is counted in the database, so the count holds across processes and restarts. An
unknown username is hashed against a fixed dummy, so it costs the same as a wrong password,
and every refusal looks the same to the caller (the edge says one neutral sentence).
Domain functions: they take the session and a clock, flush, and leave the commit to the edge.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, Integer, String, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from records.errors import NotFound, ValidationFailed
from records.models import Base, Staff

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)

_HASHER = PasswordHasher()


@functools.cache
def dummy_hash() -> str:
    """A hash that no password matches, verified when there is no account (or it is locked)
    so that a refusal takes as long as a wrong password. Made on first use, not on import:
    it costs a fifth of a second, which every `tact` command paid; the panel makes it when
    it is built (admin/sign_in.py), so that even the first refusal takes the usual time."""
    return _HASHER.hash("a password nobody has")


class StaffPassword(Base):
    """A member of staff's admin-panel password (argon2 hash) and failed-attempt count."""

    __tablename__ = "staff_passwords"

    staff_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[dt.datetime] = mapped_column()
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column()


@dataclass(frozen=True)
class SignIn:
    """The outcome of one attempt: the member of staff's id when accepted, else None."""

    staff_id: uuid.UUID | None
    locked: bool = False


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            "password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long"
        )


def hash_password(password: str) -> str:
    """The argon2 hash of a password that keeps the rules (a fifth of a second of CPU, with
    the GIL released: a caller with several to make can make them in threads)."""
    check_password_rules(password)
    return _HASHER.hash(password)


async def set_password(
    session: AsyncSession, username: str, password: str, now: dt.datetime
) -> None:
    """Set (or replace) the password of an active member of staff; clears any lock."""
    await set_password_hash(session, username, hash_password(password), now)


async def set_password_hash(
    session: AsyncSession, username: str, password_hash: str, now: dt.datetime
) -> None:
    """set_password with the hash made already (hash_password)."""
    staff_id = await session.scalar(
        select(Staff.id).where(Staff.username == username, Staff.active.is_(True))
    )
    if staff_id is None:
        raise NotFound("no active member of staff with that username")
    row = await session.get(StaffPassword, staff_id)
    if row is None:
        row = StaffPassword(staff_id=staff_id, password_hash="", changed_at=now)
        session.add(row)
    row.password_hash = password_hash
    row.changed_at = now
    row.failed_attempts = 0
    row.locked_until = None
    await session.flush()


async def attempt_sign_in(
    session: AsyncSession, username: str, password: str, now: dt.datetime
) -> SignIn:
    """Check a password. A failure adds to the count; MAX_FAILURES in a row lock the account
    for LOCK_FOR, during which even the right password is refused. Success resets the count."""
    row = await session.scalar(
        select(StaffPassword)
        .join(Staff, Staff.id == StaffPassword.staff_id)
        .where(Staff.username == username[:120], Staff.active.is_(True))
    )
    if row is None:
        _verify(dummy_hash(), password)
        return SignIn(None)
    if row.locked_until is not None and _aware(row.locked_until) > now:
        _verify(dummy_hash(), password)
        return SignIn(None, locked=True)
    if not _verify(row.password_hash, password):
        row.failed_attempts += 1
        if row.failed_attempts >= MAX_FAILURES:
            row.locked_until = now + LOCK_FOR
            row.failed_attempts = 0
        await session.flush()
        return SignIn(None, locked=row.locked_until is not None and _aware(row.locked_until) > now)
    row.failed_attempts = 0
    row.locked_until = None
    row.last_sign_in_at = now
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = _HASHER.hash(password)
    await session.flush()
    return SignIn(row.staff_id)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return False
