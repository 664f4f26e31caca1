"""WorkCalendar: worked cases from the notices, an independent source, and properties against a
naive day-by-day oracle."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slasim.calendar.units import (
    date_to_day,
    datetime_to_minutes,
    instants_to_minutes,
    minutes_to_datetime,
)
from slasim.calendar.workcalendar import load_calendar
from slasim.io.errors import SlasimError

from .helpers import office_datetimes, published_dates

D = dt.date


def naive_add(cal, day: dt.date, n: int) -> dt.date:
    """Oracle: walk day by day (the acceptance day itself never counts)."""
    while n > 0:
        day += dt.timedelta(days=1)
        n -= cal.is_working_day(day)
    return day


@pytest.mark.parametrize(
    "accepted, n, due",
    [
        (
            D(2025, 9, 26),
            20,
            D(2025, 10, 30),
        ),  # docs/DOMAIN.md §4: make-up Sundays 09-28 and 10-11 count
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # day 1 is the make-up Sunday
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # National Day + Mid-Autumn 10-01..10-08
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # 2026 notice: 02-14 (Sat) is a workday
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # Spring Festival 02-15..02-23 off
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # 10-01..10-07 off
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # 10-10 (Sat) is a make-up workday
        (D(2026, 4, 3), 1, D(2026, 4, 7)),  # Qingming 04-04..04-06
        (D(2026, 4, 30), 1, D(2026, 5, 6)),  # Labour Day 05-01..05-05
    ],
)
def test_worked_cases(cn, accepted, n, due):
    assert cn.add_working_days(accepted, n) == due
    assert cn.count_working_days(accepted, due) == n


def test_numpy_busday_offset_misses_makeup_days(cn):
    """The motivating bug: numpy with the same holidays is late by two working days."""
    holidays = [d.date for d in cn.special_days(2025) if not d.working]
    numpy_due = np.busday_offset(np.datetime64("2025-09-26"), 20, roll="forward", holidays=holidays)
    assert str(numpy_due) == "2025-11-03"
    assert cn.add_working_days(D(2025, 9, 26), 20) == D(2025, 10, 30)


def test_agrees_with_chinesecalendar_2004_2026(cn):
    """An independent source agrees on every day except 2005-12-31, which the notice decides."""
    days = [
        D(2004, 1, 1) + dt.timedelta(days=i)
        for i in range((D(2026, 12, 31) - D(2004, 1, 1)).days + 1)
    ]
    ours = cn.is_working_day_array(np.array([date_to_day(d) for d in days]))
    theirs = np.array([chinese_calendar.is_workday(d) for d in days])
    disagree = [d for d, a, b in zip(days, ours, theirs) if a != b]
    assert disagree == [D(2005, 12, 31)]
    # 国办发明电〔2005〕35号: "12月31日(星期六)上班"
    info = cn.day_info(D(2005, 12, 31))
    assert info.working and info.kind == "makeup" and "2005" in info.source


def test_notice_transcriptions_agree_with_holidays_package(cn):
    """Contract: where a year's notice is transcribed, the holidays package says the same."""
    import holidays

    for year, notice in cn.spec.years.items():
        package = holidays.country_holidays("CN", years=range(year - 1, year + 1))
        for day in notice.dates("rest"):
            assert not package.is_working_day(day), (year, day)
        for day in notice.dates("work"):
            assert package.is_working_day(day) and day.weekday() >= 5, (year, day)


def test_2026_notice_days(cn):
    rest = {d.date for d in cn.special_days(2026) if not d.working}
    work = {d.date for d in cn.special_days(2026) if d.working}
    assert work == {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
    assert {D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)} <= rest
    assert not cn.is_working_day(D(2026, 6, 19)) and cn.is_working_day(D(2026, 6, 22))


@given(day=published_dates(), n=st.integers(0, 250))
@example(day=D(2025, 9, 26), n=20)
def test_add_matches_oracle_and_round_trips(cn, day, n):
    due = cn.add_working_days(day, n)
    if n > 0:
        assert due == naive_add(cn, day, n)
        assert cn.count_working_days(day, due) == n
        assert cn.is_working_day(due)
    else:
        assert due == cn.next_working_day(day)


@given(day=published_dates(), n=st.integers(1, 100))
def test_monotone_in_start_and_n(cn, day, n):
    assert cn.add_working_days(day, n) <= cn.add_working_days(day + dt.timedelta(days=1), n)
    assert cn.add_working_days(day, n) < cn.add_working_days(day, n + 1)


