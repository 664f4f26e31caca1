"""Offered load per department, worked out from a compiled plan without simulating.

A department's offered load is the work it receives per unit of office time, in staff: for every
step it serves, (receipts per office minute) × (expected visits per case) × (mean work minutes).
Expected visits multiply branch shares along the route; a supplement loop adds a visit per round
that comes back (sent back with its chance, not given up, at most `max_rounds`); 容缺受理 adds
none. A desk with fewer staff than its offered load cannot keep up in the long run (utilisation
≥ 1), so `floor(load) + 1` is where a staffing search starts looking.

Stability rule of a staffing search (`instability`): a department is unstable when its offered
load reaches its staff on duty averaged over the period's office time (`mean_staff`: the base
staff, each dated change weighted by its length). Both sides are period averages, so a month of
leave that the rest of the period makes up for is allowed (its backlog is the simulation's to
judge), while staff that fall short on average never are. A department shared by several services
carries the sum of their work: priorities decide who waits, not whether the desk keeps up.
"""

from __future__ import annotations

import math

import numpy as np

from slasim.scenario.plan import ChoicePlan, DepartmentPlan, ParallelPlan, Plan, StepPlan
from slasim.sim.arrivals import arrival_factors


def expected_visits(step: StepPlan) -> float:
    """Desk visits a case makes at a step: one, plus each supplement round that comes back."""
    supplement = step.supplement
    if supplement is None or supplement.tolerate:
        return 1.0
    back = supplement.chance * (1.0 - supplement.give_up)
    return sum(back**r for r in range(supplement.max_rounds + 1))


def work_per_case(route: list, share: float, out: dict[int, float]) -> None:
    """Add each department's expected work minutes per case of a route (reached with `share`)."""
    for item in route:
        if isinstance(item, StepPlan):
            if item.department is not None and item.work is not None:
                minutes = item.work.mean * item.work_scale * expected_visits(item)
                out[item.department] = out.get(item.department, 0.0) + share * minutes
        elif isinstance(item, ParallelPlan):
            for branch in item.branches:
                work_per_case(branch, share, out)
        else:
            assert isinstance(item, ChoicePlan)
            previous = 0.0
            for cumulative, branch in zip(item.cumulative, item.routes):
                work_per_case(branch, share * (cumulative - previous), out)
                previous = cumulative


def offered_load(plan: Plan) -> dict[str, float]:
    """Staff each department's work needs on average over the period (its offered load)."""
    cal = plan.calendar
    days = cal.work_days[plan.start_day : plan.end_day]
    office_minutes = float(cal.day_minutes[plan.start_day : plan.end_day].mean())
    minutes: dict[int, float] = {}
    for service in plan.services:
        spec = service.spec.arrivals
        per_day = spec.per_day * float(np.mean(arrival_factors(spec, days)))
        per_case: dict[int, float] = {}
        work_per_case(service.route, 1.0, per_case)
        for d, work in per_case.items():
            minutes[d] = minutes.get(d, 0.0) + per_day * work
    return {dept.name: minutes.get(dept.index, 0.0) / office_minutes for dept in plan.departments}


def stable_staff(load: float) -> int:
    """The fewest staff whose utilisation at this load is below 1."""
    return math.floor(load) + 1


def overloaded(plan: Plan) -> list[str]:
    """One line per department whose offered load reaches its staff (its most on duty in the
    period): its queue grows without bound, so the results describe a backlog building up, not
    a centre that keeps up — worth saying before a run, not discovering in its figures."""
    load = offered_load(plan)
    return [
        f"departments.{dept.name}: offered load {load[dept.name]:.2f} staff ≥ "
        f"{dept.max_staff} on duty: its queue grows without bound (utilisation ≥ 100%)"
        for dept in plan.departments
        if load[dept.name] >= dept.max_staff
    ]


def mean_staff(dept: DepartmentPlan, start: float, end: float) -> float:
    """Staff on duty averaged over the office time [start, end) (changes are clipped to it)."""
    extra = sum((t1 - t0) * (staff - dept.staff) for t0, t1, staff in dept.changes)
    return dept.staff + extra / (end - start)


def instability(load: float, staff: float) -> str | None:
    """Why a department with this offered load and mean staff cannot keep up (None if it can)."""
    if load <= 0 or load < staff:
        return None
    return f"unstable (offered load {load:.2f} ≥ staff {staff:.3g})"
