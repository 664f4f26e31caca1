"""When events happen within their case: 1-Wasserstein distance between start and end instants
measured from the case's first start, binned by the hour, in hours (log-distance-measures' REDD)."""

from __future__ import annotations

from slasim.evaluation.frame import ids


def distance(real, simulated) -> float:
    """REDD in hours between two frames."""
    from log_distance_measures.config import AbsoluteTimestampType, discretize_to_hour
    from log_distance_measures.relative_event_distribution import (
        relative_event_distribution_distance,
    )

    return relative_event_distribution_distance(
        real,
        ids(),
        simulated,
        ids(),
        discretize_type=AbsoluteTimestampType.BOTH,
        discretize_event=discretize_to_hour,
    )
