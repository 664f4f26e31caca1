"""Drift: a log whose process changes at a known date is fitted on its recent cases, saying how
many and why; a stationary log is fitted whole; `--recent off` and `--since` choose by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log

from .helpers import slasim

CHANGE = dt.date(2023, 10, 2)  # from this Monday, cases skip the long review


def shift_working_days(t: dt.datetime, days: int) -> dt.datetime:
    while days:
        t += dt.timedelta(days=1)
        days -= t.weekday() < 5
    return t


def make_log(path, change: dt.date | None, seed: int = 5):
    """Four receipts a weekday in 2023 at random minutes of 09:00-16:00: `check` (30 min), then
    `review` two working days later (60 min) before `change`, or `quick-decide` (20 min) from it."""
    rng = np.random.default_rng(seed)
    lines, k = ["case,activity,start,end"], 0
    day = dt.date(2023, 1, 2)
    while day <= dt.date(2023, 12, 29):
        if day.weekday() < 5:
            for minute in sorted(rng.integers(0, 7 * 60, 4).tolist()):
                t = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=minute)
                done = t + dt.timedelta(minutes=30)
                lines.append(f"c{k},check,{t.isoformat()},{done.isoformat()}")
                if change is not None and day >= change:
                    end = done + dt.timedelta(minutes=20)
                    lines.append(f"c{k},quick-decide,{done.isoformat()},{end.isoformat()}")
                else:
                    start = shift_working_days(done, 2)
                    end = start + dt.timedelta(minutes=60)
                    lines.append(f"c{k},review,{start.isoformat()},{end.isoformat()}")
                k += 1
        day += dt.timedelta(days=1)
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
