"""Markov routes (`markov:` route items): validated, compiled to an absorbing chain whose expected
visits are worked out by hand, walked by the event engine and SimPy alike, declined by the queue
path with its reason, and counted in the offered load."""

from __future__ import annotations

import math

import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.discover import Trace
from slasim.fit.log import read_log
from slasim.fit.markov import ANY, block_empty, block_presence, choose, markov_item
from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.markov_edit import find_markov_step, remove_state
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.queue_engine import unsupported
from slasim.sim.runner import replication_metrics, run_scenario
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


# ------------------------------------------------------------- fitted from a log (fit.markov)


def trace(case: str, *activities: str) -> Trace:
    return Trace(case, list(activities), [0.0] * len(activities), [0.0] * len(activities))


TRACES = [
    trace("1", "a", "b", "c"),
    trace("2", "a", "c"),
    trace("3", "a", "b", "b", "c"),
    trace("4", "a", "c"),
]


def test_the_chain_counts_what_follows_each_activity():
    # a starts all 4; after a: b twice, c twice; after b: c twice, b once; after c: the end.
    items = {a: [{"step": a, "delay": {"fixed": 1, "unit": "wd"}}] for a in "abc"}
    chain = markov_item(TRACES, ["a", "b", "c"], items)
    route = chain["item"]["markov"]
    assert route["start"] == {"a": 1.0}
    assert route["next"] == {
        "a": {"b": 0.5, "c": 0.5},
        "b": {"c": 0.6667, "b": 0.3333},
        "c": {"end": 1.0},
    }
    assert route["max_visits"] == 4  # the longest case
    # Presence: b is reached from a half the time; a and c always — as in the log.
    assert chain["presence"] == pytest.approx({"a": 1.0, "b": 0.5, "c": 1.0, ANY: 1.0})
    assert chain["evidence"]["presence"]["b"] == {"real": 0.5, "fitted": 0.5}
    Scenario.model_validate(centre_with(chain["item"]))  # a valid route item


def test_an_idle_wait_is_a_state_before_its_step_and_a_repeat_waits_the_loops_gap():
    items = {
        "a": [{"step": "a", "delay": {"fixed": 1, "unit": "wd"}}],
        "b": [
            {"step": "b-wait", "delay": {"fixed": 30}},
            {
                "step": "b",
                "department": "desk",
                "work": {"fixed": 5},
                "supplement": {"probability": 0.3, "response": {"fixed": 1, "unit": "wd"}},
            },
        ],
        "c": [{"step": "c", "delay": {"fixed": 1, "unit": "wd"}}],
    }
    route = markov_item(TRACES, ["a", "b", "c"], items)["item"]["markov"]
    assert [s["step"] for s in route["steps"]] == ["a", "b-wait", "b", "b-gap", "c"]
    assert "supplement" not in route["steps"][2]
    # The supplement's response is the wait before a repeat: b's move back to itself (1 of 3
    # moves after b in TRACES) goes through it, straight to b (not through the first wait).
    assert route["steps"][3] == {"step": "b-gap", "delay": {"fixed": 1, "unit": "wd"}}
    assert route["next"]["a"] == {"b-wait": 0.5, "c": 0.5}
    assert route["next"]["b-wait"] == {"b": 1.0}
    assert route["next"]["b"] == {"c": 0.6667, "b-gap": 0.3333}
    assert route["next"]["b-gap"] == {"b": 1.0}
    assert route["max_visits"] == 12  # 4 activities, each at most 3 states
    Scenario.model_validate(centre_with({"markov": route}))


def test_no_gap_state_without_a_move_back_or_a_loop():
    # c has a loop fitted (it repeats elsewhere in the log) but never follows itself here; b
    # follows itself but has no loop: neither gets a gap state.
    loop = {"probability": 0.3, "response": {"fixed": 1, "unit": "wd"}}
    items = {a: [{"step": a, "department": "desk", "work": {"fixed": 5}}] for a in "abc"}
    items["c"][0]["supplement"] = loop
    chain = markov_item(TRACES, ["a", "b", "c"], items)
    assert [s["step"] for s in chain["item"]["markov"]["steps"]] == ["a", "b", "c"]
    assert chain["item"]["markov"]["next"]["b"] == {"c": 0.6667, "b": 0.3333}
    assert chain["gaps"] == {}


def test_block_presence_multiplies_branch_shares():
    route = ["a", ("branch", [(0.3, ["b", ("branch", [(0.5, ["e"])])])]), ("parallel", ["c", "d"])]
    assert block_presence(route) == pytest.approx({"a": 1, "b": 0.3, "e": 0.15, "c": 1, "d": 1})


