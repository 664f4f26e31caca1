"""Local wall minutes against real time in a calendar's zone: UTC offsets, and the days whose clocks
change (daylight saving), with their skipped hour (a gap) or repeated hour (a fold, PEP 495).

Wall minutes (`units`) are naive local time. On most days a local difference is a real one; on a
day whose UTC offset changes it is not, and the business-time axis (`workcalendar`) measures those
days' office intervals in real minutes through these functions. Conventions:
  - a naive local time in a repeated hour is its first occurrence (fold 0) unless told otherwise;
  - a local time in a gap does not exist; read with fold 0 it lands past the gap by the gap's length
    (02:30 on a spring-forward day in New York is 03:30), which is where computed instants go;
    instants given by a user in a gap are refused (`check_local`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from slasim.io.errors import SlasimError

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _local_datetime(local: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(minutes=float(local))


def offset_minutes(local: float, tz: ZoneInfo, fold: int = 0) -> float:
    """UTC offset (minutes) of a naive local instant read with `fold`."""
    return _local_datetime(local).replace(tzinfo=tz, fold=fold).utcoffset() / dt.timedelta(
        minutes=1
    )


def utc_minutes(local: float, tz: ZoneInfo, fold: int = 0) -> float:
    """Real minutes since 1970-01-01 00:00 UTC of a naive local instant read with `fold`."""
    return float(local) - offset_minutes(local, tz, fold)


def local_minutes(utc: float, tz: ZoneInfo) -> tuple[float, int]:
    """Naive local minutes of a real instant, and its fold (1: the second of a repeated time)."""
    local = (_EPOCH_UTC + dt.timedelta(minutes=float(utc))).astimezone(tz)
    offset = local.utcoffset() / dt.timedelta(minutes=1)
    return float(utc) + offset, local.fold


def local_kind(local: float, tz: ZoneInfo) -> str:
    """`gap` (the local time does not exist), `repeat` (it exists twice) or `` (once)."""
    first, second = offset_minutes(local, tz, 0), offset_minutes(local, tz, 1)
    if first == second:
        return ""
    # A time in a gap read with fold 0 and converted back comes out elsewhere.
    back, _ = local_minutes(local - first, tz)
    return "repeat" if back == float(local) else "gap"


def utc_bound(local: float, tz: ZoneInfo, fold: int) -> float:
    """Real minutes of an office-hours bound: `utc_minutes` with `fold`, except that a bound in a
    gap is the instant the clocks jump (every earlier local time of the day is before it, every
    later one after), found to the second between the gap's two readings."""
    if local_kind(local, tz) != "gap":
        return utc_minutes(local, tz, fold)
    low, high = utc_minutes(local, tz, 1), utc_minutes(local, tz, 0)  # the jump lies between
    before = offset_minutes_utc(low, tz)
    while high - low > 0.5 / 60:
        middle = (low + high) / 2
        low, high = (middle, high) if offset_minutes_utc(middle, tz) == before else (low, middle)
    return round(high * 60) / 60


def offset_minutes_utc(utc: float, tz: ZoneInfo) -> float:
    """UTC offset (minutes) in force at a real instant."""
    return local_minutes(utc, tz)[0] - float(utc)


def changing_days(first_day: int, ndays: int, tz: ZoneInfo) -> np.ndarray:
    """Indices (from `first_day`) of the days whose UTC offset changes during the day. Offsets are
    sampled weekly, then daily within a week that changed: a change and its reversal within one
    week would not be seen (daylight saving changes months apart)."""
    offset_at = lambda day: offset_minutes(day * 1440.0, tz)  # noqa: E731
    weeks = list(range(first_day, first_day + ndays + 7, 7))
    offsets = [offset_at(day) for day in weeks]
    out = []
    for start, a, b in zip(weeks, offsets, offsets[1:]):
        if a != b:
            daily = [offset_at(day) for day in range(start, start + 8)]
            out += [start + i for i in range(7) if daily[i] != daily[i + 1]]
    out = np.array([d - first_day for d in out if first_day <= d < first_day + ndays], dtype=int)
    return out.astype(np.int64)


def check_local(t: dt.datetime, tz: ZoneInfo, *, field: str, source: str | None = None) -> None:
    """Refuse a naive input time that does not exist in the zone (in a spring-forward gap)."""
    if t.tzinfo is not None:
        return
    wall = (t - _EPOCH) / dt.timedelta(minutes=1)
    if local_kind(wall, tz) == "gap":
        raise SlasimError(
            "{time} does not exist in {zone} (the clocks skip it that day): give a time outside "
            "the skipped hour, or with its UTC offset",
            source=source,
            field=field,
            time=t.isoformat(timespec="minutes"),
            zone=tz.key,
        )
