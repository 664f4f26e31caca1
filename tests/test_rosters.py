"""Weekly rosters (`departments.X.roster`): compiled onto the business axis, run alike by the three
engines, the work in hand finished when staff leave, the mean staff counted by roster hours.
Every expected figure is worked out by hand from the calendar's office hours."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from slasim.calendar.units import MINUTES_PER_DAY, date_to_day
from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
from slasim.fit.rosters import fit_roster
from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Department, Scenario
from slasim.sim.queue_engine import unsupported
from slasim.sim.runner import replication_metrics, run_scenario
from slasim.staffing.load import mean_staff, overloaded

from .test_queue_engine import assert_same_metrics


def desk_scenario(
    roster: list, work: float, *, staff: int = 1, working_days: int = 5, **dept
) -> Scenario:
    """One clerk on the `weekdays` calendar (Mon-Fri 09:00-17:00, UTC) and four receipts a day,
    evenly spaced: 10:00, 12:00, 14:00, 16:00 (480 office minutes × 1/8, 3/8, 5/8, 7/8)."""
    return Scenario.model_validate(
        {
            "name": "roster",
            "calendar": "weekdays",
            "start": "2025-03-03",  # a Monday
            "working_days": working_days,
            "seed": 1,
            "departments": {"clerk": {"staff": staff, "roster": roster, **dept}},
            "services": {
                "permit": {
                    "limits": "5wd",
                    "arrivals": {"per_day": 4, "pattern": "even"},
                    "steps": [{"step": "handle", "department": "clerk", "work": {"fixed": work}}],
                }
            },
        }
    )


def all_engines(scenario: Scenario) -> dict:
    """The metrics of replication 0 on each engine, checked equal to SimPy's."""
    plan = compile_plan(scenario)
    assert unsupported(plan) is None  # a roster keeps a plain desk on the queue path
    runs = {e: replication_metrics(plan, 0, scenario.seed, engine=e) for e in ENGINES}
    for engine in ("fcfs", "events"):
        assert_same_metrics(runs[engine], runs["simpy"])
    return runs["simpy"]


ENGINES = ("fcfs", "events", "simpy")
LUNCH_OFF = [{"days": "mon-fri", "from": "11:00", "to": "13:00", "staff": 0}]


def test_cases_wait_while_no_one_is_on_duty():
    # 50 minutes each. 10:00 → 10:50. 12:00: nobody until 13:00, then 13:00 → 13:50. 14:00 →
    # 14:50, 16:00 → 16:50. One wait of 60 minutes a day, 20 visits in the week.
    out = all_engines(desk_scenario(LUNCH_OFF, 50))
    step = out["steps"]["permit/handle"]
    assert step["visits"] == 20
    assert step["wait_hours_mean"] == pytest.approx(5 * 60 / 60 / 20)
    # On duty 360 of 480 minutes a day; busy 200 of them.
    desk = out["departments"]["clerk"]
    assert desk["staff_mean"] == pytest.approx(360 / 480)
    assert desk["utilisation"] == pytest.approx(200 / 360)


def test_a_clerk_leaving_finishes_the_case_in_hand():
    # 80 minutes each. The 10:00 case runs to 11:20 although the band with no staff begins at
    # 11:00 (no case is interrupted). 12:00 waits to 13:00 (60), done 14:20; 14:00 waits to 14:20
    # (20), done 15:40; 16:00 runs past the close to 09:20 the next day, before its 10:00 case.
    out = all_engines(desk_scenario(LUNCH_OFF, 80))
    step = out["steps"]["permit/handle"]
    # Friday's 16:00 case ends after the period: 19 visits done, each day's two waits counted.
    assert step["visits"] == 19
    assert step["wait_hours_mean"] == pytest.approx(5 * 80 / 60 / 19)


def test_more_staff_in_a_band_serve_cases_together():
    # 150 minutes each over two days (Mon, Tue). One clerk: 10:00 → 12:30; 12:00 waits 30 → 15:00;
    # 14:00 waits 60 → 17:30 = Tue 09:30; 16:00 waits 90 → Tue 12:00; Tue 10:00 waits 120 → 14:30;
    # Tue 12:00 ends at the period's end: 5 visits done, 300 minutes of waiting.
    single = all_engines(desk_scenario([], 150, working_days=2))["steps"]["permit/handle"]
    assert single["visits"] == 5 and single["wait_hours_mean"] == pytest.approx(300 / 60 / 5)
    # Two clerks 09:00-13:00: 10:00 → 12:30 (A); 12:00 → 14:30 (B); at 13:00 A, free, leaves;
    # 14:00 waits 30 for B → 17:00; 16:00 waits 60 to the Tue opening (A back) → 11:30; Tue 10:00
    # and 12:00 start at once; Tue 14:00 ends at the period's end: 6 visits, 90 minutes.
    morning = [{"days": "mon-fri", "from": "09:00", "to": "13:00", "staff": 2}]
    out = all_engines(desk_scenario(morning, 150, working_days=2))
    double = out["steps"]["permit/handle"]
    assert double["visits"] == 6 and double["wait_hours_mean"] == pytest.approx(90 / 60 / 6)
    assert out["departments"]["clerk"]["staff_mean"] == pytest.approx((240 * 2 + 240) / 480)


