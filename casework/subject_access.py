"""Subject access export: everything Tact holds about one customer (their identity and
contact details, every case of theirs in full, each case's timeline and notifications, and
the access-log entries about them: who saw their record, when, and how it ended), as a
machine-readable JSON document and a readable HTML one (Jinja2).

Read-only; the edge opens it through the gate (SUBJECT_ACCESS_EXPORT, IG officers only), so
the export itself is logged. The archive bundle (retention/archive.py) reuses the timeline
and access-log extracts of one case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.addresses import address_country, country_name
from records.case_files import open_case_file
from records.case_steps import CaseEvent, Step
from records.customers import load_customer
from records.errors import NotFound
from records.models import AccessLogEntry, Case, ContactKind, as_utc
from records.vault import Vault

FORMAT = "tact.subject_access_export.v1"
_SEEING = ("allowed", "break_glass")
_templates = Environment(
    loader=PackageLoader("casework", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


async def case_timeline(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, str]]:
    rows = await session.execute(
        select(CaseEvent.seq, CaseEvent.step, CaseEvent.at)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.seq)
    )
    return [_event(s, step, at) for s, step, at in rows]


async def case_timelines(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, str]]]:
    """`case_timeline` of several cases, in one query (the retention job's bundles)."""
    found: dict[uuid.UUID, list[dict[str, str]]] = {case_id: [] for case_id in case_ids}
    rows = await session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.step, CaseEvent.at)
        .where(CaseEvent.case_id.in_(case_ids))
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    )
    for case_id, s, step, at in rows:
        found[case_id].append(_event(s, step, at))
    return found


def _event(seq: int, step: Step, at: dt.datetime) -> dict[str, str]:
    return {"seq": str(seq), "step": step.value, "at": _utc(at)}


def _utc(at: dt.datetime) -> str:
    # With its offset, as the document's other times: read without one, a UK reader takes
    # a summer time for local time, an hour out.
    return str(as_utc(at))


def notifications_in(timeline: list[dict[str, str]]) -> list[dict[str, str]]:
    return [event for event in timeline if "notification" in event["step"]]


async def access_log_extract(
    session: AsyncSession, which: ColumnElement[bool]
) -> list[dict[str, Any]]:
    """Access-log entries matching `which`, oldest first: references and outcomes only."""
    rows = await session.scalars(select(AccessLogEntry).where(which).order_by(AccessLogEntry.seq))
    return [_extracted(e) for e in rows]


async def access_log_extracts(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """`access_log_extract` of each case's entries (`case_id` is the case), in one query."""
    found: dict[uuid.UUID, list[dict[str, Any]]] = {case_id: [] for case_id in case_ids}
    rows = await session.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.case_id.in_(case_ids))
        .order_by(AccessLogEntry.seq)
    )
    for e in rows:
        if e.case_id is not None:
            found[e.case_id].append(_extracted(e))
    return found


def _extracted(e: AccessLogEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": _utc(e.at),
        "actor": e.actor,
        "role": e.role,
        "operation": e.operation,
        "case_id": str(e.case_id) if e.case_id else None,
        "fields": e.fields,
        "outcome": e.outcome,
    }


async def subject_access_document(
    session: AsyncSession, vault: Vault, customer_id: uuid.UUID
) -> dict[str, Any]:
    customer = await load_customer(session, vault, customer_id)
    case_ids = list(await session.scalars(select(Case.id).where(Case.customer_id == customer_id)))
    cases = []
    for case_id in case_ids:
        try:
            case_file = await open_case_file(session, vault, case_id)
        except NotFound:
            continue  # destroyed between the two reads: nothing of it is held any more
        timeline = await case_timeline(session, case_id)
        cases.append(
            {
                "file": dataclasses.asdict(case_file),
                "timeline": timeline,
                "notifications": notifications_in(timeline),
            }
        )
    about = or_(AccessLogEntry.customer_id == customer_id, AccessLogEntry.case_id.in_(case_ids))
    log = await access_log_extract(session, about)
    seen_by = sorted({e["actor"] for e in log if e["outcome"] in _SEEING})
    document = {
        "format": FORMAT,
        "customer": _with_countries(dataclasses.asdict(customer)),
        "cases": cases,
        "access_log": log,
        "seen_by": seen_by,
    }
    # Round-trip through JSON: one plain form (strings for ids, dates and enums) for both outputs.
    plain: dict[str, Any] = json.loads(json.dumps(document, default=str))
    return plain


def _with_countries(customer: dict[str, Any]) -> dict[str, Any]:
    """Each postal address with its country, by code and by name: the UK's, or the one abroad
    its sealed text ends with (records/addresses.py)."""
    for contact in customer["contacts"]:
        if contact["kind"] is ContactKind.ADDRESS:
            contact["country"] = address_country(contact["value"])
            contact["country_name"] = country_name(contact["country"])
    return customer


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True)


def as_html(document: dict[str, Any]) -> str:
    return _templates.get_template("subject_access.html.j2").render(doc=document)
