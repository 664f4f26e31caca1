"""Batch releases fitted from a log: whether a step's cases leave it together at set times (a
committee that meets on set weekdays, a daily signing round), as the step's `batch` option.

A case leaves a step at its completion, or, where the log writes the work when it is done and the
case waits after it (slasim's own event log does), at the case's next event: the earliest start
(or milestone) in the case at or after the completion. Both are tried; the one that clusters more
is the evidence. The instants cluster when a 10-minute window of the clock (`WINDOW`, from the
first minute of the busiest such window) holds at least half of them on the weekdays it recurs
on, at least `MIN_RELEASES` times, with a median of two cases or more per release, and that share
is beyond chance under a uniform spread over office hours: the binomial tail of the window's
cases, times the 1,440 clock minutes the window could have started at (a Bonferroni correction
for having picked the busiest), at most 10^`MAX_LOG10_P`. The cases in the hour either side are
reported beside it (a rush hour is a hump, a release a spike). A weekday holds releases when it
has `DAY_SHARE` of the busiest weekday's releases; a weekday with few working days in the log
(a make-up working day, 调休, on a Saturday) counts only with a daily round. The release lies
inside office hours, not at the opening or the close (what is done overnight moves on at the
opening without any batch); a log of dates without times shows no clock time, and instants at
midnight (a date written without its time, in a log that has times elsewhere) are left out; so
is a clock time where the log writes its stamps: the other activities' instants there fall on one
or two exact minutes on the hour or half hour (dates shifted by a time zone, summer and winter),
or are the very instants of this step's cases (one upload writing them all). A release blurred by
a queue at the next desk is found in the waits (`_held`); else the fit keeps that wait as it is.

What the fit receives (`step_batch`): the `batch` option, a `note` for the step's comment and its
`evidence`; `explains`, the rows of the steps that followed a release (their wait before starting
is the batch's, not an idle handler's); and `work`, for a release at the step's own completion,
an estimate of each event's work without the wait for the release (`_work`). `next_events` gives
the instants and rows a case moved on to. In a log whose start times were estimated from the
completions, no batch is fitted (`skipped`): a step's elapsed time then already holds the wait for
a release before it, and a step's starts cannot show that its batch is the step's before.
"""

from __future__ import annotations

import math

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.fit.log import Events
from slasim.io.i18n import Text
from slasim.scenario.schema import WEEKDAYS

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (mon = 0)
WINDOW = 10  # minutes after a release within which a case is counted as released by it
MIN_SHARE = 0.5  # of the step's cases leaving within WINDOW after a release
MIN_RELEASES = 4  # days with a release seen
MAX_LOG10_P = -6.0  # the share's binomial tail under a uniform spread over office hours
HELD_SHARE = 0.95  # of the cases moving on only after a release (seen in the waits)
LATER_DROP = 0.2  # fewer held with the release an hour later
LAG_SHARE = 0.2  # the median lag after a release, of the median wait at most
DAY_SHARE = 0.2  # a weekday holds releases when it has this share of the busiest weekday's
# releases (and is a regular weekday: this share of the busiest weekday's working days)
STAMPED_SHARE = 0.25  # of the other activities stamped at that clock time: the log's stamps
STAMP_HOLD = 0.2  # of an activity's completions at that clock time
STAMP_EXACT = 0.95  # of those on one or two exact minutes on the hour or half hour
DATED = 0.9  # share of instants at midnight that makes a log dated (no clock time)


def left_step(events: Events, rows: np.ndarray) -> np.ndarray:
    """For each row (an event of the step), the instant its case moved on: the earliest start of
    another of the case's steps at or after the row's end; when no step follows, the case's last
    milestone at or after it (its decision); else the row's end."""
    return next_events(events, rows)[0]


