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
import itertools
import zlib
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, datetime_to_minutes, parse_instant
from slasim.fit.xes import xes_rows
from slasim.io.columns import column_names
from slasim.io.errors import SlasimError, shown
from slasim.io.i18n import Text
from slasim.io.logfile import MAX_LOG_MB, bytes_read, check_rows, open_log_text
from slasim.scenario.names import Verbatim

CANDIDATES = column_names()  # one list for fit and fidelity: slasim/io/log_columns.toml


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

    def codes(self, column: str) -> tuple[np.ndarray, list]:
        """(an integer per event, the distinct values in order of first appearance) of a text
        column (`case`, `activity`, `resource`, …), worked out once per `Events`."""
        cache = self.__dict__.setdefault("_codes", {})
        if column not in cache:
            values = getattr(self, column).tolist()
            seen = {v: k for k, v in enumerate(dict.fromkeys(values))}
            code = np.fromiter(map(seen.__getitem__, values), np.int64, len(values))
            cache[column] = (code, list(seen))
        return cache[column]

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


def _pick(header: list[str], role: str, given: str | None, source: str) -> str | None:
    lowered = {h.lower(): h for h in header}
    if given is not None:
        if given not in header:
            raise SlasimError(
                "no column {name} (columns: {columns})",
                source=source,
                field=role,
                name=repr(given),
                columns=Verbatim(", ".join(header)),
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
                "row {row}: not an ISO timestamp: {value}",
                source=self.source,
                field=column,
                row=row,
                value=shown(text),
            ) from None
        if not isinstance(t, dt.datetime):  # a date alone: its midnight
            t = dt.datetime.combine(t, dt.time())
        aware = t.tzinfo is not None
        if self.aware is None:
            self.aware = aware
        elif aware != self.aware:
            raise SlasimError(
                "row {row}: time zones mixed (some timestamps have a UTC offset, some not)",
                source=self.source,
                field=column,
                row=row,
            )
        return datetime_to_minutes(t, self.tz)

    def column(self, texts: list[str], column: str) -> np.ndarray:
        """Wall minutes of a whole column (NaN for empty cells), parsed in bulk by numpy; any cell
        the bulk path cannot vouch for sends the column through `__call__` one cell at a time,
        which gives the same values and names the first bad row."""
        values = _bulk_minutes(texts, self.tz, self.aware)
        if values is None:
            return np.array(
                [self(text, row, column) for row, text in enumerate(texts, start=2)], np.float64
            )
        minutes, aware = values
        if aware is not None:
            self.aware = aware
        return minutes


def _bulk_minutes(texts: list[str], tz, aware_before: bool | None):
    """(wall minutes, whether the column is timed with offsets or None when empty) of ISO
    timestamps `YYYY-MM-DD[T ]HH:MM[:SS[.f]]` with an optional `Z`/`±HH:MM` offset, or None when a
    cell is of another form, offsets are mixed or differ from `aware_before` (the caller then reads
    cell by cell). Arithmetic as `datetime_to_minutes`, to the last bit."""
    plain = _plain(texts)
    if plain is not None:  # no offsets: the texts are the bodies
        bodies, empty = plain
        aware = {False} if not empty.all() else set()
        if aware_before is True and aware:
            return None
        return _minutes(bodies, empty, None, False, tz, aware)
    bodies, offsets, aware = [], [], set()
    for text in texts:
        text = text.strip()
        if not text:
            bodies.append("NaT")
            offsets.append(0)
            continue
        if len(text) < 10 or text[4] != "-" or text[7] != "-":
            return None
        tail = text[10:]
        if text[-1] == "Z":
            bodies.append(text[:-1])
            offsets.append(0)
            aware.add(True)
        elif len(text) > 16 and text[-6] in "+-" and text[-3] == ":":
            sign = -1 if text[-6] == "-" else 1
            bodies.append(text[:-6])
            offsets.append(sign * (int(text[-5:-3]) * 60 + int(text[-2:])))
            aware.add(True)
        elif "+" in tail or "-" in tail or "Z" in tail or "z" in tail:
            return None  # an offset of another form: read cell by cell
        else:
            bodies.append(text)
            offsets.append(0)
            aware.add(False)
    if len(aware) > 1 or (aware and aware_before is not None and aware_before not in aware):
        return None
    empty = np.array([b == "NaT" for b in bodies], bool)
    return _minutes(bodies, empty, offsets, aware == {True}, tz, aware)


