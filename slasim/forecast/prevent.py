"""What would prevent the reds: one more staff at one desk for the first working days of the
horizon, each desk tried in turn, simulated with common random numbers.

Every candidate runs the same replications as the forecast (same seed: each case's work, branches
and pauses come from streams keyed by the case and the replication, so a change of staff changes
only the queues). Per replication it counts the open cases red by the horizon's end and the red
cards fired within the horizon by every case (new ones too); a candidate's effect is the paired
difference from the forecast's own replications, mean and Student-t 95 % interval. The desk whose
extra staff prevents the most reds among the open cases binds: it is listed first.

With a target (`red<=N`, `yellow<=N`: `prevent_target`), the cheapest dated staff change that
meets it is searched by the staffing search's method, reimplemented here in its thin parts
(forecast does not import `staffing`): a candidate is k extra staff at a desk for its first d
working days, at up to `max_desks` desks at once (or, with `movable`, k staff moved from one listed
desk to another, which costs no extra staff-days but takes the first desk's); its cost is the extra
staff-days. What is counted per replication is the open cases that reach the level by the
horizon's end and had not at the snapshot (`open`), or the cards of that level fired within the
horizon by every case (`all`); the target holds when the one-sided 95 % Student-t upper bound of
its mean is at or below N. The largest changes are tried first (every set of `max_desks` desks at
the most for the whole horizon: if all fail, so does every change within them), then every
candidate in order of cost (then staff-days changed, desks changed, desk order), skipping one no
larger than a change that failed, until one holds. This assumes more staff never adds a card, as
the staffing search does; `tests/test_forecast_prevent_target.py` checks the answer against an
exhaustive search.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from slasim.calendar.units import minutes_to_iso
from slasim.clock.cards import LEVELS
from slasim.forecast.replay import engine_for, fired_per_day, grade, placed, reached, run_warm
from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, Text
from slasim.scenario.plan import Plan
from slasim.sim.metrics import confidence

RED = LEVELS.index("red")


def with_extra(plan: Plan, department: int, start: float, end: float, extra: int = 1) -> Plan:
    """The plan with `extra` more staff (one by default) at a department over [start, end)
    (business minutes): the staff level in force at each moment of that window, plus `extra`;
    outside it, as it was."""
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

    added = [(a, b, level(a) + extra) for a, b in zip(cuts, cuts[1:]) if b > a]
    out = copy.copy(plan)
    out.departments = list(plan.departments)
    out.departments[department] = replace(dept, changes=sorted(kept + added))
    return out


def _walls(plan: Plan, horizon_end: float) -> tuple[float, float]:
    """The horizon's start (the snapshot) and end as wall minutes."""
    cal = plan.calendar
    start_wall = float(cal.to_wall_array(np.array([plan.start]), side="left")[0])
    end_wall = float(cal.to_wall_array(np.array([horizon_end]), side="left")[0])
    return start_wall, end_wall


def _graded_replications(plan: Plan, cases, replications: int, seed: int, extension, choices):
    """The forecast's replications run again on `plan` (the same random numbers whatever the
    staffing): per replication, the open cases graded (with their extensions) and every case."""
    engine = engine_for(plan)["engine"]
    extension = {c.number: extension.get(c.key, 0.0) for c in cases}
    for r in range(replications):
        warm, every = run_warm(plan, placed(cases, choices, seed, r), r, seed, engine)
        yield grade(plan, warm, extension), grade(plan, every, {})


def reds(plan: Plan, cases, horizon_end: float, replications: int, seed: int, extension, choices):
    """Per replication: (open cases red by the horizon's end, red cards fired within it)."""
    start_wall, end_wall = _walls(plan, horizon_end)
    edges = np.array([start_wall, end_wall])
    open_red, all_red = [], []
    for graded, every in _graded_replications(plan, cases, replications, seed, extension, choices):
        open_red.append(float((reached(graded, len(cases), end_wall) >= RED).sum()))
        all_red.append(float(fired_per_day(every, "red", edges, start_wall).sum()))
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
    until = min(plan.calendar.working_days_after_one(plan.start, days), plan.end)
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


