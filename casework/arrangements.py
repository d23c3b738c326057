"""Arrangement kinds: the typed parameters of each, the neutral handling instructions a
portal or front-line officer is given for it, and what it means for the person it applies to,
as their letters say it.

Instructions describe what to do with a contact, never what the person is. Emergency contact
is never limited (Cumbria: calling 999), and every instruction that limits contact says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUndefined

from records.errors import ValidationFailed
from records.free_text import MAX_ITEMS, ShortText, in_our_words
from records.models import ArrangementKind, Channel

EMERGENCY_NOTE = "Emergency contact (999) is never limited."

# Where a client learns each kind's parameters: the schema's `parameters` fields say so.
PARAMETERS_LISTED = (
    "A JSON object of the kind's typed parameters, listed kind by kind in docs/workflow.md, "
    '"Arrangement parameters". Keys are camelCase (snake_case is accepted too); a channel is '
    "given as the Channel enum spells it (LETTER) or in lower case (letter)."
)
PARAMETERS_ANSWERED = (
    "The kind's typed parameters, a JSON object (listed kind by kind in docs/workflow.md, "
    '"Arrangement parameters"): keys camelCase, values as stored (a channel in lower case: '
    "letter), as the timeline's details give them."
)


class _Parameters(BaseModel):
    """One contract for every kind: keys are taken camelCased, as every answer spells them
    (`healthAndSafety`), or snake_case as before; they are kept (and read back) snake_case,
    so rows stored before either spelling was taken read as they always did."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
    )


def _stored_channel(value: Any) -> Any:
    """A channel as the GraphQL enum spells it (`LETTER`, `WEB_FORM`) as its stored value
    (`letter`); any other value is left for the field's own check."""
    if isinstance(value, str) and value in Channel.__members__:
        return Channel[value].value
    return value


ChannelValue = Annotated[Channel, BeforeValidator(_stored_channel)]
Electronic = Annotated[
    Literal["email", "web_form", "social_media", "text_message"],
    BeforeValidator(_stored_channel),
]


class ContactChannel(_Parameters):
    channels: Annotated[list[ChannelValue], Field(min_length=1, max_length=MAX_ITEMS)]


class NamedOfficer(_Parameters):
    pass  # the officer and deputy are columns of the arrangement


class ContactSchedule(_Parameters):
    days: Annotated[
        list[Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]],
        Field(min_length=1, max_length=MAX_ITEMS),
    ]
    from_time: dt.time
    to_time: dt.time


# The most contacts a volume limit allows in its period: more than about three a day over a
# month restricts nothing a policy would impose, and a bound keeps a mistyped 10^30 out of
# letters and every portal's answer. Numbers are JSON numbers (strict): `true` is not 1.
MAX_CONTACTS = 100


class ContactVolume(_Parameters):
    limit: Annotated[int, Field(ge=1, le=MAX_CONTACTS, strict=True)]
    period: Literal["day", "week", "month"]
    channel: ChannelValue | None = None


class CallDuration(_Parameters):
    minutes: Annotated[int, Field(ge=1, le=240, strict=True)]


class WitnessRequired(_Parameters):
    pass


class AppointmentOnly(_Parameters):
    pass


class PremisesExclusion(_Parameters):
    premises: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_ITEMS)]
    permanent: bool = False
    health_and_safety: bool = False


class ClosedMatter(_Parameters):
    matters: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_ITEMS)]


class SignificantMattersOnly(_Parameters):
    pass


class ElectronicBlock(_Parameters):
    channels: Annotated[list[Electronic], Field(min_length=1, max_length=MAX_ITEMS)]


class SuspendedContact(_Parameters):
    pending: ShortText = "legal advice"


class ContactTermination(_Parameters):
    pass


class ContactAgreement(_Parameters):
    terms: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_ITEMS)]


class ProactiveContact(_Parameters):
    frequency: Literal["weekly", "fortnightly", "monthly"]


class RegularMeetings(_Parameters):
    frequency: Literal["weekly", "fortnightly", "monthly"]


class Mediation(_Parameters):
    provider: ShortText | None = None


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
    """Check an arrangement's parameters against its kind; returns them in stored (JSON) form:
    snake_case keys, lower-case values.

    The error names the first field at fault as the caller spelt it, `parameters.<field>`
    (`parameters.healthAndSafety`, `parameters.health_and_safety`), and never echoes input.
    """
    try:
        model = PARAMETERS[kind].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind.value
        raise ValidationFailed(f"parameters.{where}", in_our_words(first)) from None
    return model.model_dump(mode="json")


def parameter_names(kind: ArrangementKind) -> list[str]:
    """A kind's parameters as the API spells them (camelCase)."""
    return [to_camel(name) for name in PARAMETERS[kind].model_fields]


