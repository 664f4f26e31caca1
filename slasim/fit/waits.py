"""The wait before each event not explained by its handler's work: the office minutes from its
case's previous completion to its start during which its handler had no work in progress.

A handler busy with other cases for part of a wait explains that part (the queue the simulation
reproduces with the fitted staff); the rest is the case parked (awaiting the applicant, a
signature, a post round) and is fitted as a delay before the step (`build._step`). Work in
progress is an event of the handler of positive duration: an instantaneous event (a notice sent,
a record made: its start is its end) holds nobody, so a handler who only records such events
while a case waits leaves the whole wait unexplained. Where the handler was busy throughout, the
unexplained part is 0. An instantaneous event is enabled by the completion before it in its case,
not by its own, nor by another instantaneous one of its case at its instant (neither is known to
come first); an event of positive duration ending at its instant enables it.

Which of a step's waits its delay is fitted on (`step_waits`): each case's first visit when the
step has a supplement loop (the gap before a repeat is the loop's response, fitted there); and,
when variant drift took the route's branch shares from a recent window (`variant_drift`), that
window's cases, as long as they hold MIN_WINDOW_WAITS waits of the step: the cases a route no
longer sends to a step (a course review the recent cases skip) must not lengthen the waits of the
steps it does send them to. Measured on AcademicCredentials (training part of the field's split):
the wait before `Notificacion estudiante cancelacion soli` (from the case's previous completion)
is a median 58.9 h over the 296 training cases holding it and 20.5 h over the 47 of the route's
last 3 weeks (the test part's 126: 8.7 h); its handler worked 1.2 h of it on average, yet it was
never modelled before (a wait counted only where the handler had no event at all in it, and a
notice's own instant counted as its enabling completion).

The idle part is the delay even where the handler worked through part of the wait. A rule that
took a step's waits as a queue when its handlers had worked in over 5 % of them (then only waits
without any work counted) left BPIC 2012 W's route with no wait between its steps: its handlers
were idle for 68-92 % of them (an offer out with the applicant, a call-back days later), and the
simulated queue, at the fitted staff, made none of the rest (every simulated gap between two
different steps was 0; in the log 1.2-74 h on average). Without it the fitted model's lead times
are much nearer its own training cases (Wasserstein distance 45 -> 20 h over 4 simulated logs of
1,200 cases); LoanApp and AcademicCredentials fit as before (their handlers idle in 98-100 %).
"""

from __future__ import annotations

import numpy as np

from slasim.fit.log import Events


def unexplained_waits(events: Events, cal) -> np.ndarray:
    """Per event (a row), office minutes of the wait after its case's previous completion during
    which its handler had no work in progress, during which it had, and the first again in working
    minutes, which leave out rest days the office opens (`WorkCalendar.to_working_minutes`: the
    axis a wait in working days is replayed on; the office minutes where no rest day opens). NaN
    where that does not apply: estimated starts, no handler, or the case's first event.

    Worked out for all cases and handlers at once: instants in office minutes are replaced by
    their rank among the log's distinct instants, and (group, rank) by one integer, so searches
    and running maxima over the whole log stay inside each case's or handler's events. A
    handler's events merge into blocks of work (overlapping intervals joined); its work up to an
    instant t is the blocks' lengths before t plus the part of the block that holds t; the work
    inside a wait [enabled, start] is the difference of the two."""
    n = len(events)
    out = np.full((n, 3), np.nan)
    if events.starts_estimated or n == 0:
        return out
    # instants (wall) ranked, and (case, rank) as one integer key
    wall = np.concatenate([events.start, events.end])
    order = np.argsort(wall, kind="stable")
    new = np.concatenate([[True], wall[order][1:] != wall[order][:-1]])
    ranks = np.empty(2 * n, np.int64)
    ranks[order] = np.cumsum(new) - 1
    width = int(new.sum())
    case = events.codes("case")[0].astype(np.int64)
    key, instant = case * width + ranks[:n], ranks[n:] == ranks[:n]
    # enabled by a completion of positive duration at or before the start, or by an instantaneous
    # one before it; for an instantaneous event, not by one at its own instant (itself, or another
    # of its case at that instant: neither is known to come first, both wait from the one before)
    ends = case * width + ranks[n:]
    latest = np.maximum(
        _latest_at_or_before(np.sort(ends[~instant]), key, case, width),
        _latest_at_or_before(np.sort(ends[instant]), key - instant, case, width),  # < key
    )
    found = latest >= 0
    enabled = np.full(n, np.nan)
    enabled[found] = wall[order][new][latest[found] % width]
    resource, names = events.codes("resource")
    rows = np.flatnonzero(resource != names.index("")) if "" in names else np.arange(n)
    rows = rows[found[rows]]
    # in office minutes from here: the handler's work and the wait on the calendar
    start = cal.to_business_array(events.start)
    end = cal.to_business_array(events.end)
    opened = cal.to_business_array(enabled[rows])
    busy = _work_between(resource.astype(np.int64), start, end, rows, opened)
    out[rows, 0] = np.maximum(start[rows] - opened - busy, 0.0)
    out[rows, 1] = busy
    out[rows, 2] = out[rows, 0]
    if cal.rest_days_open:  # the same on the working-minute axis
        start, end, opened = (cal.to_working_minutes(x) for x in (start, end, opened))
        busy = _work_between(resource.astype(np.int64), start, end, rows, opened)
        out[rows, 2] = np.maximum(start[rows] - opened - busy, 0.0)
    return out


