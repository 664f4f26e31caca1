"""Event logs as the field scores them: one pandas frame per log with the columns `case_id,
activity, resource, start_time, end_time`, times as UTC-aware pandas timestamps.

Reading follows the published protocol: every timestamp goes through
`pandas.to_datetime(utc=True, format="mixed")`, so naive stamps are taken as UTC and stamps with an
offset are shifted to UTC (hour-of-day measures then work in UTC on both sides alike). A log is
read through `slasim.io.logfile`: its decompressed bytes capped, the memory its rows take bounded.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import pandas as pd

from slasim.io.columns import find_column
from slasim.io.errors import SlasimError, shown
from slasim.io.logfile import MAX_LOG_MB, bytes_read, check_rows, open_log, open_log_text
from slasim.scenario.names import Verbatim

COLUMNS = ("case_id", "activity", "resource", "start_time", "end_time")
# each column's role in the one list of log column names `slasim fit` also reads (`slasim.io.columns`)
ROLES = {
    "case_id": "case",
    "activity": "activity",
    "resource": "resource",
    "start_time": "start",
    "end_time": "end",
}


def ids():
    """log-distance-measures' column mapping for a frame of this module."""
    from log_distance_measures.config import EventLogIDs

    return EventLogIDs(
        case="case_id",
        activity="activity",
        start_time="start_time",
        end_time="end_time",
        resource="resource",
    )


class Frame:
    """A scored log: its events, whether its file wrote UTC offsets (`aware`, which says how a
    simulated log set beside it is to be stamped) and each case's receipt (`received`: its first
    event, a milestone such as a receipt included, as `slasim fit` dates a case)."""

    def __init__(
        self,
        events: pd.DataFrame,
        aware: bool,
        source: str = "",
        received: pd.Series | None = None,
    ):
        self.events, self.aware, self.source = events, aware, source
        self._received = received

    @property
    def cases(self) -> int:
        return int(self.events["case_id"].nunique())

    @property
    def received(self) -> pd.Series:
        """Each case's receipt, by case id (its first start when the log has no milestone)."""
        return self._received if self._received is not None else case_starts(self.events)


def file_line(path: Path, row: int, max_mb: float = MAX_LOG_MB) -> int:
    """The file line on which data row `row` (0-based, as pandas counts: blank lines skipped)
    begins, a quoted field running over several lines counted as the file counts it."""
    with open_log_text(path, max_mb) as f:
        reader = csv.reader(f)
        next(reader, None)  # the header
        end, k = reader.line_num, 0
        for record in reader:
            begins, end = end + 1, reader.line_num
            if record:
                if k == row:
                    return begins
                k += 1
    return end


def utc(
    texts: pd.Series,
    source: str,
    column: str,
    path: Path | None = None,
    max_mb: float = MAX_LOG_MB,
) -> pd.Series:
    """Timestamps as the field reads them (naive taken as UTC, offsets shifted to UTC); a text
    that is not one is named with its file line."""
    try:
        return pd.to_datetime(texts, utc=True, format="mixed")
    except (ValueError, TypeError, OverflowError):
        pass
    parsed = pd.to_datetime(texts, utc=True, format="mixed", errors="coerce")
    bad = (parsed.isna() & texts.str.strip().ne("")).to_numpy()
    if bad.any():
        row = int(bad.argmax())
        line = file_line(path, row, max_mb) if path is not None else row + 2
        raise SlasimError(
            "line {line}: not a timestamp: {value}",
            source=source,
            field=column,
            line=line,
            value=shown(texts.iloc[row]),
        )
    raise SlasimError("not a timestamp column (mixed formats)", source=source, field=column)


CHUNK_ROWS = 65_536  # rows read at a time, the memory they take checked after each