def parameters_table() -> str:
    """Every kind's parameters as a Markdown table, made from the models above: the list
    docs/workflow.md gives ("Arrangement parameters"), checked against this by a test."""
    lines = ["| kind | parameter | type | required |", "|---|---|---|---|"]
    for kind, model in PARAMETERS.items():
        fields = model.model_fields
        if not fields:
            lines.append(f"| `{kind.name}` | none | | |")
        for name, info in fields.items():
            given = info.annotation  # with its rules, which pydantic keeps apart
            shape = _type_words(Annotated[given, *info.metadata] if info.metadata else given)
            needed = "yes" if info.is_required() else "no"
            if info.default not in (None, PydanticUndefined):
                needed += f", default `{json.dumps(info.default)}`"
            lines.append(f"| `{kind.name}` | `{to_camel(name)}` | {shape} | {needed} |")
    return "\n".join(lines) + "\n"


_RULES: dict[str, Callable[[Any], str]] = {
    "MinLen": lambda rule: f", at least {rule.min_length}",
    "MaxLen": lambda rule: f", at most {rule.max_length}",
    "Ge": lambda rule: f", at least {rule.ge}",
    "Le": lambda rule: f", at most {rule.le}",
}
_PLAIN = {bool: "`true` or `false`", int: "whole number", str: "text", dt.time: "time, `HH:MM`"}


