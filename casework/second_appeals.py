"""Appeals on a case's timeline, each with the step that decided it, and a second appeal
against the same step: refused while the first is undecided, and once it is decided where
the profile makes an appeal's outcome final (`[appeal] final`).

Appeals are decided in the order they were lodged: `decideAppeal` decides the oldest one
open. An appeal against the immediate-risk decision can still be open when the full decision
is made and appealed in turn; `decideAppeal` used to decide only the latest, and the first
stayed open for ever (its automatic retention hold with it). Order is read from the
timeline's positions, never from times: steps taken in one moment share their time.

Portsmouth 5.2.7 gives one appeal, decided by the director of corporate services, "whether
the conditions should be confirmed, amended, or removed", and the outcome is confirmed to the
customer; later changes go by review (5.2.6). `lodgeAppeal` used to take a second appeal
against a decision already decided on appeal, heard again by the same director. A new
decision, or a review that changes the arrangements, is a new step with its own appeal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from casework import step_models as m
from casework.steps import StepRun
from records.case_steps import EventView, Step
from records.days import uk_day
from records.errors import ValidationFailed


@dataclass(frozen=True)
class Appeal:
    """An appeal lodged (its event), what it is against, and the event that decided it."""

    lodged: EventView
    against: m.AppealAgainst
    decided: EventView | None


def appeals(timeline: Sequence[EventView]) -> list[Appeal]:
    """The appeals lodged on the timeline, oldest first, each paired with the decision that
    decided it: each `APPEAL_DECIDED` decides the oldest appeal still open."""
    found: list[Appeal] = []
    for event in timeline:
        if event.step is Step.APPEAL_LODGED:
            against = m.AppealAgainst(event.details.get("against", "decision"))
            found.append(Appeal(event, against, None))
        elif event.step is Step.APPEAL_DECIDED:
            n = next((n for n, a in enumerate(found) if a.decided is None), None)
            if n is not None:
                found[n] = Appeal(found[n].lodged, found[n].against, event)
    return found


def refuse_second_appeal(
    run: StepRun, timeline: Sequence[EventView], against: m.AppealAgainst, appealed: EventView
) -> None:
    """Refuse, naming `input.against`, an appeal against the step `appealed` (the latest of
    its kind) when one against it is lodged and undecided, or decided under a profile whose
    appeal outcome is final. Appeals refused as late, or taken as a request for review, were
    not heard and do not count. One lodged before that step was against an earlier one."""
    since = [a for a in appeals(timeline) if a.against is against and a.lodged.seq > appealed.seq]
    if not since:
        return
    lodged, decided = since[-1].lodged, since[-1].decided
    what = f"the {against.value} of {uk_day(appealed.at).isoformat()}"
    if decided is None:
        raise ValidationFailed(
            "input.against",
            f"an appeal against {what} is already lodged "
            f"(received {lodged.details['received_on']}): decide it first",
        )
    if not run.profile.appeal.final:
        return
    outcome = m.as_the_api_spells([decided.details.get("outcome") or ""])
    words = (
        f"{what} was decided on appeal on {uk_day(decided.at).isoformat()} ({outcome}): "
        "under this profile an appeal's outcome is final"
    )
    if run.profile.review.customer_requests_per_period != 0:
        words += "; the customer may ask for a review instead (requestReview)"
    raise ValidationFailed("input.against", words)
