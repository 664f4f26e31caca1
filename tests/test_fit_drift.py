"""Drift: a log whose process changes at a known date is fitted on its recent cases, saying how
many and why; a lead time that halves or a share done within the hour that jumps is found; a
stationary log is fitted whole, also a simulated queue whose consecutive lead times go together
(the autocorrelation time worked by hand); `--recent off` and `--since` choose by hand."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pytest
from scipy import stats

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.drift import integrated_autocorrelation
from slasim.fit.log import read_log
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .helpers import slasim
from .test_fit import KNOWN

CHANGE = dt.date(2023, 10, 2)  # from this Monday, cases skip the long review


def shift_working_days(t: dt.datetime, days: int) -> dt.datetime:
    while days:
        t += dt.timedelta(days=1)
        days -= t.weekday() < 5
    return t


def checks(rng):
    """Four receipts a weekday in 2023 at random minutes of 09:00-16:00, each checked in 30 minutes:
    (case number, day, check start, check end)."""
    k, day = 0, dt.date(2023, 1, 2)
    while day <= dt.date(2023, 12, 29):
        if day.weekday() < 5:
            for minute in sorted(rng.integers(0, 7 * 60, 4).tolist()):
                t = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=minute)
                yield k, day, t, t + dt.timedelta(minutes=30)
                k += 1
        day += dt.timedelta(days=1)


def make_log(path, change: dt.date | None, seed: int = 5):
    """`check` (30 min), then `review` two working days later (60 min) before `change`, or
    `quick-decide` (20 min) from it."""
    rng = np.random.default_rng(seed)
    lines = ["case,activity,start,end"]
    for k, day, t, done in checks(rng):
        lines.append(f"c{k},check,{t.isoformat()},{done.isoformat()}")
        if change is not None and day >= change:
            end = done + dt.timedelta(minutes=20)
            lines.append(f"c{k},quick-decide,{done.isoformat()},{end.isoformat()}")
        else:
            start = shift_working_days(done, 2)
            end = start + dt.timedelta(minutes=60)
            lines.append(f"c{k},review,{start.isoformat()},{end.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lead_log(path, decide_before, decide_after, seed: int = 5):
    """`check` (30 min), then `decide` (10 min) after `decide_before(rng)` working days (0: 10
    minutes after the check) before CHANGE, `decide_after(rng)` from it. One variant throughout:
    only lead times move."""
    rng = np.random.default_rng(seed)
    lines = ["case,activity,start,end"]
    for k, day, t, done in checks(rng):
        days = (decide_after if day >= CHANGE else decide_before)(rng)
        start = shift_working_days(done, days) + dt.timedelta(minutes=10)
        lines.append(f"c{k},check,{t.isoformat()},{done.isoformat()}")
        end = start + dt.timedelta(minutes=10)
        lines.append(f"c{k},decide,{start.isoformat()},{end.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fit(path, **options):
    events = read_log(path, load_calendar("weekdays"))
    return fit_log(events, "weekdays", train_share=1.0, **options)


def steps_of(fitted) -> list[str]:
    return [s["step"] for s in fitted.data["services"]["service"]["steps"] if "step" in s]


def test_a_known_change_point_is_found_and_the_recent_cases_fitted(tmp_path):
    fitted = fit(make_log(tmp_path / "log.csv", CHANGE))
    drift = fitted.evidence["drift"]
    assert drift["drift"].startswith("yes: lead_time, variants")
    assert drift["tests"]["lead_time"]["p"] < 1e-6 and drift["tests"]["variants"]["p"] < 1e-6
    # the rate did not change: four a weekday throughout
    assert drift["tests"]["arrival_rate"]["p"] > 0.01
    # the window: 3 months (91.3 days) before the last receipt (Friday 2023-12-29), i.e. from
    # Friday 2023-09-29: that Friday's 4 cases, then 65 weekdays of 4 from 2023-10-02
    assert fitted.evidence["train_cases"] == 4 + 65 * 4
    assert drift["window"].startswith(
        "recent only (--recent auto): 264 of 1040 cases, since 2023-09-29"
    )
    assert steps_of(fitted) == ["check", "quick-decide"]  # the 4 old reviews are under 5 %
    assert any(w.startswith("drift yes") for w in fitted.warnings)


def test_a_stationary_log_shows_no_drift_and_is_fitted_whole(tmp_path):
    fitted = fit(make_log(tmp_path / "log.csv", None))
    drift = fitted.evidence["drift"]
    assert drift["drift"] == "no" and drift["window"] == "all 1040 fitted cases"
    assert all(t["p"] > 0.01 or t["statistic"] < 0.15 for t in drift["tests"].values())
    assert fitted.evidence["train_cases"] == 1040 and steps_of(fitted) == ["check", "review"]


def test_recent_off_and_since_choose_the_window_by_hand(tmp_path):
    path = make_log(tmp_path / "log.csv", CHANGE)
    fitted = fit(path, recent="off")
    assert fitted.evidence["train_cases"] == 1040
    assert fitted.evidence["drift"]["window"] == "all 1040 fitted cases (--recent off)"
    fitted = fit(path, since=dt.date(2023, 11, 1))
    # November and December 2023: 22 + 21 weekdays of 4 receipts
    assert fitted.evidence["train_cases"] == 4 * 43
    assert fitted.evidence["drift"]["window"] == "given (--since 2023-11-01): 172 of 1040 cases"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "2024-02-01"], "the window leaves 0 cases to fit (need 2)"),
        (["--recent", "sometimes"], "--recent"),
    ],
)
def test_a_window_that_leaves_nothing_is_one_line(tmp_path, args, message):
    path = make_log(tmp_path / "log.csv", CHANGE)
    code, _, err = slasim("fit", path, "-c", "weekdays", "--train-share", "1.0", *args)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "before, after",
    [
        # lead times halve: decided 2-6 working days after the check (mean 4), then 1-3 (mean 2)
        (lambda rng: int(rng.integers(2, 7)), lambda rng: int(rng.integers(1, 4))),
        # the share decided within the hour jumps from 17 % to 83 % (else 3 working days later)
        (lambda rng: 0 if rng.random() < 0.17 else 3, lambda rng: 0 if rng.random() < 0.83 else 3),
    ],
    ids=["lead-times-halve", "share-within-the-hour-jumps"],
)
def test_a_lead_time_drift_alone_is_found(tmp_path, before, after):
    drift = fit(lead_log(tmp_path / "log.csv", before, after)).evidence["drift"]
    assert drift["drift"].startswith("yes: lead_time (")  # lead times only: one variant
    assert (
        drift["tests"]["lead_time"]["p"] < 1e-6 and drift["tests"]["lead_time"]["statistic"] > 0.5
    )
    assert drift["window"].startswith("recent only (--recent auto): 264 of 1040 cases")


def test_the_autocorrelation_time_worked_by_hand():
    # ranks 1..8 about their mean 4.5: -3.5..3.5, sum of squares 42; lag 1 products sum to 26.25,
    # lag 2 to 11.5 (lags up to 8 // 4 = 2): 1 + 2 (26.25 + 11.5) / 42
    assert integrated_autocorrelation([np.arange(1.0, 9.0)]) == pytest.approx(1 + 75.5 / 42)
    # two series pool their products: the second, falling, has the same lag products
    assert integrated_autocorrelation([np.arange(8.0), -np.arange(8.0)]) == pytest.approx(
        1 + 75.5 / 42
    )
    # alternating: the lag-1 autocorrelation is negative, so none is summed; constant: no variance
    assert integrated_autocorrelation([np.array([1.0, 5.0] * 6)]) == 1.0
    assert integrated_autocorrelation([np.full(10, 3.0)]) == 1.0


SEEDS = range(1, 11)
NAIVE = {3, 5, 6, 7, 9}  # of SEEDS, the logs whose KS distance is significant counting every case


def test_a_stationary_simulated_queue_is_not_flagged(tmp_path):
    """The known centre of tests/test_fit.py (60 working days, stationary, its queues busy), seeds
    1-10, fitted as `fit` does by default: none is flagged. The same KS distances with every case
    counted as an independent draw (autocorrelation time 1) flag seeds 3, 5, 6, 7 and 9 (worked out
    by running them): consecutive lead times go together, the autocorrelation time over 3 in each.
    """
    naive = set()
    for seed in SEEDS:
        path = tmp_path / f"events-{seed}.csv"
        scenario = Scenario.model_validate({**KNOWN, "seed": seed})
        run_scenario(scenario, replications=1, event_log=path, workers=1)
        drift = fit_log(read_log(path, load_calendar("weekdays")), "weekdays").evidence["drift"]
        assert drift["drift"] == "no", seed
        lead = drift["tests"]["lead_time"]
        assert lead["autocorrelation_time"] > 3, seed
        n1, n2 = map(int, re.match(r"(\d+) cases before against (\d+) ", drift["tested"]).groups())
        en = math.sqrt(n1 * n2 / (n1 + n2))
        if stats.kstwobign.sf(lead["statistic"] * en) < 0.01 / 3 and lead["statistic"] >= 0.15:
            naive.add(seed)
    assert naive == NAIVE


def finished_log(path, days: int = 60):
    """20 receipts a day on `always` (10:00-11:54, one every 6 minutes); in each hour the ten
    cases last 1 hour, 1 day + 1 hour, ..., 9 days + 1 hour. Only the cases finished by midnight
    after the last day are written, as a log of finished cases exported then would hold them."""
    start, cut = dt.datetime(2023, 1, 2), dt.datetime(2023, 1, 2) + dt.timedelta(days=days)
    lines = ["case,activity,start,end"]
    for d in range(days):
        for j in range(20):
            t = start + dt.timedelta(days=d, hours=10, minutes=6 * j)
            end = t + dt.timedelta(days=j % 10, hours=1)
            if end <= cut:
                lines.append(f"c{d}-{j},work,{t.isoformat()},{end.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_receipts_a_log_of_finished_cases_lacks_at_its_end_are_counted_back(tmp_path):
    events = read_log(finished_log(tmp_path / "log.csv"), load_calendar("always"))
    fitted = fit_log(events, "always", train_share=1.0, office="calendar")
    arrivals = fitted.data["services"]["service"]["arrivals"]
    complete = fitted.evidence["services"]["service"]["arrivals"]["complete"]
    # by hand: a case received on day d (0-59) with a lead of m days (+1 h) is in the log when
    # d + m <= 59, so lead m keeps 60 - m days of 2 cases: 2 x (600 - 45) = 1110 cases over 60
    # days, 18.5 a day logged against the 20 received
    assert complete["raw_per_day"] == 18.5
    # the leads of the cases received over 9 days + 1 h before the log's end are one of each
    # (days 0-50: the reference); a day k days before the last (k < 9) keeps (k + 1) / 10 of its
    # receipts: (51 + (1 + ... + 9) / 10) / 60 = 0.925 of the window's, and 18.5 / 0.925 = 20
    # (the hours weighted by the week's receipts, not quite evenly: within 1 %)
    assert complete["expected_share"] == pytest.approx(0.925, rel=0.01)
    assert complete["horizon_days"] == pytest.approx(9 + 1 / 24, abs=0.005)  # rounded
    assert arrivals["per_day"] == pytest.approx(20, rel=0.01)
    # the drift test's rate sees the same receipts counted back: no change of rate
    rate = fitted.evidence["drift"]["tests"]["arrival_rate"]
    assert rate["statistic"] == pytest.approx(1.0, abs=0.03) and rate["p"] > 0.01
    assert "expected complete at the log's end" in rate["test"]


def test_a_log_whose_cases_end_well_before_its_end_is_not_corrected(tmp_path):
    """A stationary log whose cases all end within a day of receipt: nothing to count back."""
    fitted = fit(make_log(tmp_path / "log.csv", None))
    assert "complete" not in fitted.evidence["services"]["service"]["arrivals"]
    assert fitted.data["services"]["service"]["arrivals"]["per_day"] == 4.0
