"""A review's recommendation (RCT 7.3-7.4): the review endorses it when its outcome is the
one recommended, and says why not otherwise; reasons for not endorsing come only with a
recommendation the outcome departs from. (Who recommends, and when: the RCT scenario.)"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from casework.step_models import DecideReview

RECOMMENDED = {"made_on": "2027-09-24", "outcome": "continue"}


def review(**given: Any) -> DecideReview:
    return DecideReview.model_validate({"outcome": "continue", "reasons": "Reviewed.", **given})


def test_the_outcome_recommended_is_endorsed_another_is_not() -> None:
    assert review(recommendation=RECOMMENDED).endorsed is True
    departed = review(outcome="lift", recommendation=RECOMMENDED, not_endorsed_reasons="Why.")
    assert departed.endorsed is False
    assert review().endorsed is None  # no recommendation: nothing to endorse


@pytest.mark.parametrize(
    "given",
    [
        {"outcome": "lift", "recommendation": RECOMMENDED},  # departs without saying why
        {"recommendation": RECOMMENDED, "not_endorsed_reasons": "Why."},  # endorses it
        {"not_endorsed_reasons": "Why."},  # no recommendation
    ],
)
def test_reasons_for_not_endorsing_go_with_a_departure_only(given: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        review(**given)
    assert "notEndorsedReasons: " in str(caught.value)
