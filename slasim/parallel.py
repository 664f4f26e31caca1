"""Where replications run: in this process, a process pool over the cores, or a Dask cluster.

Every replication is a pure function of (scenario, replication number, seed) — see `engine`/`draws`
for the seeding — so results are gathered in replication order and are identical for any worker
count or executor. A replication lost with a dead Dask worker is simply run again elsewhere; its
result is taken once, by its number.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Callable

from .errors import SlasimError

SCHEDULER_ENV = "SLASIM_SCHEDULER"


@lru_cache(maxsize=8)
def _plan(scenario_json: str, source: str):
    from .model import compile_plan
    from .scenario import Scenario

    return compile_plan(Scenario.model_validate_json(scenario_json), source)


def replication_task(scenario_json: str, source: str, replication: int, seed: int) -> dict:
    """One replication in a worker (the compiled plan is cached per worker process)."""
    from .runner import replication_metrics

    return replication_metrics(_plan(scenario_json, source), replication, seed)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def scheduler_address(option: str | None) -> str | None:
    return option or os.environ.get(SCHEDULER_ENV) or None


def run_parallel(scenario, source: str, replications: list[int], seed: int, *, workers: int,
                 scheduler: str | None, progress: Callable[[int], None] | None = None) -> list[dict]:
    text = scenario.model_dump_json(by_alias=True)
    if scheduler:
        return _on_dask(text, source, replications, seed, scheduler, progress)
    forking = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if forking else None)
    if forking:
        _plan(text, source)   # compiled once here; forked workers inherit it instead of each compiling it
    results = []
    with ProcessPoolExecutor(max_workers=min(workers, len(replications)), mp_context=context) as pool:
        for result in pool.map(replication_task, [text] * len(replications), [source] * len(replications),
                               replications, [seed] * len(replications)):
            results.append(result)
            if progress:
                progress(len(results))
    return results


def _on_dask(text: str, source: str, replications: list[int], seed: int, address: str,
             progress: Callable[[int], None] | None) -> list[dict]:
    try:
        from distributed import Client
    except ImportError:
        raise SlasimError("a Dask scheduler needs the optional extra: pip install 'slasim[dask]'",
                          field="--scheduler") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SlasimError(f"cannot reach the Dask scheduler at {address!r} ({exc})", field="--scheduler") from None
    with client:
        futures = client.map(replication_task, [text] * len(replications), [source] * len(replications),
                             replications, [seed] * len(replications), pure=False)
        results = []
        for future in futures:   # in replication order
            results.append(future.result())
            if progress:
                progress(len(results))
        return results