def _type_words(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        # A channel: given as the Channel enum spells it (or in lower case).
        as_enum = any(getattr(m, "func", None) is _stored_channel for m in args[1:])
        if as_enum:
            return _values(args[0], upper=True)
        # annotated_types' rules (MinLen, MaxLen, Ge, Le), given directly or in a Field.
        rules = [r for m in args[1:] for r in getattr(m, "metadata", [m])]
        rules = [r for r in rules if type(r).__name__ in _RULES]
        if args[0] is str:  # free text (records/free_text.ShortText): its longest
            longest = [r.max_length for r in rules if type(r).__name__ == "MaxLen"]
            return f"text (at most {longest[0]} characters)" if longest else "text"
        return _type_words(args[0]) + "".join(_RULES[type(r).__name__](r) for r in rules)
    if origin in (Union, UnionType):
        return " or ".join(_type_words(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type_words(args[0])}"
    if origin is Literal:
        return _values(annotation, upper=False)
    return _PLAIN[annotation]


def _values(annotation: Any, *, upper: bool) -> str:
    values = [c.value for c in annotation] if annotation is Channel else get_args(annotation)
    words = [f"`{v.upper() if upper else v}`" for v in values]
    return f"{'channel' if upper else 'word'} ({', '.join(words[:-1])} or {words[-1]})"


def _channels(names: list[str]) -> str:
    words = [n.replace("_", " ") for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True)
class _Terms:
    """What an arrangement's words are made from: its parameters and officers."""

    p: dict[str, Any]
    officer: str
    deputy: str  # " (or X when they are away)", or ""
    named: bool  # an officer is named: `officer` is them, not the words "the named officer"


def _terms(
    parameters: dict[str, Any], named_officer: str | None, deputy_officer: str | None
) -> _Terms:
    return _Terms(
        parameters,
        named_officer or "the named officer",
        when_away(deputy_officer),
        bool(named_officer),
    )


def when_away(deputy: str | None) -> str:
    """The words " (or <deputy> when they are away)", or none without a deputy."""
    return f" (or {deputy} when they are away)" if deputy else ""


def _volume(t: _Terms) -> str:
    return f" by {t.p['channel'].replace('_', ' ')}" if t.p.get("channel") else ""


# Each kind in two voices: (what the person taking a contact is told to do, what the person it
# applies to is told in their letters). Both describe handling, never the person.
_WORDS: dict[ArrangementKind, Callable[[_Terms], tuple[str, str]]] = {
    ArrangementKind.CONTACT_CHANNEL: lambda t: (
        f"Contact is by {_channels(t.p['channels'])} only. Contact through another route is "
        f"acknowledged and the person reminded of the agreed route.",
        f"Please contact us by {_channels(t.p['channels'])} only. If you contact us another "
        f"way, we will acknowledge it and remind you of this route.",
    ),
    ArrangementKind.NAMED_OFFICER: lambda t: (
        f"Pass the contact to {t.officer}{t.deputy}. Take a message; do not deal with the matter.",
        f"Your contact will be dealt with by {t.officer}{t.deputy}. If you contact someone "
        f"else, they will take a message and pass it on.",
    ),
    ArrangementKind.CONTACT_SCHEDULE: lambda t: (
        f"Contact is taken on {_channels(t.p['days'])} between {t.p['from_time'][:5]} and "
        f"{t.p['to_time'][:5]}. Outside those times, explain when contact can be taken.",
        f"We will take your contact on {_channels(t.p['days'])} between "
        f"{t.p['from_time'][:5]} and {t.p['to_time'][:5]}.",
    ),
    ArrangementKind.CONTACT_VOLUME: lambda t: (
        f"Up to {t.p['limit']} contact(s) per {t.p['period']}{_volume(t)} are answered; "
        f"further contact is acknowledged and filed.",
        f"We will answer up to {t.p['limit']} contact{'s' if t.p['limit'] != 1 else ''} from "
        f"you a {t.p['period']}{_volume(t)}. We will acknowledge any further contact and keep "
        f"it on file.",
    ),
    ArrangementKind.CALL_DURATION: lambda t: (
        f"Calls are limited to {t.p['minutes']} minutes. Say so at the start of the call.",
        f"Telephone calls with you will last no more than {t.p['minutes']} minutes.",
    ),
    ArrangementKind.WITNESS_REQUIRED: lambda t: (
        "Meetings and calls take place with a second member of staff present.",
        "A second member of staff will be present at meetings and on calls with you.",
    ),
    ArrangementKind.APPOINTMENT_ONLY: lambda t: (
        "Face-to-face contact is by appointment only. Offer an appointment.",
        "We will see you in person by appointment only. Please ask us for an appointment.",
    ),
    ArrangementKind.PREMISES_EXCLUSION: lambda t: (
        "The person is not to attend the listed premises"
        + (" (health and safety)" if t.p.get("health_and_safety") else "")
        + ". Offer another way to make contact.",
        "Please do not attend the premises listed"
        + (", for health and safety reasons" if t.p.get("health_and_safety") else "")
        + ". You may still contact us in the other ways open to you.",
    ),
    ArrangementKind.CLOSED_MATTER: lambda t: (
        "Contact about the closed matter(s) is acknowledged and filed, not answered. Check "
        "each contact for a new matter and refer any new matter to the complaints procedure.",
        "We will not reply further about the closed matter(s) listed. We will read any "
        "contact from you, and deal with a new matter through our complaints procedure.",
    ),
    ArrangementKind.SIGNIFICANT_MATTERS_ONLY: lambda t: (
        "Only contact that raises a significant new matter is answered; other contact is "
        "acknowledged and filed after checking for new matters.",
        "We will reply only to contact that raises a significant new matter. We will read "
        "all your contact and keep it on file.",
    ),
    ArrangementKind.ELECTRONIC_BLOCK: lambda t: (
        f"Contact by {_channels(t.p['channels'])} is not received. Explain the permitted route.",
        f"We will not receive contact from you by {_channels(t.p['channels'])}. Please use "
        f"another way of contacting us.",
    ),
    # Without a named officer these say what checkContact does (casework/contact_check.py):
    # suspended contact is filed for the case officer, terminated contact is not taken.
    ArrangementKind.SUSPENDED_CONTACT: lambda t: (
        f"Contact is suspended pending {t.p.get('pending', 'advice')}. Take the details and "
        + (f"pass them to {t.officer}." if t.named else "keep them on file for the case officer."),
        f"Contact with you is suspended while we wait for {t.p.get('pending', 'advice')}. "
        + (
            f"In the meantime, {t.officer} is your contact."
            if t.named
            else "We will keep on file any contact you make in the meantime."
        ),
    ),
    ArrangementKind.CONTACT_TERMINATION: lambda t: (
        (
            f"Contact is not taken except through {t.officer}. Pass any contact to them."
            if t.named
            else "Contact is not taken. Explain that contact has ended."
        ),
        (
            f"We will take contact from you only through {t.officer}."
            if t.named
            else "We will no longer take contact from you."
        ),
    ),
    ArrangementKind.CONTACT_AGREEMENT: lambda t: (
        "A contact agreement is in place. Handle the contact within its terms.",
        "Contact with you will follow the agreement we have made with you.",
    ),
    ArrangementKind.PROACTIVE_CONTACT: lambda t: (
        f"{t.officer} contacts the person {t.p['frequency']}. Pass updates to them.",
        f"{t.officer} will contact you {t.p['frequency']} to keep you up to date.",
    ),
    ArrangementKind.REGULAR_MEETINGS: lambda t: (
        f"Matters are discussed at {t.p['frequency']} meetings with {t.officer}. Pass new "
        f"matters to them for the next meeting.",
        f"We will discuss your matters at {t.p['frequency']} meetings with {t.officer}. "
        f"Please bring new matters to the next meeting.",
    ),
    ArrangementKind.MEDIATION: lambda t: (
        "Mediation is in progress. Pass contact about the matter to the case officer.",
        "Mediation is taking place. Contact about the matter will go to your case officer.",
    ),
}


def handling_instructions(
    kind: ArrangementKind,
    parameters: dict[str, Any],
    named_officer: str | None = None,
    deputy_officer: str | None = None,
) -> str:
    """What the person taking the contact should do, in neutral words."""
    staff, _ = _WORDS[kind](_terms(parameters, named_officer, deputy_officer))
    return f"{staff} {EMERGENCY_NOTE}"


def what_it_means(
    kind: ArrangementKind,
    parameters: dict[str, Any],
    named_officer: str | None = None,
    deputy_officer: str | None = None,
) -> str:
    """What the arrangement means for the person it applies to, addressed to them: a letter
    tells them how their contact will be handled, not what staff are told to do with it
    (`handling_instructions`). The letter says once that emergency contact is never limited."""
    _, customer = _WORDS[kind](_terms(parameters, named_officer, deputy_officer))
    return customer
