"""The cases of a check file as columns (`CaseColumns`), and what both routes of the loader share
without pydantic: instants read once per text, their order, card level codes, the calendars' zones
and the rules a file without `rules` gets. A flat file (`checks.flat`) is checked through this
module alone, so `slasim check` on one never imports pydantic (the models live in `schema`).

Instants in files are naive local times; a bare date means 00:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from slasim.calendar.units import instants_to_minutes, parse_instant
from slasim.clock.cards import LEVELS, REFERENCES
from slasim.io.errors import SlasimError, field_parser

Instant = dt.date | dt.datetime
LEVEL_INDEX = {level: k for k, level in enumerate(LEVELS)}
# The calendar and card ladder of a file that names none (`schema.CheckFile` takes them from here).
FILE_DEFAULTS = MappingProxyType({"calendar": "cn", "cards": "warn-before"})
# The rules of a file that gives none (`schema.RulesSpec` takes its defaults from here).
DEFAULT_RULES = MappingProxyType(
    {
        "supplement_mode": "restart",
        "notice_within": 5,
        "extension_max_count": 1,
        "extension_max_total": "10wd",
    }
)


_parse_instant = field_parser(parse_instant)  # None passes; errors land on the field


_INSTANTS: dict[str, Instant] = {}  # instant texts already read (files repeat their dates)


def _instant(value):
    """An instant field: `parse_instant`, once per distinct text (dates are immutable)."""
    known = _INSTANTS.get(value) if type(value) is str else None
    if known is None:
        known = _parse_instant(value)
        if type(value) is str and len(_INSTANTS) < 1 << 16:
            _INSTANTS[value] = known
    return known


def _before(a: Instant, b: Instant) -> bool:
    """Whether instant a is strictly before b (a bare date is its 00:00; instants of which one has
    a UTC offset and the other not are not compared here)."""
    as_dt = [x if isinstance(x, dt.datetime) else dt.datetime.combine(x, dt.time()) for x in (a, b)]
    if (as_dt[0].tzinfo is None) != (as_dt[1].tzinfo is None):
        return False
    return as_dt[0] < as_dt[1]


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
    def of(cls, cases: list, zone_of=lambda calendar: None) -> CaseColumns:
        """The fields of cases (validated `schema.CaseSpec`s) as columns, parsed once (row i is
        case i); instants with a UTC offset are read in the time zone of the case's calendar
        (`zone_of(name or None)`)."""
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


class CaseZones:
    """What both forms of a loaded check file (`load.FlatFile`, `schema.CheckFile`) share: the
    time zone of each case's calendar, for the instants with a UTC offset."""

    def _zone_of(self, calendar: str | None):
        """The time zone of a case's calendar (the file's when the case names none); None when
        the calendar cannot be found (the engine reports that, located)."""
        return _zone(calendar or self.calendar)


@lru_cache(maxsize=64)
def _zone(calendar: str):
    from zoneinfo import ZoneInfo

    from slasim.calendar.files import find_calendar, resolve_spec

    try:
        return ZoneInfo(resolve_spec(find_calendar(calendar)).timezone)
    except SlasimError:
        return None