@given(days=st.lists(published_dates(), min_size=1, max_size=30), n=st.integers(-40, 80))
def test_vectorized_equals_scalar(cn, days, n):
    arr = np.array([date_to_day(d) for d in days])
    vec = cn.add_working_days_array(arr, n)
    assert [cn.add_working_days(d, n) for d in days] == [
        D(1970, 1, 1) + dt.timedelta(days=int(v)) for v in vec
    ]
    nxt = cn.next_working_day_array(arr)
    prev = cn.previous_working_day_array(arr)
    assert all(cn.is_working_day_array(nxt)) and all(cn.is_working_day_array(prev))
    assert np.all(prev <= arr) and np.all(arr <= nxt)


@given(day=published_dates(), n=st.integers(1, 60))
def test_negative_steps_invert_positive(cn, day, n):
    due = cn.add_working_days(day, n)
    back = cn.add_working_days(due, -n)
    assert back == cn.previous_working_day(day)


@given(t=office_datetimes())
def test_business_time_round_trip(city, t):
    """Wall → business → wall lands on t (inside office hours) or the next opening (outside)."""
    b = city.to_business(t)
    right = city.to_wall(b, side="right")
    left = city.to_wall(b, side="left")
    assert left <= right
    assert city.to_business(right) == pytest.approx(b) and city.to_business(left) == pytest.approx(
        b
    )
    hours = city.office_hours_on(t.date())
    inside = any(
        a <= t.strftime("%H:%M:%S") < c + ":00" for a, c in ((h[0] + ":00", h[1]) for h in hours)
    )
    if inside:
        assert abs((right - t).total_seconds()) < 1  # minutes_to_datetime rounds to the second
    else:
        assert right >= t and right.strftime("%H:%M") in {
            h[0] for h in city.office_hours_on(right.date())
        }


@given(a=office_datetimes(), b=office_datetimes())
def test_business_time_is_monotone(cn, a, b):
    if a <= b:
        assert cn.to_business(a) <= cn.to_business(b)


@given(
    t=office_datetimes(),
    shift=st.sampled_from([0.0, 0.5, 1e-9, 0.25]),
    amount=st.one_of(st.just(0.0), st.floats(0, 12), st.integers(0, 9).map(float)),
    unit=st.sampled_from(["d", "wd", "h", "min"]),
)
@example(t=dt.datetime(2025, 9, 30, 17, 30), shift=0.0, amount=1.0, unit="d")
def test_waits_of_one_case_equal_the_array_path_to_the_bit(city, t, shift, amount, unit):
    """The engines convert one wait at a time in plain Python: the same double as numpy's path, on a
    calendar with a lunch break and two office-hour profiles (whole minutes at openings and
    closes, fractions inside)."""
    b = float(np.floor(city.to_business(t))) + shift
    assert city.business_after_one(b, amount, unit) == float(city.business_after(b, amount, unit))


@pytest.mark.parametrize("unit", ["d", "wd"])
@pytest.mark.parametrize(
    "name",
    ["cn", "cn-example-city", "cn-example-saturday", "nl", "always", "weekdays", "loanapp-example"],
)
def test_waits_of_one_case_equal_the_array_path_on_every_shipped_calendar(name, unit):
    """Waits of one case in natural days (answers to supplement notices, their own one-call
    path) and working days: numpy's double on every shipped calendar (lunch breaks, dated hour
    profiles, clocks that change), at whole minutes, a day's opening and close, fractions, and
    before and past the table."""
    cal = load_calendar(name)
    rng = np.random.default_rng(28)
    top = float(cal.bm_start[-1])
    starts = cal.bm_start[rng.integers(0, len(cal.bm_start), 300)]
    instants = np.concatenate(
        [
            np.floor(rng.uniform(0, top, 300)),
            rng.uniform(0, top, 300),
            starts,
            starts + rng.choice([0.5, 1e-9, -1e-9, 1.0], 300),
            [0.0, 1e-9, top - 0.5, top],
        ]
    )
    amounts = rng.choice([0.0, 1.0, 3.0, 0.25], len(instants)) + np.where(
        rng.random(len(instants)) < 0.5, 0.0, rng.lognormal(1, 0.7, len(instants))
    )

    def outcome(convert, b, amount):  # the double, or what a wait past the table's end raises
        try:
            return float(convert(b, amount, unit))
        except (SlasimError, IndexError) as err:
            return type(err), str(err)

    for b, amount in zip(instants.tolist(), amounts.tolist()):
        expected = outcome(cal.business_after, b, amount)
        assert outcome(cal.business_after_one, b, amount) == expected, (b, amount)


