"""Case arrivals: 1-Wasserstein distance between the cases' first starts binned by the hour, in
hours (log-distance-measures' case-arrival distance; the field computes it but does not publish it)."""

from __future__ import annotations

from slasim.evaluation.frame import ids


def distance(real, simulated) -> float:
    """Case-arrival distance in hours between two frames."""
    from log_distance_measures.case_arrival_distribution import (
        case_arrival_distribution_distance,
    )
    from log_distance_measures.config import discretize_to_hour

    return case_arrival_distribution_distance(
        real, ids(), simulated, ids(), discretize_event=discretize_to_hour
    )
