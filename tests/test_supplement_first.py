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


def call_backs(path):
    """65 weekday cases: 30 call, call 5 working days later, call 1 working day after that, then
    done; 10 call once, then done; 25 done, then call and call 5 working days later (10 minutes
    each, from 09:00 on `weekdays`)."""
    import datetime as dt

    import numpy as np

    lines = ["case,activity,resource,start_time,end_time"]

    def add(case, act, day, minute=0):
        at = dt.datetime.fromisoformat(str(day)) + dt.timedelta(hours=9, minutes=minute)
        end = at + dt.timedelta(minutes=10)
        lines.append(f"{case},{act},clerk,{at:%Y-%m-%dT%H:%M},{end:%Y-%m-%dT%H:%M}")

    for i in range(65):
        day = np.busday_offset(np.datetime64("2024-01-08"), i % 40, roll="forward")
        if i < 30:
            for later in (0, 5, 6):
                add(f"c{i}", "call", np.busday_offset(day, later))
            add(f"c{i}", "done", np.busday_offset(day, 6), 30)
        elif i < 40:
            add(f"c{i}", "call", day)
            add(f"c{i}", "done", day, 30)
        else:
            add(f"c{i}", "done", day)
            add(f"c{i}", "call", day, 30)
            add(f"c{i}", "call", np.busday_offset(day, 5), 30)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_fitted_first_round_counts_only_the_rounds_the_loop_can_take(tmp_path):
    # 65 cases call, 55 of them again (first round 55/65); of those 55 second calls, 30 are
    # called again (30/55) — the 30 third calls cannot be, as the loop stops after 2 rounds
    # (the most calls in a case is 3), so they are not counted as calls not repeated (30/85).
    # Gaps: 5 working days after the first call, 1 after the second, less the 10-minute call
    # (a working day is 480 office minutes on `weekdays`: 5 - 10/480 = 4.979, 1 - 10/480 = 0.9792)
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import fit_log
    from slasim.fit.log import read_log

    events = read_log(call_backs(tmp_path / "calls.csv"), load_calendar("weekdays"))
    fitted = fit_log(events, "weekdays", name="x", train_share=1.0, office="calendar")
    (call, _) = fitted.data["services"]["x"]["steps"]
    assert call["supplement"] == {
        "probability": round(30 / 55, 4),
        "response": {"fixed": 0.9792, "unit": "wd"},
        "max_rounds": 2,
        "first": {"probability": round(55 / 65, 4), "response": {"fixed": 4.979, "unit": "wd"}},
    }


def test_a_markov_routes_gap_state_pools_every_rounds_gaps(tmp_path):
    # the same calls as a Markov route: a repeat goes through one gap state, so it holds the gaps
    # of all 85 repeats (55 first, 30 later), not the later rounds' alone
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import fit_log
    from slasim.fit.log import read_log

    events = read_log(call_backs(tmp_path / "calls.csv"), load_calendar("weekdays"))
    fitted = fit_log(
        events, "weekdays", name="x", train_share=1.0, office="calendar", routes="markov"
    )
    (item,) = fitted.data["services"]["x"]["steps"]
    (gap,) = [s for s in item["markov"]["steps"] if s["step"] == "call-gap"]
    sample = gap["delay"]["empirical"]
    assert {min(sample), max(sample)} == {0.9792, 4.979}
    assert abs(sum(sample) / len(sample) - (55 * 4.979 + 30 * 0.9792) / 85) < 0.1