def _plain(texts: list[str]) -> tuple[list[str], np.ndarray] | None:
    """(the bodies, "NaT" where empty; which are empty) when every cell is empty or ASCII
    `YYYY-MM-DD…` of one length with no `+`, `Z`, `z` or further `-` (no offset) and nothing to
    strip (no space first or last), checked on the whole column's characters at once; else None
    (`_bulk_minutes` then looks at each cell)."""
    sizes = set(map(len, texts))
    size = max(sizes, default=0)
    if size < 10 or sizes - {0, size}:
        return None
    joined = "".join(texts)
    count = len(joined) // size
    if (
        not joined.isascii()
        or "+" in joined
        or "Z" in joined
        or "z" in joined
        or joined.count("-") != 2 * count
    ):
        return None
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(count, size)
    dash = ord("-")
    if not (
        (chars[:, 4] == dash).all()
        and (chars[:, 7] == dash).all()  # so no other `-`: no offset
        and (chars[:, 0] > 32).all()
        and (chars[:, -1] > 32).all()
    ):
        return None
    if 0 not in sizes:
        return texts, np.zeros(len(texts), bool)
    return [t or "NaT" for t in texts], np.array([not t for t in texts], bool)


def _minutes(bodies, empty: np.ndarray, offsets, is_aware: bool, tz, aware: set):
    """`_bulk_minutes`'s arithmetic on the cells' bodies (offsets apart), or None when one of them
    is no date-time numpy reads."""
    try:
        stamps = np.array(bodies, dtype="datetime64[us]")
    except ValueError:
        return None
    if np.isnat(stamps[~empty]).any():
        return None
    micro = stamps.astype(np.int64)
    if is_aware:  # to UTC, then to the calendar's zone (offsets looked up per distinct 15 minutes)
        micro = micro - np.array(offsets, np.int64) * 60_000_000
        if tz is not None:
            quarter = micro // 900_000_000
            keys, where = np.unique(quarter[~empty], return_inverse=True)
            shift = np.array(
                [
                    dt.datetime.fromtimestamp(int(k) * 900, tz).utcoffset()
                    // dt.timedelta(microseconds=1)
                    for k in keys.tolist()
                ],
                np.int64,
            )
            micro[~empty] += shift[where]
    whole, rest = np.divmod(micro, 60_000_000)
    seconds, fraction = np.divmod(rest, 1_000_000)
    minutes = whole.astype(np.float64) + (seconds + fraction / 1e6) / 60.0
    minutes[empty] = np.nan
    return minutes, (is_aware if aware else None)


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
    """Read a log file into `Events` (XES and CSV, plain or gzip, decompressed size capped)."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise SlasimError("log file not found (or not a regular file)", source=source)
    size_mb = path.stat().st_size / 2**20
    if size_mb > max_mb:
        raise SlasimError(
            "the log is {size:,.0f} MB, over the {limit:g} MB read into memory "
            "(--max-log-mb raises it; or fit a slice of the cases)",
            source=source,
            size=size_mb,
            limit=max_mb,
        )
    if path.name.lower().endswith((".xes", ".xes.gz")):
        header, rows = xes_rows(path, max_mb)
    else:
        with open_log_text(path, max_mb) as handle:
            try:
                reader = csv.reader(handle)
                header = next(reader, None)
                rows = []
                while chunk := list(itertools.islice(reader, 65_536)):
                    rows += chunk
                    check_rows(len(rows), len(header), bytes_read(handle), max_mb, source)
            except (UnicodeDecodeError, csv.Error, OSError, EOFError, zlib.error) as exc:
                problem = type(exc).__name__ if isinstance(exc, UnicodeDecodeError) else exc
                raise SlasimError(
                    "not a readable CSV log ({problem})", source=source, problem=str(problem)
                ) from None
    if not header or not rows:
        raise SlasimError(
            "the log is empty (a header and at least one event are needed)", source=source
        )
    if len(header) < 3:  # not a log at all (a private file, say): its first line is not shown
        raise SlasimError(
            "not a case log: its first line has {count} column(s), a log needs case, "
            "activity and time columns",
            source=source,
            count=len(header),
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
                "no {role} column found (give --{role}; columns: {columns})",
                source=source,
                field=needed,
                role=Verbatim(needed),
                columns=Verbatim(", ".join(header)),
            )
    index = {name: header.index(col) for name, col in names.items() if col is not None}
    events = _columns(rows, index, names, TimeReader(calendar.tz, source), source)
    days = np.floor(np.concatenate([events.start, events.end]) / MINUTES_PER_DAY)
    try:
        calendar.check_range(days.astype(np.int64))
    except SlasimError as exc:  # a log dated past the calendar's table: say which file, and why
        raise SlasimError(
            "{problem}: the log's events must lie within the calendar's years",
            source=source,
            field=names["end"],
            problem=exc.message if isinstance(exc.message, Text) else Text(exc.message),
        ) from None
    return events


def _columns(rows, index: dict, names: dict, when: TimeReader, source: str) -> Events:
    width = max(index.values()) + 1
    short = min(map(len, rows)) < width  # then the first short row is named
    for number, row in enumerate(rows if short else [], start=2):
        if len(row) < width:
            raise SlasimError(
                "row {row}: {cells} cells, {width} needed",
                source=source,
                row=number,
                cells=len(row),
                width=width,
            )

    def column(key: str) -> list[str] | None:
        return list(map(itemgetter(index[key]), rows)) if key in index else None

    cases, acts = column("case"), column("activity")
    unnamed = not all(cases) or not all(acts)  # then the first such row is named
    for number, (case_id, act) in enumerate(zip(cases, acts) if unnamed else [], start=2):
        if not case_id or not act:
            raise SlasimError("row {row}: empty case or activity", source=source, row=number)
    ends = when.column(column("end"), names["end"])
    missing = np.flatnonzero(np.isnan(ends))
    if len(missing):
        raise SlasimError(
            "row {row}: no timestamp", source=source, field=names["end"], row=int(missing[0]) + 2
        )
    n = len(rows)
    keep = np.ones(n, bool)
    lifecycle = index.get("lifecycle")
    started: set[str] = set()  # activities with start rows (with a lifecycle column)
    if lifecycle is not None:
        starts = np.full(n, np.nan)
        pending: dict[tuple[str, str], list[float]] = {}
        for i, kind in enumerate(column("lifecycle")):
            kind = kind.strip().lower()
            if kind == "start":
                pending.setdefault((cases[i], acts[i]), []).append(ends[i])
                started.add(acts[i])
                keep[i] = False
            elif kind not in ("complete", ""):
                keep[i] = False
            else:
                opened = pending.get((cases[i], acts[i]))
                if opened:
                    starts[i] = opened.pop(0)
    elif "start" in index:
        starts = when.column(column("start"), names["start"])
    else:
        starts = np.full(n, np.nan)
    late = np.flatnonzero(keep & (starts > ends))
    if len(late):
        raise SlasimError(
            "row {row}: the event ends before it starts",
            source=source,
            field=names["start"],
            row=int(late[0]) + 2,
        )
    deadlines: dict[str, float] = {}
    if "deadline" in index:
        texts = column("deadline")
        given = [i for i in np.flatnonzero(keep).tolist() if texts[i].strip()]
        values = when.column([texts[i] for i in given], names["deadline"]) if given else []
        for i, value in zip(given, values):
            deadlines.setdefault(cases[i], float(value))
    pick = np.flatnonzero(keep)
    whole = len(pick) == n  # every row is an event (no lifecycle rows left out)

    def texts(values: list[str] | None) -> np.ndarray:
        """A column as an object array of the kept rows ("" for a column the log lacks)."""
        if values is None:
            return np.full(len(pick), "", dtype=object)
        array = np.array(values, dtype=object)
        return array if whole else array[pick]

    acts_kept = texts(acts)
    events = Events(
        source,
        texts(cases),
        acts_kept,
        texts(column("resource")),
        texts(column("role")),
        texts(column("service")),
        np.ascontiguousarray(starts[pick], dtype=np.float64),
        np.ascontiguousarray(ends[pick], dtype=np.float64),
        np.zeros(len(pick), dtype=bool),
        columns={k: v for k, v in names.items() if v},
        deadlines=deadlines,
    )
    if started:  # a lifecycle log: activities that never start are instants, not work
        events.milestone = np.array([a not in started for a in acts_kept.tolist()], dtype=bool)
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
    if len(events.codes("case")[1]) < 2:
        raise SlasimError("the log has fewer than two cases: nothing to fit", source=events.source)
