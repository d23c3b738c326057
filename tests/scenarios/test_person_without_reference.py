"""A person the council knows without a customer reference (a case opened from a phone number
or an email alone) can still be the subject of a subject access request and of the access
log's "who has seen this person's record?": both find them by a phone number or email
recorded for them, over HTTP, as they find others by reference. Giving none or more than one
way is refused naming the field; an unknown number is refused as a person the caller may not
see is, and the values never come back in an error."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import Refused, Walk

PROFILE = "rhondda-cynon-taf"
PHONE = "07700 900123"
EMAIL = "sam.sample@example.org"
EXPORT = (
    "query E($customerRef: String, $email: String, $phone: String) { subjectAccessExport("
    "customerRef: $customerRef, email: $email, phone: $phone) { json } }"
)
OPEN_REQUEST = (
    "mutation O($phone: String) { openSubjectAccessRequest(phone: $phone) { id completedAt } }"
)
LOG = (
    "query L($filter: AccessLogFilter!) { accessLog(filter: $filter, first: 100) "
    "{ edges { node { operation customerId caseId outcome } } } }"
)


async def test_subject_access_and_the_access_log_find_a_person_by_phone_or_email(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        await walk.open("officer", {"phone": PHONE, "email": EMAIL, "name": "Sam Sample"})
        someone_else = await walk.open("officer", {"customerRef": "RCT-OTHER-1", "name": "Jo X"})
        assert someone_else["event"]["details"]["customerCreated"] is True

        by_phone = await _export(walk, phone=PHONE)
        assert by_phone["customer"]["name"] == "Sam Sample"
        assert by_phone["customer"]["reference"] is None
        by_email = await _export(walk, email=EMAIL)
        assert by_email["customer"] == by_phone["customer"]  # the same person either way
        assert (await _export(walk, customerRef="RCT-OTHER-1"))["customer"]["name"] == "Jo X"

        opened = (await walk.graphql("helpdesk", OPEN_REQUEST, phone=PHONE))[
            "openSubjectAccessRequest"
        ]
        assert opened["completedAt"] is None

        entries = await _log(walk, customerPhone=PHONE)
        exports = [e for e in entries if e["operation"] == "subject_access_export"]
        assert len(exports) == 3  # two exports and the request, all about this person
        (person,) = {e["customerId"] for e in exports}
        assert person is not None
        assert all(e["customerId"] in (person, None) for e in entries)
        # Every field given must match: the phone and the email name the same person; the
        # phone and another person's reference name no one.
        # (Reading the log about them is itself an entry about them: left out of the compare.)
        both = await _log(walk, customerPhone=PHONE, customerEmail=EMAIL)
        assert _not_reads(both) == _not_reads(entries)
        assert await _log(walk, customerPhone=PHONE, customerRef="RCT-OTHER-1") == []


async def test_naming_the_person_badly_is_refused_by_field(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        await walk.open("officer", {"phone": PHONE, "name": "Sam Sample"})
        for given in ({}, {"phone": PHONE, "email": EMAIL}):
            refused = await _export_refused(walk, **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", "customerRef")
        malformed = await _export_refused(walk, email="not an address")
        assert (malformed.code, malformed.field) == ("VALIDATION_FAILED", "email")
        unknown = await _export_refused(walk, phone="07700 900999")
        assert unknown.code == "FORBIDDEN"
        for refused in (malformed, unknown):
            assert "not an address" not in refused.message and "900999" not in refused.message


async def _export(walk: Walk, **given: str) -> dict[str, Any]:
    data = await walk.graphql("helpdesk", EXPORT, **given)
    document: dict[str, Any] = json.loads(data["subjectAccessExport"]["json"])
    return document


async def _export_refused(walk: Walk, **given: str) -> Refused:
    try:
        await walk.graphql("helpdesk", EXPORT, **given)
    except Refused as refused:
        return refused
    raise AssertionError("subjectAccessExport was not refused")


async def _log(walk: Walk, **filter: str) -> list[dict[str, object]]:
    data = await walk.graphql("helpdesk", LOG, filter=filter)
    return [edge["node"] for edge in data["accessLog"]["edges"]]


def _not_reads(entries: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in entries if e["operation"] != "read_access_log"]
