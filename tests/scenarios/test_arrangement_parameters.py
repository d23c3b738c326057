"""An arrangement's parameters, spelt one way across the API (docs/workflow.md, "Arrangement
parameters"): taken camelCased, as the timeline and the case's detail answer them, and
snake_case as before; a channel as the Channel enum spells it or in lower case; a refusal
names the parameter as the caller spelt it; the letter and the handling instructions read
the parameters whichever spelling they came in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import NAMED_OFFICER, Walk, decision, notify, warned

PROFILE = "default"
DETAIL = (
    "query D($r: String!) { case(reference: $r) { detail { arrangements "
    "{ kind parameters handlingInstructions } } } }"
)
# The same three arrangements in each spelling a client may use.
SPELT = {
    "camelCase": [
        {"premises": ["Civic Centre"], "healthAndSafety": True},
        {"days": ["tuesday"], "fromTime": "10:00", "toTime": "12:00"},
        {"channels": ["LETTER", "EMAIL"]},
    ],
    "snake_case": [
        {"premises": ["Civic Centre"], "health_and_safety": True},
        {"days": ["tuesday"], "from_time": "10:00", "to_time": "12:00"},
        {"channels": ["letter", "email"]},
    ],
}
KINDS = ("PREMISES_EXCLUSION", "CONTACT_SCHEDULE", "CONTACT_CHANNEL")
# What every answer gives, however they were spelt: camelCase keys, lower-case values.
ANSWERED = [
    {"premises": ["Civic Centre"], "permanent": False, "healthAndSafety": True},
    {"days": ["tuesday"], "fromTime": "10:00:00", "toTime": "12:00:00"},
    {"channels": ["letter", "email"]},
]


def arrangements(spelling: str) -> list[dict[str, Any]]:
    return [
        {"kind": kind, "parameters": parameters}
        for kind, parameters in zip(KINDS, SPELT[spelling], strict=True)
    ]


async def detail(walk: Walk) -> list[dict[str, Any]]:
    data = await walk.graphql("officer", DETAIL, r=walk.reference)
    found: list[dict[str, Any]] = data["case"]["detail"]["arrangements"]
    return found


@pytest.mark.parametrize("spelling", list(SPELT))
async def test_parameters_in_either_spelling_are_answered_camel_cased(
    walk_factory: WalkFactory, spelling: str
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        decided = await walk.step(
            "decider", "decide", **decision(walk.today, NAMED_OFFICER, *arrangements(spelling))
        )
        made = decided["event"]["details"]["arrangements"][1:]
        assert [a["parameters"] for a in made] == ANSWERED
        timeline = await walk.timeline("officer")
        assert [a["parameters"] for a in timeline[-1]["details"]["arrangements"][1:]] == ANSWERED
        found = {a["kind"]: a for a in await detail(walk)}
        assert [found[kind]["parameters"] for kind in KINDS] == ANSWERED
        # Understood, not just kept: the instructions and the letter read each parameter.
        assert "(health and safety)" in found["PREMISES_EXCLUSION"]["handlingInstructions"]
        assert "between 10:00 and 12:00" in found["CONTACT_SCHEDULE"]["handlingInstructions"]
        assert "by letter or email only" in found["CONTACT_CHANNEL"]["handlingInstructions"]
        await notify(walk, "DECISION")
        letter = (await walk.timeline("officer"))[-1]["details"]["letter"]
        assert "for health and safety reasons" in letter


async def test_a_parameter_the_kind_does_not_have_is_refused_as_the_caller_spelt_it(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        before = await walk.timeline("officer")
        exclusion = {"premises": ["Civic Centre"]}
        refusals = {
            "input.arrangements.1.parameters.healthAndSafty": {"healthAndSafty": True},
            "input.arrangements.1.parameters.foo_bar": {"foo_bar": True},
            # Both spellings of one key: the snake_case one is the one too many.
            "input.arrangements.1.parameters.health_and_safety": {
                "healthAndSafety": True, "health_and_safety": True,
            },
        }  # fmt: skip
        for field, spoilt in refusals.items():
            bad = {"kind": "PREMISES_EXCLUSION", "parameters": {**exclusion, **spoilt}}
            refused = await walk.refused(
                "decider", "decide", **decision(walk.today, NAMED_OFFICER, bad)
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field)
            assert refused.message == f"{field}: Extra inputs are not permitted"
        # A value of the wrong type, in either spelling, on decideImmediateRisk too.
        for key in ("fromTime", "from_time"):
            bad = {
                "kind": "CONTACT_SCHEDULE",
                "parameters": {"days": ["monday"], key: "soon", "toTime": "10:00"},
            }
            refused = await walk.refused(
                "decider", "decideImmediateRisk", risk="An incident at the office.",
                reasons="Immediate risk to staff.", startsOn=walk.today.isoformat(),
                endsOn="2026-04-30", arrangements=[bad],
            )  # fmt: skip
            assert refused.field == f"input.arrangements.0.parameters.{key}"
            assert "soon" not in refused.message
        assert await walk.timeline("officer") == before  # nothing of any of them written


async def test_modify_arrangement_takes_either_spelling_and_names_the_parameter(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        await walk.step(
            "decider", "decide", **decision(walk.today, NAMED_OFFICER, *arrangements("snake_case"))
        )
        refused = await walk.refused(
            "decider", "modifyArrangement", kind="CONTACT_SCHEDULE", reasons="Later hours.",
            parameters={"days": ["tuesday"], "fromTime": "14:00", "toTime": "16:00", "until": 1},
        )  # fmt: skip
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.parameters.until")
        hours = {"days": ["wednesday"], "fromTime": "14:00", "to_time": "16:00"}
        modified = await walk.step(
            "decider", "modifyArrangement", kind="CONTACT_SCHEDULE", reasons="Later hours.",
            parameters=hours,
        )  # fmt: skip
        answered = {"days": ["wednesday"], "fromTime": "14:00:00", "toTime": "16:00:00"}
        assert modified["event"]["details"]["parameters"] == answered
        schedule = next(a for a in await detail(walk) if a["kind"] == "CONTACT_SCHEDULE")
        assert schedule["parameters"] == answered
        assert "wednesday between 14:00 and 16:00" in schedule["handlingInstructions"]
