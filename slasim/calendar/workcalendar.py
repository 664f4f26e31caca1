"""`WorkCalendar`: working days, office hours, provenance and coverage, and the business-time axis.

Built once per calendar file into sorted numpy arrays (docs/ARCHITECTURE.md, "Properties", 3):
  - `cum[i]`: working days strictly before table day i, so a working-day step is an index step;
  - `work_days[k]`: epoch day of the k-th working day;
  - `open_days[o]`, `open_cum[i]`: the same for office days (the working days, and the rest days
    the office opens with `office_hours.rest_days`), `bm_start[o]`: business minutes before
    office day o. Business time runs on office days; working days and day positions count
    working days only (`_build_open_days`).
Wall-clock ↔ business time is then a table lookup plus a clip against the day's office intervals;
the clock's frequent questions (a business instant's working day, an acceptance's working day, the
close of a whole working-day position) are answered from tables built from these conversions
(`_lookup`), equal to them to the bit (tests/test_clock_lookup.py).

Conventions: office intervals are half-open `[open, close)` in the calendar's local time. A wall
instant outside office hours has the business time of the next opening (equivalently the previous
close); `to_wall(..., side="left")` returns the earliest wall instant with a business time (a close
rather than the next opening), `side="right"` the latest (the opening). Dates past
`published_through` (or before `first_year`) are *provisional*: computed from the `holidays`
package's rules, which cannot know future make-up workdays.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from slasim.calendar import zone
from slasim.calendar.files import CalendarSpec, chain_versions, find_calendar, resolve_spec
from slasim.calendar.holiday_cache import country_table, names_in
from slasim.calendar.units import (
    MINUTES_PER_DAY,
    date_to_day,
    datetime_to_minutes,
    day_to_date,
    minutes_to_datetime,
    minutes_to_iso,
)
from slasim.io.errors import ProvisionalError, SlasimError
from slasim.io.i18n import N_, Text, current, localized

MAKEUP = Text("Make-up workday (调休)")


@dataclass(frozen=True)
class DayInfo:
    """Why a day is (not) a working day: kind is weekday|weekend|holiday|makeup|closed|working."""

    date: dt.date
    working: bool
    kind: str
    name: str = ""
    source: str = ""


class WorkCalendar:
    """A working-day calendar with office hours. Scalar methods take `date`/`datetime`; `*_array`
    methods take numpy arrays of epoch days (int) or wall minutes (float)."""

    def __init__(self, spec: CalendarSpec):
        self.spec = spec
        self.name = spec.name
        self.tz = ZoneInfo(spec.timezone)
        self.counting = spec.counting
        self.first_day = date_to_day(dt.date(spec.first_year - (5 if spec.country else 0), 1, 1))
        self.last_day = date_to_day(dt.date(spec.last_year, 12, 31))
        ndays = self.last_day - self.first_day + 1
        self._reasons: dict[int, DayInfo] = {}
        self._zh_names: dict[str, str] | None = None
        working = self._weekday_pattern(ndays)
        self._apply_country(working)
        self._apply_notices(working)
        self._apply_overrides(working)
        if not working.any():
            raise SlasimError(
                "no working day from {first} to {last} (every day is a rest day)",
                source=spec.path,
                field="weekend",
                first=spec.first_year,
                last=spec.last_year,
            )
        self.is_work = working
        self.cum = np.concatenate([[0], np.cumsum(working, dtype=np.int64)])
        self.work_days = np.flatnonzero(working).astype(np.int64) + self.first_day
        self._build_open_days()
        self._build_office_hours()

    # ---------------------------------------------------------------- construction
    def _weekday_pattern(self, ndays: int) -> np.ndarray:
        weekday = (np.arange(ndays) + self.first_day + 3) % 7  # 1970-01-01 was a Thursday (3)
        return ~np.isin(weekday, self.spec.weekend)

    def _index(self, day: int) -> int:
        return day - self.first_day

    def _set(self, working: np.ndarray, info: DayInfo) -> None:
        day = date_to_day(info.date)
        if self.first_day <= day <= self.last_day:
            working[self._index(day)] = info.working
            self._reasons[day] = info

    def _apply_country(self, working: np.ndarray) -> None:
        spec = self.spec
        if not spec.country:
            return
        years = range(spec.first_year - 5, spec.last_year + 1)
        table = country_table(spec.country, spec.subdivision, spec.language, years, spec.path)
        source = table["source"]
        for day, name in table["holidays"]:
            self._set(working, DayInfo(dt.date.fromisoformat(day), False, "holiday", name, source))
        for day in table["makeup"]:
            makeup = DayInfo(dt.date.fromisoformat(day), True, "makeup", MAKEUP, source)
            self._set(working, makeup)

    def _apply_notices(self, working: np.ndarray) -> None:
        """Transcribed notice dates win over the package's data (the notice is the source of truth)."""
        for year, notice in self.spec.years.items():
            source = notice.reference or notice.title
            for day in notice.dates("rest"):
                known = self._reasons.get(date_to_day(day))
                name = (
                    known.name
                    if known and known.kind == "holiday"
                    else Text("Rest day ({year} notice)", year=year)
                )
                self._set(working, DayInfo(day, False, "holiday", name, source))
            for day in notice.dates("work"):
                self._set(working, DayInfo(day, True, "makeup", MAKEUP, source))

    def _apply_overrides(self, working: np.ndarray) -> None:
        for item in self.spec.closed:
            self._set(working, DayInfo(item.date, False, "closed", item.name, item.source))
        for item in self.spec.working:
            self._set(working, DayInfo(item.date, True, "working", item.name, item.source))

    def _build_open_days(self) -> None:
        """The office axis: the days the office opens, its working days and, with
        `office_hours.rest_days`, the ordinary rest days of those weekdays (not in a break: a
        run of rest days holding a holiday or closed day). Business minutes run on it
        (`bm_start`, `day_minutes`, `profile_of` and `day_of_business` count office days);
        working days and day positions count legal working days only. Without open rest days
        both axes are the same arrays.
          - `is_open`, `open_cum`, `open_days`: as `is_work`, `cum`, `work_days` for office days;
          - `office_working[o]`: whether office day o is a working day;
          - `legal_of[o]`: the legal working day of office day o, or for an open rest day the
            next one (its minutes hold that day's position, flat), `office_of[k]`: office day of
            working day k."""
        self.is_open, self.open_cum, self.open_days = self.is_work, self.cum, self.work_days
        self.office_of = self.legal_of = np.arange(len(self.work_days), dtype=np.int64)
        self.office_working = np.ones(len(self.work_days), dtype=bool)
        if not self.spec.rest_day_hours:
            return
        weekday = (np.arange(len(self.is_work)) + self.first_day + 3) % 7
        # A run of rest days holding a holiday, closed day or notice's rest day is a break (放假):
        # all of it stays closed, its weekend days too (which a country's data need not name)
        rest = ~self.is_work
        run = np.cumsum(rest & ~np.concatenate([[False], rest[:-1]]))  # each rest run's number
        named = np.zeros(len(rest), dtype=bool)
        for day, info in self._reasons.items():
            if not info.working and self.first_day <= day <= self.last_day:
                named[day - self.first_day] = True
        in_break = np.zeros(int(run.max()) + 1, dtype=bool)
        in_break[run[named]] = True
        ordinary_rest = rest & ~in_break[run]
        rest_open = ordinary_rest & np.isin(weekday, [d for d, _ in self.spec.rest_day_hours])
        if not rest_open.any():
            return
        self.is_open = self.is_work | rest_open
        self.open_cum = np.concatenate([[0], np.cumsum(self.is_open, dtype=np.int64)])
        self.open_days = np.flatnonzero(self.is_open).astype(np.int64) + self.first_day
        legal = self.office_working = self.is_work[self.open_days - self.first_day]
        self.office_of = np.flatnonzero(legal).astype(np.int64)
        # working days before each office day, plus one on an open rest day (the one after it)
        self.legal_of = np.arange(len(legal), dtype=np.int64) - np.cumsum(~legal) + ~legal

    def office_days_before(self, days) -> np.ndarray:
        """Office days strictly before each epoch day: the index of the first office day on or
        after it (`working_days_before` on the office axis)."""
        days = np.asarray(days)
        self.check_range(days - (days == self.last_day + 1))
        return self.open_cum[days - self.first_day]

    def is_open_day_array(self, days) -> np.ndarray:
        """Whether the office opens on each epoch day (a working day, or an open rest day)."""
        days = np.asarray(days)
        self.check_range(days)
        return self.is_open[days - self.first_day]

    def on_open_rest_day(self, minutes) -> np.ndarray:
        """Whether each wall instant falls on a rest day the office opens."""
        days = np.floor(np.asarray(minutes, dtype=np.float64) / MINUTES_PER_DAY).astype(np.int64)
        self.check_range(days)
        index = days - self.first_day
        return self.is_open[index] & ~self.is_work[index]

    def opens_on_rest_day(self, minutes) -> np.ndarray:
        """Whether the office's next opening at or after each wall instant (the instant itself
        within office hours) falls on a rest day the office opens: `on_open_rest_day` of
        `to_wall_array(to_business_array(minutes), side="right")`, looked up from each day's
        last close; days whose clocks change, and instants outside the table, take that path."""
        minutes = np.asarray(minutes, dtype=np.float64)
        i, in_day, exact = self._table_rows(minutes)
        o = self.open_cum[i] + (in_day >= self._lookup()["open_close"][i])
        out = ~self.office_working[np.minimum(o, len(self.open_days) - 1)]
        if exact.any():
            moved = self.to_wall_array(self.to_business_array(minutes[exact]), side="right")
            out[exact] = self.on_open_rest_day(moved)
        return out

    @property
    def rest_days_open(self) -> bool:
        """Whether the office opens on some rest days (the office and legal axes differ)."""
        return self.open_days is not self.work_days

    def _build_office_hours(self) -> None:
        """One profile per distinct set of office intervals; each office day points to one."""
        profiles: list[tuple[tuple[int, int], ...]] = [self.spec.default_hours]
        open_days = self.open_days
        profile_of = np.zeros(len(open_days), dtype=np.int64)
        legal = self.office_working
        # a weekday's own hours on its ordinary working days; a make-up working day (调休, worked
        # as a weekday) or a local working day keeps the default hours; dated periods then win
        # on working days; an open rest day has its weekday's rest-day hours
        if self.spec.weekday_hours:
            weekday = (open_days + 3) % 7
            named = [d for d, info in self._reasons.items() if info.working]
            ordinary = legal & ~np.isin(open_days, np.array(named, dtype=np.int64))
            for day, hours in self.spec.weekday_hours:
                hours = tuple(tuple(pair) for pair in hours)
                if hours not in profiles:
                    profiles.append(hours)
                profile_of[(weekday == day) & ordinary] = profiles.index(hours)
        dates = [day_to_date(d) for d in open_days] if self.spec.periods else []
        for period in self.spec.periods:
            hours = tuple(
                (int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:]))
                for a, b in period.hours
            )
            if hours not in profiles:
                profiles.append(hours)
            index = profiles.index(hours)
            mask = np.fromiter((period.covers(d) for d in dates), dtype=bool, count=len(dates))
            profile_of[mask & legal] = index
        if self.rest_days_open:
            weekday = (open_days + 3) % 7
            for day, hours in self.spec.rest_day_hours:
                hours = tuple(tuple(pair) for pair in hours)
                if hours not in profiles:
                    profiles.append(hours)
                profile_of[(weekday == day) & ~legal] = profiles.index(hours)
        width = max(len(p) for p in profiles)
        self._opens = np.zeros((len(profiles), width))
        self._closes = np.zeros((len(profiles), width))
        for i, profile in enumerate(profiles):
            for j, (a, b) in enumerate(profile):
                self._opens[i, j], self._closes[i, j] = a, b
            for j in range(len(profile), width):  # padding: empty intervals at the day's close
                self._opens[i, j] = self._closes[i, j] = profile[-1][1]
        self._lengths = self._closes - self._opens
        self._cumlen = np.cumsum(self._lengths, axis=1)
        self.profile_of = profile_of
        self.day_minutes = self._cumlen[profile_of, -1]
        self._build_changing_days()
        self.bm_start = np.concatenate([[0.0], np.cumsum(self.day_minutes)])

    def _build_changing_days(self) -> None:
        """Office days whose UTC offset changes (daylight saving): their office intervals in real
        minutes, `_real[k] = (UTC opens, real lengths)`, and their real length in `day_minutes`. An
        interval runs from its opening's first occurrence to its close's last (`zone`)."""
        changing = zone.changing_days(self.first_day, len(self.is_work), self.tz)
        self._changing = np.zeros(len(self.is_work), dtype=bool)
        self._changing[changing] = True
        self._changing_k = np.zeros(len(self.open_days), dtype=bool)
        self._real: dict[int, tuple[list[float], list[float]]] = {}
        for index in changing[self.is_open[changing]]:
            k = int(self.open_cum[index])
            base = (self.first_day + int(index)) * MINUTES_PER_DAY
            opens, lengths, reach = [], [], -math.inf
            for a, b in zip(self._opens[self.profile_of[k]], self._closes[self.profile_of[k]]):
                start = max(zone.utc_bound(base + a, self.tz, 0), reach)
                end = zone.utc_bound(base + b, self.tz, 1) if b > a else start
                opens.append(start)
                lengths.append(max(end - start, 0.0))
                reach = max(reach, end)
            self._real[k] = (opens, lengths)
            self._changing_k[k] = True
            self.day_minutes[k] = sum(lengths)

    # ---------------------------------------------------------------- coverage
    @property
    def coverage(self) -> tuple[int, int | None]:
        """Years whose official data is loaded: (first_year, published_through or None = unlimited)."""
        return self.spec.first_year, self.spec.published_through

    def is_provisional(self, days) -> np.ndarray | bool:
        """True where an epoch day lies outside the published years."""
        days = np.asarray(days)
        first = date_to_day(dt.date(self.spec.first_year, 1, 1))
        out = days < first
        if self.spec.published_through is not None:
            out = out | (days > date_to_day(dt.date(self.spec.published_through, 12, 31)))
        return out if out.ndim else bool(out)

    def check_range(self, days, *, field: str = "date") -> None:
        """Raise a located error if any epoch day lies outside the calendar's table."""
        days = np.asarray(days)
        if days.size and (days.min() < self.first_day or days.max() > self.last_day):
            bad = days[(days < self.first_day) | (days > self.last_day)].flat[0]
            raise SlasimError(
                "{day} is outside the table of calendar {name} ({first} to {last})",
                field=field,
                day=str(day_to_date(bad)),
                name=repr(self.name),
                first=str(day_to_date(self.first_day)),
                last=str(day_to_date(self.last_day)),
            )

    def provisional_warning(self, days, *, strict: bool = False) -> str | None:
        """A warning line if any day is provisional; with `strict`, a `ProvisionalError` instead."""
        days = np.atleast_1d(np.asarray(days))
        flags = np.atleast_1d(self.is_provisional(days))
        if not flags.any():
            return None
        first = day_to_date(days[flags].min())
        last = day_to_date(days[flags].max())
        span = (
            f"{first}"
            if first == last
            else Text("{first}..{last}", first=str(first), last=str(last))
        )
        message = N_(
            "provisional: {span} lies outside the published years of calendar {name} "
            "({first}–{last}); holidays and make-up workdays there are not from an official notice"
        )
        params = {
            "span": span,
            "name": repr(self.name),
            "first": self.spec.first_year,
            "last": self.spec.published_through,
        }
        if strict:
            raise ProvisionalError(message, field="calendar", **params)
        return Text(message, **params)

    # ---------------------------------------------------------------- days (arrays of epoch days)
    def working_days_before(self, days: np.ndarray) -> np.ndarray:
        """Working days strictly before each day (days may be one past the table end)."""
        self.check_range(np.asarray(days) - (np.asarray(days) == self.last_day + 1))
        return self.cum[np.asarray(days) - self.first_day]

    def _work_day(self, k: np.ndarray) -> np.ndarray:
        k = np.asarray(k)
        if k.size and (k.min() < 0 or k.max() >= len(self.work_days)):
            raise SlasimError(
                "result falls outside the table of calendar {name} ({first} to {last})",
                name=repr(self.name),
                first=str(day_to_date(self.first_day)),
                last=str(day_to_date(self.last_day)),
            )
        return self.work_days[k]

    def is_working_day_array(self, days) -> np.ndarray:
        """Whether each epoch day is a working day."""
        days = np.asarray(days)
        self.check_range(days)
        return self.is_work[days - self.first_day]

    def next_working_day_array(self, days, *, strict: bool = False) -> np.ndarray:
        """First working day on or after each day (strictly after if `strict`)."""
        days = np.asarray(days)
        return self._work_day(self.working_days_before(days + 1 if strict else days))

    def previous_working_day_array(self, days, *, strict: bool = False) -> np.ndarray:
        """Last working day on or before each day (strictly before if `strict`)."""
        days = np.asarray(days)
        return self._work_day(self.working_days_before(days if strict else days + 1) - 1)

    def add_working_days_array(self, days, n) -> np.ndarray:
        """The n-th working day after each day (the day itself never counts, 民法典 Art. 201).
        n = 0 gives the day itself or the next working day; n < 0 counts backwards."""
        days, n = np.asarray(days), np.asarray(n)
        after = self.working_days_before(days + 1)
        before = self.working_days_before(days)
        k = np.where(n > 0, after + n - 1, np.where(n == 0, before, after + n - (after - before)))
        return self._work_day(k)

    def count_working_days_array(self, start, end) -> np.ndarray:
        """Working days in (start, end]: start excluded, end included (so it inverts add_working_days)."""
        return self.working_days_before(np.asarray(end) + 1) - self.working_days_before(
            np.asarray(start) + 1
        )

    # ---------------------------------------------------------------- business time (wall minutes)
    def to_business_array(self, minutes, fold=None) -> np.ndarray:
        """Business minutes (office minutes since the table's first office day) at wall instants;
        `fold` (0 or 1 per instant, default 0) picks the occurrence of a repeated local time."""
        minutes = np.asarray(minutes, dtype=np.float64)
        days = np.floor(minutes / MINUTES_PER_DAY).astype(np.int64)
        # Every instant must lie on a table day: `working_days_before` accepts the day after the
        # table, which has no office hours to look up here.
        self.check_range(days)
        k = self.open_cum[days - self.first_day]
        in_day = minutes - days * MINUTES_PER_DAY
        working = self.is_open[days - self.first_day]
        kk = np.minimum(k, len(self.open_days) - 1)
        profile = self.profile_of[kk]
        if self._opens.shape[1] == 1:  # one interval a day: its clip is the sum (±0.0 alike)
            within = np.minimum(
                np.maximum(in_day - self._opens[profile, 0], 0.0), self._lengths[profile, 0]
            )
        else:
            within = np.clip(
                in_day[..., None] - self._opens[profile], 0.0, self._lengths[profile]
            ).sum(axis=-1)
        out = self.bm_start[k] + np.where(working, within, 0.0)
        if self._real:
            out = self._real_business(out, minutes, days, k, working, fold)
        return out

    def _real_business(self, out, minutes, days, k, working, fold) -> np.ndarray:
        """`to_business_array` again, in real minutes, for the instants on days whose clocks change."""
        fix = np.ravel(working & self._changing[days - self.first_day])
        if not fix.any():
            return out
        result = np.array(out, dtype=np.float64).reshape(-1)
        walls, ks = np.ravel(minutes), np.ravel(k)
        folds = np.ravel(np.broadcast_to(0 if fold is None else fold, np.shape(minutes)))
        for i in np.flatnonzero(fix):
            opens, lengths = self._real[int(ks[i])]
            real = zone.utc_minutes(walls[i], self.tz, int(folds[i]))
            within = sum(min(max(real - a, 0.0), n) for a, n in zip(opens, lengths))
            result[i] = self.bm_start[ks[i]] + within
        return result.reshape(np.shape(out))

    def _real_wall(self, out, b, k, side: str) -> np.ndarray:
        """`to_wall_array` again for the business instants on days whose clocks change: the real
        instant that far into the day's office intervals, in local time (`zone`)."""
        fix = np.ravel(self._changing_k[k])
        if not fix.any():
            return out
        result = np.array(out, dtype=np.float64).reshape(-1)
        bs, ks = np.ravel(b), np.ravel(k)
        for i in np.flatnonzero(fix):
            opens, lengths = self._real[int(ks[i])]
            rem, before = bs[i] - self.bm_start[ks[i]], 0.0
            j = 0
            while j < len(opens) - 1 and (
                rem > before + lengths[j] if side == "left" else rem >= before + lengths[j]
            ):
                before += lengths[j]
                j += 1
            result[i] = zone.local_minutes(opens[j] + (rem - before), self.tz)[0]
        return result.reshape(np.shape(out))

    def fold_at(self, business: float) -> int:
        """1 if the wall instant at a business time is the second occurrence of a repeated local
        time (the hour clocks go back), else 0."""
        k = int(np.searchsorted(self.bm_start, business, side="right") - 1)
        if not (0 <= k < len(self.open_days) and self._changing_k[k]):
            return 0
        wall = float(self.to_wall_array(business))
        return int(self.to_business_array(wall, fold=0) < business)

    def __getstate__(self) -> dict:
        """Pickled without the lookup tables (workers build their own on first use)."""
        state = dict(self.__dict__)
        state.pop("_tables", None)
        return state

    # ---------------------------------------------------------------- lookup tables
    def _lookup(self) -> dict:
        """Tables that turn the clock's frequent questions into array lookups, built once from the
        exact conversions below (so a lookup returns the very double they compute):
          - `first[i]`: the office day holding business minute `i / scale`, and `next_start[i]`
            the start of the office day after it (NaN past the table: no instant compares past
            it); `1 / scale` is a power of two at most half the shortest working day, so an
            instant's bucket is exact (a scaling, no rounding) and holds at most one start of a
            working day: its day is `first` of the bucket, or the next from that start on
            (`day_of_business`);
          - `close[e]`: wall instant of whole working-day position e (0 ≤ e ≤ working days): the
            close of working day e - 1, earliest side (`to_wall_array(side="left")`);
          - `last_close[i]`: the local time a working table day's office hours end (inf on rest
            days), `safe[i]`: its clocks do not change;
          - the terms `to_wall_array` adds up, per working day and office interval."""
        tables = getattr(self, "_tables", None)
        if tables is None:
            nwd = len(self.open_days)
            scale, buckets = 0.0, 0  # without a table: `searchsorted`
            if np.all(self.day_minutes > 0):
                scale = 2.0 ** -math.floor(math.log2(float(self.day_minutes.min()) / 2.0))
                buckets = int(self.bm_start[-1] * scale) + 2  # the last one wholly past the end
            if buckets > 64 * (nwd + 1):  # a few very short days
                scale, buckets = 0.0, 0
            first = np.searchsorted(self.bm_start, np.arange(buckets) / scale, "right") - 1
            last_close = np.full(len(self.is_work), np.inf)  # an open rest day's position is flat
            last_close[self.is_work] = self._closes[self._legal_profile()].max(axis=1)
            tables = self._tables = {
                "scale": scale,
                "buckets": buckets,
                "top": float(self.bm_start[-1]),
                "first": first.astype(np.intp),
                "next_start": np.append(self.bm_start, np.nan)[first + 1],
                "last_close": last_close,
                # the local time each office day's hours end (inf on a closed day)
                "open_close": np.where(
                    self.is_open,
                    np.append(self._closes[self.profile_of].max(axis=1), np.inf)[
                        np.minimum(self.open_cum[:-1], len(self.open_days))
                    ],
                    np.inf,
                ),
                "safe": ~self._changing,
                # wall instants as `to_wall_array` sums them: the day's midnight, an interval's
                # opening and the office minutes before it (flat: profile * width + interval)
                "day_wall": (self.open_days * MINUTES_PER_DAY).astype(np.float64),
                "opens": self._opens.ravel(),
                "before": (self._cumlen - self._lengths).ravel(),
            }
            tables["day_open"] = tables["day_wall"] + self._opens[self.profile_of, 0]
            positions = np.arange(len(self.work_days) + 1, dtype=np.float64)  # buckets are in
            tables["close"] = self.to_wall_array(
                self.day_position_to_business(positions), side="left"
            )
        return tables

    def day_of_business(self, business) -> np.ndarray:
        """Office day holding each business instant, an index into `open_days` (the working day,
        into `work_days`, only where no rest day opens: `legal_of` maps it):
        `searchsorted(bm_start, b, "right") - 1` (-1 before the table, the number of office days
        past it, NaN counted past it), by a bucket lookup and one step instead of a binary
        search."""
        b = np.asarray(business, dtype=np.float64)
        t = self._lookup()
        if not t["buckets"]:
            return np.searchsorted(self.bm_start, b, side="right") - 1
        first, next_start = t["first"], t["next_start"]
        if b.size and b.min() >= 0.0 and b.max() < t["top"]:  # all inside the table (no NaN)
            q = (b * t["scale"]).astype(np.intp)
            return first[q] + (b >= next_start[q])
        q = np.fmin(b * t["scale"], t["buckets"] - 1)  # NaN and inf: the last bucket, past the end
        q = np.fmax(q, 0).astype(np.intp)
        return first[q] + (b >= next_start[q]) - (b < 0.0)

    def working_day_floor(self, minutes) -> np.ndarray:
        """`floor(business_to_day_position(to_business_array(minutes)))`: the index of the working
        day an instant falls in (of the next one, outside office hours), as a float. Looked up from
        the day's table row; instants on days whose clocks change, within 1e-4 minutes of a close
        (where the division could round up) or outside the table take the exact path."""
        minutes = np.asarray(minutes, dtype=np.float64)
        i, in_day, exact = self._table_rows(minutes)
        close = self._lookup()["last_close"][i]
        out = self.cum[i] + (in_day >= close)
        exact = exact | (np.abs(in_day - close) < 1e-4)
        if exact.any():
            out = out.astype(np.float64)
            out[exact] = np.floor(
                self.business_to_day_position(self.to_business_array(minutes[exact]))
            )
            return out
        return out.astype(np.float64)

    def _table_rows(self, minutes: np.ndarray) -> tuple:
        """For wall instants looked up by table day: each one's row in the table (0 outside it),
        its minutes into the day, and where the lookup cannot answer (outside the table, or a
        day whose clocks change)."""
        days = np.floor(minutes / MINUTES_PER_DAY)
        index = days - self.first_day
        inside = (index >= 0) & (index < len(self.is_work))
        i = np.where(inside, index, 0).astype(np.intp)
        return i, minutes - days * MINUTES_PER_DAY, ~inside | ~self._lookup()["safe"][i]

    def close_of_position(self, position) -> np.ndarray:
        """Wall instants of working-day positions, earliest side: `to_wall_array(
        day_position_to_business(position), side="left")`, looked up for whole positions within
        the table (the close of the day before) and computed for the rest."""
        p = np.asarray(position, dtype=np.float64)
        close = self._lookup()["close"]
        whole = (p == np.floor(p)) & (p >= 0) & (p <= len(close) - 1)
        if whole.all():
            return close[p.astype(np.intp)]
        out = np.empty(p.shape)
        out[whole] = close[p[whole].astype(np.intp)]
        rest = ~whole
        out[rest] = self.to_wall_array(self.day_position_to_business(p[rest]), side="left")
        return out

    def to_wall_array(self, business, *, side: str = "left") -> np.ndarray:
        """Wall minutes at business minutes. `left`: earliest instant (a close, 17:30); `right`:
        latest (the next opening, 09:00). Inside office hours both agree."""
        b = np.asarray(business, dtype=np.float64)
        whole = np.floor(b)
        frac = b - whole
        # A fractional minute lies strictly inside an office interval: take the right side of its
        # floor.
        k = self.day_of_business(whole)
        if side == "left":  # a whole minute at a day's start belongs to the previous day's close
            at_start = (frac == 0) & (self.bm_start[np.maximum(k, 0)] == whole)
            k = k - at_start
        if k.size and (k.max() >= len(self.open_days) or whole.min() < 0):
            raise SlasimError(
                "business time outside the table of calendar {name}", name=repr(self.name)
            )
        k = np.maximum(k, 0)
        rem = whole - self.bm_start[k]
        t = self._lookup()
        width = self._cumlen.shape[1]
        if width == 1:  # one interval a day: its opening, no office minutes before it
            out = t["day_open"][k] + rem + frac
            return self._real_wall(out, b, k, side) if self._real else out
        # j: the office interval holding `rem` minutes of the day (a close counts to its interval
        # on the left side, unless a fraction of a minute follows); one flat index per instant.
        profile = self.profile_of[k]
        j = 0
        for column in range(width):
            cum = self._cumlen[profile, column]
            j = j + (np.where(frac > 0, rem >= cum, rem > cum) if side == "left" else rem >= cum)
        flat = profile * width + np.minimum(j, width - 1)
        out = t["day_wall"][k] + t["opens"][flat] + (rem - t["before"][flat]) + frac
        return self._real_wall(out, b, k, side) if self._real else out

    def business_to_day_position(self, business, days=None) -> np.ndarray:
        """Working-day axis: k + fraction of working day k's office minutes elapsed; `days`: the
        instants' `day_of_business` if known. An instant on an open rest day holds the position
        of the working day after it (flat: no legal time passes there)."""
        b = np.asarray(business, dtype=np.float64)
        k = self.day_of_business(b) if days is None else days
        if self.rest_days_open:
            o = np.minimum(np.maximum(k, 0), len(self.open_days) - 1)
            legal = self.legal_of[o]
            k = np.minimum(legal, len(self.work_days) - 1)
            working = self.office_working[o]
            elapsed = np.where(working, (b - self.bm_start[o]) / self.day_minutes[o], 0.0)
            return k + np.where(legal > k, 1.0, elapsed)
        k = np.minimum(np.maximum(k, 0), len(self.work_days) - 1)
        return k + (b - self.bm_start[k]) / self.day_minutes[k]

    def day_position_to_business(self, position, *, side: str = "left") -> np.ndarray:
        """Business minutes at working-day positions (inverse of `business_to_day_position`). A
        whole position after open rest days spans their minutes: `left` gives the earliest, the
        close of the working day before (a limit ending there expires then, not on the rest
        day), `right` the working day's start."""
        p = np.asarray(position, dtype=np.float64)
        k = np.minimum(np.maximum(np.floor(p).astype(np.int64), 0), len(self.work_days) - 1)
        if self.rest_days_open:
            return self._legal_to_business(k, p - k, self.day_minutes, side)
        return self.bm_start[k] + (p - k) * self.day_minutes[k]

    def _legal_to_business(self, k, part, per, side: str) -> np.ndarray:
        """Business minutes `part` into working day k (`per`: what a unit of `part` weighs, per
        office day); at a working day's start, on the `left` side, the close of the one before."""
        o = self.office_of[k]
        start = self.bm_start[o]
        if side == "left":
            after = self.office_of[np.maximum(k - 1, 0)] + 1  # the office day after the one before
            start = np.where((part == 0) & (k > 0), self.bm_start[after], start)
        return start + part * (per[o] if per is not None else 1.0)

    def to_working_minutes(self, business) -> np.ndarray:
        """The axis hour limits count on (`wh`): business minutes less the minutes of the open
        rest days before them (flat on an open rest day, at the next working day's start); the
        business minutes themselves where no rest day opens."""
        b = np.asarray(business, dtype=np.float64)
        if not self.rest_days_open:
            return b
        o = np.minimum(np.maximum(self.day_of_business(b), 0), len(self.open_days) - 1)
        rest = self._rest_minutes_before()
        return np.where(self.office_working[o], b, self.bm_start[o]) - rest[o]

    def from_working_minutes(self, minutes, *, side: str = "left") -> np.ndarray:
        """Business minutes at working minutes (inverse of `to_working_minutes`; `side` as in
        `day_position_to_business` at a working day's start after open rest days)."""
        m = np.asarray(minutes, dtype=np.float64)
        if not self.rest_days_open:
            return m
        rest = self._rest_minutes_before()
        starts = self.bm_start[self.office_of] - rest[self.office_of]
        k = np.maximum(np.searchsorted(starts, m, side="right") - 1, 0)
        return self._legal_to_business(k, m - starts[k], None, side)

    def _rest_minutes_before(self) -> np.ndarray:
        """Office minutes of the open rest days before each office day."""
        rest = getattr(self, "_rest_before", None)
        if rest is None:
            minutes = np.where(self.office_working, 0.0, self.day_minutes)
            rest = self._rest_before = np.concatenate([[0.0], np.cumsum(minutes)])
        return rest

    def _legal_profile(self) -> np.ndarray:
        """The office-hour profile of each working day."""
        return self.profile_of[self.office_of] if self.rest_days_open else self.profile_of

    @cached_property  # asked on every simulated delay in working days
    def delay_day(self) -> float | None:
        """The office minutes a working day weighs in delays, on a calendar with office hours by
        weekday: the default day's (a delay of k working days is k times that many office
        minutes, so a short Saturday or Sunday counts as the part of a day its hours are); None
        elsewhere (every working day counts as one whole day)."""
        if not self.spec.weekday_hours:
            return None
        return float(sum(b - a for a, b in self.spec.default_hours))

    def delay_position(self, business) -> np.ndarray:
        """Working days on the axis delays are counted on (`business_after` in wd): the
        day-position axis, or office minutes over `delay_day` on a calendar with weekday hours."""
        if self.delay_day is None:
            return self.business_to_day_position(business)
        return self.to_working_minutes(business) / self.delay_day

    def business_after(self, business, amount, unit: str) -> np.ndarray:
        """Business instants `amount` of `unit` after `business`: office minutes (min, h), working days
        on the day-position axis (wd), or natural days through the wall clock (d; an end outside office
        hours is reached at the next opening)."""
        b = np.asarray(business, dtype=np.float64)
        amount = np.asarray(amount, dtype=np.float64)
        if unit == "min":
            return b + amount
        if unit == "h":
            return b + amount * 60.0
        if unit == "wd" and self.delay_day is not None:  # open rest days' minutes left out
            after = self.from_working_minutes(self.to_working_minutes(b) + amount * self.delay_day)
        elif unit == "wd":
            after = self.day_position_to_business(self.business_to_day_position(b) + amount)
        else:
            after = self.to_business_array(
                self.to_wall_array(b, side="left") + amount * MINUTES_PER_DAY
            )
        # Round-off in the conversions can land a hair before `b` for a zero amount: time never
        # runs backwards for a wait of zero or more.
        return np.where(amount >= 0, np.maximum(after, b), after)

    @property
    def clocks_change(self) -> bool:
        """Whether any day of the table has its clocks changed (daylight saving)."""
        return bool(self._changing.any())

    def business_after_one(self, business: float, amount: float, unit: str) -> float:
        """`business_after` for one instant in plain Python, for engines that wait one case at a
        time: the same operations in the same order on the same doubles, so the same result
        (tests/test_calendars.py), at a fraction of numpy's cost per call. Instants outside the
        table take the array path, which says so."""
        if unit == "min":
            return business + amount
        if unit == "h":
            return business + amount * 60.0
        if unit == "wd" and self.delay_day is not None and self.rest_days_open:
            return float(self.business_after(business, amount, unit))
        if unit == "wd" and self.delay_day is not None:
            after = business + amount * self.delay_day
            return max(after, business) if amount >= 0 else after
        if unit == "wd":
            return self.working_days_after_one(business, amount)
        after = self._days_after_one(business, amount)  # natural days
        if after is None:  # outside the table, or a day whose clocks change
            return float(self.business_after(business, amount, unit))
        return max(after, business) if amount >= 0 else after

    def working_days_after_one(self, business: float, amount: float) -> float:
        """The business instant `amount` working days after `business`, each day counted whole
        whatever its office minutes (a horizon or a count of days; a simulated delay in working
        days weighs short days instead, `business_after_one`)."""
        if self.rest_days_open:  # positions through the office axis: the array path
            position = self.business_to_day_position(business) + amount
            after = float(self.day_position_to_business(position))
            return max(after, business) if amount >= 0 else after
        t = self._scalar_tables()
        bm, last, minutes = t["bm"], len(t["open_days"]) - 1, t["day_minutes"]
        k = bisect.bisect_right(bm, business) - 1
        k = 0 if k < 0 else last if k > last else k
        position = k + (business - bm[k]) / minutes[k] + amount
        k = math.floor(position)
        k = 0 if k < 0 else last if k > last else k
        after = bm[k] + (position - k) * minutes[k]
        return max(after, business) if amount >= 0 else after

    def _days_after_one(self, business: float, amount: float) -> float | None:
        """`to_wall_array(side="left")` of a business instant, `amount` natural days later, then
        `to_business_array`, for one instant in one call from tables made for it (`_days_tables`):
        the same operations on the same doubles (None: outside the table, or a day whose clocks
        change)."""
        days = getattr(self, "_days", None)
        if days is None:
            days = self._days_tables()
        bm, walls, shapes, first, last, on_day, before_day = days
        whole = math.floor(business)
        frac = business - whole
        k = bisect.bisect_right(bm, whole) - 1
        if frac == 0 and bm[k if k > 0 else 0] == whole:
            k -= 1  # a whole minute at a day's start belongs to the previous day's close
        if k >= len(walls) or whole < 0:
            return None
        if k < 0:
            k = 0
        shape = shapes[k]
        if shape is None:  # its clocks change
            return None
        rem = whole - bm[k]
        cum, before, opens = shape
        # the office interval holding `rem`: a count over the sorted closes, as `to_wall_array`
        j = bisect.bisect_left(cum, rem) if frac == 0 else bisect.bisect_right(cum, rem)
        if j >= len(cum):
            j = len(cum) - 1
        minutes = walls[k] + opens[j] + (rem - before[j]) + frac + amount * MINUTES_PER_DAY
        day = math.floor(minutes / MINUTES_PER_DAY)
        if not first <= day <= last:
            return None
        intervals = on_day[day - first]
        if intervals is None:  # its clocks change
            return None
        k = before_day[day - first]
        if not intervals:  # a rest day: the next opening
            return bm[k] + 0.0
        in_day = minutes - day * MINUTES_PER_DAY
        within = -0.0  # numpy's sum of a short row: in order, from -0.0
        for start, length in intervals:
            within += min(max(in_day - start, 0.0), length)
        return bm[k] + within

    def _days_tables(self) -> tuple:
        """What `_days_after_one` reads: business minutes before each office day; each office
        day's midnight in wall minutes and its office intervals' (closes counted from the day's
        office start, office minutes before each, openings), None where clocks change; per table
        day its office intervals' (opening, length) pairs (none on a closed day), None where
        clocks change; and per table day the office days before it."""
        t = self._scalar_tables()
        shapes = []
        for cum, lengths, opens in zip(t["cumlen"], t["lengths"], t["opens"]):
            before = tuple(c - n for c, n in zip(cum, lengths))
            shapes.append((tuple(cum), before, tuple(opens)))
        intervals = [tuple(zip(o, n)) for o, n in zip(t["opens"], t["lengths"])]
        last_k = len(t["open_days"]) - 1
        per_work_day = [
            None if changing else shapes[p] for p, changing in zip(t["profile_of"], t["changing_k"])
        ]
        per_day = [
            None if changing else intervals[t["profile_of"][min(k, last_k)]] if working else ()
            for k, working, changing in zip(t["open_cum"], t["is_open"], t["changing"])
        ]
        self._days = (
            t["bm"],
            [d * MINUTES_PER_DAY for d in t["open_days"]],
            per_work_day,
            self.first_day,
            self.last_day,
            per_day,
            t["open_cum"],
        )
        return self._days

    def _scalar_tables(self) -> dict:
        tables = getattr(self, "_scalar", None)
        if tables is None:
            tables = self._scalar = {
                "bm": self.bm_start.tolist(),
                "day_minutes": self.day_minutes.tolist(),
                "open_days": self.open_days.astype(np.int64).tolist(),
                "profile_of": self.profile_of.tolist(),
                "opens": self._opens.tolist(),
                "lengths": self._lengths.tolist(),
                "cumlen": self._cumlen.tolist(),
                "is_open": self.is_open.tolist(),
                "open_cum": self.open_cum.tolist(),
                "changing": self._changing.tolist(),
                "changing_k": self._changing_k.tolist(),
            }
        return tables

    def opening_array(self, days) -> np.ndarray:
        """Wall minutes of the opening of each office day (of the next one, on a closed day)."""
        k = self.office_days_before(np.asarray(days))
        return self.to_wall_array(self.bm_start[k], side="right")

    # ---------------------------------------------------------------- scalar API
    def is_working_day(self, day: dt.date) -> bool:
        """Whether a date is a working day."""
        return bool(self.is_working_day_array(date_to_day(day)))

    def next_working_day(self, day: dt.date, *, strict: bool = False) -> dt.date:
        """First working day on or after a date (strictly after if `strict`)."""
        return day_to_date(self.next_working_day_array(date_to_day(day), strict=strict))

    def previous_working_day(self, day: dt.date, *, strict: bool = False) -> dt.date:
        """Last working day on or before a date (strictly before if `strict`)."""
        return day_to_date(self.previous_working_day_array(date_to_day(day), strict=strict))

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after a date (the date itself never counts)."""
        return day_to_date(self.add_working_days_array(date_to_day(day), n))

    def count_working_days(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: start excluded, end included."""
        return int(self.count_working_days_array(date_to_day(start), date_to_day(end)))

    def minutes(self, t: dt.datetime | dt.date) -> float:
        """Wall minutes of a date or datetime in this calendar's time zone."""
        return datetime_to_minutes(t, self.tz)

    def input_minutes(
        self, t: dt.datetime | dt.date, *, field: str = "time", source: str | None = None
    ) -> float:
        """Wall minutes of an instant a user gave, refused (located) when a naive local time does
        not exist (a skipped hour), or when an instant with an offset is the second occurrence of
        a repeated local time while the office is open then (wall minutes name the first)."""
        if isinstance(t, dt.datetime):
            zone.check_local(t, self.tz, field=field, source=source)
        wall = self.minutes(t)
        if isinstance(t, dt.datetime) and t.tzinfo is not None and t.astimezone(self.tz).fold:
            day = int(wall // MINUTES_PER_DAY)
            if self.first_day <= day <= self.last_day and float(
                self.to_business_array(wall, fold=0)
            ) != float(self.to_business_array(wall, fold=1)):
                raise SlasimError(
                    "{time} is the second {clock} of the hour repeated in {zone} that day, in "
                    "office hours of calendar {name}: slasim reads local times there as their "
                    "first occurrence, so it cannot take this one",
                    source=source,
                    field=field,
                    time=t.isoformat(),
                    clock=minutes_to_iso(wall)[11:],
                    zone=self.tz.key,
                    name=repr(self.name),
                )
        return wall

    def skipped(self, walls) -> np.ndarray:
        """Where wall instants name a local time the zone skips (clocks going forward): such a
        time was given naive, since one converted from an offset always exists."""
        return self._local_kind_is(walls, "gap")

    def repeated(self, walls) -> np.ndarray:
        """Where wall instants name a local time that occurs twice (clocks going back)."""
        return self._local_kind_is(walls, "repeat")

    def _local_kind_is(self, walls, kind: str) -> np.ndarray:
        walls = np.asarray(walls, dtype=np.float64)
        out = np.zeros(walls.shape, dtype=bool)
        if not self._changing.any():
            return out
        finite = np.isfinite(walls)
        days = np.floor(np.where(finite, walls, 0.0) / MINUTES_PER_DAY).astype(np.int64)
        inside = finite & (days >= self.first_day) & (days <= self.last_day)
        near = inside & self._changing[np.clip(days - self.first_day, 0, len(self._changing) - 1)]
        for i in zip(*np.nonzero(near)):
            out[i] = zone.local_kind(float(walls[i]), self.tz) == kind
        return out

    def instant_text(self, wall: float, fold: int = 0) -> str:
        """ISO text of a wall instant; a local time that occurs twice (clocks going back) carries
        the UTC offset of the occurrence `fold` names (`2025-11-02T01:30-05:00`)."""
        text = minutes_to_iso(wall)
        if not np.isfinite(wall) or zone.local_kind(wall, self.tz) != "repeat":
            return text
        offset = int(zone.offset_minutes(wall, self.tz, fold))
        sign, offset = "-" if offset < 0 else "+", abs(offset)
        return f"{text}{sign}{offset // 60:02d}:{offset % 60:02d}"

    def to_business(self, t: dt.datetime | dt.date) -> float:
        """Business minutes at a wall instant (outside office hours: the next opening)."""
        return float(self.to_business_array(self.minutes(t)))

    def to_wall(self, business: float, *, side: str = "left") -> dt.datetime:
        """The wall datetime at business minutes (`side` as in `to_wall_array`)."""
        return minutes_to_datetime(float(self.to_wall_array(business, side=side)))

    def add_working_hours(self, t: dt.datetime, hours: float) -> dt.datetime:
        """The instant `hours` office hours after t (counted from t, or the next opening)."""
        return self.to_wall(self.to_business(t) + hours * 60.0, side="left")

    def day_info(self, day: dt.date) -> DayInfo:
        """Why a date is or is not a working day, with its name and source."""
        epoch_day = date_to_day(day)
        self.check_range(epoch_day)
        if epoch_day in self._reasons:
            return self._reasons[epoch_day]
        working = bool(self.is_work[self._index(epoch_day)])
        return DayInfo(day, working, "weekday" if working else "weekend")

    def shown_name(self, name: str) -> str:
        """A day's name (or kind) as shown in the chosen language: in Chinese, the calendar
        file's own Chinese name of a local day (`name_zh`), the `holidays` package's Chinese
        name of a holiday it names (zh_CN), else the translated message (slasim's own names,
        kinds), else the name as the calendar file writes it."""
        if current() == "zh" and not isinstance(name, Text):
            found = self._chinese_names().get(name)
            if found:
                return found
        return localized(name)

    def shown_title(self) -> str:
        """The calendar's title in the chosen language (its file's `title_zh` in Chinese)."""
        return self.spec.title_zh if current() == "zh" and self.spec.title_zh else self.spec.title

    def _chinese_names(self) -> dict[str, str]:
        if self._zh_names is None:
            spec = self.spec
            names = {}
            if spec.country:
                years = range(spec.first_year - 5, spec.last_year + 1)
                names = names_in(
                    spec.country, spec.subdivision, spec.language, years, spec.path, "zh_CN"
                )
            for day in (*spec.closed, *spec.working):
                if day.name_zh:
                    names[day.name] = day.name_zh
            self._zh_names = names
        return self._zh_names

    def special_days(self, year: int) -> list[DayInfo]:
        """Holidays, make-up workdays and local overrides of a year, in date order."""
        start, end = date_to_day(dt.date(year, 1, 1)), date_to_day(dt.date(year, 12, 31))
        return [self._reasons[d] for d in sorted(self._reasons) if start <= d <= end]

    def office_hours_on(self, day: dt.date) -> list[tuple[str, str]]:
        """Office intervals of a date as (`HH:MM`, `HH:MM`) pairs; none on a rest day the office
        does not open."""
        epoch_day = date_to_day(day)
        self.check_range(epoch_day)
        if not self.is_open[epoch_day - self.first_day]:
            return []
        profile = self.profile_of[self.open_cum[epoch_day - self.first_day]]
        return [
            (f"{int(a) // 60:02d}:{int(a) % 60:02d}", f"{int(b) // 60:02d}:{int(b) % 60:02d}")
            for a, b in zip(self._opens[profile], self._closes[profile])
            if b > a
        ]


@lru_cache(maxsize=32)
def _load(path: Path, versions: tuple) -> WorkCalendar:
    return WorkCalendar(resolve_spec(path))


def load_calendar(name_or_path: str | Path = "cn") -> WorkCalendar:
    """A calendar by shipped name (`cn`, `always`, …) or path to a `.toml` file; cached per file
    and rebuilt when the file, or a file it `extends`, changes (their modification times)."""
    path = find_calendar(str(name_or_path))
    return _load(path, chain_versions(path))
