"""The sample's own quantiles (`fit.families.choose`, `empirical`) stand each for an equal share of
the sample: a draw picks one of them, so they are the midpoints of 41 equal shares, not the
sample's min, max and 39 points between (which made its largest value one draw in 41)."""

from __future__ import annotations

import numpy as np

from slasim.fit.families import choose


def test_an_outlier_is_not_drawn_one_time_in_41():
    # 400 durations of 1 minute, 400 of 10 and one of 1,000 (sorted: rows 0-399, 400-799, 800).
    # Share midpoints (k + ½)/41 at linear positions p × 800: k = 0..19 fall at 9.8..390.2 (1
    # minute), k = 20 at 400 (10 minutes), k = 40 at 790.2 (10 minutes): 20 ones and 21 tens.
    # No family comes within a quarter of the mean (6.74 minutes) of this two-valued sample.
    sample = np.array([1.0] * 400 + [10.0] * 400 + [1000.0])
    dist, why = choose(sample, "min")
    assert dist == {"empirical": [1.0] * 20 + [10.0] * 21, "unit": "min"}
    assert "empirical quantiles" in str(why)
