"""slasim: legal time limits on working-day calendars, card checks, and service-centre simulation.

The public API for Python users; the command line (`slasim ...`) is a thin layer over these.
"""

from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.checks.schema import load_check_file
from slasim.checks.engine import run_checks
from slasim.clock.case_clock import Clock, ClockBatch, Pause
from slasim.clock.deadline import compute_deadline
from slasim.io.errors import SlasimError
from slasim.sim.runner import run_scenario
from slasim.scenario.schema import Scenario
from slasim.scenario.loader import load_scenario

__all__ = [
    "Clock", "ClockBatch", "Pause", "Scenario", "SlasimError", "WorkCalendar", "compute_deadline",
    "load_calendar", "load_check_file", "load_scenario", "run_checks", "run_scenario",
]
