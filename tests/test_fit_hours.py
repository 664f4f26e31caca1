"""The working week fitted from a log states its numbers: a weekday with rare work (events on 2 of
its 20 dates) becomes a working day of the few office minutes its share of the work amounts to,
at the hour its events fall, and one with work on a single date stays a rest day, the evidence
saying how rare, all worked out by hand; a rest day without work is only named; a weekday whose
hours clearly differ gets its own."""

from __future__ import annotations

import datetime as dt
import tomllib

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.hours import calendar_text, office_from_log, week_warning
from slasim.fit.log import read_log


def week_log(path, sundays: tuple[int, ...], per_sunday: int = 1, weeks: int = 20):
    """`weeks` weeks from Monday 2024-01-01: Monday to Saturday four 20-minute events from 10:00;
    `per_sunday` events on the Sunday of each week in `sundays` (1-20)."""
    lines, k = ["case,activity,start,end"], 0
    for week in range(weeks):
        for day in range(7):
            date = dt.datetime(2024, 1, 1, 10) + dt.timedelta(weeks=week, days=day)
            count = 4 if day < 6 else per_sunday * int(week + 1 in sundays)
            for j in range(count):
                t = date + dt.timedelta(minutes=30 * j)
                lines.append(f"c{k},a,{t.isoformat()},{(t + dt.timedelta(minutes=20)).isoformat()}")
                k += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def saturday_log(path):
    """20 weeks from Monday 2024-01-01: Monday to Friday one 20-minute event every half hour
    08:00-17:30 (ends by 17:50), Saturday 09:00-11:30 (ends by 11:50); Sundays off."""
    lines, k = ["case,activity,start,end"], 0
    for week in range(20):
        for day in range(6):
            first, last = (9, 12) if day == 5 else (8, 18)
            date = dt.datetime(2024, 1, 1) + dt.timedelta(weeks=week, days=day)
            for j in range(2 * (last - first)):
                t = date + dt.timedelta(hours=first, minutes=30 * j)
                lines.append(f"c{k},a,{t.isoformat()},{(t + dt.timedelta(minutes=20)).isoformat()}")
                k += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_weekday_with_rare_work_is_a_short_working_day_and_says_how_rare(tmp_path):
    path = week_log(tmp_path / "log.csv", sundays=(5, 20))
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == []
    # 20 Sundays from 2024-01-07 to 2024-05-19 (the log's last date), events on 2; instants:
    # 20 weeks x 6 days x 4 events x 2 (start, end) = 960 on 120 working dates (8 a date), and
    # 2 x 2 on the Sundays: 4 of 964, 0.2 a Sunday. The default hours hold the events of
    # 10:00-11:50: 10:00-12:00, 120 minutes; Sunday's office time 120 x 0.2 / 8 = 3 minutes,
    # from the half hour its events fall in (10:00)
    assert office["hours"] == [["10:00", "12:00"]]
    assert office["weekdays"] == {"sun": [["10:00", "10:03"]]}
    assert office["rare_working_days"] == {
        "sun": {
            "dates": 20,
            "dates_with_events": 2,
            "instants": 4,
            "share_of_instants": round(4 / 964, 5),
            "instants_per_date": 0.2,
            "working_days_instants_per_date": 8.0,
            "office_minutes": 3,
            "hours": [["10:00", "10:03"]],
        }
    }
    assert "rest_days_with_work" not in office
    assert (
        "sun: a rare working day (events on 2 of its 20 dates, 4 instants, 0.41%)"
        in (office["note"])
    )
    text = calendar_text("x-office", "always", office, "log.csv")
    spec = tomllib.loads(text)
    assert spec["weekend"] == []
    assert spec["office_hours"]["weekdays"] == {"sun": [["10:00", "10:03"]]}
    assert "periods" not in spec["office_hours"]  # it would override the weekday hours


def test_a_day_the_chosen_calendar_rests_is_never_a_working_day(tmp_path):
    # the same log on `weekdays` (Saturday and Sunday rest, as on a Chinese calendar): Saturday,
    # worked every week, is a rest day the office opens (office time no limit counts), with the
    # hours its 20 x 4 events of 10:00-11:50 fall in; Sunday's work on 2 of 20 dates (overtime)
    # does not open it, nor make it a rare working day (a legal limit would count it whole)
    path = week_log(tmp_path / "log.csv", sundays=(5, 20))
    cal = load_calendar("weekdays")
    office = office_from_log(read_log(path, cal), cal)
    assert office["weekend"] == ["sat", "sun"]
    assert office["rest_days"] == {"sat": [["10:00", "12:00"]]}
    assert office["by_rest_day"]["sat"] == {
        "instants": 160,
        "dates": 20,
        "dates_with_events": 20,
        "hours": "10:00–12:00",
    }
    assert "rare_working_days" not in office
    assert office["rest_days_with_work"] == {
        "sun": {"dates": 20, "dates_with_events": 2, "share_of_instants": round(4 / 964, 5)}
    }
    assert "sun" not in office.get("weekdays", {})
    assert "sat: a rest day the office opens (events on 20 of its 20 dates" in office["note"]
    assert week_warning(office, cal) is None  # the week's working days are the calendar's
    spec = tomllib.loads(calendar_text("x-office", "weekdays", office, "log.csv"))
    assert spec["weekend"] == ["sat", "sun"]
    assert spec["office_hours"]["rest_days"] == {"sat": [["10:00", "12:00"]]}


