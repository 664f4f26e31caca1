"""Many deadlines at once (`slasim deadline --from`): each row's result is what `compute_deadline`
gives for it, computed for all rows of one calendar and limit unit together through `ClockBatch`.

A row is a start (a date or a local instant), a limit, an optional calendar and optional
extensions (Art. 42; capped as `applied_extension` and, in another unit than the cap's, as
`cap_across_units` caps them, from the unextended due). A start with a UTC offset is computed
alone by `compute_deadline` itself (converted, and checked against the zone's repeated hours
there). A row that is wrong is reported as `compute_deadline` reports it, located by the row's
`where` (its file and line). Results come as `DeadlineResult.to_json()` dicts, or as the JSON
text of each (`deadline_lines`), written without a dict per row.
"""

from __future__ import annotations

import datetime as dt
import json

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
from slasim.clock.limits import Limit, last_counted_day, position, wall_at
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text


class _Row:
    """One request: its texts as given, and when they parse, its start value, limit and capped
    extension total."""

    __slots__ = ("start", "limit_text", "extensions", "calendar", "value", "limit", "total")

    def __init__(self, start, limit_text, extensions, calendar):
        self.start, self.limit_text = start, limit_text
        self.extensions, self.calendar = extensions, calendar
        self.value = self.limit = self.total = None


class _Failed(Exception):
    """Row `row` is refused with `error` (the first such row in the input is reported)."""

    def __init__(self, row: int, error: SlasimError):
        self.row, self.error = row, error


KEYS = (
    "calendar",
    "start",
    "accepted",
    "limit",
    "due",
    "due_date",
    "provisional",
    "warnings",
    "extension",
    "pauses",
)


def compute_deadlines(starts: list, limits: list[str], **options) -> list[dict]:
    """The `DeadlineResult.to_json()` of each row, in order (options as `_compute` takes them)."""
    return [dict(zip(KEYS, row)) for row in _compute(starts, limits, **options)]


def deadline_lines(
    starts: list, limits: list[str], *, warned: dict | None = None, **options
) -> list[str]:
    """Each row's result as one line of JSON, the text `json.dumps(result, ensure_ascii=False)`
    writes for its dict (the free texts, calendar names and warnings, are encoded by `json`;
    the rest are ISO instants and limit texts, which need no escaping). `warned` counts the
    rows of each warning."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    names: dict = {}
    out = []
    for name, start, accepted, limit, due, due_date, provisional, warnings, ext, _ in _compute(
        starts, limits, **options
    ):
        quoted = names.get(name) or names.setdefault(name, encode(name))
        for line in warnings if warned is not None else ():
            warned[line] = warned.get(line, 0) + 1
        extension = "null" if ext is None else f'"{ext}"'
        out.append(
            f'{{"calendar": {quoted}, "start": "{start}", "accepted": "{accepted}", '
            f'"limit": "{limit}", "due": "{due}", "due_date": "{due_date}", '
            f'"provisional": {"true" if provisional else "false"}, '
            f'"warnings": {encode(warnings) if warnings else "[]"}, '
            f'"extension": {extension}, "pauses": []}}'
        )
    return out


def _compute(
    starts: list,
    limits: list[str],
    *,
    calendars: list[str | None] | None = None,
    extensions: list[list[str]] | None = None,
    calendar: str | WorkCalendar = "cn",
    strict: bool = False,
    where: list[str] | None = None,
) -> list[tuple]:
    """Each row's result as a tuple of `KEYS`' values. `calendars[i]` (None: `calendar`) and
    `extensions[i]` are optional per row; `where[i]` locates a row's error (e.g. `line 3`)."""
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
        row = _Row(starts[i], limits[i], extensions[i], calendars[i] or calendar)
        rows.append(row)
        try:
            value = instants.get(row.start)
            if value is None:
                value = parse_instant(row.start, field="start")
                if isinstance(row.start, str):
                    instants[row.start] = value
            limit = Limit.parse(row.limit_text)
            key = (tuple(row.extensions), limit.unit)
            total = totals.get(key)
            if total is None:
                exts = [Limit.parse(e, field="extensions") for e in row.extensions]
                total = totals[key] = applied_extension(exts, limit.unit, DEFAULT_EXTENSION, [])
        except SlasimError:
            single.append(i)  # refused: alone, so the error is the one `deadline` gives first
            continue
        row.value, row.limit, row.total = value, limit, total
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            single.append(i)
        else:
            groups.setdefault((row.calendar, limit.unit), []).append(i)
    out: list = [None] * n
    loaded: dict = {}
    failed: list[_Failed] = []
    for (name, unit), index in groups.items():
        try:
            cal = _calendar(name, loaded, index[0], where)
            _batch(cal, unit, index, rows, out, strict, where)
        except _Failed as exc:
            failed.append(exc)
    for i in single:
        try:
            out[i] = _one(rows[i], loaded, strict, i, where)
        except _Failed as exc:
            failed.append(exc)
    if failed:
        raise min(failed, key=lambda f: f.row).error
    return out


