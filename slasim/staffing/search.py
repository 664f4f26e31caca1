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
4. **Search**, assuming more staff never makes a target worse: the maximum staffing is tried
   first (if rejected, no staffing within the bounds meets the targets, and the result says which
   target fails by how much). Then for each department a bisection, the others at their maximum,
   finds the fewest staff that can be accepted: below it every vector is dominated by a rejected
   one. The offered load (`load`) gives each bisection's first probe. Finally the vectors left are
   tried in order of cost (then department order); a vector below one already rejected is
   discarded unseen, and the first accepted is the answer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.plan import compile_plan
from slasim.scenario.reforms import scenario_with_reforms
from slasim.scenario.schema import Scenario
from slasim.sim.runner import replicate
from slasim.sim.workload import check_workload
from slasim.staffing.load import offered_load, stable_staff
from slasim.staffing.targets import FAILS, HOLDS, Target, check_targets, interval, judge

METHOD = (
    "common random numbers; sequential replications per candidate until every target's one-sided "
    "interval clears its bound (Bonferroni over targets); maximum staffing first, then a bisection "
    "per department with the others at maximum, then candidates in order of cost, discarding those "
    "dominated by a rejected one (assumes more staff never worsens a target)"
)


@dataclass
class Candidate:
    """A staff vector and what its replications say of each target."""

    staff: tuple[int, ...]
    cost: float
    values: list[np.ndarray] = field(default_factory=list)  # per target, one value a replication
    verdicts: list[tuple[str, float, float]] = field(default_factory=list)

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
    progress: Callable[[int, int], None] | None = None
    evaluated: dict[tuple[int, ...], Candidate] = field(default_factory=dict)
    reps_used: int = 0
    targets_checked: bool = False

    @property
    def alpha(self) -> float:
        """One-sided level per target (Bonferroni)."""
        return (1.0 - self.confidence) / len(self.targets)

    def cost(self, staff: tuple[int, ...]) -> float:
        """Sum of staff × cost per head."""
        return float(sum(n * self.costs[d] for d, n in zip(self.departments, staff)))

    def scenario_for(self, staff: tuple[int, ...]) -> Scenario:
        """The scenario with these staff; dated changes keep their offset from the base staff."""
        departments = dict(self.scenario.departments)
        for name, n in zip(self.departments, staff):
            dept = departments[name]
            changes = [
                c.model_copy(update={"staff": max(0, c.staff + n - dept.staff)})
                for c in dept.staff_changes
            ]
            departments[name] = dept.model_copy(update={"staff": n, "staff_changes": changes})
        return self.scenario.model_copy(update={"departments": departments})

    def evaluate(self, staff: tuple[int, ...]) -> Candidate:
        """Run replications of a staff vector until its targets are decided (or the cap)."""
        candidate = self.evaluated.get(staff)
        if candidate is None:
            candidate = Candidate(staff, self.cost(staff), [np.empty(0) for _ in self.targets])
            self.evaluated[staff] = candidate
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
            candidate.verdicts = [
                judge(t, v, self.alpha) for t, v in zip(self.targets, candidate.values)
            ]
            if self.progress:
                self.progress(len(self.evaluated), self.reps_used)
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
        load = offered_load(compile_plan(self.scenario_for(top), self.source))
        floors = {}
        for i, name in enumerate(self.departments):
            lo, hi = self.low[name], self.high[name]  # hi is accepted (the maximum vector is)
            probe = min(max(stable_staff(load[name]), lo), hi)
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
        """The result document: the answer with its evidence, failed cheaper candidates, frontier."""
        grid = math.prod(self.high[d] - self.low[d] + 1 for d in self.departments)
        best = self.evaluated.get(chosen) if chosen is not None else None
        out = {
            "status": status,
            "staff": dict(zip(self.departments, chosen)) if chosen is not None else None,
            "cost": best.cost if best else None,
            "evidence": self.describe(best) if best else None,
            "confidence": self.confidence,
            "replications_used": self.reps_used,
            "candidates_evaluated": len(self.evaluated),
            "grid_size": grid,
            "exhaustive_replications": grid * self.max_reps,
        }
        if status == "infeasible":
            top = self.evaluated[tuple(self.high[d] for d in self.departments)]
            out["at_maximum"] = {
                "staff": dict(zip(self.departments, top.staff)),
                **self.describe(top),
            }
        cheaper = sorted(
            (
                c
                for c in self.evaluated.values()
                if not c.accepted and (best is None or (c.cost, c.staff) < (best.cost, best.staff))
            ),
            key=lambda c: (-c.cost, c.staff),
        )
        out["failed_cheaper"] = [
            {"staff": dict(zip(self.departments, c.staff)), "cost": c.cost, **self.binding(c)}
            for c in cheaper[:3]
        ]
        out["frontier"] = [
            {
                "staff": dict(zip(self.departments, c.staff)),
                "cost": c.cost,
                "accepted": c.accepted,
                "replications": c.reps,
                self.targets[0].text: interval(c.values[0], self.confidence),
            }
            for c in sorted(self.evaluated.values(), key=lambda c: (c.cost, c.staff))
        ]
        return out

    def describe(self, candidate: Candidate) -> dict:
        """Each target's estimate with its interval, verdict and replications."""
        return {
            "replications": candidate.reps,
            "by_target": [
                {
                    "target": t.text,
                    "verdict": v[0],
                    "margin": t.margin(float(np.nanmean(values))),
                    **interval(values, self.confidence),
                }
                for t, values, v in zip(self.targets, candidate.values, candidate.verdicts)
            ],
        }

    def binding(self, candidate: Candidate) -> dict:
        """The target that rejects a candidate: failed (or undecided) with the worst margin."""
        worst = min(
            range(len(self.targets)),
            key=lambda j: (
                candidate.verdicts[j][0] == HOLDS,
                candidate.verdicts[j][0] != FAILS,
                self.targets[j].margin(float(np.nanmean(candidate.values[j]))),
            ),
        )
        stats = interval(candidate.values[worst], self.confidence)
        return {
            "binding": self.targets[worst].text,
            "verdict": candidate.verdicts[worst][0],
            **stats,
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
        if not sep or not name or value is None or value < 0:
            raise SlasimError(f"expected DEPARTMENT=NUMBER (>= 0), got {item!r}", field=option)
        out[name.strip()] = value
    return out


def search_bounds(
    scenario: Scenario, low: dict, high: dict, costs: dict, only: list[str] | None = None
) -> tuple[list[str], dict, dict, dict]:
    """Departments and their bounds and costs: by default 1 to twice today's staff (at least
    today's + 2), cost 1 a head; with `only`, the other departments keep today's staff. Unknown
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
                    f"unknown department {name!r} (have {', '.join(names)})", field=option
                )
    lows, highs = {}, {}
    for name, dept in scenario.departments.items():
        if only and name not in only:
            low, high = {**low, name: dept.staff}, {**high, name: dept.staff}
        lows[name] = int(low.get(name, 1))
        highs[name] = int(high.get(name, max(2 * dept.staff, dept.staff + 2)))
        if lows[name] > highs[name]:
            raise SlasimError(
                f"{name}: --min {lows[name]} is above --max {highs[name]}", field="--min"
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
    **options,
) -> dict:
    """The cheapest staffing for the baseline and for each reform set (a list of reform names
    applied together), each found by its own `Search` on common random numbers. Before any
    run, judging one staffing (`max_reps` replications) is checked against `max_cases`; the
    replication budget caps how many are judged."""
    if not targets:
        raise SlasimError("give at least one --target METRIC<=VALUE", field="--target")
    searches = []
    for names in [[], *reform_sets]:
        if names:
            scenario = scenario_with_reforms(data, list(names), source)
        else:
            scenario = validate(Scenario, {k: v for k, v in data.items() if k != "reforms"}, source)
        departments, lows, highs, costs_by = search_bounds(
            scenario, low or {}, high or {}, costs or {}, only
        )
        search = Search(scenario, source, targets, departments, lows, highs, costs_by, **options)
        searches.append((names, search, {d: [lows[d], highs[d]] for d in departments}, costs_by))
    for _, search, _, _ in searches:  # the work of judging one staffing; --budget caps how many
        check_workload(
            [(compile_plan(search.scenario, source), search.max_reps)],
            max_cases,
            "replications to judge one staffing (--max-reps)",
        )
    results = [
        {"reforms": list(names), "bounds": bounds, "costs": costs_by, **search.run()}
        for names, search, bounds, costs_by in searches
    ]
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
        "provisional": plan.provisional,
        "seed": plan.scenario.seed if options.get("seed") is None else options["seed"],
        "targets": [
            t.text + (f" ({t.service})" if t.service else " (all services)") for t in targets
        ],
        "target_specs": [
            {"text": t.text, "metric": t.metric, "op": t.op, "value": t.value, "service": t.service}
            for t in targets
        ],
        "confidence": options.get("confidence", 0.95),
        "method": METHOD,
        "results": results,
    }


def infeasible_message(result: dict) -> str | None:
    """One line when no searched reform set has a staffing meeting the targets: the targets that
    fail at the maximum, with their estimates and shortfalls; None when one has."""
    if any(r["status"] != "infeasible" for r in result["results"]):
        return None
    res = result["results"][0]
    top = res["at_maximum"]
    staff = ", ".join(f"{d}={n}" for d, n in top["staff"].items())
    failing = [
        f"{t['target']} is {t['mean']:.4g} ({t['verdict']}, short by {-t['margin']:.4g})"
        for t in top["by_target"]
        if t["verdict"] != HOLDS
    ]
    return (
        f"no staffing within the bounds meets the targets: at the maximum ({staff}) "
        + "; ".join(failing)
    )
