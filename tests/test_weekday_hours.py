"""Office hours by weekday in a calendar file (`[office_hours.weekdays]`): which hours each day
gets (a dated period over the weekday's, the weekday's over the default; a make-up working day
keeps the default), due instants on every clock path worked out by hand, located errors, and a
delay in working days weighed by the day's office minutes."""

from __future__ import annotations

import copy
import datetime as dt
import json

import numpy as np
import pytest

from slasim.calendar.units import datetime_to_minutes
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.case_clock import ClockBatch
from slasim.scenario.schema import Scenario

from .english import english_left
from .test_queue_engine import COVERED, assert_same_metrics, both_engines

MORNING = [("09:00", "12:00")]
CN_DAY = [("09:00", "12:00"), ("13:30", "17:30")]  # cn's default hours: 420 office minutes

SATURDAY_MORNINGS = """
name = "cn-sat"
extends = "cn"
weekend = ["sun"]
[office_hours.weekdays]
sat = [["09:00", "12:00"]]
"""


def write(tmp_path, text: str, name: str = "cal.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sat(tmp_path):
    return load_calendar(write(tmp_path, SATURDAY_MORNINGS))


def at(text: str) -> float:
    return datetime_to_minutes(dt.datetime.fromisoformat(text))


@pytest.mark.parametrize(
    "day, hours",
    [
        ("2025-10-17", CN_DAY),  # a Friday: the default
        ("2025-10-18", MORNING),  # an ordinary Saturday: its own hours
        # 2025-10-11 (Saturday) is a make-up working day in cn's 2025 notice (National Day):
        # worked as a weekday, with the default hours, not Saturday's
        ("2025-10-11", CN_DAY),
        # 2025-09-28 (Sunday) is the make-up day before National Day: the default hours
        ("2025-09-28", CN_DAY),
    ],
)
def test_each_day_gets_its_weekday_hours_and_a_make_up_day_the_default(sat, day, hours):
    assert sat.office_hours_on(dt.date.fromisoformat(day)) == hours


def test_ordinary_sunday_stays_a_rest_day(sat):
    assert not sat.is_working_day(dt.date(2025, 10, 19))


def test_a_dated_period_overrides_the_weekday_hours(tmp_path):
    text = SATURDAY_MORNINGS.replace(
        "[office_hours.weekdays]",
        '[office_hours]\nperiods = [{from = "2025-10-18", to = "2025-10-18", '
        'hours = [["10:00", "11:00"]]}]\n[office_hours.weekdays]',
    )
    cal = load_calendar(write(tmp_path, text))
    assert cal.office_hours_on(dt.date(2025, 10, 18)) == [("10:00", "11:00")]
    assert cal.office_hours_on(dt.date(2025, 10, 25)) == MORNING
    assert cal.office_hours_on(dt.date(2025, 10, 24)) == CN_DAY


# Due instants worked by hand on cn-sat (Saturday 09:00-12:00, Sunday off):
#   3wd from Wed 2025-10-15 11:00: day 1 Thu 16, day 2 Fri 17, day 3 Sat 18 -> Sat's close 12:00;
#   3wd from Fri 2025-10-17 11:00: Sat 18, Mon 20, Tue 21 -> 17:30;
#   2wh from Sat 2025-10-18 11:00: 11:00-12:00 (1 h), Mon 20 09:00-10:00 -> 10:00;
#   2wh from the make-up Saturday 2025-10-11 11:00: 11:00-12:00, 13:30-14:30 -> 14:30.
DUE = [
    ("2025-10-15T11:00", "3wd", "2025-10-18T12:00"),
    ("2025-10-17T11:00", "3wd", "2025-10-21T17:30"),
    ("2025-10-18T11:00", "2wh", "2025-10-20T10:00"),
    ("2025-10-11T11:00", "2wh", "2025-10-11T14:30"),
]


@pytest.mark.parametrize("start, limit, due", DUE)
def test_deadline_command_counts_the_weekday_hours(tmp_path, cli, start, limit, due):
    path = write(tmp_path, SATURDAY_MORNINGS)
    code, out, err = cli("deadline", start, limit, "--calendar", str(path))
    assert code == 0, err
    assert out.startswith(f"due {due}")


@pytest.mark.parametrize(
    "lang, line",
    [
        ("en", "office hours: 09:00–12:00 13:30–17:30; Sat 09:00–12:00"),
        ("zh", "办公时间：09:00–12:00 13:30–17:30；周六 09:00–12:00"),
    ],
)
def test_calendar_show_labels_a_weekdays_own_hours(tmp_path, cli, lang, line):
    # the default hours (cn's), then Saturday's own, named; JSON keeps the English label
    path = write(tmp_path, SATURDAY_MORNINGS)
    code, out, err = cli("--lang", lang, "calendar", "show", str(path), "--year", "2025")
    assert code == 0, err
    assert out.splitlines()[2] == line
    code, out, _ = cli("calendar", "show", str(path), "--year", "2025", "--json")
    assert json.loads(out)["office_hours"] == "09:00–12:00 13:30–17:30; Sat 09:00–12:00"


def test_explain_shows_the_saturday_counted(tmp_path, cli):
    path = write(tmp_path, SATURDAY_MORNINGS)
    code, out, _ = cli("deadline", "2025-10-15T11:00", "3wd", "--calendar", str(path), "--explain")
    assert code == 0
    assert "2025-10-18 Sat  counted (3)  ← due" in out


@pytest.mark.parametrize("start, limit, due", DUE)
def test_clock_batch_agrees(sat, start, limit, due):
    unit = limit[-2:]
    amount = float(limit[:-2]) * (60.0 if unit == "wh" else 1.0)
    batch = ClockBatch(sat, unit, np.array([at(start)]), np.array([amount]))
    assert batch.due()[0] == at(due)


def test_the_working_day_lookup_agrees_with_a_binary_search(sat):
    # every 7th minute over two weeks, the Saturdays' short days among them: grading's bucket
    # lookup gives the day a binary search over the days' first business minutes gives
    walls = np.arange(at("2025-10-13T00:00"), at("2025-10-27T00:00"), 7.0)
    business = sat.to_business_array(walls)
    expected = np.searchsorted(sat.bm_start, business, side="right") - 1
    np.testing.assert_array_equal(sat.day_of_business(business), expected)
    # a Saturday holds 180 office minutes (09:00-12:00), a weekday 420
    day = sat.day_of_business(sat.to_business_array(np.array([at("2025-10-18T10:00")])))[0]
    assert sat.day_minutes[day] == 180


def test_a_delay_in_working_days_weighs_a_day_by_its_office_minutes(sat):
    # one working day = the default day's 420 office minutes: from Fri 2025-10-17 17:00, 30 min
    # to Friday's close, 180 on Saturday, 180 on Monday morning, then 30 from 13:30 -> 14:00
    start = float(sat.to_business_array(np.array([at("2025-10-17T17:00")]))[0])
    assert sat.delay_day == 420.0
    end = sat.business_after(np.array([start]), np.array([1.0]), "wd")[0]
    assert sat.to_wall(end) == dt.datetime(2025, 10, 20, 14, 0)
    assert sat.business_after_one(start, 1.0, "wd") == end
    assert load_calendar("cn").delay_day is None  # without weekday hours: whole days, as before


@pytest.mark.parametrize(
    "text, where",
    [
        # Saturday is in cn's weekend: hours for it are refused, located at the weekday
        (SATURDAY_MORNINGS.replace('weekend = ["sun"]\n', ""), "office_hours.weekdays.sat"),
        (SATURDAY_MORNINGS.replace("sat =", "sab ="), "office_hours.weekdays"),
        (SATURDAY_MORNINGS.replace('"12:00"', '"08:00"'), "office_hours.weekdays"),
    ],
)
def test_bad_weekday_hours_give_one_located_line(tmp_path, cli, text, where):
    refused_in_one_located_line(cli, write(tmp_path, text), where)


def refused_in_one_located_line(cli, path, where: str) -> None:
    """A deadline on the calendar file at `path` is refused with one line located at `where`."""
    code, out, err = cli("deadline", "2025-10-15T11:00", "3wd", "--calendar", str(path))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}: {where}")
    assert "Traceback" not in err


