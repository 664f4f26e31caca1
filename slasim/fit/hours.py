"""Where a log's events fall in the week, against the calendar's office hours; the office time
fitted from them.

`fit` measures work in office minutes on a calendar: an event outside its office hours counts as
less work, or none. This module says how much of the log lies outside (the share of event
instants, starts and ends, that fall outside office hours) and the hours the events do fall in
(the shortest run of half hours, midnight wrapping, that holds `COVER` of them). `office_from_log`
fits office time: the hours holding FIT_COVER of the instants, and as working weekdays those with
events on at least WORKDAY_SHARE of their dates (the calendar's ordinary dates, not its holidays
and make-up days, in a log of MIN_WEEKS weeks or more); `calendar_text` writes
them as a calendar file that `extends` the chosen calendar, which keeps its holidays and make-up
days.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from slasim.calendar.files import find_calendar
from slasim.calendar.units import MINUTES_PER_DAY, day_to_date
from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.fit.log import Events
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim
from slasim.scenario.schema import WEEKDAYS

SLOT = 30  # minutes: the grain of the hours reported
COVER = 0.95  # share of event instants the reported hours hold
WARN_SHARE = 0.05  # outside office hours above this share is warned about
FIT_COVER = 0.98  # share of event instants the fitted office hours hold
WORKDAY_SHARE = 0.5  # of a weekday's ordinary dates with events, to be a working weekday
MIN_INSTANTS = 50
MIN_WEEKS = 4  # a log spanning fewer weeks keeps the calendar's weekend
# a working weekday gets its own hours when they clearly differ from the default: its FIT_COVER
# run of half hours at most OWN_SHORTER of the default's length, or OWN_OUTSIDE or more of its
# instants outside the default hours (five times the 2 % the default leaves out of the whole)
OWN_SHORTER = 2 / 3
OWN_OUTSIDE = 0.10
# a rest weekday with events on RARE_MIN_DATES or more of its dates, and on RARE_MIN_SHARE of them
# or more, is a rare working day; work on fewer is one-offs (it stays a rest day)
RARE_MIN_DATES = 2
RARE_MIN_SHARE = 0.05
# a rest weekday whose dates with events hold this share of a working day's instants or more was
# worked as a whole day on them (make-up days the chosen calendar does not know): not rare work
FULL_DAY_SHARE = 0.5


def inside_office(cal: WorkCalendar, instants: np.ndarray) -> np.ndarray:
    """Whether each wall instant lies in the calendar's office hours (an interval's close
    included: an event may end as the office closes)."""
    business = cal.to_business_array(instants)
    left = cal.to_wall_array(business, side="left")
    right = cal.to_wall_array(business, side="right")
    return (np.abs(left - instants) < 1e-6) | (np.abs(right - instants) < 1e-6)


def busy_hours(instants: np.ndarray, cover: float = COVER) -> tuple[int, int]:
    """(from, to) minutes of the day of the shortest run of SLOT-minute slots holding `cover` of
    the instants; `to` may pass midnight (over MINUTES_PER_DAY)."""
    slots = MINUTES_PER_DAY // SLOT
    counts = np.bincount(((instants % MINUTES_PER_DAY) // SLOT).astype(np.int64), minlength=slots)
    cum = np.concatenate([[0], np.cumsum(np.concatenate([counts, counts]))])
    need = cover * counts.sum()
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
    instants = _instants(events)
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
        out["warning"] = Text(
            "{outside:.1%} of the log's event starts and ends fall outside calendar "
            "{calendar}'s office hours ({hours}): time outside them counts as no work; "
            "{cover:.0%} of them fall {low}–{high}: fit the office time from the "
            "log (--office-hours log, the default) or use a calendar with those hours",
            outside=outside,
            calendar=Verbatim(cal.name),
            hours=hours,
            cover=COVER,
            low=clock(low),
            high=clock(high),
        )
    return out


def _instants(events: Events) -> np.ndarray:
    """The starts, then the ends, of the events that are work (of every event when none is)."""
    work = ~events.milestone
    if not work.any():
        return np.concatenate([events.start, events.end])
    return np.concatenate([events.start[work], events.end[work]])


def office_from_log(events: Events, cal: WorkCalendar) -> dict | None:
    """{"hours": [[open, close], ...], "weekend": [...], "note": text} fitted from the events, or
    None for a log of dates or of fewer than MIN_INSTANTS instants, or when the calendar's own
    default hours and weekend already are these."""
    instants = _instants(events)
    if len(instants) < MIN_INSTANTS or np.mean(instants % MINUTES_PER_DAY == 0) >= 0.9:
        return None
    low, high = busy_hours(instants, FIT_COVER)
    hm = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731 - 24:00 stays 24:00
    if high <= MINUTES_PER_DAY:
        hours = [[hm(low), hm(high)]]
    else:  # past midnight: the small hours, then the evening
        hours = [["00:00", hm(high - MINUTES_PER_DAY)], [hm(low), "24:00"]]
    days = np.floor(instants / MINUTES_PER_DAY).astype(np.int64)
    natural = np.arange(days.min(), days.max() + 1)
    # the week from ordinary days: not the calendar's holidays and make-up days
    ordinary = np.isin(natural, cal.work_days) == ~np.isin((natural + 3) % 7, cal.spec.weekend)
    seen = np.bincount((natural[ordinary] + 3) % 7, minlength=7)
    active = np.intersect1d(np.unique(days), natural[ordinary])
    worked = np.bincount((active + 3) % 7, minlength=7)
    share = worked / np.maximum(seen, 1)
    rested = [WEEKDAYS[w] for w in sorted(cal.spec.weekend)]
    if seen.min() >= MIN_WEEKS:
        weekend = [name for w, name in enumerate(WEEKDAYS) if share[w] < WORKDAY_SHARE]
    else:  # too short a log to tell the working week: the calendar's
        weekend = rested
    # a day the chosen calendar rests but the office works (a Saturday service) stays a rest day
    # in law: office time, which no limit counts (`office_hours.rest_days`)
    opened = [d for d in rested if d not in weekend]
    weekend = [d for d in WEEKDAYS if d in weekend or d in opened]
    held = np.bincount((days + 3) % 7, minlength=7) / len(days)
    by_weekday, weekdays, rare_days = {}, {}, {}
    rest_days, by_rest_day = _rest_day_hours(
        instants, days, natural[ordinary], opened, seen, worked
    )
    # a rest day the chosen calendar opens that the log does not work: closed again (`[]`)
    closed_again = [
        WEEKDAYS[w]
        for w, _ in cal.spec.rest_day_hours
        if seen.min() >= MIN_WEEKS and WEEKDAYS[w] not in opened
    ]
    if seen.min() >= MIN_WEEKS and not cal.spec.periods:
        # a weekday's own hours and work from its ordinary dates, as `seen` and `worked` count
        # them: a make-up Saturday (调休) is worked as a weekday, not as a Saturday
        plain = np.isin(days, natural[ordinary])
        x, d = instants[plain], days[plain]
        by_weekday, weekdays = _own_hours(x, d, weekend, seen, worked, (low, high))
        rare_days = _rare_days(x, d, weekend, seen, worked, (low, high), cal.spec.weekend)
        weekdays.update({d: v["hours"] for d, v in rare_days.items()})
        weekend = [d for d in weekend if d not in rare_days]
    # a rest day the log shows some work on: its numbers, in the evidence and the note
    rare = {
        d: {
            "dates": int(seen[w]),
            "dates_with_events": int(worked[w]),
            "share_of_instants": round(float(held[w]), 5),
        }
        for d in weekend
        for w in [WEEKDAYS.index(d)]
        if worked[w] and d not in opened
    }
    rest = ", ".join(
        d
        if d not in rare
        else f"{d}: {rare[d]['dates_with_events']} of {rare[d]['dates']} dates, "
        f"{held[WEEKDAYS.index(d)]:.2%} of the instants"
        for d in weekend
        if d not in opened
    )
    own = [[hm(a), hm(b)] for a, b in cal.spec.default_hours]
    same_week = [WEEKDAYS.index(d) for d in weekend] == sorted(cal.spec.weekend)
    if hours == own and same_week and not weekdays and not rest_days and not closed_again:
        return None
    note = (
        f"{FIT_COVER:.0%} of the log's {len(instants)} event starts and ends fall "
        f"{', '.join('–'.join(h) for h in hours)}; weekend: the weekdays with events on under "
        f"{WORKDAY_SHARE:.0%} of their dates ({rest or 'none'})"
    )
    for day, hours_of in weekdays.items():
        if day in rare_days:
            r = rare_days[day]
            note += (
                f"; {day}: a rare working day (events on {r['dates_with_events']} of its "
                f"{r['dates']} dates, {r['instants']} instants, {r['share_of_instants']:.2%}), "
                f"its office time the {r['office_minutes']} minute(s) its share of the work "
                f"amounts to at the other days' pace (rounded up), from {hours_of[0][0]} where its events "
                "are most"
            )
        else:
            b = by_weekday[day]
            note += f"; {day}: {FIT_COVER:.0%} of its {b['instants']} instants fall {b['hours']}"
    for day, b in by_rest_day.items():
        note += (
            f"; {day}: a rest day the office opens (events on {b['dates_with_events']} of its "
            f"{b['dates']} dates; {FIT_COVER:.0%} of its {b['instants']} instants fall "
            f"{b['hours']}): office time, not a working day (no limit counts it)"
        )
    for day in closed_again:
        w = WEEKDAYS.index(day)
        note += (
            f"; {day}: calendar {cal.name} opens the office on it, the log works it on "
            f"{worked[w]} of its {seen[w]} dates: closed"
        )
    fitted = {"hours": hours, "weekend": weekend, "note": note}
    if rest_days or closed_again:
        opening = {**rest_days, **dict.fromkeys(closed_again, [])}
        fitted["rest_days"] = {d: opening[d] for d in WEEKDAYS if d in opening}
        fitted["by_rest_day"] = by_rest_day
    if weekdays:
        fitted["weekdays"] = weekdays
        fitted["by_weekday"] = by_weekday
    if rare_days:
        fitted["rare_working_days"] = rare_days
    return {**fitted, "rest_days_with_work": rare} if rare else fitted


def week_warning(office: dict, cal: WorkCalendar) -> Text | None:
    """The warning for a fitted week that rests a weekday the chosen calendar works: the fitted
    calendar's working days are the ones a limit in working days counts, so a weekday the office
    keeps shut stops counting on the fitted scenario. None when none is. (A weekday the chosen
    calendar rests but the office works stays a rest day, one the office opens.)"""
    chosen = {WEEKDAYS[w] for w in cal.spec.weekend}
    closed = sorted(set(office["weekend"]) - chosen, key=WEEKDAYS.index)
    if not closed:
        return None
    return Text(
        "the office week fitted from the log rests {closed}, which calendar {calendar} works: "
        "a limit in working days on the fitted scenario skips them; `--office-hours calendar` "
        "keeps the week and hours of {calendar}",
        calendar=Verbatim(cal.name),
        closed=Verbatim(", ".join(closed)),
    )


def _hm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"  # 24:00 stays 24:00


def _pairs(low: int, high: int) -> list[list[str]]:
    """[open, close) pairs of a run of minutes that may pass midnight."""
    if high <= MINUTES_PER_DAY:
        return [[_hm(low), _hm(high)]]
    return [["00:00", _hm(high - MINUTES_PER_DAY)], [_hm(low), "24:00"]]


def _rest_day_hours(instants, days, ordinary, opened, seen, worked) -> tuple[dict, dict]:
    """(the office hours of each rest weekday the office opens: the run holding FIT_COVER of its
    instants on its ordinary dates, or the whole log's where it has under MIN_INSTANTS; their
    evidence)."""
    weekday = (days + 3) % 7
    plain = np.isin(days, ordinary)
    hours, evidence = {}, {}
    for day in opened:
        w = WEEKDAYS.index(day)
        x = instants[plain & (weekday == w)]
        low, high = busy_hours(x if len(x) >= MIN_INSTANTS else instants, FIT_COVER)
        hours[day] = _pairs(low, high)
        evidence[day] = {
            "instants": int(len(x)),
            "dates": int(seen[w]),
            "dates_with_events": int(worked[w]),
            "hours": f"{clock(low)}–{clock(high)}",
        }
    return hours, evidence


def _own_hours(instants, days, weekend, seen, worked, default) -> tuple[dict, dict]:
    """(per working weekday its instants, dates, the hours holding FIT_COVER of them and its
    share outside `default`; the weekdays whose hours clearly differ (OWN_SHORTER, OWN_OUTSIDE),
    with those hours). A weekday of under MIN_INSTANTS instants keeps the default."""
    weekday = (days + 3) % 7
    evidence, own = {}, {}
    for w, day in enumerate(WEEKDAYS):
        if day in weekend:
            continue
        x = instants[weekday == w]
        if len(x) < MIN_INSTANTS:
            continue
        low, high = busy_hours(x, FIT_COVER)
        outside = float(np.mean((x - default[0]) % MINUTES_PER_DAY > default[1] - default[0]))
        evidence[day] = {
            "instants": int(len(x)),
            "dates": int(seen[w]),
            "dates_with_events": int(worked[w]),
            "hours": f"{clock(low)}–{clock(high)}",
            "outside_default": round(outside, 4),
        }
        if high - low <= OWN_SHORTER * (default[1] - default[0]) or outside >= OWN_OUTSIDE:
            own[day] = _pairs(low, high)
    return evidence, own


def _rare_days(instants, days, weekend, seen, worked, default, rest) -> dict:
    """Rest weekdays with events on RARE_MIN_DATES and RARE_MIN_SHARE or more of their dates
    (under WORKDAY_SHARE), under FULL_DAY_SHARE of a working day's instants on each such date on
    average: kept as working days whose office time is the minutes their share of the work
    amounts to — their instants per date over the working weekdays' instants per date, times the
    default day's minutes, rounded up — from the SLOT where their events are most. Little work then
    happens that day, at the hours it happens, and a delay counted in working days weighs the
    day as those minutes (`WorkCalendar.delay_day`). Only a weekday the chosen calendar works
    (not in its weekend, `rest`): a legal limit in working days counts a fitted working day whole,
    and a day the chosen calendar rests (a Chinese Sunday worked as overtime) must not count."""
    weekday = (days + 3) % 7
    working = [w for w, d in enumerate(WEEKDAYS) if d not in weekend]
    regular = np.isin(weekday, working).sum() / max(int(seen[working].sum()), 1)
    out = {}
    for w, day in enumerate(WEEKDAYS):
        if w in rest or day not in weekend:
            continue
        if worked[w] < max(RARE_MIN_DATES, RARE_MIN_SHARE * seen[w]):
            continue
        x = instants[weekday == w]
        if len(x) / worked[w] >= FULL_DAY_SHARE * regular:
            continue
        per_date = len(x) / seen[w]
        # rounded up (a rare day never rounds to none), in whole numbers until the division
        share = (default[1] - default[0]) * len(x) * int(seen[working].sum())
        minutes = max(1, math.ceil(share / (int(seen[w]) * int(np.isin(weekday, working).sum()))))
        slots = np.bincount(((x % MINUTES_PER_DAY) // SLOT).astype(np.int64))
        start = int(np.argmax(slots)) * SLOT
        out[day] = {
            "dates": int(seen[w]),
            "dates_with_events": int(worked[w]),
            "instants": int(len(x)),
            "share_of_instants": round(len(x) / len(instants), 5),
            "instants_per_date": round(float(per_date), 3),
            "working_days_instants_per_date": round(float(regular), 3),
            "office_minutes": int(minutes),
            "hours": _pairs(start, min(start + minutes, MINUTES_PER_DAY)),
        }
    return out


def calendar_text(
    name: str, extends: str, office: dict, source: str, base: Path | None = None
) -> str:
    """A calendar file with the fitted office time over the calendar it `extends` (a parent's
    dated office-hour periods are overridden all year). A child keeps the hours its parent gives
    a weekday of its own unless it names that weekday: with weekday hours fitted, each working
    weekday the parent gives hours and the fit does not is written with the fitted default.
    `base`: the folder the file will be written to, which a relative `extends` is read from."""
    quote = json.dumps  # a TOML basic string
    hours = ", ".join(f"[{quote(a)}, {quote(b)}]" for a, b in office["hours"])
    weekdays = dict(office.get("weekdays") or {})
    if weekdays:
        parent = load_calendar(find_calendar(extends, base))
        for day in (WEEKDAYS[w] for w, _ in parent.spec.weekday_hours):
            if day not in weekdays and day not in office["weekend"]:
                weekdays[day] = office["hours"]
        weekdays = {d: weekdays[d] for d in WEEKDAYS if d in weekdays}
    return "\n".join(
        [
            f"# Office time fitted by `slasim fit` from {source}: {office['note']}.",
            f"# Holidays and make-up working days (调休) come from {extends!r}, which this extends.",
            f"name = {quote(name)}",
            f"title = {quote(f'Office time of {source} over {extends}')}",
            f"extends = {quote(extends)}",
            f"weekend = [{', '.join(quote(d) for d in office['weekend'])}]",
            "",
            "[office_hours]",
            f"default = [{hours}]",
            *(  # fitted by weekday only over a calendar without dated periods: none to override
                [f"weekdays = {{{days}}}"]
                if (days := _weekday_table(weekdays))
                else [f'periods = [{{from = "01-01", to = "12-31", hours = [{hours}]}}]']
            ),
            *(  # rest days the office opens: office time, not working days
                [f"rest_days = {{{rest}}}"]
                if (rest := _weekday_table(office.get("rest_days")))
                else []
            ),
            "",
        ]
    )


def _weekday_table(weekdays: dict | None) -> str:
    """The TOML inline table of office hours by weekday ('' for none)."""
    quote = json.dumps
    return ", ".join(
        f"{day} = [{', '.join(f'[{quote(a)}, {quote(b)}]' for a, b in pairs)}]"
        for day, pairs in (weekdays or {}).items()
    )
