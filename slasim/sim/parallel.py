"""Where replications run: a process pool over the cores, or a Dask cluster (`sim.cluster`).

The caller hands over a task, `task(payload, replication, seed) -> dict`, a module-level function
(so workers can import it) that is pure in its arguments — every replication draws from its own
seed streams (see `sim.draws`) — so results are gathered in replication order and are identical for
any worker count or executor. A replication lost with a dead worker — Dask's or the pool's (the
pool is started again for what is left) — is run again; its result is taken once, by its number.
Pool workers end with their parent (Linux), so a killed run leaves no orphans.

Forked workers share the parent's memory until they write to it, and Python's collector writes to
every object it scans: a worker's first full collection would copy the parent's whole heap (15 %
more CPU per replication on `district-centre`). Each worker freezes what it inherited
(`gc.freeze` in its initializer, whatever the parent had frozen already), so it collects only
what it makes itself.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from slasim.io.errors import SlasimError
from slasim.io.interrupts import check_interrupted

SCHEDULER_ENV = "SLASIM_SCHEDULER"
POOL_ATTEMPTS = 3  # pools started before a run with dying workers is given up


def default_workers() -> int:
    """Cores this process may use."""
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


def scheduler_address(option: str | None) -> str | None:
    """The Dask scheduler named by the option, else by $SLASIM_SCHEDULER, else none."""
    return option or os.environ.get(SCHEDULER_ENV) or None


def run_parallel(
    task: Callable[[Any, int, int], dict],
    payload: Any,
    replications: list[int],
    seed: int,
    *,
    workers: int,
    scheduler: str | None,
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
    on_result: Callable[[Any, dict], None] | None = None,
) -> list[dict]:
    """`task(payload, r, seed)` for each replication r, in order of r, on a pool or a Dask cluster.
    On platforms that fork, pool workers inherit the parent's memory (e.g. a compiled plan the
    task caches), so nothing is compiled again per worker. `meanwhile()`, if given, runs once in
    this process while the pool's workers start on the replications (before a Dask run); an
    error or interrupt in it stops the workers. With `on_result`, each result is handed to
    `on_result(r, result)` as it arrives (in any order on a pool, in order of r on Dask) and not kept:
    the list returned is empty."""
    if scheduler:
        from slasim.sim.cluster import run_on_dask

        if meanwhile is not None:
            meanwhile()

        return run_on_dask(task, payload, replications, seed, scheduler, progress, on_result)
    forking = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if forking else None)
    done: dict[int, dict] = {}
    for attempt in range(POOL_ATTEMPTS):
        pending = [r for r in replications if r not in done]
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(pending)),
            mp_context=context,
            initializer=_die_with_parent,
        )
        try:
            futures = {pool.submit(task, payload, r, seed): r for r in pending}
            if meanwhile is not None:  # the workers are at work already
                meanwhile()
                meanwhile = None  # once, even if the pool is started again
            for future in as_completed(futures):
                r = futures.pop(future)
                done[r] = future.result()
                if on_result is not None:
                    on_result(r, done[r])
                    done[r] = None  # taken, not kept
                check_interrupted()
                if progress:
                    progress(len(done))
            # Every result is in: the idle workers are ended, not joined. A graceful shutdown
            # waits on each worker to read its stop message, and a worker killed while holding
            # the task queue's lock leaves the others waiting on that lock for ever.
            _stop(pool)
            break
        except BrokenProcessPool:  # a worker died: its replications run again, each taken once
            _stop(pool)
            if attempt == POOL_ATTEMPTS - 1:
                raise SlasimError(
                    "the process pool broke {attempts} times (workers killed?): {left} "
                    "replications not run",
                    field="--workers",
                    attempts=POOL_ATTEMPTS,
                    left=len(replications) - len(done),
                ) from None
        except BaseException:  # an interrupt or an error in a task: stop now, not when all finish
            _stop(pool)
            raise
    return [] if on_result is not None else [done[r] for r in replications]


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: queued replications cancelled, running workers terminated."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _die_with_parent() -> None:
    """Pool worker start-up: what was inherited is frozen, out of the collector's reach (a
    collection would otherwise copy the parent's pages to scan them); on Linux, ask to be ended
    when the parent dies (no orphans). An interrupt is the parent's to handle (a terminal's Ctrl-C
    reaches the whole process group), and SIGTERM — how the parent stops a worker — ends it
    quietly: no worker prints a traceback."""
    import signal

    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
