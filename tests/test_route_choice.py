"""Which route form a fit writes for a rework loop (`fit.markov.rework_loops`): an activity repeated
after others that happen only between its visits becomes a `markov:` item over those activities,
in the log's order, the rest of the route kept as blocks; found by hand-counted shares, left alone
where the others happen elsewhere too, run alike by the event engine and SimPy, and recovered from
the simulated log of a known scenario."""

from __future__ import annotations

import math

import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.discover import Trace, step_names
from slasim.fit.log import read_log
from slasim.fit.markov import block_presence, loop_item, rework_loops
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.runner import replication_metrics, run_scenario

from .test_queue_engine import assert_same_metrics


def trace(case: str, *activities: str) -> Trace:
    return Trace(case, list(activities), [0.0] * len(activities), [0.0] * len(activities))


# a is checked; half the cases are sent back (r), completed (c) and checked again, once or twice.
LOOPS = [
    trace("1", "a", "r", "c", "a", "b"),
    trace("2", "a", "b"),
    trace("3", "a", "r", "c", "a", "r", "c", "a", "b"),
    trace("4", "a", "b"),
]
ROUTE = ["a", ("branch", [(0.5, ["r", "c"])]), "b"]  # what `discover` makes of LOOPS


def test_a_rework_loop_replaces_the_step_and_the_branch_of_its_other_activities():
    route, evidence = rework_loops(LOOPS, ROUTE, {"a", "r", "c"})
    # Moves among a, r, c: after a, r 3 times (cases 1, 3, 3) and the way out 4 times; r → c and
    # c → a always. r's presence is the chance of leaving a for r at least once: 3/7.
    assert route[1:] == ["b"]
    kind, activities, presence = route[0]
    assert (kind, activities) == ("loop", ["a", "r", "c"])
    assert presence == pytest.approx({"a": 1.0, "r": 3 / 7, "c": 3 / 7})
    assert step_names(route) == ["a", "r", "c", "b"]
    assert block_presence(route) == pytest.approx({"a": 1, "r": 3 / 7, "c": 3 / 7, "b": 1})
    (loop,) = evidence
    assert loop["activity"] == "a" and loop["steps"] == ["r", "c"]
    assert (loop["cases"], loop["cases_repeating"]) == (4, 2)
    assert loop["inside"] == {"r": 1.0, "c": 1.0}
    assert loop["presence"]["r"] == {"real": 0.5, "fitted": 0.4286}


def test_the_loops_markov_item_walks_its_steps_in_the_logs_order():
    steps = {
        x: {"items": [{"step": x, "department": "desk", "work": {"fixed": 5}}], "notes": [x]}
        for x in "arc"
    }
    steps["a"]["items"][0]["supplement"] = {"probability": 0.4, "response": {"fixed": 1}}
    item, comments = loop_item(LOOPS, ["a", "r", "c"], steps)
    chain = item["markov"]
    assert [s["step"] for s in chain["steps"]] == ["a", "r", "c"]
    assert "supplement" not in chain["steps"][0]  # a repeat comes back through r and c instead
    assert chain["start"] == {"a": 1.0}
    assert chain["next"] == {"a": {"end": 0.5714, "r": 0.4286}, "r": {"c": 1.0}, "c": {"a": 1.0}}
    assert chain["max_visits"] == 7  # case 3: a r c a r c a
    assert "rework loop" in comments[()] and comments[("markov", "steps", 1)] == "r"


def test_no_loop_where_its_activities_also_happen_outside_it():
    # r also after the last a in case 5: 3 of its 4 occurrences inside, under 95 %.
    traces = [*LOOPS, trace("5", "a", "b", "r")]
    assert rework_loops(traces, ROUTE, {"a", "r", "c"}) == (ROUTE, [])
    # x shares the branch with r and c but never lies between two visits of a: the branch cannot
    # be taken apart, so the blocks stay.
    traces = [*LOOPS, trace("6", "a", "x", "b")]
    route = ["a", ("branch", [(0.5, ["r", "c", "x"])]), "b"]
    assert rework_loops(traces, route, {"a", "r", "c"}) == (route, [])


def centre(route: list, *, days: int = 200, calendar: str = "always") -> dict:
    return {
        "name": "rework",
        "calendar": calendar,
        "start": "2025-01-01",
        "working_days": days,
        "seed": 5,
        "departments": {"desk": {"staff": 2}, "other": {"staff": 1}},
        "services": {
            "permit": {
                "limits": "30wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": 20},
                "steps": route,
            }
        },
    }


