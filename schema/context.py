"""What every resolver gets in `info.context`, built per request by the api layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import Actor
from casework.letter_templates import BUILT_IN, LetterTemplates
from casework.media_types import DEFAULT_MAX_BYTES
from casework.profiles import Profile, load_profile
from records.days import uk_today
from records.readers import Readers
from records.vault import Vault

if TYPE_CHECKING:
    from authz.gate import Gate


@dataclass
class TactContext:
    actor: Actor | None  # None: no credentials (the gate denies)
    request_id: str
    # Opens the request's session: `async with ctx.sessions() as session`. The app hands
    # every resolver of a request the same session, held by one resolver at a time.
    sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]]
    vault: Vault
    # The hot path's driver-level reads (records/readers.py): the portal lookup.
    readers: Readers
    gate: Gate
    clock: Callable[[], dt.datetime]  # timezone-aware UTC now; tests pass a fixed clock
    # Takes one from this caller's bucket of a rate limit ("lookup": by email or phone);
    # raises RateLimited when it is empty. The api layer binds it to the caller.
    spend: Callable[[str], None] = lambda _limit: None
    # The policy profile in use (TACT_PROFILE); tests of other areas may leave the default.
    profile: Profile = field(default_factory=lambda: load_profile("default"))
    # What letters are written from (TACT_LETTER_TEMPLATES_DIR in front of the built-in ones).
    letters: LetterTemplates = BUILT_IN
    # Only registered documents may run (schema/persisted.py): set for portal keys.
    registered_only: bool = False
    # The largest attachment kept (TACT_ATTACHMENT_MAX_BYTES).
    attachment_max_bytes: int = DEFAULT_MAX_BYTES

    def today(self) -> dt.date:
        """The UK day of the request (docs/workflow.md, "Days")."""
        return uk_today(self.clock)
