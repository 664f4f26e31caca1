"""What would prevent the reds: one more staff at one desk for the first working days of the
horizon, each desk tried in turn, simulated with common random numbers.

Every candidate runs the same replications as the forecast (same seed: each case's work, branches
and pauses come from streams keyed by the case and the replication, so a change of staff changes
only the queues). Per replication it counts the open cases red by the horizon's end and the red
cards fired within the horizon by every case (new ones too); a candidate's effect is the paired
difference from the forecast's own replications, mean and Student-t 95 % interval. The desk whose
extra staff prevents the most reds among the open cases binds: it is listed first.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from slasim.clock.cards import LEVELS
from slasim.forecast.replay import engine_for, fired_per_day, grade, placed, reached, run_warm
from slasim.scenario.plan import Plan
from slasim.sim.metrics import confidence

RED = LEVELS.index("red")


def with_extra(plan: Plan, department: int, start: float, end: float) -> Plan:
    """The plan with one more staff at a department over [start, end) (business minutes): the
    staff level in force at each moment of that window, plus one; outside it, as it was."""
    dept = plan.departments[department]
    cuts = sorted({start, end} | {t for s, e, _ in dept.changes for t in (s, e) if start < t < end})
    kept = []
    for s, e, staff in dept.changes:  # the existing periods, outside the window
        if s < start:
            kept.append((s, min(e, start), staff))
        if e > end:
            kept.append((max(s, end), e, staff))

    def level(t: float) -> int:
        covering = [staff for s, e, staff in dept.changes if s <= t < e]
        return covering[-1] if covering else dept.staff

    added = [(a, b, level(a) + 1) for a, b in zip(cuts, cuts[1:]) if b > a]
    out = copy.copy(plan)
    out.departments = list(plan.departments)
    out.departments[department] = replace(dept, changes=sorted(kept + added))
    return out


def reds(plan: Plan, cases, horizon_end: float, replications: int, seed: int, extension, choices):
    """Per replication: (open cases red by the horizon's end, red cards fired within it)."""
    cal = plan.calendar
    start_wall = float(cal.to_wall_array(np.array([plan.start]), side="left")[0])
    end_wall = float(cal.to_wall_array(np.array([horizon_end]), side="left")[0])
    edges = np.array([start_wall, end_wall])
    engine = engine_for(plan)["engine"]
    extension = {c.number: extension.get(c.key, 0.0) for c in cases}
    open_red, all_red = [], []
    for r in range(replications):
        warm, every = run_warm(plan, placed(cases, choices, seed, r), r, seed, engine)
        open_red.append(
            float((reached(grade(plan, warm, extension), len(cases), end_wall) >= RED).sum())
        )
        all_red.append(float(fired_per_day(grade(plan, every, {}), "red", edges, start_wall).sum()))
    return np.array(open_red), np.array(all_red)


def prevent(
    plan: Plan,
    cases,
    horizon_end: float,
    days: int,
    *,
    replications: int,
    seed: int,
    extension: dict | None = None,
    choices: dict | None = None,
) -> dict:
    """Each desk with one more staff for `days` working days from the snapshot, against the
    forecast's own replications (module docstring)."""
    extension, choices = extension or {}, choices or {}
    until = min(plan.calendar.business_after_one(plan.start, days, "wd"), plan.end)
    base_open, base_all = reds(plan, cases, horizon_end, replications, seed, extension, choices)
    rows = []
    for dept in plan.departments:
        changed = with_extra(plan, dept.index, plan.start, until)
        open_red, all_red = reds(
            changed, cases, horizon_end, replications, seed, extension, choices
        )
        rows.append(
            {
                "department": dept.name,
                "staff": dept.staff + 1,
                "open_red": confidence(list(open_red)),
                "prevented": confidence(list(base_open - open_red)),
                "prevented_all": confidence(list(base_all - all_red)),
            }
        )
    rows.sort(key=lambda row: (-row["prevented"]["mean"], -row["prevented_all"]["mean"]))
    return {
        "days": days,
        "open_red": confidence(list(base_open)),
        "all_red": confidence(list(base_all)),
        "candidates": rows,
    }
