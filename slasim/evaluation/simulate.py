"""The simulated side, collected in memory from the engine's own records: no file is written
unless asked (`write_csv`).

`Collector` takes the place of an event log on the SimPy engine (the same `add`/`add_wall`/`case`
calls) and keeps each step's start and completion in business minutes and each case's receipt and
decision. `frame` turns them into the frame the field scores: one row per step, wall instants on
the calendar (an instant at a day boundary is the previous close, for a start as for a
completion: work begun at the close is stamped so in the field's logs), activities renamed to the
real log's names, rows in the order each case did them: start, then end, then the engine's order.

`FirstN` is a replication of the field's protocol: only the first `n` receipts at or after `since`
(business minutes) enter, and the run goes on until they are all decided.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from slasim.scenario.plan import Plan
from slasim.sim.arrivals import receipts
from slasim.sim.simpy_engine import Replication


class Collector:
    """Steps and cases of one replication, in business minutes (the `EventLog` interface)."""

    def __init__(self):
        self.steps: list[tuple[str, str, float, float, str]] = []  # case, activity, start, end, res
        self.cases: dict[str, tuple[float, float, bool]] = {}  # received, decided, gave up
        self._open: dict[tuple[str, str], list[tuple[float, str]]] = {}

    def add(self, case, service, activity, lifecycle, business_minutes, resource="", role=""):
        key = (case, activity)
        if lifecycle == "start":
            self._open.setdefault(key, []).append((business_minutes, resource))
        elif lifecycle == "complete" and key in self._open:
            start, res = self._open[key].pop(0)
            if not self._open[key]:
                del self._open[key]
            self.steps.append((case, activity, start, business_minutes, res))

    def add_wall(self, case, service, activity, wall_minutes) -> None:
        """Card events: not steps of the case."""

    def case(self, record, service: str) -> None:
        self.cases[f"{service}-{record.number}"] = (record.received, record.decided, record.gave_up)

    def close(self) -> None:
        """Nothing to finish: the records stay in memory."""

    def discard(self) -> None:
        """Nothing to remove."""

    def unfinished(self) -> set[str]:
        """Cases with a step under way or no decision."""
        open_steps = {case for case, _ in self._open}
        return open_steps | {c for c, (_, d, _) in self.cases.items() if d == math.inf}


def wall_stamps(cal, wall_minutes: np.ndarray, aware: bool) -> pd.Series:
    """Wall minutes of the calendar as UTC timestamps, as the field reads the real log: its zone's
    instants when the real log wrote offsets, else the wall clock taken as UTC."""
    naive = pd.to_datetime(np.round(np.asarray(wall_minutes) * 60e6).astype("int64"), unit="us")
    if aware:
        return pd.Series(naive.tz_localize(cal.tz, ambiguous="NaT", nonexistent="shift_forward"))
    return pd.Series(naive.tz_localize("UTC"))


def frame(
    collector: Collector,
    cal,
    *,
    names: dict[str, str] | None = None,
    aware: bool = False,
    cases: set[str] | None = None,
) -> pd.DataFrame:
    """The field's frame of the collected steps (module docstring); only `cases` if given, steps
    not in `names` (delays, waits) left out when a mapping is given."""
    rows = [
        (k, *row)
        for k, row in enumerate(collector.steps)
        if (cases is None or row[0] in cases) and (names is None or row[1] in names)
    ]
    if not rows:
        return pd.DataFrame(columns=["case_id", "activity", "resource", "start_time", "end_time"])
    order, case, activity, start, end, resource = (list(c) for c in zip(*rows))
    start, end = np.array(start), np.array(end)
    # an instant at a day boundary is the previous close, for a start as for a completion: work
    # begun at the close goes on at the next opening, as the field's logs stamp it (LoanApp: its
    # checks begun at 15:00, the close, end the next morning); a case received after the close
    # and begun at the next opening is shown begun at that close too (the same business instant)
    start_wall = cal.to_wall_array(start, side="left")
    end_wall = cal.to_wall_array(end, side="left")
    out = pd.DataFrame(
        {
            "case_id": case,
            "activity": [names[a] for a in activity] if names is not None else activity,
            "resource": resource,
            "start_time": wall_stamps(cal, start_wall, aware),
            "end_time": wall_stamps(cal, end_wall, aware),
            "order": order,
        }
    )
    out = out.sort_values(["case_id", "start_time", "end_time", "order"], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def write_csv(events: pd.DataFrame, path: Path, tz=None) -> None:
    """A frame as CSV: `case_id, activity, resource, start_time, end_time`, ISO 8601 with offsets
    (in `tz` when given, else UTC)."""
    out = events.copy()
    for column in ("start_time", "end_time"):
        stamps = out[column].dt.tz_convert(tz) if tz is not None else out[column]
        out[column] = stamps.map(lambda t: t.isoformat())
    out.to_csv(
        path, index=False, columns=["case_id", "activity", "resource", "start_time", "end_time"]
    )


class FirstN(Replication):
    """A SimPy replication in which only the first `n` receipts at or after `since` (business
    minutes) enter, counted over every service (module docstring)."""

    def __init__(self, plan: Plan, replication: int, seed: int, log, n: int, since: float):
        self.n, self.since_receipt, self.entered = n, since, 0
        super().__init__(plan, replication, seed, log)

    def _arrive(self, service):
        k = 0
        for times, _online in receipts(self.plan, service, self.seed, self.replication):
            for t in times.tolist():
                if t < self.since_receipt:
                    k += 1
                    continue
                if t > self.now:
                    yield self.timeout(t - self.now)
                if self.entered >= self.n:
                    return
                self.entered += 1
                self.process(self._case(service, t, k))
                k += 1
