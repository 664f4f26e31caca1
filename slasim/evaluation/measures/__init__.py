"""The field's measures, one module each with one signature, `distance(real, simulated) -> float`
over two event frames (`slasim.evaluation.frame`), lower is closer, identical logs give 0.

Each calls log-distance-measures with the parameters of the published protocol; `FIELD` lists
them in the order the benchmarks print them, with their units.
"""

from __future__ import annotations

from slasim.evaluation.measures import (
    absolute_events,
    case_arrivals,
    circadian_events,
    cycle_time,
    ngram,
    relative_events,
)

# name → (distance function, unit); names as in the published tables (CTDD, NGD, CEDD, AEDD, REDD).
FIELD = {
    "cycle_time": (cycle_time.distance, "h"),
    "ngram3": (ngram.distance, ""),
    "circadian_events": (circadian_events.distance, ""),
    "absolute_events": (absolute_events.distance, "h"),
    "relative_events": (relative_events.distance, "h"),
    "case_arrivals": (case_arrivals.distance, "h"),
}
# The published short names, for tables set beside the literature's.
SHORT = {
    "cycle_time": "CTDD",
    "ngram3": "NGD",
    "circadian_events": "CEDD",
    "absolute_events": "AEDD",
    "relative_events": "REDD",
    "case_arrivals": "CADD",
}


def score(real, simulated) -> dict[str, float]:
    """Every field measure between two frames."""
    return {name: float(fn(real, simulated)) for name, (fn, _unit) in FIELD.items()}
