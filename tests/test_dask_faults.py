"""Dask faults a user can meet, each one located line with exit 2 and nothing written: the
scheduler killed mid-run (a real `dask scheduler` process, SIGKILL), and a peer announcing a
2.5 GB message (refused unread: peak memory measured, far below the announced size)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .helpers import slasim_process

distributed = pytest.importorskip("distributed")

ANNOUNCED = 2_500_000_000  # bytes the fake scheduler says its first message holds
# A wait lasts as long as the processes that bring its condition about are alive; this only
# guards against one of them hanging alive (seconds, far beyond any wait on a loaded machine).
HUNG = 300.0


def _start(*args: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-m", *args], stdout=sink, stderr=sink)


def _wait_for(condition, what: str, *makers: tuple[subprocess.Popen, Path]):
    """Poll `condition` until it holds. Its deadline is the life of the processes that make it
    come true (`makers`, each with its log): once one of them has ended it never will, and the
    wait fails at once with that process's log, however loaded the machine is."""
    deadline = time.monotonic() + HUNG
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process, log in makers:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise AssertionError(f"{what}: exit {process.returncode} first\n{tail}")
        time.sleep(0.1)
    raise AssertionError(f"{what}: still not there after {HUNG:g} s, its processes alive")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_scheduler_killed_mid_run_is_one_line_and_leaves_the_out_set_as_it_was(tmp_path):
    from .helpers import slasim

    out = tmp_path / "out"
    code, _, err = slasim("run", "company-setup", "--reps", "2", "-w", "1", "--out", out)
    assert code == 0, err
    before = _files(out)

    info = tmp_path / "scheduler.json"
    scheduler = _start(
        "distributed.cli.dask_scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-dashboard",
        "--scheduler-file",
        str(info),
        log=tmp_path / "scheduler.log",
    )
    started = (scheduler, tmp_path / "scheduler.log")
    worker = None
    try:
        address = _wait_for(
            lambda: info.exists() and json.loads(info.read_text() or "{}").get("address"),
            "the scheduler's address",
            started,
        )
        worker = _start(
            "distributed.cli.dask_worker",
            address,
            "--no-nanny",
            "--nthreads",
            "1",
            "--no-dashboard",
            log=tmp_path / "worker.log",
        )
        working = (worker, tmp_path / "worker.log")
        with distributed.Client(address, timeout=f"{HUNG:g}s") as client:

            def workers(dask_scheduler=None) -> int:
                return len(dask_scheduler.workers)

            _wait_for(lambda: client.run_on_scheduler(workers), "a worker", started, working)
            # SimPy, ~0.4 s a replication on one worker thread: 30 replications outlast the kill.
            run_log = tmp_path / "run.log"  # its stderr, read once it has ended
            with run_log.open("w") as stderr_sink:
                run = subprocess.Popen(
                    [sys.executable, "-m", "slasim", "run", "district-centre"]
                    + ["--set", "engine=simpy", "--reps", "30", "--scheduler", address]
                    + ["--out", str(out)],
                    stdout=subprocess.PIPE,
                    stderr=stderr_sink,
                    text=True,
                )

            def handed_out(dask_worker=None) -> int:
                """Results the worker has been asked for (through the scheduler or not): the run
                asks for them one by one, in order; this test's client asks for none."""
                return dask_worker.transfer_outgoing_count_total

            # Its second result asked for, the run holds the first, and most are still to come.
            _wait_for(
                lambda: sum(client.run(handed_out).values()) >= 2,
                "the run's first result",
                (run, run_log),
                started,
                working,
            )
        scheduler.send_signal(signal.SIGKILL)
        stdout, _ = run.communicate(timeout=HUNG)  # slasim's own waits end it (sim.cluster)
        stderr = run_log.read_text()
    finally:
        for process in (scheduler, worker):
            if process is not None:
                process.kill()
                process.wait()

    assert run.returncode == 2 and stdout == "", stderr
    errors = [line for line in stderr.splitlines() if not line.startswith("warning: ")]
    assert len(errors) == 1, stderr  # no traceback, not even Dask's own log of the loss
    found = re.fullmatch(
        rf"error: --scheduler: the Dask scheduler at {re.escape(address)} went away after "
        r"(\d+) of the 29 replications sent to it: (\d+) replications not run, "
        r"no results written",
        errors[0],
    )
    assert found, errors[0]
    done, left = map(int, found.groups())  # replication 0 runs here (SimPy writes nothing)
    assert 0 < done < 29 and done + left == 29
    assert _files(out) == before  # the earlier set untouched, nothing staged left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out", "run.log", "scheduler.json", "scheduler.log", "worker.log"]
    )


