"""Charts draw the figures they are given: a staffing frontier's error bars span each candidate's
confidence interval as computed (a share's interval is clipped to [0, 1], so not symmetric)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")


def test_the_staffing_frontier_draws_each_interval_as_given_even_when_clipped():
    import matplotlib

    matplotlib.use("Agg")
    from slasim.outputs.plots import staffing_frontier

    spec = {"text": "red<=5%", "metric": "ever_red", "op": "<=", "value": 0.05, "share": True}
    frontier = [  # the first interval is clipped at 0: mean 1 %, [0 %, 3 %]
        {"cost": 4, "accepted": True, "red<=5%": {"mean": 0.01, "ci": [0.0, 0.03]}},
        {"cost": 3, "accepted": False, "red<=5%": {"mean": 0.20, "ci": [0.15, 0.25]}},
    ]
    result = {"target_specs": [spec], "results": [{"reforms": [], "frontier": frontier}]}
    fig = staffing_frontier(result)
    spans = sorted(
        tuple(np.round(segment[:, 1], 6))
        for collection in fig.axes[0].collections
        for segment in collection.get_segments()
    )
    assert spans == [(0.0, 3.0), (15.0, 25.0)]  # percent, the interval's own ends
