"""The letter a notification sends, generated and kept on file (DESIGN 2), over HTTP: the
case team reads it back on the timeline (`details.letter`). A Cumbria decision letter says
why, what it means, how long, the review, how to ask for a review and by when, who decided
and that the policy is enclosed; RCT's uses its own words (an appeal, the Group Director with
the Monitoring Officer, "until reviewed"); review and appeal letters say who decided, by job
title (Portsmouth: the city helpdesk manager in consultation, then the director; Merseyside:
the case conference reconvened); a recorded decision not to send keeps no letter; and no
letter reaches the logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from casework.arrangements import EMERGENCY_NOTE
from records.database import Database
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_merseyside_frs import CONFERENCE
from tests.scenarios.world import (
    LETTERS_ONLY,
    NAMED_OFFICER,
    STAGE_ONE,
    Walk,
    decision,
    notify,
    prelude,
    safeguards,
    walk_for,
)

# What the two arrangements of `decision()` mean for the customer, as their letters say it
# (officers by name): not the instruction a portal is given for them.
INSTRUCTIONS = (
    "Your contact will be dealt with by Officer Example (or Manager Example when they are "
    "away). If you contact someone else, they will take a message and pass it on.",
    "Please contact us by letter only. If you contact us another way, we will acknowledge it "
    "and remind you of this route.",
)


async def letters(walk: Walk) -> dict[str, Any]:
    """Each notification on the timeline by subject (the latest of each): its details."""
    events = await walk.timeline("officer")
    return {
        e["details"]["subject"]: e["details"]
        for e in events
        if e["step"] == "NOTIFICATION_RECORDED"
    }


def who_decided(letter: str) -> str:
    """The letter's "Who decided" paragraph, under its heading."""
    assert letter.count("\n\nWho decided\n") == 1
    return letter.partition("\n\nWho decided\n")[2].partition("\n\n")[0]


async def cumbria_warned(walk: Walk) -> None:
    """A Cumbria case to its warning, its safeguards met."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards("cumbria-frs"))
    await walk.step("officer", "issueWarning", reasons="Six calls on one day.")


async def test_a_cumbria_decision_letter_is_kept_on_file(
    walk_factory: WalkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with walk_factory("cumbria-frs", dt.date(2026, 3, 2)) as walk:
        await cumbria_warned(walk)
        await notify(walk, "WARNING")
        await walk.step("decider", "decide", **decision(walk.today))
        await notify(walk, "DECISION")
        kept = await letters(walk)

    warning = kept["warning"]["letter"]
    assert "Dear Morgan Sample," in warning
    assert "The conduct concerned\nSix calls on one day." in warning
    assert "may decide to put arrangements in place" in warning
    assert "If you disagree" not in warning  # Cumbria: no challenge against a warning

    letter = kept["decision"]["letter"]
    assert letter.startswith("Cumbria Fire and Rescue Service\n\n2 March 2026\nOur reference: MC-")
    assert walk.reference in letter
    assert "Dear Morgan Sample," in letter
    assert "Contact continued at the same level after the warning." in letter  # the reasons
    assert "point of contact" not in letter  # Cumbria's profile designates none
    for instruction in INSTRUCTIONS:
        assert f"- {instruction} This applies to your contact with: Housing.\n" in letter
    assert letter.count(EMERGENCY_NOTE) == 1
    assert "From 2 March 2026" in letter
    assert "until 2 March 2027" in letter  # 12 months, as Cumbria 2.2 tells the customer
    assert "We will review them by 2 September 2026" in letter
    # 2.2: a challenge is a request for review, within 14 days, decided within 28.
    assert "You may ask for a review of this decision." in letter
    # 2.2: "a request for a review to a senior manager", by the date and in the words it gives.
    assert "Please write to a senior manager by 16 March 2026 (our policy allows 14 days)" in (
        letter
    )
    assert (
        'Our policy says: "The customer can challenge the action taken by requesting a review '
        "which should be submitted in writing within 14 days of the policy being invoked, "
        'setting out the reasons for the review."\n' in letter
    )
    assert "independent senior manager will consider it" in letter
    assert "within 28 days of receiving it" in letter
    assert "This decision was made by the senior manager." in letter
    assert "A copy of our policy is enclosed." in letter
    assert letter.endswith("Yours sincerely,\n\nCumbria Fire and Rescue Service\n")
    # On file, never in a log record (DEBUG included).
    assert "Morgan Sample" not in caplog.text
    assert "Managing contact with you" not in caplog.text


async def rct_warned(walk: Walk) -> None:
    """An RCT case to its Stage 1 warning (5.1)."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards("rhondda-cynon-taf"))
    await walk.step("manager", "issueWarning", **STAGE_ONE)


