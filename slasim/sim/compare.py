"""Baseline against reforms, replication by replication (common random numbers, docs/ARCHITECTURE.md
property 6).

Replication r of a reform uses the same seed children as replication r of the baseline, so the k-th
case of a service arrives at the same moment and draws the same work where the reform leaves it
alone. The change of a metric is then estimated from the paired differences (reform_r - base_r):
a Student-t 95 % interval on their mean, usually much tighter than comparing two independent runs.

The replications of every plan (the baseline and the variants here, a sweep's grid points) run in
one pool (`replicate_plans`): the plans are compiled once, in this process, before the workers
fork, and no core waits at the end of one plan for the next plan's pool to start.
"""

from __future__ import annotations

import math
import threading
import uuid

import numpy as np

from slasim.scenario.plan import Plan, compile_plan
from slasim.scenario.reforms import scenario_with_reforms
from slasim.scenario.schema import Scenario
from slasim.sim.backlog import backlog_warnings
from slasim.sim.metrics import confidence, summarize
from slasim.sim.parallel import run_parallel
from slasim.sim.runner import describe, engine_used, replicate, replication_metrics
from slasim.sim.workload import check_workload


def _leaves(tree: dict, prefix: tuple = ()):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def _get(tree: dict, path: tuple):
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _set(tree: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def unpaired(base: list[float], other: list[float]) -> list[float] | None:
    """Welch 95 % interval for the difference of means of two independent samples (for contrast)."""
    from scipy.special import stdtrit

    a, b = np.array(base, dtype=float), np.array(other, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        diff = float(b.mean() - a.mean())
        return [diff, diff]
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stdtrit(df, 0.975) * math.sqrt(va + vb))
    diff = float(b.mean() - a.mean())
    return [diff - half, diff + half]


# Which way is better for a metric (by its name): +1 higher, -1 lower; others (volumes,
# utilisation, staff) have no better side and keep the direction words `up`/`down`.
HIGHER_IS_BETTER = {"on_time_legal", "on_time_promised"}
LOWER_IS_BETTER = {
    "ever_red",
    "ever_yellow",
    "gave_up",
    "past_legal",
    "past_promised",
    "open_at_end",
    "open_red_at_end",
    "open_yellow_at_end",
    "pending_at_end",
    "pending_growth",
    "queue_max",
    "queue_mean",
    "time_in_system_hours_mean",
    "wait_hours_mean",
    "waited_share",
    "wip_mean",
}


def better_side(metric: str) -> int:
    """+1 if more of `metric` is better, -1 if less is, 0 if neither (see the sets above)."""
    if metric in HIGHER_IS_BETTER:
        return 1
    if metric in LOWER_IS_BETTER or metric.startswith(
        ("lead_time_", "accept_wait_", "applicant_wait_")
    ):
        return -1
    return 0


def verdict(ci: list[float] | None, metric: str = "") -> str:
    """A change's verdict from its CI: `better` or `worse` when the whole interval lies on one
    side (for metrics with a better side), else `up`/`down`; `no clear change` when the interval
    holds 0, `unchanged` when every pair was equal, `n/a` without an interval."""
    if ci is None:
        return "n/a"
    if ci[0] == ci[1] == 0:
        return "unchanged"
    if ci[0] <= 0 <= ci[1]:
        return "no clear change"
    rose = ci[0] > 0
    side = better_side(metric)
    if side == 0:
        return "up" if rose else "down"
    return "better" if rose == (side > 0) else "worse"


def paired_changes(base: list[dict], reform: list[dict]) -> dict:
    """Per metric present in both: paired mean change, its 95 % CI, the unpaired CI, a verdict."""
    out: dict = {}
    for path, _ in _leaves(base[0]):
        pairs = [(_get(b, path), _get(r, path)) for b, r in zip(base, reform)]
        if any(x is None or y is None for x, y in pairs):
            continue  # e.g. a step the reform removed
        diffs = [y - x for x, y in pairs]
        stat = confidence(diffs)
        _set(
            out,
            path,
            {
                "change": stat["mean"],
                "ci95": stat["ci95"],
                "unpaired_ci95": unpaired([x for x, _ in pairs], [y for _, y in pairs]),
                "verdict": verdict(stat["ci95"], path[-1]),
            },
        )
    return out


_RUNS: dict[str, list[Plan]] = {}  # plans of the runs under way here, inherited by forked workers
_COMPILED: dict[tuple[str, int], Plan] = {}  # plans a worker compiled itself (spawn, Dask)
_COMPILED_LOCK = threading.Lock()  # a Dask worker may run replications in several threads


def replicate_plans(
    runs: list[tuple[Plan, int, int]],
    progress=None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_result=None,
) -> list[list[dict]]:
    """`replicate(plan, n, seed)` for each (plan, n, seed) of `runs`, in one pool of `workers`
    processes or on the Dask scheduler: the same results as running each on its own.
    `progress(done)` counts replications over all the runs. With `on_result(k, r, metrics)`, each
    replication r of plan k is handed over as it arrives (in any order) and not kept: the lists
    returned are empty."""
    jobs = [(k, r) for k, (_, n, _) in enumerate(runs) for r in range(n)]
    if not (scheduler or (workers > 1 and len(jobs) > 1)):
        done, out = 0, []
        for plan, n, seed in runs:
            step = None if progress is None else (lambda d, offset=done: progress(offset + d))
            runs_k = replicate(plan, n, seed, step)
            done += n
            if on_result is None:
                out.append(runs_k)
                continue
            out.append([])
            for r, metrics in enumerate(runs_k):
                on_result(len(out) - 1, r, metrics)
        return out
    token = uuid.uuid4().hex  # names this run's plans in workers, wherever they run
    scenarios = [plan.scenario.model_dump_json(by_alias=True) for plan, _, _ in runs]
    jobs = [(k, r, scenarios[k], runs[k][2]) for k, r in jobs]  # each job carries its plan only
    _RUNS[token] = [plan for plan, _, _ in runs]
    try:
        results = run_parallel(
            plan_replication,
            token,
            jobs,
            0,  # unused: each plan's seed travels with its jobs
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            on_result=on_result and (lambda job, metrics: on_result(job[0], job[1], metrics)),
        )
    finally:
        del _RUNS[token]
    out = [[] for _ in runs]
    for (k, *_), metrics in zip(jobs, results):
        out[k].append(metrics)
    return out


def plan_replication(token: str, job: tuple[int, int, str, int], _seed: int) -> dict:
    """Replication r of plan k, job (k, r, scenario JSON, seed), in a worker (a task for
    `replicate_plans`): the plan inherited from the parent when the worker was forked, else
    compiled here once from the JSON its job carries."""
    k, r, scenario_json, seed = job
    plans = _RUNS.get(token)
    plan = plans[k] if plans is not None else _COMPILED.get((token, k))
    if plan is None:
        plan = compile_plan(Scenario.model_validate_json(scenario_json), "scenario")
        with _COMPILED_LOCK:
            if len(_COMPILED) >= 64:
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[(token, k)] = plan
    return replication_metrics(plan, r, seed)


def compare(
    data: dict,
    source: str,
    variants: list[list[str]],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress=None,
    max_cases: float | None = None,
) -> dict:
    """Run the baseline and each variant (a list of reform names applied together) with the same
    seeds. Every variant is compiled, and the work checked against `max_cases`, before any runs."""
    base = scenario_with_reforms(data, [], source)
    n = replications or base.replications
    seed = base.seed if seed is None else seed
    base_plan = compile_plan(base, source)
    plans = [compile_plan(scenario_with_reforms(data, names, source), source) for names in variants]
    check_workload([(plan, n) for plan in [base_plan, *plans]], max_cases)

    base_runs, *variant_runs = replicate_plans(
        [(plan, n, seed) for plan in [base_plan, *plans]],
        progress,
        workers=workers,
        scheduler=scheduler,
    )
    ran = [
        ("+".join(names), plan, runs) for names, plan, runs in zip(variants, plans, variant_runs)
    ]
    return comparison(base_plan, seed, base_runs, ran)


def comparison(base_plan, seed: int, base_runs: list[dict], variants) -> dict:
    """`compare`'s result from replications already run: the baseline described, and for each
    variant `(label, plan, runs)` — runs paired with the baseline's by index — its summary, paired
    changes, engine and warnings (the workbench builds its first numbers with it too)."""
    n = len(base_runs)
    result = {"baseline": describe(base_plan, n, seed, summarize(base_runs)), "reforms": {}}
    for label, plan, runs in variants:
        summary = summarize(runs)
        result["reforms"][label] = {
            "summary": summary,
            "change": paired_changes(base_runs, runs),
            **engine_used(plan),
            "warnings": backlog_warnings(plan, summary["services"]),
        }
    return result
