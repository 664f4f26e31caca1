"""Every signal whose default action ends the process leaves no partial output: SIGHUP (a closed
terminal), SIGQUIT, SIGUSR1 and SIGALRM during `run --out --event-log` unwind the run as SIGINT and
SIGTERM do — one line, exit 128 + the signal's number, nothing in the result folder, the lock
given back — and the signals are held while a set is renamed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from slasim.io.guard import LOCK


def _as_from_a_terminal():
    """In the child before exec: its own process group, as a job in a terminal, with the ending
    signals at their default action. A process started with a signal ignored keeps it ignored
    (`nohup` ignores SIGHUP; a background job of a non-interactive shell, SIGINT and SIGQUIT), and
    slasim leaves such a signal alone, as it should: so would a child of a test run started so."""
    from slasim.io.interrupts import ENDING

    os.setpgrp()
    for signum in ENDING:
        signal.signal(signum, signal.SIG_DFL)


def _run_and_signal(out, signum, *, group: bool):
    proc = subprocess.Popen(
        [sys.executable, "-m", "slasim", "run", "district-centre", "--reps", "40", "-w", "2"]
        + ["-q", "--out", out, "--event-log", out / "events.csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )
    deadline = time.monotonic() + 120
    while not any(out.glob(".events.csv.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the event log is staged: replication 0 is running
    assert proc.poll() is None, proc.communicate()
    time.sleep(1.0)  # into the pool's replications
    if group:
        os.killpg(proc.pid, signum)  # a terminal's hangup reaches the whole group
    else:
        os.kill(proc.pid, signum)  # a supervisor's signal reaches the parent only
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize(
    "signame, group",
    [("SIGHUP", True), ("SIGQUIT", False), ("SIGUSR1", True), ("SIGALRM", False)],
)
def test_an_ending_signal_mid_run_leaves_no_partial_output(tmp_path, signame, group):
    signum = getattr(signal, signame)
    out = tmp_path / "results"
    code, err = _run_and_signal(out, signum, group=group)
    assert (code, err.strip()) == (128 + signum, f"terminated ({signame})"), err
    assert not out.exists()  # the folder made for the run, its staged files and lock: all gone


def test_the_signals_that_end_a_process_are_all_handled():
    """Every catchable signal whose default action ends the process is in the handled set (the
    core-dumping faults SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS are bugs, not
    requests to stop, and SIGPIPE is left ignored as Python sets it)."""
    from slasim.io.interrupts import ENDING

    by_default_end = {
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR",
    }  # fmt: skip
    assert {signal.Signals(s).name for s in ENDING} == by_default_end  # signal(7), Linux


HOLD_PROBE = """
import os, signal, sys
from pathlib import Path
from slasim.io.files import OutputSet
from slasim.io.interrupts import install
install()
folder = Path(sys.argv[1])
real = os.replace
def replace(src, dst):
    os.kill(os.getpid(), signal.SIGHUP)  # arrives in the middle of the renames
    real(src, dst)
os.replace = replace
try:
    with OutputSet("run", folders=[folder]) as out:
        for name in ("summary.json", "services.csv", "steps.csv"):
            out.write(folder / name, name)
except BaseException as exc:
    print(type(exc).__name__, getattr(exc, "signum", None))
"""


def test_a_signal_during_the_renames_waits_until_the_set_is_whole(tmp_path):
    """A SIGHUP raised while a set is being renamed is delivered after the last rename: the set
    is published whole, then the process unwinds."""
    from slasim.io.manifest import check_sets

    done = subprocess.run(
        [sys.executable, "-c", HOLD_PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )
    assert done.stdout.split() == ["Terminated", str(int(signal.SIGHUP))], done.stderr
    check_sets(tmp_path, ["summary.json", "services.csv", "steps.csv"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["summary.json", "services.csv", "steps.csv", "slasim-manifest.json"]
    )
    assert not (tmp_path / LOCK).exists()