@contextlib.asynccontextmanager
async def rct_with_own_templates(
    files: dict[str, str], tmp_path: Path, database_urls: tuple[str, str], key_file: Path
) -> AsyncIterator[Walk]:
    """An RCT case at its Stage 1 warning, on an app writing letters from a folder of the
    council's own `files` (name: text) too (TACT_LETTER_TEMPLATES_DIR)."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    walk_in = contextlib.asynccontextmanager(walk_for)
    start = dt.date(2027, 3, 19)
    async with walk_in(
        "rhondda-cynon-taf", tmp_path, database_urls, key_file, start, letter_templates_dir=folder
    ) as walk:
        await rct_warned(walk)
        yield walk


HS_EXCLUSION = {
    "kind": "PREMISES_EXCLUSION",
    "parameters": {"premises": ["Example Street office"], "health_and_safety": True},
}


async def test_an_rct_decision_letter_uses_the_rct_wording(walk_factory: WalkFactory) -> None:
    async with walk_factory("rhondda-cynon-taf", dt.date(2027, 3, 19)) as walk:
        await rct_warned(walk)
        await notify(walk, "WARNING")
        # 5.6: no end date ("in extreme cases may be permanent"): until reviewed.
        endless = decision(walk.today, NAMED_OFFICER, LETTERS_ONLY, HS_EXCLUSION)
        del endless["durationMonths"]
        await walk.step("decider", "decide", **endless)
        await walk.step(
            "officer", "recordNotification", subject="DECISION", sentOn="2027-03-19",
            format="WELSH",
        )  # fmt: skip
        kept = await letters(walk)

    warning = kept["warning"]["letter"]
    # 6.1: an appeal against the stage 1 warning, within 15 working days.
    assert "You may appeal against this warning." in warning
    # 5.1 Stage 1: "Head of Service in consultation with Service Director", by job title.
    assert (
        "This warning is issued by the Service manager / Head of Service in consultation with "
        "the Service Director.\n"
    ) in warning

    letter = kept["decision"]["letter"]
    assert letter.startswith("Rhondda Cynon Taf County Borough Council\n")
    assert "Dear Morgan Sample," in letter
    for instruction in INSTRUCTIONS:
        assert instruction in letter
    assert "Premises: Example Street office." in letter
    # 5.4: "a Service based decision": the letter says which service.
    assert "This applies to your contact with: Housing." in letter
    assert "These arrangements last until reviewed." in letter
    assert "We will review them by 19 March 2028" in letter  # 7.1: within 12 months
    assert (
        "This decision was made by the Group Director in consultation with the Monitoring "
        "Officer." in letter
    )
    # 6.1: 15 working days, over Good Friday and Easter Monday (Wales).
    # 6.1: "Appeals should be made to: Principal Democratic Services Officer", at the address
    # it gives, in writing.
    assert (
        "You may appeal against this decision. Please write to the Principal Democratic "
        "Services Officer by 13 April 2027 (our policy allows 15 working days), quoting our "
        "reference and saying why, at this address:\n\nPrincipal Democratic Services Officer\n"
        "Legal & Democratic Services\nThe Pavilions\nClydach Vale\nTonypandy\n"
        "Rhondda Cynon Taf\nCF40 1NY\n\n" in letter
    )
    assert (
        'Our policy says: "Appeals should be made in writing setting out reasons why the '
        'customer disagrees with the decision."\n' in letter
    )
    assert "The Group Director will consider it." in letter
    # 3.6: no appeal against a health-and-safety exclusion.
    assert "does not allow an exclusion from premises for health and safety reasons" in letter
    assert letter.endswith("Rhondda Cynon Taf County Borough Council\n")


async def portsmouth_reviewed(walk: Walk, consulted: str, outcome: str = "EXTEND") -> None:
    """A Portsmouth case to its first review: step one, the referral, the decision, and the
    review by the city helpdesk manager, assigned as the case's reviewer, in consultation
    (5.2.6) with `consulted`: extending the restrictions by default, a change the customer
    may appeal against, or `outcome`."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards("portsmouth-cc"))
    await walk.step(
        "manager", "issueWarning", reasons="Step one: the contact described.",
        spoc="officer", agreedArrangement="One call a week to the named officer.",
    )  # fmt: skip
    await walk.step(
        "manager", "refer", reasons="Step one did not change the contact.",
        referralPack=["contact log"],
    )  # fmt: skip
    await walk.step("decider", "decide", **decision(walk.today))
    await walk.step("manager", "assignStaff", username="helpdesk", relation="REVIEWER")
    extended = {"endsOn": "2027-09-02"} if outcome == "EXTEND" else {}
    if outcome == "MODIFY":  # what it modifies, made in the same step
        extended = {"amendments": [dict(LETTERS_ONLY, parameters={"channels": ["email"]})]}
    await walk.step(
        "helpdesk", "decideReview", outcome=outcome, reasons="Contact of the same kind.",
        consulted=consulted, **extended,
    )  # fmt: skip