def test_office_hours_and_hour_limits(cn, city):
    # 4 office hours from 16:00 on the eve of National Day 2025: 1.5 h that day, 2.5 h on 10-09.
    assert cn.add_working_hours(dt.datetime(2025, 9, 30, 16, 0), 4) == dt.datetime(
        2025, 10, 9, 11, 30
    )
    # Lunch break: 1 hour from 11:30 ends at 14:00.
    assert cn.add_working_hours(dt.datetime(2025, 11, 3, 11, 30), 1) == dt.datetime(
        2025, 11, 3, 14, 0
    )
    # Summer hours of the example city (08:30–12:00, 14:30–18:00 from May to September).
    assert city.office_hours_on(D(2026, 7, 1)) == [("08:30", "12:00"), ("14:30", "18:00")]
    assert city.office_hours_on(D(2026, 11, 2)) == [("09:00", "12:00"), ("13:30", "17:30")]
    assert city.add_working_hours(dt.datetime(2026, 7, 1, 17, 0), 4) == dt.datetime(
        2026, 7, 2, 11, 30
    )
    # A whole working day is 7 office hours by default, 7 in summer too (3.5 + 3.5).
    assert cn.to_business(D(2025, 11, 4)) - cn.to_business(D(2025, 11, 3)) == 7 * 60


def test_local_overrides(cn, city):
    assert cn.is_working_day(D(2026, 3, 3)) and not city.is_working_day(D(2026, 3, 3))
    assert not cn.is_working_day(D(2026, 6, 20)) and city.is_working_day(D(2026, 6, 20))
    assert city.day_info(D(2026, 3, 3)).source == "illustrative local notice"


def test_always_calendar_counts_every_minute():
    cal = load_calendar("always")
    assert cal.add_working_days(D(2025, 10, 1), 7) == D(2025, 10, 8)
    t = dt.datetime(2025, 10, 1, 23, 0)
    assert cal.add_working_hours(t, 2) == dt.datetime(2025, 10, 2, 1, 0)
    assert cal.is_provisional(date_to_day(D(2099, 1, 1))) is False


def test_provisional_years(cn):
    assert cn.is_provisional(date_to_day(D(2027, 1, 4)))
    assert not cn.is_provisional(date_to_day(D(2026, 12, 31)))
    assert cn.is_provisional(date_to_day(D(2003, 12, 31)))
    assert "provisional" in cn.provisional_warning([date_to_day(D(2027, 3, 1))])
    with pytest.raises(SlasimError, match="published years"):
        cn.provisional_warning([date_to_day(D(2027, 3, 1))], strict=True)


def test_outside_table_is_an_error(cn):
    with pytest.raises(SlasimError, match="outside the table of calendar 'cn'"):
        cn.add_working_days(D(2060, 1, 1), 1)


def test_wall_minutes_conversion_round_trip():
    t = dt.datetime(2025, 9, 26, 13, 45, 30)
    assert minutes_to_datetime(datetime_to_minutes(t)) == t