def days_log(path, days: range):
    """20 weeks from Monday 2024-01-01, events on the given weekdays only (0 Monday): 4 a day,
    10:00-11:50."""
    lines, k = ["case,activity,start,end"], 0
    for week in range(20):
        for day in days:
            date = dt.datetime(2024, 1, 1, 10) + dt.timedelta(weeks=week, days=day)
            for j in range(4):
                t = date + dt.timedelta(minutes=30 * j)
                lines.append(f"c{k},a,{t.isoformat()},{(t + dt.timedelta(minutes=20)).isoformat()}")
                k += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_weekday_the_log_never_works_is_rested_and_warned_about(tmp_path):
    # events Tuesday to Friday only on `weekdays`: Monday, a working day of the chosen calendar,
    # has events on none of its dates, so the fitted week rests it, and a limit in working days
    # on the fitted scenario would skip it: said
    path = days_log(tmp_path / "log.csv", range(1, 5))
    cal = load_calendar("weekdays")
    office = office_from_log(read_log(path, cal), cal)
    assert office["weekend"] == ["mon", "sat", "sun"]
    assert "rest_days" not in office
    warning = str(week_warning(office, cal))
    assert warning.startswith("the office week fitted from the log rests mon, which calendar ")
    assert "weekdays works" in warning


def test_work_on_a_single_date_stays_a_rest_day_and_says_how_rare(tmp_path):
    path = week_log(tmp_path / "log.csv", sundays=(5,))
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == ["sun"]
    assert "weekdays" not in office
    # 960 instants Monday to Saturday and 2 on one Sunday: 2 of 962; the log ends on the 20th
    # Saturday, so it spans 19 Sundays
    assert office["rest_days_with_work"] == {
        "sun": {"dates": 19, "dates_with_events": 1, "share_of_instants": round(2 / 962, 5)}
    }
    assert "(sun: 1 of 19 dates, 0.21% of the instants)" in office["note"]


def test_work_on_under_one_in_twenty_of_its_dates_stays_a_rest_day(tmp_path):
    # 2 of 50 Sundays (4 %, under RARE_MIN_SHARE's 5 %): one-offs, not a rare working day
    path = week_log(tmp_path / "log.csv", sundays=(5, 50), weeks=50)
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == ["sun"]
    assert office["rest_days_with_work"]["sun"]["dates"] == 50
    assert office["rest_days_with_work"]["sun"]["dates_with_events"] == 2


def test_sundays_worked_as_whole_days_stay_rest_days(tmp_path):
    # two Sundays worked like any other day (make-up days the chosen calendar does not know):
    # 8 instants on each, a whole working day's 8, not rare work
    path = week_log(tmp_path / "log.csv", sundays=(5, 20), per_sunday=4)
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == ["sun"]
    assert "weekdays" not in office
    assert office["rest_days_with_work"]["sun"]["dates_with_events"] == 2


def test_a_saturday_with_shorter_hours_gets_its_own(tmp_path):
    """The Saturday log (`saturday_log`): Saturday's hours are 3 of the other days' 10."""
    path = saturday_log(tmp_path / "log.csv")
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    # Monday to Friday: 20 x 2 instants a day in 08:00-18:00 (the 98 % run of half hours of all
    # instants); Saturday's 6 x 2 a day all fall 09:00-12:00: three hours shorter, its own
    assert office["hours"] == [["08:00", "18:00"]]
    assert office["weekend"] == ["sun"]
    assert office["weekdays"] == {"sat": [["09:00", "12:00"]]}
    assert office["by_weekday"]["sat"] == {
        "instants": 20 * 12,
        "dates": 20,
        "dates_with_events": 20,
        "hours": "09:00–12:00",
        "outside_default": 0.0,  # all inside 08:00-18:00: its hours differ by being 3/10 as long
    }
    assert office["by_weekday"]["mon"]["hours"] == "08:00–18:00"
    assert "sat: 98% of its 240 instants fall 09:00–12:00" in office["note"]
    cal_path = tmp_path / "x-office.toml"
    cal_path.write_text(calendar_text("x-office", "always", office, "log.csv"), encoding="utf-8")
    cal = load_calendar(cal_path)
    assert cal.office_hours_on(dt.date(2024, 1, 6)) == [("09:00", "12:00")]
    assert cal.office_hours_on(dt.date(2024, 1, 5)) == [("08:00", "18:00")]
    assert not cal.is_working_day(dt.date(2024, 1, 7))