async def test_a_decision_not_to_send_keeps_no_letter(walk_factory: WalkFactory) -> None:
    async with walk_factory("portsmouth-cc", dt.date(2026, 3, 2)) as walk:
        await portsmouth_reviewed(walk, "City Solicitor")
        not_sent = await walk.step(
            "decider", "recordNotification", subject="REVIEW",
            notSentReason="A letter would escalate the situation; told in person instead.",
        )  # fmt: skip
        await notify(walk, "DECISION")
        kept = await letters(walk)

    assert "letter" not in not_sent["event"]["details"]
    assert "letter" not in kept["review"]
    decision_letter = kept["decision"]["letter"]
    assert "One call a week" not in decision_letter  # the warning's proposal is its own letter
    assert "in consultation with the city helpdesk manager" in decision_letter


async def test_a_letter_is_not_recorded_as_sent_on_a_day_to_come(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("cumbria-frs", dt.date(2026, 3, 2)) as walk:
        await cumbria_warned(walk)
        before = await walk.timeline("officer")
        refused = await walk.refused(
            "officer", "recordNotification", subject="WARNING", sentOn="2026-03-03",
            format="LETTER",
        )  # fmt: skip
        assert await walk.timeline("officer") == before  # nothing written
        await notify(walk, "WARNING")  # today's is taken

    assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.sentOn")
    assert refused.message == "input.sentOn: must not be in the future"


async def test_portsmouth_review_and_appeal_letters_say_who_decided(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("portsmouth-cc", dt.date(2026, 3, 2)) as walk:
        await portsmouth_reviewed(walk, "Sam Consultee")  # by name, as the input allows
        await notify(walk, "REVIEW")
        await walk.step(
            "officer", "lodgeAppeal", receivedOn="2026-03-02", against="REVIEW",
            grounds="The customer disputes the review.",
        )  # fmt: skip
        await walk.step("reviewer", "decideAppeal", outcome="CONFIRMED", reasons="Sound.")
        await notify(walk, "APPEAL")
        kept = await letters(walk)

    review = kept["review"]["letter"]
    # 5.2.6: "undertaken by the city helpdesk manager, in consultation with ...", by job
    # title: not the review's `consulted` (a name here), nor the staff who decided.
    assert who_decided(review) == (
        "The decision on this review was made by the city helpdesk manager in consultation "
        "with the assistant director of corporate services and/or the City Solicitor (or "
        "appropriate deputy)."
    )
    assert "Sam Consultee" not in review
    # 5.2.7: "the customer can appeal by contacting the city helpdesk manager", within 28 days.
    assert (
        "You may appeal against this review. Please write to the city helpdesk manager by "
        "30 March 2026 (our policy allows 28 days)" in review
    )
    assert "Appeals should be made within 28 days." in review
    appeal = kept["appeal"]["letter"]
    assert "The outcome: confirmed." in appeal
    # 5.2.7: "passed to the director of corporate services for review".
    assert who_decided(appeal) == (
        "The decision on your appeal was made by the director of corporate services."
    )


async def test_portsmouth_a_review_that_changed_nothing_is_not_open_to_appeal(
    walk_factory: WalkFactory,
) -> None:
    """5.2.6: where the council reviews the restrictions "and makes changes", it tells the
    customer how to appeal against them (5.2.7); a review that continues them as they were
    changes nothing. Its letter offers no appeal, and an appeal against it is refused naming
    `input.against`, with nothing written."""
    async with walk_factory("portsmouth-cc", dt.date(2026, 3, 2)) as walk:
        await portsmouth_reviewed(walk, "City Solicitor", outcome="CONTINUE")
        await notify(walk, "REVIEW")
        before = await walk.timeline("officer")
        refused = await walk.refused(
            "officer", "lodgeAppeal", receivedOn="2026-03-02", against="REVIEW",
            grounds="The customer disputes the review.",
        )  # fmt: skip
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.against")
        assert await walk.timeline("officer") == before
        kept = await letters(walk)

    review = kept["review"]["letter"]
    assert "The arrangements continue as before." in review
    assert "appeal" not in review.lower()


async def test_portsmouth_a_review_that_amends_says_how_long_the_amended_ones_last(
    walk_factory: WalkFactory,
) -> None:
    """5.2.6: where a review makes changes, the council tells the customer what is done and
    why, "how long the amended restrictions/conditions will be in place for", and how to
    appeal (5.2.7). The decision ran for a year, to 2 March 2027."""
    async with walk_factory("portsmouth-cc", dt.date(2026, 3, 2)) as walk:
        await portsmouth_reviewed(walk, "City Solicitor", outcome="MODIFY")
        await notify(walk, "REVIEW")
        kept = await letters(walk)

    review = kept["review"]["letter"]
    assert "The arrangements have been changed." in review
    assert "this arrangement has changed. It now reads:" in review
    assert "The arrangements last until 2 March 2027, unless a review ends them sooner." in review
    assert "You may appeal against this review." in review


async def test_portsmouth_step_one_letter_names_the_spoc_and_offers_a_representative(
    walk_factory: WalkFactory,
) -> None:
    """5.1: step one's communication, confirmed in writing, proposes a single point of
    contact (SPOC) and an agreed method of contact, and offers the customer the opportunity
    to appoint a representative to contact the council for them. The letter names the
    proposed SPOC (by name, not username) and makes the offer."""
    async with walk_factory("portsmouth-cc", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step(
            "manager", "issueWarning", reasons="Step one: the contact described.",
            spoc="officer", agreedArrangement="One call a week, on Mondays.",
        )  # fmt: skip
        await notify(walk, "WARNING")
        step_one = (await letters(walk))["warning"]["letter"]
    proposal = step_one.partition("\n\nWhat we propose\n")[2].partition("\n\n")[0]
    assert proposal == (
        "Officer Example would be your single point of contact with us.\n"
        "One call a week, on Mondays."
    )
    assert "You may appoint a representative to contact us on your behalf." in step_one


async def test_cambridgeshire_prior_notification_asks_for_a_change(
    walk_factory: WalkFactory,
) -> None:
    """Prior notification: the council writes to tell the customer why it finds the conduct
    unacceptable "and ask them to modify" it. The letter gives the reasons recorded with the
    warning and then asks, in neutral words, for the way of contact to change."""
    async with walk_factory("cambridgeshire-cc", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "issueWarning", reasons="Twelve calls a day about one repair.")
        await notify(walk, "WARNING")
        warning = (await letters(walk))["warning"]["letter"]
    concerned = warning.partition("\n\nThe conduct concerned\n")[2].partition("\n\n")[0]
    assert concerned == (
        "Twelve calls a day about one repair.\n"
        "We ask you to change the way you contact us, so that this does not continue."
    )


async def test_a_warning_without_step_one_proposes_no_spoc(walk_factory: WalkFactory) -> None:
    """RCT 5.1: the stage 1 warning letter proposes no single point of contact, nor, unlike
    Portsmouth's step one (5.1), offers a representative."""
    async with walk_factory("rhondda-cynon-taf", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("manager", "issueWarning", **STAGE_ONE)
        await notify(walk, "WARNING")
        stage_one = (await letters(walk))["warning"]["letter"]
    assert "single point of contact" not in stage_one
    assert "representative" not in stage_one


async def test_a_merseyside_review_letter_names_the_conference_reconvened(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("merseyside-frs", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards("merseyside-frs"))
        await walk.step("manager", "holdCaseConference", **CONFERENCE)
        await walk.step("decider", "decide", **decision(walk.today, NAMED_OFFICER))
        walk.on(dt.date(2026, 6, 2))
        reconvened = {"heldOn": "2026-06-01", "attendees": CONFERENCE["attendees"]}
        await walk.step(
            "decider", "decideReview", outcome="CONTINUE", reasons="Still needed.",
            conference=reconvened,
        )  # fmt: skip
        await notify(walk, "REVIEW")
        kept = await letters(walk)

    # "the case conference team will reconvene every quarter to review the case": its date,
    # and who attended by role (not by name: the decider and manager attended, by username).
    assert who_decided(kept["review"]["letter"]) == (
        "The decision on this review was made at the case conference held on 1 June 2026, "
        "attended by the Director, the Service Manager, the Professional Standards Manager, "
        "the Equality and Diversity Manager and the Deputy Clerk to the Authority."
    )


async def test_a_council_s_own_letterhead_is_on_the_letter_kept(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    # TACT_LETTER_TEMPLATES_DIR: the council replaces its heading alone (made-up bilingual
    # text: a council's translators write the real Welsh); the rest stays built-in.
    heading = (
        "Pennawd prawf ŵ / Test heading\n{{ organisation }}\n\n{{ sent_on|long_date }}\n"
        "Ein cyfeirnod / Our reference: {{ reference }}\n\n"
    )
    own = {"_heading.txt.j2": heading}
    async with rct_with_own_templates(own, tmp_path, database_urls, key_file) as walk:
        await notify(walk, "WARNING")
        kept = await letters(walk)

    letter = kept["warning"]["letter"]
    assert letter.startswith(
        "Pennawd prawf ŵ / Test heading\nRhondda Cynon Taf County Borough Council\n\n"
        f"19 March 2027\nEin cyfeirnod / Our reference: {walk.reference}\n\n"
    )
    assert "Managing contact with you: a warning" in letter  # the built-in body
    assert letter.endswith("Yours sincerely,\n\nRhondda Cynon Taf County Borough Council\n")