@given(
    t=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1)),
    offset=st.sampled_from([None, 0, 8, -12, 5.75]),
    bare=st.booleans(),
)
def test_check_files_read_instants_as_deadline_does_to_the_bit(t, offset, bare):
    """`check` reads a file's instants in bulk, `deadline` one at a time: the same wall minutes,
    seconds and microseconds included, for dates, naive datetimes and ones with a UTC offset."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    value = t.date() if bare else t
    if offset is not None and not bare:
        value = t.replace(tzinfo=dt.timezone(dt.timedelta(hours=offset)))
    assert instants_to_minutes([value], [zone])[0] == datetime_to_minutes(value, zone)


def test_calendar_lookup_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_calendar("cn").name == "cn"
    own = tmp_path / "mine.toml"
    own.write_text(
        'name = "mine"\nextends = "cn"\n[[closed]]\ndate = 2026-03-04\nname = "x"\nsource = "test"\n'
    )
    mine = load_calendar(str(own))
    assert not mine.is_working_day(D(2026, 3, 4)) and mine.add_working_days(
        D(2025, 9, 26), 20
    ) == D(2025, 10, 30)


@pytest.mark.parametrize(
    "text, message",
    [
        ('name = "x"\nfirst_year = 2020\ntimezone = "UTC"\n', "office_hours.default"),
        ('name = "x"\nextends = "cn"\nweekend = ["sabado"]\n', "weekend"),
        ('name = "x"\nextends = "cn"\ntypo = 1\n', "typo: unknown field"),
        ('name = "x"\nextends = "nope"\n', "extends"),
        (
            'name = "x"\nextends = "cn"\n[office_hours]\ndefault = [["12:00", "09:00"]]\n',
            "office_hours",
        ),
        ('name = "x"\nextends = "cn"\ntimezone = "Mars/Base"\n', "time zone"),
        ("name = = 1\n", "invalid TOML"),
    ],
)
def test_bad_calendar_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SlasimError, match=message) as err:
        load_calendar(str(path))
    assert str(path) in str(err.value)


def test_the_holidays_cache_gives_the_packages_table_and_survives_damage(tmp_path, monkeypatch):
    """The cached table is the `holidays` package's own (checked against it directly); a damaged
    cache file is rebuilt, and an unwritable cache folder only means no cache."""
    import datetime as dt

    import holidays

    from slasim.calendar.holiday_cache import country_table

    monkeypatch.setenv("SLASIM_CACHE_DIR", str(tmp_path / "cache"))
    years = range(2019, 2027)
    built = country_table("CN", None, "en_US", years, "cn.toml")
    (path,) = (tmp_path / "cache").glob("holidays-CN-*.json")
    direct = holidays.country_holidays("CN", years=years, language="en_US")
    import re

    def us_to_iso(name):  # en_US writes dates inside names as 09/28/2025; slasim writes ISO
        return re.sub(r"(\d{2})/(\d{2})/(\d{4})", lambda m: f"{m[3]}-{m[1]}-{m[2]}", name)

    assert built["holidays"] == sorted([d.isoformat(), us_to_iso(n)] for d, n in direct.items())
    assert any("substituted from 20" in n for _, n in built["holidays"])
    assert (
        dt.date(2026, 2, 14).isoformat() in built["makeup"]
    )  # a Saturday worked (Spring Festival)
    path.write_text("{not json", encoding="utf-8")
    assert country_table("CN", None, "en_US", years, "cn.toml")["holidays"] == built["holidays"]
    monkeypatch.setenv("SLASIM_CACHE_DIR", "/proc/no-cache-here")
    assert country_table("CN", None, "en_US", years, "cn.toml")["holidays"] == built["holidays"]


@pytest.mark.parametrize(
    "damage",
    [
        {"holidays": 5},
        {"holidays": [["2025-13-01", "x"]]},
        {"holidays": [[1, 2]]},
        {"makeup": [None]},
        {"source": []},
    ],
)
def test_a_cache_of_the_wrong_shape_is_rebuilt(tmp_path, monkeypatch, damage):
    """A cache file that is JSON but not the table (`holidays = 5`) is rebuilt, never used."""
    import json

    from slasim.calendar.holiday_cache import country_table

    monkeypatch.setenv("SLASIM_CACHE_DIR", str(tmp_path))
    years = range(2024, 2027)
    built = country_table("CN", None, None, years, "cn.toml")
    (path,) = tmp_path.glob("holidays-CN-*.json")
    path.write_text(json.dumps({**built, **damage}), encoding="utf-8")
    assert country_table("CN", None, None, years, "cn.toml") == built


def calendar_file(tmp_path, name, body):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}', encoding="utf-8")
    return path


BODY = (
    'timezone = "UTC"\nfirst_year = 2020\nlast_year = 2030\n'
    '[office_hours]\ndefault = [["09:00", "17:00"]]\n'
)


@pytest.mark.parametrize(
    "body, what",
    [
        (BODY.replace("first_year = 2020", "first_year = 0"), "first_year: 0 is outside"),
        (BODY.replace("first_year = 2020", "first_year = -5"), "first_year: -5 is outside"),
        (BODY.replace("last_year = 2030", "last_year = 99999"), "last_year: 99999 is outside"),
        (BODY.replace("last_year = 2030", "last_year = 2010"), "before first_year"),
        ("a = " + "[" * 4000 + "]" * 4000 + "\n", "nested too deeply"),
    ],
)
def test_calendar_files_out_of_bounds_are_one_line(tmp_path, body, what):
    with pytest.raises(SlasimError, match=what):
        load_calendar(calendar_file(tmp_path, "x", body))


def test_an_extends_chain_is_bounded(tmp_path):
    from slasim.calendar.files import MAX_EXTENDS

    calendar_file(tmp_path, f"c{MAX_EXTENDS + 5}", BODY)
    for i in range(MAX_EXTENDS + 5):
        calendar_file(tmp_path, f"c{i}", f'extends = "c{i + 1}.toml"\n')
    with pytest.raises(SlasimError, match=f"over {MAX_EXTENDS} calendars deep"):
        load_calendar(tmp_path / "c0.toml")
    # A chain within the bound is read: its office hours come from the last file.
    assert load_calendar(tmp_path / "c10.toml").office_hours_on(dt.date(2025, 3, 3)) == [
        ("09:00", "17:00")
    ]


def test_huge_limits_are_one_line():
    from slasim.clock.deadline import compute_deadline

    for limit in ("1000000000000000000000000d", "1e24wd", "10000001wh"):
        with pytest.raises(SlasimError) as err:
            compute_deadline(limit, accepted=dt.date(2025, 3, 3))
        assert "\n" not in str(err.value)


def test_a_calendar_path_that_is_not_a_regular_file_is_refused_unopened(tmp_path):
    import os

    from slasim.calendar.files import find_calendar

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # opening it would wait for a writer
    with pytest.raises(SlasimError, match="not a regular file: 'fifo.toml'"):
        find_calendar("fifo.toml", base=tmp_path)