def test_the_weekend_error_reads_in_chinese(tmp_path, cli):
    path = write(tmp_path, SATURDAY_MORNINGS.replace('weekend = ["sun"]\n', ""))
    code, _, err = cli(
        "--lang", "zh", "deadline", "2025-10-15T11:00", "3wd", "--calendar", str(path)
    )
    assert code == 2
    message = err.strip().split(": office_hours.weekdays.sat: ", 1)[1]
    # the weekday and the field names (sat, weekend, default) stay as written in the file
    assert english_left(message) == []
    assert "工作日" in message


def test_a_child_that_rests_a_day_drops_its_inherited_hours(tmp_path):
    # a child of the Saturday-morning calendar closing on Saturdays again: Saturday 2025-10-18 is
    # a rest day, Friday keeps cn's default hours, and the file loads (the parent's Saturday hours
    # are not the child's)
    parent = write(tmp_path, SATURDAY_MORNINGS, "cn-sat.toml")
    child = write(
        tmp_path,
        f'name = "cn-sat-closed"\nextends = "{parent}"\nweekend = ["sat", "sun"]\n',
        "cn-sat-closed.toml",
    )
    cal = load_calendar(str(child))
    assert cal.spec.weekday_hours == ()
    assert not cal.is_working_day(dt.date(2025, 10, 18))
    assert cal.office_hours_on(dt.date(2025, 10, 17)) == CN_DAY


@pytest.mark.parametrize("replication", [0, 1])
def test_both_engines_agree_on_a_calendar_with_weekday_hours(tmp_path, replication):
    """The queue path and the SimPy engine give the same results on cn-sat, with a Sunday of 90
    office minutes too (its working-day delays weighed by their office minutes)."""
    text = SATURDAY_MORNINGS.replace('weekend = ["sun"]', "weekend = []") + (
        'sun = [["10:00", "11:30"]]\n'
    )
    scenario = copy.deepcopy(COVERED)
    scenario["calendar"] = str(write(tmp_path, text))
    ours, theirs = both_engines(Scenario.model_validate(scenario), replication)
    assert ours["steps"]["permit/site-visit"]["visits"] > 0  # a delay in working days ran
    assert_same_metrics(ours, theirs)


def test_a_horizon_counts_working_days_whole_where_a_delay_weighs_them(sat):
    # forecast's horizon of 10 working days from Monday 2025-11-03 09:00: Mon-Sat (Saturday's
    # three hours a whole working day), then Mon-Thu: it ends at Thursday 11-13's close. A
    # simulated delay of 10 working days weighs Saturday as 180/420 of a day: it runs on
    # 240 office minutes more, to Friday 11-14 14:30 (09:00-12:00, 13:30-14:30)
    start = float(sat.to_business_array(np.array([at("2025-11-03T09:00")]))[0])
    assert sat.to_wall(sat.working_days_after_one(start, 10)) == dt.datetime(2025, 11, 13, 17, 30)
    assert sat.to_wall(sat.business_after_one(start, 10, "wd")) == dt.datetime(2025, 11, 14, 14, 30)
