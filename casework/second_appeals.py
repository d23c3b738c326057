"""A second appeal against the same step: refused while the first is undecided, and once it is
decided where the profile makes an appeal's outcome final (`[appeal] final`).

Portsmouth 5.2.7 gives one appeal, decided by the director of corporate services, "whether
the conditions should be confirmed, amended, or removed", and the outcome is confirmed to the
customer; later changes go by review (5.2.6). `lodgeAppeal` used to take a second appeal
against a decision already decided on appeal, heard again by the same director. A new
decision, or a review that changes the arrangements, is a new step with its own appeal.
"""

from __future__ import annotations

import datetime as dt

from casework import step_models as m
from casework.steps import Begun, StepRun
from records.case_steps import Step, last_event
from records.days import uk_day
from records.errors import ValidationFailed


async def refuse_second_appeal(
    run: StepRun, begun: Begun, against: m.AppealAgainst, appealed_at: dt.datetime
) -> None:
    """Refuse, naming `input.against`, an appeal against the step taken at `appealed_at`
    (the latest of its kind) when one against it is lodged and undecided, or decided under a
    profile whose appeal outcome is final. Appeals refused as late, or taken as a request for
    review, were not heard and do not count."""
    found = await last_event(
        run.session, run.vault, begun.case.id, [Step.APPEAL_LODGED],
        lambda details: details.get("against") == against.value,
    )  # fmt: skip
    if found is None or found[1] < appealed_at:
        return
    lodged, lodged_at = found
    what = f"the {against.value} of {uk_day(appealed_at).isoformat()}"
    decided = [t for t in begun.taken if t.step is Step.APPEAL_DECIDED and t.at >= lodged_at]
    if not decided:
        raise ValidationFailed(
            "input.against",
            f"an appeal against {what} is already lodged (received {lodged['received_on']}): "
            "decide it first",
        )
    if not run.profile.appeal.final:
        return
    outcome = m.as_the_api_spells([decided[0].outcome or ""])
    words = (
        f"{what} was decided on appeal on {uk_day(decided[0].at).isoformat()} ({outcome}): "
        "under this profile an appeal's outcome is final"
    )
    if run.profile.review.customer_requests_per_period != 0:
        words += "; the customer may ask for a review instead (requestReview)"
    raise ValidationFailed("input.against", words)
