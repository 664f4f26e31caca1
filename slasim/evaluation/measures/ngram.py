"""Control flow: distance between the 3-gram frequencies of the cases' activity sequences
(log-distance-measures' NGD, normalised to [0, 1]); each case's events in the order of their start,
then their end, then the frame's own order."""

from __future__ import annotations

from slasim.evaluation.frame import ids


def distance(real, simulated, n: int = 3) -> float:
    """NGD between two frames."""
    from log_distance_measures.n_gram_distribution import n_gram_distribution_distance

    return n_gram_distribution_distance(real, ids(), simulated, ids(), n=n)
