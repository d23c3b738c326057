"""Break-glass reasons are counted in visible characters after NFKC normalisation: invisible
or control characters cannot make up the 20 (issue 16, item 10), and each refusal is a
VALIDATION_FAILED naming `reason`, logged as denied."""

from __future__ import annotations

import pytest

from authz.gate import Target
from authz.operations import Operation
from records.database import Database
from records.errors import ValidationFailed
from records.free_text import has_control_characters, visible_length
from records.models import Role
from tests.authz.test_gate import REASON, entries, staff, world
from tests.authz.world import Clock, World, make_gate

__all__ = ["world"]  # the fixture, shared with test_gate.py

INVISIBLE = {
    "twenty zero-width spaces": "\u200b" * 20,
    "twenty NULs": "\x00" * 20,
    "one letter and nineteen combining accents": "a" + "\u0301" * 19,
    "short words padded with zero-width joiners": "urgent" + "\u200d" * 30,
    "short words padded with spaces": "urgent" + " " * 30,
}


@pytest.mark.parametrize("what", INVISIBLE)
async def test_an_invisible_reason_is_refused(database: Database, world: World, what: str) -> None:
    gate = make_gate(Clock())
    officer = await staff(database, "officer-1", (Role.CASE_OFFICER, "fire-safety"))
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as raised:
            async with gate.access(
                session, officer, Operation.READ_CASE, Target(case_id=world.case_id),
                reason=INVISIBLE[what],
            ):  # fmt: skip
                pytest.fail("the block must not run")
    assert raised.value.field == "breakGlassReason"
    [entry] = await entries(database)
    assert (entry.outcome, entry.reason, entry.reason_sealed) == ("denied", None, None)


async def test_a_reason_with_a_control_character_is_refused_whatever_its_length(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    officer = await staff(database, "officer-1", (Role.CASE_OFFICER, "fire-safety"))
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed, match="control characters") as raised:
            async with gate.access(
                session, officer, Operation.READ_CASE, Target(case_id=world.case_id),
                reason=REASON + "\x00",
            ):  # fmt: skip
                pytest.fail("the block must not run")
    assert raised.value.field == "breakGlassReason"
    assert [e.outcome for e in await entries(database)] == ["denied"]


async def test_a_real_reason_with_accents_and_line_breaks_still_opens_the_case(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    officer = await staff(database, "officer-1", (Role.CASE_OFFICER, "fire-safety"))
    reason = "Appel urgent de la police:\nl'agent assigné est absent."
    async with database.sessions() as session, gate.access(
        session, officer, Operation.READ_CASE, Target(case_id=world.case_id), reason=reason
    ):
        pass
    assert [e.outcome for e in await entries(database)] == ["break_glass"]


def test_visible_length_counts_what_a_reader_sees() -> None:
    assert visible_length("\u200b" * 20) == 0
    assert visible_length("a" + "\u0301" * 19) == 1
    assert visible_length("  two   words \n") == len("two words")
    assert visible_length("\uff21\uff22") == 2  # fullwidth letters, normalised
    assert visible_length("e\u0301te\u0301") == 3
    assert has_control_characters("a\x00b") and has_control_characters("\ud800")
    assert not has_control_characters("line one\nline two\ttabbed\r\n")
