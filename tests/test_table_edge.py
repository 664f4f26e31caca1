"""A simulated wait that ends past the end of the calendar's table: one located line and exit 2
on every engine (event, SimPy, FCFS queue path), never an IndexError. The `always` calendar's
table runs from 1970-01-01 to 2100-12-31; a wait ending on 2101-01-01, the day just after it,
once fell through the range check (which lets that day pass for counting working days)."""

from __future__ import annotations

import datetime as dt

import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.io.errors import SlasimError
from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.sim.runner import engine_used

from .helpers import slasim

TABLE = "(1970-01-01 to 2100-12-31)"

# A period of 20 days from 2100-12-01 on a calendar where every day is a working day: arrivals
# until 2100-12-20 24:00, the table's last day is 2100-12-31.
HEAD = """\
name: edge
calendar: always
start: 2100-12-01
working_days: 20
replications: 1
seed: 1
departments:
  desk: {staff: 3}
services:
  request:
    limits: {promised: 20wd, legal: 20wd}
    acceptance: receipt
    arrivals: {per_day: 20}
    steps:
"""
# Ten materials each missing with probability 0.5: nearly every case is sent back, and every
# applicant replies 30 natural days after the notice. A notice on 2100-12-01 is answered on
# 2100-12-31 (inside); the first answer past the table is to a notice of 2100-12-02, on
# 2101-01-01, the day after the table.
SUPPLEMENT = HEAD + (
    "      - step: serve\n"
    "        department: desk\n"
    "        work: {exponential: 60}\n"
    "        supplement: {materials: 10, missing_each: 0.5, response: {fixed: 30, unit: d},"
    " give_up: 0.0}\n"
)
# No loop: the queue path. Work done on 2100-12-20 leaves the delay on 2100-12-31; work still
# queued past midnight leaves it 11 days later, on 2101-01-01, the day after the table.
DELAY = HEAD + (
    "      - {step: serve, department: desk, work: {exponential: 60}}\n"
    "      - {step: wait, delay: {fixed: 11, unit: d}}\n"
)
EXPECTED = f"error: date: 2101-01-01 is outside the table of calendar 'always' {TABLE}"


@pytest.mark.parametrize(
    ("text", "extra"),
    [(SUPPLEMENT, ()), (SUPPLEMENT, ("--set", "engine=simpy")), (DELAY, ())],
    ids=["event", "simpy", "queue"],
)
def test_a_wait_past_the_table_is_one_located_line(tmp_path, text, extra):
    path = tmp_path / "edge.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = slasim("run", path, "-q", "-w", "1", *extra)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [EXPECTED]


def test_the_engines_are_the_ones_named(tmp_path):
    """The three cases above run where their ids say (the queue path refuses a supplement loop)."""

    for text, engine in ((SUPPLEMENT, "events"), (DELAY, "fcfs")):
        path = tmp_path / "edge.yaml"
        path.write_text(text, encoding="utf-8")
        assert engine_used(compile_plan(load_scenario(path)))["engine"] == engine


def test_an_instant_on_the_day_after_the_table_is_refused():
    cal = load_calendar("always")
    after = (dt.date(2101, 1, 1) - dt.date(1970, 1, 1)).days * 1440.0 + 60.0  # 2101-01-01 01:00
    with pytest.raises(SlasimError, match="2101-01-01 is outside the table"):
        cal.to_business_array([after])
    last = after - 1440.0  # 2100-12-31 01:00: inside, one office minute per minute since 1970
    assert float(cal.to_business_array([last])[0]) == last