# --- the cheapest dated staff change that meets a target (`--prevent "red<=N"`) ---------------

_TARGET = re.compile(r"^\s*(red|yellow)\s*<=\s*([0-9]+(?:\.[0-9]+)?)\s*$")
SCOPES = ("open", "all")
BUDGET = 200  # candidates tried at most by one search
METHOD = N_(
    "candidates: up to {max_extra} extra staff at up to {max_desks} desks at once, each for the "
    "first 1 to {days} working days of the horizon (or, with --movable, staff moved between the "
    "listed desks, which costs no extra staff-days); cost: extra staff-days; every candidate runs "
    "the forecast's own replications (common random numbers); a target holds when the one-sided "
    "{level:.0%} upper bound (Student-t over replications) is at or below it; the largest changes "
    "first (if all fail, no change within the bounds meets the target), then candidates in order "
    "of cost, skipping those no larger than one that failed (assumes more staff never adds a red)"
)


def parse_prevent(text: str) -> int | dict:
    """`--prevent`: working days (an integer: one more staff per desk, ranked) or a target
    `red<=N` / `yellow<=N` (the cards to come, at most N)."""
    text = str(text).strip()
    if text.isdigit():
        if int(text) < 1:
            raise SlasimError(
                "--prevent takes at least 1 working day, got {text}", field="--prevent", text=text
            )
        return int(text)
    match = _TARGET.match(text)
    if not match:
        raise SlasimError(
            "--prevent takes working days (e.g. 3) or a target red<=N or yellow<=N, got {text}",
            field="--prevent",
            text=repr(text),
        )
    return {"target": text.replace(" ", ""), "level": match[1], "bound": float(match[2])}


def with_change(plan: Plan, department: int, start: float, end: float, delta: int) -> Plan | None:
    """The plan with `delta` more staff (fewer, if negative) at a department over [start, end):
    the staff in force at each moment of the window plus `delta`; None when a desk would be left
    with no staff."""
    changed = with_extra(plan, department, start, end, delta)
    dept = changed.departments[department]
    if delta < 0 and any(staff < 1 for s, e, staff in dept.changes if start <= s < end):
        return None
    return changed


def upper_bound(values: np.ndarray, confidence_level: float) -> float:
    """The one-sided upper bound of the mean at `confidence_level` (Student-t over
    replications; the mean itself when they do not spread)."""
    from scipy.special import stdtrit

    n = len(values)
    spread = float(values.std(ddof=1)) if n > 1 else 0.0
    return float(values.mean() + stdtrit(n - 1, confidence_level) * spread / math.sqrt(n))


def cards_to_come(
    plan: Plan, cases, horizon_end: float, replications: int, seed: int, extension, choices, level
):
    """Per replication: (open cases that reach `level` or worse by the horizon's end and had not
    at the snapshot, `level` cards fired within the horizon by every case)."""
    start_wall, end_wall = _walls(plan, horizon_end)
    edges = np.array([start_wall, end_wall])
    index = LEVELS.index(level)
    open_new, every_case = [], []
    for graded, every in _graded_replications(plan, cases, replications, seed, extension, choices):
        now = reached(graded, len(cases), start_wall) >= index
        then = reached(graded, len(cases), end_wall) >= index
        open_new.append(float((then & ~now).sum()))
        every_case.append(float(fired_per_day(every, level, edges, start_wall)[0]))
    return np.array(open_new), np.array(every_case)


