"""Warm-started replications and their grading by the legal clock, shared by the forecast
(`risk`), its backtest and the staff changes it tries (`prevent`): a replication seats the open
cases (`sim.warm`) and keeps every case record; `grade` puts each record through the same clock as
`deadline` and `check` (`ClockBatch`, card `crossings`) with its own pauses and extension.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from slasim.clock.cards import Ladder, crossings, first_reached, level_at
from slasim.clock.case_clock import ClockBatch
from slasim.io.i18n import N_
from slasim.scenario.plan import Plan
from slasim.sim.draws import stream
from slasim.sim.event_engine import EventReplication
from slasim.sim.grading import CaseRecord, Grader
from slasim.sim.simpy_engine import Replication
from slasim.sim.warm import OpenCase

ENGINE_NOTE = N_(
    "warm start: the FCFS queue path has no warm start; the event engine seats the open cases"
)


class _Keep(Grader):
    """A grader that keeps every case record for the forecast to grade itself."""

    def __init__(self, plan: Plan):
        super().__init__(plan)
        self.records: list[CaseRecord] = []

    def add(self, record: CaseRecord) -> None:
        self.records.append(record)

    def flush(self, open_records=()) -> None:
        self.records.extend(open_records)


def engine_for(plan: Plan) -> dict:
    """The engine a warm start runs on, and why."""
    if plan.scenario.engine == "simpy":
        return {"engine": "simpy", "engine_note": N_("the scenario asks for engine: simpy")}
    return {"engine": "events", "engine_note": ENGINE_NOTE}


def run_warm(
    plan: Plan,
    cases: list[OpenCase],
    replication: int,
    seed: int,
    engine: str = "events",
    waits: list | None = None,
    waits_until: float | None = None,
) -> tuple[list[CaseRecord], list[CaseRecord]]:
    """One warm-started replication: (the open cases' records in the order given, every record).
    A case decided on its applicant's commitment (告知承诺) keeps its decided record. `waits`: a
    list that gets, per open case, its minutes of waiting at each desk (department index) up to
    `waits_until` (business minutes; default the run's end), those still waiting then included."""
    kind = Replication if engine == "simpy" else EventReplication
    rep = kind(plan, replication, seed, open_cases=cases)
    rep.grader = keep = _Keep(plan)
    if waits_until is not None:
        rep.waits_until = waits_until
    rep.run()
    if waits is not None:
        rep.end_waits()
        waits.extend(rep.desk_waits.get(record, {}) for record in rep.warm_records)
    if isinstance(rep, Replication):
        rep.release()
    return rep.warm_records, keep.records


def grade(plan: Plan, records: list[CaseRecord], extension: dict[int, float] | None = None) -> dict:
    """Wall instants per record: `decided` (inf: open at the run's end), `due` (legal, promised),
    `cross` (n, rungs of the case-scoped ladder) and `ladder` per record's service."""
    cal, n = plan.calendar, len(records)
    extension = extension or {}
    out = {
        "decided": np.full(n, np.inf),
        "legal": np.full(n, np.inf),
        "promised": np.full(n, np.inf),
        "levels": {},  # (service) → (rows, ladder, cross)
    }
    by_service: dict[int, list[int]] = {}
    for i, r in enumerate(records):
        if math.isfinite(r.decided):
            out["decided"][i] = cal.to_wall_array(np.array([r.decided]), side="left")[0]
        if r.is_accepted:
            by_service.setdefault(r.service, []).append(i)
    for s, rows in by_service.items():
        service = plan.services[s]
        group = [records[i] for i in rows]
        m = len(group)
        accepted = cal.to_wall_array(np.array([r.accepted for r in group]), side="right")
        pauses = np.full((m, max((len(r.pauses or ()) for r in group), default=0), 2), np.nan)
        for k, r in enumerate(group):
            for j, (a, b) in enumerate(r.pauses or ()):
                pauses[k, j] = (
                    cal.to_wall_array(np.array([a]), side="left")[0],
                    (cal.to_wall_array(np.array([b]), side="right")[0]),
                )
        stopped = out["decided"][rows]
        ext = np.array([extension.get(r.number, 0.0) for r in group])
        clocks = {
            "legal": ClockBatch(
                cal, service.legal.unit, accepted, np.full(m, service.legal.axis_amount),
                ext, pauses, stopped,
            ),
            "promised": ClockBatch(
                cal, service.promised.unit, accepted, np.full(m, service.promised.axis_amount),
                None, pauses, stopped,
            ),
        }  # fmt: skip
        ladder = Ladder(
            service.ladder.name, tuple(r for r in service.ladder.rungs if r.scope == "case")
        )
        out["legal"][rows] = clocks["legal"].due()
        out["promised"][rows] = clocks["promised"].due()
        out["levels"][s] = (np.array(rows), ladder, crossings(ladder, clocks))
    return out


def reached(graded: dict, n: int, wall: float) -> np.ndarray:
    """(n,) level index each graded case has reached by a wall instant (green if not accepted)."""
    level = np.zeros(n, dtype=np.int64)
    for rows, ladder, cross in graded["levels"].values():
        level[rows] = level_at(ladder, cross, np.full(len(rows), wall))
    return level


def fired_per_day(graded: dict, level: str, edges: np.ndarray, after: float) -> np.ndarray:
    """Cards of `level` first fired in each [edges[d], edges[d+1]) after `after` (wall minutes)."""
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    for _, ladder, cross in graded["levels"].values():
        firsts = first_reached(ladder, cross).get(level)
        if firsts is not None:
            firsts = firsts[(firsts > after) & np.isfinite(firsts)]
            counts += np.histogram(firsts, bins=edges)[0]
    return counts


def placed(cases: list[OpenCase], choices: dict, seed: int, replication: int) -> list[OpenCase]:
    """The cases of one replication: where a case may wait at one of several steps (a branch
    after its last step), the step drawn by the branches' shares on a stream of its own."""
    if not choices:
        return cases
    out = list(cases)
    for i, options in choices.items():
        u = stream(seed, replication, "forecast", "next step", cases[i].key).random()
        _, step, state = next((o for o in options if u < o[0]), options[-1])
        out[i] = replace(cases[i], step=step, state=state)
    return out
