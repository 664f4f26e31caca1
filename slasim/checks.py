"""Golden-file deadline checks behind `slasim check`: cases with expected due dates and cards.

A check file (YAML) holds a default calendar, card ladder and rules, then cases. Cases are
evaluated in batches by the same `ClockBatch`/cards code as everything else: cases that give only
`accepted` take a vectorized path; cases with Art. 32 receipt/notice dates are resolved one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from .acceptance import AcceptanceRule, into_office, resolve_acceptance
from .calendars import WorkCalendar, load_calendar
from .cards import LEVELS, Ladder, crossings, first_reached, level_at, parse_ladder
from .clock import PAUSE_KINDS, ClockBatch
from .deadline import ExtensionRule, applied_extension
from .errors import SlasimError
from .limits import Limit
from .timeconv import MINUTES_PER_DAY, datetime_to_minutes, instants_to_minutes, minutes_to_iso, parse_instant
from .validation import Strict, read_yaml, validate

Instant = dt.date | dt.datetime


def _instant(v):
    if v is None:
        return None
    try:
        return parse_instant(v)
    except SlasimError as exc:
        raise ValueError(exc.message) from None


def _limit(v):
    if v is None:
        return None
    try:
        return str(Limit.parse(v))
    except SlasimError as exc:
        raise ValueError(exc.message) from None


class PauseSpec(Strict):
    start: Instant = Field(alias="from")
    end: Instant | None = Field(default=None, alias="to")
    kind: str = "special_procedure"
    detail: str = ""

    _times = field_validator("start", "end", mode="before")(_instant)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v):
        if v not in PAUSE_KINDS:
            raise ValueError(f"unknown pause kind {v!r} (use {', '.join(PAUSE_KINDS)})")
        return v


class Limits(Strict):
    promised: str | None = None
    legal: str

    _limits = field_validator("promised", "legal", mode="before")(_limit)


class StepSpec(Strict):
    start: Instant
    limit: str
    end: Instant | None = None

    _times = field_validator("start", "end", mode="before")(_instant)
    _limits = field_validator("limit", mode="before")(_limit)


class Expect(Strict):
    due: Any = None                       # date | datetime | {promised, legal}
    accepted: Instant | None = None
    card_at: dict[Instant, str] = {}
    cards: dict[str, Instant | None] = {}  # level → first instant (null: never)
    state_at: dict[str, str] = {}
    provisional: bool | None = None

    _acc = field_validator("accepted", mode="before")(_instant)

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, v):
        if isinstance(v, dict):
            return {str(k): _instant(x) for k, x in v.items()}
        return _instant(v)

    @field_validator("card_at", mode="before")
    @classmethod
    def _card_keys(cls, v):
        if not isinstance(v, dict):
            raise ValueError("card_at is a mapping instant → level")
        return {_instant(k): level for k, level in v.items()}

    @field_validator("card_at")
    @classmethod
    def _levels(cls, v):
        for level in v.values():
            if level not in LEVELS:
                raise ValueError(f"unknown card level {level!r} (use {', '.join(LEVELS)})")
        return v

    @field_validator("cards", mode="before")
    @classmethod
    def _firsts(cls, v):
        if not isinstance(v, dict):
            raise ValueError("cards is a mapping level → first instant")
        for level in v:
            if level not in LEVELS:
                raise ValueError(f"unknown card level {level!r}")
        return {k: _instant(x) for k, x in v.items()}


class CaseSpec(Strict):
    name: str
    article: str | None = None
    calendar: str | None = None
    accepted: Instant | None = None
    received: Instant | None = None
    notice: Instant | None = None
    resubmitted: Instant | None = None
    decided: Instant | None = None
    limit: Limits
    pauses: list[PauseSpec] = []
    extensions: list[str] = []
    steps: dict[str, StepSpec] = {}
    expect: Expect

    _times = field_validator("accepted", "received", "notice", "resubmitted", "decided", mode="before")(_instant)
    _ext = field_validator("extensions", mode="before")(lambda v: [_limit(x) for x in (v or [])])

    @field_validator("limit", mode="before")
    @classmethod
    def _limit_form(cls, v):
        return v if isinstance(v, dict) else {"legal": v}

    @model_validator(mode="after")
    def _start(self):
        if self.accepted is None and self.received is None:
            raise ValueError("a case needs `accepted` or `received`")
        return self


class RulesSpec(Strict):
    supplement_mode: str = "restart"
    notice_within: int = 5
    extension_max_count: int = 1
    extension_max_total: str = "10wd"

    _lim = field_validator("extension_max_total", mode="before")(_limit)


class CheckFile(Strict):
    calendar: str = "cn"
    cards: Any = "warn-before"
    rules: RulesSpec = RulesSpec()
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass(slots=True)
class Outcome:
    name: str
    article: str | None
    failures: list[str] = field(default_factory=list)
    got: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_check_file(path: Path) -> CheckFile:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SlasimError("a check file is a mapping with `cases`", source=str(path))
    return validate(CheckFile, data, str(path))


def wall(cal: WorkCalendar, t: Instant | None) -> float | None:
    """Wall minutes of a file instant (a bare date is 00:00; acceptance then moves into office hours)."""
    return None if t is None else datetime_to_minutes(t)


@lru_cache(maxsize=256)
def parse_limit(text: str) -> Limit:
    return Limit.parse(text)


@lru_cache(maxsize=256)
def extension_total(extensions: tuple[str, ...], unit: str, rule: ExtensionRule) -> float:
    return applied_extension([parse_limit(e) for e in extensions], unit, rule, [])


class CaseBatch:
    """Clocks (promised, legal, steps) of the cases sharing one calendar, built column-wise."""

    def __init__(self, cal: WorkCalendar, cases: list[CaseSpec], rules: RulesSpec, source: str):
        self.cal = cal
        n = len(cases)
        acc_rule = AcceptanceRule(rules.notice_within, rules.supplement_mode)
        ext_rule = ExtensionRule(rules.extension_max_count, Limit.parse(rules.extension_max_total))
        # One pass over the cases pulls out the columns; everything after is array work.
        accepted_raw, decided, promised, legal, art32 = [], [], [], [], []
        pause_rows: list[tuple[int, int, object, object]] = []
        extended: list[int] = []
        for i, c in enumerate(cases):
            accepted_raw.append(c.accepted if c.received is None else None)
            decided.append(c.decided)
            promised.append(c.limit.promised or c.limit.legal)
            legal.append(c.limit.legal)
            if c.received is not None:
                art32.append(i)
            if c.pauses:
                pause_rows.extend((i, j, p.start, p.end) for j, p in enumerate(c.pauses))
            if c.extensions:
                extended.append(i)
        raw = instants_to_minutes(accepted_raw)
        simple = np.flatnonzero(~np.isnan(raw))
        self._range(raw[simple], source, simple)
        accepted = np.full(n, np.nan)
        accepted[simple] = cal.to_wall_array(cal.to_business_array(raw[simple]), side="right")
        for i in art32:
            c = cases[i]
            try:
                a = resolve_acceptance(cal, accepted=wall(cal, c.accepted), received=wall(cal, c.received),
                                       notice=wall(cal, c.notice), resubmitted=wall(cal, c.resubmitted),
                                       rule=acc_rule)
            except SlasimError as exc:
                raise exc.located(source, f"cases[{i}]") from None
            accepted[i] = np.nan if a.accepted is None else a.accepted
            base = len(c.pauses)
            pause_rows.extend((i, base + j, p.start, p.end) for j, p in enumerate(a.pauses))
        self.accepted = accepted
        self.pauses = self._pause_array(n, pause_rows, source)
        stopped = np.nan_to_num(instants_to_minutes(decided), nan=np.inf)
        self.clocks: dict[str, list] = {}
        for ref, texts in (("promised", promised), ("legal", legal)):
            limits = [parse_limit(t) for t in texts]
            ext = np.zeros(n)
            for i in extended:
                try:
                    ext[i] = extension_total(tuple(cases[i].extensions), limits[i].unit, ext_rule)
                except SlasimError as exc:
                    raise exc.located(source, f"cases[{i}]") from None
            self.clocks[ref] = self._by_unit(limits, ext, self.pauses, stopped)

    @staticmethod
    def _pause_array(n: int, rows, source: str) -> np.ndarray:
        """(n, m, 2) wall-minute pauses from (case, slot, from, to) rows; file dates, or minutes already."""
        width = max((r[1] for r in rows), default=-1) + 1
        pauses = np.full((n, width, 2), np.nan)
        if not rows:
            return pauses
        case, slot = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
        as_minutes = lambda vals: np.array([v if isinstance(v, float) else np.nan for v in vals])  # noqa: E731
        starts = instants_to_minutes([None if isinstance(r[2], float) else r[2] for r in rows])
        ends = instants_to_minutes([None if isinstance(r[3], float) or r[3] is None else r[3] for r in rows])
        starts = np.where(np.isnan(starts), as_minutes([r[2] for r in rows]), starts)
        ends = np.where(np.isnan(ends), as_minutes([r[3] for r in rows]), ends)
        ends = np.where(np.array([r[3] is None for r in rows]), np.inf, ends)
        bad = np.flatnonzero(~(ends > starts))
        if len(bad):
            raise SlasimError("a pause must end after it starts", source=source,
                              field=f"cases[{case[bad[0]]}].pauses[{slot[bad[0]]}]")
        pauses[case, slot, 0], pauses[case, slot, 1] = starts, ends
        return pauses

    def _range(self, raw, source, index):
        days = (raw // MINUTES_PER_DAY).astype(np.int64)
        outside = np.flatnonzero((days < self.cal.first_day) | (days > self.cal.last_day))
        if len(outside):
            try:
                self.cal.check_range(days[outside[:1]], field="accepted")
            except SlasimError as exc:
                raise exc.located(source, f"cases[{index[outside[0]]}]") from None

    def _by_unit(self, limits, ext, pauses, stopped):
        """One ClockBatch per limit unit, with the case indices it covers (pending cases left out)."""
        groups = []
        units = np.array([lim.unit for lim in limits])
        amounts = np.array([lim.axis_amount for lim in limits])
        started = ~np.isnan(self.accepted)
        for unit in sorted(set(units)):
            idx = np.flatnonzero((units == unit) & started)
            if len(idx):
                groups.append((idx, ClockBatch(self.cal, unit, self.accepted[idx], amounts[idx], ext[idx],
                                               pauses[idx], stopped[idx])))
        return groups

    def column(self, ref: str, fn) -> np.ndarray:
        """Apply fn(batch) → per-case array over unit groups; NaN for pending cases."""
        out = np.full(len(self.accepted), np.nan)
        for idx, batch in self.clocks[ref]:
            out[idx] = fn(batch)
        return out


def run_checks(check: CheckFile, source: str) -> list[Outcome]:
    """Evaluate every case of a check file; outcomes in file order."""
    outcomes: list[Outcome | None] = [None] * len(check.cases)
    by_calendar: dict[str, list[int]] = {}
    for i, c in enumerate(check.cases):
        by_calendar.setdefault(c.calendar or check.calendar, []).append(i)
    try:
        ladder = parse_ladder(check.cards)
    except SlasimError as exc:
        raise exc.located(source) from None
    for cal_name, index in by_calendar.items():
        try:
            cal = load_calendar(cal_name)
        except SlasimError as exc:
            raise exc.located(source, "calendar") from None
        cases = [check.cases[i] for i in index]
        batch = CaseBatch(cal, cases, check.rules, source)
        for pos, outcome in zip(index, judge(cal, batch, cases, ladder, source, index)):
            outcomes[pos] = outcome
    return outcomes  # type: ignore[return-value]


def expected_due(cases: list[CaseSpec], ref: str) -> tuple[np.ndarray, np.ndarray]:
    """Expected due per case for a reference: (wall minutes or NaN, is-datetime flag)."""
    values = []
    for c in cases:
        value = c.expect.due
        if isinstance(value, dict):
            value = value.get(ref)
        elif ref == "promised" and c.limit.promised is not None:
            value = None  # a single expected due pins the legal limit when both are given
        values.append(value)
    exact = np.fromiter((isinstance(v, dt.datetime) for v in values), dtype=bool, count=len(values))
    return instants_to_minutes(values), exact


def due_text(minutes: float, exact: bool) -> str:
    if not np.isfinite(minutes):
        return "never"
    return minutes_to_iso(minutes) if exact else minutes_to_iso(minutes - 1e-6)[:10]


def judge(cal, batch: CaseBatch, cases: list[CaseSpec], ladder: Ladder, source: str, index) -> list[Outcome]:
    """Compare expectations with results; the common ones (due, card_at) are compared column-wise."""
    out = [Outcome(c.name, c.article) for c in cases]
    due = {ref: batch.column(ref, lambda b: b.due()) for ref in ("promised", "legal")}
    for i, c in enumerate(cases):
        if isinstance(c.expect.due, dict):
            for ref in set(c.expect.due) - set(due):
                out[i].failures.append(f"expect.due: unknown reference {ref!r}")
    for ref in ("legal", "promised"):
        want, exact = expected_due(cases, ref)
        got = due[ref]
        got_day = np.floor((got - 1e-6) / MINUTES_PER_DAY)
        same = np.where(exact, got == want, got_day == np.floor(want / MINUTES_PER_DAY))
        for i in np.flatnonzero(~np.isnan(want) & ~same):
            out[i].failures.append(f"due ({ref}): expected {due_text(want[i], exact[i])}, "
                                   f"got {due_text(got[i], exact[i])}")
    cross = np.full((len(cases), len(ladder.rungs)), np.inf)
    needs_cards = [i for i, c in enumerate(cases) if c.expect.card_at or c.expect.cards]
    if needs_cards:
        cross[needs_cards] = case_crossings(cal, batch, cases, ladder, needs_cards, source, index)
        rows, times, levels = [], [], []
        for i in needs_cards:
            for when, level in cases[i].expect.card_at.items():
                rows.append(i)
                times.append(datetime_to_minutes(when))
                levels.append(LEVELS.index(level))
        if rows:
            got_levels = level_at(ladder, cross[rows], np.array(times))
            for r, i in enumerate(rows):
                if got_levels[r] != levels[r]:
                    when = minutes_to_iso(times[r])
                    out[i].failures.append(f"card at {when}: expected {LEVELS[levels[r]]}, got {LEVELS[got_levels[r]]}")
    rare = [i for i, c in enumerate(cases)
            if c.expect.accepted is not None or c.expect.cards or c.expect.provisional is not None or c.expect.state_at]
    for i in rare:
        e, o = cases[i].expect, out[i]
        if e.accepted is not None:
            want = e.accepted.isoformat(timespec="minutes") if isinstance(e.accepted, dt.datetime) else e.accepted.isoformat()
            got = "pending" if np.isnan(batch.accepted[i]) else minutes_to_iso(batch.accepted[i])
            if want != (got if isinstance(e.accepted, dt.datetime) else got[:10]):
                o.failures.append(f"accepted: expected {want}, got {got}")
        if e.cards:
            firsts = first_reached(ladder, cross[i:i + 1])
            for level, when in e.cards.items():
                value = firsts.get(level, np.array([np.inf]))[0]
                got = due_text(value, True)
                want = "never" if when is None else (when.isoformat(timespec="minutes") if isinstance(when, dt.datetime) else when.isoformat())
                if (got if (when is None or isinstance(when, dt.datetime)) else got[:10]) != want:
                    o.failures.append(f"first {level} card: expected {want}, got {got}")
        if e.provisional is not None:
            days = [int(x // MINUTES_PER_DAY) for x in (batch.accepted[i], due["legal"][i]) if np.isfinite(x)]
            got = bool(np.any(cal.is_provisional(np.array(days)))) if days else False
            if got != e.provisional:
                o.failures.append(f"provisional: expected {e.provisional}, got {got}")
        for when, state in e.state_at.items():
            got = case_state(batch, i, datetime_to_minutes(parse_instant(when)), due["legal"][i])
            if got != state:
                o.failures.append(f"state at {when}: expected {state}, got {got}")
    for i, o in enumerate(out):
        if o.failures:
            o.got = {"accepted": None if np.isnan(batch.accepted[i]) else minutes_to_iso(batch.accepted[i]),
                     "due": {ref: due_text(due[ref][i], True) for ref in due}}
    return out


def case_state(batch: CaseBatch, i: int, t: float, due: float) -> str:
    if np.isnan(batch.accepted[i]) or t < batch.accepted[i]:
        return "pending"
    for idx, clock in batch.clocks["legal"]:
        hit = np.flatnonzero(idx == i)
        if len(hit):
            j = hit[0]
            if t >= clock.stopped[j]:
                return "stopped"
            if clock.take(np.array([j])).paused_at(np.array([t]))[0]:
                return "paused"
    return "overdue" if t > due else "running"


def case_crossings(cal, batch: CaseBatch, cases, ladder: Ladder, rows: list[int], source: str, index) -> np.ndarray:
    """Rung crossings for the given cases: case rungs from the batch clocks, step rungs per case."""
    out = np.full((len(rows), len(ladder.rungs)), np.inf)
    case_rungs = [j for j, r in enumerate(ladder.rungs) if r.scope == "case"]
    if case_rungs:
        sub = Ladder(ladder.name, tuple(ladder.rungs[j] for j in case_rungs))
        full = np.full((len(cases), len(case_rungs)), np.inf)
        for k, rung in enumerate(sub.rungs):
            for idx, clock in batch.clocks[rung.reference]:
                full[idx, k] = crossings(Ladder("", (rung,)), {rung.reference: clock})[:, 0]
        out[:, case_rungs] = full[rows]
    for j, rung in enumerate(ladder.rungs):
        if rung.scope == "case":
            continue
        for r, i in enumerate(rows):
            step = cases[i].steps.get(rung.scope)
            if step is None:  # a step rung applies only to cases that have the step
                continue
            lim = Limit.parse(step.limit)
            start = into_office(cal, wall(cal, step.start))
            end = np.inf if step.end is None else wall(cal, step.end)
            clock = ClockBatch(cal, lim.unit, np.array([start]), np.array([lim.axis_amount]), stopped=np.array([end]))
            out[r, j] = crossings(Ladder("", (rung,)), {rung.scope: clock})[0, 0]
    return out


def check_files(paths: list[Path]) -> list[tuple[str, list[Outcome]]]:
    """Load and run several files; the first invalid file raises (exit 2 at the CLI)."""
    loaded = [(str(p), load_check_file(p)) for p in paths]
    return [(source, run_checks(check, source)) for source, check in loaded]
