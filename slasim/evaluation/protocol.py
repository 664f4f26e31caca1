"""The protocol: which real cases are scored, which simulated cases are set beside them.

- `published_split`: the field's split of one log (events sorted by end, the first 80 % train, a
  case cut by the boundary dropped from both sides), used when a log has no separate test file;
- `first-n` (the field's): N = the test log's cases; the model simulates exactly N cases, the first
  received at the test log's first case start, each run to completion (no horizon, no warm-up);
- `window` (slasim's own view): the cases received in the scenario's measured window, opening at
  the fit's split instant; both sides cut at the window's end alike (a case still open there is
  open on both sides).
Settings are written into the result (`settings`), so a figure always says how it was obtained.
"""

from __future__ import annotations

import pandas as pd

PROTOCOLS = ("first-n", "window")
TRAIN_SHARE_OF_EVENTS = 0.8  # the published split: 80 % of events, by end time


def published_split(events: pd.DataFrame, share: float = TRAIN_SHARE_OF_EVENTS) -> tuple:
    """(train, test) frames: events sorted by end, the first round(share × events) train; a case
    with events on both sides is dropped from both."""
    ordered = events.sort_values("end_time", kind="stable")
    cut = round(share * len(ordered))
    train_part, test_part = ordered.iloc[:cut], ordered.iloc[cut:]
    cut_cases = set(train_part["case_id"]) & set(test_part["case_id"])
    keep = ~ordered["case_id"].isin(cut_cases)
    return train_part[keep[:cut]], test_part[keep[cut:]]


def split_at(events: pd.DataFrame, instant: pd.Timestamp) -> tuple:
    """(train, test) frames: cases whose first start is before `instant`, and the others."""
    first = events.groupby("case_id")["start_time"].transform("min")
    return events[first < instant], events[first >= instant]


def received_after(events: pd.DataFrame, received: pd.Series, instant: pd.Timestamp) -> tuple:
    """(earlier, later) frames: cases whose receipt (`received`, by case id; to the second, as a
    fit records its instants) is at or before `instant`, and those received after it."""
    later = set(received.index[received.dt.floor("s") > instant])
    mask = events["case_id"].isin(later)
    return events[~mask], events[mask]


def first_starts(events: pd.DataFrame) -> pd.Series:
    """Each case's first start, by case id, sorted by start."""
    return events.groupby("case_id", sort=False)["start_time"].min().sort_values(kind="stable")
