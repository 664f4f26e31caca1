"""Conversions between Python dates/datetimes, ISO text and slasim's numeric time axes.

Internally a wall-clock instant is a float of *wall minutes*: minutes since 1970-01-01 00:00 in the
calendar's local time (naive; an aware datetime is first converted to the calendar's zone).
A date is an int of *epoch days* (days since 1970-01-01). Floats represent every whole minute
exactly, and sub-minute simulation times too.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
MINUTES_PER_DAY = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the names files use, Monday first


def known_weekday(day) -> None:
    """A weekday's name as files write it (`mon` … `sun`), else one error naming them (a
    pydantic validator's ValueError)."""
    if day not in WEEKDAYS:
        raise ValueError(
            Text("unknown weekday {day} (use {known})", day=repr(day), known=", ".join(WEEKDAYS))
        )


def date_to_day(d: dt.date) -> int:
    """Epoch day (days since 1970-01-01) of a date."""
    return d.toordinal() - EPOCH_ORDINAL


def day_to_date(day: int) -> dt.date:
    """The date of an epoch day."""
    return dt.date.fromordinal(int(day) + EPOCH_ORDINAL)


def datetime_to_minutes(t: dt.datetime | dt.date, tz: ZoneInfo | None = None) -> float:
    """Wall minutes of a datetime (a bare date means 00:00 of that day)."""
    if not isinstance(t, dt.datetime):
        return float(date_to_day(t) * MINUTES_PER_DAY)
    if t.tzinfo is not None and tz is not None:
        t = t.astimezone(tz).replace(tzinfo=None)
    return (
        date_to_day(t.date()) * MINUTES_PER_DAY
        + t.hour * 60
        + t.minute
        + (t.second + t.microsecond / 1e6) / 60.0
    )


def instants_to_minutes(values, zones=None) -> np.ndarray:
    """Wall minutes of many dates/datetimes at once (None → NaN); a date means 00:00. A datetime
    with a UTC offset is first converted to its zone in `zones` (one per value), as
    `datetime_to_minutes` does. (Ordinals, not numpy's object → datetime64 cast: ~30x faster.)"""
    nan, datetime = float("nan"), dt.datetime
    if zones is not None:
        values = [
            v.astimezone(z).replace(tzinfo=None)
            if isinstance(v, datetime) and v.tzinfo is not None and z is not None
            else v
            for v, z in zip(values, zones)
        ]
    return np.array(
        [
            nan
            if v is None
            else float((v.toordinal() - EPOCH_ORDINAL) * MINUTES_PER_DAY)
            if not isinstance(v, datetime)
            # `datetime_to_minutes`'s sum, term by term: the same double, microseconds included
            else (v.toordinal() - EPOCH_ORDINAL) * MINUTES_PER_DAY
            + v.hour * 60
            + v.minute
            + (v.second + v.microsecond / 1e6) / 60.0
            for v in values
        ],
        dtype=np.float64,
    )


def minutes_to_datetime(minutes: float) -> dt.datetime:
    """Inverse of `datetime_to_minutes`, rounded to the second."""
    day, minute = divmod(float(minutes), MINUTES_PER_DAY)
    seconds = round(minute * 60)
    return dt.datetime.combine(day_to_date(int(day)), dt.time()) + dt.timedelta(seconds=seconds)


def minutes_to_iso(minutes: float) -> str:
    """Wall minutes as ISO text: `YYYY-MM-DDTHH:MM`, with seconds only when not whole."""
    t = minutes_to_datetime(minutes)
    return t.isoformat(timespec="minutes" if t.second == 0 else "seconds")


def minutes_to_iso_array(minutes: np.ndarray, seconds: bool = False) -> list[str]:
    """`minutes_to_iso` over an array ("never" for inf/NaN); whole minutes are formatted by numpy.
    With `seconds`, every stamp has seconds (`YYYY-MM-DDTHH:MM:SS`): one format for a column that
    log tools parse with a single pattern."""
    minutes = np.asarray(minutes, dtype=np.float64)
    finite = np.isfinite(minutes)
    whole = np.round(np.where(finite, minutes, 0.0) * 60).astype(np.int64)
    text = np.datetime_as_string(whole.astype("datetime64[s]"), unit="s" if seconds else "m")
    if seconds:
        return [t if ok else "never" for t, ok in zip(text.tolist(), finite.tolist())]
    return [
        t if ok and s % 60 == 0 else (minutes_to_iso(m) if ok else "never")
        for t, ok, s, m in zip(text.tolist(), finite.tolist(), whole.tolist(), minutes.tolist())
    ]


def days_to_dates(days: np.ndarray) -> np.ndarray:
    """Epoch days as numpy `datetime64[D]` values."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def parse_date(text: str, *, field: str = "date", source: str | None = None) -> dt.date:
    """A `YYYY-MM-DD` date; anything else is a located `SlasimError`."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise SlasimError(
            "not a date (expected YYYY-MM-DD): {value}",
            source=source,
            field=field,
            value=repr(text),
        ) from None


def as_date(value) -> dt.date:
    """A date as it comes from a file: a `date` (JSON-free YAML loaders) or `YYYY-MM-DD` text."""
    return value if isinstance(value, dt.date) else parse_date(value)


def parse_instant(
    value, *, field: str = "time", source: str | None = None
) -> dt.date | dt.datetime:
    """A date (`YYYY-MM-DD`) or a timestamp (`YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]`, optionally with a
    UTC offset: `Z`, `+08:00`, `-12:00`): the one parser for instants in check files, case logs
    and the command line, so an offset means the same everywhere. YAML may hand us either type."""
    if isinstance(value, dt.date):  # a datetime is a date too
        return value
    text = str(value).strip()
    try:
        if len(text) <= 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise SlasimError(
            "not a date or datetime (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM): {value}",
            source=source,
            field=field,
            value=repr(text),
        ) from None


def parse_instants(texts) -> dict:
    """Each text's instant as `parse_instant` reads it, for many texts at once (a located
    `SlasimError` for the first it refuses). Plain texts (no space around or inside) are read in
    bulk by the `fromisoformat` parsers that `parse_instant` picks by length — its rule, without
    a call per text; the rest are read by `parse_instant` itself."""
    plain = [t for t in texts if type(t) is str and " " not in t and t == t.strip()]
    short = [t for t in plain if len(t) <= 10]
    long = [t for t in plain if len(t) > 10]
    try:
        out = dict(zip(short, map(dt.date.fromisoformat, short)))
        out.update(zip(long, map(dt.datetime.fromisoformat, long)))
    except ValueError:
        out = {}  # one is refused: `parse_instant` says which
    if len(out) != len(texts):
        out.update((t, parse_instant(t)) for t in texts if t not in out)
    return out


def parse_clock(text: str, *, field: str, source: str | None = None) -> int:
    """`HH:MM` → minutes after midnight; `24:00` is allowed as an end of day."""
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise SlasimError(
            "not a time of day (expected HH:MM): {value}",
            source=source,
            field=field,
            value=repr(text),
        ) from None
    if not 0 <= value <= MINUTES_PER_DAY or not 0 <= int(minutes) < 60:
        raise SlasimError(
            "time of day out of range: {value}", source=source, field=field, value=repr(text)
        )
    return value
