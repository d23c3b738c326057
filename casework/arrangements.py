"""Arrangement kinds: the typed parameters of each, and the neutral handling instructions a
portal or front-line officer is given for it.

Instructions describe what to do with a contact, never what the person is. Emergency contact
is never limited (Cumbria: calling 999), and every instruction that limits contact says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from records.errors import ValidationFailed
from records.models import ArrangementKind, Channel

EMERGENCY_NOTE = "Emergency contact (999) is never limited."


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactChannel(_Parameters):
    channels: Annotated[list[Channel], Field(min_length=1)]


class NamedOfficer(_Parameters):
    pass  # the officer and deputy are columns of the arrangement


class ContactSchedule(_Parameters):
    days: Annotated[
        list[Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]],
        Field(min_length=1),
    ]
    from_time: dt.time
    to_time: dt.time


class ContactVolume(_Parameters):
    limit: Annotated[int, Field(ge=1)]
    period: Literal["day", "week", "month"]
    channel: Channel | None = None


class CallDuration(_Parameters):
    minutes: Annotated[int, Field(ge=1, le=240)]


class WitnessRequired(_Parameters):
    pass


class AppointmentOnly(_Parameters):
    pass


class PremisesExclusion(_Parameters):
    premises: Annotated[list[str], Field(min_length=1)]
    permanent: bool = False
    health_and_safety: bool = False


class ClosedMatter(_Parameters):
    matters: Annotated[list[str], Field(min_length=1)]


class SignificantMattersOnly(_Parameters):
    pass


class ElectronicBlock(_Parameters):
    channels: Annotated[
        list[Literal["email", "web_form", "social_media", "text_message"]], Field(min_length=1)
    ]


class SuspendedContact(_Parameters):
    pending: str = "legal advice"


class ContactTermination(_Parameters):
    pass


class ContactAgreement(_Parameters):
    terms: Annotated[list[str], Field(min_length=1)]


class ProactiveContact(_Parameters):
    frequency: Literal["weekly", "fortnightly", "monthly"]


class RegularMeetings(_Parameters):
    frequency: Literal["weekly", "fortnightly", "monthly"]


class Mediation(_Parameters):
    provider: str | None = None


PARAMETERS: dict[ArrangementKind, type[_Parameters]] = {
    ArrangementKind.CONTACT_CHANNEL: ContactChannel,
    ArrangementKind.NAMED_OFFICER: NamedOfficer,
    ArrangementKind.CONTACT_SCHEDULE: ContactSchedule,
    ArrangementKind.CONTACT_VOLUME: ContactVolume,
    ArrangementKind.CALL_DURATION: CallDuration,
    ArrangementKind.WITNESS_REQUIRED: WitnessRequired,
    ArrangementKind.APPOINTMENT_ONLY: AppointmentOnly,
    ArrangementKind.PREMISES_EXCLUSION: PremisesExclusion,
    ArrangementKind.CLOSED_MATTER: ClosedMatter,
    ArrangementKind.SIGNIFICANT_MATTERS_ONLY: SignificantMattersOnly,
    ArrangementKind.ELECTRONIC_BLOCK: ElectronicBlock,
    ArrangementKind.SUSPENDED_CONTACT: SuspendedContact,
    ArrangementKind.CONTACT_TERMINATION: ContactTermination,
    ArrangementKind.CONTACT_AGREEMENT: ContactAgreement,
    ArrangementKind.PROACTIVE_CONTACT: ProactiveContact,
    ArrangementKind.REGULAR_MEETINGS: RegularMeetings,
    ArrangementKind.MEDIATION: Mediation,
}


def validate_parameters(kind: ArrangementKind, raw: dict[str, Any]) -> dict[str, Any]:
    """Check an arrangement's parameters against its kind; returns them in stored (JSON) form.

    The error names the first field at fault, as `parameters.<field>`, and never echoes input.
    """
    try:
        model = PARAMETERS[kind].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind.value
        raise ValidationFailed(f"parameters.{where}", first["msg"]) from None
    return model.model_dump(mode="json")


def _channels(names: list[str]) -> str:
    words = [n.replace("_", " ") for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def handling_instructions(
    kind: ArrangementKind,
    parameters: dict[str, Any],
    named_officer: str | None = None,
    deputy_officer: str | None = None,
) -> str:
    """What the person taking the contact should do, in neutral words."""
    p = parameters
    officer = named_officer or "the named officer"
    deputy = f" (or {deputy_officer} when they are away)" if deputy_officer else ""
    texts: dict[ArrangementKind, Callable[[], str]] = {
        ArrangementKind.CONTACT_CHANNEL: lambda: (
            f"Contact is by {_channels(p['channels'])} only. Contact through another route is "
            f"acknowledged and the person reminded of the agreed route."
        ),
        ArrangementKind.NAMED_OFFICER: lambda: (
            f"Pass the contact to {officer}{deputy}. Take a message; do not deal with the matter."
        ),
        ArrangementKind.CONTACT_SCHEDULE: lambda: (
            f"Contact is taken on {_channels(p['days'])} between {p['from_time'][:5]} and "
            f"{p['to_time'][:5]}. Outside those times, explain when contact can be taken."
        ),
        ArrangementKind.CONTACT_VOLUME: lambda: (
            f"Up to {p['limit']} contact(s) per {p['period']}"
            + (f" by {p['channel'].replace('_', ' ')}" if p.get("channel") else "")
            + " are answered; further contact is acknowledged and filed."
        ),
        ArrangementKind.CALL_DURATION: lambda: (
            f"Calls are limited to {p['minutes']} minutes. Say so at the start of the call."
        ),
        ArrangementKind.WITNESS_REQUIRED: lambda: (
            "Meetings and calls take place with a second member of staff present."
        ),
        ArrangementKind.APPOINTMENT_ONLY: lambda: (
            "Face-to-face contact is by appointment only. Offer an appointment."
        ),
        ArrangementKind.PREMISES_EXCLUSION: lambda: (
            "The person is not to attend the listed premises"
            + (" (health and safety)" if p.get("health_and_safety") else "")
            + ". Offer another way to make contact."
        ),
        ArrangementKind.CLOSED_MATTER: lambda: (
            "Contact about the closed matter(s) is acknowledged and filed, not answered. "
            "Check each contact for a new matter and refer any new matter to the complaints "
            "procedure."
        ),
        ArrangementKind.SIGNIFICANT_MATTERS_ONLY: lambda: (
            "Only contact that raises a significant new matter is answered; other contact is "
            "acknowledged and filed after checking for new matters."
        ),
        ArrangementKind.ELECTRONIC_BLOCK: lambda: (
            f"Contact by {_channels(p['channels'])} is not received. Explain the permitted route."
        ),
        ArrangementKind.SUSPENDED_CONTACT: lambda: (
            f"Contact is suspended pending {p.get('pending', 'advice')}. Take the details and "
            f"pass them to {officer}."
        ),
        ArrangementKind.CONTACT_TERMINATION: lambda: (
            f"Contact is not taken except through {officer}. Pass any contact to them."
        ),
        ArrangementKind.CONTACT_AGREEMENT: lambda: (
            "A contact agreement is in place. Handle the contact within its terms."
        ),
        ArrangementKind.PROACTIVE_CONTACT: lambda: (
            f"{officer} contacts the person {p['frequency']}. Pass updates to them."
        ),
        ArrangementKind.REGULAR_MEETINGS: lambda: (
            f"Matters are discussed at {p['frequency']} meetings with {officer}. "
            "Pass new matters to them for the next meeting."
        ),
        ArrangementKind.MEDIATION: lambda: (
            "Mediation is in progress. Pass contact about the matter to the case officer."
        ),
    }
    return f"{texts[kind]()} {EMERGENCY_NOTE}"
