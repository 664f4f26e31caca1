"""The wait before a step while its handler was idle (`fit.build.idle_waits`, `_step`): modelled
when it adds to the lead time on average (mean of 30 office minutes or more), even when most cases
do not wait at all (a case parked now and then), and not when the handler was busy meanwhile.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log

CASES, PARKED, PARKED_MINUTES = 100, 0.3, 240


def parked_log(path, busy: bool = False):
    """Cases on weekdays at 09:00: `intake` for 10 minutes by a clerk, then `decide` for 10
    minutes by a director of its own (idle in between); 30 of 100 cases wait 240 minutes before
    `decide` (parked), the others none. With `busy`, the director works on a filing for the whole
    wait of each parked case (the wait is the handler's, not extraneous)."""
    lines = ["case,activity,resource,start_time,end_time"]
    day = dt.datetime(2024, 1, 8, 9)
    for k in range(CASES):
        at = day + dt.timedelta(days=7 * (k // 5) + k % 5)
        wait = PARKED_MINUTES if k % 10 < 3 else 0
        intake_end = at + dt.timedelta(minutes=10)
        decide = intake_end + dt.timedelta(minutes=wait)
        rows = [
            ("intake", "clerk", at, intake_end),
            ("decide", f"director-{k}", decide, decide + dt.timedelta(minutes=10)),
        ]
        if busy and wait:
            rows.append(("filing", f"director-{k}", intake_end, decide))
        for activity, who, start, end in rows:
            lines.append(f"c{k},{activity},{who},{start:%Y-%m-%dT%H:%M:%S},{end:%Y-%m-%dT%H:%M:%S}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_log(path, load_calendar("weekdays"))


def steps_of(fitted) -> dict:
    return {s["step"]: s for s in fitted.data["services"]["parked"]["steps"] if "step" in s}


def test_a_wait_most_cases_skip_is_modelled_by_its_mean(tmp_path):
    # the sample: 70 zeros and 30 waits of 240 office minutes (inside 09:00-17:00, weekdays);
    # its median is 0 (under 30 minutes), its mean 0.3 * 240 = 72 minutes
    events = parked_log(tmp_path / "parked.csv")
    fitted = fit_log(events, "weekdays", name="parked", train_share=1.0, office="calendar")
    wait = steps_of(fitted)["decide-wait"]["delay"]
    assert wait["unit"] == "min"
    # no family comes near a 0-or-240 sample: its quantiles, whose mean is the sample's within
    # the grid's coarseness (41 quantiles: one step of 1/40 of the range, 6 minutes, either way)
    draws = np.asarray(wait["empirical"])
    assert abs(draws.mean() - PARKED * PARKED_MINUTES) <= 6
    assert draws.min() == 0.0 and draws.max() == PARKED_MINUTES
    assert "mean 72 office min" in str(fitted.comments[("services", "parked", "steps", 1)])


def test_a_wait_while_the_handler_worked_is_not_modelled(tmp_path):
    events = parked_log(tmp_path / "busy.csv", busy=True)
    fitted = fit_log(events, "weekdays", name="parked", train_share=1.0, office="calendar")
    assert "decide-wait" not in steps_of(fitted)
