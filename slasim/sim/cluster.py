"""Replications on a Dask cluster (the optional `dask` extra), with every fault a clear error.

Before the client starts, the address is parsed and the scheduler asked who it is within a
bounded time, so a wrong address, a closed port, a silent listener or a web server named by
mistake each end in one located line, not a hang or a traceback. During the run, results are
awaited in replication order; Dask re-runs a task whose worker died, and a run left with no
worker for `NO_WORKER_WAIT` seconds, or whose scheduler goes away, is given up with the count
of replications not run. Results are only returned whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from slasim.io.errors import SlasimError

CONNECT_WAIT = 10.0  # seconds to reach the scheduler and hear it answer as one
NO_WORKER_WAIT = 30.0  # seconds a run may wait with no worker at all before it is given up
POLL = 1.0  # seconds between looks at the cluster while a result is awaited

OPTION = "--scheduler"


def _client_class():
    try:
        from distributed import Client
    except ImportError:
        raise SlasimError(
            "a Dask scheduler needs the optional extra: pip install 'slasim[dask]'", field=OPTION
        ) from None
    return Client


def check_scheduler(address: str) -> None:
    """Refuse an address that is malformed, unreachable, or not answering as a Dask scheduler
    within CONNECT_WAIT seconds."""
    wait = CONNECT_WAIT
    from distributed.comm import connect
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise SlasimError(f"not a scheduler address ({exc}): {address!r}", field=OPTION) from None

    async def identity() -> dict:
        comm = await connect(address, timeout=wait)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identity(), wait))
    except TimeoutError:
        raise SlasimError(
            f"no answer from a Dask scheduler at {address!r} within {wait:g} s", field=OPTION
        ) from None
    except Exception as exc:  # refused, reset, garbage frames (a web server), a huge length
        text = " ".join(str(exc).split())[:160]
        raise SlasimError(
            f"cannot talk to a Dask scheduler at {address!r} ({type(exc).__name__}: {text})",
            field=OPTION,
        ) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise SlasimError(f"{address!r} answers, but not as a Dask scheduler", field=OPTION)


def run_on_dask(
    task: Callable[[Any, int, int], dict],
    payload: Any,
    replications: list[int],
    seed: int,
    address: str,
    progress: Callable[[int], None] | None = None,
) -> list[dict]:
    """`task(payload, r, seed)` for each replication r on the cluster, in order of r."""
    client_class = _client_class()
    check_scheduler(address)
    try:
        client = client_class(address, timeout=f"{CONNECT_WAIT:g}s")
    except Exception as exc:
        raise SlasimError(
            f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc})",
            field=OPTION,
        ) from None
    with client:
        n = len(replications)
        futures = client.map(task, [payload] * n, replications, [seed] * n, pure=False)
        try:
            results = []
            for future in futures:  # in replication order
                results.append(_await(client, future, n - len(results)))
                if progress:
                    progress(len(results))
            return results
        finally:
            client.cancel(futures)


def _await(client, future, left: int) -> dict:
    """One replication's result; a cluster without workers for too long, a task that killed its
    workers again and again, or a lost scheduler is a located error."""
    from distributed import TimeoutError as DaskTimeout
    from distributed.scheduler import KilledWorker

    idle = 0.0
    while True:
        try:
            return future.result(timeout=POLL)
        except (DaskTimeout, TimeoutError):
            try:
                workers = client.scheduler_info().get("workers", {})
            except Exception:
                workers = {}
                if client.status != "running":
                    raise _lost(left, "the scheduler went away") from None
            idle = 0.0 if workers else idle + POLL
            if idle >= NO_WORKER_WAIT:
                raise _lost(left, f"no Dask worker for {NO_WORKER_WAIT:g} s") from None
        except KilledWorker:
            raise _lost(left, "a replication's workers died each time it ran") from None
        except (OSError, asyncio.CancelledError) as exc:
            raise _lost(left, f"the cluster failed ({type(exc).__name__})") from None


def _lost(left: int, why: str) -> SlasimError:
    return SlasimError(f"{why}: {left} replications not run, no results written", field=OPTION)
