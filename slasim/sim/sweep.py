"""Parameter sweeps: a grid of scenario variants (`--vary key=v1,v2` or `key=lo..hi:step`), each run
with the same seeds, summarised by its headline figures. Every point is compiled once, and the
replications of all the points run in one pool (`compare.replicate_plans`). A point is summarised as
soon as its last replication arrives, and its replications dropped: a grid holds its rows, not all
its replications.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import yaml

from slasim.io.errors import SlasimError
from slasim.io.files import yaml_value
from slasim.io.i18n import Text
from slasim.io.schema import validate
from slasim.scenario.loader import apply_overrides
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.compare import replicate_plans
from slasim.sim.metrics import summarize
from slasim.sim.runner import describe
from slasim.sim.workload import check_workload

MAX_POINTS = 10_000  # grid points a sweep may have: each runs every replication
SWEEP_METRICS = (
    "on_time_promised",
    "ever_yellow",
    "ever_red",
    "past_legal",
    "lead_time_wd_mean",
    "lead_time_wd_p90",
    "open_at_end",
    "pending_at_end",
    "accept_wait_wd_mean",
    "accept_wait_wd_p90",
    "applicant_wait_wd_mean",
    "applicant_wait_wd_p90",
)


def parse_vary(spec: str, source: str) -> tuple[str, list]:
    """`key=v1,v2,...` or `key=lo..hi:step` → (key, values); values read as YAML scalars."""
    key, sep, text = spec.partition("=")
    if not sep or not key or not text:
        raise SlasimError(
            "--vary expects key=v1,v2 or key=lo..hi:step, got {spec}",
            source=source,
            spec=repr(spec),
        )
    if ".." in text:
        try:
            span, _, step = text.partition(":")
            low, high = (float(x) for x in span.split(".."))
            step = float(step or 1)
            if not all(math.isfinite(x) for x in (low, high, step)) or step <= 0 or high < low:
                raise ValueError
        except ValueError:
            raise SlasimError(
                "--vary {key}: a range is lo..hi:step of finite numbers with step > 0, got {text}",
                source=source,
                key=key,
                text=repr(text),
            ) from None
        count = math.floor((high - low) / step + 0.5) + 1
        if count > MAX_POINTS:
            raise SlasimError(
                "--vary {key}: {count:,} values, over {most:,} (a larger step?)",
                source=source,
                key=key,
                count=count,
                most=MAX_POINTS,
            )
        values = np.arange(low, high + step / 2, step).round(10).tolist()
        return key, [
            int(v) if float(v).is_integer() and float(step).is_integer() else v for v in values
        ]
    return key, [yaml_value(v, f"--vary {key}") for v in text.split(",")]


def parse_varies(varies: list[str], source: str) -> list[tuple[str, list]]:
    """Every --vary as (key, values); a key given twice, or a value twice for one key, would run
    the same rows again: refused, naming the key."""
    axes, seen = [], set()
    for spec in varies:
        key, values = parse_vary(spec, source)
        if key.strip() in seen:
            raise SlasimError(
                "--vary {key}: the key is given twice (one --vary per key)", source=source, key=key
            )
        shown = [yaml.safe_dump(v, default_flow_style=True) for v in values]
        if len(set(shown)) < len(shown):
            raise SlasimError("--vary {key}: a value is given twice", source=source, key=key)
        seen.add(key.strip())
        axes.append((key, values))
    return axes


def grid_size(varies: list[str], source: str) -> int:
    """The number of grid points the --vary specifications make (refused over MAX_POINTS)."""
    size = 1
    for _, values in parse_varies(varies, source):
        size *= len(values)
    if size > MAX_POINTS:
        raise SlasimError(
            "the grid has {size:,} points, over {most:,}", source=source, size=size, most=MAX_POINTS
        )
    return size


def grid_points(data: dict, source: str, varies: list[str]) -> list[tuple[tuple, Scenario]]:
    """(values, validated scenario) for every combination of the varied values."""
    axes = parse_varies(varies, source)
    if not axes:
        raise SlasimError("give at least one --vary key=values", source=source)
    points = []
    for values in itertools.product(*(vals for _, vals in axes)):
        overrides = [
            f"{key}={yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}"
            for (key, _), v in zip(axes, values)
        ]
        label = ", ".join(overrides)
        scenario = validate(
            Scenario, apply_overrides(data, overrides, source, "--vary"), f"{source} ({label})"
        )
        points.append((values, scenario))
    return points


def sweep(
    data: dict,
    source: str,
    varies: list[str],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress=None,
    max_cases: float | None = None,
    points: list[tuple[tuple, Scenario]] | None = None,
) -> dict:
    """Every combination of the varied values; rows of (values, headline figures with CIs). Every
    point is validated (`points`, if the caller made them already), and the whole grid's work
    checked against `max_cases`, before any runs."""
    axes = parse_varies(varies, source)
    points = grid_points(data, source, varies) if points is None else points
    runs = [
        (
            compile_plan(sc, source),
            replications or sc.replications,
            sc.seed if seed is None else seed,
        )
        for _, sc in points
    ]
    if max_cases is not None:
        check_workload(
            [(plan, n) for plan, n, _ in runs], max_cases, Text("replications over the grid")
        )
    keys = [k for k, _ in axes]
    rows: list[dict | None] = [None] * len(runs)
    arrived: list[dict[int, dict]] = [{} for _ in runs]
    finished = [0]

    def point_result(k: int, r: int, metrics: dict) -> None:  # a point summarised once complete
        arrived[k][r] = metrics
        plan, n, point_seed = runs[k]
        if len(arrived[k]) < n:
            return
        point_runs = [arrived[k].pop(i) for i in range(n)]  # in replication order
        result = describe(plan, n, point_seed, summarize(point_runs))
        rows[k] = {
            "values": dict(zip(keys, points[k][0])),
            "overall": {m: result["overall"][m] for m in SWEEP_METRICS if m in result["overall"]},
            "warnings": result["warnings"],
        }
        finished[0] += 1
        if progress:
            progress(finished[0])

    replicate_plans(
        runs,
        None,  # progress in points, as each is summarised
        workers=workers,
        scheduler=scheduler,
        on_result=point_result,
    )
    return {"scenario": data.get("name"), "vary": keys, "rows": rows}