# Checked at the desk; 30 % sent back (r, a short delay), completed by the applicant (c, at
# `other`), checked again; then the decision b.
LOOP = {
    "markov": {
        "steps": [
            {"step": "a", "department": "desk", "work": {"exponential": 20}},
            {"step": "r", "delay": {"fixed": 30}},
            {"step": "c", "department": "other", "work": {"exponential": 15}},
        ],
        "start": {"a": 1.0},
        "next": {"a": {"r": 0.3, "end": 0.7}, "r": {"c": 1.0}, "c": {"a": 1.0}},
    }
}
DECIDE = {"step": "b", "department": "desk", "work": {"fixed": 10}}


def test_a_loop_item_before_ordinary_steps_runs_alike_on_both_engines():
    plan = compile_plan(Scenario.model_validate(centre([LOOP, DECIDE])))
    ours = replication_metrics(plan, 0, 3, engine="events")
    assert_same_metrics(ours, replication_metrics(plan, 0, 3, engine="simpy"))
    cases = ours["services"]["permit"]["arrived"]
    # Visits to a: geometric with return chance 0.3, mean 1 / 0.7; every case decided by b once.
    assert ours["steps"]["permit/a"]["visits"] / cases == pytest.approx(
        1 / 0.7, abs=5 * math.sqrt(0.3 / 0.49 / cases)
    )
    # Each decided case left the loop once, to b.
    assert ours["steps"]["permit/b"]["visits"] == ours["services"]["permit"]["decided"]


def test_a_known_rework_loop_comes_back_from_its_simulated_log(tmp_path):
    known = centre([LOOP, DECIDE], days=60, calendar="weekdays")
    log = tmp_path / "events.csv"
    run_scenario(Scenario.model_validate(known), replications=1, event_log=log, workers=1)
    events = read_log(log, load_calendar("weekdays"))
    fitted = fit_log(events, "weekdays", office="calendar")
    loop, *rest = fitted.data["services"]["service"]["steps"]
    chain = loop["markov"]
    assert [s["step"] for s in chain["steps"]] == ["a", "r", "c"]
    n = fitted.evidence["train_cases"]
    # a is visited 1 / 0.7 times per case: about n / 0.7 moves after a, 30 % of them to r.
    assert chain["next"]["a"]["r"] == pytest.approx(0.3, abs=4 * math.sqrt(0.21 * 0.7 / n))
    assert chain["next"]["r"] == {"c": 1.0} and chain["next"]["c"] == {"a": 1.0}
    assert [s["step"] for s in rest] == ["b"]  # the rest of the route stays as blocks
    (evidence,) = fitted.evidence["services"]["service"]["route"]["rework_loops"]
    assert evidence["activity"] == "a" and evidence["inside"] == {"r": 1.0, "c": 1.0}
    Scenario.model_validate(fitted.data)


def test_alternatives_on_either_side_of_a_step_are_branches_in_their_places():
    # steps s1 (position 0.0) and s2 (0.6) in all 10 cases; e (1 case, position 0.1) and l (5
    # other cases, 0.9) exclude each other, but s2 lies between them: one branch would take one of
    # them out of its place (at its lowest activity, 0.1, l came before s2; weighted by the
    # alternatives' cases, 0.767, e after it). Each is a branch where its cases do it; that a case
    # does both is the cost (0.1 x 0.5 of the cases).
    import numpy as np

    from slasim.fit.discover import Stats, discover

    cases = {f"c{k}" for k in range(10)}
    stats = Stats()
    for act, where, members in [
        ("s1", 0.0, cases),
        ("s2", 0.6, cases),
        ("e", 0.1, {"c0"}),
        ("l", 0.9, {f"c{k}" for k in range(1, 6)}),
    ]:
        stats.cases[act], stats.position[act] = set(members), where
        at = np.arange(len(members))  # spans apart in time: no parallel group
        stats.spans[act] = (at, np.full(len(at), 10.0 * where), np.full(len(at), 10.0 * where + 1))
    route = discover(cases, ["s1", "s2", "e", "l"], stats)
    assert route == ["s1", ("branch", [(0.1, ["e"])]), "s2", ("branch", [(0.5, ["l"])])]
