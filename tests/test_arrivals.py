"""Receipts: daily volumes with weekday/month factors, office-hour placement, online receipts
outside office hours received at the next opening."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.arrivals import service_arrivals


def plan_for(arrivals: dict, working_days: int = 40):
    return compile_plan(
        Scenario.model_validate(
            {
                "name": "a",
                "calendar": "cn",
                "start": "2025-03-03",
                "working_days": working_days,
                "departments": {"d": {"staff": 1}},
                "services": {
                    "s": {
                        "limits": "1wd",
                        "arrivals": arrivals,
                        "steps": [{"step": "x", "department": "d", "work": {"fixed": 1}}],
                    }
                },
            }
        )
    )


def working_dates(cal, first: dt.date, n: int) -> list[dt.date]:
    out, day = [], first
    while len(out) < n:
        if cal.is_working_day(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def test_even_window_receipts_follow_the_weekday_and_month_factors():
    plan = plan_for({"per_day": 10, "pattern": "even", "weekday": {"mon": 2.0}, "month": {4: 0.5}})
    times, online = service_arrivals(
        plan, plan.services[0], lambda b: np.random.default_rng([0, b])
    )
    cal = plan.calendar
    days = working_dates(
        cal, dt.date(2025, 3, 3), 40
    )  # includes the Qingming holiday of 2025-04-04
    expected = [
        10 * (2.0 if d.weekday() == 0 else 1.0) * (0.5 if d.month == 4 else 1.0) for d in days
    ]
    assert not online.any()
    assert len(times) == math.floor(sum(expected) + 1e-9)
    day_of = np.floor(cal.business_to_day_position(times)).astype(int) - plan.start_day
    counts = np.bincount(day_of, minlength=40)
    assert counts[0] == 20 and counts[1] == 10  # Monday 03-03, Tuesday 03-04
    april_first = days.index(dt.date(2025, 4, 1))
    assert counts[april_first] == 5  # Tuesday in April: half
    # Every window receipt lies strictly inside office hours (never exactly at an opening).
    assert not np.isin(times, cal.bm_start).any()


def test_online_receipts_outside_office_hours_wait_for_the_next_opening():
    plan = plan_for({"per_day": 20, "online": 1.0})
    times, online = service_arrivals(
        plan, plan.services[0], lambda b: np.random.default_rng([1, b])
    )
    cal = plan.calendar
    assert online.all() and np.all(np.diff(times) >= 0)
    assert plan.start <= times.min() and times.max() < plan.end
    at_opening = np.isin(times, cal.bm_start)
    # Only receipts between a working day's opening and close (09:00-17:30, 8.5 of 24 hours; one at
    # lunch waits for 13:30 of the same day) avoid the next morning's opening: most come outside.
    natural_days = (dt.date(2025, 4, 28) - dt.date(2025, 3, 3)).days + 1
    within_day = 8.5 * 40 / (24 * natural_days)
    assert abs((1 - at_opening.mean()) - within_day) < 4 * math.sqrt(
        within_day * (1 - within_day) / len(times)
    )
    # Same volume per working day on average as a window channel would give (Poisson noise: ±4 sd).
    assert abs(len(times) - 20 * 40) < 4 * math.sqrt(20 * 40)
