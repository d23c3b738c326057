"""Removing an attachment added by mistake, over HTTP as a case officer: the row and its sealed
content are gone in the step's transaction, the file no longer lists or reads it, and the
timeline keeps its id and the reason only; an id not on the case is refused naming the field
with nothing written; outsiders are refused and logged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from records.case_steps import Step
from records.models import Attachment
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_attachments import (
    EMAIL,
    PDF,
    PROFILE,
    READ,
    START,
    _refused_with,
    add,
    detail,
    encoded,
    logged,
)
from tests.scenarios.test_attachments import stored as stored_as
from tests.scenarios.world import Refused, Walk, prelude

REMOVE = (
    "mutation Remove($reference: String!, $input: RemoveAttachmentInput!) "
    "{ removeAttachment(reference: $reference, input: $input) "
    "{ case { reference } event { step actor details } } }"
)


async def remove(walk: Walk, who: str = "officer", **given: Any) -> dict[str, Any]:
    data = await walk.graphql(who, REMOVE, reference=walk.reference, input=given)
    removed: dict[str, Any] = data["removeAttachment"]
    return removed


async def refused(walk: Walk, who: str = "officer", **given: Any) -> Refused:
    with pytest.raises(Refused) as caught:
        await remove(walk, who, **given)
    return caught.value


async def stored(walk: Walk) -> tuple[int, int]:
    """(attachment rows, ATTACHMENT_REMOVED events) in the database."""
    return await stored_as(walk, Step.ATTACHMENT_REMOVED)


async def test_an_officer_removes_a_file_added_by_mistake(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk)
        kept = await add(walk, filename="Call note.pdf", mediaType="application/pdf",
                         content=encoded(PDF))  # fmt: skip
        wrong = await add(walk, filename="Neighbour's email.eml", mediaType="message/rfc822",
                          content=encoded(EMAIL))  # fmt: skip
        wrong_id = wrong["event"]["details"]["attachmentId"]

        removed = await remove(walk, attachmentId=wrong_id, reason="WRONG_FILE")
        event = removed["event"]
        assert (event["step"], event["actor"]) == ("ATTACHMENT_REMOVED", "Officer Example")
        # The event keeps the id and the reason; never the filename or the content.
        assert event["details"] == {"attachmentId": wrong_id, "reason": "wrong_file"}

        # The file no longer lists it or reads it; the other attachment stays.
        listed = (await detail(walk))["attachments"]
        assert [a["id"] for a in listed] == [kept["event"]["details"]["attachmentId"]]
        with _refused_with("NOT_FOUND"):
            await walk.graphql("officer", READ, r=walk.reference, id=wrong_id)
        # Deleted, not hidden: the row and its sealed content are gone from the database.
        async with walk.runtime.database.sessions() as session:
            assert await session.get(Attachment, uuid.UUID(wrong_id)) is None
        assert await stored(walk) == (1, 1)

        # Removed once is gone: a second removal is refused like any id not on the case.
        again = await refused(walk, attachmentId=wrong_id, reason="DUPLICATE")
        assert (again.code, again.field) == ("VALIDATION_FAILED", "input.attachmentId")


async def test_an_id_not_on_the_case_is_refused_naming_the_field(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk, email="other.person@example.org")
        other = await add(walk, filename="other.pdf", mediaType="application/pdf",
                          content=encoded(PDF))  # fmt: skip
        other_id = other["event"]["details"]["attachmentId"]
        await walk.step("officer", "closeNoAction", reasons="Recorded elsewhere.")
        await prelude(walk)
        for attachment_id, reason in ((other_id, "WRONG_CASE"), (str(uuid.uuid4()), "DUPLICATE")):
            refusal = await refused(walk, attachmentId=attachment_id, reason=reason)
            assert (refusal.code, refusal.field) == ("VALIDATION_FAILED", "input.attachmentId")
        bad_reason = await refused(walk, attachmentId=other_id, reason="SOMETHING_ELSE")
        assert (bad_reason.code, bad_reason.field) == ("GRAPHQL_VALIDATION_FAILED", "input.reason")
        # Another case's attachment is left where it is; nothing is on the timeline.
        assert await stored(walk) == (1, 0)
        failed = await logged(walk, operation="update_case", outcome="refused")
        assert len(failed) == 2


async def test_a_closed_case_can_still_lose_a_file_added_by_mistake(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk)
        added = await add(walk, filename="photo.pdf", mediaType="application/pdf",
                          content=encoded(PDF))  # fmt: skip
        await walk.step("officer", "closeNoAction", reasons="Recorded elsewhere.")
        attachment_id = added["event"]["details"]["attachmentId"]
        await remove(walk, attachmentId=attachment_id, reason="WRONG_CASE")
        assert await stored(walk) == (0, 1)


async def test_outsiders_are_refused_and_logged(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk)
        added = await add(walk, filename="note.pdf", mediaType="application/pdf",
                          content=encoded(PDF))  # fmt: skip
        attachment_id = added["event"]["details"]["attachmentId"]
        for who in ("reviewer", "frontline"):
            refusal = await refused(walk, who, attachmentId=attachment_id, reason="WRONG_FILE")
            assert refusal.code == "FORBIDDEN"
        denied = await logged(walk, outcome="denied", operation="update_case")
        assert {e["actor"] for e in denied} >= {"staff:reviewer", "staff:frontline"}
        error = await walk.refused_to_portal(
            "removeAttachment", attachmentId=attachment_id, reason="WRONG_FILE"
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert await stored(walk) == (1, 0)