def test_a_band_counts_only_its_office_minutes_and_dated_changes_override_it():
    # `cn` hours 09:00-12:00 and 13:30-17:30 (420 min). A band 11:00-14:00 holds 60 + 30 office
    # minutes; at 3 instead of 1 staff. Mar 10-14 (Mon-Fri) a dated change of 2 staff applies at
    # every hour instead. Period: Mar 3-14, 10 working days.
    scenario = Scenario.model_validate(
        {
            "name": "roster",
            "calendar": "cn",
            "start": "2025-03-03",
            "working_days": 10,
            "departments": {
                "clerk": {
                    "staff": 1,
                    "roster": [{"from": "11:00", "to": "14:00", "staff": 3}],
                    "staff_changes": [{"from": "2025-03-10", "to": "2025-03-15", "staff": 2}],
                }
            },
            "services": {
                "permit": {
                    "limits": "5wd",
                    "arrivals": {"per_day": 4},
                    "steps": [{"step": "s", "department": "clerk", "work": {"exponential": 30}}],
                }
            },
        }
    )
    plan = compile_plan(scenario)
    clerk = plan.departments[0]
    roster_days = [c for c in clerk.changes if c[2] == 3]
    assert len(roster_days) == 5 and all(t1 - t0 == 90 for t0, t1, _ in roster_days)
    expected = (5 * (420 + 2 * 90) + 5 * 420 * 2) / (10 * 420)
    assert mean_staff(clerk, plan.start, plan.end) == pytest.approx(expected)
    out = all_engines(scenario)
    assert out["departments"]["clerk"]["staff_mean"] == pytest.approx(expected)


def test_the_mean_staff_judges_overload_by_roster_hours():
    # 4 receipts × 100 min = 400 min a day on 480 office minutes: load 0.83 staff. One clerk
    # keeps up; the same clerk off 11:00-13:00 (360 of 480 minutes, 0.75 on average) does not.
    plan = compile_plan(desk_scenario([], 100))
    assert overloaded(plan) == []
    lines = overloaded(compile_plan(desk_scenario(LUNCH_OFF, 100)))
    assert len(lines) == 1 and "0.83 staff ≥ 0.75 on duty on average" in lines[0]


def test_a_weekday_range_and_make_up_days_take_their_own_weekday():
    # 2025-09-28 (a Sunday) is a make-up working day in `cn`: it takes the `sun` band.
    scenario = Scenario.model_validate(
        {
            "name": "roster",
            "calendar": "cn",
            "start": "2025-09-26",
            "working_days": 3,  # Fri 26, Sun 28 (调休), Mon 29
            "departments": {
                "clerk": {
                    "staff": 2,
                    "roster": [{"days": "sat-sun", "from": "09:00", "to": "24:00", "staff": 1}],
                }
            },
            "services": {
                "permit": {
                    "limits": "5wd",
                    "arrivals": {"per_day": 1},
                    "steps": [{"step": "s", "department": "clerk", "work": {"fixed": 5}}],
                }
            },
        }
    )
    plan = compile_plan(scenario)
    (band,) = plan.departments[0].changes
    assert band[1] - band[0] == 420 and band[2] == 1
    assert band[0] == plan.calendar.bm_start[plan.start_day + 1]


@pytest.mark.parametrize(
    "shift, message",
    [
        ({"from": "12:00", "to": "09:00", "staff": 1}, "roster[0]: `to` must be after `from`"),
        ({"from": "9h", "to": "10:00", "staff": 1}, "roster[0].from: not a time of day"),
        ({"from": "09:00", "to": "25:00", "staff": 1}, "roster[0].to: time of day out of range"),
        ({"days": "fri-mon", "from": "09:00", "to": "10:00", "staff": 1}, "runs backwards"),
        ({"days": ["mon", "mon"], "from": "09:00", "to": "10:00", "staff": 1}, "listed twice"),
        ({"from": "09:00", "to": "10:00", "staff": -1}, "roster[0].staff"),
    ],
)
def test_a_bad_roster_line_is_one_located_error(shift, message):
    data = desk_scenario([], 10).model_dump(by_alias=True, mode="json")
    data["departments"]["clerk"]["roster"] = [shift]
    with pytest.raises(SlasimError) as exc:
        validate(Scenario, data, "centre.yaml")
    assert "centre.yaml" in str(exc.value) and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_bands_of_one_weekday_must_not_overlap():
    data = desk_scenario([], 10).model_dump(by_alias=True, mode="json")
    data["departments"]["clerk"]["roster"] = [
        {"days": "mon-fri", "from": "09:00", "to": "12:00", "staff": 2},
        {"days": ["fri", "sat"], "from": "11:00", "to": "13:00", "staff": 0},
    ]
    with pytest.raises(SlasimError, match="departments.clerk: roster bands overlap on fri"):
        validate(Scenario, data, "centre.yaml")