def test_the_markov_route_is_chosen_only_where_the_blocks_lose_presence():
    chain = markov_item(TRACES, ["a", "b", "c"], {a: [{"step": a}] for a in "abc"})["presence"]
    # Blocks with b at 20 % where the log has it in half the cases: 0.3 points missed.
    form, why, evidence = choose(TRACES, ["a", ("branch", [(0.2, ["b"])]), "c"], list("abc"), chain)
    assert form == "markov" and "'b'" in why and evidence["blocks_worst_gap"]["points"] == 0.3
    form, _, _ = choose(TRACES, ["a", ("branch", [(0.5, ["b"])]), "c"], list("abc"), chain)
    assert form == "blocks"


def test_block_empty_multiplies_the_skips_of_independent_branch_points():
    assert block_empty(["a", ("branch", [(0.5, ["b"])])]) == 0.0  # a step: never empty
    # Two independent branch points taken 50 % and 60 %: nothing in 0.5 x 0.4 of the cases.
    assert block_empty([("branch", [(0.5, ["a"])]), ("branch", [(0.6, ["b"])])]) == pytest.approx(
        0.2
    )
    # Skip 0.5, plus 0.3 into a branch that itself skips half of its cases: 0.65.
    nested = [("branch", [(0.3, [("branch", [(0.5, ["e"])])]), (0.2, ["f"])])]
    assert block_empty(nested) == pytest.approx(0.65)


# Every case does a, b or both (3 a only, 3 b only, 4 both): block discovery puts a and b in
# two branch points of 70 % each, so 0.3 x 0.3 = 9 % of the cases would do nothing.
EITHER = [trace(str(k), "a") for k in range(3)]
EITHER += [trace(str(k), "b") for k in range(3, 6)]
EITHER += [trace(str(k), "a", "b") for k in range(6, 10)]


def test_the_markov_route_is_chosen_where_independent_branches_leave_cases_empty():
    route = [("branch", [(0.7, ["a"])]), ("branch", [(0.7, ["b"])])]
    assert block_presence(route) == pytest.approx({"a": 0.7, "b": 0.7})  # each as in the log
    chain = markov_item(EITHER, ["a", "b"], {a: [{"step": a}] for a in "ab"})["presence"]
    # The chain: a first in 7, b in 3; after a, b in 4 of 7: b in 0.3 + 0.7 x 4/7 = 0.7.
    assert chain == pytest.approx({"a": 0.7, "b": 0.7, ANY: 1.0})
    form, why, evidence = choose(EITHER, route, ["a", "b"], chain)
    assert form == "markov" and "any activity" in why
    assert evidence["any_activity"] == {"real": 1.0, "blocks": 0.91, "markov": 1.0}
    assert evidence["blocks_worst_gap"] == {"activity": ANY, "points": 0.09}


def test_a_fit_says_how_many_cases_its_block_route_leaves_empty(tmp_path):
    lines = ["case,activity,resource,start_time,end_time"]
    for k in range(40):  # a alone, b alone, or a then b
        acts = ["a"] if k < 12 else ["b"] if k < 24 else ["a", "b"]
        for i, act in enumerate(acts):
            at = f"2024-01-{1 + k % 28:02d}T08:{5 * i:02d}:00"
            end = f"2024-01-{1 + k % 28:02d}T08:{5 * i + 4:02d}:59"
            lines.append(f"c{k},{act},r{k},{at},{end}")
    path = tmp_path / "either.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = read_log(path, load_calendar("always"))
    fitted = fit_log(events, "always", name="either", train_share=1.0, office="calendar")
    route = fitted.evidence["services"]["either"]["route"]
    # 12 a alone, 12 b alone, 16 both: a and b each in 28 of 40 cases (70 %), in two
    # independent branch points: 0.3 x 0.3 of the simulated cases would do nothing.
    assert route["form"] == "blocks"
    assert route["any_activity"] == {"real": 1.0, "blocks": 0.91}


def centre_with(item: dict) -> dict:
    data = centre(CHAIN)
    data["services"]["permit"]["steps"] = [item]
    return data


