"""Letters follow the format they are sent in and say what the customer must be told, over
HTTP, read back from the timeline: in Welsh, the Welsh version of the letter where the
council's templates have one (RCT); via a representative, addressed to the representative;
and RCT's review letter gives the Customer Feedback Group's recommendation and whether the
Group Director endorsed it (7.4: the customer is notified "accordingly")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from records.database import Database
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_letters import letters, rct_warned, rct_with_own_templates
from tests.scenarios.world import decision, notify, prelude, safeguards

# Made-up bilingual text: a council's translators write the real Welsh.
WELSH_WARNING = (
    "Prawf Cymraeg / Welsh test\n"
    '{% include "letters/_heading.txt.j2" %}'
    "{{ reasons }}\n"
    '{% with about="warning" %}{% include "letters/_challenge.txt.j2" %}{% endwith %}'
)


async def test_a_welsh_letter_is_the_welsh_version_where_there_is_one(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    own = {"warning.cy.txt.j2": WELSH_WARNING}
    async with rct_with_own_templates(own, tmp_path, database_urls, key_file) as walk:
        welsh = {"sentOn": "2027-03-19", "format": "WELSH"}
        await walk.step("officer", "recordNotification", subject="WARNING", **welsh)
        await walk.step("decider", "decide", **decision(walk.today))
        await walk.step("officer", "recordNotification", subject="DECISION", **welsh)
        kept = await letters(walk)

    warning = kept["warning"]
    assert warning["letter"].startswith("Prawf Cymraeg / Welsh test\nRhondda Cynon Taf County")
    assert "Stage 1: the contact described." in warning["letter"]
    assert warning["letterInWelsh"] is True
    # No Welsh version of the decision letter: the letter itself, and the event says so.
    assert kept["decision"]["letter"].startswith("Rhondda Cynon Taf County Borough Council\n")
    assert kept["decision"]["letterInWelsh"] is False


# A Welsh decision letter that words each arrangement itself, from its parts (made-up Welsh).
WELSH_DECISION = (
    "Prawf Cymraeg / Welsh test\n"
    "{% for a in arrangement_parts %}"
    "{% if a.kind == 'NAMED_OFFICER' %}- Swyddog: {{ a.named_officer }}"
    "{% else %}- {{ a.kind }}: {{ a.parameters | tojson }}{% endif %}"
    " ({{ a.services | join(', ') }})\n"
    "{% endfor %}"
)


async def test_a_welsh_template_words_each_arrangement_from_its_parts(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    """The built-in sentences are English; a council's translators word each arrangement in
    Welsh from its kind, officers, services and parameters."""
    own = {"decision.cy.txt.j2": WELSH_DECISION}
    async with rct_with_own_templates(own, tmp_path, database_urls, key_file) as walk:
        await walk.step("decider", "decide", **decision(walk.today))
        welsh = {"sentOn": "2027-03-19", "format": "WELSH"}
        await walk.step("officer", "recordNotification", subject="DECISION", **welsh)
        kept = await letters(walk)

    letter = kept["decision"]["letter"]
    assert kept["decision"]["letterInWelsh"] is True
    assert "- Swyddog: Officer Example (Housing)\n" in letter
    assert '- CONTACT_CHANNEL: {"channels": ["letter"]} (Housing)\n' in letter
    assert "Your contact will be dealt with" not in letter  # not the English sentence


async def test_a_letter_via_a_representative_is_addressed_to_them(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("portsmouth-cc", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards("portsmouth-cc"))
        await walk.step(
            "manager", "issueWarning", reasons="Step one: the contact described.",
            spoc="officer", agreedArrangement="One call a week to the named officer.",
        )  # fmt: skip
        before = len(await walk.timeline("officer"))
        sent = {"subject": "WARNING", "sentOn": "2026-03-02"}
        # The customer's record names no representative, and nor does the notification.
        unnamed = await walk.refused(
            "officer", "recordNotification", **sent, format="VIA_REPRESENTATIVE"
        )
        assert (unnamed.code, unnamed.field) == ("VALIDATION_FAILED", "input.representative")
        # A representative named on a letter sent to the customer.
        misplaced = await walk.refused(
            "officer", "recordNotification", **sent, format="LETTER", representative="Sam Advocate"
        )
        assert (misplaced.code, misplaced.field) == ("VALIDATION_FAILED", "input.representative")
        assert len(await walk.timeline("officer")) == before  # nothing written
        await walk.step(
            "officer", "recordNotification", **sent, format="VIA_REPRESENTATIVE",
            representative="Sam Advocate",
        )  # fmt: skip
        kept = await letters(walk)

    letter = kept["warning"]["letter"]
    assert "\n\nDear Sam Advocate,\n\nWe are writing to you as the representative of Morgan " in (
        letter
    )
    assert "Dear Morgan" not in letter
    assert kept["warning"]["representative"] == "Sam Advocate"


async def test_an_rct_review_letter_gives_the_recommendation_and_whether_it_was_endorsed(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("rhondda-cynon-taf", dt.date(2027, 3, 19)) as walk:
        await rct_warned(walk)
        await walk.step("decider", "decide", **decision(walk.today))
        walk.on(dt.date(2027, 10, 1))
        await walk.step(
            "decider", "decideReview", outcome="CONTINUE", reasons="Contact is the same.",
            recommendation={"madeOn": "2027-09-24", "outcome": "LIFT"},
            notEndorsedReasons="Six calls last week about the same repair.",
        )  # fmt: skip
        await notify(walk, "REVIEW")
        walk.on(dt.date(2028, 3, 1))
        await walk.step(
            "decider", "decideReview", outcome="MODIFY", reasons="Contact has eased.",
            recommendation={"madeOn": "2028-02-20", "outcome": "MODIFY"},
            lifts=["CONTACT_CHANNEL"],  # 7.3: "partially removed": one lifted, one kept
        )  # fmt: skip
        await notify(walk, "REVIEW")
        events = await walk.timeline("officer")

    first, second = (
        e["details"]["letter"]
        for e in events
        if e["step"] == "NOTIFICATION_RECORDED" and e["details"]["subject"] == "review"
    )
    # 7.3: "recommend whether customer restrictions should continue, or be fully/partially
    # removed"; 7.4: "whether or not they are endorsed".
    assert (
        "The Customer Feedback Group's recommendation\nOn 24 September 2027 the Customer "
        "Feedback Group recommended that the arrangements be fully removed. The Group "
        "Director did not endorse the recommendation, for these reasons: Six calls last week "
        "about the same repair.\n" in first
    )
    assert (
        "On 20 February 2028 the Customer Feedback Group recommended that the arrangements be "
        "partially removed. The Group Director endorsed the recommendation.\n" in second
    )
