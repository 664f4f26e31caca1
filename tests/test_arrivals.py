"""Receipts: daily volumes with weekday/month factors, office-hour placement, online receipts
outside office hours received at the next opening."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from pydantic import ValidationError

from slasim.calendar.units import day_to_date
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.arrivals import service_arrivals
from slasim.sim.runner import replication_metrics

from .test_queue_engine import assert_same_metrics


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


def test_a_receipt_profile_places_receipts_at_its_hours_with_the_working_day_volume():
    # cn, 40 working days from Monday 2025-03-03: the last is the make-up Sunday 2025-04-27, so the
    # period spans 56 natural days holding 8 Mondays and 8 Wednesdays. Weights: Monday 10-11h 2,
    # Wednesday 22-23h 1. Volume: 10 per working day x 40 = 400 = 7 x 10 x 40 / 56 per natural day
    # of the week (50) x (8 Mondays x 2/3 + 8 Wednesdays x 1/3).
    profile = {"mon": [0] * 10 + [2] + [0] * 13, "wed": [0] * 22 + [1, 0]}
    plan = plan_for({"per_day": 10, "pattern": "even", "by_hour": profile})
    times, outside = service_arrivals(
        plan, plan.services[0], lambda b: np.random.default_rng([0, b])
    )
    cal = plan.calendar
    assert len(times) == 400 and np.all(np.diff(times) >= 0)
    wall = cal.to_wall_array(times, side="right")
    dates = [day_to_date(int(d)) for d in wall // 1440]
    monday = np.array([d.weekday() == 0 for d in dates])
    # Monday's receipts arrive between 10:00 and 11:00, inside office hours: 50 x 2/3 a Monday
    assert np.all((wall[monday] % 1440 >= 600) & (wall[monday] % 1440 < 660))
    # even: whole receipts of the running total (33.33, 50, 83.33, 100, ...): 33 each Monday
    assert not outside[monday].any() and monday.sum() == 8 * 33
    # Wednesday 22:00-23:00 is after the close: received at Thursday's opening, 09:00
    assert {d.weekday() for d in np.array(dates)[~monday]} == {3}
    assert outside[~monday].all() and np.all(wall[~monday] % 1440 == 540)


def test_a_profile_and_weekday_factors_are_not_given_together():
    with pytest.raises(ValidationError, match="give the week's shape once"):
        plan_for({"per_day": 10, "weekday": {"mon": 2}, "by_hour": {"mon": [1] * 24}})
    with pytest.raises(ValidationError, match="24 weights"):
        plan_for({"per_day": 10, "by_hour": {"mon": [1] * 23}})


def test_a_weekday_key_is_one_of_the_seven():
    known = r"\(use mon, tue, wed, thu, fri, sat, sun\)"
    with pytest.raises(ValidationError, match=f"unknown weekday 'monday' {known}"):
        plan_for({"per_day": 10, "weekday": {"monday": 2}})
    with pytest.raises(ValidationError, match=f"unknown weekday 'Sun' {known}"):
        plan_for({"per_day": 10, "by_hour": {"Sun": [1] * 24}})


@pytest.mark.parametrize("pattern", ["poisson", "even"])
def test_the_three_engines_agree_on_receipts_from_a_profile(pattern):
    hours = [0] * 7 + [1, 4, 6, 6, 3, 5, 6, 4, 2, 1, 1, 2, 1] + [0] * 4
    arrivals = {"per_day": 18, "pattern": pattern, "online": 0.2, "month": {4: 1.5}}
    arrivals["by_hour"] = {"mon": hours, "tue": hours, "sat": [1] * 24}
    plan = plan_for(arrivals)
    results = {
        engine: replication_metrics(plan, 0, 3, engine=engine)
        for engine in ("fcfs", "events", "simpy")
    }
    assert results["simpy"]["services"]["s"]["arrived"] > 700
    assert results["simpy"]["departments"]["d"]["queue_max"] > 1  # receipts wait for the opening
    assert_same_metrics(results["fcfs"], results["simpy"])
    assert_same_metrics(results["events"], results["simpy"])


@pytest.mark.parametrize("lam", [0.0, 0.2, 3.5, 9.99, 10.0, 47.0, 800.0])
def test_poisson_counts_of_one_mean_equal_numpys_array_path(lam):
    """Without weekday or month factors the counts come from numpy's scalar path: the same
    numbers, from the same place of the stream, as numpy draws for an array of that mean."""
    from slasim.sim.arrivals import _counts

    for seed in range(30):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        counts, _ = _counts(np.full(23, lam), "poisson", ours, same=lam)
        assert counts.tolist() == theirs.poisson(np.full(23, lam)).tolist()
        assert ours.random() == theirs.random()  # the stream left at the same place


@pytest.mark.parametrize("pattern", ["poisson", "even"])
def test_receipts_without_factors_equal_those_with_factors_of_one(pattern):
    """A service without weekday or month factors (the scalar path) receives exactly what it
    receives with factors of 1.0 given (the array path), window and online alike."""
    flat = plan_for({"per_day": 7.3, "online": 0.3, "pattern": pattern}, working_days=65)
    ones = plan_for(
        {"per_day": 7.3, "online": 0.3, "pattern": pattern, "weekday": {"mon": 1.0}},
        working_days=65,
    )
    for seed in range(3):
        a = service_arrivals(
            flat, flat.services[0], lambda k, s=seed: np.random.default_rng([s, k])
        )
        b = service_arrivals(
            ones, ones.services[0], lambda k, s=seed: np.random.default_rng([s, k])
        )
        assert len(a[0]) > 400
        assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()


@pytest.mark.parametrize("until", [None, "2025-03-31", "2025-04-10"])
def test_window_receipts_lie_in_the_period_at_every_block_edge(until):
    """Window receipts are placed inside their days, so a block of days wholly inside the period
    keeps them all without a filter: every receipt is still at or after the start and before
    the period's end or `until` (2025-03-31 is the 21st working day from 03-03: the second
    block's first; 04-10 falls inside a block), at a volume that fills each day to its close."""
    from slasim.scenario.plan import day_index

    plan = plan_for({"per_day": 400, **({"until": until} if until else {})}, working_days=45)
    cal = plan.calendar
    last = plan.end_day if until is None else day_index(cal, dt.date.fromisoformat(until))
    for seed in range(3):
        times, online = service_arrivals(
            plan, plan.services[0], lambda k, s=seed: np.random.default_rng([s, k])
        )
        assert not online.any() and np.all(np.diff(times) >= 0)
        assert times.min() >= plan.start and times.max() < cal.bm_start[last]
        days = np.searchsorted(cal.bm_start, times, side="right") - 1
        assert set(days.tolist()) == set(range(plan.start_day, last))  # receipts every day
