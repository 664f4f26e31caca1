"""When events happen: 1-Wasserstein distance between all start and end instants, binned by the
hour from the earliest of both logs, in hours (log-distance-measures' AEDD)."""

from __future__ import annotations

from slasim.evaluation.frame import ids


def distance(real, simulated) -> float:
    """AEDD in hours between two frames."""
    from log_distance_measures.absolute_event_distribution import (
        absolute_event_distribution_distance,
    )
    from log_distance_measures.config import AbsoluteTimestampType, discretize_to_hour

    return absolute_event_distribution_distance(
        real,
        ids(),
        simulated,
        ids(),
        discretize_type=AbsoluteTimestampType.BOTH,
        discretize_event=discretize_to_hour,
    )
