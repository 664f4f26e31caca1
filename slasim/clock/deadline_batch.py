"""Many deadlines at once (`slasim deadline --from`): each row's result is what `compute_deadline`
gives for it, computed for all rows of one calendar and limit unit together through `ClockBatch`.

A row is a start (a date or a local instant), a limit, an optional calendar and optional
extensions (Art. 42). Rows the batch does not take are computed one by one by
`compute_deadline` itself: a start with a UTC offset (converted and checked against the zone's
repeated hours there), and an extension in another unit than the cap's (capped across units from
the unextended due). A row that is wrong is reported as `compute_deadline` reports it, located
by the row's `where` (its file and line).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from slasim.calendar.units import (
    MINUTES_PER_DAY,
    days_to_dates,
    instants_to_minutes,
    minutes_to_iso_array,
    parse_instant,
)
from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.clock.case_clock import ClockBatch
from slasim.clock.deadline import DEFAULT_EXTENSION, compute_deadline
from slasim.clock.extensions import applied_extension
from slasim.clock.limits import Limit, last_counted_day
from slasim.io.errors import SlasimError


class _Row:
    """One request, parsed: start value, limit, extension texts and their capped total."""

    __slots__ = ("value", "limit", "extensions", "total")

    def __init__(self, value, limit: Limit, extensions: list[str], total: float):
        self.value, self.limit, self.extensions, self.total = value, limit, extensions, total


def compute_deadlines(
    starts: list,
    limits: list[str],
    *,
    calendars: list[str | None] | None = None,
    extensions: list[list[str]] | None = None,
    calendar: str | WorkCalendar = "cn",
    strict: bool = False,
    where: list[str] | None = None,
) -> list[dict]:
    """The `DeadlineResult.to_json()` of each row, in order. `calendars[i]` (None: `calendar`)
    and `extensions[i]` are optional per row; `where[i]` locates a row's error (e.g. `line 3`)."""
    n = len(starts)
    calendars = calendars or [None] * n
    extensions = extensions or [[] for _ in range(n)]
    where = where or [f"row {i + 1}" for i in range(n)]
    rows: list[_Row] = []
    groups: dict[tuple, list[int]] = {}
    single: list[int] = []
    instants: dict = {}
    totals: dict = {}
    for i in range(n):
        try:
            value = instants.get(starts[i])
            if value is None:
                value = parse_instant(starts[i], field="start")
                if isinstance(starts[i], str):
                    instants[starts[i]] = value
            limit = Limit.parse(limits[i])
            texts = extensions[i]
            key = (tuple(texts), limit.unit)
            total = totals.get(key)
            if total is None:
                exts = [Limit.parse(e, field="extensions") for e in texts]
                total = totals[key] = applied_extension(exts, limit.unit, DEFAULT_EXTENSION, [])
        except SlasimError as exc:
            raise _located(exc, where[i]) from None
        rows.append(_Row(value, limit, texts, total))
        offset = isinstance(value, dt.datetime) and value.tzinfo is not None
        if offset or (total and DEFAULT_EXTENSION.max_total.unit != limit.unit):
            single.append(i)
        else:
            groups.setdefault((calendars[i] or calendar, limit.unit), []).append(i)
    out: list = [None] * n
    loaded: dict = {}
    for (name, unit), index in groups.items():
        cal = _calendar(name, loaded, where[index[0]])
        _batch(cal, unit, index, rows, out, strict, where)
    for i in single:
        out[i] = _one(rows[i], calendars[i] or calendar, loaded, strict, where[i])
    return out


def _located(exc: SlasimError, where: str) -> SlasimError:
    field = f"{where}: {exc.field}" if exc.field else where
    return SlasimError(exc.message, source=exc.source, field=field)


def _calendar(name, loaded: dict, where: str) -> WorkCalendar:
    if isinstance(name, WorkCalendar):
        return name
    if name not in loaded:
        try:
            loaded[name] = load_calendar(name)
        except SlasimError as exc:
            raise _located(exc, where) from None
    return loaded[name]


