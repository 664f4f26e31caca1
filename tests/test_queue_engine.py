"""The queue path (`sim.queue_engine`) against hand-worked queues, and against the SimPy engine
on the same draws."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim import queue_engine
from slasim.sim.queue_engine import serve, unsupported
from slasim.sim.runner import replication_metrics

from .helpers import ROOT


def test_one_server_is_lindleys_recursion():
    # Arrivals 0, 1, 2, 10 with 3 minutes of work each: starts 0, 3, 6 (queued), then 10 (idle
    # desk).
    free = [0.0]
    assert serve([0.0, 1.0, 2.0, 10.0], [3.0, 3.0, 3.0, 3.0], free) == [0.0, 3.0, 6.0, 10.0]
    assert free == [13.0]


def test_several_servers_take_the_earliest_free_one():
    # Two clerks. Case 0 holds clerk A until 5; cases 1, 2, 3 share clerk B (1→2, 2→3, 3→4);
    # case 4 arrives at 3.5 with B busy until 4 and A until 5: it starts at 4 on B.
    free = [0.0, 0.0]
    assert serve([0.0, 1.0, 2.0, 3.0, 3.5], [5.0, 1.0, 1.0, 1.0, 2.0], free) == [
        0.0,
        1.0,
        2.0,
        3.0,
        4.0,
    ]
    assert sorted(free) == [5.0, 6.0]


# Every feature the queue path covers: two services on their own desks (one and three clerks),
# online
# receipts (which pile up at the opening), a warm-up, a branch point, a parallel group with a delay
# in
# working days and one in natural days, a step limit with a step-scope card, acceptance at receipt.
COVERED = {
    "name": "covered",
    "calendar": "cn",
    "start": "2025-03-03",
    "working_days": 60,
    "warmup_days": 8,
    "replications": 2,
    "seed": 5,
    "cards": "warn-day-before",
    "departments": {
        "window": {"staff": 1},
        "review": {"staff": 3},
        "expert": {"staff": 2},
        "counter": {"staff": 2},
        "idle": {"staff": 4},
    },
    "services": {
        "permit": {
            "limits": {"promised": "4wd", "legal": "20wd"},
            "cards": {
                "rungs": [
                    {"level": "yellow", "reference": "promised", "at": "75%"},
                    {"level": "red", "reference": "promised", "at": "+0wd"},
                    {"level": "red", "reference": "promised", "at": "+0wh", "scope": "review"},
                ]
            },
            "arrivals": {"per_day": 12, "online": 0.3},
            "steps": [
                {"step": "accept", "department": "window", "work": {"exponential": 25}},
                {
                    "branch": [
                        {
                            "probability": 0.35,
                            "steps": [
                                {
                                    "step": "expert",
                                    "department": "expert",
                                    "work": {"lognormal": {"mean": 2, "sd": 1}, "unit": "h"},
                                }
                            ],
                        },
                        {"probability": 0.65, "steps": []},
                    ]
                },
                {
                    "parallel": [
                        [
                            {
                                "step": "review",
                                "department": "review",
                                "work": {"triangular": [30, 60, 150]},
                                "limit": "3wh",
                            }
                        ],
                        [{"step": "site-visit", "delay": {"uniform": [0.5, 2], "unit": "wd"}}],
                        [{"step": "public-notice", "delay": {"fixed": 2, "unit": "d"}}],
                    ]
                },
            ],
        },
        "licence": {
            "limits": "2wd",
            "acceptance": "receipt",
            "arrivals": {"per_day": 20},
            "steps": [{"step": "handle", "department": "counter", "work": {"exponential": 40}}],
        },
    },
}


def assert_same_metrics(ours: dict, theirs: dict, path: str = "") -> None:
    """Counts equal; sums equal to rounding (the two engines add them in different orders)."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), path
        for key in ours:
            assert_same_metrics(ours[key], theirs[key], f"{path}/{key}")
    elif isinstance(ours, float) and math.isnan(ours):
        assert isinstance(theirs, float) and math.isnan(theirs), path
    else:
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9), path