def test_a_log_without_weekend_work_keeps_no_weekend_work(tmp_path):
    path = week_log(tmp_path / "log.csv", sundays=())
    office = office_from_log(read_log(path, load_calendar("always")), load_calendar("always"))
    assert office["weekend"] == ["sun"]
    # no work on any of its 19 Sundays: nothing to state but the rest day
    assert "rest_days_with_work" not in office
    assert office["note"].endswith("under 50% of their dates (sun)")


def test_a_saturday_service_s_hours_come_from_its_ordinary_dates_not_make_up_days():
    # two years on `cn`: weekdays and 调休 make-up days worked 09:00-12:00 and 13:30-17:30, ordinary
    # Saturdays 09:00-12:00 only. Saturday stays a rest day in law, one the office opens. The
    # make-up Saturdays (worked as weekdays) are 1 in 8 of the Saturday instants and would
    # stretch Saturday's 98 % run to the afternoon; read from its ordinary dates, Saturday keeps
    # its morning
    import numpy as np

    from slasim.calendar.units import date_to_day
    from slasim.fit.log import Events

    cal = load_calendar("cn")
    rng = np.random.default_rng(1)
    starts, day = [], dt.date(2024, 1, 1)
    while day <= dt.date(2025, 12, 31):
        kind = cal.day_info(day).kind
        if cal.is_working_day(day) and (day.weekday() < 5 or kind == "makeup"):
            minutes = np.concatenate([rng.uniform(540, 720, 17), rng.uniform(810, 1050, 23)])
        elif day.weekday() == 5 and kind == "weekend":
            minutes = rng.uniform(540, 720, 15)
        else:
            minutes = np.array([])
        starts.extend(date_to_day(day) * 1440 + np.floor(minutes))
        day += dt.timedelta(days=1)
    start = np.array(starts, float)
    same = lambda v: np.array([v] * len(start), dtype=object)  # noqa: E731
    events = Events(
        "syn",
        same("c"),
        same("a"),
        same(""),
        same(""),
        same(""),
        start,
        start + 1,
        np.zeros(len(start), bool),
    )
    office = office_from_log(events, cal)
    assert office["weekend"] == ["sat", "sun"]
    assert office["rest_days"] == {"sat": [["09:00", "12:00"]]}
    assert "weekdays" not in office


def test_a_parent_s_weekday_hours_give_way_to_the_fitted_default(tmp_path):
    """The Saturday log above fitted over a calendar whose Friday closes at 12:00: the log's
    Fridays run 08:00-18:00 like the other days, so the fitted calendar (a child, which keeps a
    parent's weekday hours unless it names the weekday) names Friday with the fitted default."""
    path = saturday_log(tmp_path / "log.csv")
    parent = tmp_path / "short-friday.toml"
    parent.write_text(
        'name = "short-friday"\nextends = "always"\n[office_hours]\n'
        'default = [["08:00", "18:00"]]\nweekdays = {fri = [["08:00", "12:00"]]}\n',
        encoding="utf-8",
    )
    cal = load_calendar(parent)
    office = office_from_log(read_log(path, cal), cal)
    assert office["weekdays"] == {"sat": [["09:00", "12:00"]]}
    fitted = tmp_path / "x-office.toml"
    fitted.write_text(calendar_text("x-office", str(parent), office, "log.csv"), encoding="utf-8")
    spec = tomllib.loads(fitted.read_text(encoding="utf-8"))
    assert spec["office_hours"]["weekdays"] == {
        "fri": [["08:00", "18:00"]],
        "sat": [["09:00", "12:00"]],
    }
    child = load_calendar(fitted)
    assert child.office_hours_on(dt.date(2024, 1, 5)) == [("08:00", "18:00")]  # a Friday
    assert child.office_hours_on(dt.date(2024, 1, 6)) == [("09:00", "12:00")]
    # without the fix the Friday kept the parent's morning
    assert cal.office_hours_on(dt.date(2024, 1, 5)) == [("08:00", "12:00")]


def test_a_rest_day_the_chosen_calendar_opens_and_the_log_never_works_is_closed_again(tmp_path):
    # events Monday to Friday only, fitted over the Saturday-service calendar (cn, Saturdays
    # 09:00-12:00): the log (2024-01-01..05-17) spans 19 Saturdays, 18 of them rest days (05-11
    # is a make-up working day), and works none, so the fitted calendar closes them again
    # (`sat = []`), and says so
    path = days_log(tmp_path / "log.csv", range(0, 5))
    cal = load_calendar("cn-example-saturday")
    office = office_from_log(read_log(path, cal), cal)
    assert office["weekend"] == ["sat", "sun"]
    assert office["rest_days"] == {"sat": []}
    assert (
        "sat: calendar cn-example-saturday opens the office on it, the log works it on 0 of its "
        "18 dates: closed"
    ) in office["note"]
    fitted = tmp_path / "x-office.toml"
    fitted.write_text(calendar_text("x-office", "cn-example-saturday", office, "log.csv"), "utf-8")
    assert tomllib.loads(fitted.read_text("utf-8"))["office_hours"]["rest_days"] == {"sat": []}
    closed = load_calendar(fitted)
    assert not closed.rest_days_open and closed.office_hours_on(dt.date(2024, 3, 2)) == []