# ---------------------------------------------------------------- fitted from a log (fit.rosters)


def test_a_roster_is_fitted_from_when_handlers_are_on_duty():
    # Ten weeks on `weekdays` (09:00-17:00). Handler a acts at 09:10 and 16:50 every day (on
    # duty hours 9-16), b at 09:30 and 12:40 (hours 9-12), c on Fridays at 13:15 and 16:30 (13-16);
    # each action is an event of 10 minutes ending then.
    # On duty: Mon-Thu 2 (9-12) and 1 (13-16); Fri 2 all day. Afternoons over all days: mean 1.2,
    # sd 0.4; Friday's 2 is 0.8 away, more than Z = 3.82 standard errors of a 10-day mean
    # (0.4 / √10 = 0.126), so each weekday keeps its own afternoon. Mean over office time:
    # (4 × (4×2 + 4×1) + 8×2) / 40 = 1.6; scaled to the fitted staff 2.2: ×1.375 → 2.75, 1.375,
    # 2.75; rounded 3, 1, 3. Level 3 holds the most office minutes; 1 is more than one away.
    cal = load_calendar("weekdays")
    starts, ends, who = [], [], []

    def act(day: int, at: str, handler: str) -> None:
        minute = day * MINUTES_PER_DAY + int(at[:2]) * 60 + int(at[3:])
        starts.append(minute - 10.0)
        ends.append(float(minute))
        who.append(handler)

    first = date_to_day(dt.date(2025, 3, 3))  # a Monday
    for week in range(10):
        for weekday in range(5):
            day = first + 7 * week + weekday
            act(day, "09:10", "a"), act(day, "16:50", "a")
            act(day, "09:30", "b"), act(day, "12:40", "b")
            if weekday == 4:
                act(day, "13:15", "c"), act(day, "16:30", "c")
    fitted = fit_roster(cal, np.array(starts), np.array(ends), np.array(who, dtype=object), 2.2)
    assert fitted["staff"] == 3
    assert fitted["roster"] == [{"days": "mon-thu", "from": "13:00", "to": "17:00", "staff": 1}]
    assert fitted["evidence"]["active_days"] == dict.fromkeys(
        ["mon", "tue", "wed", "thu", "fri"], 10
    )
    assert fitted["evidence"]["scale"] == pytest.approx(1.375)
    assert "(1.60 over office time), scaled ×1.38 to the fitted staff 2.2" in fitted["note"]
    # The fitted roster is a valid one.
    Department.model_validate({"staff": fitted["staff"], "roster": fitted["roster"]})


def test_a_known_roster_comes_back_from_its_simulated_log(tmp_path):
    # Three clerks until 13:00, one after (weekdays calendar), all busy while on duty: the fit
    # with `roster=True` finds the afternoon at a lower level on every weekday, none in the
    # morning, and keeps the department's fitted staff on average (its level is scaled to it).
    known = {
        "name": "known",
        "calendar": "weekdays",
        "start": "2024-01-08",
        "working_days": 40,
        "seed": 2,
        "departments": {
            "desk": {"staff": 3, "roster": [{"from": "13:00", "to": "17:00", "staff": 1}]}
        },
        "services": {
            "permit": {
                "limits": "10wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": 21},  # 14 staff-hours of work a day on 16
                "steps": [{"step": "handle", "department": "desk", "work": {"exponential": 40}}],
            }
        },
    }
    log = tmp_path / "events.csv"
    run_scenario(Scenario.model_validate(known), replications=1, event_log=log, workers=1)
    events = read_log(log, load_calendar("weekdays"))
    plain = fit_log(events, "weekdays", office="calendar")
    fitted = fit_log(events, "weekdays", office="calendar", roster=True)
    assert "roster" not in plain.data["departments"]["desk"]  # opt-in
    desk = fitted.data["departments"]["desk"]
    bands = desk["roster"]
    assert bands and all(b["days"] == "mon-fri" and b["staff"] < desk["staff"] for b in bands)
    assert all(b["from"] >= "13:00" for b in bands) and bands[-1]["to"] == "17:00"
    assert {"15:00", "16:00"} <= {
        f"{h:02d}:00" for b in bands for h in range(int(b["from"][:2]), int(b["to"][:2]))
    }
    plan = compile_plan(Scenario.model_validate({**known, "departments": {"desk": desk}}))
    average = mean_staff(plan.departments[0], plan.start, plan.end)
    assert average == pytest.approx(plain.data["departments"]["desk"]["staff"], abs=0.5)
    assert (
        "handlers on duty per hour of the week"
        in fitted.comments[("departments", "desk", "roster")]
    )
