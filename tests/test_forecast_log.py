"""`slasim forecast --log LOG --as-of T`: the open cases of a small hand-made log, their places
worked out by hand from the log and the route, and a red share that follows from the route's
branch shares."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import slug
from slasim.fit.log import read_log
from slasim.forecast.from_log import forecast_log, snapshot_from_log
from slasim.forecast.risk import forecast_plan
from slasim.scenario.loader import load_scenario

from .helpers import slasim

AS_OF = dt.datetime(2025, 1, 10, 8, 0)

SCENARIO = """
name: permits
calendar: always
start: 2025-01-01
working_days: 30
seed: 5
cards: warn-before
departments: {desk: {staff: 1}, back: {staff: 1}}
services:
  permit:
    limits: {promised: 5wh, legal: 1wd}
    acceptance: receipt
    arrivals: {per_day: 0}
    steps:
      - {step: intake, department: desk, work: {fixed: 30}}
      - branch:
          - {probability: 0.25, steps: [{step: inspect, delay: {fixed: 300, unit: min}}]}
          - {probability: 0.75, steps: [{step: review, department: back, work: {fixed: 60}}]}
      - {step: decide, department: desk, work: {fixed: 10}}
"""

# (case, activity, start, end) in minutes from AS_OF; the `always` calendar counts every minute.
EVENTS = [
    ("c1", "Intake", -200, -170),  # decided at -70: its last step may end the route
    ("c1", "Review", -150, -90),
    ("c1", "Decide", -80, -70),
    ("c2", "Intake", -60, -30),  # in service at review since -20
    ("c2", "Review", -20, 40),
    ("c3", "Intake", -50, -20),  # intake done, the next event after T: waits at the branch
    ("c3", "Review", 45, 105),
    ("c4", "Intake", -10, 20),  # in service at intake since -10
    ("c5", "Intake", 30, 60),  # received after T: not there yet
    ("c6", "Intake", -300, -270),  # decided at -140
    ("c6", "Inspect", -270, -150),
    ("c6", "Decide", -150, -140),
    ("c7", "Intake", -100, -70),  # review done, nothing after: the route must go on to decide
    ("c7", "Review", -70, -25),
    ("c8", "Intake", -40, -35),  # an activity the scenario does not have: left out
    ("c8", "Archive", -30, -25),
    ("c8", "Decide", 50, 60),
    ("c9", "Intake", -5, 25),  # the desk's one clerk is busy with c4: c9 waits first in line
]


def stamp(minutes: int) -> str:
    return (AS_OF + dt.timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def files(tmp_path):
    scenario = tmp_path / "permits.yaml"
    scenario.write_text(SCENARIO)
    log = tmp_path / "log.csv"
    rows = ["case_id,activity,start_time,end_time"]
    rows += [f"{c},{a},{stamp(s)},{stamp(e)}" for c, a, s, e in EVENTS]
    log.write_text("\n".join(rows) + "\n")
    return scenario, log


def test_open_cases_and_their_places_from_a_log(files):
    scenario_path, log = files
    spec = load_scenario(scenario_path)
    cal = load_calendar(spec.calendar)
    as_of = cal.minutes(AS_OF.date()) + 8 * 60
    plan, _, as_of_business = forecast_plan(spec, as_of, "1wd")
    snap = snapshot_from_log(plan, read_log(log, cal), as_of, slug)

    def at(minutes):  # `always`: business minutes run with wall minutes
        return as_of_business + minutes

    places = [(c.key, c.step, c.state, c.since, c.received, c.accepted) for c in snap.cases]
    assert places == [  # in service first, then waiting, by since
        ("c2", "review", "in_service", at(-20), at(-60), at(-60)),
        ("c4", "intake", "in_service", at(-10), at(-10), at(-10)),
        ("c7", "decide", "waiting", at(-25), at(-100), at(-100)),
        ("c3", "inspect", "delay", at(-20), at(-50), at(-50)),
        ("c9", "intake", "waiting", at(-5), at(-5), at(-5)),
    ]
    assert snap.choices == {3: [(0.25, "inspect", "delay"), (1.0, "review", "waiting")]}
    assert snap.left_out == {"an activity is no step of its service": ["c8"]}
    assert snap.received == 8  # c5 is received after T


def test_the_branch_share_decides_red(files):
    # Promised limit 5 working hours (300 minutes) from receipt. c3 (received -50, due +250) waits
    # after intake for the branch: inspect (share 0.25) is an elapsed 300 minutes, so it is decided
    # after +280, red; review at the back desk behind c2 (until +40) ends at +100 and the decision
    # at the desk at +110: no card. c7 (due +200) is decided at +30 and c2 (due +240) at +70.
    scenario_path, log = files
    spec = load_scenario(scenario_path)
    result = forecast_log(
        spec, log, read_log, slug, as_of=AS_OF.isoformat(), horizon="1wd", replications=400
    )
    by_id = {row["id"]: row for row in result["cases"]}
    low, high = by_id["c3"]["red"]["ci95"]
    assert low <= 0.25 <= high and 0.15 < by_id["c3"]["red"]["p"] < 0.35
    assert by_id["c7"]["red"]["p"] == 0 and by_id["c2"]["red"]["p"] == 0
    assert result["snapshot"]["left_out"] == {"an activity is no step of its service": 1}


def test_forecast_from_a_log_on_the_command_line(files, tmp_path):
    scenario_path, log = files
    args = ["forecast", scenario_path, "--log", log, "--as-of", AS_OF.isoformat(), "--reps", 5]
    ran = slasim(*args, "--json")
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["open_cases"] == 5 and result["snapshot"]["received"] == 8
    assert "1 open case(s) of the log left out" in result["warnings"][0]
    text = slasim(*args)
    assert text.returncode == 0 and "Forecast of 5 open cases" in text.stdout
    missing = slasim("forecast", scenario_path, "--log", log)
    assert missing.returncode == 2 and "--as-of" in missing.stderr
    both = slasim("forecast", scenario_path)
    assert both.returncode == 2 and "--open" in both.stderr
