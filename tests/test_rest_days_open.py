"""Rest days the office opens (`[office_hours.rest_days]`, a Saturday service): office time, but
not working days. Which days open, due instants worked out by hand on every clock path, the legal
clock equal to the closed calendar's wherever the case is accepted on a working day, and located
errors."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.calendar.units import datetime_to_minutes, minutes_to_iso
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.case_clock import ClockBatch

from .test_weekday_hours import CN_DAY, MORNING, at, refused_in_one_located_line, write

SATURDAY_SERVICE = """
name = "cn-saturday-service"
extends = "cn"
[office_hours.rest_days]
sat = [["09:00", "12:00"]]
"""


@pytest.fixture
def sat(tmp_path):
    return load_calendar(write(tmp_path, SATURDAY_SERVICE))


@pytest.mark.parametrize(
    "day, hours, working",
    [
        ("2025-10-17", CN_DAY, True),  # a Friday
        ("2025-10-18", MORNING, False),  # an ordinary Saturday: open, a rest day still
        ("2025-10-19", [], False),  # Sunday: closed
        # 2025-10-04 (Saturday) is in the National Day holiday (cn's 2025 notice): closed
        ("2025-10-04", [], False),
        # 2025-10-11 (Saturday) is a make-up working day (调休): a working day, default hours
        ("2025-10-11", CN_DAY, True),
        # 2024's breaks, where the country's data names only the weekdays: Spring Festival
        # (02-10..17), Dragon Boat (06-08..10, a Monday holiday) and National Day (10-01..07)
        # hold these Saturdays, closed; an ordinary Saturday of 2024 opens
        ("2024-02-17", [], False),
        ("2024-06-08", [], False),
        ("2024-10-05", [], False),
        ("2024-03-02", MORNING, False),
    ],
)
def test_which_days_open_and_which_count(sat, day, hours, working):
    date = dt.date.fromisoformat(day)
    assert sat.office_hours_on(date) == hours
    assert sat.is_working_day(date) is working


def test_working_days_are_the_closed_calendars(sat):
    cn = load_calendar("cn")
    np.testing.assert_array_equal(sat.work_days, cn.work_days)
    assert sat.add_working_days(dt.date(2025, 10, 17), 1) == dt.date(2025, 10, 20)


# Due instants worked by hand (cn, plus Saturdays 09:00-12:00 that count no limit):
#   1wd accepted Fri 2025-10-17 10:00: day 1 is Mon 20 -> its close 17:30 (as on cn);
#   1wd accepted Sat 2025-10-18 10:00: the Saturday is the day not counted (Art. 201), day 1 is
#     Mon 20 -> 17:30 (on cn the office is shut: accepted Mon 09:00, day 1 Tue 21);
#   1wd received Fri 2025-10-17 18:00: accepted at the next opening, Sat 09:00 -> Mon 20 17:30;
#   4wh accepted Fri 2025-10-17 16:00: 16:00-17:30 (1.5 h), Mon 09:00-11:30 -> Mon 11:30 (the
#     Saturday's hours are not working hours);
#   2wh accepted Sat 2025-10-18 10:00: counted from Monday's opening -> Mon 11:00;
#   3wd accepted Wed 2025-10-15 11:00: Thu 16, Fri 17, Mon 20 (not Sat 18) -> Mon 17:30.
DUE = [
    ("2025-10-17T10:00", "1wd", "2025-10-20T17:30", "2025-10-20T17:30"),
    ("2025-10-18T10:00", "1wd", "2025-10-20T17:30", "2025-10-21T17:30"),
    ("2025-10-17T18:00", "1wd", "2025-10-20T17:30", "2025-10-21T17:30"),
    ("2025-10-17T16:00", "4wh", "2025-10-20T11:30", "2025-10-20T11:30"),
    ("2025-10-18T10:00", "2wh", "2025-10-20T11:00", "2025-10-20T11:00"),
    ("2025-10-15T11:00", "3wd", "2025-10-20T17:30", "2025-10-20T17:30"),
]


@pytest.mark.parametrize("start, limit, due, due_cn", DUE)
def test_deadline_command(tmp_path, cli, start, limit, due, due_cn):
    path = write(tmp_path, SATURDAY_SERVICE)
    code, out, err = cli("deadline", start, limit, "--calendar", str(path))
    assert code == 0, err
    assert out.startswith(f"due {due}")
    code, out, err = cli("deadline", start, limit, "--calendar", "cn")
    assert code == 0, err
    assert out.startswith(f"due {due_cn}")


@pytest.mark.parametrize("start, limit, due, _", DUE)
def test_clock_batch_agrees(sat, start, limit, due, _):
    unit = limit[-2:]
    amount = float(limit[:-2]) * (60.0 if unit == "wh" else 1.0)
    batch = ClockBatch(sat, unit, np.array([at(start)]), np.array([amount]))
    assert minutes_to_iso(batch.due()[0]) == due


WEEKS = (at("2025-11-03T00:00"), at("2026-06-01T00:00"))  # no holiday Saturday in between


@settings(max_examples=150, deadline=None)
@given(
    wall=st.floats(*WEEKS, allow_nan=False),
    amount=st.integers(0, 40),
    unit=st.sampled_from(["wd", "wh"]),
)
def test_the_legal_clock_is_the_closed_calendars_on_working_days(
    tmp_path_factory, wall, amount, unit
):
    """Accepted on a working day (or on a rest day the office keeps shut), every limit falls due
    when it would on cn. Accepted on an open Saturday, it falls due as if accepted on the working
    day before it (that Saturday is the day not counted, and counts nothing)."""
    sat = load_calendar(write(tmp_path_factory.mktemp("c"), SATURDAY_SERVICE))
    cn = load_calendar("cn")
    minutes = float(amount) * (60.0 if unit == "wh" else 1.0)
    ours = ClockBatch(sat, unit, np.array([wall]), np.array([minutes])).due()[0]
    business = float(sat.to_business_array(np.array([wall]))[0])
    accepted = float(sat.to_wall_array(np.array([business]), side="right")[0])  # at an opening
    day = dt.date(1970, 1, 1) + dt.timedelta(days=int(accepted // 1440))
    on_saturday = bool(sat.on_open_rest_day(np.array([accepted]))[0])
    if not on_saturday:
        theirs = ClockBatch(cn, unit, np.array([wall]), np.array([minutes])).due()[0]
    elif unit == "wd":  # as accepted on the Friday before: day 1 is the Monday
        friday = datetime_to_minutes(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(10)))
        theirs = ClockBatch(cn, unit, np.array([friday]), np.array([minutes])).due()[0]
    else:  # hours count from Monday's opening: as on cn, where the office is shut till then
        theirs = ClockBatch(cn, unit, np.array([accepted]), np.array([minutes])).due()[0]
    assert minutes_to_iso(ours) == minutes_to_iso(theirs)


def test_a_business_instant_on_an_open_saturday_holds_mondays_position(sat):
    cn = load_calendar("cn")
    walls = np.array([at(t) for t in ("2025-10-18T09:00", "2025-10-18T11:59", "2025-10-20T09:00")])
    ours = sat.business_to_day_position(sat.to_business_array(walls))
    theirs = cn.business_to_day_position(cn.to_business_array(walls))
    np.testing.assert_array_equal(ours, theirs)
    # Saturday's three office hours are business time: 180 minutes between Friday's close and
    # Monday's opening (none on cn)
    closes = sat.to_business_array(np.array([at("2025-10-17T17:30"), at("2025-10-20T09:00")]))
    assert closes[1] - closes[0] == 180.0
    # a whole position: Friday's close on the left, Monday's opening on the right
    monday = theirs[2]
    assert sat.to_wall(float(sat.day_position_to_business(monday))) == dt.datetime(
        2025, 10, 17, 17, 30
    )
    right = sat.day_position_to_business(monday, side="right")
    assert sat.to_wall(float(right), side="right") == dt.datetime(2025, 10, 20, 9, 0)


def test_a_delay_in_working_days_skips_the_open_saturday(sat):
    # 1 working day from Friday 2025-10-17 12:00 (its 180th office minute): Monday 12:00, as on cn
    start = float(sat.to_business_array(np.array([at("2025-10-17T12:00")]))[0])
    end = sat.business_after(np.array([start]), np.array([1.0]), "wd")[0]
    assert sat.to_wall(end) == dt.datetime(2025, 10, 20, 12, 0)
    assert sat.business_after_one(start, 1.0, "wd") == end
    assert sat.working_days_after_one(start, 1.0) == end


@pytest.mark.parametrize(
    "text, where",
    [
        # Friday is a working weekday: its hours go in office_hours.weekdays
        (SATURDAY_SERVICE.replace("sat =", "fri ="), "office_hours.rest_days.fri"),
        (SATURDAY_SERVICE.replace("sat =", "sab ="), "office_hours.rest_days"),
        (SATURDAY_SERVICE.replace('"12:00"', '"08:00"'), "office_hours.rest_days"),
    ],
)
def test_bad_rest_day_hours_give_one_located_line(tmp_path, cli, text, where):
    refused_in_one_located_line(cli, write(tmp_path, text), where)


def test_a_child_that_works_the_day_drops_its_rest_day_hours(tmp_path):
    parent = write(tmp_path, SATURDAY_SERVICE, "parent.toml")
    child = write(
        tmp_path, f'name = "six-days"\nextends = "{parent}"\nweekend = ["sun"]\n', "child.toml"
    )
    cal = load_calendar(str(child))
    assert cal.spec.rest_day_hours == ()
    assert cal.is_working_day(dt.date(2025, 10, 18))
    assert cal.office_hours_on(dt.date(2025, 10, 18)) == CN_DAY


# A centre on the illustrative Saturday-service calendar (calendars/cn-example-saturday.toml):
# ten working days from Monday 2025-11-03, so its office days are those ten and the Saturdays
# 11-08 and 11-15 (the period runs to the next working day's start, Monday 11-17).
SATURDAY_CENTRE = {
    "name": "saturday-centre",
    "calendar": "cn-example-saturday",
    "start": "2025-11-03",
    "working_days": 10,
    "warmup_days": 0,
    "seed": 3,
    "departments": {"window": {"staff": 2}},
    "services": {
        "permit": {
            "limits": {"promised": "5wd", "legal": "20wd"},
            "arrivals": {"per_day": 10},
            "steps": [{"step": "review", "department": "window", "work": {"fixed": 42}}],
        }
    },
}


def saturday_plan(**arrivals):
    from slasim.scenario.plan import compile_plan
    from slasim.scenario.schema import Scenario

    data = {**SATURDAY_CENTRE, "services": {"permit": {**SATURDAY_CENTRE["services"]["permit"]}}}
    data["services"]["permit"]["arrivals"] = {"per_day": 10, **arrivals}
    return compile_plan(Scenario.model_validate(data))


def test_the_period_holds_the_open_saturdays():
    plan = saturday_plan()
    days = [str(d) for d in plan.office_days.astype("datetime64[D]")]
    assert len(days) == 12 and days[0] == "2025-11-03" and days[-1] == "2025-11-15"
    assert {"2025-11-08", "2025-11-15"} <= set(days) and "2025-11-09" not in days
    assert plan.end_day - plan.start_day == 10  # ten working days: the limits' count


def test_receipts_per_office_day_with_a_saturday_factor():
    from slasim.sim.workload import cases_per_replication

    # per_day is per office day: 12 office days x 10 = 120; with Saturdays at a quarter,
    # 10 x 10 + 2 x 2.5 = 105
    assert cases_per_replication(saturday_plan()) == 120.0
    assert cases_per_replication(saturday_plan(weekday={"sat": 0.25})) == 105.0


def test_receipts_come_on_open_saturdays_within_their_hours():
    from slasim.sim.arrivals import service_arrivals

    plan = saturday_plan()
    rng = np.random.default_rng(3)
    times, _ = service_arrivals(plan, plan.services[0], lambda block: rng)
    walls = plan.calendar.to_wall_array(times, side="right")
    days = np.floor(walls / 1440).astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    saturday = walls[weekday == 5] % 1440
    assert len(saturday) > 0 and saturday.min() >= 9 * 60 and saturday.max() < 12 * 60
    assert not (weekday == 6).any()  # Sunday: closed


def test_offered_load_counts_the_saturday_work_over_office_minutes():
    from slasim.staffing.load import offered_load

    # 120 receipts x 42 minutes = 5,040 minutes of work over 10 x 420 + 2 x 180 = 4,560 office
    # minutes: 1.105 staff
    assert offered_load(saturday_plan())["window"] == pytest.approx(5040 / 4560)


def test_a_simulated_case_received_on_saturday_counts_from_monday():
    """One receipt, Saturday 2025-11-08 at 10:30 (`even`: one a day, mid-morning, on Saturdays
    only), accepted on receipt, 400 minutes of work: 10:30-12:00 that Saturday (90), Monday
    09:00-12:00 (180) and 13:30-15:40 (130): done Monday 15:40. Its promised 6wh count working
    hours only, from Monday's opening: 09:00-12:00, 13:30-16:30, due 16:30, on time (with
    Saturday's hours counted it would be due at 15:00, past). Its lead time in working days:
    Saturday holds Monday's start, so 310 of Monday's 420 office minutes, 0.738."""
    from slasim.scenario.schema import Scenario
    from slasim.sim.runner import run_scenario

    data = {**SATURDAY_CENTRE, "working_days": 6}  # to Tuesday 11-11
    days = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), 0)
    data["services"] = {
        "permit": {
            "limits": {"promised": "6wh", "legal": "1wd"},
            "acceptance": "receipt",
            "arrivals": {"per_day": 1, "pattern": "even", "weekday": days},
            "steps": [{"step": "review", "department": "window", "work": {"fixed": 400}}],
        }
    }
    permit = run_scenario(Scenario.model_validate(data), replications=1, workers=1)["services"][
        "permit"
    ]
    assert permit["arrived"]["mean"] == 1.0 and permit["decided"]["mean"] == 1.0
    assert permit["on_time_promised"]["mean"] == 1.0 and permit["on_time_legal"]["mean"] == 1.0
    assert permit["lead_time_wd_mean"]["mean"] == pytest.approx(310 / 420, abs=1e-3)


def test_a_period_starting_on_an_open_saturday_measures_it():
    """Three working days from Saturday 2025-11-08, no warm-up: the office days are that
    Saturday, Monday, Tuesday and Wednesday, each with 20 even receipts: 80 measured (the
    Saturday is not a warm-up)."""
    from slasim.scenario.schema import Scenario
    from slasim.sim.runner import run_scenario

    data = {**SATURDAY_CENTRE, "start": "2025-11-08", "working_days": 3}
    data["services"] = {
        "permit": {
            **SATURDAY_CENTRE["services"]["permit"],
            "arrivals": {"per_day": 20, "pattern": "even"},
            "steps": [{"step": "review", "department": "window", "work": {"fixed": 10}}],
        }
    }
    result = run_scenario(Scenario.model_validate(data), replications=1, workers=1)
    assert result["period"]["first_day"] == "2025-11-08"
    assert result["services"]["permit"]["arrived"]["mean"] == 80.0


def test_a_fitted_idle_wait_in_working_days_leaves_out_the_open_saturday(tmp_path):
    """A case's step a ends Friday 2025-11-07 at 12:00; step b, another handler's, starts Monday
    11-10 at 12:00. The wait in office minutes: Friday 13:30-17:30 (240), Saturday 09:00-12:00
    (180), Monday 09:00-12:00 (180) = 600; in working minutes, as a wait in working days is
    replayed, without the Saturday: 420, one working day (on cn both are 420)."""
    from slasim.fit.log import read_log
    from slasim.fit.waits import unexplained_waits

    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,resource,start,end\n"
        "c1,a,h1,2025-11-07T11:00,2025-11-07T12:00\n"
        "c1,b,h2,2025-11-10T12:00,2025-11-10T12:30\n"
        "c2,a,h1,2025-11-11T10:00,2025-11-11T10:30\n",  # a second case: a log to read
        encoding="utf-8",
    )
    for calendar, office in (("cn-example-saturday", 600.0), ("cn", 420.0)):
        cal = load_calendar(calendar)
        waits = unexplained_waits(read_log(path, cal), cal)
        assert waits[1].tolist() == [office, 0.0, 420.0]


def test_calendar_show_counts_the_open_saturdays(cli):
    # 2025 has 52 Saturdays; cn's 2025 notice rests 5 of them in holidays (02-01, 04-05, 05-03,
    # 05-31, 10-04) and works 2 as make-up days (02-08, 10-11): 45 open rest days
    code, out, err = cli("calendar", "show", "cn-example-saturday", "--year", "2025")
    assert code == 0, err
    assert out.splitlines()[3] == (
        "open on 45 rest days: Sat 09:00–12:00 (office time; no limit in working days or "
        "working hours counts them)"
    )
    code, out, _ = cli("calendar", "show", "cn-example-saturday", "--year", "2025", "--json")
    data = json.loads(out)
    assert (data["rest_day_hours"], data["open_rest_days"]) == ("Sat 09:00–12:00", 45)
    assert data["working_days"] == 248  # cn's 2025 working days: the Saturdays add none
    code, out, _ = cli("calendar", "show", "cn", "--year", "2025", "--json")
    assert json.loads(out)["working_days"] == 248 and json.loads(out)["open_rest_days"] == 0


def test_a_child_closes_its_parent_s_open_saturdays_with_no_hours(tmp_path):
    child = write(
        tmp_path,
        'name = "c"\nextends = "cn-example-saturday"\n[office_hours.rest_days]\nsat = []\n',
    )
    cal = load_calendar(child)
    assert not cal.rest_days_open and cal.office_hours_on(dt.date(2025, 10, 18)) == []


def test_receipts_taken_whole_on_open_saturdays_are_warned_about(tmp_path, cli):
    """Each open Saturday takes a working day's `per_day` unless a `sat` factor says otherwise:
    a planner moving a scenario onto such a calendar is told, once per service."""
    lines = saturday_plan().rest_day_receipts()
    assert lines == [
        "services.permit.arrivals: calendar 'cn-example-saturday' opens the office on rest days "
        "(sat), and each takes the whole per_day of a working day: give weekday.sat the share of "
        "a working day's applications they see"
    ]
    assert saturday_plan(weekday={"sat": 0.3}).rest_day_receipts() == []
    code, _, err = cli("run", "minimal", "--set", "calendar=cn-example-saturday", "--reps", "1")
    assert code == 0 and "give weekday.sat the share" in err
    code, _, err = cli("run", "minimal", "--reps", "1")
    assert code == 0 and "weekday.sat" not in err


@pytest.mark.parametrize("calendar", ["cn-example-saturday", "nl"])
def test_the_opening_lookup_equals_moving_into_office_hours(tmp_path, calendar):
    """Whether an acceptance's next opening falls on an open rest day, looked up from each day's
    close, is what moving the instant into office hours says: on the shipped Saturday service,
    and on `nl` with Saturday and Sunday open 01:00-04:00 (the hour its clocks change), at random
    whole minutes and at every opening and close."""
    if calendar == "nl":
        text = 'name = "x"\nextends = "nl"\n[office_hours.rest_days]\n'
        text += 'sat = [["01:00", "04:00"]]\nsun = [["01:00", "04:00"]]\n'
        calendar = write(tmp_path, text)
    cal = load_calendar(calendar)
    rng = np.random.default_rng(5)
    days = rng.integers(at("2015-01-01T00:00") // 1440, at("2025-12-31T00:00") // 1440, 200_000)
    clocks = np.concatenate(
        [
            np.floor(rng.uniform(0, 1440, 100_000)),
            np.tile([60, 240, 540, 720, 810, 1050], 100_000 // 6 + 1)[:100_000],
        ]
    )
    walls = days * 1440.0 + clocks
    moved = cal.to_wall_array(cal.to_business_array(walls), side="right")
    np.testing.assert_array_equal(cal.opens_on_rest_day(walls), cal.on_open_rest_day(moved))
    assert cal.opens_on_rest_day(walls).sum() > 1000
