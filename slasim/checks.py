"""Golden-file deadline checks behind `slasim check`: cases with expected due dates and cards.

A check file (YAML) holds a default calendar, card ladder and rules, then cases. Cases are
evaluated in batches by the same `ClockBatch`/cards code as everything else: cases that give only
`accepted` take a vectorized path; cases with Art. 32 receipt/notice dates are resolved one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from .acceptance import AcceptanceRule, into_office, resolve_acceptance
from .calendars import WorkCalendar, load_calendar
from .cards import LEVELS, Ladder, crossings, first_reached, level_at, parse_ladder
from .clock import PAUSE_KINDS, ClockBatch
from .deadline import ExtensionRule, applied_extension, instant_minutes
from .errors import SlasimError
from .limits import Limit
from .timeconv import MINUTES_PER_DAY, minutes_to_iso, parse_instant
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
    card_at: dict[str, str] = {}
    cards: dict[str, Instant | None] = {}  # level → first instant (null: never)
    state_at: dict[str, str] = {}
    provisional: bool | None = None

    _acc = field_validator("accepted", mode="before")(_instant)

    @field_validator("card_at")
    @classmethod
    def _levels(cls, v):
        for when, level in v.items():
            _instant(when)
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


@dataclass
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
    return None if t is None else instant_minutes(cal, t)


def expected_instant(cal, value, due_minutes: float) -> tuple[str, str]:
    """(expected, got) texts: a date checks the due date, a datetime the due instant."""
    got_date = minutes_to_iso(due_minutes - 1e-6)[:10] if np.isfinite(due_minutes) else "never"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes"), minutes_to_iso(due_minutes) if np.isfinite(due_minutes) else "never"
    return str(value), got_date


class CaseBatch:
    """Clocks (promised, legal, steps) of the cases sharing one calendar, built column-wise."""

    def __init__(self, cal: WorkCalendar, cases: list[CaseSpec], rules: RulesSpec, source: str):
        self.cal = cal
        n = len(cases)
        acc_rule = AcceptanceRule(rules.notice_within, rules.supplement_mode)
        ext_rule = ExtensionRule(rules.extension_max_count, Limit.parse(rules.extension_max_total))
        accepted = np.full(n, np.nan)
        simple = [i for i, c in enumerate(cases) if c.received is None]
        if simple:
            raw = np.array([wall(cal, cases[i].accepted) for i in simple])
            self._range(raw, source, cases, simple)
            accepted[simple] = cal.to_wall_array(cal.to_business_array(raw), side="right")
        extra_pauses: dict[int, list] = {}
        for i, c in enumerate(cases):
            if c.received is not None:
                try:
                    a = resolve_acceptance(cal, accepted=wall(cal, c.accepted), received=wall(cal, c.received),
                                           notice=wall(cal, c.notice), resubmitted=wall(cal, c.resubmitted),
                                           rule=acc_rule)
                except SlasimError as exc:
                    raise exc.located(source, f"cases[{i}]") from None
                accepted[i] = np.nan if a.accepted is None else a.accepted
                extra_pauses[i] = [(p.start, p.end) for p in a.pauses]
        self.accepted = accepted
        width = max([len(c.pauses) + len(extra_pauses.get(i, [])) for i, c in enumerate(cases)] + [0])
        pauses = np.full((n, width, 2), np.nan)
        for i, c in enumerate(cases):
            rows = [(wall(cal, p.start), np.inf if p.end is None else wall(cal, p.end)) for p in c.pauses]
            rows += extra_pauses.get(i, [])
            for j, (a, b) in enumerate(rows):
                if not b > a:
                    raise SlasimError("a pause must end after it starts", source=source, field=f"cases[{i}].pauses[{j}]")
                pauses[i, j] = (a, b)
        stopped = np.array([np.inf if c.decided is None else wall(cal, c.decided) for c in cases])
        self.clocks: dict[str, list] = {}
        for ref in ("promised", "legal"):
            limits = [Limit.parse(getattr(c.limit, ref) or c.limit.legal) for c in cases]
            ext = np.zeros(n)
            for i, c in enumerate(cases):
                if c.extensions:
                    try:
                        ext[i] = applied_extension([Limit.parse(e) for e in c.extensions], limits[i].unit, ext_rule, [])
                    except SlasimError as exc:
                        raise exc.located(source, f"cases[{i}]") from None
            self.clocks[ref] = self._by_unit(limits, ext, pauses, stopped)

    def _range(self, raw, source, cases, index):
        try:
            self.cal.check_range((raw // MINUTES_PER_DAY).astype(np.int64), field="accepted")
        except SlasimError as exc:
            bad = int(np.flatnonzero((raw // MINUTES_PER_DAY < self.cal.first_day)
                                     | (raw // MINUTES_PER_DAY > self.cal.last_day))[0])
            raise exc.located(source, f"cases[{index[bad]}]") from None

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


def judge(cal, batch: CaseBatch, cases: list[CaseSpec], ladder: Ladder, source: str, index) -> list[Outcome]:
    due = {ref: batch.column(ref, lambda b: b.due()) for ref in ("promised", "legal")}
    cross = np.full((len(cases), len(ladder.rungs)), np.inf)
    needs_cards = [i for i, c in enumerate(cases) if c.expect.card_at or c.expect.cards]
    if needs_cards:
        cross[needs_cards] = case_crossings(cal, batch, cases, ladder, needs_cards, source, index)
    out = []
    for i, c in enumerate(cases):
        o = Outcome(c.name, c.article)
        o.got = {"accepted": None if np.isnan(batch.accepted[i]) else minutes_to_iso(batch.accepted[i]),
                 "due": {ref: (minutes_to_iso(due[ref][i]) if np.isfinite(due[ref][i]) else None) for ref in due}}
        e = c.expect
        if e.due is not None:
            expected = e.due if isinstance(e.due, dict) else {"legal": e.due, **({"promised": e.due} if c.limit.promised is None else {})}
            for ref, value in expected.items():
                if ref not in due:
                    o.failures.append(f"expect.due: unknown reference {ref!r}")
                    continue
                want, got = expected_instant(cal, parse_instant(value, field="expect.due"), due[ref][i])
                if want != got:
                    o.failures.append(f"due ({ref}): expected {want}, got {got}")
        if e.accepted is not None:
            want = e.accepted.isoformat(timespec="minutes") if isinstance(e.accepted, dt.datetime) else e.accepted.isoformat()
            got = o.got["accepted"] or "pending"
            if want != (got if isinstance(e.accepted, dt.datetime) else got[:10]):
                o.failures.append(f"accepted: expected {want}, got {got}")
        for when, level in e.card_at.items():
            t = wall(cal, parse_instant(when, field="card_at"))
            got = LEVELS[int(level_at(ladder, cross[i:i + 1], t)[0])]
            if got != level:
                o.failures.append(f"card at {when}: expected {level}, got {got}")
        if e.cards:
            firsts = first_reached(ladder, cross[i:i + 1])
            for level, when in e.cards.items():
                value = firsts.get(level, np.array([np.inf]))[0]
                got = minutes_to_iso(value) if np.isfinite(value) else "never"
                want = "never" if when is None else (when.isoformat(timespec="minutes") if isinstance(when, dt.datetime) else when.isoformat())
                if (got if (when is None or isinstance(when, dt.datetime)) else got[:10]) != want:
                    o.failures.append(f"first {level} card: expected {want}, got {got}")
        if e.provisional is not None:
            days = [int(x // MINUTES_PER_DAY) for x in (batch.accepted[i], due["legal"][i]) if np.isfinite(x)]
            got = bool(np.any(cal.is_provisional(np.array(days)))) if days else False
            if got != e.provisional:
                o.failures.append(f"provisional: expected {e.provisional}, got {got}")
        for when, state in e.state_at.items():
            got = case_state(batch, i, wall(cal, parse_instant(when, field="state_at")), due["legal"][i])
            if got != state:
                o.failures.append(f"state at {when}: expected {state}, got {got}")
        out.append(o)
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
