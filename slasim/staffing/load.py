"""Offered load per department, worked out from a compiled plan without simulating.

A department's offered load is the work it receives per unit of office time, in staff: for every
step it serves, (receipts per office minute) × (expected visits per case) × (mean work minutes).
Expected visits multiply branch shares along the route (on a Markov route, a step's expected
visits per case from its absorbing chain); a supplement loop adds a visit per round
that comes back (sent back with its chance, not given up, at most `max_rounds`); 容缺受理 adds
none. A desk with fewer staff than its offered load cannot keep up in the long run (utilisation
≥ 1), so `floor(load) + 1` is where a staffing search starts looking.

Stability rule of a staffing search (`instability`): a department is unstable when its offered
load reaches its staff on duty averaged over the period's office time (`mean_staff`: the base
staff, each dated change and roster band weighted by its office minutes). Both sides are period
averages, so a month of leave that the rest of the period makes up for is allowed (its backlog is
the simulation's to judge), while staff that fall short on average never are. A department
shared by several services carries the sum of their work: priorities decide who waits, not
whether the desk keeps up.
A stable desk close to its load is judged only if its queue settles within the measured window:
its relaxation time (`settling_minutes`, from the mean work of a visit, `visit_minutes`) must not
exceed the window, or an empty start would hide a backlog that a longer period would show.
"""

from __future__ import annotations

import math

import numpy as np

from slasim.io.i18n import Text
from slasim.scenario.plan import (
    ChoicePlan,
    DepartmentPlan,
    MarkovPlan,
    ParallelPlan,
    Plan,
    StepPlan,
)
from slasim.sim.arrivals import arrival_factors


def expected_visits(step: StepPlan) -> float:
    """Desk visits a case makes at a step: one, plus each supplement round that comes back."""
    supplement = step.supplement
    if supplement is None or supplement.tolerate:
        return 1.0
    back = supplement.chance * (1.0 - supplement.give_up)
    if supplement.first is None:
        return sum(back**r for r in range(supplement.max_rounds + 1))
    first = supplement.first.probability * (1.0 - supplement.give_up)
    return 1.0 + first * sum(back**r for r in range(supplement.max_rounds))


def work_per_case(
    route: list, share: float, out: dict[int, float], visits: dict[int, float] | None = None
) -> None:
    """Add each department's expected work minutes per case of a route (reached with `share`) to
    `out`, and its expected desk visits per case to `visits` when given."""
    for item in route:
        if isinstance(item, StepPlan):
            if item.department is not None and item.work is not None:
                n = expected_visits(item)
                minutes = item.work.mean * item.work_scale * n
                out[item.department] = out.get(item.department, 0.0) + share * minutes
                if visits is not None:
                    visits[item.department] = visits.get(item.department, 0.0) + share * n
        elif isinstance(item, ParallelPlan):
            for branch in item.branches:
                work_per_case(branch, share, out, visits)
        elif isinstance(item, MarkovPlan):  # each step by its expected visits per case
            for step, n in zip(item.steps, item.visits().tolist()):
                work_per_case([step], share * n, out, visits)
        else:
            assert isinstance(item, ChoicePlan)
            previous = 0.0
            for cumulative, branch in zip(item.cumulative, item.routes):
                work_per_case(branch, share * (cumulative - previous), out, visits)
                previous = cumulative


def offered_load(plan: Plan) -> dict[str, float]:
    """Staff each department's work needs on average over the period (its offered load)."""
    cal = plan.calendar
    days = plan.office_days  # receipts and office minutes per office day
    office_minutes = float(cal.day_minutes[plan.start_office : plan.end_office].mean())
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
    """One line per department whose offered load reaches its staff: its most on duty in the
    period (its queue grows without bound), or its staff on duty averaged over the period, when
    dated changes take staff away (a backlog builds over the period) — the rule `staff` uses to
    call a staffing unstable. Worth saying before a run, not discovering in its figures."""
    load = offered_load(plan)
    lines = []
    for dept in plan.departments:
        work = load[dept.name]
        if work <= 0:
            continue
        average = mean_staff(dept, plan.start, plan.end)
        if work >= dept.max_staff:
            lines.append(
                Text(
                    "departments.{name}: offered load {load:.2f} staff ≥ {staff} on duty: its "
                    "queue grows without bound (utilisation ≥ 100%)",
                    name=dept.name,
                    load=work,
                    staff=dept.max_staff,
                )
            )
        elif work >= average:
            lines.append(
                Text(
                    "departments.{name}: offered load {load:.2f} staff ≥ {staff:.2f} on duty on "
                    "average over the period (staff_changes): a backlog builds up over the period",
                    name=dept.name,
                    load=work,
                    staff=average,
                )
            )
    return lines


def mean_staff(dept: DepartmentPlan, start: float, end: float) -> float:
    """Staff on duty averaged over the office time [start, end): the base staff, and each
    staffing period of the plan (dated changes, roster bands; clipped to the period) by its
    length in office minutes."""
    extra = sum((t1 - t0) * (staff - dept.staff) for t0, t1, staff in dept.changes)
    return dept.staff + extra / (end - start)


def instability(
    load: float, staff: float, settling: float = 0.0, measured: float = math.inf
) -> str | None:
    """Why a department with this offered load and mean staff cannot be judged fit (None if it
    can): its load reaches its staff, or (`settling`, `measured`: working days) its queue takes
    longer to settle than the window it is measured on."""
    if load <= 0:
        return None
    if load >= staff:
        return Text(
            "unstable (offered load {load:.2f} ≥ staff {staff:.3g})", load=load, staff=staff
        )
    if settling > measured:
        return Text(
            "too slow to settle (offered load {load:.2f} on {staff:.3g} staff, {busy:.0f}% busy: "
            "about {settling:.0f} working days to settle, more than the {measured:.0f} measured)",
            load=load,
            staff=staff,
            busy=100 * load / staff,
            settling=settling,
            measured=measured,
        )
    return None


def visit_minutes(plan: Plan) -> dict[str, float]:
    """Mean work minutes of one desk visit per department (over its steps, weighted by visits;
    0 for a department without desk work)."""
    minutes: dict[int, float] = {}
    visits: dict[int, float] = {}
    for service in plan.services:
        rate = service.spec.arrivals.per_day
        per_case: dict[int, float] = {}
        per_visit: dict[int, float] = {}
        work_per_case(service.route, 1.0, per_case, per_visit)
        for d, work in per_case.items():
            minutes[d] = minutes.get(d, 0.0) + rate * work
            visits[d] = visits.get(d, 0.0) + rate * per_visit[d]
    return {
        dept.name: minutes.get(dept.index, 0.0) / visits[dept.index]
        if visits.get(dept.index)
        else 0.0
        for dept in plan.departments
    }


def settling_minutes(load: float, staff: float, minutes: float) -> float:
    """About how long a queue at this load takes to forget its start (its relaxation time): a
    desk of c staff with utilisation ρ settles like one server c times faster, 1 / (cμ(1 − √ρ)²)
    (Morse's M/M/1 relaxation time); it grows without bound as ρ → 1."""
    rho = load / staff
    if rho >= 1:
        return math.inf
    return minutes / (staff * (1.0 - math.sqrt(rho)) ** 2)
