"""The contact check (DESIGN 3): one incoming contact, evaluated against the arrangements in
force for the person in the service, answers one outcome with neutral instructions:

- PROCEED: take the contact (following any arrangement that shapes it: a time limit on
  calls, a witness...).
- ROUTE: pass it to the named officer, or their deputy when they are away.
- FILE: acknowledge it and place it on file; it is screened for any new matter.
- DECLINE: not through this channel or at this time; say what the permitted route is.

The strictest finding wins (DECLINE, then FILE, then ROUTE). Emergency contact is never
limited (Cumbria: calling 999): it always PROCEEDs, and never counts towards a volume limit.
Days, times and periods are UK local time (Europe/London). A contact schedule applies to
contact made in real time (phone, in person): a letter or email cannot arrive "outside
hours". Unknown person and person with no arrangement get the same answer, byte for byte.

`evaluate` is pure; `check_contact` looks up (the portal's status lookup), counts recorded
contacts for volume limits, and records the contact when asked, or always when it is filed
(a filed contact must be screened, so it must exist to be screened).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from casework.arrangements import EMERGENCY_NOTE, handling_instructions, when_away
from casework.label_guard import check_text
from casework.status import Found, InForce, find_in_force
from records.contacts import (
    ContactOutcome,
    NewContact,
    count_answered,
    record_contact,
    service_id_of,
)
from records.days import UK, uk_day, uk_midnight
from records.errors import ValidationFailed
from records.free_text import SHORT_TEXT_MAX
from records.lookup import LookupKind
from records.models import ArrangementKind, Channel
from records.vault import Vault

REAL_TIME = frozenset({Channel.PHONE, Channel.IN_PERSON})
# Refusals that name another way or time to make contact, which a routing arrangement's
# officer receives (not an appointment's or a termination's refusal).
_ROUTE_ELSEWHERE = frozenset(
    {
        ArrangementKind.CONTACT_CHANNEL,
        ArrangementKind.ELECTRONIC_BLOCK,
        ArrangementKind.CONTACT_SCHEDULE,
        ArrangementKind.PREMISES_EXCLUSION,
    }
)
MATTER_MAX = 500
ADDRESSED_TO_MAX = SHORT_TEXT_MAX
# Premises are named as a premises exclusion lists them (records/free_text.ShortText).
PREMISES_MAX = SHORT_TEXT_MAX
# `at` is when the contact was made: not later than now (give or take clocks a few minutes
# apart), nor long ago. A time outside these is a caller's mistake (a year mistyped, an unset
# time sent as 1970), and would otherwise answer for a day with no arrangement in force.
AT_LEEWAY = dt.timedelta(minutes=5)
AT_LOOKBACK = dt.timedelta(days=366)
_RANK = {
    ContactOutcome.PROCEED: 0,
    ContactOutcome.ROUTE: 1,
    ContactOutcome.FILE: 2,
    ContactOutcome.DECLINE: 3,
}
NO_ARRANGEMENT = "No arrangement applies to this contact: handle it as usual."
EMERGENCY = "Emergency: deal with the emergency now. " + EMERGENCY_NOTE
FILE = (
    "Acknowledge the contact and place it on file. It is screened for any new matter, and a "
    "new matter goes to the complaints procedure."
)


@dataclass(frozen=True)
class IncomingContact:
    service: str
    channel: Channel
    at: dt.datetime  # timezone-aware
    matter: str | None = None
    addressed_to: str | None = None
    emergency: bool = False
    premises: str | None = None  # where an in-person contact is made; None: not said


@dataclass(frozen=True)
class Finding:
    outcome: ContactOutcome
    route_to: str | None = None
    deputy: str | None = None
    permitted_route: str | None = None


@dataclass(frozen=True)
class ContactAnswer:
    outcome: ContactOutcome
    instructions: tuple[str, ...]
    route_to: str | None
    deputy: str | None
    permitted_route: str | None
    arrangements: tuple[ArrangementKind, ...]
    # The arrangement whose finding decided the outcome (for recording; never shown).
    decided_by: InForce | None


def validate(contact: IncomingContact, now: dt.datetime) -> None:
    """Shape and the label guard, naming the input field."""
    if contact.at.tzinfo is None or contact.at.utcoffset() is None:
        raise ValidationFailed("contact.at", "give a time zone (e.g. 2026-03-02T10:15:00Z)")
    if not now - AT_LOOKBACK <= contact.at <= now + AT_LEEWAY:
        raise ValidationFailed(
            "contact.at",
            "must be when the contact was made: by now, and within the past year",
        )
    if contact.premises is not None and not contact.premises.strip():
        # Blank is not "not said": it would name no premises an exclusion lists, and so
        # take a visit that an exclusion declines when the premises are not given.
        raise ValidationFailed("contact.premises", "must not be blank; leave it out if not known")
    for field, text, limit in (
        ("contact.matter", contact.matter, MATTER_MAX),
        ("contact.addressedTo", contact.addressed_to, ADDRESSED_TO_MAX),
        ("contact.premises", contact.premises, PREMISES_MAX),
    ):
        if text is not None and len(text) > limit:
            raise ValidationFailed(field, f"must be at most {limit} characters")
        check_text(field, text)


def evaluate(
    contact: IncomingContact,
    arrangements: tuple[InForce, ...],
    answered: Mapping[uuid.UUID, int],
) -> ContactAnswer:
    """The outcome for `contact` under `arrangements`; `answered` holds, per volume-limited
    arrangement, how many contacts were already taken up in its current period."""
    kinds = tuple(a.kind for a in arrangements)
    if not arrangements:
        return ContactAnswer(ContactOutcome.PROCEED, (NO_ARRANGEMENT,), None, None, None, (), None)
    if contact.emergency:
        first = arrangements[0]
        return ContactAnswer(ContactOutcome.PROCEED, (EMERGENCY,), None, None, None, kinds, first)
    decided: tuple[Finding, InForce] | None = None
    routes: list[tuple[Finding, InForce]] = []
    for arrangement in arrangements:
        finding = _finding(arrangement, contact, answered.get(arrangement.arrangement_id, 0))
        if finding is not None and finding.outcome is ContactOutcome.ROUTE:
            routes.append((finding, arrangement))
        if finding is not None and (
            decided is None or _RANK[finding.outcome] > _RANK[decided[0].outcome]
        ):
            decided = (finding, arrangement)
    finding, by = decided or (Finding(ContactOutcome.PROCEED), arrangements[0])
    replaced = {id(by)}
    if finding.outcome is ContactOutcome.DECLINE and by.kind in _ROUTE_ELSEWHERE and routes:
        # The person is told the route, and to whom it goes: a routing arrangement's own
        # instruction ("take a message") would contradict the refusal, so it is not repeated.
        to, router = routes[0]
        finding = _decline(f"{finding.permitted_route}, to {to.route_to}{when_away(to.deputy)}")
        replaced.add(id(router))
    # Each arrangement's own instruction, after the outcome's; the deciding one's is the
    # outcome's instruction already.
    others = [a for a in arrangements if decided is None or id(a) not in replaced]
    shaping = dict.fromkeys(
        handling_instructions(a.kind, a.parameters, a.named_officer, a.deputy_officer)
        for a in others
    )
    return ContactAnswer(
        outcome=finding.outcome,
        instructions=(_instruction(finding), *shaping),
        route_to=finding.route_to,
        deputy=finding.deputy,
        permitted_route=finding.permitted_route,
        arrangements=kinds,
        decided_by=by,
    )


def _instruction(finding: Finding) -> str:
    if finding.outcome is ContactOutcome.ROUTE:
        return (
            f"Pass the contact to {finding.route_to}{when_away(finding.deputy)}. "
            "Do not deal with the matter."
        )
    if finding.outcome is ContactOutcome.FILE:
        return FILE
    if finding.outcome is ContactOutcome.DECLINE:
        return (
            "Do not take the contact this way. Explain the permitted route: "
            f"{finding.permitted_route}."
        )
    return "Take the contact, following the arrangements below."


def _finding(a: InForce, contact: IncomingContact, answered: int) -> Finding | None:
    p = a.parameters
    kind = a.kind
    if kind is ArrangementKind.CONTACT_CHANNEL and contact.channel not in p["channels"]:
        return _decline(f"contact by {_words(p['channels'])}")
    if kind is ArrangementKind.ELECTRONIC_BLOCK and contact.channel in p["channels"]:
        return _decline(f"contact by {_words([c for c in Channel if c not in p['channels']])}")
    if kind is ArrangementKind.CONTACT_SCHEDULE and not _in_schedule(p, contact):
        return _decline(
            f"contact on {_words(p['days'])} between {p['from_time'][:5]} and "
            f"{p['to_time'][:5]} (UK time)"
        )
    if kind is ArrangementKind.PREMISES_EXCLUSION and _at_excluded_premises(p, contact):
        return _decline(f"contact by {_words([c for c in Channel if c not in REAL_TIME])}")
    if kind is ArrangementKind.APPOINTMENT_ONLY and contact.channel is Channel.IN_PERSON:
        return _decline("face-to-face contact by appointment; offer an appointment")
    if kind is ArrangementKind.CONTACT_VOLUME and p.get("channel") in (None, contact.channel):
        return Finding(ContactOutcome.FILE) if answered >= p["limit"] else None
    if kind is ArrangementKind.CLOSED_MATTER:
        closed = {_normal(m) for m in p["matters"]}
        return Finding(ContactOutcome.FILE) if _normal(contact.matter) in closed else None
    if kind is ArrangementKind.SIGNIFICANT_MATTERS_ONLY:
        return Finding(ContactOutcome.FILE)
    return _routing(a, contact)


def _routing(a: InForce, contact: IncomingContact) -> Finding | None:
    officer, deputy = a.named_officer, a.deputy_officer
    kind = a.kind
    if kind is ArrangementKind.MEDIATION:
        return Finding(ContactOutcome.ROUTE, route_to="the case officer")
    ends_contact = (ArrangementKind.SUSPENDED_CONTACT, ArrangementKind.CONTACT_TERMINATION)
    if kind in ends_contact and officer is not None:
        return Finding(ContactOutcome.ROUTE, route_to=officer, deputy=deputy)
    if kind is ArrangementKind.SUSPENDED_CONTACT:
        return Finding(ContactOutcome.FILE)  # details taken and kept for the case officer
    if kind is ArrangementKind.CONTACT_TERMINATION:
        return _decline("none: contact is not taken, except in an emergency")
    routed = (
        ArrangementKind.NAMED_OFFICER,
        ArrangementKind.PROACTIVE_CONTACT,
        ArrangementKind.REGULAR_MEETINGS,
    )
    if kind in routed and officer is not None:
        addressed = _normal(contact.addressed_to)
        if addressed and addressed in {_normal(officer), _normal(deputy)}:
            return None
        return Finding(ContactOutcome.ROUTE, route_to=officer, deputy=deputy)
    return None


def _decline(permitted: str) -> Finding:
    return Finding(ContactOutcome.DECLINE, permitted_route=permitted)


def _in_schedule(p: Mapping[str, Any], contact: IncomingContact) -> bool:
    if contact.channel not in REAL_TIME:
        return True
    local = contact.at.astimezone(UK)
    start = dt.time.fromisoformat(str(p["from_time"]))
    end = dt.time.fromisoformat(str(p["to_time"]))
    day = local.strftime("%A").lower()
    return day in p["days"] and start <= local.time() < end


def _words(names: list[str]) -> str:
    words = [str(n).replace("_", " ") for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _at_excluded_premises(p: dict[str, Any], contact: IncomingContact) -> bool:
    """An in-person contact at premises the exclusion lists, or at premises not said (when
    in doubt, the exclusion holds)."""
    if contact.channel is not Channel.IN_PERSON:
        return False
    if contact.premises is None:
        return True
    return _normal(contact.premises) in {_normal(listed) for listed in p["premises"]}


def _normal(text: str | None) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold() if text else ""


def period_bounds(at: dt.datetime, period: str) -> tuple[dt.datetime, dt.datetime]:
    """The UK-local day, week (Monday to Sunday) or calendar month containing `at`, in UTC."""
    start = uk_day(at)
    if period == "week":
        start -= dt.timedelta(days=start.weekday())
        end = start + dt.timedelta(days=7)
    elif period == "month":
        start = start.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
    else:
        end = start + dt.timedelta(days=1)
    return uk_midnight(start), uk_midnight(end)


# -- with the database -----------------------------------------------------------------------


@dataclass(frozen=True)
class ContactCheck:
    answer: ContactAnswer
    recorded: bool
    found: Found  # for the access log only


async def check_contact(
    session: AsyncSession,
    vault: Vault,
    lookup: tuple[LookupKind, str],
    contact: IncomingContact,
    *,
    record: bool,
    recorded_by: str,
    now: dt.datetime,
) -> ContactCheck:
    """Evaluate one contact; record it when asked (or when it is filed). Never commits."""
    validate(contact, now)
    kind, value = lookup
    local_day = uk_day(contact.at)
    found = await find_in_force(
        session, vault, kind, value, contact.service, local_day, field="contact.lookup"
    )
    answered = {} if contact.emergency else await _answered(session, contact, found)
    answer = evaluate(contact, found.arrangements, answered)
    recorded = answer.decided_by is not None and (record or answer.outcome is ContactOutcome.FILE)
    if recorded and answer.decided_by is not None:
        by = answer.decided_by
        new = NewContact(
            case_id=by.case_id,
            customer_id=by.customer_id,
            service_id=await service_id_of(session, contact.service),
            channel=contact.channel,
            contacted_at=contact.at.astimezone(dt.UTC),
            outcome=answer.outcome,
            emergency=contact.emergency,
            matter=contact.matter,
            recorded_by=recorded_by,
            recorded_at=now,
        )
        await record_contact(session, vault, new)
    return ContactCheck(answer=answer, recorded=recorded, found=found)


async def _answered(
    session: AsyncSession, contact: IncomingContact, found: Found
) -> dict[uuid.UUID, int]:
    counts: dict[uuid.UUID, int] = {}
    for a in found.arrangements:
        channel = a.parameters.get("channel")
        if a.kind is not ArrangementKind.CONTACT_VOLUME or channel not in (None, contact.channel):
            continue
        since, until = period_bounds(contact.at, a.parameters["period"])
        counts[a.arrangement_id] = await count_answered(
            session,
            customer_id=a.customer_id,
            arrangement_id=a.arrangement_id,
            since=since,
            until=until,
            channel=Channel(channel) if channel else None,
        )
    return counts
