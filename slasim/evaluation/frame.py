"""Event logs as the field scores them: one pandas frame per log with the columns `case_id,
activity, resource, start_time, end_time`, times as UTC-aware pandas timestamps.

Reading follows the published protocol: every timestamp goes through
`pandas.to_datetime(utc=True, format="mixed")`, so naive stamps are taken as UTC and stamps with an
offset are shifted to UTC (hour-of-day measures then work in UTC on both sides alike).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from slasim.io.errors import SlasimError

COLUMNS = ("case_id", "activity", "resource", "start_time", "end_time")
# The column names found in public logs (XES/pm4py names, Simod's, AgentSimulator's), first match.
ALIASES = {
    "case_id": ("case_id", "case:concept:name", "case", "caseid"),
    "activity": ("activity", "concept:name", "activity_name", "task"),
    "resource": ("resource", "org:resource", "user", "handler"),
    "start_time": ("start_time", "start_timestamp", "time:start", "start"),
    "end_time": ("end_time", "end_timestamp", "time:timestamp", "end"),
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
    """A scored log: its events and whether its file wrote UTC offsets (`aware`), which says how a
    simulated log set beside it is to be stamped."""

    def __init__(self, events: pd.DataFrame, aware: bool, source: str = ""):
        self.events, self.aware, self.source = events, aware, source

    @property
    def cases(self) -> int:
        return int(self.events["case_id"].nunique())


def utc(texts: pd.Series, source: str, column: str) -> pd.Series:
    """Timestamps as the field reads them (naive taken as UTC, offsets shifted to UTC)."""
    try:
        return pd.to_datetime(texts, utc=True, format="mixed")
    except (ValueError, TypeError) as err:
        raise SlasimError(f"not a timestamp column ({err})", source=source, field=column) from None


def read_frame(path: Path, columns: dict[str, str] | None = None) -> Frame:
    """A CSV (or CSV.gz) event log as a frame; `columns` maps this module's names to the file's
    (found by `ALIASES` when not given). Bad files raise `SlasimError` naming file and column."""
    source = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise SlasimError(f"cannot read the log as CSV ({err})", source=source) from None
    header = {c.lower(): c for c in raw.columns}
    chosen = {}
    for name in COLUMNS:
        given = (columns or {}).get(name)
        if given is not None and given not in raw.columns:
            raise SlasimError(f"no column {given!r} in the log", source=source, field=name)
        found = given or next((header[a] for a in ALIASES[name] if a in header), None)
        if found is None and name != "resource":
            raise SlasimError(
                f"no {name} column found (columns: {', '.join(raw.columns)})",
                source=source,
                field=name,
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
    out["start_time"] = utc(raw[chosen["start_time"]], source, chosen["start_time"])
    out["end_time"] = utc(stamps, source, chosen["end_time"])
    if out["start_time"].isna().any() or out["end_time"].isna().any():
        column = chosen["start_time"] if out["start_time"].isna().any() else chosen["end_time"]
        row = int(out[["start_time", "end_time"]].isna().any(axis=1).to_numpy().argmax()) + 2
        raise SlasimError(f"line {row}: empty timestamp", source=source, field=column)
    backwards = out["end_time"] < out["start_time"]
    if backwards.any():
        row = int(backwards.to_numpy().argmax()) + 2
        raise SlasimError(
            f"line {row}: ends before it starts", source=source, field=chosen["end_time"]
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

    def stamps(minutes) -> pd.Series:
        micros = np.round(np.asarray(minutes, dtype=np.float64)[steps] * 60e6).astype("int64")
        return pd.Series(pd.to_datetime(micros, unit="us").tz_localize("UTC"))

    out = pd.DataFrame(
        {
            "case_id": np.asarray(events.case, dtype=object)[steps].astype(str),
            "activity": np.asarray(events.activity, dtype=object)[steps].astype(str),
            "resource": np.asarray(events.resource, dtype=object)[steps].astype(str),
        }
    )
    out["start_time"], out["end_time"] = stamps(events.start), stamps(events.end)
    return Frame(out, aware=False, source=events.source)
