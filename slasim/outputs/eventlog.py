"""Event logs of a replication for process mining: CSV written as the run goes, and XES (IEEE 1849).

One row per event: case id, service, activity, lifecycle (`start`/`complete` for work at a desk,
`complete` for clock and card events), wall-clock timestamp, resource (the handler: department and
handler number, `registry#2`) and role (the department). Clock events:
received, accepted, paused/resumed (supplement, special procedure), decided or terminated; card events:
the first time each card level is reached. Rows are buffered in business minutes and converted to
wall time a block at a time; both files are written beside their target and renamed when complete.

An instant at a day's boundary (a close, which is also the next opening on the business axis) is the
opening for what starts there and the close for what ends there — except a step that takes no time:
its completion is written at its start (the opening), so a step never completes before it starts.
"""

from __future__ import annotations

import csv
import datetime as dt
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from slasim.calendar.units import minutes_to_iso_array
from slasim.io.errors import SlasimError
from slasim.io.files import OutputSet
from slasim.io.i18n import os_reason

COLUMNS = ("case_id", "service", "activity", "lifecycle", "timestamp", "resource", "role")
FLUSH_EVERY = 20_000


class EventLog:
    """Collects events (business or wall minutes) and streams them to `path` (CSV) and `path`.xes."""

    def __init__(self, path: Path, calendar, outputs: OutputSet | None = None):
        self.path = Path(path)
        self.calendar = calendar
        # Part of a caller's set of outputs (renamed with them), else a set of its own.
        self._own_set = outputs is None
        self.outputs = OutputSet() if outputs is None else outputs
        self._tmp = self.outputs.stage(self.path)
        self._file = open(self._tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close/discard
        self._writer = csv.writer(self._file)
        self._writer.writerow(COLUMNS)
        self._rows: list[
            tuple
        ] = []  # (case, service, activity, lifecycle, minutes, is_wall, resource)
        # An instant at a day's boundary is the opening for what starts there, the close for what
        # ends.
        self._starts = {"received", "accepted", "resumed"}
        # Steps under way: (case, activity) → business minutes of their starts, to tell a step that
        # took no time (written at its start's wall instant).
        self._started: dict[tuple[str, str], list[float]] = {}

    def add(
        self,
        case: str,
        service: str,
        activity: str,
        lifecycle: str,
        business_minutes: float,
        resource: str = "",
        role: str = "",
    ) -> None:
        """Record an event at business minutes (converted to wall time when written)."""
        if lifecycle == "start":
            self._started.setdefault((case, activity), []).append(business_minutes)
        elif lifecycle == "complete" and (case, activity) in self._started:
            starts = self._started[(case, activity)]
            if starts.pop(0) == business_minutes:
                lifecycle = "complete@start"  # a zero-length step: at its start's instant
            if not starts:
                del self._started[(case, activity)]
        row = (case, service, activity, lifecycle, business_minutes, False, resource, role)
        self._rows.append(row)
        if len(self._rows) >= FLUSH_EVERY:
            self.flush()

    def add_wall(self, case: str, service: str, activity: str, wall_minutes: float) -> None:
        """Record a clock or card event already in wall minutes."""
        self._rows.append((case, service, activity, "complete", wall_minutes, True, "", ""))
        if len(self._rows) >= FLUSH_EVERY:
            self.flush()

    def case(self, record, service: str) -> None:
        """The clock events of a case that finished (or is open at the end of the run)."""
        case = f"{service}-{record.number}"
        self.add(case, service, "received", "complete", record.received)
        if record.is_accepted:
            self.add(case, service, "accepted", "complete", record.accepted)
        for start, end in record.pauses or ():
            self.add(case, service, "paused", "complete", start)
            if end != float("inf"):
                self.add(case, service, "resumed", "complete", end)
        if record.decided != float("inf"):
            self.add(
                case,
                service,
                "terminated" if record.gave_up else "decided",
                "complete",
                record.decided,
            )

    def flush(self) -> None:
        """Write the buffered events to the CSV in time order (a failed write, a full disk, is
        one error naming the log)."""
        if not self._rows:
            return
        with self._writing():
            self._write_rows()

    @contextmanager
    def _writing(self):
        """A failed write (a full disk, say) as one error naming the log."""
        try:
            yield
        except OSError as exc:
            raise SlasimError(
                "cannot write the event log: {why}", source=str(self.path), why=os_reason(exc)
            ) from None

    def _write_rows(self) -> None:
        minutes = np.array([r[4] for r in self._rows], dtype=np.float64)
        is_wall = np.array([r[5] for r in self._rows], dtype=bool)
        opening = np.array(
            [r[3] in ("start", "complete@start") or r[2] in self._starts for r in self._rows],
            dtype=bool,
        )
        wall = minutes.copy()
        for side, mask in (("right", ~is_wall & opening), ("left", ~is_wall & ~opening)):
            wall[mask] = self.calendar.to_wall_array(minutes[mask], side=side)
        for row, stamp in zip(self._rows, minutes_to_iso_array(wall, seconds=True)):
            lifecycle = "complete" if row[3] == "complete@start" else row[3]
            self._writer.writerow((row[0], row[1], row[2], lifecycle, stamp, row[6], row[7]))
        self._rows = []

    def close(self) -> None:
        """Finish the CSV, then write the XES beside it; both appear only when complete (with the
        caller's other outputs, if the log is part of a set)."""
        self.flush()
        xes = self.outputs.stage(self.path.with_suffix(".xes"))
        with self._writing():
            self._file.close()
            write_xes(self._tmp, xes, self.calendar.tz)
        if self._own_set:
            self.outputs.commit()

    def discard(self) -> None:
        """Drop the unfinished log: close it and remove its temporary files."""
        self._file.close()
        if self._own_set:
            self.outputs.discard()


def write_xes(csv_path: Path, xes_path: Path, tz) -> None:
    """XES from the CSV, written to `xes_path`: one trace per case, events in time order (standard
    concept/time/lifecycle/org attributes)."""
    traces: dict[str, list[dict]] = {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            traces.setdefault(row["case_id"], []).append(row)
    log = ET.Element(
        "log",
        {
            "xes.version": "1.0",
            "xes.features": "nested-attributes",
            "xmlns": "http://www.xes-standard.org/",
        },
    )
    for name, prefix, uri in (
        ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
        ("Time", "time", "http://www.xes-standard.org/time.xesext"),
        ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
        ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ):
        ET.SubElement(log, "extension", {"name": name, "prefix": prefix, "uri": uri})
    for case, events in traces.items():
        trace = ET.SubElement(log, "trace")
        ET.SubElement(trace, "string", {"key": "concept:name", "value": case})
        ET.SubElement(trace, "string", {"key": "service", "value": events[0]["service"]})
        for event in sorted(events, key=lambda e: e["timestamp"]):
            node = ET.SubElement(trace, "event")
            ET.SubElement(node, "string", {"key": "concept:name", "value": event["activity"]})
            ET.SubElement(
                node, "string", {"key": "lifecycle:transition", "value": event["lifecycle"]}
            )
            stamp = dt.datetime.fromisoformat(event["timestamp"]).replace(tzinfo=tz).isoformat()
            ET.SubElement(node, "date", {"key": "time:timestamp", "value": stamp})
            if event["resource"]:
                ET.SubElement(node, "string", {"key": "org:resource", "value": event["resource"]})
            if event["role"]:
                ET.SubElement(node, "string", {"key": "org:role", "value": event["role"]})
    ET.ElementTree(log).write(xes_path, encoding="utf-8", xml_declaration=True)
