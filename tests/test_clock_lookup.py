"""The clock's table lookups give the very instants today's arithmetic gives.

`WorkCalendar` answers the clock's frequent questions from tables (a business instant's working day,
the working day of an acceptance, the close of a whole working-day position). The oracle here is the
arithmetic they replace, kept in this file as it was: `searchsorted` on the business axis, the floor
of the working-day position, the close computed through `to_wall_array`. Every shipped calendar
(lunch breaks, dated hour profiles, 24/7 `always`, the clock changes of `nl`), a New York calendar
and the `[counting]` variants are checked: due instants, card crossings and counted time, with
pauses (open ones too), extensions and `wd`, `wh`, `d` limits, equal to the bit.
"""

from __future__ import annotations

import glob

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.cards import crossings, parse_ladder, presets
from slasim.clock.case_clock import ClockBatch, merge_intervals, reach_position
from slasim.io.errors import SlasimError

# The oracle is the one-axis arithmetic: a calendar whose office opens on rest days has two axes
# (office days and working days), and its clock is checked against cn's in test_rest_days_open.py.
SHIPPED = sorted(p for p in glob.glob("calendars/*.toml") if not load_calendar(p).rest_days_open)
VARIANTS = {
    "midnight": 'working_day_limit_ends = "midnight"',
    "day-counts": "acceptance_day_counts = true",
    "no-roll": "calendar_day_limit_rolls = false",
}


class Today:
    """A calendar answering through today's arithmetic (the oracle), everything else delegated."""

    def __init__(self, cal):
        self._cal = cal

    def __getattr__(self, name):
        return getattr(self._cal, name)

    def day_of_business(self, business):
        return np.searchsorted(self._cal.bm_start, business, side="right") - 1

    def business_to_day_position(self, business):
        c = self._cal
        b = np.asarray(business, dtype=np.float64)
        k = np.clip(np.searchsorted(c.bm_start, b, side="right") - 1, 0, len(c.work_days) - 1)
        return k + (b - c.bm_start[k]) / c.day_minutes[k]

    def to_wall_array(self, business, *, side: str = "left"):
        c = self._cal
        b = np.asarray(business, dtype=np.float64)
        whole = np.floor(b)
        frac = b - whole
        k = np.searchsorted(c.bm_start, whole, side="right") - 1
        if side == "left":
            at_start = (frac == 0) & (c.bm_start[np.maximum(k, 0)] == whole)
            k = k - at_start
        if k.size and (k.max() >= len(c.work_days) or whole.min() < 0):
            raise SlasimError(f"business time outside the table of calendar {c.name!r}")
        k = np.maximum(k, 0)
        rem = whole - c.bm_start[k]
        profile = c.profile_of[k]
        cum = c._cumlen[profile]
        if side == "left":
            j = (rem[..., None] > cum).sum(axis=-1) * (frac == 0) + (rem[..., None] >= cum).sum(
                axis=-1
            ) * (frac > 0)
        else:
            j = (rem[..., None] >= cum).sum(axis=-1)
        j = np.minimum(j, cum.shape[-1] - 1)
        before = (
            np.take_along_axis(cum, j[..., None], axis=-1)[..., 0]
            - np.take_along_axis(c._lengths[profile], j[..., None], axis=-1)[..., 0]
        )
        opens = np.take_along_axis(c._opens[profile], j[..., None], axis=-1)[..., 0]
        out = c.work_days[k] * MINUTES_PER_DAY + opens + (rem - before) + frac
        return c._real_wall(out, b, k, side) if c._real else out

    def working_day_floor(self, minutes):
        return np.floor(self.business_to_day_position(self._cal.to_business_array(minutes)))

    def close_of_position(self, position):
        return self.to_wall_array(self._cal.day_position_to_business(position), side="left")


def today_position(cal, unit, wall):
    if unit == "d":
        return np.asarray(wall, dtype=np.float64) / MINUTES_PER_DAY
    business = cal.to_business_array(wall)
    return business if unit == "wh" else cal.business_to_day_position(business)


def today_wall_at(cal, unit, pos):
    if unit == "d":
        return np.asarray(pos, dtype=np.float64) * MINUTES_PER_DAY
    business = pos if unit == "wh" else cal.day_position_to_business(pos)
    return cal.to_wall_array(business, side="left")


