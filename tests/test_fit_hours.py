"""The working week fitted from a log states its numbers: a weekday with rare work (events on 2 of
its 20 dates) stays a rest day and the evidence says how rare, with the dates and the share of the
event instants worked out by hand; a rest day without work is only named."""

from __future__ import annotations

import datetime as dt

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.hours import office_from_log
from slasim.fit.log import read_log


def week_log(path, sundays: tuple[int, ...]):
    """20 weeks from Monday 2024-01-01: Monday to Saturday four 20-minute events from 10:00; one
    event on the Sunday of each week in `sundays` (1-20)."""
    lines, k = ["case,activity,start,end"], 0
    for week in range(20):
        for day in range(7):
            date = dt.datetime(2024, 1, 1, 10) + dt.timedelta(weeks=week, days=day)
            count = 4 if day < 6 else int(week + 1 in sundays)
            for j in range(count):
                t = date + dt.timedelta(minutes=30 * j)
                lines.append(f"c{k},a,{t.isoformat()},{(t + dt.timedelta(minutes=20)).isoformat()}")
                k += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_weekday_with_rare_work_stays_a_rest_day_and_says_how_rare(tmp_path):
    path = week_log(tmp_path / "log.csv", sundays=(5, 20))
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == ["sun"]
    # 20 Sundays from 2024-01-07 to 2024-05-19 (the log's last date), events on 2; instants:
    # 20 weeks x 6 days x 4 events x 2 (start, end) = 960, and 2 x 2 on the Sundays: 4 of 964
    assert office["rest_days_with_work"] == {
        "sun": {"dates": 20, "dates_with_events": 2, "share_of_instants": round(4 / 964, 5)}
    }
    assert "(sun: 2 of 20 dates, 0.41% of the instants)" in office["note"]


def test_a_log_without_weekend_work_keeps_no_weekend_work(tmp_path):
    path = week_log(tmp_path / "log.csv", sundays=())
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == ["sun"]
    # no work on any of its 19 Sundays: nothing to state but the rest day
    assert "rest_days_with_work" not in office
    assert office["note"].endswith("under 50% of their dates (sun)")
