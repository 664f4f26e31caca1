"""Replications on a Dask cluster (the optional `dask` extra), with every fault a clear error.

Before the client starts, the address is parsed and the scheduler asked who it is within a
bounded time, so a wrong address, a closed port, a silent listener or a web server named by
mistake each end in one located line, not a hang or a traceback. During the run, results are
awaited in replication order; Dask re-runs a task whose worker died, and a run left with no
worker for `NO_WORKER_WAIT` seconds, or whose scheduler goes away, is given up with the count
of replications not run, and a scheduler lost mid-run (killed, or the connection dropped) is
one line naming its address and how many replications were done. Results are only returned whole.

Everything slasim reads from a Dask peer is bounded: this `distributed` has no read-side limit
(`distributed.comm.shard` only splits what is sent), so `bound_messages` wraps its TCP read to
refuse any message announcing more than MAX_MESSAGE bytes before a byte of it is stored. The
scheduler is still trusted as code (Dask sends pickles); the bound is against a wrong or
garbled peer, not a hostile one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text

CONNECT_WAIT = 10.0  # seconds to reach the scheduler and hear it answer as one
NO_WORKER_WAIT = 30.0  # seconds a run may wait with no worker at all before it is given up
POLL = 1.0  # seconds between looks at the cluster while a result is awaited
MAX_MESSAGE = 64 * 2**20  # bytes one message from a Dask peer may announce (a result is KBs)

OPTION = "--scheduler"


def _client_class():
    try:
        from distributed import Client
    except ImportError:
        raise SlasimError(
            "a Dask scheduler needs the optional extra: pip install 'slasim[dask]'", field=OPTION
        ) from None
    return Client


def _comm_closed_error() -> type[Exception]:
    from distributed.comm.core import CommClosedError

    return CommClosedError


class MessageTooLarge(Exception):
    """A Dask peer announced a message above MAX_MESSAGE (raised as a closed comm, see below)."""

    def __init__(self, size: int, limit: int):
        self.size, self.limit = size, limit
        super().__init__(
            Text(
                "a message of {size:,} bytes announced, above the {limit:,}-byte bound",
                size=size,
                limit=limit,
            )
        )


def bound_messages(limit: int = MAX_MESSAGE) -> None:
    """Make every TCP (and TLS) read of `distributed` in this process refuse a message whose
    announced size exceeds `limit`, before it allocates room for it. The refusal is a closed
    comm to Dask (the connection is dropped), so a client treats it as a lost scheduler."""
    from distributed.comm import tcp

    read, unpack = tcp.read_bytes_rw, tcp.unpack_frames
    if getattr(read, "slasim_limit", None) == limit:
        return
    read = getattr(read, "__wrapped__", read)
    unpack = getattr(unpack, "__wrapped__", unpack)
    too_large = type("MessageTooLarge", (MessageTooLarge, _comm_closed_error()), {})

    async def bounded_read(stream, n: int):  # one length-prefixed block: a header, a buffer
        if n > limit:
            raise too_large(n, limit)
        return await read(stream, n)

    def bounded_unpack(b, **kwargs):  # the header: the buffers still to come, announced
        unpacked = unpack(b, **kwargs)
        if isinstance(unpacked, tuple):
            size = memoryview(b).nbytes + sum(unpacked[1])
            if size > limit:
                raise too_large(size, limit)
        return unpacked

    for name, wrapper, original in (
        ("read_bytes_rw", bounded_read, read),
        ("unpack_frames", bounded_unpack, unpack),
    ):
        wrapper.__wrapped__ = original
        wrapper.slasim_limit = limit
        setattr(tcp, name, wrapper)


def check_scheduler(address: str) -> None:
    """Refuse an address that is malformed, unreachable, or not answering as a Dask scheduler
    within CONNECT_WAIT seconds."""
    wait = CONNECT_WAIT
    bound_messages()
    from distributed.comm import connect
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise SlasimError(
            "not a scheduler address ({why}): {address}",
            field=OPTION,
            why=str(exc),
            address=repr(address),
        ) from None

    async def identity() -> dict:
        comm = await connect(address, timeout=wait)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        with _quiet_dask_logs():  # Dask logs garbled frames with a traceback
            reply = asyncio.run(asyncio.wait_for(identity(), wait))
    except TimeoutError:
        raise SlasimError(
            "no answer from a Dask scheduler at {address} within {wait:g} s",
            field=OPTION,
            address=repr(address),
            wait=wait,
        ) from None
    except MessageTooLarge as exc:
        raise SlasimError(
            "cannot talk to a Dask scheduler at {address}: {why}, refused unread",
            field=OPTION,
            address=repr(address),
            why=exc.args[0],
        ) from None
    except Exception as exc:  # refused, reset, garbage frames (a web server), a huge length
        text = " ".join(str(exc).split())[:160]
        why = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        raise SlasimError(
            "cannot talk to a Dask scheduler at {address} ({why})",
            field=OPTION,
            address=repr(address),
            why=why,
        ) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise SlasimError(
            "{address} answers, but not as a Dask scheduler", field=OPTION, address=repr(address)
        )


def run_on_dask(
    task: Callable[[Any, int, int], dict],
    payload: Any,
    replications: list[int],
    seed: int,
    address: str,
    progress: Callable[[int], None] | None = None,
    on_result: Callable[[Any, dict], None] | None = None,
) -> list[dict]:
    """`task(payload, r, seed)` for each replication r on the cluster, in order of r. With
    `on_result`, each result is handed to `on_result(r, result)` as it comes in (in order of r)
    and not kept: the list returned is empty."""
    client_class = _client_class()
    check_scheduler(address)
    try:
        client = client_class(address, timeout=f"{CONNECT_WAIT:g}s")
    except Exception as exc:
        raise SlasimError(
            "cannot reach the Dask scheduler at {address} ({why})",
            field=OPTION,
            address=repr(address),
            why=f"{type(exc).__name__}: {exc}",
        ) from None
    n = len(replications)
    results: list[dict] = []
    done = 0
    with _quiet_dask_logs():
        try:
            futures = client.map(task, [payload] * n, replications, [seed] * n, pure=False)
            try:
                for r, future in zip(replications, futures):  # in replication order
                    result = _await(client, future, address, done, n)
                    done += 1
                    if on_result is None:
                        results.append(result)
                    else:
                        on_result(r, result)
                    if progress:
                        progress(done)
                return results
            finally:
                _quietly(client.cancel, futures)
        except (
            OSError,
            asyncio.CancelledError,
            _cancelled_error(),
        ) as exc:  # the scheduler is gone
            raise _gone(address, done, n, exc) from None
        finally:
            _quietly(client.close, timeout=CONNECT_WAIT)


def _quiet_dask_logs():
    """Dask's own log of a lost connection (a traceback) kept off the terminal: slasim says it
    in one line."""
    from distributed.utils import silence_logging_cmgr

    return silence_logging_cmgr(logging.CRITICAL + 1)


def _quietly(call, *args, **kwargs) -> None:
    """Tidy-up on a cluster that may be gone: its failure adds nothing to the error in hand."""
    with contextlib.suppress(Exception):
        call(*args, **kwargs)


def _cancelled_error() -> type[Exception]:
    from distributed.client import FutureCancelledError

    return FutureCancelledError


def _await(client, future, address: str, done: int, n: int) -> dict:
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
            except Exception as exc:
                workers = {}
                if client.status != "running":
                    raise _gone(address, done, n, exc) from None
            idle = 0.0 if workers else idle + POLL
            if idle >= NO_WORKER_WAIT:
                why = Text("no Dask worker for {wait:g} s", wait=NO_WORKER_WAIT)
                raise _lost(done, n, why) from None
        except KilledWorker:
            why = Text("a replication's workers died each time it ran")
            raise _lost(done, n, why) from None


def _gone(address: str, done: int, n: int, exc: BaseException) -> SlasimError:
    """The scheduler killed, its connection dropped, or a message from it refused."""
    if isinstance(exc, MessageTooLarge):
        why = Text(
            "the Dask scheduler at {address} went away ({why})", address=address, why=exc.args[0]
        )
    else:
        why = Text("the Dask scheduler at {address} went away", address=address)
    return _lost(done, n, why)


def _lost(done: int, n: int, why: str) -> SlasimError:
    return SlasimError(
        "{why} after {done} of the {n} replications sent to it: {left} replications not run, "
        "no results written",
        field=OPTION,
        why=why,
        done=done,
        n=n,
        left=n - done,
    )
