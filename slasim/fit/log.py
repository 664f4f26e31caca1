"""Reading a case log (CSV, CSV.gz or XES) into columns of events on a calendar's wall clock.

Columns are found by name (pm4py/XES names first, then common CSV names) or given explicitly. A
`lifecycle:transition` column with start/complete rows is paired into one event per activity
instance. Timestamps are ISO 8601; those with a UTC offset are converted to the calendar's time
zone, those without are read as the calendar's local time; a log mixing both is refused. Missing
start times (logs that record completions only) are estimated as the later of the previous
completion in the case (enablement) and the handler's previous completion (availability), and
the result says they were estimated. In a log with start/complete pairs, an activity that never
has a start row is a milestone (a receipt, a decision, a card): it dates the case but is not a step.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from slasim.calendar.units import datetime_to_minutes, parse_instant
from slasim.io.errors import SlasimError

CANDIDATES = {
    "case": ("case:concept:name", "case_id", "case", "caseid", "case id"),
    "activity": ("concept:name", "activity", "task", "activity_name"),
    "start": ("start_timestamp", "start_time", "time:start", "start"),
    "end": ("time:timestamp", "end_timestamp", "end_time", "end", "timestamp"),
    "resource": ("org:resource", "resource", "user", "handler"),
    "role": ("org:role", "role", "department"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition"),
    "deadline": ("case:deadline", "deadline", "due"),
}
MAX_LOG_MB = 512  # a log is read whole into memory: larger files are refused, not half-read


@dataclass
class Events:
    """Events as columns (one row per activity instance), times in wall minutes of the calendar."""

    source: str
    case: np.ndarray  # object: case ids as text
    activity: np.ndarray  # object
    resource: np.ndarray  # object ("" when unknown)
    role: np.ndarray  # object ("" when unknown)
    service: np.ndarray  # object ("" when one service)
    start: np.ndarray  # float wall minutes
    end: np.ndarray  # float wall minutes
    milestone: np.ndarray  # bool: an instant marker (receipt, decision, a card), not work
    starts_estimated: int = 0
    columns: dict = field(default_factory=dict)
    deadlines: dict = field(default_factory=dict)  # case → wall minutes, from a deadline column

    def __len__(self) -> int:
        return len(self.case)

    def take(self, mask: np.ndarray) -> Events:
        """The events where `mask` is true."""
        return Events(
            self.source,
            self.case[mask],
            self.activity[mask],
            self.resource[mask],
            self.role[mask],
            self.service[mask],
            self.start[mask],
            self.end[mask],
            self.milestone[mask],
            self.starts_estimated,
            self.columns,
        )


def _open_text(path: Path):
    try:
        if path.suffix == ".gz":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
        return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise SlasimError(f"cannot read the log ({exc.strerror})", source=str(path)) from None


def _pick(header: list[str], role: str, given: str | None, source: str) -> str | None:
    lowered = {h.lower(): h for h in header}
    if given is not None:
        if given not in header:
            raise SlasimError(
                f"no column {given!r} (columns: {', '.join(header)})", source=source, field=role
            )
        return given
    return next((lowered[c] for c in CANDIDATES[role] if c in lowered), None)


class TimeReader:
    """ISO timestamps → wall minutes in a time zone; refuses a log that mixes offsets and none."""

    def __init__(self, tz, source: str):
        self.tz, self.source, self.aware = tz, source, None

    def __call__(self, text: str, row: int, column: str) -> float:
        """Wall minutes of one timestamp (NaN for an empty cell)."""
        text = text.strip()
        if not text:
            return np.nan
        try:
            t = parse_instant(text)
        except SlasimError:
            raise SlasimError(
                f"row {row}: not an ISO timestamp: {text!r}", source=self.source, field=column
            ) from None
        if not isinstance(t, dt.datetime):  # a date alone: its midnight
            t = dt.datetime.combine(t, dt.time())
        aware = t.tzinfo is not None
        if self.aware is None:
            self.aware = aware
        elif aware != self.aware:
            raise SlasimError(
                f"row {row}: time zones mixed (some timestamps have a UTC offset, some not)",
                source=self.source,
                field=column,
            )
        return datetime_to_minutes(t, self.tz)


def read_log(
    path: Path,
    calendar,
    *,
    case: str | None = None,
    activity: str | None = None,
    start: str | None = None,
    end: str | None = None,
    resource: str | None = None,
    role: str | None = None,
    service: str | None = None,
    max_mb: float = MAX_LOG_MB,
) -> Events:
    """Read a log file into `Events` (XES through pm4py, CSV with the standard library)."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise SlasimError("log file not found (or not a regular file)", source=source)
    size_mb = path.stat().st_size / 2**20
    if size_mb > max_mb:
        raise SlasimError(
            f"the log is {size_mb:,.0f} MB, over the {max_mb:g} MB read into memory "
            "(--max-log-mb raises it; or fit a slice of the cases)",
            source=source,
        )
    if path.name.lower().endswith((".xes", ".xes.gz")):
        header, rows = _xes_rows(path)
    else:
        handle = _open_text(path)
        with handle:
            try:
                reader = csv.reader(handle)
                header = next(reader, None)
                rows = list(reader)
            except (UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
                raise SlasimError(f"not a readable CSV log ({exc})", source=source) from None
    if not header or not rows:
        raise SlasimError(
            "the log is empty (a header and at least one event are needed)", source=source
        )
    names = {
        "case": _pick(header, "case", case, source),
        "activity": _pick(header, "activity", activity, source),
        "start": _pick(header, "start", start, source),
        "end": _pick(header, "end", end, source),
        "resource": _pick(header, "resource", resource, source),
        "role": _pick(header, "role", role, source),
        "lifecycle": _pick(header, "lifecycle", None, source),
        "deadline": _pick(header, "deadline", None, source),
        "service": _pick(header, "role", service, source) if service else None,
    }
    for needed in ("case", "activity", "end"):
        if names[needed] is None:
            raise SlasimError(
                f"no {needed} column found (give --{needed}; columns: {', '.join(header)})",
                source=source,
                field=needed,
            )
    index = {name: header.index(col) for name, col in names.items() if col is not None}
    return _columns(rows, index, names, TimeReader(calendar.tz, source), source)


def _xes_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        import pm4py
    except ImportError:
        raise SlasimError(
            "reading XES needs the optional extra: pip install 'slasim[fit]'", source=str(path)
        ) from None
    try:
        frame = pm4py.read_xes(str(path))
    except Exception as exc:  # pm4py raises many kinds on a broken file
        raise SlasimError(f"not a readable XES log ({exc})", source=str(path)) from None
    header = [str(c) for c in frame.columns]
    rows = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
    return header, rows


def _columns(rows, index: dict, names: dict, when: TimeReader, source: str) -> Events:
    width = max(index.values()) + 1
    cases, acts, res, roles, services, starts, ends = [], [], [], [], [], [], []
    pending: dict[tuple[str, str], list[float]] = {}
    started: set[str] = set()  # activities with start rows (with a lifecycle column)
    deadlines: dict[str, float] = {}
    lifecycle = index.get("lifecycle")
    for number, row in enumerate(rows, start=2):
        if len(row) < width:
            raise SlasimError(f"row {number}: {len(row)} cells, {width} needed", source=source)
        case_id, act = row[index["case"]], row[index["activity"]]
        if not case_id or not act:
            raise SlasimError(f"row {number}: empty case or activity", source=source)
        end_t = when(row[index["end"]], number, names["end"])
        if np.isnan(end_t):
            raise SlasimError(f"row {number}: no timestamp", source=source, field=names["end"])
        if lifecycle is not None:
            kind = row[lifecycle].strip().lower()
            if kind == "start":
                pending.setdefault((case_id, act), []).append(end_t)
                started.add(act)
                continue
            if kind not in ("complete", ""):
                continue
            opened = pending.get((case_id, act))
            start_t = opened.pop(0) if opened else np.nan
        else:
            start_t = (
                when(row[index["start"]], number, names["start"]) if "start" in index else np.nan
            )
        if not np.isnan(start_t) and start_t > end_t:
            raise SlasimError(
                f"row {number}: the event ends before it starts",
                source=source,
                field=names["start"],
            )
        if "deadline" in index and case_id not in deadlines and row[index["deadline"]].strip():
            deadlines[case_id] = when(row[index["deadline"]], number, names["deadline"])
        cases.append(case_id)
        acts.append(act)
        res.append(row[index["resource"]] if "resource" in index else "")
        roles.append(row[index["role"]] if "role" in index else "")
        services.append(row[index["service"]] if "service" in index else "")
        starts.append(start_t)
        ends.append(end_t)
    events = Events(
        source,
        np.array(cases, dtype=object),
        np.array(acts, dtype=object),
        np.array(res, dtype=object),
        np.array(roles, dtype=object),
        np.array(services, dtype=object),
        np.array(starts, dtype=np.float64),
        np.array(ends, dtype=np.float64),
        np.zeros(len(ends), dtype=bool),
        columns={k: v for k, v in names.items() if v},
        deadlines=deadlines,
    )
    if started:  # a lifecycle log: activities that never start are instants, not work
        events.milestone = np.array([a not in started for a in acts], dtype=bool)
        events.start[events.milestone] = events.end[events.milestone]
    _estimate_starts(events)
    _check_cases(events)
    return events


def _estimate_starts(events: Events) -> None:
    """Fill missing starts: max(previous completion in the case, the handler's previous completion),
    never after the event's own completion (Martin et al.'s enablement/availability estimate)."""
    missing = np.isnan(events.start)
    if not missing.any():
        return
    order = np.lexsort((events.end,))
    last_case: dict[str, float] = {}
    last_resource: dict[str, float] = {}
    for i in order.tolist():
        case, resource, end = events.case[i], events.resource[i], events.end[i]
        if missing[i]:
            enabled = last_case.get(case, end)
            available = last_resource.get(resource, -np.inf) if resource else -np.inf
            events.start[i] = min(max(enabled, available), end)
        last_case[case] = max(last_case.get(case, -np.inf), end)
        if resource:
            last_resource[resource] = max(last_resource.get(resource, -np.inf), end)
    events.starts_estimated = int(missing.sum())


def _check_cases(events: Events) -> None:
    counts: dict[str, int] = {}
    for case in events.case.tolist():
        counts[case] = counts.get(case, 0) + 1
    if len(counts) < 2:
        raise SlasimError("the log has fewer than two cases: nothing to fit", source=events.source)