def next_events(events: Events, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`left_step`'s instants, and the row of each case's next step (-1 where none follows)."""
    code = events.codes("case")[0]
    lo, width, keys, work = _steps_by_case(events)
    out = events.end[rows].astype(np.float64).copy()
    at = np.searchsorted(keys, code[rows] * width + (out - lo), side="left")
    at = np.where((at < len(work)) & (work[np.minimum(at, len(work) - 1)] == rows), at + 1, at)
    found = at < len(work)
    found[found] = code[work[at[found]]] == code[rows[found]]
    following = np.full(len(rows), -1, np.int64)
    following[found] = work[at[found]]
    out[found] = events.start[following[found]]
    if (~found).any() and events.milestone.any():  # the last step: the case's decision
        marks = np.flatnonzero(events.milestone)
        last = np.full(int(code.max()) + 1, -np.inf)
        np.maximum.at(last, code[marks], events.end[marks])
        rest = np.flatnonzero(~found)
        later = last[code[rows[rest]]]
        out[rest] = np.where(later >= out[rest], later, out[rest])
    return out, following


def _steps_by_case(events: Events) -> tuple:
    """The log's steps (milestones left out) ordered by case, then start, as one sorted key per
    step (case × width + start), worked out once per `Events`."""
    cache = events.__dict__  # kept on the events, as `Events.codes` keeps its codes
    if "_steps_by_case" not in cache:
        code = events.codes("case")[0]
        lo = float(min(events.start.min(), events.end.min()))
        width = float(max(events.start.max(), events.end.max())) - lo + 1.0
        work = np.flatnonzero(~events.milestone)
        keys = code[work] * width + (events.start[work] - lo)
        order = np.argsort(keys, kind="stable")
        cache["_steps_by_case"] = (lo, width, keys[order], work[order])
    return cache["_steps_by_case"]


def fit_batches(ends, cal, *, moved_on=None, starts=None, others=()) -> dict | None:
    """The `batch` option of a step whose cases leave it together at set times, or None.

    `ends`: the step's completions (wall minutes); `moved_on`: when each of those cases moved on
    (`left_step`), if known; `starts`: the step's starts, if the log has them (not estimated) — a
    step whose starts cluster receives its cases in batches (the wait, and the batch, is the
    step's before) and its completions follow them, so it is not a batch itself. Returns
    {"batch": {"days": [...], "at": "HH:MM"} (no `days`: every working day), "note": a `Text`
    for the step's comment, "evidence": the numbers behind it}. `others`: the completions of the
    log's other steps, one array per activity, to tell the log's stamps from a release
    (`_stamped`)."""
    if starts is not None and _detect(np.asarray(starts, dtype=np.float64), cal) is not None:
        return None
    found = []
    for seen, instants in (("completions", ends), ("next events", moved_on)):
        if instants is not None:
            t = np.asarray(instants, dtype=np.float64)
            result = _detect(t, cal)
            if result is not None and not _stamped(others, result["batch"]["at"], t):
                result["evidence"]["seen_at"] = seen
                found.append(result)
    if not found and moved_on is not None:  # a release spread by the next desk's queue
        e, m = np.asarray(ends, dtype=np.float64), np.asarray(moved_on, dtype=np.float64)
        result = _held(e, m, cal)
        if result is not None and not _stamped(others, result["batch"]["at"], m):
            result["evidence"]["seen_at"] = "waits"
            return {**result, "note": _held_note(result["evidence"])}
    if not found:
        return None
    best = max(found, key=lambda r: r["evidence"]["share"])
    return {**best, "note": _note(best["evidence"])}


def _detect(t: np.ndarray, cal) -> dict | None:
    """Releases seen in the instants themselves (see the module docstring), or None."""
    t = t[np.isfinite(t)]
    if not len(t) or np.mean(t % MINUTES_PER_DAY == 0) >= DATED:  # dates: no clock time
        return None
    t = t[t % MINUTES_PER_DAY != 0]  # a date written without its time (midnight) tells none
    n = len(t)
    if n < 2 * MIN_RELEASES:
        return None
    tod = t % MINUTES_PER_DAY
    at = _busiest(tod)
    offset = (tod - at) % MINUTES_PER_DAY
    day = np.floor(t / MINUTES_PER_DAY).astype(np.int64)
    weekday = (day + _EPOCH_WEEKDAY) % 7
    inside = offset < WINDOW
    chosen = _weekdays(cal, np.bincount(weekday[inside], minlength=7), t)
    released = inside & chosen[weekday]
    k = int(released.sum())
    release_days, sizes = np.unique(day[released], return_counts=True)
    if len(release_days) < MIN_RELEASES or k < MIN_SHARE * n or np.median(sizes) < 2:
        return None
    if not _in_office(cal, release_days, at):
        return None
    near = chosen[weekday] & (
        (offset >= MINUTES_PER_DAY - 60) | ((offset >= WINDOW) & (offset < WINDOW + 60))
    )
    days_seen = np.arange(day.min(), day.max() + 1)
    index = np.minimum(cal.office_days_before(days_seen), len(cal.day_minutes) - 1)
    office = float(np.median(cal.day_minutes[index]))
    uniform = min(1.0, WINDOW / office)
    log10_p = _log10_tail(k, n, uniform) + math.log10(MINUTES_PER_DAY)  # Bonferroni
    if log10_p > MAX_LOG10_P:
        return None
    batch, days = _schedule(chosen, at)
    q1, median, q3 = np.percentile(sizes, [25, 50, 75]).tolist()
    evidence = {
        "cases": n,
        "releases": len(release_days),
        "days": days,
        "at": batch["at"],
        "batch_sizes": {"median": median, "q1": q1, "q3": q3, "max": int(sizes.max())},
        "window_cases": k,
        "share": round(k / n, 4),
        "window_minutes": WINDOW,
        "hour_either_side_cases": int(near.sum()),
        "uniform_share": round(uniform, 4),
        "lift": round(k / n / uniform, 1),
        "log10_p_times_1440": round(log10_p, 1),
    }
    return {"batch": batch, "evidence": evidence}


def _busiest(tod: np.ndarray) -> int:
    """The first non-empty minute of the clock's busiest WINDOW minutes, of times of day in
    minutes (a window from there holds all of the busiest window's instants)."""
    minute = np.bincount(np.floor(tod).astype(np.int64), minlength=MINUTES_PER_DAY)
    circular = np.concatenate([minute, minute[:WINDOW]])
    windows = np.convolve(circular, np.ones(WINDOW, np.int64), "valid")[:MINUTES_PER_DAY]
    span = (int(np.argmax(windows)) + np.arange(WINDOW)) % MINUTES_PER_DAY
    return int(span[np.argmax(minute[span] > 0)])


def _weekdays(cal, per_weekday: np.ndarray, *instants: np.ndarray) -> np.ndarray:
    """The weekdays that hold releases (7 booleans, mon first): those with `DAY_SHARE` of the
    busiest weekday's releases, among the regular weekdays (with `DAY_SHARE` of the busiest
    weekday's working days in the instants' span); all seven when every regular weekday holds
    releases (a daily round: a make-up working day on a Saturday, 调休, has its release too)."""
    low = int(np.floor(min(t.min() for t in instants) / MINUTES_PER_DAY))
    high = int(np.floor(max(t.max() for t in instants) / MINUTES_PER_DAY))
    seen = np.arange(low, high + 1)
    working = np.bincount((seen[cal.is_open_day_array(seen)] + _EPOCH_WEEKDAY) % 7, minlength=7)
    regular = working >= max(1, DAY_SHARE * working.max())
    chosen = per_weekday >= max(1, DAY_SHARE * per_weekday.max())
    if (chosen | ~regular).all():
        return np.ones(7, dtype=bool)
    return chosen & regular


def _held(e: np.ndarray, m: np.ndarray, cal) -> dict | None:
    """Releases seen in the waits: each case moves on (`m`) only after the first release at or
    after its completion (`e`), and soon after it, where the queue at the next desk spreads each
    release's cases over an hour or two. The release is the clock time of most days' first move
    (`_busiest`); the weekdays, as in `_weekdays` over such days. Kept when `HELD_SHARE` of the
    cases or more were held to a release, `LATER_DROP` fewer would be with the release an hour
    later, and the median lag after the release is `LAG_SHARE` of the median wait or less (a
    step whose cases all wait for days would be held by any clock time)."""
    ok = np.isfinite(e) & np.isfinite(m) & (m > e) & (m % MINUTES_PER_DAY != 0)
    e, m = e[ok], m[ok]
    if len(m) < 2 * MIN_RELEASES:
        return None
    day = np.floor(m / MINUTES_PER_DAY).astype(np.int64)
    order = np.lexsort((m, day))
    days, first = np.unique(day[order], return_index=True)
    tod = m[order][first] % MINUTES_PER_DAY  # each day's first move
    at = _busiest(tod)
    weekday = (days + _EPOCH_WEEKDAY) % 7
    inside = (tod - at) % MINUTES_PER_DAY < WINDOW
    chosen = _weekdays(cal, np.bincount(weekday[inside], minlength=7), e, m)
    release_days = days[inside & chosen[weekday]]
    if len(release_days) < MIN_RELEASES or not _in_office(cal, release_days, at):
        return None
    held, lag, wait, release = _hold(cal, e, m, chosen, at)
    later = float(np.mean(_hold(cal, e, m, chosen, at + 60)[0]))
    share = float(np.mean(held))
    if share < HELD_SHARE or share - later < LATER_DROP:
        return None
    lag_median, wait_median = float(np.median(lag[held])), float(np.median(wait[held]))
    sizes = np.unique(release[held], return_counts=True)[1]
    if lag_median > LAG_SHARE * wait_median or np.median(sizes) < 2:
        return None
    batch, days_listed = _schedule(chosen, at)
    q1, median, q3 = np.percentile(sizes, [25, 50, 75]).tolist()
    evidence = {
        "cases": len(m),
        "releases": len(sizes),
        "days": days_listed,
        "at": batch["at"],
        "batch_sizes": {"median": median, "q1": q1, "q3": q3, "max": int(sizes.max())},
        "share": round(share, 4),
        "share_an_hour_later": round(later, 4),
        "lag_median_minutes": round(lag_median, 1),
        "wait_median_minutes": round(wait_median, 1),
    }
    return {"batch": batch, "evidence": evidence}


def _hold(cal, e: np.ndarray, m: np.ndarray, chosen: np.ndarray, at: int) -> tuple:
    """Under releases at `at` on the `chosen` weekdays' working days: whether each case moved on
    at or after the first release at or after its completion, the office minutes from that
    release to its move and from its completion to its move, and the release."""
    first = max(int(np.floor(e.min() / MINUTES_PER_DAY)), int(cal.first_day))
    last = min(int(np.floor(m.max() / MINUTES_PER_DAY)) + 14, int(cal.last_day))
    days = np.arange(first, last + 1)
    days = days[cal.is_open_day_array(days) & chosen[(days + _EPOCH_WEEKDAY) % 7]]
    releases = np.r_[days * MINUTES_PER_DAY + at, np.inf].astype(np.float64)
    release = releases[np.searchsorted(releases, e, side="left")]
    held = m >= release
    business = cal.to_business_array
    lag = np.where(held, business(m) - business(np.where(held, release, m)), np.nan)
    return held, lag, business(m) - business(e), release


def _schedule(chosen: np.ndarray, at: int) -> tuple[dict, list]:
    """The `batch` option of releases at `at` on the chosen weekdays (`_weekdays`; no `days`
    when all seven are: every working day), and the days listed."""
    batch: dict = {"at": f"{at // 60:02d}:{at % 60:02d}"}
    if chosen.all():
        return batch, []
    days = [WEEKDAYS[w] for w in range(7) if chosen[w]]
    return {"days": days, **batch}, days


def _stamped(others, at: str, own: np.ndarray) -> bool:
    """Whether the clock time `at` is where the log writes its stamps, not a release: of the
    other activities with `MIN_RELEASES` completions or more, those holding `STAMP_HOLD` of their
    completions within WINDOW after `at` are `STAMPED_SHARE` of them or more (one at least), and
    `STAMP_EXACT` of their instants there fall on one or two exact minutes on the hour or half
    hour (dates shifted by a time zone: one for summer time, one for winter); or every other
    activity holds them and they are, `STAMP_EXACT` of them, instants of this step's own `own`
    (one upload writing all of a case's events at once). A committee whose cases then pass three
    quick steps within minutes has neither signature."""
    minute = int(at[:2]) * 60 + int(at[3:])
    seen = [np.asarray(t, dtype=np.float64) for t in others if len(t) >= MIN_RELEASES]
    there = [t[(t % MINUTES_PER_DAY - minute) % MINUTES_PER_DAY < WINDOW] for t in seen]
    holding = [w for t, w in zip(seen, there) if len(w) >= STAMP_HOLD * len(t)]
    if not holding or len(holding) < STAMPED_SHARE * len(seen):
        return False
    stamps = np.concatenate(holding)
    clock, counts = np.unique(stamps % MINUTES_PER_DAY, return_counts=True)
    order = np.argsort(counts, kind="stable")[::-1]
    top = order[: 1 if counts[order[0]] >= STAMP_EXACT * len(stamps) else 2]
    zone = counts[top].sum() >= STAMP_EXACT * len(stamps) and bool(np.all(clock[top] % 30 == 0))
    upload = len(holding) == len(seen) and np.mean(np.isin(stamps, own)) >= STAMP_EXACT
    return bool(zone or upload)


def _in_office(cal, days: np.ndarray, at: int) -> bool:
    """Whether the releases, and WINDOW minutes either side of them, fall in office time (not
    at an opening, a close or a break) on nine in ten of their days or more."""
    release = days * MINUTES_PER_DAY + at
    span = cal.to_business_array(release + WINDOW) - cal.to_business_array(release - WINDOW)
    return bool(np.mean(np.abs(span - 2 * WINDOW) < 1e-6) >= 0.9)


def _log10_tail(k: int, n: int, p: float) -> float:
    """log10 of P(X >= k) for X ~ Binomial(n, p): the chance of `k` or more of `n` instants in
    a window that holds a share `p` of office time."""
    if k <= 0 or p >= 1.0:
        return 0.0
    from scipy.special import gammaln, logsumexp

    j = np.arange(k, n + 1, dtype=np.float64)
    terms = gammaln(n + 1) - gammaln(j + 1) - gammaln(n - j + 1)
    terms += j * math.log(p) + (n - j) * math.log1p(-p)
    return float(min(0.0, logsumexp(terms) / math.log(10)))


def _days_text(days: list[str]) -> Text:
    """Weekdays as a translatable list (`Tue, Thu`; 周二、周四), or every working day."""
    if not days:
        return Text("every working day")
    from slasim.clock.explain import WEEKDAY

    words = [Text(WEEKDAY[WEEKDAYS.index(d)]) for d in days]
    text = words[-1]
    for word in reversed(words[:-1]):
        text = Text("{first}, {rest}", first=word, rest=text)
    return text


def _note(evidence: dict) -> Text:
    sizes = evidence["batch_sizes"]
    seen = evidence["seen_at"]
    return Text(
        "released in batches at {at} on {days} (seen at the {seen}): {window_cases} of {cases} "
        "cases ({share:.0%}) within {window} min after one of {releases} releases, against "
        "{uniform:.1%} for a uniform spread over office hours (binomial p × 1440 clock minutes: "
        "10^{log10_p:.1f}); {near} cases in the hour either side; cases per release: median "
        "{median:g}, quartiles {q1:g}-{q3:g}",
        at=evidence["at"],
        days=_days_text(evidence["days"]),
        seen=Text("step's completions") if seen == "completions" else Text("case's next events"),
        window_cases=evidence["window_cases"],
        cases=evidence["cases"],
        share=evidence["share"],
        window=evidence["window_minutes"],
        releases=evidence["releases"],
        uniform=evidence["uniform_share"],
        log10_p=evidence["log10_p_times_1440"],
        near=evidence["hour_either_side_cases"],
        median=sizes["median"],
        q1=sizes["q1"],
        q3=sizes["q3"],
    )


def _held_note(evidence: dict) -> Text:
    sizes = evidence["batch_sizes"]
    return Text(
        "released in batches at {at} on {days} (seen in the waits): {share:.0%} of {cases} "
        "cases moved on only after one of {releases} releases ({later:.0%} with the release an "
        "hour later), a median {lag:.0f} office minutes after it against a median wait of "
        "{wait:.0f}; cases per release: median {median:g}, quartiles {q1:g}-{q3:g}",
        at=evidence["at"],
        days=_days_text(evidence["days"]),
        share=evidence["share"],
        cases=evidence["cases"],
        releases=evidence["releases"],
        later=evidence["share_an_hour_later"],
        lag=evidence["lag_median_minutes"],
        wait=evidence["wait_median_minutes"],
        median=sizes["median"],
        q1=sizes["q1"],
        q3=sizes["q3"],
    )


def skipped(events: Events) -> Text | None:
    """Why no batch is fitted in the log (for the evidence), or None when batches are fitted."""
    if not events.starts_estimated:
        return None
    return Text(
        "not fitted: {count} start times were estimated from completions (a step's elapsed "
        "time then holds the wait for a release before it)",
        count=events.starts_estimated,
    )


def step_batch(events: Events, rows_of: dict[str, np.ndarray], cal, activity: str) -> dict | None:
    """`fit_batches` on one activity of a log, with what the fit needs to model it, or None (no
    batch, or a log with estimated start times: `skipped`). `rows_of` holds the rows of each
    activity among the fitted cases (`build.LogIndex.rows`). Besides `batch`, `note` and
    `evidence`, the result has `explains`: the rows of the steps that followed a release (their
    wait before starting is the batch's, not an idle handler's), and `work`: when the release is
    the step's own completion (the log's durations end at the release and hold the wait for it),
    each event's office minutes of work estimated by `_work`; else None."""
    if skipped(events) is not None:
        return None
    rows = rows_of[activity]
    moved, following = next_events(events, rows)
    found = fit_batches(
        events.end[rows],
        cal,
        moved_on=moved,
        starts=events.start[rows],
        others=[events.end[r] for a, r in rows_of.items() if a != activity],
    )
    if found is None:
        return None
    if found["evidence"]["seen_at"] == "completions":
        return {
            **found,
            "explains": np.zeros(0, np.int64),
            "work": _work(cal, found["batch"], events, rows),
        }
    return {**found, "explains": following[following >= 0], "work": None}


def _work(cal, batch: dict, events: Events, rows: np.ndarray) -> np.ndarray:
    """Office minutes of work of each event of a step released at its own completion: the
    midpoint of the interval the work must lie in. It ended by the release the event completed
    at (within WINDOW before its end), so it is at most the office minutes from the start to that
    release; and when the event started before the previous release, it missed that one, so it
    is at least the office minutes from the start to it (else 0)."""
    start, end = events.start[rows], events.end[rows]
    chosen = np.array([w in batch.get("days", WEEKDAYS) for w in WEEKDAYS])
    first = int(np.floor(start.min() / MINUTES_PER_DAY)) - 14
    last = int(np.floor(end.max() / MINUTES_PER_DAY)) + 1
    days = np.arange(max(first, int(cal.first_day)), min(last, int(cal.last_day)) + 1)
    days = days[cal.is_open_day_array(days) & chosen[(days + _EPOCH_WEEKDAY) % 7]]
    at = int(batch["at"][:2]) * 60 + int(batch["at"][3:])
    releases = (days * MINUTES_PER_DAY + at).astype(np.float64)
    k = np.searchsorted(releases, end - WINDOW, side="left")  # the release completed at
    release = np.where(k < len(releases), releases[np.minimum(k, len(releases) - 1)], end)
    release = np.clip(release, start, end)
    before = np.where(k >= 1, releases[np.maximum(k - 1, 0)], -np.inf)
    business = cal.to_business_array
    upper = business(release) - business(start)
    lower = np.where(before > start, business(np.maximum(before, start)) - business(start), 0.0)
    return (lower + np.maximum(upper, lower)) / 2.0