class _FakeScheduler:
    """A tiny asyncio TCP server on loopback that sends each connection `first` and then zeros
    until it hangs up or `zeros` bytes have gone out. With Dask's 8-byte length prefix as
    `first`, it announces a message of that size."""

    def __init__(self, first: bytes, zeros: int = 0):
        self.first, self.zeros, self.sent = first, zeros, 0
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(asyncio.start_server(self.serve, "127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def serve(self, reader, writer):
        chunk = bytes(2**20)
        try:
            writer.write(self.first)
            while self.sent < self.zeros:
                writer.write(chunk)
                await writer.drain()
                self.sent += len(chunk)
            await reader.read()  # until the client hangs up
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def close(self):
        """Stop listening and end the connections still served (each closes its writer while the
        loop runs, not when the loop is collected: no 'Task was destroyed' at exit)."""

        async def shut():
            self.server.close()
            serving = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in serving:
                task.cancel()
            await asyncio.gather(*serving, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(timeout=HUNG)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(HUNG)
        self.loop.close()


MEASURED = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "slasim", *sys.argv[1:]], capture_output=True,
                      text=True)
sys.stderr.write(done.stderr)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def test_a_peer_announcing_a_huge_message_is_refused_unread(tmp_path):
    fake = _FakeScheduler(struct.pack("Q", ANNOUNCED), zeros=ANNOUNCED)
    address = fake.address
    try:
        measured = subprocess.run(
            [sys.executable, "-c", MEASURED, "run", "company-setup", "--reps", "2"]
            + ["--scheduler", address, "--out", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        fake.close()
    code, peak_kib = map(int, measured.stdout.split())
    err = measured.stderr
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"error: --scheduler: cannot talk to a Dask scheduler at {address!r}: ")
    assert f"{ANNOUNCED:,} bytes announced" in err
    assert peak_kib * 1024 < ANNOUNCED / 8  # the whole CLI, far below what was announced
    assert fake.sent < ANNOUNCED / 8  # and the connection was dropped, not drained
    assert not (tmp_path / "out").exists()


def test_a_peer_sending_a_small_garbled_message_is_one_line_without_dask_log():
    """One frame of 24 bytes that are not msgpack: Dask logs its failure to decode with a
    traceback; slasim keeps that log quiet and says it once."""
    frames = struct.pack("QQ", 1, 24) + b"\xc1" * 24  # one frame; 0xc1 is never msgpack
    fake = _FakeScheduler(struct.pack("Q", len(frames)) + frames)
    try:
        code, out, err = slasim_process(
            "run", "company-setup", "--reps", "2", "--scheduler", fake.address
        )
    finally:
        fake.close()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith(
        f"error: --scheduler: cannot talk to a Dask scheduler at {fake.address!r}"
    )


def test_the_bound_is_installed_once():
    from slasim.sim import cluster

    cluster.bound_messages()
    cluster.bound_messages()  # a second run in one process does not wrap the wrapper
    from distributed.comm import tcp

    assert tcp.read_bytes_rw.slasim_limit == cluster.MAX_MESSAGE
    assert not hasattr(tcp.read_bytes_rw.__wrapped__, "slasim_limit")
    assert tcp.unpack_frames.slasim_limit == cluster.MAX_MESSAGE
