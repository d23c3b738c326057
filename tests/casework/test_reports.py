"""The period report's zero-filling (casework/reports.py): every decision a profile can
record and every concern category for every service, 0 where none was counted, in the order
a case takes its steps, and nothing counted ever dropped."""

from __future__ import annotations

from casework.profiles import load_profile
from casework.reports import (
    CONCERN_LABELS,
    NO_CONCERN,
    Count,
    decision_labels,
    every_label,
    in_step_order,
)
from records.models import ConcernCategory

REVIEWS = tuple(f"review_decided: {o}" for o in ("lift", "modify", "continue", "extend"))


def test_the_decisions_a_profile_can_record_are_listed_in_the_order_a_case_takes_them() -> None:
    assert decision_labels(load_profile("default")) == (
        "warning_issued", "decided", "decided_immediate_risk", *REVIEWS,
        "appeal_decided: confirmed", "appeal_decided: amended", "appeal_decided: removed",
        "closed_no_action",
    )  # fmt: skip
    # RCT 6.2: an appeal is "upheld" or "not upheld"
    rct = decision_labels(load_profile("rhondda-cynon-taf"))
    assert [label for label in rct if label.startswith("appeal_")] == [
        "appeal_decided: upheld", "appeal_decided: not_upheld", "appeal_refused_late",
    ]  # fmt: skip
    # Merseyside has no decision without the case conference
    assert "decided_immediate_risk" not in decision_labels(load_profile("merseyside-frs"))


def test_every_concern_category_is_counted_and_a_case_with_none_last() -> None:
    assert set(CONCERN_LABELS[:-1]) == set(ConcernCategory)
    assert CONCERN_LABELS[0] == "contact_volume"
    assert CONCERN_LABELS[-1] == NO_CONCERN == "no_concern_recorded"
    assert len(CONCERN_LABELS) == len(set(CONCERN_LABELS)) == 11


def test_every_service_gets_every_label_with_0_where_none_was_counted() -> None:
    labels = ("warning_issued", "decided", "closed_no_action")
    counted = [Count("housing", "decided", 2), Count("housing", "warning_issued", 1)]
    filled = every_label(counted, ["fire-safety", "housing"], labels, in_step_order)
    assert [(c.service, c.category, c.count) for c in filled] == [
        ("fire-safety", "warning_issued", 0),
        ("fire-safety", "decided", 0),
        ("fire-safety", "closed_no_action", 0),
        ("housing", "warning_issued", 1),
        ("housing", "decided", 2),
        ("housing", "closed_no_action", 0),
    ]
    assert every_label([], [], labels) == []


def test_a_counted_label_the_profile_no_longer_lists_is_kept_after_its_steps_known_ones() -> None:
    # an appeal decided "upheld" under an earlier profile, shown with today's outcomes
    labels = decision_labels(load_profile("default"))
    counted = [Count("housing", "appeal_decided: upheld", 1)]
    filled = every_label(counted, ["housing"], labels, in_step_order)
    shown = [c.category for c in filled]
    assert shown[-3:] == ["appeal_decided: removed", "appeal_decided: upheld", "closed_no_action"]
    assert [c.count for c in filled if c.count] == [1]
    assert len(filled) == len(labels) + 1
