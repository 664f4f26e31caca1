"""The calendar file's schema (`calendars/*.toml` as written): pydantic models that validate one
file, before `extends` is resolved. Imported only when a file is read and validated
(`slasim.calendar.files`); a calendar already resolved is used without them (and without pydantic).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from slasim.calendar.units import known_weekday, parse_clock
from slasim.io.i18n import Text
from slasim.io.schema import Strict


def _check_hours(hours: list[list[str]]) -> list[list[str]]:
    if not hours:
        raise ValueError(Text("office hours need at least one [open, close) pair"))
    previous_close = -1
    for pair in hours:
        if len(pair) != 2:
            raise ValueError(Text("office hours are [open, close] pairs like ['09:00', '12:00']"))
        open_m, close_m = (parse_clock(x, field="office_hours") for x in pair)
        if not previous_close <= open_m < close_m:
            raise ValueError(
                Text(
                    "office hours must be increasing, non-overlapping [open, close) pairs: {pair}",
                    pair=str(pair),
                )
            )
        previous_close = close_m
    return hours


class HoursPeriod(Strict):
    """Office hours for a date range: `from`/`to` inclusive, `YYYY-MM-DD` or yearly `MM-DD`."""

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    hours: list[list[str]]
    source: str | None = None

    _hours = field_validator("hours")(_check_hours)

    @field_validator("start", "end")
    @classmethod
    def _date_or_month_day(cls, v: str) -> str:
        text = str(v)
        try:
            if len(text) == 5:
                dt.date.fromisoformat(f"2000-{text}")
            else:
                dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                Text("expected YYYY-MM-DD or a yearly MM-DD, got {value}", value=repr(text))
            ) from None
        return text


class OfficeHours(Strict):
    """Office hours: `default` [open, close) pairs; `weekdays` (`sat = [["09:00", "12:00"]]`)
    that override them on ordinary working days of that weekday (not on a make-up working day,
    which keeps the default); `periods` that override both by date; and `rest_days`, the hours
    the office opens on ordinary rest days of a weekend weekday (a Saturday service): office
    time there, but not a legal working day (`[]` keeps it closed where a parent opens it)."""

    default: list[list[str]] | None = None
    weekdays: dict[str, list[list[str]]] = {}
    periods: list[HoursPeriod] = []
    rest_days: dict[str, list[list[str]]] = {}

    _hours = field_validator("default")(lambda v: v if v is None else _check_hours(v))

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: dict) -> dict:
        for day, hours in v.items():
            known_weekday(day)
            _check_hours(hours)
        return v

    @field_validator("rest_days")
    @classmethod
    def _rest_days(cls, v: dict) -> dict:
        for day, hours in v.items():  # `[]`: closed again, where a parent opens it
            known_weekday(day)
            if hours:
                _check_hours(hours)
        return v


class DayOverride(Strict):
    """A local closed or working day, with its name and source."""

    date: dt.date
    name: str
    source: str
    name_zh: str | None = None  # the name in Chinese, shown when slasim speaks Chinese


class Counting(Strict):
    """How limits are counted on this calendar (defaults: 民法典 Art. 201/203)."""

    acceptance_day_counts: bool = False
    working_day_limit_ends: str = "close"
    calendar_day_limit_rolls: bool = True

    @field_validator("working_day_limit_ends")
    @classmethod
    def _ends(cls, v: str) -> str:
        if v not in ("close", "midnight"):
            raise ValueError(Text("must be 'close' or 'midnight'"))
        return v


class YearNotice(Strict):
    """Provenance of one year: the notice it comes from and, optionally, its transcribed dates."""

    title: str
    reference: str | None = None
    issued: dt.date | None = None
    url: str | None = None
    amended_by: str | None = None
    rest: list[str] = []
    work: list[str] = []


class CalendarFile(Strict):
    """One calendar file as written (`calendars/NAME.toml`), before `extends` is resolved."""

    name: str
    title: str = ""
    title_zh: str | None = None  # the title in Chinese, shown when slasim speaks Chinese
    extends: str | None = None
    country: str | None = None
    subdivision: str | None = None
    language: str | None = None
    timezone: str | None = None
    weekend: list[str] | None = None
    first_year: int | None = None
    published_through: int | None = None
    last_year: int | None = None
    office_hours: OfficeHours = OfficeHours()
    counting: Counting | None = None
    years: dict[int, YearNotice] = {}
    closed: list[DayOverride] = []
    working: list[DayOverride] = []

    @field_validator("weekend")
    @classmethod
    def _weekend(cls, v):
        for day in v or ():
            known_weekday(day)
        return v
