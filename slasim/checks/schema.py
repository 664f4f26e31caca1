"""Check files (YAML) for `slasim check`: the pydantic models, and the cases as columns.

Validation parses every instant and limit text once; `CaseColumns` then holds what the engine needs
as arrays (wall minutes, NaN where absent), so checking 100,000 cases does no per-case Python work
beyond this load. Instants in files are naive local times; a bare date means 00:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import Field, PrivateAttr, field_validator, model_validator

from slasim.calendar.units import instants_to_minutes, parse_instant
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.cards import LEVELS, REFERENCES
from slasim.clock.limit_pair import LimitPair
from slasim.clock.limits import Limit
from slasim.io.errors import SlasimError
from slasim.io.files import gc_paused
from slasim.io.i18n import Text
from slasim.io.schema import Int, Strict, field_parser, plain_name

Instant = dt.date | dt.datetime
LEVEL_INDEX = {level: k for k, level in enumerate(LEVELS)}


_parse_instant = field_parser(parse_instant)
_INSTANTS: dict[str, Instant] = {}  # instant texts already read (files repeat their dates)


def _instant(value):
    """An instant field: `parse_instant`, once per distinct text (dates are immutable)."""
    known = _INSTANTS.get(value) if type(value) is str else None
    if known is None:
        known = _parse_instant(value)
        if type(value) is str and len(_INSTANTS) < 1 << 16:
            _INSTANTS[value] = known
    return known


_limit = field_parser(lambda v: str(Limit.parse(v)))


class PauseSpec(Strict):
    """A clock stop in a check file: `from`, `to` (open if absent), `kind`, `detail`."""

    start: Instant = Field(alias="from")
    end: Instant | None = Field(default=None, alias="to")
    kind: str = "special_procedure"
    detail: str = ""

    _times = field_validator("start", "end", mode="before")(_instant)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v):
        if v not in PAUSE_KINDS:
            raise ValueError(
                Text(
                    "unknown pause kind {kind} (use {choices})",
                    kind=repr(v),
                    choices=", ".join(PAUSE_KINDS),
                )
            )
        return v


def _before(a: Instant, b: Instant) -> bool:
    """Whether instant a is strictly before b (a bare date is its 00:00; instants of which one has
    a UTC offset and the other not are not compared here)."""
    as_dt = [x if isinstance(x, dt.datetime) else dt.datetime.combine(x, dt.time()) for x in (a, b)]
    if (as_dt[0].tzinfo is None) != (as_dt[1].tzinfo is None):
        return False
    return as_dt[0] < as_dt[1]


class StepSpec(Strict):
    """A step of a case with its own limit (for step-scope cards): name, entered, left, limit."""

    start: Instant
    limit: str
    end: Instant | None = None

    _times = field_validator("start", "end", mode="before")(_instant)
    _limits = field_validator("limit", mode="before")(_limit)

    @model_validator(mode="after")
    def _order(self):
        if self.end is not None and _before(self.end, self.start):
            raise ValueError(Text("the step ends before it starts"))
        return self


class Expect(Strict):
    """What a case must give: due dates, acceptance, card levels and states at instants."""

    due: Any = None  # date | datetime | {promised, legal}
    accepted: Instant | None = None
    # Mutable defaults as factories: pydantic deep-copies a literal default for every case.
    card_at: dict[Instant, str] = Field(default_factory=dict)
    cards: dict[str, Instant | None] = Field(
        default_factory=dict
    )  # level → first instant (null: never)
    state_at: dict[str, str] = Field(default_factory=dict)
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
            raise ValueError(Text("card_at is a mapping instant → level"))
        return {_instant(k): level for k, level in v.items()}

    @field_validator("card_at")
    @classmethod
    def _levels(cls, v):
        for level in v.values():
            if level not in LEVELS:
                raise ValueError(
                    Text(
                        "unknown card level {level} (use {choices})",
                        level=repr(level),
                        choices=", ".join(LEVELS),
                    )
                )
        return v

    @field_validator("cards", mode="before")
    @classmethod
    def _firsts(cls, v):
        if not isinstance(v, dict):
            raise ValueError(Text("cards is a mapping level → first instant"))
        for level in v:
            if level not in LEVELS:
                raise ValueError(Text("unknown card level {level}", level=repr(level)))
        return {k: _instant(x) for k, x in v.items()}


class CaseSpec(Strict):
    """One case of a check file: its start, limit, pauses, extensions, decision and expectations."""

    name: str
    article: str | None = None
    calendar: str | None = None
    accepted: Instant | None = None
    received: Instant | None = None
    notice: Instant | None = None
    resubmitted: Instant | None = None
    decided: Instant | None = None
    limit: LimitPair
    pauses: list[PauseSpec] = Field(default_factory=list)
    extensions: list[str] = Field(default_factory=list)
    steps: dict[str, StepSpec] = Field(default_factory=dict)
    expect: Expect

    _times = field_validator(
        "accepted", "received", "notice", "resubmitted", "decided", mode="before"
    )(_instant)

    @field_validator("extensions", mode="before")
    @classmethod
    def _ext(cls, v):
        if v is not None and not isinstance(v, list):
            raise ValueError(Text("extensions is a list of limits (`[10wd]`)"))
        return [_limit(x) for x in (v or [])]

    @model_validator(mode="after")
    def _start(self):
        if self.accepted is None and self.received is None:
            raise ValueError(Text("a case needs `accepted` or `received`"))
        first = self.accepted if self.accepted is not None else self.received
        if self.decided is not None and _before(self.decided, first):
            raise ValueError(Text("`decided` is before the case was accepted or received"))
        plain_name(self.name, Text("name"))
        if self.article is not None:
            plain_name(self.article, Text("article"))
        due = self.expect.due
        if self.limit.promised is not None and due is not None and not isinstance(due, dict):
            raise ValueError(
                Text(  # no parameters: the braces are shown as written
                    "expect.due: the case has a promised and a legal limit; say which due is "
                    "meant: due: {promised: …, legal: …} (either or both)"
                )
            )
        return self


class RulesSpec(Strict):
    """Local rules of a check file: supplement mode, notice period (Art. 32), extension caps (Art.
    42)."""

    supplement_mode: str = "restart"
    notice_within: Int = Field(default=5, ge=0, le=10_000)
    extension_max_count: Int = Field(default=1, ge=0, le=100)
    extension_max_total: str = "10wd"

    _lim = field_validator("extension_max_total", mode="before")(_limit)

    @field_validator("supplement_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        """Checked here, so the error names the file and `rules.supplement_mode`."""
        if value not in ("restart", "resume"):
            raise ValueError(Text("must be 'restart' or 'resume'"))
        return value


def _index(values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


@dataclass
class CaseColumns:
    """The cases of a check file as columns (row i = case i). Instants are wall minutes, NaN if absent."""

    name: list[str]
    article: list[str | None]
    calendar: list[str | None]
    accepted: np.ndarray  # `accepted` of cases without an Art. 32 receipt (NaN for those)
    art32: np.ndarray  # cases that give `received` (acceptance resolved one by one)
    decided: np.ndarray  # NaN while open
    limit_texts: list[str]  # distinct limit texts; the codes below index them
    legal: np.ndarray
    promised: np.ndarray  # the legal limit where no promised one is given
    pause_case: np.ndarray  # one row per file pause: case, slot, from, to (inf: open)
    pause_slot: np.ndarray
    pause_from: np.ndarray
    pause_to: np.ndarray
    extended: np.ndarray  # cases with extensions
    extensions: list[tuple[str, ...]]  # their limit texts (row k: case extended[k])
    due: dict[str, tuple[np.ndarray, np.ndarray]]  # reference → (expected due or NaN, is-datetime)
    unknown_refs: list[tuple[int, str]]
    card_case: np.ndarray  # one row per card_at entry: case, instant, level index
    card_time: np.ndarray
    card_level: np.ndarray
    needs_cards: np.ndarray  # cases with card_at or cards
    rare: np.ndarray  # cases expecting accepted / cards / provisional / state_at

    @classmethod
    def of(cls, cases: list[CaseSpec], zone_of=lambda calendar: None) -> CaseColumns:
        """The cases' fields as columns, parsed once (row i is case i); instants with a UTC offset
        are read in the time zone of the case's calendar (`zone_of(name or None)`)."""
        n = len(cases)
        zones = [zone_of(c.calendar) for c in cases]

        def minutes(values, rows=None):
            return instants_to_minutes(values, zones if rows is None else [zones[i] for i in rows])

        columns = [
            (
                c.name,
                c.article,
                c.calendar,
                c.accepted,
                c.received,
                c.decided,
                c.limit,
                c.pauses,
                c.expect,
            )
            for c in cases
        ]
        name, article, calendar, accepted, received, decided, limits, pauses, expects = zip(
            *columns
        )
        art32 = [i for i, r in enumerate(received) if r is not None]
        accepted = list(accepted)
        for i in art32:
            accepted[i] = None
        pause_rows = [
            (i, j, p.start, p.end) for i, ps in enumerate(pauses) if ps for j, p in enumerate(ps)
        ]
        p_case, p_slot, p_from, p_to = zip(*pause_rows) if pause_rows else ((), (), (), ())
        p_to = minutes(p_to, p_case)
        p_to[[k for k, v in enumerate(pause_rows) if v[3] is None]] = np.inf
        one_limit = [lim.promised is None for lim in limits]
        dues = [e.due for e in expects]
        # A single expected due pins the legal limit, and the promised one too when there is only
        # one.
        legal_due = [d.get("legal") if isinstance(d, dict) else d for d in dues]
        promised_due = [
            d.get("promised") if isinstance(d, dict) else (d if one else None)
            for d, one in zip(dues, one_limit)
        ]
        card_at = [e.card_at for e in expects]
        texts: dict[str, int] = {}  # distinct limit texts → code
        legal_code = np.fromiter(
            (texts.setdefault(lim.legal, len(texts)) for lim in limits), np.int64, n
        )
        promised_code = np.fromiter(
            (texts.setdefault(lim.promised or lim.legal, len(texts)) for lim in limits), np.int64, n
        )
        needs_cards = [i for i, (a, e) in enumerate(zip(card_at, expects)) if a or e.cards]
        entries = [
            (i, when, LEVEL_INDEX[level]) for i in needs_cards for when, level in card_at[i].items()
        ]
        c_case, c_time, c_level = zip(*entries) if entries else ((), (), ())
        accepted_m, decided_m = minutes(accepted), minutes(decided)
        _check_order(cases, accepted_m, decided_m, minutes(received), zones)
        return cls(
            name=list(name),
            article=list(article),
            calendar=list(calendar),
            accepted=accepted_m,
            art32=_index(art32),
            decided=decided_m,
            limit_texts=list(texts),
            legal=legal_code,
            promised=promised_code,
            pause_case=_index(p_case),
            pause_slot=_index(p_slot),
            pause_from=minutes(p_from, p_case),
            pause_to=p_to,
            extended=_index([i for i, c in enumerate(cases) if c.extensions]),
            extensions=[tuple(c.extensions) for c in cases if c.extensions],
            due={
                ref: (
                    minutes(values),
                    np.fromiter((isinstance(v, dt.datetime) for v in values), dtype=bool, count=n),
                )
                for ref, values in (("legal", legal_due), ("promised", promised_due))
            },
            unknown_refs=[
                (i, ref)
                for i, d in enumerate(dues)
                if isinstance(d, dict)
                for ref in d
                if ref not in REFERENCES
            ],
            card_case=_index(c_case),
            card_time=minutes(c_time, c_case),
            card_level=_index(c_level),
            needs_cards=_index(needs_cards),
            rare=_index(
                [
                    i
                    for i, e in enumerate(expects)
                    if e.accepted is not None or e.cards or e.provisional is not None or e.state_at
                ]
            ),
        )

    def take(self, index: np.ndarray) -> CaseColumns:
        """The rows of the cases at `index` (sorted), renumbered 0..len(index)-1."""
        new = np.full(len(self.name), -1)
        new[index] = np.arange(len(index))

        def rows(case: np.ndarray) -> np.ndarray:
            return np.flatnonzero(new[case] >= 0)

        p, c = rows(self.pause_case), rows(self.card_case)
        keep = lambda cases: new[cases][new[cases] >= 0]  # noqa: E731
        return CaseColumns(
            name=[self.name[i] for i in index],
            article=[self.article[i] for i in index],
            calendar=[self.calendar[i] for i in index],
            accepted=self.accepted[index],
            art32=keep(self.art32),
            decided=self.decided[index],
            limit_texts=self.limit_texts,
            legal=self.legal[index],
            promised=self.promised[index],
            pause_case=new[self.pause_case[p]],
            pause_slot=self.pause_slot[p],
            pause_from=self.pause_from[p],
            pause_to=self.pause_to[p],
            extended=keep(self.extended),
            extensions=[x for i, x in zip(self.extended.tolist(), self.extensions) if new[i] >= 0],
            due={ref: (want[index], exact[index]) for ref, (want, exact) in self.due.items()},
            unknown_refs=[(int(new[i]), ref) for i, ref in self.unknown_refs if new[i] >= 0],
            card_case=new[self.card_case[c]],
            card_time=self.card_time[c],
            card_level=self.card_level[c],
            needs_cards=keep(self.needs_cards),
            rare=keep(self.rare),
        )


