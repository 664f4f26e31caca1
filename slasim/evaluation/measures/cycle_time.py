"""Cycle time: 1-Wasserstein distance between the cases' durations (first start to last end)
binned by the hour, in hours (log-distance-measures' CTDD with the field's 1-hour bins)."""

from __future__ import annotations

import datetime as dt

from slasim.evaluation.frame import ids


def distance(real, simulated) -> float:
    """CTDD in hours between two frames."""
    from log_distance_measures.cycle_time_distribution import cycle_time_distribution_distance

    return cycle_time_distribution_distance(
        real, ids(), simulated, ids(), bin_size=dt.timedelta(hours=1)
    )