def both_engines(scenario: Scenario, replication: int) -> tuple[dict, dict]:
    queue_plan = compile_plan(scenario)
    assert unsupported(queue_plan) is None
    simpy_plan = compile_plan(scenario.model_copy(update={"engine": "simpy"}))
    return (
        replication_metrics(queue_plan, replication, scenario.seed),
        replication_metrics(simpy_plan, replication, scenario.seed),
    )


@pytest.mark.parametrize("replication", [0, 1])
def test_the_queue_path_gives_the_simpy_engines_results(replication):
    ours, theirs = both_engines(Scenario.model_validate(COVERED), replication)
    assert (
        ours["services"]["permit"]["ever_red"] > 0 and ours["steps"]["permit/expert"]["visits"] > 0
    )
    assert (
        ours["departments"]["review"]["queue_max"] > 0
        and ours["services"]["permit"]["open_at_end"] > 0
    )
    assert_same_metrics(ours, theirs)


@pytest.mark.parametrize(
    "name, reform",
    [
        ("company-setup", "co-location"),
        ("enterprise-change-bundle", "one-thing-online"),
        ("construction-project", "parallel-review"),
        ("travel-agency-delegation", "delegation"),
    ],
)
def test_shipped_scenarios_agree_on_both_engines(name, reform):
    scenario = load_scenario(ROOT / f"scenarios/{name}.yaml", reforms=[reform])
    assert_same_metrics(*both_engines(scenario, 0))


def test_results_do_not_depend_on_the_batch_size(monkeypatch):
    # The watermark holds back every arrival a later batch could still precede: tiny batches must
    # give what the default ones give.
    plan = compile_plan(Scenario.model_validate(COVERED))
    default = replication_metrics(plan, 0, 5)
    monkeypatch.setattr(queue_engine, "BATCH", 7)
    assert_same_metrics(replication_metrics(plan, 0, 5), default)


def variant(change) -> Scenario:
    data = copy.deepcopy(COVERED)
    change(data)
    return Scenario.model_validate(data)


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d: d.update(engine="simpy"), "engine: simpy"),
        (
            lambda d: d["services"]["licence"]["steps"][0].update(department="window"),
            "serves more than one step",
        ),
        (
            lambda d: d["services"]["licence"]["steps"][0].update(
                supplement={"probability": 0.2, "response": {"fixed": 2, "unit": "wd"}}
            ),
            "supplement loop",
        ),
        (lambda d: d["services"]["licence"].update(commitment=True), "告知承诺"),
    ],
)
def test_what_the_queue_path_leaves_to_simpy(change, reason):
    assert reason in unsupported(compile_plan(variant(change)))


def test_a_run_says_which_engine_computed_it(cli):
    small = ["--reps", "2", "--set", "working_days=30", "--json"]
    queue = json.loads(cli("run", ROOT / "scenarios/company-setup.yaml", *small)[1])
    assert queue["engine"] == "fcfs" and "engine_note" not in queue
    forced = json.loads(
        cli("run", ROOT / "scenarios/company-setup.yaml", *small, "--set", "engine=simpy")[1]
    )
    assert (
        forced["engine"] == "simpy"
        and forced["engine_note"] == "the scenario asks for engine: simpy"
    )
    assert_same_metrics(forced["services"], queue["services"])
    looped = json.loads(cli("run", ROOT / "scenarios/district-centre.yaml", *small)[1])
    assert looped["engine"] == "events"
    assert looped["engine_note"] == (
        "not the queue path: step food-licence/accept has a supplement loop or special procedure"
    )


WORK = st.one_of(
    st.builds(lambda m: {"exponential": m}, st.floats(5, 240)),
    st.builds(
        lambda m, s: {"lognormal": {"mean": m, "sd": s}}, st.floats(5, 240), st.floats(1, 120)
    ),
    st.builds(lambda a, b: {"uniform": [a, a + b]}, st.floats(0, 120), st.floats(1, 120)),
    st.builds(
        lambda a, b, c: {"triangular": [a, a + b, a + b + c]},
        st.floats(0, 60),
        st.floats(0, 60),
        st.floats(1, 120),
    ),
)
# Continuous work times only: with whole-minute ones (fixed, empirical) releases and arrivals at
# several
# desks coincide, and the engines may order such simultaneous events differently (README).
# Simultaneous
# arrivals themselves — online receipts and natural-day delays released at the opening — are
# covered.
DELAY = st.builds(
    lambda amount, unit: {"uniform": [amount, amount * 2], "unit": unit},
    st.floats(0.1, 3),
    st.sampled_from(["wd", "d", "h"]),
)