def _check_order(cases, accepted, decided, received, zones) -> None:
    """Instants compared as instants once each is read in its case's zone, whatever their offsets
    (the models compare only instants written alike: both naive or both with an offset)."""
    first = np.where(np.isnan(accepted), received, accepted)
    early = np.flatnonzero(decided < first)
    if len(early):
        raise SlasimError(
            "`decided` is before the case was accepted or received", field=f"cases[{early[0]}]"
        )
    for i, case in enumerate(cases):
        for name, step in case.steps.items() if case.steps else ():
            if step.end is not None:
                start, end = instants_to_minutes([step.start, step.end], [zones[i]] * 2)
                if end < start:
                    raise SlasimError(
                        "the step ends before it starts", field=f"cases[{i}].steps.{name}"
                    )


class CheckFile(Strict):
    """A check file: calendar, card ladder, rules and cases."""

    calendar: str = "cn"
    cards: Any = "warn-before"
    rules: RulesSpec = RulesSpec()
    cases: list[CaseSpec] = Field(min_length=1)
    _columns: CaseColumns | None = PrivateAttr(default=None)

    def _zone_of(self, calendar: str | None):
        """The time zone of a case's calendar (the file's when the case names none); None when
        the calendar cannot be found (the engine reports that, located)."""
        return _zone(calendar or self.calendar)

    @property
    def columns(self) -> CaseColumns:
        """The cases as columns, built on first use (validation already parsed every value)."""
        if self._columns is None:
            self.build_columns(self.cases)
        return self._columns

    def build_columns(self, cases) -> None:
        """Build the columns from validated cases."""
        with gc_paused():
            self._columns = CaseColumns.of(cases, self._zone_of)

    def set_columns(self, columns: CaseColumns) -> None:
        """Columns built by the loader straight from the file's fields (`load`)."""
        self._columns = columns


@lru_cache(maxsize=64)
def _zone(calendar: str):
    from zoneinfo import ZoneInfo

    from slasim.calendar.files import find_calendar, resolve_spec

    try:
        return ZoneInfo(resolve_spec(find_calendar(calendar)).timezone)
    except SlasimError:
        return None
