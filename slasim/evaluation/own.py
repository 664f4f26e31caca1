"""slasim's own measures beside the field's, on the same frames: lead time in working days (the
calendar's business axis) and open cases (WIP) at each working day's close, each as a distance
(lower is closer, identical logs give 0) with the same signature as the field's measures.

Frames hold UTC instants; `wall_minutes` maps them back to the calendar's wall clock (for a log
whose stamps had no offset, the UTC clock is its wall clock, as the field reads it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from slasim.calendar.units import MINUTES_PER_DAY

EPOCH = pd.Timestamp(0, tz="UTC")


def wall_minutes(stamps: pd.Series, cal, aware: bool) -> np.ndarray:
    """Calendar wall minutes of UTC stamps."""
    stamps = pd.Series(stamps)
    if aware:
        stamps = stamps.dt.tz_convert(cal.tz).dt.tz_localize(None).dt.tz_localize("UTC")
    return ((stamps - EPOCH) / pd.Timedelta(minutes=1)).to_numpy(dtype=np.float64)


def case_spans(events: pd.DataFrame, cal, aware: bool) -> tuple[np.ndarray, np.ndarray]:
    """(first start, last end) of each case in calendar wall minutes."""
    grouped = events.groupby("case_id", sort=False)
    return (
        wall_minutes(grouped["start_time"].min(), cal, aware),
        wall_minutes(grouped["end_time"].max(), cal, aware),
    )


def lead_times_wd(events: pd.DataFrame, cal, aware: bool) -> np.ndarray:
    """Each case's first start to last end in working days (positions on the business axis)."""
    start, end = case_spans(events, cal, aware)
    day = cal.business_to_day_position
    return day(cal.to_business_array(end)) - day(cal.to_business_array(start))


def lead_time_wd(real, simulated, cal, aware: bool) -> float:
    """1-Wasserstein distance between the lead times, working days."""
    from scipy.stats import wasserstein_distance

    a, b = lead_times_wd(real, cal, aware), lead_times_wd(simulated, cal, aware)
    return float(wasserstein_distance(a, b)) if len(a) and len(b) else float("nan")


def open_at_closes(events: pd.DataFrame, cal, aware: bool, days: np.ndarray) -> np.ndarray:
    """Cases open (started, not ended) at each given working day's close."""
    start, end = case_spans(events, cal, aware)
    closes = (days + 1) * MINUTES_PER_DAY - 1e-6
    return np.searchsorted(np.sort(start), closes) - np.searchsorted(np.sort(end), closes)


def wip_cases(real, simulated, cal, aware: bool) -> float:
    """Mean absolute difference of open cases at each working day's close over both logs' span,
    in cases (defined when the real log has no open case at all)."""
    spans = [case_spans(f, cal, aware) for f in (real, simulated) if len(f)]
    if len(spans) < 2:
        return float("nan")
    first = int(min(s[0].min() for s in spans) // MINUTES_PER_DAY)
    last = int(max(s[1].max() for s in spans) // MINUTES_PER_DAY)
    days = cal.open_days[(cal.open_days >= first) & (cal.open_days <= last)]
    a = open_at_closes(real, cal, aware, days)
    b = open_at_closes(simulated, cal, aware, days)
    return float(np.mean(np.abs(a - b))) if len(days) else 0.0


OWN = {"lead_time_wd": (lead_time_wd, "wd"), "wip_cases": (wip_cases, "cases")}


def score(real, simulated, cal, aware: bool) -> dict[str, float]:
    """slasim's own distances between two frames."""
    return {name: float(fn(real, simulated, cal, aware)) for name, (fn, _unit) in OWN.items()}
