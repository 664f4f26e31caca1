"""The week's rhythm: per weekday, 1-Wasserstein distance between the hours of day (UTC) of start
and end instants, averaged over weekdays (log-distance-measures' CEDD)."""

from __future__ import annotations

from slasim.evaluation.frame import ids


def distance(real, simulated) -> float:
    """CEDD between two frames."""
    from log_distance_measures.circadian_event_distribution import (
        circadian_event_distribution_distance,
    )
    from log_distance_measures.config import AbsoluteTimestampType

    return circadian_event_distribution_distance(
        real, ids(), simulated, ids(), discretize_type=AbsoluteTimestampType.BOTH
    )