START = dt.date(2025, 4, 1)
DAY_SETS = st.sampled_from(["mon-fri", ["mon", "wed"], ["fri"], "sat-sun", "mon-sun", "tue-thu"])


@st.composite
def rosters(draw) -> list:
    """A weekly roster: up to three bands of half-hours (some across the lunch break, some outside
    office hours, some ending at 24:00), each on some weekdays, with fewer, no or more staff."""
    edges = sorted(draw(st.lists(st.integers(0, 48), min_size=2, max_size=6, unique=True)))
    return [
        {
            "days": draw(DAY_SETS),
            "from": f"{a // 2:02d}:{30 * (a % 2):02d}",
            "to": f"{b // 2:02d}:{30 * (b % 2):02d}",
            "staff": draw(st.integers(0, 5)),
        }
        for a, b in zip(edges[::2], edges[1::2])
    ]


@st.composite
def eligible_scenarios(draw):
    """Random scenarios the queue path covers: each staffed step has its own department."""
    departments: dict = {}

    def step(limit_ok: bool = True, wait_ok: bool = True) -> dict:
        name = f"s{len(departments)}"
        if wait_ok and draw(st.integers(0, 4)) == 0:
            departments[name] = None  # a name used, no desk: an elapsed delay
            return {"step": name, "delay": draw(DELAY)}
        departments[name] = {"staff": draw(st.integers(1, 4))}
        if (
            draw(st.integers(0, 2)) == 0
        ):  # a dated staffing change (fewer, none, or more), maybe two
            days = sorted(draw(st.lists(st.integers(-5, 40), min_size=2, max_size=4, unique=True)))
            departments[name]["staff_changes"] = [
                {
                    "from": str(START + dt.timedelta(days=a)),
                    "to": str(START + dt.timedelta(days=b)),
                    "staff": draw(st.integers(0, 5)),
                }
                for a, b in zip(days[::2], days[1::2])
            ]
        if draw(st.integers(0, 2)) == 0:  # a weekly roster (dated changes override it)
            departments[name]["roster"] = draw(rosters())
        out = {"step": name, "department": name, "work": draw(WORK)}
        if limit_ok and draw(st.booleans()):
            out["limit"] = draw(st.sampled_from(["2wh", "1wd"]))
        return out

    route = [step()]
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["step", "parallel", "branch"]))
        if kind == "step":
            route.append(step())
        elif kind == "parallel":
            # No desk after a wait in a branch: the queue path leaves those to the event engine.
            route.append({"parallel": [[step()], [step(wait_ok=False), step()]]})
        else:
            p = draw(st.floats(0.1, 0.9))
            route.append(
                {
                    "branch": [
                        {"probability": p, "steps": [step()]},
                        {"probability": 1 - p, "steps": draw(st.sampled_from([[], [step()]]))},
                    ]
                }
            )
    return Scenario.model_validate(
        {
            "name": "random",
            "calendar": draw(st.sampled_from(["cn", "always", "cn-example-saturday"])),
            "start": str(START),
            "working_days": draw(st.integers(12, 30)),
            "warmup_days": draw(st.integers(0, 5)),
            "seed": draw(st.integers(0, 1000)),
            "cards": draw(st.sampled_from(["warn-before", "escalate-after"])),
            "departments": {name: d for name, d in departments.items() if d is not None}
            or {"spare": {"staff": 1}},
            "services": {
                "svc": {
                    "limits": {
                        "promised": draw(st.sampled_from(["1wd", "3wd", "8wh"])),
                        "legal": "10wd",
                    },
                    "acceptance": draw(st.sampled_from(["first-step", "receipt"])),
                    "arrivals": {
                        "per_day": draw(st.floats(1, 40)),
                        "online": draw(st.sampled_from([0.0, 0.4])),
                    },
                    "steps": route,
                }
            },
        }
    )


