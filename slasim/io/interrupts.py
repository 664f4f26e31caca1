"""Signals that end a process, as exceptions that cannot be lost.

Every catchable signal whose default action ends the process (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
SIGUSR1, SIGUSR2, SIGALRM, …) is turned into an exception, so the run unwinds: pool workers stop,
staged outputs are removed, and nothing half-written is left (SIGKILL cannot be caught: what it
leaves is bounded by how outputs are published, see `slasim.io.files.OutputSet`). SIGINT raises
`KeyboardInterrupt`, the others `Terminated` carrying the signal's number.

Python raises a signal's exception wherever the main thread happens to be. If that is inside a
finalizer (a SimPy process being closed, a garbage-collected generator), Python prints
"Exception ignored" and carries on, and the run would finish as if never interrupted. So the
handlers installed here also record the signal, and `check_interrupted()` raises it again at the
safe points that matter: between replications and before outputs are published. The swallowed
exception is not printed either (`sys.unraisablehook`): the one line the command prints is enough.
A process forked from the one that installed the handlers (a pool worker) is ended by the signal's
default action instead, quietly.
"""

from __future__ import annotations

import os
import signal
import sys

# Catchable signals whose default action ends the process (SIGPIPE is left as Python sets it,
# ignored: a closed pipe is an error on the write, reported as one line).
ENDING = tuple(
    getattr(signal, name)
    for name in (
        "SIGINT",
        "SIGTERM",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGALRM",
        "SIGVTALRM",
        "SIGPROF",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGIO",
        "SIGPWR",
    )
    if hasattr(signal, name)
)


class Terminated(BaseException):
    """A signal other than SIGINT that ends the process, raised where the process is so the run
    unwinds as on an interrupt. `signum` is the signal; the exit code is 128 + signum."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


_received: list[int] = []
_owner: list[int] = []  # the pid that installed the handlers


def _error(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def _handler(signum, frame) -> None:
    if _owner and os.getpid() != _owner[0]:  # a forked worker: end as the default action would
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _received.append(signum)
    raise _error(signum)


def install() -> None:
    """Handle every ending signal (the command line's entry point calls this); a signal the
    process was started with ignored (a background job's SIGINT, nohup's SIGHUP) stays ignored."""
    _owner[:] = [os.getpid()]
    for signum in ENDING:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _handler)
    if sys.unraisablehook is not _quiet_about_signals:
        _quiet_about_signals.default = sys.unraisablehook
        sys.unraisablehook = _quiet_about_signals


def _quiet_about_signals(unraisable) -> None:
    """A signal's exception swallowed in a finalizer is recorded and raised again later: not
    printed as "Exception ignored". Anything else goes to the previous hook."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt | Terminated) and _received:
        return
    _quiet_about_signals.default(unraisable)


_quiet_about_signals.default = sys.__unraisablehook__


def check_interrupted() -> None:
    """Raise again a signal that arrived earlier (in case its first exception was swallowed)."""
    if _received:
        raise _error(_received[-1])


def held():
    """The signals to hold back while outputs are renamed (they are delivered right after)."""
    return set(ENDING)
