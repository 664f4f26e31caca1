"""Where a log's events fall in the day, against the calendar's office hours.

`fit` measures work in office minutes on the calendar it is given: an event outside its office
hours counts as less work, or none. This module says how much of the log lies outside (the share
of event instants, starts and ends, that fall outside office hours) and the hours the events do
fall in (the shortest run of half hours, midnight wrapping, that holds `COVER` of them), so `fit`
can warn and name the hours a better calendar would have.
"""

from __future__ import annotations

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, day_to_date
from slasim.calendar.workcalendar import WorkCalendar
from slasim.fit.log import Events

SLOT = 30  # minutes: the grain of the hours reported
COVER = 0.95  # share of event instants the reported hours hold
WARN_SHARE = 0.05  # outside office hours above this share is warned about


def inside_office(cal: WorkCalendar, instants: np.ndarray) -> np.ndarray:
    """Whether each wall instant lies in the calendar's office hours (an interval's close
    included: an event may end as the office closes)."""
    business = cal.to_business_array(instants)
    left = cal.to_wall_array(business, side="left")
    right = cal.to_wall_array(business, side="right")
    return (np.abs(left - instants) < 1e-6) | (np.abs(right - instants) < 1e-6)


def busy_hours(instants: np.ndarray) -> tuple[int, int]:
    """(from, to) minutes of the day of the shortest run of SLOT-minute slots holding COVER of the
    instants; `to` may pass midnight (over MINUTES_PER_DAY)."""
    slots = MINUTES_PER_DAY // SLOT
    counts = np.bincount(((instants % MINUTES_PER_DAY) // SLOT).astype(np.int64), minlength=slots)
    cum = np.concatenate([[0], np.cumsum(np.concatenate([counts, counts]))])
    need = COVER * counts.sum()
    for length in range(1, slots + 1):
        held = cum[length : length + slots] - cum[:slots]
        if held.max() >= need:
            first = int(np.argmax(held))
            return first * SLOT, (first + length) * SLOT
    return 0, MINUTES_PER_DAY


def clock(minutes: int) -> str:
    """Minutes of the day as HH:MM (past midnight wraps)."""
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def office_hours(events: Events, cal: WorkCalendar) -> dict:
    """The share of event instants outside office hours, the hours the events fall in, the
    calendar's hours on a working day of the log, and a warning line when the share is over
    WARN_SHARE (none for a log of dates without times)."""
    work = events.take(~events.milestone) if (~events.milestone).any() else events
    instants = np.concatenate([work.start, work.end])
    out = {"outside_share": None, "events_fall": None, "calendar_hours": None, "warning": None}
    if not len(instants) or np.mean(instants % MINUTES_PER_DAY == 0) >= 0.9:
        return out  # dated, not timed: nothing to say about hours
    outside = float(1.0 - inside_office(cal, instants).mean())
    low, high = busy_hours(instants)
    day = cal.next_working_day(day_to_date(int(np.median(instants) // MINUTES_PER_DAY)))
    hours = ", ".join(f"{a}–{b}" for a, b in cal.office_hours_on(day))
    out.update(
        outside_share=round(outside, 4),
        events_fall=f"{clock(low)}–{clock(high)}",
        calendar_hours=hours,
    )
    if outside > WARN_SHARE:
        out["warning"] = (
            f"{outside:.1%} of the log's event starts and ends fall outside calendar "
            f"{cal.name}'s office hours ({hours}): time outside them counts as no work; "
            f"{COVER:.0%} of them fall {clock(low)}–{clock(high)}: use a calendar with those "
            "hours (-c, a .toml file that `extends` this one)"
        )
    return out
