"""Work-time distributions: parameters mean what the scenario file says."""

from __future__ import annotations

import numpy as np
import pytest

from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.distributions import Distribution, Sampler


@pytest.mark.parametrize(
    "spec, mean, sd",
    [
        ({"exponential": 30}, 30, 30),
        ({"lognormal": {"mean": 3, "sd": 2}}, 3, 2),
        (
            {"triangular": [60, 120, 480]},
            220,
            np.sqrt((60**2 + 120**2 + 480**2 - 60 * 120 - 60 * 480 - 120 * 480) / 18),
        ),
        ({"uniform": [10, 20]}, 15, 10 / np.sqrt(12)),
        ({"fixed": 90}, 90, 0),
        ({"empirical": [10, 20, 60]}, 30, np.std([10, 20, 60])),
    ],
)
def test_sample_moments_match_the_parameters(spec, mean, sd):
    dist = Distribution.model_validate(spec)
    x = dist.draw(np.random.default_rng(5), 400_000)
    assert dist.mean == pytest.approx(mean)
    assert x.mean() == pytest.approx(mean, rel=0.01)
    assert x.std() == pytest.approx(sd, rel=0.02, abs=1e-9)
    assert x.min() >= 0


def test_sampler_draws_the_same_numbers_as_one_block():
    dist = Distribution.model_validate({"exponential": 5, "unit": "h"})
    sampler = Sampler(dist, np.random.default_rng(9), scale=60.0)
    one_by_one = [sampler() for _ in range(1024)]
    rng = np.random.default_rng(9)
    blocks = (
        np.concatenate([dist.draw(rng, 512), dist.draw(rng, 512)]) * 60.0
    )  # hours → office minutes
    assert one_by_one == pytest.approx(blocks.tolist())


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"fixed": -1},
        {"triangular": [3, 2, 1]},
        {"lognormal": {"mean": 3}},
        {"exponential": 3, "unit": "weeks"},
        {"empirical": []},
    ],
)
def test_bad_distributions_are_refused(spec):
    with pytest.raises(SlasimError):
        validate(Distribution, spec, "test.yaml")
