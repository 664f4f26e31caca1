"""Baseline against reforms, replication by replication (common random numbers, docs/ARCHITECTURE.md
property 6).

Replication r of a reform uses the same seed children as replication r of the baseline, so the k-th
case of a service arrives at the same moment and draws the same work where the reform leaves it
alone. The change of a metric is then estimated from the paired differences (reform_r - base_r):
a Student-t 95 % interval on their mean, usually much tighter than comparing two independent runs.
"""

from __future__ import annotations

import math

import numpy as np

from slasim.scenario.plan import compile_plan
from slasim.scenario.reforms import scenario_with_reforms
from slasim.sim.backlog import backlog_warnings
from slasim.sim.metrics import confidence, summarize
from slasim.sim.runner import describe, engine_used, replicate
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

    def counted(offset: int):  # progress over all runs: baseline, then each variant
        return None if progress is None else (lambda done: progress(offset + done))

    base_runs = replicate(base_plan, n, seed, counted(0), workers=workers, scheduler=scheduler)
    ran = [
        (
            "+".join(names),
            plan,
            replicate(plan, n, seed, counted(i * n), workers=workers, scheduler=scheduler),
        )
        for i, (names, plan) in enumerate(zip(variants, plans), start=1)
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
