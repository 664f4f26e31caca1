"""Deadlines across daylight-saving changes follow the calendar's zone: business time is real time,
a repeated local time is printed with its offset, a skipped one is never produced and refused as
input. Expected values are worked out here in UTC with `zoneinfo`, not with slasim's axis."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.clock.deadline import compute_deadline
from slasim.io.errors import SlasimError

UTC = dt.UTC
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai")


def always_open(tmp_path_factory, zone: str) -> WorkCalendar:
    path = tmp_path_factory.mktemp("cal") / f"{zone.replace('/', '-')}.toml"
    path.write_text(
        f'name = "open"\ntimezone = "{zone}"\nweekend = []\nfirst_year = 2020\n'
        'last_year = 2030\n[office_hours]\ndefault = [["00:00", "24:00"]]\n',
        encoding="utf-8",
    )
    return load_calendar(path)


@pytest.fixture(scope="module")
def calendars(tmp_path_factory):
    return {zone: always_open(tmp_path_factory, zone) for zone in ZONES}


def expected_text(start_utc: dt.datetime, minutes: float, zone: str) -> str:
    """The local wall time `minutes` real minutes after a UTC instant, with its offset when that
    local time occurs twice."""
    local = (start_utc + dt.timedelta(minutes=minutes)).astimezone(ZoneInfo(zone))
    naive = local.replace(tzinfo=None)
    text = naive.isoformat(timespec="minutes" if naive.second == 0 else "seconds")
    twice = (
        naive.replace(tzinfo=ZoneInfo(zone), fold=0).utcoffset()
        != naive.replace(tzinfo=ZoneInfo(zone), fold=1).utcoffset()
        and naive.replace(tzinfo=ZoneInfo(zone), fold=1 - local.fold)
        .astimezone(UTC)
        .astimezone(ZoneInfo(zone))
        .replace(tzinfo=None)
        == naive
    )
    return text + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:] if twice else text


def test_fall_back_gives_the_second_occurrence(calendars):
    # 01:30 EDT (-04:00) is 05:30 UTC; an hour later is 06:30 UTC, which is 01:30 EST (-05:00).
    cal = calendars["America/New_York"]
    start = dt.datetime(2025, 11, 2, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    result = compute_deadline("1wh", accepted=start, calendar=cal)
    assert result.due == "2025-11-02T01:30-05:00"
    assert result.accepted == "2025-11-02T01:30-04:00"
    # A naive 01:30 in the repeated hour is its first occurrence.
    naive = compute_deadline("1wh", accepted=dt.datetime(2025, 11, 2, 1, 30), calendar=cal)
    assert naive.due == "2025-11-02T01:30-05:00"
    # 00:30 EDT + 2h = 06:30 UTC = 01:30 EST; + 3h = 02:30 EST (not repeated: no offset).
    assert compute_deadline("2wh", accepted=start.replace(hour=0), calendar=cal).due == (
        "2025-11-02T01:30-05:00"
    )
    assert compute_deadline("3wh", accepted=start.replace(hour=0), calendar=cal).due == (
        "2025-11-02T02:30"
    )


def test_spring_forward_never_produces_a_skipped_time(calendars):
    # 01:30 EST is 06:30 UTC; an hour later is 07:30 UTC = 03:30 EDT (02:00-03:00 is skipped).
    cal = calendars["America/New_York"]
    result = compute_deadline("1wh", accepted=dt.datetime(2025, 3, 9, 1, 30), calendar=cal)
    assert result.due == "2025-03-09T03:30"
    berlin = calendars["Europe/Berlin"]  # 01:30 CET = 00:30 UTC; +1h = 01:30 UTC = 03:30 CEST
    assert (
        compute_deadline("1wh", accepted=dt.datetime(2025, 3, 30, 1, 30), calendar=berlin).due
        == "2025-03-30T03:30"
    )
    # The day is 23 real hours long: 23wh from its midnight ends at the next midnight.
    assert (
        compute_deadline("23wh", accepted=dt.datetime(2025, 3, 9), calendar=cal).due
        == "2025-03-10T00:00"
    )
    assert (
        compute_deadline("25wh", accepted=dt.datetime(2025, 11, 2), calendar=cal).due
        == "2025-11-03T00:00"
    )


def test_inputs_that_do_not_exist_or_cannot_be_named_are_refused(calendars):
    cal = calendars["America/New_York"]
    with pytest.raises(SlasimError, match="does not exist in America/New_York"):
        compute_deadline("1wh", accepted=dt.datetime(2025, 3, 9, 2, 30), calendar=cal)
    est = dt.timezone(dt.timedelta(hours=-5))
    with pytest.raises(SlasimError, match="second 01:30"):
        compute_deadline("1wh", accepted=dt.datetime(2025, 11, 2, 1, 30, tzinfo=est), calendar=cal)
    # With an offset, a time in the skipped hour names a real instant: 02:30-05:00 = 03:30 EDT.
    fine = compute_deadline(
        "1wh", accepted=dt.datetime(2025, 3, 9, 2, 30, tzinfo=est), calendar=cal
    )
    assert fine.due == "2025-03-09T04:30"


def test_office_hours_calendars_are_unchanged_by_dst(tmp_path):
    # Office hours 09:00-17:00 never meet the 02:00 change: 4wh from Friday 15:00 before the
    # change ends Monday 10:00 local whatever the offsets.
    path = tmp_path / "ny.toml"
    path.write_text(
        'name = "ny"\ntimezone = "America/New_York"\nfirst_year = 2020\nlast_year = 2030\n'
        '[office_hours]\ndefault = [["09:00", "17:00"]]\n',
        encoding="utf-8",
    )
    cal = load_calendar(path)
    got = compute_deadline("4wh", accepted=dt.datetime(2025, 10, 31, 15, 0), calendar=cal)
    assert got.due == "2025-11-03T11:00"


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.integers(0, 3 * 366 * 1440).map(
        lambda m: dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=m)
    ),
    hours=st.integers(0, 72 * 4).map(lambda q: q / 4),
    offset=st.integers(-12 * 4, 14 * 4).map(lambda q: dt.timezone(dt.timedelta(minutes=15 * q))),
)
def test_working_hours_on_an_always_open_calendar_are_real_hours(
    calendars, zone, start, hours, offset
):
    """Any instant, written with any offset, plus h working hours on a 24/7 calendar is the
    instant h real hours later, in the calendar's zone."""
    cal = calendars[zone]
    given_as = start.astimezone(offset)
    if start.astimezone(
        ZoneInfo(zone)
    ).fold:  # the second occurrence of a repeated time: refused, said so
        with pytest.raises(SlasimError, match="second"):
            compute_deadline(f"{hours}wh", accepted=given_as, calendar=cal)
        return
    result = compute_deadline(f"{hours}wh", accepted=given_as, calendar=cal)
    assert result.due == expected_text(start, hours * 60, zone)


