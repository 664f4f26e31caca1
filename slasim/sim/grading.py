"""Grading finished cases of a replication: due dates, cards and lead times, in batches.

The engine hands over one small record per case (or columns of cases); every `chunk` records are
graded at once and folded into per-service counters and histograms. Whether a case closed on time,
went past a limit and which card rungs fired are the verdicts of the same `ClockBatch` and card
code as `slasim deadline`/`check` (docs/ARCHITECTURE.md properties 1, 4): most are reached on the
business axis where they cannot differ from the clocks' (`Grader._business_verdicts`), the rest by
the clocks on wall time. Open cases are graded once, at the end of the period, with their cards
frozen there (the supervision screen's view).

Two waits are measured from receipt, whatever the acceptance rule, in the working days of
`lead_time_wd_*`: to acceptance (受理, where the legal clock starts, 行政许可法 Art. 32) and to the
decision (the applicant's whole wait). A case still waiting at the end of the period counts with the
wait it has had so far (end − receipt): the figures cover every measured case, and are a lower bound
when cases are still waiting (right-censored at the end)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from slasim.clock.cards import LEVELS, REFERENCES, Ladder, crossings, first_reached, level_at
from slasim.clock.case_clock import ClockBatch
from slasim.scenario.plan import Plan, ServicePlan
from slasim.sim.metrics import HIST_BINS, QUANTILES, LogHistogram, ratio

CHUNK = 4096
# Business minutes: verdicts whose instants are closer than this are left to the clocks (far more
# than the few units in the last place a round trip through wall time moves an instant).
EXACT = 1e-4


def _position(cal, unit: str, business: np.ndarray) -> np.ndarray:
    """Positions on a limit's axis (wh or wd) of business instants."""
    if unit == "wh":
        return cal.to_working_minutes(business)
    return cal.business_to_day_position(business)


def _business_at(cal, unit: str, position: np.ndarray) -> np.ndarray:
    """Business instants at positions on a limit's axis (wh or wd)."""
    if unit == "wh":
        return cal.from_working_minutes(position)
    return cal.day_position_to_business(position)


@dataclass(slots=True, eq=False)
class CaseRecord:
    """What the engine knows of one case (business minutes; NaN/inf where it did not happen)."""

    service: int
    received: float
    accepted: float = math.nan
    decided: float = math.inf  # decision, or give-up instant
    gave_up: bool = False
    pauses: list | None = None  # (from, to) business minutes; created on the first pause
    spans: dict | None = None  # step name → [entered, left], for steps with a limit
    materials_at: float | None = None  # 容缺受理: when the missing materials arrive (inf: never)
    number: int = -1  # the case's arrival number in its service (event-log case id)

    @property
    def is_accepted(self) -> bool:
        """Whether the case has been accepted (its `accepted` instant is not NaN)."""
        return not math.isnan(self.accepted)


