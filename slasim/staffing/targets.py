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

When every replication gives the same share (most often 0: no red card anywhere), the spread
over replications is zero and a Student-t interval would have no width, claiming certainty from
a handful of runs. The interval is then the exact binomial one (Clopper–Pearson) over the cases
pooled across replications (decided cases for `on_time_*`, accepted ones for `past_*` and
`ever_*`): with no red card in N cases, the upper bound is about 3/N at 95 % (the rule of three).
Pooling treats the cases as independent, which they are not quite in a queue; it is used only
where the replications themselves show no spread to measure. A bound of 0 % (or 100 % with
`>=`) can never be shown with confidence, and is refused; so is a share bound above 1 written
without `%` (`red<=5` would mean 500 %).
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

    @property
    def unit(self) -> str:
        """The metric's unit as a report prints it ("" for a share or a count)."""
        if self.is_share:
            return ""
        if "_wd" in self.metric:
            return "wd"
        return "h" if "_hours" in self.metric else ""

    def cases(self, replication: dict) -> float:
        """The cases a share is taken over in one replication (decided for `on_time_*`, accepted
        otherwise); NaN for a metric that is not a share."""
        if not self.is_share:
            return math.nan
        scope = (
            replication["overall"]
            if self.service is None
            else replication["services"][self.service]
        )
        key = "decided" if self.metric.startswith("on_time") else "accepted"
        return float(scope.get(key) or 0)

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
            "a target is METRIC<=VALUE or METRIC>=VALUE (e.g. red<=1%), got {text}",
            field="--target",
            text=repr(text),
        )
    name, op, number, percent = match.groups()
    metric = ALIASES.get(name, name)
    value = float(number) / (100.0 if percent else 1.0)
    target = Target(metric, op, value, service, str(text).strip())
    if target.is_share and value > 1 and percent:  # red<=150%: no bound of its own to suggest
        raise SlasimError(
            "{text}: a share's bound is at most 100 %", field="--target", text=repr(text.strip())
        )
    if target.is_share and value > 1:  # red<=1.5: meant in %, red<=1.5%
        raise SlasimError(
            "{text}: a share's bound is at most 100 % (write it in %, e.g. {example})",
            field="--target",
            text=repr(text.strip()),
            example=name + op + number + "%",  # a target as typed, not a message
        )
    if target.is_share and ((op == "<=" and value == 0) or (op == ">=" and value == 1)):
        raise SlasimError(
            "{text}: no number of replications can show a share of exactly {share} % with "
            "confidence; give a bound such as {example}",
            field="--target",
            text=repr(text.strip()),
            share="0" if value == 0 else "100",
            example=name + op + ("0.1" if value == 0 else "99.9") + "%",
        )
    return target


def check_targets(targets: list[Target], metrics: dict) -> None:
    """Refuse a target whose metric or service the scenario's results do not have (`metrics`: one
    replication's metrics)."""
    for target in targets:
        if target.service is not None and target.service not in metrics["services"]:
            known = ", ".join(metrics["services"])
            raise SlasimError(
                "unknown service {name} (have {known})",
                field="--service",
                name=repr(target.service),
                known=known,
            )
        scope = (
            metrics["overall"] if target.service is None else metrics["services"][target.service]
        )
        if target.metric not in scope:
            known = ", ".join(k for k, v in scope.items() if not isinstance(v, dict))
            raise SlasimError(
                "unknown metric {metric} in {text} (metrics: {known})",
                field="--target",
                metric=repr(target.metric),
                text=repr(target.text),
                known=known,
            )


def t_quantile(p: float, dof: int) -> float:
    """Student-t quantile (scipy's `stdtrit`)."""
    from scipy.special import stdtrit

    return float(stdtrit(dof, p))


def exact_share_interval(share: float, cases: float, alpha: float) -> tuple[float, float]:
    """Clopper–Pearson bounds, each one-sided at level `alpha`, for a share observed over
    `cases` pooled cases (scipy's beta quantiles)."""
    from scipy.stats import beta

    n = max(int(round(cases)), 0)
    k = min(max(int(round(share * n)), 0), n)
    low = 0.0 if k == 0 else float(beta.ppf(alpha, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1.0 - alpha, k + 1, n - k))
    return low, high


def _bounds(
    values: np.ndarray, cases: np.ndarray | None, alpha: float, share: bool
) -> tuple[float, float, float] | None:
    """(mean, lower, upper), each bound one-sided at `alpha`: Student-t over replications, or
    the exact pooled interval for a share with no spread (module docstring); None for fewer
    than two replications."""
    keep = ~np.isnan(values)
    x = values[keep]
    if len(x) < 2:
        return None
    mean = float(x.mean())
    if share and cases is not None and float(np.ptp(x)) == 0.0:
        low, high = exact_share_interval(mean, float(np.nansum(cases[keep])), alpha)
        return mean, low, high
    half = t_quantile(1.0 - alpha, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    low, high = mean - half, mean + half
    if share:
        low, high = max(low, 0.0), min(high, 1.0)
    return mean, low, high


def judge(
    target: Target, values: np.ndarray, alpha: float, cases: np.ndarray | None = None
) -> tuple[str, float, float]:
    """(holds | fails | undecided, lower, upper) from replication values at one-sided level
    `alpha` (NaN values left out; fewer than two values are undecided); `cases`: each
    replication's cases behind a share (for the exact interval when the values do not spread)."""
    bounds = _bounds(values, cases, alpha, target.is_share)
    if bounds is None:
        return UNDECIDED, -math.inf, math.inf
    _, low, high = bounds
    good, bad = (high, low) if target.op == "<=" else (low, high)
    if target.margin(good) >= 0:
        return HOLDS, low, high
    if target.margin(bad) < 0:
        return FAILS, low, high
    return UNDECIDED, low, high


def interval(
    values: np.ndarray, confidence: float, share: bool = False, cases: np.ndarray | None = None
) -> dict:
    """Mean and two-sided interval at `confidence` over replications: Student-t, a share's
    clipped to [0, 1]; for a share whose replications do not spread, the exact pooled interval
    (module docstring; `cases`: each replication's cases behind the share)."""
    x = values[~np.isnan(values)]
    if len(x) == 0:
        return {"mean": None, "ci": None, "n": 0}
    if len(x) < 2:
        return {"mean": float(x.mean()), "ci": None, "n": 1}
    mean, low, high = _bounds(values, cases, (1.0 - confidence) / 2, share)
    return {"mean": mean, "ci": [low, high], "n": int(len(x))}