def _one(row: _Row, name, loaded: dict, strict: bool, where: str) -> dict:
    """A row computed alone, exactly as `slasim deadline` computes it."""
    try:
        cal = _calendar(name, loaded, where)
        result = compute_deadline(
            row.limit, accepted=row.value, calendar=cal, extensions=row.extensions, strict=strict
        )
    except SlasimError as exc:
        raise _located(exc, where) from None
    return result.to_json()


def _fail(index, rows, cal, strict: bool, where) -> None:
    """Raise the error of the first of these rows that `compute_deadline` refuses."""
    for i in index:
        _one(rows[i], cal, {}, strict, where[i])
    raise AssertionError("a batch failed where every row alone passes")  # pragma: no cover


def _texts(cal: WorkCalendar, walls: np.ndarray, folds=None) -> list[str]:
    """`cal.instant_text` of each wall instant: ISO text, with the UTC offset on a repeated hour."""
    texts = minutes_to_iso_array(walls)
    for j in np.flatnonzero(cal.repeated(walls)):
        texts[j] = cal.instant_text(float(walls[j]), 0 if folds is None else int(folds[j]))
    return texts


def _batch(cal: WorkCalendar, unit: str, index: list[int], rows, out, strict: bool, where):
    """The rows at `index` (one calendar, one unit) through one `ClockBatch`."""
    values = [rows[i].value for i in index]
    dated = np.array([not isinstance(v, dt.datetime) for v in values])
    given = instants_to_minutes(values)  # a date: its 00:00; a local instant: its wall minutes
    day = np.floor(given / MINUTES_PER_DAY).astype(np.int64)
    outside = (day < cal.first_day) | (day > cal.last_day)
    if outside.any():
        _fail([index[j] for j in np.flatnonzero(outside)], rows, cal, strict, where)
    gaps = np.flatnonzero(~dated & cal.skipped(given))
    if len(gaps):
        _fail([index[j] for j in gaps], rows, cal, strict, where)
    walls = given.copy()
    opening = dated & cal.is_working_day_array(day)  # a date on a working day: its opening
    walls[opening] = cal.opening_array(day[opening])
    accepted = cal.to_wall_array(cal.to_business_array(walls), side="right")  # into office hours
    amounts = np.array([rows[i].limit.axis_amount for i in index])
    totals = np.array([rows[i].total for i in index], dtype=np.float64)
    batch = ClockBatch(cal, unit, accepted, amounts, totals)
    try:
        due = batch.due()
    except SlasimError:
        _fail(index, rows, cal, strict, where)
    repeated = cal.repeated(due)
    folds = np.zeros(len(due), dtype=np.int64)
    if repeated.any():  # which occurrence of a repeated hour: as `due_fold` decides it
        counted = batch.counted(unit, due, frozen=False)
        folds = (counted < batch.total - 1e-9).astype(np.int64)
    last = last_counted_day(due).astype(np.int64)
    first = np.floor(accepted / MINUTES_PER_DAY).astype(np.int64)
    provisional = cal.is_provisional(first) | cal.is_provisional(last)
    due_texts = _texts(cal, due, folds)
    accepted_texts = _texts(cal, accepted)
    given_texts = _texts(cal, given)
    due_dates = np.datetime_as_string(days_to_dates(last), unit="D").tolist()
    for j, i in enumerate(index):
        row = rows[i]
        warnings = []
        if provisional[j]:
            try:
                warnings.append(cal.provisional_warning([first[j], last[j]], strict=strict))
            except SlasimError as exc:
                raise _located(exc, where[i]) from None
        total = row.total
        out[i] = {
            "calendar": cal.name,
            "start": row.value.isoformat() if dated[j] else given_texts[j],
            "accepted": accepted_texts[j],
            "limit": str(row.limit),
            "due": due_texts[j],
            "due_date": due_dates[j],
            "provisional": bool(provisional[j]),
            "warnings": warnings,
            "extension": str(Limit(total / 60 if unit == "wh" else total, unit)) if total else None,
            "pauses": [],
        }