def today_start(cal, unit, accepted):
    if unit == "wh":
        return today_position(cal, unit, accepted)
    counts_today = cal.counting.acceptance_day_counts
    if unit == "d":
        return np.floor(accepted / MINUTES_PER_DAY) + (0 if counts_today else 1)
    return np.floor(today_position(cal, unit, accepted)) + (0 if counts_today else 1)


def today_end(cal, unit, end_pos):
    ends_at_midnight = cal.counting.working_day_limit_ends == "midnight"
    if unit == "wh":
        return today_wall_at(cal, unit, end_pos)
    if unit == "wd":
        close = today_wall_at(cal, unit, end_pos)
        if not ends_at_midnight:
            return close
        whole = end_pos == np.floor(end_pos)
        return np.where(whole, (np.floor(close / MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY, close)
    last_day = np.ceil(end_pos).astype(np.int64) - 1
    if cal.counting.calendar_day_limit_rolls:
        last_day = cal.next_working_day_array(last_day)
    if ends_at_midnight or not cal.counting.calendar_day_limit_rolls:
        return (last_day + 1.0) * MINUTES_PER_DAY
    working = cal.is_working_day_array(last_day)
    k = cal.working_days_before(last_day)
    close = cal.to_wall_array(cal.bm_start[k + working], side="left")
    return np.where(working, close, (last_day + 1.0) * MINUTES_PER_DAY)


def today_due(cal, unit, accepted, total, pauses):
    """ClockBatch.due() as it was: start, pauses merged on the limit's axis, end, expiry."""
    t = Today(cal)
    start = today_start(t, unit, accepted)
    a, b = pauses[..., 0], pauses[..., 1]
    filler = np.broadcast_to(accepted[:, None], a.shape)
    pa = np.where(np.isnan(a), np.nan, today_position(t, unit, np.where(np.isnan(a), filler, a)))
    pb = np.where(np.isinf(b), np.inf, today_position(t, unit, np.where(np.isfinite(b), b, filler)))
    pb = np.where(np.isnan(a), np.nan, pb)
    end = reach_position(start, total, *merge_intervals(pa, pb, start))
    out = np.full(len(end), np.inf)
    finite = np.isfinite(end)
    out[finite] = today_end(t, unit, end[finite])
    return out


@pytest.fixture(scope="module")
def calendars(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calendars")
    out = {path: load_calendar(path) for path in SHIPPED}
    for name, counting in VARIANTS.items():
        for parent in ("cn", "always"):
            path = folder / f"{parent}-{name}.toml"
            path.write_text(
                f'name = "{name}"\nextends = "{parent}"\n[counting]\n{counting}\n', encoding="utf-8"
            )
            out[str(path)] = load_calendar(path)
    path = folder / "new-york.toml"
    path.write_text(
        'name = "ny"\ntimezone = "America/New_York"\nweekend = ["sat", "sun"]\nfirst_year = 2018\n'
        'last_year = 2032\n[office_hours]\ndefault = [["00:30", "02:15"], ["03:00", "17:00"]]\n',
        encoding="utf-8",
    )
    out[str(path)] = load_calendar(path)
    return out


def edges(cal) -> list[float]:
    """Local times where rounding could tip an instant across a day: opens, closes, midnight,
    and their neighbours by a nanosecond to a millisecond."""
    bounds = set(cal._opens.ravel().tolist()) | set(cal._closes.ravel().tolist()) | {0.0}
    out = []
    for x in bounds:
        for d in (0.0, 1e-9, 1e-7, 1e-5, 1e-3):
            out += [x - d, x + d]
    return [x for x in out if 0.0 <= x < MINUTES_PER_DAY]


def instants(cal, rng, n: int) -> np.ndarray:
    """Wall instants from 2010 to 2026 (2020 to 2028 on the New York calendar): random, at the
    edges of office hours, and on every day whose clocks change."""
    first = max(cal.first_day, 14610 if cal.spec.first_year < 2015 else 17897)  # 2010 / 2019
    days = rng.integers(first, first + 16 * 365 if first == 14610 else first + 8 * 365, n)
    changing = np.flatnonzero(cal._changing) + cal.first_day
    changing = changing[(changing >= first) & (changing < days.max())]
    if len(changing):
        days[: n // 4] = rng.choice(changing, n // 4)
    in_day = np.where(
        rng.random(n) < 0.5, rng.choice(edges(cal), n), rng.uniform(0, MINUTES_PER_DAY, n)
    )
    return days * MINUTES_PER_DAY + in_day


def cases(cal, unit, seed: int, n: int = 3000):
    """Accepted instants moved into office hours as the engine's are, limits, extensions and up
    to three pauses (some open, some before acceptance, some overlapping)."""
    rng = np.random.default_rng(seed)
    wall = instants(cal, rng, n)
    accepted = cal.to_wall_array(cal.to_business_array(wall), side="right")
    accepted[: n // 3] = wall[: n // 3]  # check takes accepted instants as written, too
    if unit == "wh":
        limit = rng.choice([15.0, 240.0, 480.0, 2400.0, 1234.5678], n)
        extension = np.where(rng.random(n) < 0.2, rng.uniform(0, 600, n), 0.0)
    else:
        limit = rng.integers(1, 40, n).astype(np.float64)
        extension = np.where(rng.random(n) < 0.2, rng.integers(1, 10, n), 0).astype(np.float64)
    pauses = np.full((n, 3, 2), np.nan)
    for j in range(3):
        some = rng.random(n) < 0.3
        begin = accepted + rng.uniform(-2 * MINUTES_PER_DAY, 20 * MINUTES_PER_DAY, n)
        end = begin + rng.choice([0.0, 1e-6, 30.0, 2 * MINUTES_PER_DAY, np.inf], n)
        pauses[some, j, 0], pauses[some, j, 1] = begin[some], end[some]
    return accepted, limit, extension, pauses


@pytest.mark.parametrize("unit", ["wd", "wh", "d"])
def test_due_instants_equal_today_on_every_calendar(calendars, unit):
    for seed, cal in enumerate(calendars.values()):
        accepted, limit, extension, pauses = cases(cal, unit, seed)
        plain = np.full((len(accepted), 0, 2), np.nan)
        for rows in (plain, pauses):
            expected = today_due(cal, unit, accepted, limit + extension, rows)
            got = ClockBatch(cal, unit, accepted, limit, extension, rows).due()
            assert np.array_equal(got, expected), (cal.name, unit)
            assert np.isfinite(expected).any()


@pytest.mark.parametrize("ladder", sorted(presets()) + ["mixed"])
def test_card_crossings_and_counted_time_equal_today(calendars, ladder):
    if ladder == "mixed":  # offsets in every unit and shares past the limit
        ladder = parse_ladder(
            [
                {"level": "blue", "reference": "promised", "at": "-3.5wh"},
                {"level": "yellow", "reference": "legal", "at": "-2d"},
                {"level": "orange", "reference": "promised", "at": "150%"},
                {"level": "red", "reference": "legal", "at": "+1wd"},
            ]
        )
    else:
        ladder = presets()[ladder]
    for seed, cal in enumerate(calendars.values()):
        for units in (("wd", "wh"), ("wh", "wd"), ("d", "wd")):
            accepted, limit, _, pauses = cases(cal, units[0], 100 + seed, n=800)
            stopped = accepted + np.random.default_rng(seed).uniform(0, 60 * MINUTES_PER_DAY, 800)
            stopped[::5] = np.inf
            legal = limit * (2.0 if units[1] == units[0] else 1.0)
            if units[1] != units[0]:
                legal = np.full(len(limit), 480.0 if units[1] == "wh" else 10.0)

            new, old = (
                {
                    "promised": ClockBatch(c, units[0], accepted, limit, None, pauses, stopped),
                    "legal": ClockBatch(c, units[1], accepted, legal, None, pauses, stopped),
                }
                for c in (cal, Today(cal))
            )
            assert np.array_equal(crossings(ladder, new), crossings(ladder, old)), cal.name
            walls = accepted + np.linspace(0, 30 * MINUTES_PER_DAY, len(accepted))
            for unit in ("wd", "wh", "d"):
                assert np.array_equal(
                    new["legal"].counted(unit, walls), old["legal"].counted(unit, walls)
                )


def test_day_of_business_is_searchsorted(calendars):
    for cal in calendars.values():
        top = cal.bm_start[-1]
        rng = np.random.default_rng(7)
        b = np.concatenate(
            [
                rng.uniform(-10, top + 10, 50_000),
                cal.bm_start,
                np.nextafter(cal.bm_start, -np.inf),
                np.nextafter(cal.bm_start, np.inf),
                [np.nan, np.inf, -np.inf, 0.0, -0.0],
            ]
        )
        expected = np.searchsorted(cal.bm_start, b, side="right") - 1
        assert np.array_equal(cal.day_of_business(b), expected), cal.name
        square = len(b) // 5 * 5  # any shape, as to_wall_array passes
        assert np.array_equal(
            cal.day_of_business(b[:square].reshape(-1, 5)), expected[:square].reshape(-1, 5)
        )
        inside = (b >= 0) & (b < top)  # all inside the table: the lookup without clipping
        assert np.array_equal(cal.day_of_business(b[inside]), expected[inside]), cal.name
        for x, day in zip(b[-5:], expected[-5:]):  # one instant at a time: NaN, ±inf, ±0
            assert cal.day_of_business(x) == day, (cal.name, x)
        # positions: the day's index and the share of its office minutes gone, the day given or not
        k = np.clip(expected, 0, len(cal.day_minutes) - 1)
        position = k + (b - cal.bm_start[k]) / cal.day_minutes[k]
        assert np.array_equal(cal.business_to_day_position(b), position, equal_nan=True)
        given = cal.business_to_day_position(b[inside], expected[inside])
        assert np.array_equal(given, position[inside])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.integers(0, 20),
    unit=st.sampled_from(["wd", "wh", "d"]),
    day=st.integers(0, 16 * 365),
    minute=st.one_of(st.floats(0, MINUTES_PER_DAY, exclude_max=True), st.integers(0, 10_000)),
    amount=st.integers(0, 80),
    pause=st.one_of(
        st.none(),
        st.tuples(st.floats(-3000, 30_000), st.sampled_from([0.0, 1e-7, 59.5, 4000.0, np.inf])),
    ),
)
def test_one_case_anywhere_equals_today(calendars, which, unit, day, minute, amount, pause):
    """One case at a time, drawn by hypothesis: any day, any time (edges included), any pause."""
    cal = list(calendars.values())[which % len(calendars)]
    first = max(cal.first_day, 17897)  # 2019-01-01: inside every table above
    if isinstance(minute, int):  # an edge of office hours, exactly or nearly
        bounds = edges(cal)
        minute = bounds[minute % len(bounds)]
    accepted = np.array([(first + day % (8 * 365)) * MINUTES_PER_DAY + minute])
    limit = np.array([amount * (37.5 if unit == "wh" else 1.0)])
    rows = np.full((1, 1, 2), np.nan)
    if pause is not None:
        rows[0, 0] = (accepted[0] + pause[0], accepted[0] + pause[0] + pause[1])
    expected = today_due(cal, unit, accepted, limit, rows)
    assert np.array_equal(ClockBatch(cal, unit, accepted, limit, None, rows).due(), expected)


def test_acceptance_day_at_the_last_instant_before_every_close(calendars):
    """The working day of an acceptance one or two doubles before a close (where the position's
    division comes nearest to rounding up to the next day), and at the close itself."""
    for cal in calendars.values():
        closes = cal.close_of_position(np.arange(1, len(cal.work_days) + 1))
        assert np.array_equal(closes, Today(cal).close_of_position(np.arange(1, len(closes) + 1)))
        before = np.nextafter(closes, -np.inf)
        walls = np.concatenate([closes, before, np.nextafter(before, -np.inf)])
        inside = (walls >= cal.first_day * MINUTES_PER_DAY) & (
            walls < (cal.last_day + 1) * MINUTES_PER_DAY
        )
        walls = walls[inside]
        assert np.array_equal(cal.working_day_floor(walls), Today(cal).working_day_floor(walls))
