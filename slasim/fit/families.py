"""Choosing a distribution family for a sample of durations, by the smallest Wasserstein distance.

Candidates: fixed, exponential, lognormal (by its mean and sd), uniform and triangular (by the
sample's range and mode), each fitted by moments or range; the criterion is the 1-Wasserstein
distance between the sample and the fitted distribution (the mean absolute difference between the
sample's order statistics and the fitted quantiles at (i − ½)/n). When even the best family is
further than a quarter of the sample's mean from it, the sample's own quantiles are used
(`empirical`: the midpoints of 41 equal shares, each drawn with its share's chance); within
`empirical_durations()` (`fit --durations empirical`, a candidate of `fit --search`) so are all
samples of that size that no family fits exactly. Every choice says its family, sample size and
distance.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from slasim.io.i18n import N_, Text

EMPIRICAL_POINTS = 41  # quantiles at the midpoints of 41 equal shares
# the families' names, marked for the catalog: an evidence line names its family in the reader's
# language (passed to `Text` as `Text(kind)`: only a `Text` parameter is translated)
FAMILIES = (N_("fixed"), N_("exponential"), N_("uniform"), N_("triangular"), N_("lognormal"))
_EMPIRICAL = ContextVar("empirical", default=False)


@contextmanager
def empirical_durations(on: bool = True):
    """Within it (when `on`), a sample's own quantiles wherever they can be taken."""
    token = _EMPIRICAL.set(on)
    try:
        yield
    finally:
        _EMPIRICAL.reset(token)


def _quantiles(kind: str, params: tuple, p: np.ndarray) -> np.ndarray:
    if kind == "fixed":
        return np.full_like(p, params[0])
    if kind == "exponential":
        return -params[0] * np.log1p(-p)
    if kind == "uniform":
        return params[0] + p * (params[1] - params[0])
    if kind == "triangular":
        a, c, b = params
        cut = (c - a) / (b - a) if b > a else 0.5
        left = a + np.sqrt(p * (b - a) * (c - a))
        right = b - np.sqrt((1 - p) * (b - a) * (b - c))
        return np.where(p < cut, left, right)
    from scipy.special import ndtri  # lognormal by (mean, sd) of the distribution itself

    mean, sd = params
    sigma2 = math.log1p((sd / mean) ** 2)
    mu = math.log(mean) - sigma2 / 2
    return np.exp(mu + math.sqrt(sigma2) * ndtri(p))


def candidates(x: np.ndarray) -> list[tuple[str, tuple]]:
    """The families fitted to a sample (positive mean), by moments or range."""
    mean, sd = float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0
    low, high = float(x.min()), float(x.max())
    if high - low <= 1e-9 * max(1.0, abs(mean)):
        return [("fixed", (mean,))]
    counts, edges = np.histogram(x, bins=min(20, max(3, len(x) // 10)))
    k = int(counts.argmax())
    mode = float(min(max((edges[k] + edges[k + 1]) / 2, low), high))
    out = [("fixed", (mean,)), ("exponential", (mean,)), ("uniform", (low, high))]
    out.append(("triangular", (low, mode, high)))
    if sd > 0 and mean > 0:
        out.append(("lognormal", (mean, sd)))
    return out


def wasserstein(x: np.ndarray, kind: str, params: tuple) -> float:
    """1-Wasserstein distance between a sample and a fitted distribution."""
    x = np.sort(x)
    p = (np.arange(len(x)) + 0.5) / len(x)
    return float(np.mean(np.abs(x - _quantiles(kind, params, p))))


def _amount(value: float, unit: str) -> Text:
    """A distance with its unit (min or wd), as evidence shows it."""
    if unit == "wd":
        return Text("{value:.3g} wd", value=value)
    return Text("{value:.3g} min", value=value)


def choose(x: np.ndarray, unit: str) -> tuple[dict, Text]:
    """(scenario distribution, evidence) for a sample of durations in `unit` (min or wd)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x) & (x >= 0)]
    n = len(x)
    if n == 0:
        return {"fixed": 0, "unit": unit}, Text("no observation: fixed 0")
    mean = float(x.mean())
    if mean <= 0:
        return {"fixed": 0, "unit": unit}, Text("n={n}, every duration 0", n=n)
    scored = sorted((wasserstein(x, k, p), k, p) for k, p in candidates(x))
    distance, kind, params = scored[0]
    asked = _EMPIRICAL.get() and distance > 0
    if (distance > 0.25 * mean or asked) and n >= EMPIRICAL_POINTS:
        # the midpoints of EMPIRICAL_POINTS equal shares: a draw picks one value, so each stands
        # for its share (the sample's min and max would each be drawn 1 time in 41)
        deciles = np.quantile(x, (np.arange(EMPIRICAL_POINTS) + 0.5) / EMPIRICAL_POINTS)
        values = [float(f"{float(v):.4g}") for v in deciles]
        by = {"n": n, "family": Text(kind), "distance": _amount(distance, unit)}
        if distance > 0.25 * mean:
            evidence = Text(
                "n={n}, empirical quantiles (best family {family} was W1={distance}, "
                "over a quarter of the mean {mean:.3g})",
                **by,
                mean=mean,
            )
        else:
            evidence = Text(
                "n={n}, empirical quantiles (--durations empirical; best family {family} was "
                "W1={distance})",
                **by,
            )
        return {"empirical": values, "unit": unit}, evidence
    by = {"n": n, "family": Text(kind), "distance": _amount(distance, unit)}
    if len(scored) > 1:
        evidence = Text(
            "n={n}, {family} by smallest Wasserstein distance W1={distance}; next {next} "
            "W1={next_distance:.3g}",
            **by,
            next=Text(scored[1][1]),
            next_distance=scored[1][0],
        )
    else:
        evidence = Text("n={n}, {family} by smallest Wasserstein distance W1={distance}", **by)
    return {**_spec(kind, params), "unit": unit}, evidence


def _spec(kind: str, params: tuple) -> dict:
    r = [float(f"{float(v):.4g}") for v in params]  # 4 significant digits: a tiny mean stays > 0
    if kind == "fixed":
        return {"fixed": r[0]}
    if kind == "exponential":
        return {"exponential": r[0]}
    if kind == "uniform":
        return {"uniform": r}
    if kind == "triangular":
        return {"triangular": r}
    return {"lognormal": {"mean": r[0], "sd": r[1]}}
