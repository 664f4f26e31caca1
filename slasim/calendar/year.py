"""A year of a calendar as data: special days with names and provenance (`slasim calendar show`)."""

from __future__ import annotations

import datetime as dt

from slasim.calendar.units import date_to_day
from slasim.calendar.workcalendar import load_calendar
from slasim.io.errors import SlasimError

WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def calendar_year(name: str, year: int | None = None) -> dict:
    """One year of a calendar for `slasim calendar show`: special days, office hours, provenance."""
    cal = load_calendar(name)
    first, published = cal.coverage
    year = year or published or dt.date.today().year
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise SlasimError("not a year: {year}", field="--year", year=year)
    cal.check_range(date_to_day(dt.date(year, 1, 1)), field="year")
    cal.check_range(date_to_day(dt.date(year, 12, 31)), field="year")
    notice = cal.spec.years.get(year)
    days = [
        {
            "date": d.date.isoformat(),
            "weekday": WEEKDAY[d.date.weekday()],
            "working": d.working,
            "kind": d.kind,
            "name": d.name,
            "source": d.source,
        }
        for d in cal.special_days(year)
    ]
    start, end = date_to_day(dt.date(year, 1, 1)), date_to_day(dt.date(year, 12, 31))
    own = dict(cal.spec.weekday_hours)  # weekdays with their own hours, shown labelled
    sampled = [dt.date(year, m, 15 + k) for m in range(1, 13) for k in range(7 if own else 1)]
    hours = sorted(
        {
            " ".join(f"{a}–{b}" for a, b in cal.office_hours_on(d))
            for d in sampled
            if cal.is_working_day(d) and d.weekday() not in own
        }
    )
    hm = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    labelled = lambda table: [  # noqa: E731
        f"{WEEKDAY[w]} " + " ".join(f"{hm(a)}–{hm(b)}" for a, b in pairs) for w, pairs in table
    ]
    hours += labelled(own.items())
    open_rest = [  # rest days the office opens, with the count of them this year
        d
        for d in range(start, end + 1)
        if cal.is_open[d - cal.first_day] and not cal.is_work[d - cal.first_day]
    ]
    return {
        "calendar": cal.name,
        "title": cal.spec.title,
        "year": year,
        "provisional": bool(cal.is_provisional(start) or cal.is_provisional(end)),
        "notice": notice.model_dump(mode="json", exclude_none=True, exclude={"rest", "work"})
        if notice
        else None,
        "office_hours": "; ".join(hours),
        "working_days": int(cal.count_working_days_array(start - 1, end)),
        # office hours on rest days (not working days: no limit counts them), and how many open
        "rest_day_hours": "; ".join(labelled(cal.spec.rest_day_hours)),
        "open_rest_days": len(open_rest),
        "days": days,
    }
