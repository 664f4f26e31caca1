"""A department's weekly roster fitted from when a log shows its handlers on duty, hour by hour.

A handler is on duty on a day from the hour of its first action (an event of the department
started or completed) to the hour of its last. For each weekday and hour, the mean number of
handlers on duty over the working days with anyone on duty gives the roster's shape: the hour's
mean over all days, unless some weekday's differs from it by `Z` standard errors (5 % over the
week's 168 hours), and then each weekday's own. Its level is scaled so that the staff averaged
over office time equals the department's fitted staff (the handlers at work on a mean active
day): the fitted work times hold whatever pauses the log's start and end stamps include and were
fitted at that level, so the roster moves capacity to the hours the log is worked without changing
how much there is. Levels are rounded; the department's `staff` becomes the level of the most
office minutes (at least 1). An hour keeps that level unless its scaled mean is a whole staff
member or more from it and `Z` standard errors (rounding and sampling noise make no band). Each
weekday's other levels become bands over its office hours (an hour without office time takes the
level before it, or none before the first office hour and after the last); weekdays with the
same bands share a line. The evidence keeps the means, the days, the scale and the rule.

Opt-in (`fit_log(roster=True)`): on bench_fidelity's protocol (5 simulated logs), with office
hours fitted from the log, it moved no measure clearly — LoanApp made no band; AcademicCredentials
and BPIC_2012_W moved by a few % either way.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, day_to_date
from slasim.scenario.schema import WEEKDAYS

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (mon = 0)
# Two-sided 5 % over the week's 168 hours (Bonferroni): a difference this many standard errors
# wide is not the noise of one hour among many.
Z = NormalDist().inv_cdf(1 - 0.05 / 2 / 168)


def hours_on_duty(start: np.ndarray, end: np.ndarray, handler: np.ndarray) -> np.ndarray:
    """Hours since the epoch each handler is on duty, one row per (hour, handler): on a day, from
    the hour of the handler's first action (an event started or completed) to that of its last."""
    codes = np.unique(handler, return_inverse=True)[1]
    instants = np.concatenate([start, end])
    who = np.concatenate([codes, codes])
    hour = np.floor(instants / 60.0).astype(np.int64)
    day = hour // 24
    key = day * (int(who.max()) + 1) + who  # one key per (day, handler)
    order = np.lexsort((hour, key))
    key, hour = key[order], hour[order]
    firsts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lasts = np.r_[firsts[1:], len(key)] - 1
    first, last = hour[firsts], hour[lasts]
    spans = last - first + 1
    return np.repeat(first, spans) + (
        np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    )


def weekly_means(cal, start: np.ndarray, end: np.ndarray, handler: np.ndarray) -> tuple:
    """(mean handlers on duty per weekday × hour (7 × 24), their standard errors, active working
    days per weekday, first and last day) over the working days with anyone on duty, from the
    first event's day to the last one's. An hour where no weekday's mean differs from the mean
    over all days (`Z` standard errors) takes that one on every weekday (and its error)."""
    hour_of = hours_on_duty(start, end, handler)
    first_day = int(np.floor(start.min() / MINUTES_PER_DAY))
    last_day = int(np.floor(end.max() / MINUTES_PER_DAY))
    days = np.arange(first_day, last_day + 1)
    working = days[cal.is_open_day_array(days)]  # office days: an open Saturday's staff too
    day = hour_of // 24
    on = np.isin(day, working)
    working = np.unique(day[on])  # the working days with someone on duty
    counts = np.zeros((len(working), 24))  # handlers on duty per (active day, hour)
    np.add.at(counts, (np.searchsorted(working, day[on]), hour_of[on] % 24), 1)
    weekday = (working + _EPOCH_WEEKDAY) % 7
    per_weekday = np.bincount(weekday, minlength=7)
    n = np.maximum(per_weekday, 1)[:, None]
    sums, squares = np.zeros((7, 24)), np.zeros((7, 24))
    np.add.at(sums, weekday, counts)
    np.add.at(squares, weekday, counts**2)
    means = sums / n
    spread = np.sqrt(np.maximum(squares / n - means**2, 0.0) / n)  # standard error of each mean
    # An hour takes its mean over all days unless some weekday's differs from it by more than `Z`
    # standard errors of a mean of that many days drawn from all days; then each weekday its own.
    pooled, sd = counts.mean(axis=0), counts.std(axis=0)
    differs = (np.abs(means - pooled) > Z * sd / np.sqrt(n)) & (per_weekday > 0)[:, None]
    own = np.broadcast_to(differs.any(axis=0), means.shape)
    means = np.where(own, means, pooled)
    spread = np.where(own, spread, sd / np.sqrt(len(counts)))
    return means, spread, per_weekday, first_day, last_day


