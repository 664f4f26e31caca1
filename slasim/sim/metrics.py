"""Streaming statistics of a replication, and 95 % confidence intervals across replications.

A replication keeps counters, sums and fixed-size log-spaced histograms (1 % relative precision for
quantiles), never per-case lists (docs/ARCHITECTURE.md property 5). Summaries are plain dicts of
floats; across replications every rate and mean gets a Student-t 95 % interval, a share's clipped
to [0, 1] (`INTERVALS`)."""

from __future__ import annotations

import math

import numpy as np

HIST_LOW, HIST_HIGH, HIST_GROWTH = 1e-3, 1e5, 1.01  # working days (or hours); 1 % wide bins
HIST_BINS = int(math.ceil(math.log(HIST_HIGH / HIST_LOW) / math.log(HIST_GROWTH))) + 2
QUANTILES = (0.5, 0.9, 0.95)
SHARES = {"on_time_promised", "on_time_legal", "past_promised", "past_legal", "waited_share"}
SHARES |= {"utilisation"}  # shares of a whole (and every `ever_<level>`): intervals kept in [0, 1]
INTERVALS = (
    "mean over replications with a Student-t 95 % interval; a share's interval (on time, past a "
    "limit, cards, waited, utilisation) is clipped to [0, 1]"
)


class LogHistogram:
    """Counts of positive values in geometric bins; bin 0 holds values below HIST_LOW (incl. 0)."""

    def __init__(self):
        self.counts = np.zeros(HIST_BINS, dtype=np.int64)

    @staticmethod
    def bins(values: np.ndarray) -> np.ndarray:
        """Bin index of each value."""
        values = np.asarray(values, dtype=np.float64)
        # Values below HIST_LOW (0 included) land in bin 0; the floor keeps log() finite.
        floor = np.maximum(values, HIST_LOW / HIST_GROWTH)
        index = np.floor(np.log(floor / HIST_LOW) / math.log(HIST_GROWTH)).astype(np.int64) + 1
        return np.clip(index, 0, HIST_BINS - 1)

    def add(self, values: np.ndarray) -> None:
        """Count values into the histogram's log-spaced bins."""
        if len(values):
            self.counts += np.bincount(self.bins(values), minlength=HIST_BINS)

    def quantile(self, q: float) -> float:
        """The q-quantile, interpolated within its bin."""
        total = int(self.counts.sum())
        if total == 0:
            return math.nan
        k = int(np.searchsorted(np.cumsum(self.counts), q * total, side="left"))
        if k == 0:
            return 0.0
        # Geometric middle of the bin: at most 0.5 % off the true quantile's bin.
        return HIST_LOW * HIST_GROWTH ** (k - 1) * math.sqrt(HIST_GROWTH)


class TimeAverage:
    """Time-weighted average of a piecewise-constant level (queue length, busy staff), from `since`."""

    __slots__ = ("level", "area", "last", "since", "peak")

    def __init__(self, now: float):
        self.level, self.area, self.last, self.since, self.peak = 0, 0.0, now, now, 0

    def change(self, now: float, delta: int) -> None:
        """The level changes by `delta` at `now`."""
        self.area += self.level * (now - self.last)
        self.last = now
        self.level += delta
        if self.level > self.peak:
            self.peak = self.level

    def reset(self, now: float) -> None:
        """Start measuring afresh (end of warm-up); the current level carries on."""
        self.area, self.last, self.since, self.peak = 0.0, now, now, self.level

    def mean(self, now: float) -> float:
        """The time-weighted mean level from `since` to `now`."""
        span = now - self.since
        return (self.area + self.level * (now - self.last)) / span if span > 0 else math.nan


class StepTally:
    """A step's visits completed in the measured window: count, waiting and work minutes, how many queued."""

    __slots__ = ("visits", "wait", "work", "waited")

    def __init__(self):
        self.visits, self.wait, self.work, self.waited = 0, 0.0, 0.0, 0

    def summary(self) -> dict:
        """Visits, mean wait and work minutes, share that queued."""
        return {
            "visits": self.visits,
            "wait_hours_mean": ratio(self.wait / 60.0, self.visits),
            "work_hours_mean": ratio(self.work / 60.0, self.visits),
            "waited_share": ratio(self.waited, self.visits),
        }


class DeskTally:
    """A department's areas over the measured window [since, end): minutes cases spent waiting, staff
    minutes worked, staff on duty (a TimeAverage) and the longest queue. Queue length and utilisation
    are these areas over the window, as a level-tracking average would integrate them."""

    def __init__(self, name: str, since: float, staff: int):
        self.name, self.since = name, since
        self.wait_area = 0.0
        self.busy_area = 0.0
        self.peak = 0
        self.staff = TimeAverage(since)
        self.staff.change(since, staff)

    def waiting_now(self, end: float) -> float:
        """Waiting minutes under way at `end` not yet in `wait_area` (none unless an engine defers them)."""
        return 0.0

    def summary(self, end: float) -> dict:
        """Utilisation, mean and max queue, over the window ending at `end`."""
        staff_mean = self.staff.mean(end)
        staff_time = staff_mean * (end - self.since)
        # A staff reduction does not interrupt the cases in service (engines finish them, as
        # SimPy's resources do): the staff who finish them stay on past the schedule. Those
        # minutes are busy minutes beyond the scheduled staff minutes; they are on duty too, so
        # they count in the staff time and utilisation never exceeds 1 (a reduction to 0 staff
        # gave 1.0027 before).
        on_duty = staff_time + max(self.busy_area - staff_time, 0.0)
        return {
            "utilisation": self.busy_area / on_duty if on_duty > 0 else float("nan"),
            "queue_mean": (self.wait_area + self.waiting_now(end)) / (end - self.since),
            "queue_max": self.peak,
            "staff_mean": staff_mean,
        }


def ratio(num: float, den: float) -> float:
    """num / den, or NaN when den is 0."""
    return num / den if den else math.nan


def is_share(metric: str) -> bool:
    """Whether a metric is a share of a whole, whose interval stays inside [0, 1]."""
    return metric in SHARES or metric.startswith("ever_")


def confidence(values: list[float], share: bool = False) -> dict:
    """Mean and Student-t 95 % interval over replications (NaN values are left out); a share's
    interval is clipped to [0, 1]."""
    x = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=np.float64)
    if not len(x):
        return {"mean": None, "ci95": None, "n": 0}
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci95": None, "n": 1}
    from scipy.special import stdtrit  # Student-t quantile; imported here, only `run` needs scipy

    half = float(stdtrit(len(x) - 1, 0.975) * x.std(ddof=1) / math.sqrt(len(x)))
    low, high = mean - half, mean + half
    if share:
        low, high = max(low, 0.0), min(high, 1.0)
    return {"mean": mean, "ci95": [low, high], "n": int(len(x))}


def summarize(replications: list[dict]) -> dict:
    """Nested per-replication metric dicts → the same shape with {mean, ci95, n} leaves."""
    first = replications[0]
    out = {}
    for key, value in first.items():
        if isinstance(value, dict):
            out[key] = summarize([r[key] for r in replications])
        else:
            out[key] = confidence([r[key] for r in replications], is_share(key))
    return out