@settings(max_examples=int(os.environ.get("FCFS_EXAMPLES", "25")), deadline=None)
@given(eligible_scenarios())
def test_random_eligible_scenarios_agree_on_both_engines(scenario):
    assert_same_metrics(*both_engines(scenario, 0))


def test_dated_staff_changes_stay_on_the_queue_path():
    # Fewer staff (down to none for a week), more staff, and a change that began before the period
    # (clipped to it: the SimPy engine used to stop on a negative delay there).
    scenario = variant(
        lambda d: (
            d["departments"]["counter"].update(
                staff_changes=[
                    {"from": "2025-02-01", "to": "2025-03-10", "staff": 1},
                    {"from": "2025-03-20", "to": "2025-03-27", "staff": 0},
                ]
            ),
            d["departments"]["review"].update(
                staff_changes=[{"from": "2025-03-12", "to": "2025-04-02", "staff": 5}]
            ),
        )
    )
    ours, theirs = both_engines(scenario, 0)
    # Measured from Thu 03-13 (8 working days of warm-up), 52 working days: the counter's 2 clerks
    # are
    # away Mar 20-26 (5 days) and the first change ended before the window; review has 5 instead of
    # 3 on Mar 13 - Apr 1 (14 days). All cn days here have the same office hours.
    assert ours["departments"]["counter"]["staff_mean"] == pytest.approx((47 * 2) / 52)
    assert ours["departments"]["review"]["staff_mean"] == pytest.approx((14 * 5 + 38 * 3) / 52)
    assert_same_metrics(ours, theirs)


def test_waits_in_a_parallel_branch_go_to_the_event_engine_which_orders_ties_as_simpy():
    # Found by the property test: cases that reach a desk at the same opening from natural-day
    # waits inside a parallel branch were served in another order by the queue path. The queue path
    # now declines such plans; the event engine, which replays SimPy's process events, computes
    # them. Seed 2 (since 0.2.0's stream layout; seed 0 before) has such a tie: the queue path,
    # forced, gives 0.0152 h, SimPy 0.0159 h.
    delay = lambda unit: {"uniform": [1.0, 2.0], "unit": unit}  # noqa: E731
    scenario = Scenario.model_validate(
        {
            "name": "random",
            "calendar": "cn",
            "start": "2025-04-01",
            "working_days": 12,
            "seed": 2,
            "departments": {"s5": {"staff": 1}},
            "services": {
                "svc": {
                    "limits": {"promised": "1wd", "legal": "10wd"},
                    "arrivals": {"per_day": 2.0},
                    "steps": [
                        {"step": "s0", "delay": delay("wd")},
                        {
                            "branch": [
                                {
                                    "probability": 0.5,
                                    "steps": [{"step": "s1", "delay": delay("d")}],
                                },
                                {"probability": 0.5, "steps": []},
                            ]
                        },
                        {
                            "parallel": [
                                [{"step": "s3", "delay": delay("wd")}],
                                [
                                    {"step": "s4", "delay": delay("d")},
                                    {
                                        "step": "s5",
                                        "department": "s5",
                                        "work": {"exponential": 5.0},
                                    },
                                ],
                            ]
                        },
                    ],
                }
            },
        }
    )
    plan = compile_plan(scenario)
    assert unsupported(plan) == "step svc/s5 follows a wait inside a parallel branch"
    simpy_plan = compile_plan(scenario.model_copy(update={"engine": "simpy"}))
    ours, theirs = replication_metrics(plan, 0, 2), replication_metrics(simpy_plan, 0, 2)
    forced = replication_metrics(plan, 0, 2, engine="fcfs")
    assert forced["steps"]["svc/s5"]["wait_hours_mean"] == pytest.approx(0.0152, abs=5e-5)
    assert ours["steps"]["svc/s5"]["wait_hours_mean"] == pytest.approx(0.0159, abs=5e-5)
    assert_same_metrics(ours, theirs)
