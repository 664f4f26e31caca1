"""What remains of a duration under way (`Distribution.residual`): its mean against the conditional
mean E[X - a | X > a] integrated by scipy, family by family, and the exact cases by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from slasim.scenario.distributions import Distribution

N = 200_000


def conditional_mean(frozen, a: float) -> float:
    return frozen.expect(lambda x: x - a, lb=a, conditional=True)


@pytest.mark.parametrize(
    ("dist", "frozen", "a"),
    [
        ({"uniform": [10, 20]}, stats.uniform(10, 10), 15.0),
        ({"uniform": [10, 20]}, stats.uniform(10, 10), 4.0),  # before the support: X - a
        ({"triangular": [60, 120, 480]}, stats.triang(60 / 420, 60, 420), 200.0),
        ({"triangular": [60, 120, 480]}, stats.triang(60 / 420, 60, 420), 90.0),
    ],
)
def test_residual_mean_is_the_conditional_mean(dist, frozen, a):
    x = Distribution(**dist).residual(np.random.default_rng(1), N, a)
    expected = conditional_mean(frozen, a)
    assert abs(x.mean() - expected) < 4 * x.std() / math.sqrt(N)
    assert x.min() >= 0


def test_lognormal_residual_tail():
    # lognormal with mean 3, sd 2: sigma² = ln(1 + (2/3)²), mu = ln 3 - sigma²/2
    sigma2 = math.log1p(4 / 9)
    frozen = stats.lognorm(math.sqrt(sigma2), scale=math.exp(math.log(3) - sigma2 / 2))
    for a in (1.0, 5.0, 15.0):  # 15 is far in the tail: P(X > 15) ≈ 2e-4
        x = Distribution(lognormal={"mean": 3, "sd": 2}).residual(np.random.default_rng(2), N, a)
        assert abs(x.mean() - conditional_mean(frozen, a)) < 4 * x.std() / math.sqrt(N), a


def test_exact_families_by_hand():
    rng = np.random.default_rng(3)
    # exponential: memoryless — the rest has the whole mean again
    x = Distribution(exponential=30).residual(rng, N, 100.0)
    assert abs(x.mean() - 30) < 4 * 30 / math.sqrt(N)
    assert abs(np.mean(x > 30) - math.exp(-1)) < 0.005
    # fixed: what is left, or 0 once overdue
    assert Distribution(fixed=90).residual(rng, 3, 30.0).tolist() == [60.0] * 3
    assert Distribution(fixed=90).residual(rng, 2, 120.0).tolist() == [0.0, 0.0]
    # empirical: uniformly among the samples above what is done (15, 40 above 14: 1 or 26)
    x = Distribution(empirical=[12, 15, 40]).residual(rng, N, 14.0)
    assert set(np.unique(x).tolist()) == {1.0, 26.0}
    assert abs(np.mean(x == 1.0) - 0.5) < 0.005
    # past the support the work ends now
    assert Distribution(uniform=[10, 20]).residual(rng, 2, 25.0).tolist() == [0.0, 0.0]
    assert Distribution(empirical=[12, 15]).residual(rng, 2, 20.0).tolist() == [0.0, 0.0]
    # nothing done yet: a plain draw
    assert Distribution(fixed=5).residual(rng, 1, 0.0).tolist() == [5.0]
