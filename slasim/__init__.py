"""slasim: legal time limits on working-day calendars, card checks, and service-centre simulation.

The public API for Python users; the command line (`slasim ...`) is a thin layer over these.
"""

from .calendars import WorkCalendar, load_calendar
from .check_file import load_check_file
from .checks import run_checks
from .clock import Clock, ClockBatch, Pause
from .deadline import compute_deadline
from .errors import SlasimError
from .runner import run_scenario
from .scenario import Scenario, load_scenario

__all__ = [
    "Clock", "ClockBatch", "Pause", "Scenario", "SlasimError", "WorkCalendar", "compute_deadline",
    "load_calendar", "load_check_file", "load_scenario", "run_checks", "run_scenario",
]