def _located(exc: SlasimError, where: str) -> SlasimError:
    field = Text("{at}: {name}", at=where, name=exc.field) if exc.field else where
    return SlasimError(exc.message, source=exc.source, field=field)


def _calendar(name, loaded: dict, i: int, where) -> WorkCalendar:
    if isinstance(name, WorkCalendar):
        return name
    if name not in loaded:
        try:
            loaded[name] = load_calendar(name)
        except SlasimError as exc:
            raise _Failed(i, _located(exc, where[i])) from None
    return loaded[name]


def _one(row: _Row, loaded: dict, strict: bool, i: int, where) -> tuple:
    """Row i computed alone, exactly as `slasim deadline` computes it (and refused as it is)."""
    try:
        value = parse_instant(row.start, field="start")
        cal = _calendar(row.calendar, loaded, i, where)
        result = compute_deadline(
            row.limit_text,
            accepted=value,
            calendar=cal,
            extensions=row.extensions,
            strict=strict,
        )
    except SlasimError as exc:
        raise _Failed(i, _located(exc, where[i])) from None
    data = result.to_json()
    return tuple(data[k] for k in KEYS)


def _fail(index, rows, strict: bool, where) -> None:
    """Raise the error of the first of these rows that `compute_deadline` refuses."""
    for i in sorted(index):
        _one(rows[i], {}, strict, i, where)
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
    bad = outside | (~dated & ~outside & cal.skipped(np.where(outside, np.nan, given)))
    if bad.any():  # outside the table, or a local time the zone skips
        _fail([index[j] for j in np.flatnonzero(bad)], rows, strict, where)
    walls = given.copy()
    opening = dated & cal.is_open_day_array(day)  # a date the office opens: its opening
    walls[opening] = cal.opening_array(day[opening])
    accepted = cal.to_wall_array(cal.to_business_array(walls), side="right")  # into office hours
    amounts = np.array([rows[i].limit.axis_amount for i in index])
    totals = np.array([rows[i].total for i in index], dtype=np.float64)
    cross = np.flatnonzero(totals > 0) if DEFAULT_EXTENSION.max_total.unit != unit else []
    try:
        if len(cross):
            totals[cross] = _capped(cal, unit, accepted[cross], amounts[cross], totals[cross])
        batch = ClockBatch(cal, unit, accepted, amounts, totals)
        due = batch.due()
    except SlasimError:
        _fail(index, rows, strict, where)
    repeated = cal.repeated(due)
    folds = np.zeros(len(due), dtype=np.int64)
    if repeated.any():  # which occurrence of a repeated hour: as `due_fold` decides it
        counted = batch.counted(unit, due, frozen=False)
        folds = (counted < batch.total - 1e-9).astype(np.int64)
    last = last_counted_day(due).astype(np.int64)
    first = np.floor(accepted / MINUTES_PER_DAY).astype(np.int64)
    provisional = (cal.is_provisional(first) | cal.is_provisional(last)).tolist()
    due_texts = _texts(cal, due, folds)
    accepted_texts = _texts(cal, accepted)
    given_texts = _texts(cal, given)
    due_dates = np.datetime_as_string(days_to_dates(last), unit="D").tolist()
    shown: dict = {}
    texts: dict = {}  # Limit → its text
    starts = [
        g if not d else rows[i].value.isoformat()
        for g, d, i in zip(given_texts, dated.tolist(), index)
    ]
    for j, (i, total, late) in enumerate(zip(index, totals.tolist(), provisional)):
        row = rows[i]
        warnings = []
        if late:
            try:
                warnings.append(cal.provisional_warning([first[j], last[j]], strict=strict))
            except SlasimError as exc:
                raise _Failed(i, _located(exc, where[i])) from None
        extension = None
        if total:
            extension = shown.get(total)
            if extension is None:
                amount = total / 60 if unit == "wh" else total
                extension = shown[total] = str(Limit(amount, unit))
        limit = texts.get(row.limit) or texts.setdefault(row.limit, str(row.limit))
        out[i] = (
            cal.name,
            starts[j],
            accepted_texts[j],
            limit,
            due_texts[j],
            due_dates[j],
            late,
            warnings,
            extension,
            [],
        )


def _capped(cal, unit: str, accepted, amounts, totals) -> np.ndarray:
    """Extensions capped where the rule's cap is in another unit (`cap_across_units`, row-wise):
    at most what moves the unextended due to the cap counted on the cap's axis from there."""
    cap = DEFAULT_EXTENSION.max_total
    base = ClockBatch(cal, unit, accepted, amounts).due()
    reach = wall_at(cal, cap.unit, position(cal, cap.unit, base) + cap.axis_amount)
    room = position(cal, unit, reach) - position(cal, unit, base)
    if unit != "wh":
        room = np.floor(room + 1e-9)
    return np.where(totals <= room, totals, room)
