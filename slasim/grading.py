"""Grading finished cases of a replication: due dates, cards and lead times, in batches.

The engine hands over one small record per case; every `chunk` records are graded at once with the
same `ClockBatch` and card code as `slasim deadline`/`check` (DESIGN §1, §4), and folded into
per-service counters and histograms. Open cases are graded once, at the end of the period, with
their cards frozen there (the supervision screen's view).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .cards import LEVELS, Ladder, crossings, first_reached, level_at
from .clock import ClockBatch
from .metrics import QUANTILES, LogHistogram, ratio
from .model import Plan, ServicePlan

CHUNK = 4096


@dataclass(slots=True, eq=False)
class CaseRecord:
    """What the engine knows of one case (business minutes; NaN/inf where it did not happen)."""

    service: int
    received: float
    accepted: float = math.nan
    decided: float = math.inf          # decision, or give-up instant
    gave_up: bool = False
    pauses: list | None = None      # (from, to) business minutes; created on the first pause
    spans: dict | None = None       # step name → [entered, left], for steps with a limit
    materials_at: float | None = None   # 容缺受理: when the missing materials arrive (inf: never)


@dataclass
class ServiceTally:
    arrived: int = 0
    accepted: int = 0
    decided: int = 0
    gave_up: int = 0
    open_at_end: int = 0
    pending_at_end: int = 0             # received, not yet accepted
    on_time_promised: int = 0
    on_time_legal: int = 0
    past_promised: int = 0              # accepted cases that went past the limit (decided late or open past it)
    past_legal: int = 0
    reached: dict = field(default_factory=lambda: {level: 0 for level in LEVELS[1:]})
    open_by_card: dict = field(default_factory=lambda: {level: 0 for level in LEVELS})
    lead_wd_sum: float = 0.0
    lead_hours_sum: float = 0.0
    lead_wd: LogHistogram = field(default_factory=LogHistogram)
    in_system_sum: float = 0.0          # business minutes, truncated at the end (Little's law)

    @classmethod
    def combined(cls, tallies: list["ServiceTally"]) -> "ServiceTally":
        """All services together (counters and histograms add up)."""
        out = cls()
        for t in tallies:
            for name in cls.__dataclass_fields__:
                value = getattr(t, name)
                if isinstance(value, dict):
                    for k, v in value.items():
                        getattr(out, name)[k] += v
                elif isinstance(value, LogHistogram):
                    out.lead_wd.counts += value.counts
                else:
                    setattr(out, name, getattr(out, name) + value)
        return out

    def summary(self, levels: set[str]) -> dict:
        out = {
            "arrived": self.arrived, "accepted": self.accepted, "decided": self.decided,
            "gave_up": self.gave_up, "open_at_end": self.open_at_end, "pending_at_end": self.pending_at_end,
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
        for level in LEVELS[1:]:
            if level in levels:
                out[f"ever_{level}"] = ratio(self.reached[level], self.accepted)
        for level in LEVELS:
            if level == "green" or level in levels:
                out[f"open_{level}_at_end"] = self.open_by_card[level]
        return out


class Grader:
    """Buffers finished cases and grades them in chunks; one per replication."""

    def __init__(self, plan: Plan, chunk: int = CHUNK):
        self.plan, self.chunk = plan, chunk
        self.tallies = [ServiceTally() for _ in plan.services]
        self.buffer: list[CaseRecord] = []

    def add(self, record: CaseRecord) -> None:
        if record.received < self.plan.warmup_end:
            return  # warm-up cases are simulated but not measured
        self.buffer.append(record)
        if len(self.buffer) >= self.chunk:
            self.flush()

    def flush(self, open_records: list[CaseRecord] = ()) -> None:
        """Grade the buffered finished cases (and, at the end, the open ones)."""
        records = self.buffer + [r for r in open_records if r.received >= self.plan.warmup_end]
        self.buffer = []
        if len(self.plan.services) == 1:
            by_service = {0: records} if records else {}
        else:
            by_service: dict[int, list[CaseRecord]] = {}
            for r in records:
                by_service.setdefault(r.service, []).append(r)
        for s, group in by_service.items():
            self._grade(self.plan.services[s], self.tallies[s], group)

    def _grade(self, service: ServicePlan, tally: ServiceTally, records: list[CaseRecord]) -> None:
        cal, end = self.plan.calendar, self.plan.end
        n = len(records)
        received = np.fromiter((r.received for r in records), np.float64, n)
        accepted = np.fromiter((r.accepted for r in records), np.float64, n)
        decided = np.fromiter((r.decided for r in records), np.float64, n)
        gave_up = np.fromiter((r.gave_up for r in records), bool, n)
        tally.arrived += len(records)
        tally.in_system_sum += float(np.sum(np.minimum(decided, end) - received))
        closed = np.isfinite(decided)
        tally.gave_up += int(gave_up.sum())
        started = ~np.isnan(accepted)
        tally.pending_at_end += int(np.sum(~started & ~closed))
        done = closed & ~gave_up
        tally.decided += int(done.sum())
        lead_wd = cal.business_to_day_position(decided[done]) - cal.business_to_day_position(received[done])
        tally.lead_wd.add(lead_wd)
        tally.lead_wd_sum += float(lead_wd.sum())
        tally.lead_hours_sum += float(np.sum(decided[done] - received[done]) / 60.0)
        idx = np.flatnonzero(started)
        if not len(idx):
            return
        tally.accepted += len(idx)
        acc_wall = cal.to_wall_array(accepted[idx], side="right")
        stop_bm = np.minimum(decided[idx], end)          # open cases: cards frozen at the end
        stop_wall = cal.to_wall_array(stop_bm, side="left")
        pauses = self._pauses([records[i] for i in idx])
        clocks = {"legal": ClockBatch(cal, service.legal.unit, acc_wall, np.full(len(idx), service.legal.axis_amount),
                                      None, pauses, stop_wall)}
        same = service.promised == service.legal    # one limit: one clock serves both references
        clocks["promised"] = clocks["legal"] if same else ClockBatch(
            cal, service.promised.unit, acc_wall, np.full(len(idx), service.promised.axis_amount), None, pauses, stop_wall)
        due = {ref: clock.due() for ref, clock in clocks.items()}
        finished = done[idx]
        tally.on_time_promised += int(np.sum(finished & (stop_wall <= due["promised"])))
        tally.on_time_legal += int(np.sum(finished & (stop_wall <= due["legal"])))
        tally.past_promised += int(np.sum(due["promised"] < stop_wall))
        tally.past_legal += int(np.sum(due["legal"] < stop_wall))
        cross = self._crossings(service.ladder, clocks, [records[i] for i in idx])
        for level, first in first_reached(service.ladder, cross).items():
            if level != "green":
                tally.reached[level] += int(np.sum(np.isfinite(first)))
        still_open = ~closed[idx]
        tally.open_at_end += int(still_open.sum())
        if still_open.any():
            end_wall = cal.to_wall_array(np.array([end]), side="left")[0]
            levels = level_at(service.ladder, cross[still_open], np.full(int(still_open.sum()), end_wall))
            for k in levels.tolist():
                tally.open_by_card[LEVELS[k]] += 1

    def _pauses(self, records: list[CaseRecord]) -> np.ndarray:
        paused = [(i, r.pauses) for i, r in enumerate(records) if r.pauses]
        width = max((len(p) for _, p in paused), default=0)
        out = np.full((len(records), width, 2), np.nan)
        for i, pauses in paused:
            out[i, :len(pauses)] = pauses
        if width:
            cal = self.plan.calendar
            flat = out.reshape(-1, 2)
            ok = ~np.isnan(flat[:, 0])
            flat[ok, 0] = cal.to_wall_array(flat[ok, 0], side="left")
            open_end = ok & ~np.isfinite(flat[:, 1])
            closed = ok & ~open_end
            flat[closed, 1] = cal.to_wall_array(flat[closed, 1], side="right")
        return out

    def _crossings(self, ladder: Ladder, clocks: dict, records: list[CaseRecord]) -> np.ndarray:
        """(n, rungs) crossing instants; step rungs only for cases that went through the step."""
        cal, end = self.plan.calendar, self.plan.end
        out = np.full((len(records), len(ladder.rungs)), np.inf)
        for j, rung in enumerate(ladder.rungs):
            if rung.scope == "case":
                out[:, j] = crossings(Ladder("", (rung,)), clocks)[:, 0]
                continue
            rows = [i for i, r in enumerate(records) if r.spans and rung.scope in r.spans]
            if not rows:
                continue
            step = next(st for st in self.plan.services[records[0].service].steps
                        if st.name == rung.scope and st.limit)
            spans = np.array([records[i].spans[rung.scope] for i in rows], dtype=np.float64)
            clock = ClockBatch(cal, step.limit.unit, cal.to_wall_array(spans[:, 0], side="right"),
                               np.full(len(rows), step.limit.axis_amount),
                               stopped=cal.to_wall_array(np.minimum(spans[:, 1], end), side="left"))
            out[rows, j] = crossings(Ladder("", (rung,)), {rung.scope: clock})[:, 0]
        return out
