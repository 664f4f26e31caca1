"""Random durations of a scenario (work times, applicant responses, special procedures).

A distribution is written as a one-key mapping plus an optional unit, e.g. `{exponential: 30}`,
`{lognormal: {mean: 3, sd: 2}, unit: d}`, `{triangular: [60, 120, 480]}`, `{fixed: 90}`,
`{empirical: [12, 15, 40]}`, `{uniform: [10, 20]}`. Parameters are in the distribution's unit.
Draws take an explicit `numpy.random.Generator` and are made in blocks (`draw(rng, n)`, or a
`Sampler` that refills itself), which is several times faster than one numpy call per draw.

`residual(rng, n, done)` draws what is left of a duration already `done` long (X − a given X > a),
for a forecast that starts with work under way: exponential is memoryless (a fresh draw); fixed
leaves `value − a`; uniform, triangular and lognormal are drawn by inverting their distribution
function above F(a) (scipy's `isf` on the survival share, exact in the tails); empirical picks
among the samples above `a`. Past the support (nothing above `a`) the rest is 0: the work ends now.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import model_validator

from slasim.io.i18n import Text
from slasim.io.schema import Number, Strict

KINDS = ("exponential", "lognormal", "triangular", "fixed", "empirical", "uniform")
UNIT_NAMES = {
    "min": "office minutes",
    "h": "office hours",
    "wd": "working days",
    "d": "natural days",
}
BLOCK = 512
MAX_VALUE = 1e6  # in the distribution's unit: far beyond any real duration, well inside float range


class Distribution(Strict):
    """One of KINDS, in `unit` (min | h for work; d | wd | h | min for waits)."""

    exponential: Number | None = None
    lognormal: dict[str, float] | None = None
    triangular: list[float] | None = None
    fixed: Number | None = None
    empirical: list[float] | None = None
    uniform: list[float] | None = None
    unit: str = "min"

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                Text(
                    "give exactly one of {kinds} (got {given})",
                    kinds=", ".join(KINDS),
                    given=", ".join(given) or Text("none"),
                )
            )
        if self.unit not in UNIT_NAMES:
            raise ValueError(
                Text(
                    "unit must be one of {units}, got {unit}",
                    units=", ".join(UNIT_NAMES),
                    unit=repr(self.unit),
                )
            )
        kind = given[0]
        value = getattr(self, kind)
        numbers = (
            list(value.values())
            if isinstance(value, dict)
            else value
            if isinstance(value, list)
            else [value]
        )
        if any(not abs(x) <= MAX_VALUE for x in numbers):
            raise ValueError(Text("parameters must be finite and at most {most:g}", most=MAX_VALUE))
        if kind in ("exponential", "fixed") and not value >= 0:
            raise ValueError(Text("{kind} needs a mean >= 0", kind=kind))
        if kind == "lognormal" and (
            set(value) != {"mean", "sd"} or value["mean"] <= 0 or value["sd"] < 0
        ):
            raise ValueError(Text("lognormal needs {mean: > 0, sd: >= 0}"))
        if kind == "triangular" and (len(value) != 3 or not 0 <= value[0] <= value[1] <= value[2]):
            raise ValueError(Text("triangular needs [min, mode, max] with 0 <= min <= mode <= max"))
        if kind == "uniform" and (len(value) != 2 or not 0 <= value[0] <= value[1]):
            raise ValueError(Text("uniform needs [low, high] with 0 <= low <= high"))
        if kind == "empirical" and (not value or min(value) < 0):
            raise ValueError(Text("empirical needs a non-empty list of samples >= 0"))
        return self

    @property
    def kind(self) -> str:
        """The family's name (`exponential`, `lognormal`, …)."""
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def mean(self) -> float:
        """The distribution's mean, in its unit."""
        kind, v = self.kind, getattr(self, self.kind)
        if kind in ("exponential", "fixed"):
            return float(v)
        if kind == "lognormal":
            return v["mean"]
        if kind in ("triangular", "empirical", "uniform"):
            return float(np.mean(v))
        raise AssertionError(kind)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` values drawn from `rng`."""
        kind, v = self.kind, getattr(self, self.kind)
        if kind == "exponential":
            return rng.exponential(v, size) if v > 0 else np.zeros(size)
        if kind == "fixed":
            return np.full(size, float(v))
        if kind == "lognormal":
            # Parameters of the underlying normal from the mean and sd of the lognormal itself.
            mean, sd = v["mean"], v["sd"]
            sigma2 = math.log1p((sd / mean) ** 2)
            return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)
        if kind == "triangular":
            low, mode, high = v
            return (
                np.full(size, float(low)) if high == low else rng.triangular(low, mode, high, size)
            )
        if kind == "uniform":
            return rng.uniform(v[0], v[1], size)
        return rng.choice(np.asarray(v, dtype=np.float64), size)

    def residual(self, rng: np.random.Generator, size: int, done: float) -> np.ndarray:
        """`size` draws of X − done given X > done (module docstring); 0 past the support."""
        kind, v = self.kind, getattr(self, self.kind)
        if done <= 0:
            return self.draw(rng, size)
        if kind == "exponential":
            return self.draw(rng, size)  # memoryless
        if kind == "fixed":
            return np.full(size, max(float(v) - done, 0.0))
        if kind == "empirical":
            above = np.asarray(v, dtype=np.float64)
            above = above[above > done]
            return rng.choice(above - done, size) if len(above) else np.zeros(size)
        if kind in ("uniform", "triangular") and v[0] == v[-1]:
            single = float(v[0])  # one value: as fixed
        elif kind == "lognormal" and v["sd"] == 0:
            single = float(v["mean"])
        else:
            single = None
        if single is not None:
            return np.full(size, max(single - done, 0.0))
        frozen = self._frozen()
        tail = float(frozen.sf(done))
        if not tail > 0:
            return np.zeros(size)
        u = 1.0 - rng.random(size)  # (0, 1]: the survival share above `done`, scaled
        return np.maximum(frozen.isf(u * tail) - done, 0.0)

    def _frozen(self):
        """The scipy distribution of a continuous family (for residual draws)."""
        from scipy import stats

        kind, v = self.kind, getattr(self, self.kind)
        if kind == "uniform":
            return stats.uniform(v[0], v[1] - v[0])
        if kind == "triangular":
            low, mode, high = v
            width = high - low
            return stats.triang((mode - low) / width if width else 0.0, low, width)
        mean, sd = v["mean"], v["sd"]  # lognormal
        sigma2 = math.log1p((sd / mean) ** 2)
        return stats.lognorm(math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))


class Sampler:
    """Draws from a distribution one at a time, from blocks drawn ahead on its own stream.
    `rng` may be a function that makes the generator: it is then made at the first draw (a stream
    costs tens of microseconds to seed, and many samplers never draw)."""

    __slots__ = ("dist", "rng", "scale", "_buffer", "_next")

    def __init__(self, dist: Distribution, rng, scale: float = 1.0):
        self.dist, self.rng, self.scale = dist, rng, scale
        self._buffer: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        if self._next == len(self._buffer):
            if not isinstance(self.rng, np.random.Generator):
                self.rng = self.rng()
            self._buffer = (self.dist.draw(self.rng, BLOCK) * self.scale).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value
