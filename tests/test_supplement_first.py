"""A supplement loop's first round of its own (`supplement.first`): its chance and response hold
for the first round only, both engines walk it alike, and the offered load counts its visits."""

from __future__ import annotations

import pytest

from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.runner import replication_metrics
from slasim.staffing.load import expected_visits

from .test_queue_engine import assert_same_metrics


def centre(supplement: dict) -> dict:
    return {
        "name": "first-round",
        "calendar": "always",
        "start": "2025-01-01",
        "working_days": 60,
        "seed": 5,
        "departments": {"desk": {"staff": 2}},
        "services": {
            "permit": {
                "limits": "30wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": 20},
                "steps": [
                    {
                        "step": "check",
                        "department": "desk",
                        "work": {"exponential": 20},
                        "supplement": supplement,
                    }
                ],
            }
        },
    }


LOOP = {
    "probability": 0.5,
    "response": {"exponential": 2, "unit": "wd"},
    "max_rounds": 5,
    "first": {"probability": 0.8, "response": {"fixed": 4, "unit": "wd"}},
}


@pytest.mark.parametrize("replication", [0, 1])
def test_both_engines_walk_a_first_round_alike(replication):
    plan = compile_plan(Scenario.model_validate(centre(LOOP)))
    assert_same_metrics(
        replication_metrics(plan, replication, 5, engine="events"),
        replication_metrics(plan, replication, 5, engine="simpy"),
    )


def test_the_first_rounds_chance_alone_sends_back():
    # Sent back after the first visit always, never after the second: every case visits twice.
    always_once = {**LOOP, "probability": 0.0, "first": {**LOOP["first"], "probability": 1.0}}
    plan = compile_plan(Scenario.model_validate(centre(always_once)))
    (step,) = plan.services[0].route
    assert expected_visits(step) == 2.0
    # 1 + 0.8 x (1 + 0.5 + 0.25 + 0.125 + 0.0625): the first round's chance, then the later ones'.
    plan = compile_plan(Scenario.model_validate(centre(LOOP)))
    (step,) = plan.services[0].route
    assert expected_visits(step) == pytest.approx(1 + 0.8 * 1.9375)


def test_a_first_round_alone_walks_as_a_one_round_loop():
    # Sent back after the first visit always (back 4 working days later), never after the second:
    # the same centre as a loop of one round that always sends back with that response. Every
    # draw that could differ is decided by a chance of 0 or 1 or a fixed value: equal to the bit.
    fixed = {"fixed": 4, "unit": "wd"}
    first = {
        "probability": 0.0,
        "response": {"exponential": 2, "unit": "wd"},
        "max_rounds": 5,
        "first": {"probability": 1.0, "response": fixed},
    }
    one_round = {"probability": 1.0, "response": fixed, "max_rounds": 1}
    for engine in ("events", "simpy"):
        a, b = (
            replication_metrics(
                compile_plan(Scenario.model_validate(centre(s))), 0, 5, engine=engine
            )
            for s in (first, one_round)
        )
        assert_same_metrics(a, b)
