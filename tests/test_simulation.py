"""The simulation against independent values: Erlang C (M/M/c), Little's law, a deterministic centre
worked by hand on the cn calendar, parallel = max of branches, Art. 32 supplement semantics."""

from __future__ import annotations

import copy
import math

import pytest

from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.event_engine import EventReplication
from slasim.sim.runner import replication_metrics, run_scenario
from slasim.sim.simpy_engine import Replication

from .helpers import HAND_WORKED, ROOT


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """P(wait) and mean wait Wq of an M/M/c queue (textbook Erlang C)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def inside(stat: dict, value: float) -> bool:
    low, high = stat["ci95"]
    return low <= value <= high


# The two event engines, for cases whose records are read one by one.
KERNELS = pytest.mark.parametrize("kernel", [Replication, EventReplication])
ENGINES = pytest.mark.parametrize(
    "engine", ["auto", "simpy"]
)  # auto: the queue path where it applies


@ENGINES
def test_mmc_matches_erlang_c_within_the_simulated_ci(engine):
    scenario = load_scenario(ROOT / "scenarios/mmc-always.yaml").model_copy(
        update={"engine": engine}
    )
    service = scenario.services["request"]
    lam = service.arrivals.per_day / (24 * 60)  # per minute: on `always` a working day is 24 h
    mu = 1 / service.steps[0].work.exponential
    c = scenario.departments["desk"].staff
    p_wait, wq_minutes = erlang_c(lam, mu, c)
    assert p_wait == pytest.approx(0.6472, abs=1e-4)  # the values quoted in the scenario file
    result = run_scenario(scenario)
    step = result["steps"]["request/serve"]
    assert inside(step["waited_share"], p_wait)
    assert inside(step["wait_hours_mean"], wq_minutes / 60)
    assert inside(result["departments"]["desk"]["utilisation"], lam / (c * mu))
    assert inside(result["departments"]["desk"]["queue_mean"], lam * wq_minutes)  # Lq = λ Wq


MULTI_STEP = {
    "name": "little",
    "calendar": "cn",
    "start": "2025-03-03",
    "working_days": 80,
    "warmup_days": 10,
    "replications": 3,
    "seed": 11,
    "departments": {"window": {"staff": 2}, "review": {"staff": 3}, "expert": {"staff": 2}},
    "services": {
        "permit": {
            "limits": {"promised": "5wd", "legal": "20wd"},
            "arrivals": {"per_day": 9, "online": 0.4, "weekday": {"mon": 1.3, "fri": 0.8}},
            "steps": [
                {"step": "accept", "department": "window", "work": {"exponential": 25}},
                {
                    "branch": [
                        {
                            "probability": 0.4,
                            "steps": [
                                {
                                    "step": "expert",
                                    "department": "expert",
                                    "work": {"lognormal": {"mean": 2, "sd": 1}, "unit": "h"},
                                }
                            ],
                        },
                        {"probability": 0.6, "steps": []},
                    ]
                },
                {"step": "review", "department": "review", "work": {"triangular": [30, 60, 150]}},
            ],
        },
        "licence": {
            "limits": "10wd",
            "arrivals": {"per_day": 4},
            "steps": [
                {"step": "accept", "department": "window", "work": {"fixed": 20}},
                {"step": "review", "department": "review", "work": {"exponential": 90}},
            ],
        },
    },
}


def test_littles_law_holds_on_a_multi_step_scenario():
    # L (time-average cases in the centre) against λ W (receipts per office hour × mean time in
    # the centre): measured independently; only cases straddling the warm-up boundary differ.
    plan = compile_plan(Scenario.model_validate(MULTI_STEP))
    for r in range(3):
        metrics = replication_metrics(plan, r, 11)
        little = metrics["little"]
        assert little["wip_mean"] > 1
        assert little["wip_mean"] == pytest.approx(
            little["arrivals_per_hour"] * little["time_in_system_hours_mean"], rel=0.03
        )
        # The expert branch is taken with probability 0.4 (binomial: within 4 standard deviations).
        n = metrics["steps"]["permit/accept"]["visits"]
        assert (
            abs(metrics["steps"]["permit/expert"]["visits"] - 0.4 * n)
            < 4 * math.sqrt(n * 0.4 * 0.6) + 20
        )


@ENGINES
def test_deterministic_centre_gives_the_cards_worked_by_hand(engine):
    # Office minutes from Mon 09:00: receipts at 210, 630, 1050, 1470, 1890; FIFO ends at 810, 1410,
    # 2010, then 2610 and 3210 (after the period's end, 2100 = Fri 17:30: two cases open).
    # Case 0: due Tue 17:30 (840), yellow at Tue 16:48 (798) <= decided 810: yellow, on time.
    # Case 1: due Wed 17:30 (1260), yellow 1218, decided Thu 11:30 (1410): red; legal due Thu 17:30:
    # on time.
    # Case 2: due Thu 17:30 (1680), yellow 1638, decided Fri 16:00 (2010): red; legal due Fri 17:30:
    # on time.
    # Case 3: received Thu, due Fri 17:30 (2100), yellow at 2058: open, yellow at the end.
    # Case 4: received Fri, due next Mon: open, green at the end.
    result = run_scenario(Scenario.model_validate({**HAND_WORKED, "engine": engine}))
    s = {k: v["mean"] for k, v in result["services"]["licence"].items()}
    assert (s["arrived"], s["decided"], s["open_at_end"]) == (5, 3, 2)
    assert s["on_time_promised"] == pytest.approx(1 / 3)
    assert s["on_time_legal"] == 1.0
    assert s["ever_yellow"] == pytest.approx(4 / 5)
    assert s["ever_red"] == pytest.approx(2 / 5)
    assert s["past_promised"] == pytest.approx(2 / 5) and s["past_legal"] == 0
    assert (s["open_green_at_end"], s["open_yellow_at_end"], s["open_red_at_end"]) == (1, 1, 0)
    # Lead times: 600, 780, 960 minutes → 10, 13, 16 h; in working days (1410-630)/420 etc.
    assert s["lead_time_hours_mean"] == pytest.approx(13.0)
    assert s["lead_time_wd_mean"] == pytest.approx((600 + 780 + 960) / 420 / 3)
    assert result["services"]["licence"]["arrived"]["ci95"] == [5.0, 5.0]  # identical replications


def parallel_scenario(parallel: bool, engine: str = "auto") -> Scenario:
    fire = [{"step": "fire", "department": "fire", "work": {"fixed": 100}}]
    env = [{"step": "environment", "department": "environment", "work": {"fixed": 300}}]
    route = [{"parallel": [fire, env]}] if parallel else fire + env
    return Scenario.model_validate(
        {
            "name": "parallel",
            "calendar": "always",
            "engine": engine,
            "start": "2025-01-01",
            "working_days": 10,
            "replications": 1,
            "departments": {"fire": {"staff": 5}, "environment": {"staff": 5}},
            "services": {
                "project": {
                    "limits": "1wd",
                    "acceptance": "receipt",
                    "arrivals": {"per_day": 4, "pattern": "even"},
                    "steps": route,
                }
            },
        }
    )


@ENGINES
def test_a_parallel_group_takes_the_longest_branch_not_the_sum(engine):
    together = run_scenario(parallel_scenario(True, engine))["services"]["project"]
    serial = run_scenario(parallel_scenario(False, engine))["services"]["project"]
    assert together["lead_time_hours_mean"]["mean"] == pytest.approx(300 / 60)
    assert serial["lead_time_hours_mean"]["mean"] == pytest.approx(400 / 60)


def supplement_scenario(clock: str) -> Scenario:
    data = copy.deepcopy(HAND_WORKED)
    data["working_days"] = 10
    service = data["services"]["licence"]
    service.pop("acceptance")
    service["arrivals"] = {"per_day": 1 / 6, "pattern": "even"}  # one receipt, on day 6 (Mon 03-10)
    service["steps"] = [
        {
            "step": "accept",
            "department": "desk",
            "work": {"fixed": 60},
            "supplement": {
                "probability": 1,
                "max_rounds": 1,
                "response": {"fixed": 2, "unit": "wd"},
                "clock": clock,
            },
        },
        {"step": "review", "department": "desk", "work": {"fixed": 60}},
    ]
    return Scenario.model_validate(data)


@KERNELS
@pytest.mark.parametrize("clock", ["restart", "resume"])
def test_supplement_before_acceptance_restarts_or_resumes_the_clock(clock, kernel):
    # Receipt Mon 03-10 at 14:00 (office minute 2100 + 210); the check ends 15:00 (2370) and sends
    # the file back; the applicant answers 2 working days later, Wed 15:00 (2370 + 840 = 3210); the
    # re-check ends 16:00 (3270); review ends 17:00 (3330).
    records = []
    plan = compile_plan(supplement_scenario(clock))
    rep = kernel(plan, 0, 3)
    rep.grader.add = records.append
    rep.run()
    (record,) = records
    start = plan.start
    assert record.received - start == 2310 and record.decided - start == 3330
    if clock == "restart":  # Art. 32: counted from the complete materials
        assert record.accepted - start == 3270 and not record.pauses
    else:  # resumed: accepted at the first check, the supplement time paused
        assert record.accepted - start == 2370
        assert [(a - start, b - start) for a, b in record.pauses] == [(2370, 3210)]


def staffing(changes: list) -> dict:
    # `always` (24 h days): receipts at 06:00 and 18:00 each day, 1000 minutes of work each.
    # Two staff never make anyone wait; one staff does (the 06:00 case meets the previous 18:00
    # one).
    data = {
        "name": "staff",
        "calendar": "always",
        "start": "2025-01-01",
        "working_days": 10,
        "replications": 1,
        "departments": {"desk": {"staff": 2, "staff_changes": changes}},
        "services": {
            "s": {
                "limits": "1wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": 2, "pattern": "even"},
                "steps": [{"step": "serve", "department": "desk", "work": {"fixed": 1000}}],
            }
        },
    }
    return run_scenario(Scenario.model_validate(data))


def test_staff_changes_by_date_range():
    base = staffing([])
    fewer = staffing([{"from": "2025-01-04", "to": "2025-01-07", "staff": 1}])
    more = staffing([{"from": "2025-01-04", "to": "2025-01-07", "staff": 3}])
    assert base["departments"]["desk"]["staff_mean"]["mean"] == 2
    assert fewer["departments"]["desk"]["staff_mean"]["mean"] == pytest.approx((7 * 2 + 3 * 1) / 10)
    assert more["departments"]["desk"]["staff_mean"]["mean"] == pytest.approx((7 * 2 + 3 * 3) / 10)
    assert base["steps"]["s/serve"]["waited_share"]["mean"] == 0
    assert fewer["steps"]["s/serve"]["waited_share"]["mean"] > 0
    assert more["steps"]["s/serve"]["waited_share"]["mean"] == 0


@ENGINES
def test_more_staff_from_the_first_opening_keeps_the_desk_open(engine):
    # Online receipts from the night before take both desks at the first opening, before the extra
    # clerk's period begins at that same instant. The engine once left the base absence queued
    # there, so
    # it held a desk for good and, when the period ended, a second absence closed the desk: 6 of 97
    # cases decided. One clerk, two on the first day, light load: every case is decided within
    # minutes.
    scenario = Scenario.model_validate(
        {
            "name": "opening",
            "calendar": "cn",
            "start": "2025-04-01",
            "working_days": 12,
            "seed": 0,
            "engine": engine,
            "departments": {
                "desk": {
                    "staff": 1,
                    "staff_changes": [{"from": "2025-04-01", "to": "2025-04-02", "staff": 2}],
                }
            },
            "services": {
                "s": {
                    "limits": "1wd",
                    "arrivals": {"per_day": 7, "online": 0.4},
                    "steps": [{"step": "serve", "department": "desk", "work": {"exponential": 5}}],
                }
            },
        }
    )
    metrics = replication_metrics(compile_plan(scenario), 0, 0)
    assert metrics["overall"]["arrived"] > 60  # 7 a day for 12 days
    assert metrics["overall"]["decided"] >= metrics["overall"]["arrived"] - 2
    assert metrics["departments"]["desk"]["staff_mean"] == pytest.approx((2 + 11) / 12)


def test_an_applicant_who_gives_up_ends_the_case():
    data = copy.deepcopy(HAND_WORKED)
    data["services"]["licence"]["steps"][0]["supplement"] = {
        "probability": 1,
        "give_up": 1,
        "response": {"fixed": 1, "unit": "d"},
    }
    s = {
        k: v["mean"]
        for k, v in run_scenario(Scenario.model_validate(data))["services"]["licence"].items()
    }
    # Same timeline as the hand-worked centre: the first three checks end at 810, 1410 and 2010 and
    # their applicants never answer; the last two are still at the desk at the end of the period.
    assert (s["arrived"], s["gave_up"], s["decided"], s["open_at_end"]) == (5, 3, 0, 2)


@KERNELS
def test_a_special_procedure_is_excluded_from_the_clock(kernel):
    # Receipt Mon 03-10 14:00 (office minute 2310), accepted then; work ends 15:00 (2370); a 2 WD
    # inspection (Art. 45) until Wed 15:00 (3210), decided then. Promised 1wd would be due Tue
    # 17:30;
    # with the inspection not counted, counting resumes Wed 15:00 and the due moves to Thu 15:00.
    data = copy.deepcopy(HAND_WORKED)
    data["working_days"] = 10
    service = data["services"]["licence"]
    service["arrivals"] = {"per_day": 1 / 6, "pattern": "even"}
    service["steps"] = [
        {
            "step": "handle",
            "department": "desk",
            "work": {"fixed": 60},
            "special_procedure": {"duration": {"fixed": 2, "unit": "wd"}, "kind": "inspection"},
        }
    ]
    scenario = Scenario.model_validate(data)
    records = []
    rep = kernel(compile_plan(scenario), 0, 3)
    rep.grader.add = records.append
    rep.run()
    (record,) = records
    start = rep.plan.start
    assert [(a - start, b - start) for a, b in record.pauses] == [(2370, 3210)]
    s = {k: v["mean"] for k, v in run_scenario(scenario)["services"]["licence"].items()}
    assert s["decided"] == 1 and s["on_time_promised"] == 1 and s["past_promised"] == 0
    assert s["lead_time_wd_mean"] == pytest.approx((3210 - 2310) / 420)


def test_priorities_match_the_non_preemptive_priority_queue():
    # M/M/1 with two classes (Cobham): W0 = sum(λ E[S²]) / 2, W_high = W0 / (1 - ρ_high),
    # W_low = W0 / ((1 - ρ_high)(1 - ρ)). λ = 0.4/h each, mean work 1 h: W0 = 0.8 h.
    service = {"limits": "1wd", "acceptance": "receipt", "arrivals": {"per_day": 9.6}}
    steps = [{"step": "serve", "department": "desk", "work": {"exponential": 60}}]
    data = {
        "name": "prio",
        "calendar": "always",
        "start": "2025-01-01",
        "working_days": 120,
        "warmup_days": 10,
        "replications": 10,
        "seed": 5,
        "departments": {"desk": {"staff": 1}},
        "services": {
            "urgent": {**service, "priority": 0, "steps": steps},
            "routine": {**service, "priority": 1, "steps": steps},
        },
    }
    result = run_scenario(Scenario.model_validate(data))
    w0, rho_high, rho = 0.8, 0.4, 0.8
    assert inside(result["steps"]["urgent/serve"]["wait_hours_mean"], w0 / (1 - rho_high))
    assert inside(
        result["steps"]["routine/serve"]["wait_hours_mean"], w0 / ((1 - rho_high) * (1 - rho))
    )


def single_case(kernel, steps: list, **service) -> tuple[list, float, Replication]:
    """One receipt, Mon 2025-03-10 14:00 (office minute 2310 from the period start), on one desk."""
    data = copy.deepcopy(HAND_WORKED)
    data["working_days"] = 10
    data["services"]["licence"].pop("acceptance")
    data["services"]["licence"].update(
        {"arrivals": {"per_day": 1 / 6, "pattern": "even"}, "steps": steps, **service}
    )
    records = []
    rep = kernel(compile_plan(Scenario.model_validate(data)), 0, 3)
    rep.grader.add = records.append
    rep.run()
    return records, rep.plan.start, rep


SUPPLEMENTED = {
    "step": "accept",
    "department": "desk",
    "work": {"fixed": 60},
    "supplement": {
        "probability": 1,
        "max_rounds": 1,
        "response": {"fixed": 2, "unit": "wd"},
        "tolerate": True,
    },
}
REVIEW = {"step": "review", "department": "desk", "work": {"fixed": 60}}


@KERNELS
def test_tolerated_missing_materials_keep_the_clock_running(kernel):
    # 容缺受理: accepted at the check's end (2370) although materials are missing; the review runs
    # (2370-2430); the decision waits for the materials, 2 WD after the notice: Wed 15:00 (3210).
    (record,), start, _ = single_case(kernel, [SUPPLEMENTED, REVIEW])
    assert record.accepted - start == 2370 and not record.pauses
    assert record.decided - start == 3210 and not record.gave_up
    never = {**SUPPLEMENTED, "supplement": {**SUPPLEMENTED["supplement"], "give_up": 1}}
    (record,), start, _ = single_case(kernel, [never, REVIEW])
    assert record.gave_up and record.decided - start == 2430  # terminated: no decision without them


@KERNELS
def test_commitment_decides_at_acceptance_and_checks_afterwards(kernel):
    # 告知承诺: decided when the acceptance step ends (2370); the 600-minute check still uses the desk.
    (record,), start, rep = single_case(
        kernel,
        [
            {"step": "accept", "department": "desk", "work": {"fixed": 60}},
            {"step": "verify", "department": "desk", "work": {"fixed": 600}},
        ],
        commitment=True,
    )
    assert record.decided - start == 2370 and record.accepted - start == 2370
    verify = next(st for st in rep.plan.steps if st.name == "verify")
    assert rep.step_tallies[verify.id].visits == 1 and rep.step_tallies[verify.id].work == 600