def _latest_at_or_before(ends, keys, case, width: int) -> np.ndarray:
    """Per key (case * width + rank), the greatest of the sorted `ends` (keys alike) at or before
    it that is of `case`, else -1."""
    at = np.searchsorted(ends, keys, side="right") - 1
    hit = ends[np.maximum(at, 0)] if len(ends) else np.zeros(len(keys), np.int64)
    return np.where((at >= 0) & (hit // width == case), hit, -1)


def _work_between(resource, start, end, rows, opened) -> np.ndarray:
    """Per row of `rows`, office minutes in [opened, its start] during which its handler had an
    event of positive duration in progress (`start`, `end`: every event's, in office minutes)."""
    instants, ranks = np.unique(np.concatenate([start, end]), return_inverse=True)
    n, width = len(start), len(instants)
    rank_start, rank_end = ranks[:n], ranks[n:]
    worked = np.flatnonzero(rank_end > rank_start)  # events of positive duration
    worked = worked[np.lexsort((rank_end[worked], rank_start[worked], resource[worked]))]
    group = resource[worked]
    key_start = group * width + rank_start[worked]
    key_end = group * width + rank_end[worked]
    reach = np.maximum.accumulate(key_end)  # a handler's latest end so far (groups ascend)
    new = np.ones(len(worked), dtype=bool)
    new[1:] = (group[1:] != group[:-1]) | (key_start[1:] > reach[:-1])
    heads = np.flatnonzero(new)  # where each block of overlapping work begins
    block_start = key_start[heads]
    block_end = np.maximum.reduceat(key_end, heads) if len(heads) else key_end[:0]
    begins, finishes = instants[block_start % width], instants[block_end % width]
    block_group = group[heads]
    length = finishes - begins
    done = np.cumsum(length) - length  # work in the blocks before each, over the whole log
    done = done - done[np.searchsorted(block_group, block_group, side="left")]  # ... per handler

    def work_to(instant: np.ndarray, who: np.ndarray) -> np.ndarray:
        rank = np.searchsorted(instants, instant, side="right") - 1  # the last instant <= it
        at = np.searchsorted(block_start, who * width + rank, side="right") - 1
        mine = (at >= 0) & (block_group[np.maximum(at, 0)] == who)
        at = np.maximum(at, 0)
        inside = np.clip(instant - begins[at], 0.0, length[at])
        return np.where(mine, done[at] + inside, 0.0)

    who = resource[rows]
    return work_to(start[rows], who) - work_to(opened, who)


MIN_WINDOW_WAITS = 20  # a step's waits in the route's window, to fit its wait on them alone


def step_waits(
    events: Events, rows: np.ndarray, routed: set[str] | None, waits: np.ndarray, looped: bool
) -> tuple[np.ndarray, np.ndarray, str]:
    """(the rows of a step's events its wait is fitted on, their idle waits in office and in
    working minutes (two columns, `unexplained_waits`' first and third), what the note says of
    them; NaN: not a wait to fit). With a supplement loop (`looped`), each case's first visit
    only: the gap before a repeat is the loop's response. With the route taken from a recent
    window (`variant_drift`), the rows of that window's cases when they hold MIN_WINDOW_WAITS
    waits or more, else all the rows."""
    note = ""
    if looped:
        first = np.lexsort((events.start[rows], events.codes("case")[0][rows]))
        case = events.codes("case")[0][rows[first]]
        rows = np.sort(rows[first[np.concatenate([[True], case[1:] != case[:-1]])]])
    if routed is not None:
        code, names = events.codes("case")
        chosen = np.array([c in routed for c in names], dtype=bool)
        recent = rows[chosen[code[rows]]]
        seen = int(np.isfinite(waits[recent, 0]).sum())
        if seen < MIN_WINDOW_WAITS:
            note = f"; from all cases: {seen} waits in the route's window"
        else:
            rows, note = recent, f"; from the route's window: {seen} waits"
    return rows, waits[rows][:, [0, 2]], note