def check_file(tmp_path, calendar, cases: str):
    path = tmp_path / "c.yaml"
    path.write_text(f"calendar: {calendar}\ncases:\n{cases}", encoding="utf-8")
    return path


def test_check_files_judge_dues_across_dst_as_deadline_does(tmp_path, calendars):
    """00:30 EDT + 2wh = 06:30 UTC = 01:30 EST: an expected due naming the second 01:30 (its
    offset, -05:00) passes; the first (-04:00) fails, saying which is which."""
    from slasim.checks.engine import check_files

    cal = calendars["America/New_York"]
    case = (
        "  - name: {name}\n    accepted: 2025-11-02T00:30\n    limit: 2wh\n"
        '    expect: {{due: "{due}"}}\n'
    )
    cases = "".join(
        case.format(name=n, due=d)
        for n, d in (
            ("second", "2025-11-02T01:30-05:00"),
            ("first", "2025-11-02T01:30-04:00"),
            ("utc", "2025-11-02T06:30Z"),
            ("naive", "2025-11-02T01:30"),  # a naive time in the hour is its first occurrence
        )
    )
    ((_, outcomes),) = check_files([check_file(tmp_path, cal.spec.path, cases)])
    result = {o.name: o.failures for o in outcomes}
    assert result["second"] == () and result["utc"] == ()
    assert result["first"] == (
        "due (legal): expected 2025-11-02T01:30-04:00, got 2025-11-02T01:30-05:00",
    )
    assert result["naive"] == result["first"]


