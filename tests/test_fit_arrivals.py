"""What `fit` makes of a log's receipts: the hours applicants submit (a known profile simulated,
logged and fitted back), scheduled receipts, month factors only from complete months seen twice
(worked by hand), dated receipts."""

from __future__ import annotations

import copy
import datetime as dt
import math

import numpy as np
import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .test_fit import KNOWN

# Receipts inside the weekdays calendar's office hours (09:00-17:00), so the event log's receipt
# instants are the submission instants: Monday 09-10 (3), 10-12 (1 each); Thursday 14-16 (2 each).
PROFILE = {"mon": [0] * 9 + [3, 1, 1] + [0] * 12, "thu": [0] * 14 + [2, 2] + [0] * 8}


def fitted_arrivals(path, calendar="weekdays"):
    events = read_log(path, load_calendar(calendar))
    fitted = fit_log(events, calendar, train_share=1.0)
    service = next(iter(fitted.data["services"]))
    return fitted.data["services"][service]["arrivals"], fitted


def test_a_known_receipt_profile_is_fitted_back(tmp_path):
    known = copy.deepcopy(KNOWN)
    known["services"]["permit"]["arrivals"] = {"per_day": 20, "by_hour": PROFILE}
    path = tmp_path / "events.csv"
    run_scenario(Scenario.model_validate(known), replications=1, event_log=path, workers=1)
    arrivals, fitted = fitted_arrivals(path)
    assert set(arrivals["by_hour"]) == {"mon", "thu"} and "weekday" not in arrivals
    got = np.array(arrivals["by_hour"]["mon"] + arrivals["by_hour"]["thu"])
    true = np.array(PROFILE["mon"] + PROFILE["thu"], float)
    n = fitted.evidence["services"]["service"]["arrivals"]["receipts"]
    assert n > 1000
    share, expected = got / got.sum(), true / true.sum()
    assert np.all(share[expected == 0] == 0)  # no receipt where none is submitted
    sd = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(share - expected) <= 4 * sd + 1e-12)
    assert "pattern" not in arrivals  # Poisson receipts are not mistaken for a schedule


def write_log(path, instants):
    lines = ["case,activity,start,end"]
    for k, t in enumerate(instants):
        end = t + dt.timedelta(minutes=5)
        lines.append(f"c{k},a,{t.isoformat()},{end.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def weekdays(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += dt.timedelta(days=1)


def test_scheduled_receipts_are_fitted_as_even(tmp_path):
    # every 30 minutes from 09:30 to 16:00 on the weekdays of four weeks
    slots = [dt.time(9 + m // 60, m % 60) for m in range(30, 7 * 60 + 1, 30)]
    instants = [
        dt.datetime.combine(d, s)
        for d in weekdays(dt.date(2024, 1, 8), dt.date(2024, 2, 2))
        for s in slots
    ]
    arrivals, fitted = fitted_arrivals(write_log(tmp_path / "log.csv", instants))
    assert arrivals["pattern"] == "even" and arrivals["per_day"] == len(slots)
    # 20 days of 13 same-day gaps, all 30 minutes
    assert (
        "260 of 260 gaps between receipts of one day are 30 min"
        in (fitted.evidence["services"]["service"]["arrivals"]["regular"])
    )


def test_month_factors_come_only_from_complete_months_seen_twice(tmp_path):
    # From Sunday 2023-01-15 to Sunday 2024-03-31: Feb and Mar are complete twice, every other
    # month once (January 2023 is cut). Receipts per weekday: 4 in February, 2 in March, 3 else.
    per_day = {2: 4, 3: 2}
    instants = [
        dt.datetime.combine(d, dt.time(10 + k))
        for d in weekdays(dt.date(2023, 1, 16), dt.date(2024, 3, 29))
        for k in range(per_day.get(d.month, 3))
    ]
    instants.append(dt.datetime(2024, 3, 31, 12))  # a Sunday receipt closes the window
    instants.insert(0, dt.datetime(2023, 1, 15, 12))  # and a Sunday receipt opens it
    arrivals, fitted = fitted_arrivals(write_log(tmp_path / "log.csv", instants))
    # weekdays: Feb 2023 20, Feb 2024 21, Mar 2023 23, Mar 2024 21; Sunday 2024-03-31 counts for
    # Monday 2024-04-01 (outside both months): mean over the Feb and Mar working days =
    # (4 x 41 + 2 x 44) / 85 = 252 / 85
    assert arrivals["month"] == {2: round(4 * 85 / 252, 3), 3: round(2 * 85 / 252, 3)}
    evidence = fitted.evidence["services"]["service"]["arrivals"]["month"]
    assert evidence == {"complete_months": 14, "months_with_factors": [2, 3]}


def test_no_month_factors_without_a_month_seen_twice(tmp_path):
    instants = [
        dt.datetime.combine(d, dt.time(10))
        for d in weekdays(dt.date(2024, 1, 1), dt.date(2024, 10, 31))
    ]
    arrivals, fitted = fitted_arrivals(write_log(tmp_path / "log.csv", instants))
    assert "month" not in arrivals
    assert fitted.comments[("services", "service", "arrivals")].startswith(
        "no month factors: 10 complete months in the window, 0 calendar month(s)"
    )


def test_dated_receipts_get_no_hours(tmp_path):
    rng = np.random.default_rng(3)
    days = list(weekdays(dt.date(2024, 1, 1), dt.date(2024, 6, 28)))
    instants = [dt.datetime.combine(days[i], dt.time()) for i in rng.integers(0, len(days), 400)]
    arrivals, fitted = fitted_arrivals(write_log(tmp_path / "log.csv", sorted(instants)))
    assert {"by_hour", "online", "pattern"}.isdisjoint(arrivals)
    assert (
        "receipts are dated, not timed"
        in fitted.comments[("services", "service", "arrivals", "per_day")]
    )
    assert arrivals["per_day"] == pytest.approx(400 / len(days), abs=1e-3)
    assert math.isfinite(arrivals["per_day"])
