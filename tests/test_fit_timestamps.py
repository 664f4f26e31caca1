"""Timestamps of a log column parsed in bulk give the same wall minutes, to the last bit, as the
one-cell parser (`datetime_to_minutes` over `parse_instant`), and bad cells keep their row."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pytest

from slasim.fit.log import TimeReader
from slasim.io.errors import SlasimError

AWARE = [
    "2024-03-31T00:59:59.999999Z",  # an hour before Amsterdam's clocks go forward
    "2024-03-31T01:00:00+00:00",
    "2024-03-31T03:30:00+02:00",
    "2024-10-27T00:30:00Z",
    "2024-10-27T01:30:00Z",  # the hour Amsterdam repeats
    "2023-12-31T23:59:30.5-05:00",
    "",
]
NAIVE = ["2024-01-08T10:00", "2024-01-08 10:00:07.123", "2024-01-09", "1969-12-31T23:59:59.25", ""]


def one_by_one(texts, tz):
    reader = TimeReader(tz, "log.csv")
    return np.array([reader(t, row, "time") for row, t in enumerate(texts, start=2)])


@pytest.mark.parametrize("texts", [AWARE, NAIVE])
@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Asia/Shanghai", "UTC"])
def test_bulk_equals_cell_by_cell(texts, zone):
    tz = ZoneInfo(zone)
    bulk = TimeReader(tz, "log.csv").column(texts, "time")
    assert np.array_equal(bulk, one_by_one(texts, tz), equal_nan=True)
    assert np.isnan(bulk[-1])


def test_offsets_are_converted_to_the_calendar_zone():
    # 2024-03-31 01:00 UTC is 03:00 in Amsterdam (summer time from then on), 00:59 UTC is 01:59
    minutes = TimeReader(ZoneInfo("Europe/Amsterdam"), "log.csv").column(
        ["2024-03-31T00:59:00Z", "2024-03-31T01:00:00Z"], "time"
    )
    assert (minutes % 1440).tolist() == [119.0, 180.0]


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["2024-01-08T10:00", "2024-01-08T10:00+08:00"], "row 3: time zones mixed"),
        (["2024-01-08T10:00", "yesterday"], "row 3: not an ISO timestamp: 'yesterday'"),
        (["2024-01-08T10:00", "NaT"], "row 3: not an ISO timestamp: 'NaT'"),
    ],
)
def test_bad_cells_keep_their_row(texts, message):
    with pytest.raises(SlasimError, match=message):
        TimeReader(ZoneInfo("UTC"), "log.csv").column(texts, "time")


def test_a_column_of_other_offsets_agrees_with_the_other_column():
    reader = TimeReader(ZoneInfo("UTC"), "log.csv")
    reader.column(["2024-01-08T10:00"], "end")
    with pytest.raises(SlasimError, match="row 2: time zones mixed"):
        reader.column(["2024-01-08T09:00Z"], "start")
