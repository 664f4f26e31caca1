"""Receipt instants of one service for one replication, generated up front (vectorized).

Window receipts happen during office hours: per working day a Poisson count (or, `even`, a fixed
count spread evenly) placed uniformly over the day's office minutes. Online receipts come at any
hour of any day (the same volume per working day on average, spread over natural days); one
outside office hours is received at the next opening (DOMAIN §5). Both are returned on the
business-minute axis, sorted, with a flag for online.
"""

from __future__ import annotations

import numpy as np

from .model import Plan, ServicePlan, day_index
from .scenario import WEEKDAYS
from .timeconv import MINUTES_PER_DAY, days_to_dates

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (mon = 0)


def _factors(spec, days: np.ndarray) -> np.ndarray:
    """Weekday × month factors for epoch days."""
    weekday = (days + _EPOCH_WEEKDAY) % 7
    by_weekday = np.array([spec.weekday.get(name, 1.0) for name in WEEKDAYS])
    months = days_to_dates(days).astype("datetime64[M]").astype(np.int64) % 12   # 0 = January
    by_month = np.array([spec.month.get(m, 1.0) for m in range(1, 13)])
    return by_weekday[weekday] * by_month[months]


def _counts(means: np.ndarray, pattern: str, rng: np.random.Generator) -> np.ndarray:
    if pattern == "poisson":
        return rng.poisson(means)
    # even: whole receipts per day, the fractions carried over (deterministic).
    return np.diff(np.floor(np.concatenate([[0.0], np.cumsum(means)]) + 1e-9)).astype(np.int64)


def _place(counts: np.ndarray, starts: np.ndarray, lengths: np.ndarray, pattern: str,
           rng: np.random.Generator) -> np.ndarray:
    """Instants within [start, start + length) of each slot: uniform, or evenly spaced."""
    slot = np.repeat(np.arange(len(counts)), counts)
    if pattern == "poisson":
        within = rng.random(len(slot))
    else:
        first = np.repeat(np.cumsum(counts) - counts, counts)
        within = (np.arange(len(slot)) - first + 0.5) / np.repeat(np.maximum(counts, 1), counts)
    return starts[slot] + within * lengths[slot]


def service_arrivals(plan: Plan, service: ServicePlan, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(receipt instants in business minutes, is-online flags), sorted by instant."""
    cal, spec = plan.calendar, service.spec.arrivals
    k = np.arange(plan.start_day, plan.end_day)
    work_days = cal.work_days[k]
    window_means = spec.per_day * (1.0 - spec.online) * _factors(spec, work_days)
    window = _place(_counts(window_means, spec.pattern, rng), cal.bm_start[k], cal.day_minutes[k], spec.pattern, rng)
    online = np.empty(0)
    if spec.online > 0:
        days = np.arange(work_days[0], cal.work_days[plan.end_day - 1] + 1)   # every natural day of the period
        per_natural_day = spec.per_day * spec.online * len(k) / len(days)
        counts = _counts(per_natural_day * _factors(spec, days), spec.pattern, rng)
        wall = _place(counts, days * float(MINUTES_PER_DAY), np.full(len(days), float(MINUTES_PER_DAY)),
                      spec.pattern, rng)
        online = cal.to_business_array(wall)       # outside office hours: the next opening
        online = online[online < plan.end]
    times = np.concatenate([window, online])
    is_online = np.concatenate([np.zeros(len(window), bool), np.ones(len(online), bool)])
    if spec.until is not None:
        stop = cal.bm_start[day_index(cal, spec.until)]
        times, is_online = times[times < stop], is_online[times < stop]
    order = np.argsort(times, kind="stable")
    return times[order], is_online[order]