def test_a_known_markov_route_comes_back_from_its_simulated_log(tmp_path):
    known = centre(
        {
            **CHAIN,
            "steps": [
                {"step": "x", "department": "desk", "work": {"exponential": 20}},
                {"step": "y", "department": "other", "work": {"exponential": 15}},
            ],
        },
        days=60,
    )
    known["departments"]["other"] = {"staff": 2}
    known["calendar"] = "weekdays"
    log = tmp_path / "events.csv"
    run_scenario(Scenario.model_validate(known), replications=1, event_log=log, workers=1)
    events = read_log(log, load_calendar("weekdays"))
    fitted = fit_log(events, "weekdays", office="calendar", routes="markov")
    (item,) = fitted.data["services"]["service"]["steps"]
    chain = item["markov"]
    n = fitted.evidence["train_cases"]
    # Visits to x: 1.25 per case, so about 1.25 n shares after x and 0.625 n after y.
    assert chain["start"] == {"x": 1.0}
    assert chain["next"]["x"]["y"] == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / (1.25 * n)))
    assert chain["next"]["y"]["x"] == pytest.approx(0.4, abs=4 * math.sqrt(0.24 / (0.625 * n)))
    presence = fitted.evidence["services"]["service"]["route"]["markov"]["presence"]
    assert presence["y"]["fitted"] == pytest.approx(presence["y"]["real"], abs=0.03)
    # The file runs, and the log's own block route is kept when asked to choose (auto).
    Scenario.model_validate(fitted.data)
    auto = fit_log(events, "weekdays", office="calendar", routes="auto")
    assert auto.evidence["services"]["service"]["route"]["form"] in ("blocks", "markov")


def test_removing_a_step_hands_its_shares_on_and_keeps_the_others_reach():
    # x → y half the time; y → x 40 %, else out. Removing y: x's share to y goes where y goes,
    # x 0.4 and end 0.6 → x: {x: 0.2, end: 0.8}, so x is still visited 1 / 0.8 = 1.25 times.
    data = centre({**CHAIN, "next": {k: dict(v) for k, v in CHAIN["next"].items()}})
    route = data["services"]["permit"]["steps"]
    chain = find_markov_step(route, "y")
    remove_state(chain, "y")
    assert [s["step"] for s in chain["steps"]] == ["x"]
    assert chain["next"] == {"x": {"end": pytest.approx(0.8), "x": pytest.approx(0.2)}}
    plan = compile_plan(Scenario.model_validate(data))
    assert plan.services[0].route[0].visits().tolist() == pytest.approx([1.25])


def test_removing_a_step_removes_the_wait_and_the_gap_that_lead_only_into_it():
    # a → b-wait → b, which repeats through b-gap a quarter of the time: every case that reaches
    # b-wait ends after b (1 / 0.75 visits of b, then out), so without b, a leads out. Left
    # behind, b-wait would lead where b leads and b-gap would loop on itself a quarter of the time.
    chain = {
        "steps": [
            {"step": "a"},
            {"step": "b-wait", "delay": {"fixed": 1}},
            {"step": "b"},
            {"step": "b-gap", "delay": {"fixed": 2}},
        ],
        "start": {"a": 1.0},
        "next": {
            "a": {"b-wait": 1.0},
            "b-wait": {"b": 1.0},
            "b": {"b-gap": 0.25, "end": 0.75},
            "b-gap": {"b": 1.0},
        },
    }
    remove_state(chain, "b")
    assert [s["step"] for s in chain["steps"]] == ["a"]
    assert chain["next"] == {"a": {"end": pytest.approx(1.0)}}


def test_removing_a_step_with_a_loop_leaves_the_loop_out():
    chain = {
        "steps": [{"step": "a"}, {"step": "b"}],
        "start": {"a": 1.0},
        "next": {"a": {"b": 1.0}, "b": {"b": 0.5, "a": 0.25, "end": 0.25}},
    }
    remove_state(chain, "b")
    assert chain["next"] == {"a": {"a": 0.5, "end": 0.5}}
    assert find_markov_step([{"step": "z"}], "b") is None


def test_an_activity_repeated_after_a_step_is_placed_after_it(tmp_path):
    # half the cases: x, v, then n six times; the others: x, v. By event index (repeats counted)
    # v's mean first position was (1/7 + 1) / 2 = 0.571 and n's 2/7 = 0.286, so n came first,
    # though no case does n before v. By rank among a case's distinct activities: v (1/2 + 1) / 2
    # = 0.75, n 1.0: v, then n's branch.
    lines = ["case,activity,resource,start_time,end_time"]
    for k in range(40):
        acts = ["x", "v"] + (["n"] * 6 if k % 2 else [])
        for i, act in enumerate(acts):  # one after another, 5 minutes each
            at = f"2024-01-{1 + k % 28:02d}T08:{5 * i:02d}:00"
            end = f"2024-01-{1 + k % 28:02d}T08:{5 * i + 4:02d}:59"
            lines.append(f"c{k},{act},r{k},{at},{end}")
    path = tmp_path / "order.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = read_log(path, load_calendar("always"))
    fitted = fit_log(events, "always", name="order", train_share=1.0, office="calendar")
    steps = fitted.data["services"]["order"]["steps"]
    assert [s.get("step") for s in steps[:2]] == ["x", "v"]
    assert steps[2]["branch"][0]["steps"][0]["step"] == "n"
