"""The cheapest staffing whose targets hold with the requested confidence (`slasim staff`).

Method (stated in every result):
1. **Candidates** are staff vectors, one number per department, within `--min`/`--max`; a dated
   staff change keeps its shape as an offset from the department's base staff. Cost is the sum of
   staff × cost per head (default 1).
2. **Common random numbers**: replication r of every candidate draws the same arrivals, work
   times, supplements and branches (the seed streams do not depend on staff), so candidates are
   compared on the same cases.
3. **Sequential replications**: a candidate starts with `initial` replications and gets more, in
   batches, only while a target's confidence interval still straddles its bound (up to
   `max_reps`). Each target is judged one-sided at (1 − confidence)/k for k targets (Bonferroni).
   A candidate is *accepted* when every target holds; otherwise it is *rejected* (a target fails,
   or one is still undecided at `max_reps`).
4. **Stability first**: a staffing at which a department's offered load reaches its staff on duty
   (averaged over the period, `load.instability`) is rejected as "unstable (offered load X ≥
   staff N)" without simulating: its queue grows without bound, so no horizon would judge it
   fairly. So is one whose queue would take longer to settle than the measured window (its
   relaxation time, `load.settling_minutes`): a window that short still shows the empty start.
   Each department's bisection starts at its fewest stable staff.
5. **Horizon** (`horizon`): candidates are judged on the scenario's period, lengthened at its end
   when its measured window is shorter than 5 × the longest legal limit.
6. **Search**, assuming more staff never makes a target worse: the maximum staffing is tried
   first (if rejected, no staffing within the bounds meets the targets, and the result says which
   target fails by how much). Then for each department a bisection, the others at their maximum,
   finds the fewest staff that can be accepted: below it every vector is dominated by a rejected
   one. The offered load (`load`) gives each bisection's first probe. Finally the vectors left are
   tried in order of cost (then department order); a vector below one already rejected is
   discarded unseen, and the first accepted is the answer.

Default bounds: 1 to max(2 × today's staff, today's + 2, ceil(1.5 × offered load) + 1) — the
last keeps the maximum at or below two thirds utilisation, where several staff at one desk wait
little against limits counted in days, so "infeasible" speaks of the targets, not of the bounds.
When the targets fail at the maximum, the message names each failing target and its shortfall in
its own units (a share in percentage points), the busiest departments' offered load and the
`--max DEPT=N` worth trying (twice the maximum, and at least the default rule's bound).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, Text
from slasim.io.schema import validate
from slasim.outputs.staffing import at_maximum_text, joined
from slasim.scenario.plan import DepartmentPlan, Plan, compile_plan
from slasim.scenario.reforms import scenario_with_reforms
from slasim.scenario.schema import Scenario
from slasim.sim.runner import replicate
from slasim.sim.workload import check_workload
from slasim.staffing.horizon import judged_scenario
from slasim.staffing.load import (
    instability,
    mean_staff,
    offered_load,
    settling_minutes,
    stable_staff,
    visit_minutes,
)
from slasim.staffing.targets import FAILS, HOLDS, Target, check_targets, interval, judge

METHOD = N_(
    "staffings whose offered load reaches a department's staff are rejected unsimulated "
    "(unstable); common random numbers; sequential replications per candidate until every "
    "target's one-sided interval clears its bound (Bonferroni over targets); maximum staffing "
    "first, then a bisection per department with the others at maximum, then candidates in order "
    "of cost, discarding those dominated by a rejected one (assumes more staff never worsens a "
    "target)"
)


@dataclass
class Candidate:
    """A staff vector and what its replications say of each target."""

    staff: tuple[int, ...]
    cost: float
    values: list[np.ndarray] = field(default_factory=list)  # per target, one value a replication
    cases: list[np.ndarray] = field(default_factory=list)  # per target, the cases behind a share
    verdicts: list[tuple[str, float, float]] = field(default_factory=list)
    unstable: str | None = None  # why it cannot keep up (then it is never simulated)

    @property
    def reps(self) -> int:
        """Replications run for this candidate."""
        return len(self.values[0]) if self.values else 0

    @property
    def accepted(self) -> bool:
        """Every target holds."""
        return bool(self.verdicts) and all(v[0] == HOLDS for v in self.verdicts)


@dataclass
class Search:
    """One staffing search over a scenario (a reform set already applied)."""

    scenario: Scenario
    source: str
    targets: list[Target]
    departments: list[str]
    low: dict[str, int]
    high: dict[str, int]
    costs: dict[str, float]
    confidence: float = 0.95
    initial: int = 5
    batch: int = 5
    max_reps: int = 40
    budget: int = 4000
    seed: int | None = None
    workers: int = 1
    scheduler: str | None = None
    progress: Callable[[int], None] | None = None  # called with the replications used so far
    evaluated: dict[tuple[int, ...], Candidate] = field(default_factory=dict)
    reps_used: int = 0
    targets_checked: bool = False
    fixed: frozenset[str] = frozenset()  # departments kept at today's staff (not searched)
    plan: Plan | None = None  # the scenario compiled with today's staff (set on creation)
    load: dict[str, float] = field(default_factory=dict)  # offered load per department
    visit: dict[str, float] = field(default_factory=dict)  # mean work minutes of a desk visit

    def __post_init__(self):
        self.plan = self.plan or compile_plan(self.scenario, self.source)
        self.load = self.load or offered_load(self.plan)
        self.visit = visit_minutes(self.plan)

    def unfit(self, name: str, n: int) -> str | None:
        """Why a department with base staff `n` cannot be judged fit: unstable, or too slow to
        settle within the measured window (None if neither)."""
        plan, staff = self.plan, self.mean_staff(name, n)
        cal = plan.calendar
        office = cal.day_minutes[plan.start_office : plan.end_office]
        # office minutes a working day (open rest days' minutes spread over the working days)
        days = plan.end_day - plan.start_day
        day = float(office.sum() / days if cal.rest_days_open else office.mean())
        measured = days - self.scenario.warmup_days
        load = self.load[name]
        settling = settling_minutes(load, staff, self.visit[name]) / day if load < staff else 0.0
        return instability(load, staff, settling, measured)

    @property
    def alpha(self) -> float:
        """One-sided level per target (Bonferroni)."""
        return (1.0 - self.confidence) / len(self.targets)

    def cost(self, staff: tuple[int, ...]) -> float:
        """Sum of staff × cost per head."""
        return float(sum(n * self.costs[d] for d, n in zip(self.departments, staff)))

    def scenario_for(self, staff: tuple[int, ...]) -> Scenario:
        """The scenario with these staff; dated changes and roster bands keep their offset from
        the base staff (a roster of 2 on Saturdays under a base of 4 stays two fewer)."""
        departments = dict(self.scenario.departments)
        for name, n in zip(self.departments, staff):
            dept = departments[name]

            def shifted(items, base=dept.staff, n=n):
                return [i.model_copy(update={"staff": max(0, i.staff + n - base)}) for i in items]

            update = {"staff": n, "staff_changes": shifted(dept.staff_changes)}
            if getattr(dept, "roster", None):
                update["roster"] = shifted(dept.roster)
            departments[name] = dept.model_copy(update=update)
        return self.scenario.model_copy(update={"departments": departments})

    def mean_staff(self, name: str, n: int) -> float:
        """A department's staff on duty averaged over the period with base staff `n` (dated
        changes shifted as `scenario_for` shifts them)."""
        dept = self.plan.departments[list(self.scenario.departments).index(name)]
        base = self.scenario.departments[name].staff
        changes = [(t0, t1, max(0, s + n - base)) for t0, t1, s in dept.changes]
        shifted = DepartmentPlan(dept.index, name, n, changes)
        return mean_staff(shifted, self.plan.start, self.plan.end)

    def instability(self, staff: tuple[int, ...]) -> str | None:
        """Why a staff vector cannot keep up, department by department (None if it can)."""
        problems = [
            Text("{where}: {line}", where=name, line=why)
            for name, n in zip(self.departments, staff)
            if (why := self.unfit(name, n))
        ]
        return joined(problems) or None

    def stable_floor(self, name: str) -> int:
        """The fewest staff within the bounds at which a department keeps up (high + 1: none)."""
        return next(
            (n for n in range(self.low[name], self.high[name] + 1) if self.unfit(name, n) is None),
            self.high[name] + 1,
        )

    def evaluate(self, staff: tuple[int, ...]) -> Candidate:
        """Run replications of a staff vector until its targets are decided (or the cap); an
        unstable one is recorded as such and never run."""
        candidate = self.evaluated.get(staff)
        if candidate is None:
            candidate = Candidate(
                staff,
                self.cost(staff),
                [np.empty(0) for _ in self.targets],
                [np.empty(0) for _ in self.targets],
            )
            candidate.unstable = self.instability(staff)
            self.evaluated[staff] = candidate
        if candidate.unstable:
            return candidate
        plan = None
        while candidate.reps < self.max_reps:
            if candidate.verdicts and all(v[0] != "undecided" for v in candidate.verdicts):
                break
            if self.reps_used >= self.budget:
                if candidate.reps == 0:  # never run: not a candidate the result can speak of
                    del self.evaluated[staff]
                raise BudgetExhausted()
            step = self.initial if candidate.reps == 0 else self.batch
            upto = min(candidate.reps + step, self.max_reps)
            upto = min(upto, candidate.reps + self.budget - self.reps_used)
            plan = plan or compile_plan(self.scenario_for(staff), self.source)
            seed = self.scenario.seed if self.seed is None else self.seed
            runs = replicate(
                plan,
                upto,
                seed,
                workers=self.workers,
                scheduler=self.scheduler,
                first=candidate.reps,
            )
            if not self.targets_checked:
                check_targets(self.targets, runs[0])
                self.targets_checked = True
            self.reps_used += len(runs)
            candidate.values = [
                np.concatenate([old, np.array([t.of(r) for r in runs])])
                for t, old in zip(self.targets, candidate.values)
            ]
            candidate.cases = [
                np.concatenate([old, np.array([t.cases(r) for r in runs])])
                for t, old in zip(self.targets, candidate.cases)
            ]
            candidate.verdicts = [
                judge(t, v, self.alpha, n)
                for t, v, n in zip(self.targets, candidate.values, candidate.cases)
            ]
            if self.progress:
                self.progress(self.reps_used)
        return candidate

    def rejected_below(self, staff: tuple[int, ...]) -> bool:
        """Whether a rejected candidate has at least these staff everywhere (so this one fails too)."""
        return any(
            not c.accepted and all(a <= b for a, b in zip(staff, c.staff))
            for c in self.evaluated.values()
        )

    def run(self) -> dict:
        """The search: maximum first, bisections per department, then candidates by cost."""
        top = tuple(self.high[d] for d in self.departments)
        try:
            if not self.evaluate(top).accepted:
                return self.result(None, "infeasible")
            floors = self.bisect_floors(top)
            ranges = [range(floors[d], self.high[d] + 1) for d in self.departments]
            for staff in sorted(itertools.product(*ranges), key=lambda s: (self.cost(s), s)):
                if self.rejected_below(staff):
                    continue
                if self.evaluate(staff).accepted:
                    return self.result(staff, "found")
        except BudgetExhausted:
            best = min(
                (c for c in self.evaluated.values() if c.accepted),
                key=lambda c: (c.cost, c.staff),
                default=None,
            )
            return self.result(best.staff if best else None, "budget exhausted")
        raise AssertionError("the maximum was accepted, so the enumeration finds a candidate")

    def bisect_floors(self, top: tuple[int, ...]) -> dict[str, int]:
        """Per department, the fewest staff accepted with every other department at its maximum."""
        floors = {}
        for i, name in enumerate(self.departments):
            lo, hi = self.stable_floor(name), self.high[name]  # hi is accepted (the maximum is)
            if lo > self.low[name]:  # the evidence: one staff fewer cannot keep up (not run)
                self.evaluate(top[:i] + (lo - 1,) + top[i + 1 :])
            probe = min(max(stable_staff(self.load[name]), lo), hi)
            while lo < hi:
                staff = top[:i] + (probe,) + top[i + 1 :]
                if self.evaluate(staff).accepted:
                    hi = probe
                else:
                    lo = probe + 1
                probe = (lo + hi) // 2
            floors[name] = lo
        return floors

    def result(self, chosen: tuple[int, ...] | None, status: str) -> dict:
        """The result document: the answer with its evidence, failed cheaper candidates (unstable
        ones say so), the frontier of simulated candidates, and what to try when infeasible."""
        grid = math.prod(self.high[d] - self.low[d] + 1 for d in self.departments)
        best = self.evaluated.get(chosen) if chosen is not None else None
        simulated = [c for c in self.evaluated.values() if c.reps > 0]
        unstable = sorted(
            (c for c in self.evaluated.values() if c.unstable), key=lambda c: (c.cost, c.staff)
        )
        out = {
            "status": status,
            "staff": dict(zip(self.departments, chosen)) if chosen is not None else None,
            "cost": best.cost if best else None,
            "evidence": self.describe(best) if best else None,
            "confidence": self.confidence,
            "replications_used": self.reps_used,
            "candidates_evaluated": len(simulated),
            "grid_size": grid,
            "exhaustive_replications": grid * self.max_reps,
            "offered_load": {d: round(self.load[d], 4) for d in self.departments},
            "unstable": [
                {"staff": dict(zip(self.departments, c.staff)), "cost": c.cost, "why": c.unstable}
                for c in unstable
            ],
        }
        if status == "infeasible":
            top = self.evaluated[tuple(self.high[d] for d in self.departments)]
            out["at_maximum"] = {
                "staff": dict(zip(self.departments, top.staff)),
                **self.describe(top),
            }
            out["advice"] = self.advice(top)
        cheaper = sorted(
            (
                c
                for c in self.evaluated.values()
                if not c.accepted and (best is None or c.cost < best.cost)
            ),
            key=lambda c: (-c.cost, c.staff),
        )
        out["failed_cheaper"] = [
            {"staff": dict(zip(self.departments, c.staff)), "cost": c.cost, **self.binding(c)}
            for c in cheaper[:3]
        ]
        first = self.targets[0]
        out["frontier"] = [
            {
                "staff": dict(zip(self.departments, c.staff)),
                "cost": c.cost,
                "accepted": c.accepted,
                "replications": c.reps,
                first.text: interval(c.values[0], self.confidence, first.is_share, c.cases[0]),
            }
            for c in sorted(simulated, key=lambda c: (c.cost, c.staff))
        ]
        return out

    def describe(self, candidate: Candidate) -> dict:
        """Each target's estimate with its interval, verdict and replications (or why the
        candidate is unstable)."""
        if candidate.unstable:
            return {"replications": 0, "unstable": candidate.unstable, "by_target": []}
        return {
            "replications": candidate.reps,
            "by_target": [
                {
                    "target": t.text,
                    "share": t.is_share,
                    "verdict": v[0],
                    "margin": t.margin(float(np.nanmean(values))),
                    "unit": t.unit,
                    **interval(values, self.confidence, t.is_share, cases),
                }
                for t, values, cases, v in zip(
                    self.targets, candidate.values, candidate.cases, candidate.verdicts
                )
            ],
        }

    def binding(self, candidate: Candidate) -> dict:
        """The target that rejects a candidate: failed (or undecided) with the worst margin; for
        an unstable candidate, why it cannot keep up."""
        if candidate.unstable:
            return {"binding": None, "verdict": "unstable", "why": candidate.unstable}
        worst = min(
            range(len(self.targets)),
            key=lambda j: (
                candidate.verdicts[j][0] == HOLDS,
                candidate.verdicts[j][0] != FAILS,
                self.targets[j].margin(float(np.nanmean(candidate.values[j]))),
            ),
        )
        target = self.targets[worst]
        return {
            "binding": target.text,
            "share": target.is_share,
            "verdict": candidate.verdicts[worst][0],
            "unit": target.unit,
            **interval(
                candidate.values[worst], self.confidence, target.is_share, candidate.cases[worst]
            ),
        }

    def advice(self, top: Candidate) -> dict:
        """When the maximum fails: the busiest departments there (utilisation within 10 points of
        the highest) with their offered load, and the `--max` worth trying for each."""
        use = {d: self.load[d] / self.mean_staff(d, n) for d, n in zip(self.departments, top.staff)}
        peak = max(use.values())
        busiest = [d for d in self.departments if peak > 0 and use[d] >= peak - 0.1]
        return {
            "busiest": [
                {
                    "department": d,
                    "offered_load": round(self.load[d], 4),
                    "staff": round(self.mean_staff(d, self.high[d]), 3),  # on average
                    "utilisation": round(use[d], 4),
                    "searched": d not in self.fixed,
                    "try_max": max(2 * self.high[d], default_high(self.load[d], self.high[d])),
                }
                for d in busiest
            ],
            "peak_utilisation": round(peak, 4),
        }


class BudgetExhausted(Exception):
    """The replication budget ran out before the search ended."""


def parse_assignments(items: list[str], option: str, kind=int) -> dict[str, float]:
    """`DEPT=VALUE` options (`--cost`, `--min`, `--max`) as a mapping."""
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        try:
            value = kind(text)
        except ValueError:
            value = None
        if not sep or not name or value is None or not math.isfinite(value) or value < 0:
            raise SlasimError(
                "expected DEPARTMENT=NUMBER (finite, >= 0), got {item}",
                field=option,
                item=repr(item),
            )
        if name.strip() in out:
            raise SlasimError(
                "department {name} is given twice", field=option, name=repr(name.strip())
            )
        out[name.strip()] = value
    return out


def default_high(load: float, today: int) -> int:
    """Default most staff: max(2 × today's, today's + 2, ceil(1.5 × offered load) + 1)."""
    return max(2 * today, today + 2, math.ceil(1.5 * load) + 1)


def search_bounds(
    scenario: Scenario,
    low: dict,
    high: dict,
    costs: dict,
    only: list[str] | None = None,
    load: dict[str, float] | None = None,
) -> tuple[list[str], dict, dict, dict]:
    """Departments and their bounds and costs: by default 1 to `default_high` (given the offered
    `load`), cost 1 a head; with `only`, the other departments keep today's staff. Unknown
    department names are refused."""
    names = list(scenario.departments)
    for option, given in (
        ("--min", low),
        ("--max", high),
        ("--cost", costs),
        ("--dept", only or []),
    ):
        for name in given:
            if name not in scenario.departments:
                raise SlasimError(
                    "unknown department {name} (have {names})",
                    field=option,
                    name=repr(name),
                    names=", ".join(names),
                )
    lows, highs = {}, {}
    for name, dept in scenario.departments.items():
        if only and name not in only:
            low, high = {**low, name: dept.staff}, {**high, name: dept.staff}
        lows[name] = int(low.get(name, 1))
        highs[name] = int(high.get(name, default_high((load or {}).get(name, 0.0), dept.staff)))
        if lows[name] > highs[name]:
            raise SlasimError(
                "{name}: --min {low} is above --max {high}",
                field="--min",
                name=name,
                low=lows[name],
                high=highs[name],
            )
    return names, lows, highs, {n: float(costs.get(n, 1.0)) for n in names}


def find_staffing(
    data: dict,
    source: str,
    targets: list[Target],
    *,
    reform_sets: list[list[str]] = (),
    low: dict | None = None,
    high: dict | None = None,
    costs: dict | None = None,
    only: list[str] | None = None,
    max_cases: float | None = None,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **options,
) -> dict:
    """The cheapest staffing for the baseline and for each reform set (a list of reform names
    applied together), each found by its own `Search` on common random numbers over the horizon
    `horizon.judged_scenario` chooses. Before any run, judging one staffing (`max_reps`
    replications) is checked against `max_cases`; the replication budget caps how many are
    judged. `progress(done, total)` follows the replications against the budgets of all searches
    and reaches its total when the searches end (most end well before their budget)."""
    if not targets:
        raise SlasimError("give at least one --target METRIC<=VALUE", field="--target")
    searches = []
    for names in [[], *reform_sets]:
        if names:
            scenario = scenario_with_reforms(data, list(names), source)
        else:
            scenario = validate(Scenario, {k: v for k, v in data.items() if k != "reforms"}, source)
        judged, horizon = judged_scenario(scenario, source, strict)
        plan = compile_plan(judged, source)
        load = offered_load(plan)
        departments, lows, highs, costs_by = search_bounds(
            judged, low or {}, high or {}, costs or {}, only, load
        )
        fixed = frozenset(d for d in departments if only and d not in only)
        search = Search(
            judged, source, targets, departments, lows, highs, costs_by, **options,
            fixed=fixed, plan=plan, load=load,
        )  # fmt: skip
        bounds = {d: [lows[d], highs[d]] for d in departments}
        searches.append((names, search, bounds, costs_by, horizon))
    for _, search, _, _, _ in searches:  # the work of judging one staffing; --budget caps how many
        check_workload(
            [(search.plan, search.max_reps)],
            max_cases,
            Text("replications to judge one staffing (--max-reps)"),
        )
    total = sum(search.budget for _, search, _, _, _ in searches)
    results, done = [], 0
    for names, search, bounds, costs_by, horizon in searches:
        if progress:
            search.progress = lambda used, before=done: progress(before + used, total)
        found = search.run()
        done += search.budget
        results.append(
            {"reforms": list(names), "bounds": bounds, "costs": costs_by, "horizon": horizon}
            | found
        )
    if progress:
        progress(total, total)
    base = results[0]
    for result in results[1:]:
        both = result["cost"] is not None and base["cost"] is not None
        result["saving"] = base["cost"] - result["cost"] if both else None
    plan = compile_plan(
        validate(Scenario, {k: v for k, v in data.items() if k != "reforms"}, source), source
    )
    return {
        "scenario": plan.scenario.name,
        "calendar": plan.calendar.name,
        "provisional": plan.provisional or any(r["horizon"]["provisional"] for r in results),
        "seed": plan.scenario.seed if options.get("seed") is None else options["seed"],
        "targets": [
            Text("{target} ({service})", target=t.text, service=t.service)
            if t.service
            else Text("{target} (all services)", target=t.text)
            for t in targets
        ],
        "target_specs": [
            {
                "text": t.text,
                "metric": t.metric,
                "op": t.op,
                "value": t.value,
                "service": t.service,
                "share": t.is_share,
            }
            for t in targets
        ],
        "confidence": options.get("confidence", 0.95),
        "method": METHOD,
        "results": results,
    }


def infeasible_message(result: dict) -> str | None:
    """One line when no searched reform set has a staffing meeting the targets: the baseline's
    failing targets at the maximum in their own units, the busiest departments' offered load and
    the `--max` worth trying; None when a reform set has a staffing."""
    if any(r["status"] != "infeasible" for r in result["results"]):
        return None
    return Text(
        "no staffing within the bounds meets the targets: {why}",
        why=at_maximum_text(result["results"][0]),
    )