def _read_csv(path: Path, max_mb: float) -> pd.DataFrame:
    """The log's cells as texts, read a chunk of rows at a time through the capped opener: over
    `max_mb` decompressed, or rows taking over the memory bound, is one located error."""
    source = str(path)
    chunks, rows = [], 0
    try:
        with open_log(path, max_mb) as stream:
            reader = pd.read_csv(stream, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS)
            with reader:
                for chunk in reader:
                    chunks.append(chunk)
                    rows += len(chunk)
                    check_rows(rows, len(chunk.columns), bytes_read(stream), max_mb, source)
    except SlasimError:
        raise
    except pd.errors.EmptyDataError:
        raise SlasimError(
            "the log is empty (a header and at least one event are needed)", source=source
        ) from None
    except (OSError, ValueError, EOFError, zlib.error) as err:  # UnicodeDecodeError included
        problem = type(err).__name__ if isinstance(err, UnicodeDecodeError) else err
        raise SlasimError(
            "cannot read the log as CSV ({problem})", source=source, problem=str(problem)
        ) from None
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def read_frame(
    path: Path, columns: dict[str, str] | None = None, max_mb: float = MAX_LOG_MB
) -> Frame:
    """A CSV (or CSV.gz) event log as a frame; `columns` maps this module's names to the file's
    (found by the shared column names when not given). Bad files raise `SlasimError` naming file,
    column and line; a log over `max_mb` MB decompressed is refused, not half-read."""
    source = str(path)
    raw = _read_csv(path, max_mb)
    if len(raw.columns) < 3:  # not a log at all (a private file, say): its first line is not shown
        raise SlasimError(
            "not a case log: its first line has {count} column(s), a log needs case, "
            "activity and time columns",
            source=source,
            count=len(raw.columns),
        )
    chosen = {}
    for name in COLUMNS:
        given = (columns or {}).get(name)
        if given is not None and given not in raw.columns:
            raise SlasimError(
                "no column {name} in the log", source=source, field=name, name=shown(given)
            )
        found = given or find_column(list(raw.columns), ROLES[name])
        if found is None and name != "resource":
            raise SlasimError(
                "no {role} column found (columns: {columns})",
                source=source,
                field=name,
                role=Verbatim(name),
                columns=", ".join(map(shown, raw.columns)),
            )
        chosen[name] = found
    if raw.empty:
        raise SlasimError("the log has no events", source=source)
    out = pd.DataFrame(
        {
            "case_id": raw[chosen["case_id"]].astype(str),
            "activity": raw[chosen["activity"]].astype(str),
            "resource": raw[chosen["resource"]].astype(str) if chosen["resource"] else "",
        }
    )
    stamps = raw[chosen["end_time"]]
    aware = bool(stamps.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any())
    out["start_time"] = utc(raw[chosen["start_time"]], source, chosen["start_time"], path, max_mb)
    out["end_time"] = utc(stamps, source, chosen["end_time"], path, max_mb)
    if out["start_time"].isna().any() or out["end_time"].isna().any():
        column = chosen["start_time"] if out["start_time"].isna().any() else chosen["end_time"]
        row = file_line(
            path,
            int(out[["start_time", "end_time"]].isna().any(axis=1).to_numpy().argmax()),
            max_mb,
        )
        raise SlasimError("line {line}: empty timestamp", source=source, field=column, line=row)
    backwards = out["end_time"] < out["start_time"]
    if backwards.any():
        row = file_line(path, int(backwards.to_numpy().argmax()), max_mb)
        raise SlasimError(
            "line {line}: ends before it starts",
            source=source,
            field=chosen["end_time"],
            line=row,
        )
    return Frame(out, aware, source)


def case_starts(events: pd.DataFrame) -> pd.Series:
    """Each case's first start, by case id."""
    return events.groupby("case_id", sort=False)["start_time"].min()


def frame_of_events(events) -> Frame:
    """A frame of a log read by `slasim.fit.log.read_log` (lifecycle pairs joined, missing starts
    estimated, XES): its steps (milestones left out), the calendar's wall clock taken as UTC."""
    import numpy as np

    steps = ~np.asarray(events.milestone, dtype=bool)

    def stamps(minutes, every: bool = False) -> pd.Series:
        minutes = np.asarray(minutes, dtype=np.float64)
        micros = np.round((minutes if every else minutes[steps]) * 60e6).astype("int64")
        return pd.Series(pd.to_datetime(micros, unit="us").tz_localize("UTC"))

    out = pd.DataFrame(
        {
            "case_id": np.asarray(events.case, dtype=object)[steps].astype(str),
            "activity": np.asarray(events.activity, dtype=object)[steps].astype(str),
            "resource": np.asarray(events.resource, dtype=object)[steps].astype(str),
        }
    )
    out["start_time"], out["end_time"] = stamps(events.start), stamps(events.end)
    every = pd.DataFrame({"case_id": np.asarray(events.case, dtype=object).astype(str)})
    every["start_time"] = stamps(events.start, every=True)  # milestones too: the receipts
    return Frame(out, aware=False, source=events.source, received=case_starts(every))
