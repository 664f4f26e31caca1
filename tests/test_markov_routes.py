"""Markov routes (`markov:` route items): validated, compiled to an absorbing chain whose expected
visits are worked out by hand, walked by the event engine and SimPy alike, declined by the queue
path with its reason, and counted in the offered load."""

from __future__ import annotations

import math

import pytest

from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.queue_engine import unsupported
from slasim.sim.runner import replication_metrics
from slasim.staffing.load import offered_load

from .test_queue_engine import assert_same_metrics

# x first; after x: y half the time, else out; after y: x 40 %, else out. Visits to x are
# geometric with return chance 0.5 × 0.4 = 0.2: v_x = 1 / 0.8 = 1.25, v_y = 0.5 v_x = 0.625.
CHAIN = {
    "steps": [
        {"step": "x", "department": "desk", "work": {"exponential": 20}},
        {"step": "y", "delay": {"fixed": 2, "unit": "h"}},
    ],
    "start": {"x": 1.0},
    "next": {"x": {"y": 0.5, "end": 0.5}, "y": {"x": 0.4, "end": 0.6}},
}


def centre(chain: dict, *, per_day: float = 20, days: int = 200) -> dict:
    return {
        "name": "markov",
        "calendar": "always",  # 1,440 office minutes a day
        "start": "2025-01-01",
        "working_days": days,
        "seed": 3,
        "departments": {"desk": {"staff": 2}},
        "services": {
            "permit": {
                "limits": "30wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": per_day},
                "steps": [{"markov": chain}],
            }
        },
    }


def test_expected_visits_are_the_absorbing_chains():
    plan = compile_plan(Scenario.model_validate(centre(CHAIN)))
    (chain,) = plan.services[0].route
    assert chain.visits().tolist() == pytest.approx([1.25, 0.625])
    # Offered load: 20 cases a day × 1.25 visits × 20 min over 1,440 minutes.
    assert offered_load(plan)["desk"] == pytest.approx(20 * 1.25 * 20 / 1440)


def test_simulated_visits_follow_the_chain_and_both_engines_agree():
    plan = compile_plan(Scenario.model_validate(centre(CHAIN)))
    assert unsupported(plan) == "service 'permit' has a Markov route (steps repeat, in any order)"
    ours = replication_metrics(plan, 0, 3, engine="events")
    assert_same_metrics(ours, replication_metrics(plan, 0, 3, engine="simpy"))
    steps, cases = ours["steps"], ours["services"]["permit"]["arrived"]
    assert cases > 3500
    # Visits to x per case: geometric, mean 1.25, variance 0.2 / 0.8² = 0.3125; 5 sd of the mean.
    assert steps["permit/x"]["visits"] / cases == pytest.approx(
        1.25, abs=5 * math.sqrt(0.3125 / cases)
    )
    assert steps["permit/y"]["visits"] / cases == pytest.approx(0.625, abs=0.05)
    # A repeated visit draws new work: the mean stays the distribution's 20 minutes.
    assert steps["permit/x"]["work_hours_mean"] * 60 == pytest.approx(20, rel=0.06)


def test_a_case_leaves_after_max_visits():
    # x repeats with chance 0.9, at most 3 steps: 1 + 0.9 + 0.81 = 2.71 visits per case.
    chain = {
        "steps": [{"step": "x", "department": "desk", "work": {"fixed": 1}}],
        "start": {"x": 1.0},
        "next": {"x": {"x": 0.9, "end": 0.1}},
        "max_visits": 3,
    }
    out = replication_metrics(compile_plan(Scenario.model_validate(centre(chain))), 0, 3)
    cases = out["services"]["permit"]["arrived"]
    # Visits per case take 1, 2, 3 with chances 0.1, 0.09, 0.81: variance 0.2259.
    assert out["steps"]["permit/x"]["visits"] / cases == pytest.approx(
        2.71, abs=5 * math.sqrt(0.2259 / cases)
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["next"]["y"].update(end=0.5), "next.y: shares must sum to 1 (got 0.9)"),
        (lambda c: c["start"].update(x=0.5, z=0.5), "start: 'z' is not a step of this route"),
        (lambda c: c["next"].pop("y"), "next: no shares after step 'y'"),
        (
            lambda c: c["next"].update(y={"y": 1.0}),
            "next: no way to `end` from step 'y'",
        ),
        (lambda c: c["steps"][1].update(step="end"), "`end` names a Markov route's way out"),
    ],
)
def test_a_bad_markov_route_is_one_located_error(change, message):
    data = centre({**CHAIN, "next": {k: dict(v) for k, v in CHAIN["next"].items()}})
    chain = data["services"]["permit"]["steps"][0]["markov"]
    chain["steps"] = [dict(s) for s in chain["steps"]]
    chain["start"] = dict(chain["start"])
    change(chain)
    with pytest.raises(SlasimError) as exc:
        validate(Scenario, data, "centre.yaml")
    text = str(exc.value)
    assert text.startswith("centre.yaml: services.permit.steps[0].markov") and message in text
    assert "\n" not in text


def test_a_markov_step_name_must_be_unique_in_its_service():
    data = centre(CHAIN)
    data["services"]["permit"]["steps"].insert(
        0, {"step": "x", "department": "desk", "work": {"fixed": 1}}
    )
    with pytest.raises(
        SlasimError, match=r"steps\[1\]\.markov\.steps\[0\]: step name 'x' used twice"
    ):
        validate(Scenario, data, "centre.yaml")