@dataclass
class Change:
    """A dated staff change: per entry (department, extra staff, working days from the snapshot);
    a move is two entries, minus at the desk it leaves and plus at the one it joins."""

    entries: tuple[tuple[int, int, int], ...]
    moved: bool = False

    @property
    def cost(self) -> int:
        """Extra staff-days (a move costs none)."""
        return 0 if self.moved else sum(k * d for _, k, d in self.entries)

    @property
    def size(self) -> int:
        """Staff-days changed (a move's: those moved)."""
        return sum(k * d for _, k, d in self.entries if k > 0)

    @property
    def key(self) -> tuple:
        """The order candidates are tried in: cost, staff-days changed, desks changed, entries."""
        return (self.cost, self.size, len(self.entries), self.entries)

    def within(self, other: Change) -> bool:
        """No more staff than `other` at any desk at any moment (extra staff only)."""
        theirs = {dept: (k, d) for dept, k, d in other.entries}
        return all(
            dept in theirs and k <= theirs[dept][0] and d <= theirs[dept][1]
            for dept, k, d in self.entries
        )


def candidates(
    departments: list[int], max_extra: int, days: list[int], max_desks: int, movable=None
) -> list[Change]:
    """Every change within the bounds, cheapest first (`Change.key`)."""
    out = []
    if movable:
        for a, b in itertools.permutations(movable, 2):
            for k in range(1, max_extra + 1):
                for d in days:
                    out.append(Change(((a, -k, d), (b, k, d)), moved=True))
    else:
        single = [
            (dept, k, d) for dept in departments for k in range(1, max_extra + 1) for d in days
        ]
        for n in range(1, max_desks + 1):
            for combo in itertools.combinations(single, n):
                if len({dept for dept, _, _ in combo}) == n:
                    out.append(Change(tuple(combo)))
    return sorted(out, key=lambda c: c.key)


