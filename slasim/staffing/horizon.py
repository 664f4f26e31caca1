"""The period a staffing is judged on: long enough after the warm-up for the targets to mean something.

A case can go past its legal limit only once that limit has run, so a window of a few working days
against a 20-working-day limit shows no red card whatever the staffing (a fitted scenario's test
window is often that short). The rule, stated in every result:

- **L** is the longest legal limit among the services, in working days: `wd` as given, `wh` over the
  calendar's mean office day in the period (rounded up), a natural-day limit (`d`) counted as that
  many working days (it never spans more).
- The **measured window** (after the scenario's own warm-up) is at least `MEASURED_LIMITS` = 5 × L
  working days. Cases received in the last L days cannot yet be past their limit when the period
  ends, and a centre that starts empty is kind to its first cases; at 5 × L each effect touches at
  most about a fifth of the measured cases (a share target is understated by at most that fraction
  of itself), and the warm-up still comes first.
- A scenario whose window is already that long is judged on its own period; a shorter one is
  judged on the same start and warm-up with the window lengthened at its end (`working_days`
  replaces `end`; dated staff changes keep their dates; a reform's changes too). A period that then
  runs past the calendar's table is refused with a located message; one that runs past the
  calendar's published years is flagged provisional (and refused under `--strict`).
"""

from __future__ import annotations

import math

from slasim.calendar.units import day_to_date
from slasim.clock.limits import Limit
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.plan import Plan, compile_plan
from slasim.scenario.schema import Scenario

MEASURED_LIMITS = 5  # the measured window is at least this many times the longest legal limit
RULE = (
    f"the measured window (after the warm-up) is at least {MEASURED_LIMITS} x the longest legal "
    "limit in working days; a shorter scenario period is lengthened at its end"
)


def limit_working_days(limit: Limit, plan: Plan) -> int:
    """A legal limit in whole working days (hours over the mean office day, rounded up)."""
    if limit.unit == "wh":
        cal = plan.calendar
        working = cal.office_of[plan.start_day : plan.end_day]  # hours count on working days
        day_hours = float(cal.day_minutes[working].mean()) / 60.0
        return max(1, math.ceil(limit.amount / day_hours))
    return max(1, math.ceil(limit.amount))


def longest_legal_limit(plan: Plan) -> int:
    """The longest legal limit among the plan's services, in working days."""
    return max(limit_working_days(Limit.parse(s.spec.limits.legal), plan) for s in plan.services)


def period_text(plan: Plan) -> tuple[str, str]:
    """First and last office day of a plan's period, ISO dates."""
    days = plan.office_days[[0, -1]]
    return tuple(day_to_date(int(d)).isoformat() for d in days)


def judged_scenario(scenario: Scenario, source: str, strict: bool = False) -> tuple[Scenario, dict]:
    """The scenario to judge staffings on (its own, or its period lengthened) and a description of
    that horizon for the result."""
    plan = compile_plan(scenario, source)
    warmup = scenario.warmup_days
    own = plan.end_day - plan.start_day - warmup
    limit = longest_legal_limit(plan)
    need = MEASURED_LIMITS * limit
    judged = scenario
    if own < need:
        judged = scenario.model_copy(update={"working_days": warmup + need, "end": None})
        try:
            plan = compile_plan(judged, source)
        except SlasimError as exc:
            raise SlasimError(
                "judging a staffing needs {warmup} warm-up + {need} measured working days from "
                "{start} ({times} x the longest legal limit, {limit}wd), but {why}: start the "
                "scenario earlier or judge shorter limits",
                source=source,
                field="start",
                warmup=warmup,
                need=need,
                start=scenario.start,
                times=MEASURED_LIMITS,
                limit=limit,
                why=exc.message if isinstance(exc.message, Text) else Text(exc.message),
            ) from None
    first, last = period_text(plan)
    if strict and plan.provisional:
        raise SlasimError(
            "judging a staffing runs to {last}, past the published years of calendar {name} "
            "(provisional; --strict refuses it)",
            source=source,
            field="working_days",
            last=last,
            name=repr(plan.calendar.name),
        )
    return judged, {
        "first_day": first,
        "last_day": last,
        "warmup_days": warmup,
        "measured_days": plan.end_day - plan.start_day - warmup,
        "scenario_measured_days": own,
        "longest_legal_limit_wd": limit,
        "lengthened": judged is not scenario,
        "provisional": plan.provisional,
        "rule": RULE,
    }