@dataclass
class ServiceTally:
    """Counters of one service over a replication's measured window."""

    arrived: int = 0
    accepted: int = 0
    decided: int = 0
    gave_up: int = 0
    open_at_end: int = 0
    pending_at_end: int = 0  # received, not yet accepted
    on_time_promised: int = 0
    on_time_legal: int = 0
    past_promised: int = 0  # accepted cases that went past the limit (decided late or open past it)
    past_legal: int = 0
    reached: dict = field(default_factory=lambda: dict.fromkeys(LEVELS[1:], 0))
    open_by_card: dict = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    lead_wd_sum: float = 0.0
    lead_hours_sum: float = 0.0
    lead_wd: LogHistogram = field(default_factory=LogHistogram)
    in_system_sum: float = 0.0  # business minutes, truncated at the end (Little's law)
    pending_at_mid: int = 0  # received, neither accepted nor closed at the window's middle
    accept_wait_wd_sum: float = 0.0  # receipt → acceptance (or the end, if still waiting)
    accept_wait_wd: LogHistogram = field(default_factory=LogHistogram)
    applicant_wait_wd_sum: float = 0.0  # receipt → decision (or the end, if still open)
    applicant_wait_wd: LogHistogram = field(default_factory=LogHistogram)

    @classmethod
    def combined(cls, tallies: list[ServiceTally]) -> ServiceTally:
        """All services together (counters and histograms add up)."""
        out = cls()
        for t in tallies:
            for name in cls.__dataclass_fields__:
                value = getattr(t, name)
                if isinstance(value, dict):
                    for k, v in value.items():
                        getattr(out, name)[k] += v
                elif isinstance(value, LogHistogram):
                    getattr(out, name).counts += value.counts
                else:
                    setattr(out, name, getattr(out, name) + value)
        return out

    def summary(self, levels: set[str]) -> dict:
        """The tally as metrics: counts, shares, lead-time quantiles."""
        out = {
            "arrived": self.arrived,
            "accepted": self.accepted,
            "decided": self.decided,
            "gave_up": self.gave_up,
            "open_at_end": self.open_at_end,
            "pending_at_end": self.pending_at_end,
            "on_time_promised": ratio(self.on_time_promised, self.decided),
            "on_time_legal": ratio(self.on_time_legal, self.decided),
            "past_promised": ratio(self.past_promised, self.accepted),
            "past_legal": ratio(self.past_legal, self.accepted),
            "lead_time_wd_mean": ratio(self.lead_wd_sum, self.decided),
            "lead_time_hours_mean": ratio(self.lead_hours_sum, self.decided),
            "time_in_system_hours_mean": ratio(self.in_system_sum / 60.0, self.arrived),
        }
        for q in QUANTILES:
            out[f"lead_time_wd_p{round(q * 100)}"] = self.lead_wd.quantile(q)
        # Cases that gave up before an acceptance or a decision are left out of that wait.
        to_accept = self.accepted + self.pending_at_end
        to_decide = self.decided + self.open_at_end + self.pending_at_end
        out["accept_wait_wd_mean"] = ratio(self.accept_wait_wd_sum, to_accept)
        out["accept_wait_wd_p90"] = self.accept_wait_wd.quantile(0.9)
        out["applicant_wait_wd_mean"] = ratio(self.applicant_wait_wd_sum, to_decide)
        out["applicant_wait_wd_p90"] = self.applicant_wait_wd.quantile(0.9)
        out["pending_growth"] = self.pending_at_end - self.pending_at_mid
        for level in LEVELS[1:]:
            if level in levels:
                out[f"ever_{level}"] = ratio(self.reached[level], self.accepted)
        for level in LEVELS:
            if level == "green" or level in levels:
                out[f"open_{level}_at_end"] = self.open_by_card[level]
        return out


@dataclass
class Cases:
    """Cases as columns (business minutes): what grading reads, from records or from array engines.

    `pauses` is (n, width, 2), NaN-padded; `spans` maps a limited step's name to (n, 2) [entered, left]
    rows, NaN where the case has not finished that step.
    """

    service: np.ndarray
    received: np.ndarray
    accepted: np.ndarray
    decided: np.ndarray
    gave_up: np.ndarray
    number: np.ndarray
    pauses: np.ndarray
    spans: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.received)

    @classmethod
    def from_records(cls, records: list[CaseRecord]) -> Cases:
        """Columns from the engine's case records."""
        n = len(records)
        paused = [(i, r.pauses) for i, r in enumerate(records) if r.pauses]
        pauses = np.full((n, max((len(p) for _, p in paused), default=0), 2), np.nan)
        for i, p in paused:
            pauses[i, : len(p)] = p
        spans: dict[str, np.ndarray] = {}
        for i, spanned in [(i, r.spans) for i, r in enumerate(records) if r.spans]:
            for name, span in spanned.items():
                if name not in spans:
                    spans[name] = np.full((n, 2), np.nan)
                spans[name][i] = span
        return cls(
            np.fromiter((r.service for r in records), np.int64, n),
            np.fromiter((r.received for r in records), np.float64, n),
            np.fromiter((r.accepted for r in records), np.float64, n),
            np.fromiter((r.decided for r in records), np.float64, n),
            np.fromiter((r.gave_up for r in records), bool, n),
            np.fromiter((r.number for r in records), np.int64, n),
            pauses,
            spans,
        )

    def take(self, rows: np.ndarray) -> Cases:
        """The cases at the given rows."""
        return Cases(
            self.service[rows],
            self.received[rows],
            self.accepted[rows],
            self.decided[rows],
            self.gave_up[rows],
            self.number[rows],
            self.pauses[rows],
            {name: span[rows] for name, span in self.spans.items()},
        )