@dataclass
class PreventSearch:
    """The cheapest change meeting `{level}<=bound` on the chosen scope (module functions)."""

    plan: Plan
    cases: list
    horizon_end: float
    replications: int
    seed: int
    level: str
    bound: float
    scope: str = "open"
    extension: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)
    confidence: float = 0.95
    evaluated: dict = field(default_factory=dict)  # entries → (open, all) per replication

    def days_until(self, days: int) -> float:
        """The end of the first `days` working days from the snapshot (business minutes)."""
        return min(self.plan.calendar.working_days_after_one(self.plan.start, days), self.plan.end)

    def plan_for(self, change: Change) -> Plan | None:
        """The forecast's plan with the change (None: it would leave a desk with no staff)."""
        plan = self.plan
        for dept, k, d in change.entries:
            plan = with_change(plan, dept, self.plan.start, self.days_until(d), k)
            if plan is None:
                return None
        return plan

    def values(self, change: Change | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(open, all) counts per replication with the change (None: no change; None back when
        the change is impossible)."""
        key = () if change is None else change.entries
        if key not in self.evaluated:
            plan = self.plan if change is None else self.plan_for(change)
            self.evaluated[key] = None if plan is None else cards_to_come(
                plan, self.cases, self.horizon_end, self.replications, self.seed,
                self.extension, self.choices, self.level,
            )  # fmt: skip
        return self.evaluated[key]

    def judged(self, change: Change | None) -> float | None:
        """The upper bound of the counted cards with the change (None: impossible)."""
        values = self.values(change)
        if values is None:
            return None
        return upper_bound(values[SCOPES.index(self.scope)], self.confidence)

    def holds(self, change: Change | None) -> bool:
        bound = self.judged(change)
        return bound is not None and bound <= self.bound


def search(spec: PreventSearch, changes: list[Change], maxima: list[Change], budget: int) -> tuple:
    """(the cheapest change that holds or None, the best one tried, the changes tried): the
    largest changes first (if every one fails, so does every change within them), then `changes`
    in order, skipping those within one that failed, until one holds or `budget` are tried."""
    failed = [m for m in maxima if not spec.holds(m)]
    tried = list(maxima)
    if len(failed) < len(maxima) or not maxima:
        for change in changes:
            if len(tried) >= budget:
                break
            if not change.moved and any(change.within(f) for f in failed):
                continue
            tried.append(change)
            if spec.holds(change):
                return change, change, tried
            if spec.judged(change) is not None:
                failed.append(change)
    possible = [c for c in tried if spec.judged(c) is not None]
    best = min(possible, key=lambda c: (spec.judged(c), c.key)) if possible else None
    return None, best, tried


def prevent_target(
    plan: Plan,
    cases,
    horizon_end: float,
    target: dict,
    *,
    replications: int,
    seed: int,
    extension: dict | None = None,
    choices: dict | None = None,
) -> dict:
    """`--prevent "red<=N"`: the cheapest dated staff change that brings the cards to come to N
    with 95 % confidence, and its evidence (module functions; guide-forecast.md)."""
    if replications < 2:
        raise SlasimError(
            "--prevent {target} judges a bound over replications: give --reps 2 or more",
            field="--reps",
            target=target["target"],
        )
    names = [d.name for d in plan.departments]
    movable = target.get("movable")
    if movable:
        unknown = [m for m in movable if m not in names]
        if unknown or len(set(movable)) < 2:
            raise SlasimError(
                "--movable names two or more of the scenario's desks ({known}), got {given}",
                field="--movable",
                known=", ".join(names),
                given=", ".join(movable),
            )
        movable = [names.index(m) for m in dict.fromkeys(movable)]
    scope = target.get("scope", "open")
    max_extra, max_desks = target.get("max_extra", 2), target.get("max_desks", 2)
    spec = PreventSearch(
        plan, cases, horizon_end, replications, seed, target["level"], target["bound"], scope,
        extension or {}, choices or {},
    )  # fmt: skip
    days = [1]  # 1, 2, … working days, the last reaching the horizon's end
    while spec.days_until(days[-1]) < horizon_end:
        days.append(days[-1] + 1)
    changes = candidates(list(range(len(names))), max_extra, days, max_desks, movable)
    maxima = []
    if not movable:  # the largest changes: every set of max_desks desks, all at the most
        width = min(max_desks, len(names))
        maxima = [
            Change(tuple((dept, max_extra, days[-1]) for dept in combo))
            for combo in itertools.combinations(range(len(names)), width)
        ]
    needed = not spec.holds(None)
    found, best, tried = (None, None, [])
    if needed:
        found, best, tried = search(spec, changes, maxima, target.get("budget", BUDGET))

    def evidence(change: Change | None) -> dict:
        open_new, every_case = spec.values(change)
        base_open, base_all = spec.values(None)
        return {
            "open_new": confidence(list(open_new)),
            "all": confidence(list(every_case)),
            "upper_bound": spec.judged(change),
            "prevented_open": confidence(list(base_open - open_new)),
            "prevented_all": confidence(list(base_all - every_case)),
        }

    def described(change: Change) -> dict:
        cal = plan.calendar
        return {
            "staff_days": change.cost,
            "moved_staff_days": change.size if change.moved else 0,
            "desks": [
                {
                    "department": names[dept],
                    "staff": k,
                    "days": d,
                    "until": minutes_to_iso(
                        float(cal.to_wall_array(np.array([spec.days_until(d)]), side="left")[0])
                    ),
                }
                for dept, k, d in change.entries
            ],
            **evidence(change),
        }

    before = evidence(None)
    result = {
        "target": target["target"],
        "level": target["level"],
        "bound": target["bound"],
        "scope": scope,
        "confidence": spec.confidence,
        "replications": replications,
        "max_extra": max_extra,
        "max_desks": max_desks,
        "days": days[-1],
        "movable": None if not movable else [names[m] for m in movable],
        "method": Text(
            METHOD,
            max_extra=max_extra,
            max_desks=max_desks,
            days=days[-1],
            level=spec.confidence,
        ),
        "before": {k: before[k] for k in ("open_new", "all", "upper_bound")},
        "needed": needed,
        "found": found is not None or not needed,
        "change": None if found is None else described(found),
        "best": None if found is not None or best is None else described(best),
        "candidates_tried": len(tried),
        "budget_spent": len(tried) >= target.get("budget", BUDGET),
    }
    return result
