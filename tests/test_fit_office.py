"""Office time from the log: a centre simulated on known hours and working week, logged and
fitted on another calendar, gives those hours and that week back in a calendar file beside the
scenario that extends the chosen calendar (its holidays and make-up days kept)."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib

import numpy as np
import yaml

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .helpers import slasim
from .test_fit import KNOWN

# Known office time: 07:00-15:00, Monday to Saturday, cn's holidays and make-up days.
OFFICE = """name = "known-office"
extends = "cn"
weekend = ["sun"]
[office_hours]
default = [["07:00", "15:00"]]
periods = [{from = "01-01", to = "12-31", hours = [["07:00", "15:00"]]}]
"""


# The same with Saturday open 07:00-10:00 only (3 of the day's 8 hours).
SATURDAY_OFFICE = OFFICE.replace(
    'periods = [{from = "01-01", to = "12-31", hours = [["07:00", "15:00"]]}]',
    'weekdays = {sat = [["07:00", "10:00"]]}',
)


def simulate(tmp_path, office: str = OFFICE):
    calendar = tmp_path / "known-office.toml"
    calendar.write_text(office, encoding="utf-8")
    known = copy.deepcopy(KNOWN)
    known["calendar"] = str(calendar)
    path = tmp_path / "events.csv"
    run_scenario(Scenario.model_validate(known), replications=1, event_log=path, workers=1)
    return path


def test_known_office_time_is_fitted_back_over_the_chosen_calendar(tmp_path):
    log = simulate(tmp_path)
    out = tmp_path / "out" / "fitted.yaml"
    out.parent.mkdir()
    code, said, err = slasim("fit", log, "-c", "weekdays", "--limit", "10wd", "--out", out)
    assert code == 0, err
    # Saturday, which `weekdays` rests (as a legal calendar does), stays a rest day in law that
    # the office opens: office time no limit counts (no week to warn about)
    assert "office week" not in err
    assert "open on rest days (office time, not working days): Sat 07:00–15:00" in said
    assert "receipts per office day" in said
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["calendar"] == "fitted-office.toml"
    spec = tomllib.loads((out.parent / "fitted-office.toml").read_text(encoding="utf-8"))
    assert spec["extends"] == "weekdays" and spec["weekend"] == ["sat", "sun"]
    assert spec["office_hours"]["default"] == [["07:00", "15:00"]]
    assert spec["office_hours"]["rest_days"] == {"sat": [["07:00", "15:00"]]}
    # the fitted calendar keeps the chosen one's working days and takes the log's office time
    cal = load_calendar(out.parent / "fitted-office.toml")
    saturday = dt.date(2024, 1, 13)
    assert not cal.is_working_day(saturday)
    assert cal.office_hours_on(saturday) == [("07:00", "15:00")]
    assert cal.office_hours_on(dt.date(2024, 1, 14)) == []
    # and the scenario runs from another folder, its calendar found beside it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, err = slasim("run", out, "--reps", "2", "-w", "1", "-q", cwd=elsewhere)
    assert code == 0, err


def test_holidays_and_make_up_days_stay_the_chosen_calendars(tmp_path):
    events = read_log(simulate(tmp_path), load_calendar("cn"))
    fitted = fit_log(events, "cn", limit="10wd")
    assert fitted.office == {
        **fitted.office,
        "hours": [["07:00", "15:00"]],
        "weekend": ["sat", "sun"],  # cn's: the Saturday service is office time, not a working day
        "rest_days": {"sat": [["07:00", "15:00"]]},
    }
    cal = load_calendar(fitted.data["calendar"])
    assert not cal.is_working_day(dt.date(2024, 2, 12))  # Spring Festival, a Monday
    assert cal.is_working_day(dt.date(2024, 2, 4))  # its make-up Sunday
    assert cal.office_hours_on(dt.date(2024, 2, 4)) == [("07:00", "15:00")]
    assert fitted.evidence["office_time"]["extends"] == "cn"


def test_forcing_the_calendars_hours_warns_with_the_share_outside(tmp_path):
    log = simulate(tmp_path)
    events = read_log(log, load_calendar("weekdays"))
    instants = np.concatenate([events.start[~events.milestone], events.end[~events.milestone]])
    minute = instants % 1440
    weekday = (np.floor(instants / 1440) + 3) % 7
    # weekdays: Monday to Friday 09:00-17:00 (a close counts as inside)
    outside = float(np.mean((weekday >= 5) | (minute < 540) | (minute > 1020)))
    assert outside > 0.2
    code, out, err = slasim(
        "fit", log, "-c", "weekdays", "--office-hours", "calendar", "--limit", "10wd", "--json"
    )
    assert code == 0
    assert f"{outside:.1%} of the log's event starts and ends fall outside calendar weekdays" in err
    assert "--office-hours log" in err


def test_a_log_of_a_few_days_keeps_the_calendars_week(tmp_path):
    lines = ["case,activity,start,end"]
    start = dt.datetime(2024, 1, 8, 10)  # a Monday and Tuesday only, 10:00-12:00
    for k in range(60):
        t = start + dt.timedelta(days=k % 2, minutes=2 * k)
        lines.append(f"c{k},a,{t.isoformat()},{(t + dt.timedelta(minutes=5)).isoformat()}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fitted = fit_log(read_log(path, load_calendar("weekdays")), "weekdays", train_share=1.0)
    assert fitted.office["weekend"] == ["sat", "sun"]
    assert fitted.office["hours"] == [["10:00", "12:00"]]
    assert not any("office week" in str(w) for w in fitted.warnings)


def test_known_saturday_hours_are_fitted_back(tmp_path):
    """The known centre with Saturday open 07:00-10:00 only (3 of the day's 8 hours): the fitted
    calendar gives Saturday those hours back (a rest day of `cn` the office opens), the other
    days 07:00-15:00."""
    path = simulate(tmp_path, SATURDAY_OFFICE)
    fitted = fit_log(read_log(path, load_calendar("cn")), "cn", limit="10wd")
    assert fitted.office["hours"] == [["07:00", "15:00"]]
    assert fitted.office["weekend"] == ["sat", "sun"]
    assert fitted.office["rest_days"] == {"sat": [["07:00", "10:00"]]}
    assert "weekdays" not in fitted.office
    cal = load_calendar(fitted.data["calendar"])
    assert cal.office_hours_on(dt.date(2024, 1, 13)) == [("07:00", "10:00")]
    assert not cal.is_working_day(dt.date(2024, 1, 13))
    assert cal.office_hours_on(dt.date(2024, 2, 4)) == [("07:00", "15:00")]  # make-up Sunday


def test_a_fitted_calendar_over_a_relative_parent_is_written_into_another_folder(tmp_path):
    """`fit --calendar parent.toml --out out/x.yaml`: the fitted calendar names the parent from
    `out/` (../parent.toml) and reads the parent's weekday hours from there, not from the working
    folder. The known centre (Monday to Saturday 07:00-15:00, Saturday 07:00-10:00) over a parent
    whose Friday closes at 12:00: the log's Fridays run to 15:00, and the fitted file says so."""
    import shutil

    log = simulate(tmp_path, SATURDAY_OFFICE)
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    shutil.copy(log, work / "events.csv")
    (work / "parent.toml").write_text(
        'name = "parent"\nextends = "cn"\nweekend = ["sun"]\n[office_hours]\n'
        'default = [["07:00", "15:00"]]\nweekdays = {fri = [["07:00", "12:00"]]}\n',
        encoding="utf-8",
    )
    code, _, err = slasim(
        "fit", "events.csv", "-c", "parent.toml", "--limit", "10wd", "--out", "out/x.yaml", cwd=work
    )
    assert code == 0, err
    spec = tomllib.loads((work / "out" / "x-office.toml").read_text(encoding="utf-8"))
    assert spec["extends"] == "../parent.toml"
    assert spec["office_hours"]["weekdays"]["fri"] == [["07:00", "15:00"]]
    assert spec["office_hours"]["weekdays"]["sat"] == [["07:00", "10:00"]]
    fitted = load_calendar(work / "out" / "x-office.toml")
    assert fitted.office_hours_on(dt.date(2024, 1, 12)) == [("07:00", "15:00")]  # a Friday