class Grader:
    """Grades finished cases in chunks (records buffered, or columns as they come); one per replication."""

    def __init__(self, plan: Plan, chunk: int = CHUNK, log=None):
        self.plan, self.chunk, self.log = plan, chunk, log
        # Each service's limits on their axes, looked up by service index when clocks are built.
        self._amounts = {
            ref: np.array([getattr(s, ref).axis_amount for s in plan.services])
            for ref in REFERENCES
        }
        self._keys = [self._group_key(s) for s in plan.services]
        self.tallies = [ServiceTally() for _ in plan.services]
        self.buffer: list[CaseRecord] = []
        self._top: float | None = None  # see `_highest`

    def add(self, record: CaseRecord) -> None:
        """Buffer a finished case; a full chunk is graded at once."""
        if record.received < self.plan.warmup_end:
            return  # warm-up cases are simulated but not measured
        self.buffer.append(record)
        if len(self.buffer) >= self.chunk:
            self.flush()

    def flush(self, open_records: list[CaseRecord] = ()) -> None:
        """Grade the buffered finished cases (and, at the end, the open ones)."""
        records = self.buffer + [r for r in open_records if r.received >= self.plan.warmup_end]
        self.buffer = []
        if records:
            self.grade(Cases.from_records(records))

    def grade(self, cases: Cases) -> None:
        """Grade cases given as columns (warm-up cases are left out here)."""
        measured = cases.received >= self.plan.warmup_end
        if not measured.all():
            cases = cases.take(np.flatnonzero(measured))
        if not len(cases):
            return
        if len(self.plan.services) == 1:
            self._grade(cases)
            return
        # Services sharing a ladder and limit units are graded together (a city portfolio has
        # hundreds).
        groups: dict[tuple, list[int]] = {}
        for s in np.unique(cases.service).tolist():
            groups.setdefault(self._keys[s], []).append(s)
        if len(groups) == 1:
            self._grade(cases)
            return
        for members in groups.values():
            self._grade(cases.take(np.flatnonzero(np.isin(cases.service, members))))

    @staticmethod
    def _group_key(service: ServicePlan) -> tuple:
        step_rungs = any(r.scope != "case" for r in service.ladder.rungs)
        return (
            service.ladder.rungs,
            service.promised.unit,
            service.legal.unit,
            service.index if step_rungs else -1,
        )  # step rungs need the service's own steps

    def _grade(self, cases: Cases) -> None:
        """Grade a chunk of finished (or, at the end, open) cases of one ladder into the tallies."""
        end, services = self.plan.end, self.plan.services
        n, size = len(cases), len(services)
        ladder = services[int(cases.service[0])].ladder
        svc, received, accepted, decided, gave_up = (
            cases.service,
            cases.received,
            cases.accepted,
            cases.decided,
            cases.gave_up,
        )
        closed = np.isfinite(decided)
        started = ~np.isnan(accepted)
        done = closed & ~gave_up
        pending = ~started & ~closed
        all_done = done.all()  # every case decided (none open, none gave up)
        counts: dict[str, np.ndarray] = {"arrived": np.bincount(svc, minlength=size)}
        present = np.flatnonzero(counts["arrived"]).tolist()  # the services in this chunk
        alone = present[0] if len(present) == 1 else None

        def count(name: str, mask: np.ndarray, where: np.ndarray = svc) -> None:
            if alone is None:
                counts[name] = np.bincount(where[mask], minlength=size)
            else:  # one service: its cases are the ones counted
                counts[name] = np.zeros(size, np.int64)
                counts[name][alone] = np.count_nonzero(mask)

        def total(name: str, values: np.ndarray, where: np.ndarray = svc) -> None:
            counts[name] = np.bincount(where, weights=values, minlength=size)

        stopped = np.minimum(decided, end)  # the decision, or the end for open cases
        total("in_system_sum", stopped - received)
        count("gave_up", gave_up)
        count("pending_at_end", pending)
        count("decided", done)
        mid = (self.plan.warmup_end + end) / 2.0
        count("pending_at_mid", (received <= mid) & ~(accepted <= mid) & ~(decided <= mid))
        # Working-day positions, each element's own (so the rows of one wait are taken after).
        # The waits (module docstring): still waiting at the end counts as waiting until the end.
        cal = self.plan.calendar
        received_days = cal.day_of_business(received)
        # Accepted at receipt, before the end (an acceptance's wait is then none).
        at_receipt = np.array_equal(accepted, received) and not received.max() > end
        day_received = cal.business_to_day_position(received, received_days)
        waits, lead = {}, None
        for name, stop, rows in (
            ("accept_wait_wd", accepted, started | pending),
            ("applicant_wait_wd", decided, done | ~closed),
        ):
            if name == "accept_wait_wd" and at_receipt:  # every wait a position less itself
                counts[f"{name}_sum"] = np.zeros(size)
                waits[name] = np.zeros((size, HIST_BINS), np.int64)
                waits[name][:, 0] = counts["arrived"]  # bin 0 holds zero
                continue
            wait = cal.business_to_day_position(np.fmin(stop, end)) - day_received
            bins = LogHistogram.bins(wait) if wait.any() else np.zeros(n, np.int64)
            if name == "applicant_wait_wd" and not np.any(decided > end, where=done):
                # A decision inside the period is its own stop.
                lead = (wait, bins) if all_done else (wait[done], bins[done])
            every = rows.all()
            wait, bins, where = (wait, bins, svc) if every else (wait[rows], bins[rows], svc[rows])
            total(f"{name}_sum", wait, where)
            waits[name] = self._histogram(bins, where, size)
        if lead is None:
            lead_wd = cal.business_to_day_position(decided[done]) - day_received[done]
            lead = lead_wd, LogHistogram.bins(lead_wd)
        s_done = svc if all_done else svc[done]
        total("lead_wd_sum", lead[0], s_done)
        if all_done:
            total("lead_hours_sum", (decided - received) / 60.0, s_done)
        else:
            total("lead_hours_sum", (decided[done] - received[done]) / 60.0, s_done)
        hist = self._histogram(lead[1], s_done, size)
        idx = np.flatnonzero(started)
        reached, open_levels = {}, {}
        if len(idx):
            every = len(idx) == n
            s_idx = svc if every else svc[idx]
            accepted_cases = cases if every else cases.take(idx)
            counts["accepted"] = np.bincount(s_idx, minlength=size)
            stop = stopped if every else stopped[idx]  # open: frozen at the end
            in_time, late, fired, cross = self._verdicts(
                ladder, accepted_cases, stop, alone, received_days if at_receipt else None
            )
            finished = done if every else done[idx]
            count("on_time_promised", finished & in_time["promised"], s_idx)
            count("on_time_legal", finished & in_time["legal"], s_idx)
            count("past_promised", late["promised"], s_idx)
            count("past_legal", late["legal"], s_idx)
            for level, columns in self._by_level(ladder).items():
                if level != "green":
                    count(level, fired[:, columns].any(axis=1), s_idx)
                    reached[level] = counts.pop(level)
            if self.log is not None:
                for level, firsts in first_reached(ladder, cross).items():
                    if level != "green":
                        self._log_cards(level, firsts, accepted_cases)
            still_open = ~closed if every else ~closed[idx]
            count("open_at_end", still_open, s_idx)
            if still_open.any():
                # Open cases are stopped at the end: a rung that fired is the level shown there
                # (`level_at` at the end gives the same).
                ranks = np.array([rung.rank for rung in ladder.rungs])
                levels = np.max(fired[still_open] * ranks, axis=1, initial=0)
                open_s = s_idx[still_open]
                for k, level in enumerate(LEVELS):
                    open_levels[level] = np.bincount(open_s[levels == k], minlength=size)
        for s in present:
            self._add(self.tallies[s], s, counts, hist, reached, open_levels)
            for name, values in waits.items():
                getattr(self.tallies[s], name).counts += values[s]

    def _highest(self) -> float:
        """Business instants below this lie two working days or more inside the table."""
        cal = self.plan.calendar
        if self._top is None:
            self._top = float(cal.bm_start[-1] - 2 * cal.day_minutes.max())
        return self._top

    @staticmethod
    def _by_level(ladder: Ladder) -> dict[str, list[int]]:
        """The rungs of each level (columns of the crossings), levels in the order they come."""
        out: dict[str, list[int]] = {}
        for j, rung in enumerate(ladder.rungs):
            out.setdefault(rung.level, []).append(j)
        return out

    def _verdicts(
        self, ladder: Ladder, cases: Cases, stop: np.ndarray, alone=None, days=None
    ) -> tuple:
        """For accepted cases stopped at business instants `stop` (decision, or the end): per limit
        whether the stop is on time (at or before its due instant) and past it, and which rungs
        fired — as the clocks on the wall axis decide them (`_clocks`, `_crossings`). Cases are
        decided on the business axis where that is sure to agree (`_business_verdicts`), the others
        by the clocks themselves. Crossing instants only when there is an event log to write.
        `alone`: the one service of every case, if so; `days`: the working days of the acceptances,
        if known."""
        if self.log is None:
            quick = self._business_verdicts(ladder, cases, stop, alone, days)
            if quick is not None:
                in_time, late, fired, exact = quick
                rows = np.flatnonzero(exact)
                if len(rows):
                    e_in, e_late, e_fired, _ = self._wall_verdicts(
                        ladder, cases.take(rows), stop[rows]
                    )
                    for ref in REFERENCES:
                        in_time[ref][rows], late[ref][rows] = e_in[ref], e_late[ref]
                    fired[rows] = e_fired
                return in_time, late, fired, None
        return self._wall_verdicts(ladder, cases, stop)

    def _wall_verdicts(self, ladder: Ladder, cases: Cases, stop: np.ndarray) -> tuple:
        """`_verdicts` by the clocks on the wall axis, with the crossing instants."""
        stop_wall = self.plan.calendar.to_wall_array(stop, side="left")
        clocks = self._clocks(cases, stop_wall)
        due = {ref: clock.due() for ref, clock in clocks.items()}
        in_time = {ref: stop_wall <= due[ref] for ref in REFERENCES}
        late = {ref: due[ref] < stop_wall for ref in REFERENCES}
        cross = self._crossings(ladder, clocks, cases)
        return in_time, late, np.isfinite(cross), cross

    def _business_verdicts(
        self, ladder: Ladder, cases: Cases, stop: np.ndarray, alone=None, days=None
    ) -> tuple | None:
        """`_verdicts` on the business axis, without going to wall time and back, and the rows
        (`exact`) whose verdicts must come from the clocks; None when the clocks decide every row.

        The clocks convert each business instant to wall time (`to_wall_array`, left side) and
        compare there. That map is increasing and moves two instants at least as far apart on the
        wall axis as on the business axis (office hours are never shorter on the wall clock), and
        the clocks' own instants differ from the ones computed here by a few units in the last
        place (a round trip through wall time; the working-day axis is continuous). So a verdict
        whose instants are more than `EXACT` apart here is the clocks' verdict. Rows closer than
        that, rows with pauses, and acceptances just off a day's start or close (where the day the
        count starts on could differ) go to the clocks. The clocks decide whole chunks on calendars
        whose clocks change (a repeated hour is not increasing), with natural-day limits or
        offsets, limits ending at midnight, step rungs, rest days the office opens, and anything
        past the calendar's table (where they raise their errors)."""
        cal = self.plan.calendar
        first = self.plan.services[int(cases.service[0])]
        units = {first.promised.unit, first.legal.unit}
        units |= {r.offset.unit for r in ladder.rungs if r.offset is not None}
        if (
            not units <= {"wh", "wd"}
            or any(r.scope != "case" for r in ladder.rungs)
            or cal.counting.working_day_limit_ends == "midnight"
            or cal.clocks_change
            or cal.rest_days_open  # business and working time differ: the clocks' own axes
        ):
            return None
        acc, bm_start = cases.accepted, cal.bm_start
        exact = np.zeros(len(acc), bool)
        if cases.pauses.shape[1]:
            exact |= ~np.isnan(cases.pauses[:, :, 0]).all(axis=1)
        clocks, highest = {}, self._highest()
        for ref in REFERENCES:
            unit = getattr(first, ref).unit
            amount = self._amounts[ref][cases.service if alone is None else alone]
            amount = np.maximum(amount + 0.0, 0.0)
            if unit == "wh":
                clocks[ref] = unit, acc, acc + amount
                continue
            # Counting starts the working day after acceptance (or on it).
            days = cal.day_of_business(acc) if days is None else days
            if len(days) and (days.min() < 0 or days.max() >= len(bm_start) - 2):
                return None
            lo, hi = bm_start[days], bm_start[days + 1]
            exact |= ((acc - lo < EXACT) & (acc != lo)) | (hi - acc < EXACT)
            start = days + (0.0 if cal.counting.acceptance_day_counts else 1.0)
            end = start + amount
            whole = np.all(amount == np.floor(amount)) and end.max() < len(bm_start) - 1
            # A whole position's business instant is its day's start (`day_position_to_business`).
            due = bm_start[end.astype(np.intp)] if whole else cal.day_position_to_business(end)
            clocks[ref] = unit, start, due
        in_time, late = {}, {}
        nearest = np.full(len(acc), np.inf)  # how near each stop comes to a threshold
        for ref, (_, _, due) in clocks.items():
            in_time[ref], late[ref] = stop <= due, due < stop
            np.fmin(nearest, np.abs(stop - due), out=nearest)
        fired = np.empty((len(ladder.rungs), len(acc)), bool)  # by rung, then case
        for j, rung in enumerate(ladder.rungs):
            unit, start, due = clocks[rung.reference]
            if rung.offset is not None and rung.offset.amount == 0:
                at = due  # the due instant itself (`rung_instants`)
            else:
                axis = unit if rung.share is not None else rung.offset.unit
                since = start if axis == unit else _position(cal, axis, acc)
                counted = np.maximum(_position(cal, axis, np.maximum(due, acc)) - since, 0.0)
                share, offset = rung.share, rung.offset
                target = share * counted if share is not None else counted + offset.axis_amount
                at = np.maximum(_business_at(cal, axis, since + np.maximum(target, 0.0)), acc)
            if len(at) and not (at.max() < highest):
                return None
            fired[j] = at < stop if rung.past else at <= stop
            np.fmin(nearest, np.abs(stop - at), out=nearest)
        for _, _, due in clocks.values():
            if len(due) and not (due.max() < highest):
                return None
        return in_time, late, fired.T, exact | (nearest <= EXACT)

    @staticmethod
    def _histogram(bins: np.ndarray, service: np.ndarray, size: int) -> np.ndarray:
        """(services, bins) counts of values in the log-spaced bins (`LogHistogram.bins`, zeros
        in bin 0), per service."""
        return np.bincount(service * HIST_BINS + bins, minlength=size * HIST_BINS).reshape(
            size, HIST_BINS
        )

    @staticmethod
    def _add(tally: ServiceTally, s: int, counts: dict, hist, reached: dict, open_levels: dict):
        """Add service s's share of a graded chunk (per-service count arrays) to its tally."""
        for name, values in counts.items():
            value = float(values[s]) if name.endswith("_sum") else int(values[s])
            setattr(tally, name, getattr(tally, name) + value)
        tally.lead_wd.counts += hist[s]
        for level, values in reached.items():
            tally.reached[level] += int(values[s])
        for level, values in open_levels.items():
            tally.open_by_card[level] += int(values[s])

    def _log_cards(self, level: str, firsts: np.ndarray, cases: Cases) -> None:
        """Card events of a graded chunk into the event log (wall instants at which each fired)."""
        services = self.plan.services
        for j in np.flatnonzero(np.isfinite(firsts)).tolist():
            name = services[int(cases.service[j])].name
            self.log.add_wall(
                f"{name}-{int(cases.number[j])}", name, f"{level} card", float(firsts[j])
            )

    def levels_now(self, records: list[CaseRecord], now: float) -> dict[str, int]:
        """Card levels of open cases at business instant `now` (the supervision screen at that moment)."""
        cal, services = self.plan.calendar, self.plan.services
        counts = dict.fromkeys(LEVELS, 0)
        groups: dict[tuple, list[CaseRecord]] = {}
        for r in records:
            if r.is_accepted:
                groups.setdefault(self._keys[r.service], []).append(r)
        now_wall = float(cal.to_wall_array(np.array([now]), side="left")[0])
        for group in groups.values():
            cases = Cases.from_records(group)
            at = np.full(len(group), now_wall)
            ladder = services[group[0].service].ladder
            levels = level_at(ladder, self._crossings(ladder, self._clocks(cases, at), cases), at)
            for k, level in enumerate(LEVELS):
                counts[level] += int(np.sum(levels == k))
        return counts

    def _clocks(self, cases: Cases, stop_wall: np.ndarray) -> dict[str, ClockBatch]:
        """Promised and legal clocks of accepted cases whose services share limit units (one clock
        serves both when the limits are the same)."""
        cal, first = self.plan.calendar, self.plan.services[int(cases.service[0])]
        accepted_wall = cal.to_wall_array(cases.accepted, side="right")
        pauses = self._pauses(cases.pauses)
        amount = {ref: self._amounts[ref][cases.service] for ref in REFERENCES}
        legal = ClockBatch(
            cal, first.legal.unit, accepted_wall, amount["legal"], None, pauses, stop_wall
        )
        same = first.promised.unit == first.legal.unit and np.array_equal(
            amount["promised"], amount["legal"]
        )
        promised = (
            legal
            if same
            else ClockBatch(
                cal, first.promised.unit, accepted_wall, amount["promised"], None, pauses, stop_wall
            )
        )
        return {"legal": legal, "promised": promised}

    def _pauses(self, pauses: np.ndarray) -> np.ndarray:
        """Business-minute pauses → wall minutes (an open pause keeps its infinite end)."""
        out = pauses.copy()
        if out.shape[1]:
            cal = self.plan.calendar
            flat = out.reshape(-1, 2)
            ok = ~np.isnan(flat[:, 0])
            flat[ok, 0] = cal.to_wall_array(flat[ok, 0], side="left")
            open_end = ok & ~np.isfinite(flat[:, 1])
            closed = ok & ~open_end
            flat[closed, 1] = cal.to_wall_array(flat[closed, 1], side="right")
        return out

    def _crossings(self, ladder: Ladder, clocks: dict, cases: Cases) -> np.ndarray:
        """(n, rungs) crossing instants; step rungs only for cases that finished the step."""
        cal, end = self.plan.calendar, self.plan.end
        out = np.full((len(cases), len(ladder.rungs)), np.inf)
        for j, rung in enumerate(ladder.rungs):
            if rung.scope == "case":
                out[:, j] = crossings(Ladder("", (rung,)), clocks)[:, 0]
                continue
            spans = cases.spans.get(rung.scope)
            rows = np.flatnonzero(~np.isnan(spans[:, 1])) if spans is not None else ()
            if not len(rows):
                continue
            step = next(
                st
                for st in self.plan.services[int(cases.service[0])].steps
                if st.name == rung.scope and st.limit
            )
            spans = spans[rows]
            clock = ClockBatch(
                cal,
                step.limit.unit,
                cal.to_wall_array(spans[:, 0], side="right"),
                np.full(len(rows), step.limit.axis_amount),
                stopped=cal.to_wall_array(np.minimum(spans[:, 1], end), side="left"),
            )
            out[rows, j] = crossings(Ladder("", (rung,)), {rung.scope: clock})[:, 0]
        return out
