"""Staffing targets (`red<=1%`, `lead_time_wd_p90<=10`) and the confidence rule that judges them.

A target names a metric that `slasim run` reports per service and overall (`ever_red`, `past_legal`,
`lead_time_wd_p90`, the applicant's waits `accept_wait_wd_mean`/`_p90` (receipt → acceptance) and
`applicant_wait_wd_mean`/`_p90` (receipt → decision), …; `red`/`yellow` are short for
`ever_red`/`ever_yellow`), a bound and an optional service. Shares of cases (`on_time_*`, `past_*`,
`ever_*`) may be written in % and print in %; any other metric, the waits included, is a number in
its own unit (working days for `_wd`). Over replications, a target *holds* when its one-sided
confidence bound is on the right side of the bound, *fails* when the opposite bound is on the
wrong side, and is *undecided* otherwise. With k targets each is judged at level
1 − (1 − confidence)/k (Bonferroni), so all hold together with at least the requested confidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from slasim.io.errors import SlasimError

ALIASES = {"red": "ever_red", "yellow": "ever_yellow", "orange": "ever_orange", "blue": "ever_blue"}
SHARES = ("on_time_promised", "on_time_legal", "past_promised", "past_legal")
_TARGET = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(<=|>=)\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$")

HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"


@dataclass(frozen=True)
class Target:
    """`metric op value` for one service (or all services when `service` is None)."""

    metric: str
    op: str  # "<=" or ">="
    value: float
    service: str | None = None
    text: str = ""

    @property
    def is_share(self) -> bool:
        """Whether the metric is a share of cases (shown as a percentage)."""
        return self.metric in SHARES or self.metric.startswith("ever_")

    def of(self, replication: dict) -> float:
        """The metric in one replication's metrics (NaN where it is undefined, e.g. no case)."""
        scope = (
            replication["overall"]
            if self.service is None
            else replication["services"][self.service]
        )
        value = scope.get(self.metric)
        return math.nan if value is None else float(value)

    def margin(self, value: float) -> float:
        """How far a value is inside the bound (negative: outside), in the metric's unit."""
        return self.value - value if self.op == "<=" else value - self.value


def parse_target(text: str, service: str | None = None) -> Target:
    """`METRIC<=VALUE` or `METRIC>=VALUE`; a share may be written as a percentage (`1%`)."""
    match = _TARGET.match(str(text))
    if not match:
        raise SlasimError(
            f"a target is METRIC<=VALUE or METRIC>=VALUE (e.g. red<=1%), got {text!r}",
            field="--target",
        )
    name, op, number, percent = match.groups()
    metric = ALIASES.get(name, name)
    value = float(number) / (100.0 if percent else 1.0)
    return Target(metric, op, value, service, str(text).strip())


def check_targets(targets: list[Target], metrics: dict) -> None:
    """Refuse a target whose metric or service the scenario's results do not have (`metrics`: one
    replication's metrics)."""
    for target in targets:
        if target.service is not None and target.service not in metrics["services"]:
            known = ", ".join(metrics["services"])
            raise SlasimError(
                f"unknown service {target.service!r} (have {known})", field="--service"
            )
        scope = (
            metrics["overall"] if target.service is None else metrics["services"][target.service]
        )
        if target.metric not in scope:
            known = ", ".join(k for k, v in scope.items() if not isinstance(v, dict))
            raise SlasimError(
                f"unknown metric {target.metric!r} in {target.text!r} (metrics: {known})",
                field="--target",
            )


def t_quantile(p: float, dof: int) -> float:
    """Student-t quantile (scipy's `stdtrit`)."""
    from scipy.special import stdtrit

    return float(stdtrit(dof, p))


def judge(target: Target, values: np.ndarray, alpha: float) -> tuple[str, float, float]:
    """(holds | fails | undecided, lower, upper) from replication values at one-sided level
    `alpha` (NaN values left out; fewer than two values are undecided)."""
    x = values[~np.isnan(values)]
    if len(x) < 2:
        return UNDECIDED, -math.inf, math.inf
    mean = float(x.mean())
    half = t_quantile(1.0 - alpha, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    low, high = mean - half, mean + half
    good, bad = (high, low) if target.op == "<=" else (low, high)
    if target.margin(good) >= 0:
        return HOLDS, low, high
    if target.margin(bad) < 0:
        return FAILS, low, high
    return UNDECIDED, low, high


def interval(values: np.ndarray, confidence: float, share: bool = False) -> dict:
    """Mean and two-sided Student-t interval at `confidence` over replications; a share's interval
    is clipped to [0, 1] (a share cannot leave it, whatever the normal approximation says)."""
    x = values[~np.isnan(values)]
    if len(x) == 0:
        return {"mean": None, "ci": None, "n": 0}
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci": None, "n": 1}
    half = t_quantile(0.5 + confidence / 2, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    low, high = mean - half, mean + half
    if share:
        low, high = max(low, 0.0), min(high, 1.0)
    return {"mean": mean, "ci": [low, high], "n": int(len(x))}
