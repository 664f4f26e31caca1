"""Receipt instants of one service for one replication, generated up front (vectorized).

Receipts are generated a block of office days at a time, the blocks in turn from the service's one
stream. An office day is a working day, or a rest day the office opens (`per_day` is per office
day; a weekday factor scales an open Saturday's).
Window receipts happen during office hours: per office day a Poisson count (or, `even`, a fixed
count spread evenly) placed uniformly over the day's office minutes. Online receipts come at any
hour of any day (the same volume per working day on average, spread over natural days); one
outside office hours is received at the next opening (docs/DOMAIN.md §5). With a receipt profile
(`by_hour`: weights per weekday and hour) the window receipts come instead at the profile's hours
of every natural day, per hour a Poisson count (or `even`) placed within the hour, with the same
volume per working day on average; those outside office hours are received at the next opening.
All are returned on the business-minute axis, sorted, with a flag for online (or, with a profile,
received outside office hours).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, days_to_dates
from slasim.scenario.plan import Plan, ServicePlan, office_index
from slasim.scenario.schema import WEEKDAYS
from slasim.sim.draws import stream

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (mon = 0)


def arrival_factors(spec, days: np.ndarray) -> np.ndarray:
    """Weekday × month factors for epoch days."""
    if not spec.weekday and not spec.month:
        return np.ones(len(days))  # 1.0 × 1.0 everywhere, without the date arithmetic
    weekday = (days + _EPOCH_WEEKDAY) % 7
    by_weekday = np.array([spec.weekday.get(name, 1.0) for name in WEEKDAYS])
    months = days_to_dates(days).astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
    by_month = np.array([spec.month.get(m, 1.0) for m in range(1, 13)])
    return by_weekday[weekday] * by_month[months]


def _counts(
    means: np.ndarray, pattern: str, rng: np.random.Generator, carried: float = 0.0, same=None
) -> tuple[np.ndarray, float]:
    """Receipts per slot: Poisson, or (`even`) whole receipts with the fractions carried over.
    `same`: the one mean every slot has (no weekday or month factors), if so: numpy then draws
    the Poisson counts by its scalar path, the same numbers from the same stream as from an
    array of that mean (tests/test_arrivals.py) at a tenth of the cost."""
    if pattern == "poisson":
        if same is not None:
            return rng.poisson(same, len(means)), 0.0
        return rng.poisson(means), 0.0
    totals = np.floor(carried + np.cumsum(means) + 1e-9)
    counts = np.diff(np.concatenate([[np.floor(carried + 1e-9)], totals])).astype(np.int64)
    return counts, carried + float(np.sum(means))


def _place(
    counts: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    pattern: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """Instants within [start, start + length) of each slot: uniform, or evenly spaced."""
    slot = np.repeat(np.arange(len(counts)), counts)
    if pattern == "poisson":
        within = rng.random(len(slot))
    else:
        first = np.repeat(np.cumsum(counts) - counts, counts)
        within = (np.arange(len(slot)) - first + 0.5) / np.repeat(np.maximum(counts, 1), counts)
    return starts[slot] + within * lengths[slot]


def _profile(by_hour: dict) -> tuple[np.ndarray, np.ndarray]:
    """(share of the week's receipts per weekday, share of each weekday's per hour)."""
    weights = np.array([by_hour.get(name, [0.0] * 24) for name in WEEKDAYS], dtype=np.float64)
    per_day = weights.sum(axis=1)
    hours = weights / np.where(per_day > 0, per_day, 1.0)[:, None]
    return per_day / per_day.sum(), hours


BLOCK_DAYS = 20  # office days of receipts generated at a time: memory does not grow with the period


def arrival_blocks(
    plan: Plan, service: ServicePlan, stream
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(receipt instants in business minutes, is-online flags) block by block, each sorted and later
    than the block before; `stream(block)` gives the random generator block `block` draws from."""
    cal, spec = plan.calendar, service.spec.arrivals
    first_day, last_day = (
        int(cal.open_days[plan.start_office]),
        int(cal.open_days[plan.end_office - 1]),
    )
    per_natural_day = (
        spec.per_day
        * spec.online
        * (plan.end_office - plan.start_office)
        / (last_day - first_day + 1)
    )
    stop = cal.bm_start[office_index(cal, spec.until)] if spec.until is not None else plan.end
    profile = _profile(spec.by_hour) if spec.by_hour else None
    flat = not spec.weekday and not spec.month  # every day's factor 1.0
    window_carry = online_carry = 0.0
    for block, k0 in enumerate(range(plan.start_office, plan.end_office, BLOCK_DAYS)):
        rng = stream(block)
        k = np.arange(k0, min(k0 + BLOCK_DAYS, plan.end_office))
        days_open = cal.open_days[k]
        if profile is None:
            per_day = spec.per_day * (1.0 - spec.online)
            means = per_day * arrival_factors(spec, days_open)
            same = per_day * 1.0 if flat else None  # each day's mean, as the array holds it
            counts, window_carry = _counts(means, spec.pattern, rng, window_carry, same)
            times = _place(counts, cal.bm_start[k], cal.day_minutes[k], spec.pattern, rng)
            is_online = np.zeros(len(times), bool)
        else:
            last = int(cal.open_days[k[-1] + 1]) - 1 if k[-1] + 1 < plan.end_office else last_day
            days = np.arange(max(int(days_open[0]), first_day) if block else first_day, last + 1)
            per_week = (
                7.0 * spec.per_day * (1.0 - spec.online) * (plan.end_office - plan.start_office)
            )
            day_share, hour_share = profile
            weekday = (days + _EPOCH_WEEKDAY) % 7
            means = (per_week / (last_day - first_day + 1) * day_share[weekday]) * arrival_factors(
                spec, days
            )
            counts, window_carry = _counts(
                (means[:, None] * hour_share[weekday]).ravel(), spec.pattern, rng, window_carry
            )
            hours = (days[:, None] * float(MINUTES_PER_DAY) + 60.0 * np.arange(24)).ravel()
            wall = _place(counts, hours, np.full(len(hours), 60.0), spec.pattern, rng)
            times = cal.to_business_array(wall)  # outside office hours: the next opening
            is_online = np.abs(cal.to_wall_array(times, side="right") - wall) > 1e-6
        if spec.online > 0:  # natural days up to the next block's first working day
            last = int(cal.open_days[k[-1] + 1]) - 1 if k[-1] + 1 < plan.end_office else last_day
            days = np.arange(max(int(days_open[0]), first_day) if block else first_day, last + 1)
            same = per_natural_day * 1.0 if flat else None
            counts, online_carry = _counts(
                per_natural_day * arrival_factors(spec, days), spec.pattern, rng, online_carry, same
            )
            wall = _place(
                counts,
                days * float(MINUTES_PER_DAY),
                np.full(len(days), float(MINUTES_PER_DAY)),
                spec.pattern,
                rng,
            )
            online = cal.to_business_array(wall)  # outside office hours: the next opening
            times = np.concatenate([times, online])
            is_online = np.concatenate([is_online, np.ones(len(online), bool)])
        # Window receipts without a profile lie within their days, from the first day's opening
        # to the last day's close (`_place`: start + a fraction under 1 of the length, rounded
        # no further than the close), so a block wholly inside the period keeps them all.
        inside = (
            profile is None
            and not spec.online > 0
            and plan.start <= cal.bm_start[k[0]]
            and cal.bm_start[k[-1] + 1] < stop
        )
        if not inside:
            keep = (times < stop) & (times >= plan.start)  # a forecast starts within a day
            times, is_online = times[keep], is_online[keep]
        order = np.argsort(times, kind="stable")
        yield times[order], is_online[order]


def receipts(
    plan: Plan, service: ServicePlan, seed: int, replication: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`arrival_blocks` of one replication, all drawn in turn from the one stream (replication,
    service, arrivals): blocks come in order, so each block takes up where the one before ended."""
    rng = stream(seed, replication, service.name, "arrivals")
    return arrival_blocks(plan, service, lambda b: rng)


def service_arrivals(plan: Plan, service: ServicePlan, stream) -> tuple[np.ndarray, np.ndarray]:
    """All receipts of the period at once (for tests and analysis; the engine streams the blocks)."""
    blocks = list(arrival_blocks(plan, service, stream))
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])
