"""SIGINT and SIGTERM as exceptions that cannot be lost.

Python raises a signal's exception wherever the main thread happens to be. If that is inside a
finalizer (a SimPy process being closed, a garbage-collected generator), Python prints
"Exception ignored" and carries on, and the run would finish as if never interrupted. So the
handlers installed here also record the signal, and `check_interrupted()` raises it again at the
safe points that matter: between replications and before outputs are published. The swallowed
exception is not printed either (`sys.unraisablehook`): the one line the command prints is enough.
"""

from __future__ import annotations

import signal
import sys


class Terminated(BaseException):
    """SIGTERM, raised where the process is so the run unwinds as on an interrupt."""


_received: list[int] = []


def _handler(signum, frame) -> None:
    _received.append(signum)
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


def install() -> None:
    """Handle SIGINT and SIGTERM (the command line's entry point calls this); a signal the
    process was started with ignored (a background job's SIGINT, nohup) stays ignored."""
    for signum in (signal.SIGINT, signal.SIGTERM):
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
        raise KeyboardInterrupt if _received[-1] == signal.SIGINT else Terminated
