"""Attachments over HTTP, as a case officer: a file of evidence added (base64 in the JSON
body), listed on the case's file, read back byte for byte and logged by attachment; bad
input refused naming the field with nothing written; outsiders refused and logged."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from records.case_steps import CaseEvent, Step
from records.database import Database
from records.models import Attachment
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import Refused, Walk, prelude, walk_for

PROFILE = "default"
START = dt.date(2026, 3, 2)
# A PDF's first bytes, then bytes that are not text: what a real one looks like to the check.
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256))
EMAIL = b"From: someone@example.org\r\nSubject: Repair\r\n\r\nThe kitchen repair.\r\n"

ADD = (
    "mutation Add($reference: String!, $input: AddAttachmentInput!) "
    "{ addAttachment(reference: $reference, input: $input) "
    "{ case { reference } event { step actor details } } }"
)
DETAIL = (
    "query D($r: String!) { case(reference: $r) { detail { "
    "evidence { id summary } "
    "attachments { id filename mediaType sizeBytes addedAt addedBy evidenceId } } } }"
)
READ = (
    "query R($r: String!, $id: UUID!) { attachment(reference: $r, id: $id) "
    "{ attachment { id filename mediaType sizeBytes } content } }"
)
LOGGED = (
    "query L($filter: AccessLogFilter) { accessLog(filter: $filter) "
    "{ edges { node { actor operation outcome fields } } } }"
)


def encoded(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


async def detail(walk: Walk, who: str = "officer") -> dict[str, Any]:
    data = await walk.graphql(who, DETAIL, r=walk.reference)
    found: dict[str, Any] = data["case"]["detail"]
    return found


async def add(walk: Walk, who: str = "officer", **given: Any) -> dict[str, Any]:
    data = await walk.graphql(who, ADD, reference=walk.reference, input=given)
    added: dict[str, Any] = data["addAttachment"]
    return added


async def refused(walk: Walk, who: str = "officer", **given: Any) -> Refused:
    try:
        await add(walk, who, **given)
    except Refused as refusal:
        return refusal
    raise AssertionError("addAttachment was not refused")


async def logged(walk: Walk, **filters: Any) -> list[dict[str, Any]]:
    data = await walk.graphql("helpdesk", LOGGED, filter={"caseRef": walk.reference, **filters})
    return [edge["node"] for edge in data["accessLog"]["edges"]]


async def stored(walk: Walk, step: Step = Step.ATTACHMENT_ADDED) -> tuple[int, int]:
    """(attachment rows, `step` events) in the database."""
    async with walk.runtime.database.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(Attachment))
        events = await session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.step == step)
        )
    return int(rows or 0), int(events or 0)


async def test_an_officer_adds_lists_and_reads_back_an_attachment(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk)
        (evidence,) = (await detail(walk))["evidence"]

        added = await add(
            walk, filename="Call note 5 January.pdf", mediaType="application/pdf",
            content=encoded(PDF), evidenceId=evidence["id"],
        )  # fmt: skip
        event = added["event"]
        assert (event["step"], event["actor"]) == ("ATTACHMENT_ADDED", "Officer Example")
        # The event keeps the id, media type and size; never the filename or the content.
        details = event["details"]
        assert set(details) == {"attachmentId", "evidenceId", "mediaType", "sizeBytes"}
        assert (details["mediaType"], details["sizeBytes"]) == ("application/pdf", len(PDF))
        assert details["evidenceId"] == evidence["id"]
        walk.clock.now += dt.timedelta(minutes=5)  # listed oldest first
        await add(walk, filename="Email of 6 January.eml", mediaType="message/rfc822",
                  content=encoded(EMAIL))  # fmt: skip

        listed = (await detail(walk))["attachments"]
        shown = [(a["filename"], a["mediaType"], a["sizeBytes"], a["evidenceId"]) for a in listed]
        assert shown == [
            ("Call note 5 January.pdf", "application/pdf", len(PDF), evidence["id"]),
            ("Email of 6 January.eml", "message/rfc822", len(EMAIL), None),
        ]  # fmt: skip
        assert {a["addedBy"] for a in listed} == {"Officer Example"}  # as the timeline names them
        assert listed[0]["id"] == details["attachmentId"]
        assert listed[0]["addedAt"].startswith(START.isoformat())

        data = await walk.graphql("officer", READ, r=walk.reference, id=listed[0]["id"])
        read = data["attachment"]
        assert base64.b64decode(read["content"]) == PDF
        assert read["attachment"]["filename"] == "Call note 5 January.pdf"

        with _refused_with("NOT_FOUND"):  # no such attachment on this case
            await walk.graphql("officer", READ, r=walk.reference, id=str(uuid.uuid4()))

        # The read is logged against the case, naming the attachment.
        reads = await logged(walk, operation="read_case", actor="staff:officer")
        assert {"actor": "staff:officer", "operation": "read_case", "outcome": "allowed",
                "fields": f"attachment:{listed[0]['id']}"} in reads  # fmt: skip

        # Sealed at rest: neither the filename nor the content is in the row as given.
        async with walk.runtime.database.sessions() as session:
            row = await session.get(Attachment, uuid.UUID(listed[0]["id"]))
            assert row is not None
            assert PDF[:40] not in row.content_sealed
            assert b"Call note" not in row.filename_sealed


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk, email="other.person@example.org")
        (other_evidence,) = (await detail(walk))["evidence"]
        await walk.step("officer", "closeNoAction", reasons="Recorded elsewhere.")
        await prelude(walk)
        good = {"filename": "note.pdf", "mediaType": "application/pdf", "content": encoded(PDF)}
        spoiled: list[tuple[dict[str, Any], str]] = [
            ({"mediaType": "application/x-msdownload"}, "input.mediaType"),
            ({"mediaType": "image/png"}, "input.content"),  # a PDF claimed as a PNG
            ({"mediaType": "text/plain"}, "input.content"),  # not text
            ({"content": "not base64!"}, "input.content"),
            ({"content": ""}, "input.content"),
            ({"filename": "../case.pdf"}, "input.filename"),
            ({"filename": "a\nb.pdf"}, "input.filename"),
            ({"filename": ".hidden.pdf"}, "input.filename"),
            ({"filename": "x" * 201}, "input.filename"),
            ({"filename": "   "}, "input.filename"),
            ({"filename": "Letter from a vexatious customer.pdf"}, "input.filename"),
            ({"evidenceId": other_evidence["id"]}, "input.evidenceId"),  # another case's
        ]
        wrong = []
        for change, field in spoiled:
            refusal = await refused(walk, **{**good, **change})
            if (refusal.code, refusal.field) != ("VALIDATION_FAILED", field):
                wrong.append(f"{change}: {refusal.code} {refusal.field} {refusal.message}")
        assert not wrong, "\n".join(wrong)
        # No error repeats what was given.
        refusal = await refused(walk, **{**good, "filename": "../secret-name.pdf"})
        assert "secret-name" not in refusal.message
        assert await stored(walk) == (0, 0)
        # Each refusal is on the access log as a refused update (not a fault), none as allowed.
        failed = await logged(walk, operation="update_case", outcome="refused")
        assert len(failed) == len(spoiled) + 1


async def test_a_file_over_the_limit_is_refused(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    limited = contextlib.asynccontextmanager(walk_for)
    async with limited(
        PROFILE, tmp_path, database_urls, key_file, START, attachment_max_bytes=len(PDF)
    ) as walk:
        await prelude(walk)
        given = {"filename": "note.pdf", "mediaType": "application/pdf"}
        refusal = await refused(walk, **given, content=encoded(PDF + b"x"))
        assert (refusal.code, refusal.field) == ("VALIDATION_FAILED", "input.content")
        assert str(len(PDF)) in refusal.message
        assert await stored(walk) == (0, 0)
        await add(walk, **given, content=encoded(PDF))  # at the limit exactly
        assert await stored(walk) == (1, 1)
        # Past 64 KiB and the base64 of the limit, even a member of staff's body is refused
        # at the edge, before anything reads it.
        body = {"query": ADD, "variables": {"reference": walk.reference,
                "input": {**given, "content": "A" * (70 * 1024)}}}  # fmt: skip
        too_large = await walk.client.post(
            "/graphql", json=body, headers={"Authorization": f"Bearer {walk.token('officer')}"}
        )
        assert too_large.status_code == 413
        assert too_large.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert await stored(walk) == (1, 1)


async def test_outsiders_are_refused_and_logged(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk)
        added = await add(
            walk, filename="photo.png", mediaType="image/png",
            content=encoded(b"\x89PNG\r\n\x1a\n" + bytes(32)),
        )  # fmt: skip
        attachment_id = added["event"]["details"]["attachmentId"]
        # A reviewer not assigned to the case is outside the need-to-know set.
        for who in ("reviewer", "frontline"):
            with _refused_with("FORBIDDEN"):
                await walk.graphql(who, READ, r=walk.reference, id=attachment_id)
            with _refused_with("FORBIDDEN"):
                await add(walk, who, filename="x.txt", mediaType="text/plain",
                          content=encoded(b"text"))  # fmt: skip
        denied = await logged(walk, outcome="denied")
        assert {(e["actor"], e["operation"]) for e in denied} >= {
            ("staff:reviewer", "read_case"), ("staff:frontline", "read_case"),
            ("staff:reviewer", "update_case"), ("staff:frontline", "update_case"),
        }  # fmt: skip
        error = await walk.refused_to_portal(
            "addAttachment", filename="x.txt", mediaType="text/plain", content=encoded(b"text")
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert await stored(walk) == (1, 1)


async def test_a_staff_request_may_carry_a_file_larger_than_the_portal_body_limit(
    walk_factory: WalkFactory,
) -> None:
    """The edge keeps 64 KiB for portals and anyone without a bearer token; a member of
    staff's request may carry an attachment up to the setting, base64."""
    async with walk_factory(PROFILE, START) as walk:
        await prelude(walk)
        photo = b"\xff\xd8\xff\xe0" + bytes(200 * 1024)
        given = {"filename": "photo.jpg", "mediaType": "image/jpeg", "content": encoded(photo)}
        added = await add(walk, **given)
        assert added["event"]["details"]["sizeBytes"] == len(photo)
        body = {"query": ADD, "variables": {"reference": walk.reference, "input": given}}
        as_portal = await walk.client.post(
            "/graphql", json=body, headers={"Authorization": f"ApiKey {walk.portal_key}"}
        )
        assert as_portal.status_code == 413
        assert await stored(walk) == (1, 1)


@contextlib.contextmanager
def _refused_with(code: str) -> Iterator[None]:
    try:
        yield
    except Refused as refusal:
        assert refusal.code == code
    else:
        raise AssertionError(f"not refused with {code}")
