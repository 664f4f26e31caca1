"""slasim: legal time limits on working-day calendars, card checks, and service-centre simulation.

The public API for Python users; the command line (`slasim ...`) is a thin layer over these.
Names are imported on first use (PEP 562), so `import slasim` — and `slasim deadline` — do not pay
for SimPy, the scenario models or the runner unless they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Public name → the module that defines it.
_EXPORTS = {
    "WorkCalendar": "slasim.calendar.workcalendar",
    "load_calendar": "slasim.calendar.workcalendar",
    "load_check_file": "slasim.checks.load",
    "run_checks": "slasim.checks.engine",
    "Clock": "slasim.clock.case_clock",
    "ClockBatch": "slasim.clock.case_clock",
    "Pause": "slasim.clock.case_clock",
    "compute_deadline": "slasim.clock.deadline",
    "SlasimError": "slasim.io.errors",
    "run_scenario": "slasim.sim.runner",
    "Scenario": "slasim.scenario.schema",
    "load_scenario": "slasim.scenario.loader",
}
__all__ = [
    "Clock",
    "ClockBatch",
    "Pause",
    "Scenario",
    "SlasimError",
    "WorkCalendar",
    "compute_deadline",
    "load_calendar",
    "load_check_file",
    "load_scenario",
    "run_checks",
    "run_scenario",
]

if TYPE_CHECKING:  # for type checkers and editors; at run time names load lazily
    from slasim.calendar.workcalendar import WorkCalendar, load_calendar
    from slasim.checks.engine import run_checks
    from slasim.checks.load import load_check_file
    from slasim.clock.case_clock import Clock, ClockBatch, Pause
    from slasim.clock.deadline import compute_deadline
    from slasim.io.errors import SlasimError
    from slasim.scenario.loader import load_scenario
    from slasim.scenario.schema import Scenario
    from slasim.sim.runner import run_scenario


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'slasim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