def office_minutes(cal, first_day: int, last_day: int) -> np.ndarray:
    """Office minutes per weekday × hour over the office days [first_day, last_day]."""
    days = np.arange(first_day, last_day + 1)
    days = days[cal.is_open_day_array(days)]
    edges = days[:, None] * MINUTES_PER_DAY + np.arange(25)[None, :] * 60.0
    business = cal.to_business_array(edges)
    per_hour = np.diff(business, axis=1)
    out = np.zeros((7, 24))
    np.add.at(out, (days + _EPOCH_WEEKDAY) % 7, per_hour)
    return out


def fit_roster(
    cal, start: np.ndarray, end: np.ndarray, handler: np.ndarray, staff: float
) -> dict | None:
    """The roster of one department from its fitted events with a handler, its mean level set to
    `staff` (the department's fitted staff): {staff, roster, note, evidence}, or None when no
    event has a handler."""
    known = handler != ""
    if not known.any():
        return None
    start, end, handler = start[known], end[known], handler[known]
    means, spread, per_weekday, first_day, last_day = weekly_means(cal, start, end, handler)
    minutes = office_minutes(cal, first_day, last_day)
    on_duty = float((means * minutes).sum() / max(minutes.sum(), 1.0))  # mean over office time
    scale = staff / on_duty if on_duty > 0 else 1.0
    scaled = means * scale
    level = np.floor(scaled + 0.5).astype(np.int64)
    weights = np.bincount(level.ravel(), weights=minutes.ravel())
    weights[0] = 0.0
    base = max(int(np.argmax(weights)) if weights.sum() > 0 else 1, 1)
    # An hour keeps the base level unless its mean is a whole staff member or more from it, and
    # more than 2 standard errors.
    gap = np.abs(scaled - base)
    level[(gap < 1.0) | (gap <= Z * spread * scale)] = base
    bands_of: dict[str, list] = {}
    for w, name in enumerate(WEEKDAYS):
        if not per_weekday[w]:
            continue
        bands_of[name] = _bands(level[w], minutes[w] > 0, base)
    lines = []
    for bands in dict.fromkeys(tuple(b) for b in bands_of.values()):  # first-seen order
        days = [d for d, b in bands_of.items() if tuple(b) == bands]
        for a, b, level_of_band in bands:
            lines.append(
                {"days": _days_text(days), "from": _hhmm(a), "to": _hhmm(b), "staff": level_of_band}
            )
    lines.sort(key=lambda line: (WEEKDAYS.index(_first_day(line["days"])), line["from"]))
    window = f"{day_to_date(first_day)}..{day_to_date(last_day)}"
    n_days = int(per_weekday.sum())
    note = (
        f"handlers on duty per hour of the week (from a handler's first action of the day to its "
        f"last), mean over the {n_days} working days with any on duty in {window} "
        f"({on_duty:.2f} over office time), scaled ×{scale:.2f} to the fitted staff {staff:g} "
        "on average, rounded; outside the bands, `staff`: the level of the most office minutes"
    )
    evidence = {
        "window": window,
        "active_days": {WEEKDAYS[w]: int(per_weekday[w]) for w in range(7) if per_weekday[w]},
        "mean_on_duty": {
            WEEKDAYS[w]: [round(float(x), 2) for x in means[w]] for w in range(7) if per_weekday[w]
        },
        "scale": round(scale, 4),
        "rule": note,
    }
    return {"staff": base, "roster": lines, "note": note, "evidence": evidence}


def _bands(level: np.ndarray, office: np.ndarray, base: int) -> list[tuple[int, int, int]]:
    """A weekday's hourly levels as bands (from, to, staff) in hours, leaving out the base level;
    an hour without office time takes the level before it (the base before the day's first office
    hour and after its last)."""
    held = level.copy()
    known = np.flatnonzero(office)
    if not len(known):
        return []
    held[: known[0]] = base  # before the first office hour and after the last: no band
    held[known[-1] + 1 :] = base
    for h in range(known[0] + 1, known[-1]):
        if not office[h]:
            held[h] = held[h - 1]
    bands, h = [], 0
    while h < 24:
        k = h
        while k < 24 and held[k] == held[h]:
            k += 1
        if held[h] != base:
            bands.append((h, k, int(held[h])))
        h = k
    return bands


def _hhmm(hour: int) -> str:
    return f"{hour:02d}:00"


def _days_text(days: list[str]):
    """Weekdays as a range text when they run on (`mon-fri`), else a list."""
    index = [WEEKDAYS.index(d) for d in days]
    if len(index) > 1 and index == list(range(index[0], index[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return days[0] if len(days) == 1 else days


def _first_day(days) -> str:
    return days.split("-")[0] if isinstance(days, str) else days[0]


def department_roster(events, rows_of: dict, info: dict, split: float, cal, staff: int):
    """`fit_roster` over a department's fitted events (`rows_of` its activities, `info`'s, in
    `events`) completed before the split; None when none has a handler or it makes no band."""
    rows = np.concatenate([rows_of[a] for a in info["activities"]])
    rows = rows[events.end[rows] < split]
    if not len(rows):
        return None
    fitted = fit_roster(cal, events.start[rows], events.end[rows], events.resource[rows], staff)
    return fitted if fitted is not None and fitted["roster"] else None