def test_check_files_refuse_a_skipped_local_time(tmp_path, calendars):
    from slasim.checks.engine import check_files

    cal = calendars["America/New_York"]
    cases = (
        "  - name: a\n    accepted: 2025-03-09T01:00\n    limit: 2wh\n"
        '    expect: {due: "2025-03-09T02:30"}\n'
        "  - name: b\n    accepted: 2025-03-09T01:00\n    limit: 1wh\n"
        '    expect: {due: "2025-03-09T03:00"}\n'
    )
    with pytest.raises(SlasimError, match=r"cases\[0\]\.expect\.due: 2025-03-09T02:30 does not"):
        check_files([check_file(tmp_path, cal.spec.path, cases)])
    fixed = cases.replace("02:30", "04:00")  # 06:00 UTC + 2h = 08:00 UTC = 04:00 EDT
    ((_, outcomes),) = check_files([check_file(tmp_path, cal.spec.path, fixed)])
    assert [o.failures for o in outcomes] == [(), ()]


def test_check_files_refuse_an_acceptance_they_cannot_name(tmp_path, calendars):
    """01:30-05:00 on 2025-11-02 is the second 01:30 in New York: a 24/7 calendar is open then,
    and wall minutes name the first, so the case is refused, as `deadline` refuses it."""
    from slasim.checks.engine import check_files

    cal = calendars["America/New_York"]
    case = '  - name: {n}\n    accepted: "{a}"\n    limit: 1wh\n    expect: {{due: "{d}"}}\n'
    cases = case.format(n="a", a="2025-11-02T01:30-04:00", d="2025-11-02T01:30-05:00")
    ((_, outcomes),) = check_files([check_file(tmp_path, cal.spec.path, cases * 2)])
    assert [o.failures for o in outcomes] == [(), ()]
    bad = case.format(n="b", a="2025-11-02T01:30-05:00", d="2025-11-02T02:30")
    with pytest.raises(SlasimError, match=r"cases\[1\]\.accepted: .*second 01:30"):
        check_files([check_file(tmp_path, cal.spec.path, cases + bad)])


def test_office_hours_ending_in_the_skipped_hour_end_when_the_clocks_jump(tmp_path):
    """Office 00:00-02:30 in New York: on 2025-03-09 the clocks jump from 02:00 EST (07:00 UTC)
    to 03:00 EDT, so the office is open 05:00-07:00 UTC, 120 minutes (150 other days). 3wh from
    that midnight: 120 minutes then, 60 on Mar 10 from 00:00: 01:00."""
    path = tmp_path / "night.toml"
    path.write_text(
        'name = "night"\ntimezone = "America/New_York"\nweekend = []\nfirst_year = 2020\n'
        'last_year = 2030\n[office_hours]\ndefault = [["00:00", "02:30"]]\n',
        encoding="utf-8",
    )
    cal = load_calendar(path)
    start = dt.datetime(2025, 3, 9)
    assert compute_deadline("3wh", accepted=start, calendar=cal).due == "2025-03-10T01:00"
    assert compute_deadline("2wh", accepted=start, calendar=cal).due == "2025-03-09T03:00"
    assert compute_deadline("3wh", accepted=dt.datetime(2025, 3, 8), calendar=cal).due == (
        "2025-03-09T00:30"  # 150 minutes on Mar 8, 30 on Mar 9
    )
