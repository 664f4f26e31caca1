"""Drift: whether the recent part of the fitted cases behaves unlike the rest, and the window to fit.

The fitted cases are cut `months` (or twice the LEAD_QUANTILE lead time, if longer) before the last
receipt; when they span less than twice that, at the last third of their span. Three two-sample
tests compare the recent part with the part before: lead times in office hours (Kolmogorov–Smirnov,
each part counted as its cases over their autocorrelation time), variants — the activity sequences,
those seen fewer than 5 times pooled — (chi-square on the contingency table), and receipts per week
over whole weeks on each side of the cut, the recent ones up to the last receipt (binomial test of
the recent count given the total, each side's weeks weighed by the share of its receipts expected
in the log: `Completeness`). A log of finished cases lacks the recent cases still open at its end,
the long ones, so the recent cases of the lead-time and variant tests stop the LEAD_QUANTILE lead
time before the last receipt. Drift is a test with p below ALPHA
/ 3 (Bonferroni) *and* an effect worth modelling (KS distance, Cramér's V, or a rate ratio beyond
EFFECT); with `--recent auto` the fit then keeps the recent cases only, if there are at least
MIN_RECENT. `--since DATE` sets the window by hand.

Why the autocorrelation time: cases that queue together finish late together (a busy week makes
all its cases long), so consecutive lead times are far from independent, and a KS test counting
each case as one draw rejects stationary logs: on the simulated centre of tests/test_fit.py
(seeds 1-60, 60 working days) it flagged 21 of 60 logs. The lead times, in order of receipt, are
taken as ranks about each part's mean; the autocorrelation time is 1 + 2 x their lag-k
autocorrelations summed while positive (up to a quarter of the shorter part), and the KS p-value
is the asymptotic one with each part's size divided by it (an effective sample size). That flags
2 of the same 60 logs, and still flags lead times that halve or jump at a date. Variants and
receipts were not over-flagged there (0 of 60 each) and keep their plain tests.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, minutes_to_iso
from slasim.fit.log import Events
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim

MONTH_DAYS = 30.4375
RECENT_MONTHS = 3
ALPHA = 0.01
EFFECT = {"lead_time": 0.15, "variants": 0.15, "arrival_rate": 0.25}  # KS D, Cramér's V, |ratio-1|
MIN_CASES = 30  # in each part, to test
MIN_RECENT = 50  # to fit on the recent part alone
MIN_SPAN_DAYS = 28  # a shorter log is not tested
LEAD_QUANTILE = 0.9
HORIZON_QUANTILE = 0.99  # lead time beyond which a case is taken as complete (see `completeness`)
CORRECT_BELOW = 0.99  # a rate is corrected when under this share of its receipts is expected logged


def case_spans(events: Events) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(case names, each case's first start, its last end), over all its events, wall minutes."""
    code, names = events.codes("case")
    opened, closed = np.full(len(names), np.inf), np.full(len(names), -np.inf)
    np.minimum.at(opened, code, events.start)
    np.maximum.at(closed, code, events.end)
    return names, opened, closed


class Completeness:
    """The chance that a case received at a wall instant is in a log of finished cases, which
    ends at `end`: F(end - instant), F the lead times (wall clock, first start to last end) of
    the cases received at least H before the end, H the HORIZON_QUANTILE lead time of those
    received in the first half of the span (their leads are cut least by the end). A log of
    finished cases lacks the cases still open at its end, the long ones, so its last weeks seem
    to receive fewer cases; a rate divided by `share` (the chance averaged over a span's hours,
    each hour weighted by the log's receipts in that hour of the week) is not biased by that.
    `reference` is 0 (and every share 1) with under MIN_CASES such cases."""

    def __init__(self, arrivals: np.ndarray, leads: np.ndarray, end: float):
        self.end = float(end)
        arrivals, leads = np.asarray(arrivals, float), np.asarray(leads, float)
        first = float(arrivals.min()) if len(arrivals) else self.end
        early = leads[arrivals <= (first + self.end) / 2]
        self.horizon = float(np.quantile(early, HORIZON_QUANTILE)) if len(early) else 0.0
        self.leads = np.sort(leads[arrivals <= self.end - self.horizon])
        self.reference = len(self.leads) if len(self.leads) >= MIN_CASES else 0
        hours = np.floor(arrivals / 60.0).astype(np.int64)
        self.week = np.bincount((hours // 24 + 3) % 7 * 24 + hours % 24, minlength=168)

    @classmethod
    def of(cls, spans: tuple, cases: set[str], end: float) -> Completeness:
        """Over `cases`, from the log's `case_spans`; `end`, the log's last event's end."""
        names, opened, closed = spans
        kept = np.array([c in cases for c in names], dtype=bool)
        return cls(opened[kept], (closed - opened)[kept], end)

    def chance(self, instants: np.ndarray) -> np.ndarray:
        """The chance that a case received at each wall instant is in the log."""
        if not self.reference:
            return np.ones(len(instants))
        ahead = self.end - np.asarray(instants, float)
        return np.searchsorted(self.leads, ahead, side="right") / self.reference

    def share(self, start: float, stop: float) -> float:
        """The expected share of the receipts of [start, stop) (wall minutes) in the log."""
        hours = np.arange(np.floor(start / 60.0), np.ceil(stop / 60.0)).astype(np.int64)
        weight = self.week[(hours // 24 + 3) % 7 * 24 + hours % 24].astype(float)
        if not self.reference or not len(hours) or weight.sum() == 0:
            return 1.0
        middle = np.clip(hours * 60.0 + 30.0, start, stop)
        return float(weight @ self.chance(middle) / weight.sum())


def case_table(events: Events, cases: set[str], cal) -> dict[str, tuple[float, float, str]]:
    """Per case: (first start, last end, both in office minutes of the calendar, and the variant:
    the activities in order of start, end). Office time, so that nights and weekends inside a
    case do not make lead times of one weekday's receipts unlike another's."""
    code, names = events.codes("case")
    chosen = np.array([c in cases for c in names], dtype=bool)
    rows = np.flatnonzero(chosen[code] & ~events.milestone)
    rows = rows[np.lexsort((events.end[rows], events.start[rows]))]
    rows = rows[np.argsort(code[rows], kind="stable")]  # case by case, each in order of start
    if not len(rows):
        return {}
    cuts = np.flatnonzero(np.diff(code[rows])) + 1
    heads = np.concatenate([[0], cuts])
    ends = np.maximum.reduceat(events.end[rows], heads)
    acts = events.activity[rows].tolist()
    bounds = [*heads.tolist(), len(rows)]
    variants = ["→".join(acts[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    first_rows = rows[heads]  # each case's first event; the cases in that event's order
    order = np.lexsort((first_rows, events.end[first_rows], events.start[first_rows]))
    keys = [names[k] for k in code[first_rows][order].tolist()]
    first = cal.to_business_array(events.start[first_rows][order])
    last = cal.to_business_array(ends[order])
    return {
        c: (float(a), float(b), variants[k])
        for c, a, b, k in zip(keys, first.tolist(), last.tolist(), order.tolist())
    }


def integrated_autocorrelation(series: list[np.ndarray]) -> float:
    """1 + 2 x the sum of the lag-k autocorrelations of the ranks of the values in each series
    (pooled, each about its own mean), summed while positive (up to a quarter of the shorter
    series): how many consecutive cases count as one independent case. At least 1."""
    from scipy import stats

    ranks = [stats.rankdata(x) - (len(x) + 1) / 2 for x in series if len(x) > 1]
    variance = sum(float(r @ r) for r in ranks)
    if not ranks or variance == 0:
        return 1.0
    total = 0.0
    for k in range(1, min(len(r) for r in ranks) // 4 + 1):
        rho = sum(float(r[:-k] @ r[k:]) for r in ranks) / variance
        if rho <= 0:
            break
        total += rho
    return max(1.0, 1 + 2 * total)


def tests(
    before: list,
    recent: list,
    counts: tuple[int, int],
    weeks: tuple[int, int],
    complete: tuple[float, float] = (1.0, 1.0),
) -> dict:
    """The three tests on two lists of (first start, last end, variant), and the receipts in
    whole weeks before and after the cut (so that both rates hold every weekday alike), each side
    expected to hold `complete` of its receipts (`Completeness.share`): the binomial test's
    share is the recent side's expected part of the total under one rate."""
    from scipy import stats  # a second or so to import: only when a log is long enough to test

    parts = [sorted(part) for part in (before, recent)]  # in order of receipt
    lead = [np.array([b - a for a, b, _ in part]) / 60.0 for part in parts]  # hours
    distance = float(stats.ks_2samp(lead[0], lead[1]).statistic)
    tau = integrated_autocorrelation(lead)
    n_eff = [len(x) / tau for x in lead]
    p_lead = float(stats.kstwobign.sf(distance * np.sqrt(n_eff[0] * n_eff[1] / sum(n_eff))))
    seen = [Counter(v for *_, v in part) for part in (before, recent)]
    common = sorted(v for v, n in (seen[0] + seen[1]).items() if n >= 5)
    table = np.array(
        [
            [part[key] for key in common] + [part.total() - sum(part[key] for key in common)]
            for part in seen
        ]
    )
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] > 1:
        chi2, p_var, dof, _ = stats.chi2_contingency(table)
        v_cramer = float(np.sqrt(chi2 / table.sum()))
    else:
        p_var, v_cramer, dof = 1.0, 0.0, 0
    if min(weeks) >= 1 and min(counts) > 0:
        exposure = [w * c for w, c in zip(weeks, complete)]
        p_rate = stats.binomtest(counts[1], sum(counts), exposure[1] / sum(exposure)).pvalue
        ratio = (counts[1] / exposure[1]) / (counts[0] / exposure[0])
    else:
        p_rate, ratio = 1.0, 1.0
    return {
        "lead_time": {
            "test": "Kolmogorov-Smirnov (cases / autocorrelation time)",
            "statistic": round(distance, 4),
            "p": p_lead,
            "autocorrelation_time": round(tau, 2),
            "median_office_hours": [round(float(np.median(x)), 2) for x in lead],
        },
        "variants": {
            "test": f"chi-square ({dof} df; variants seen < 5 times pooled)",
            "statistic": round(v_cramer, 4),
            "p": float(p_var),
        },
        "arrival_rate": {
            "test": f"binomial (recent receipts given the total, {weeks[1]} weeks against "
            f"{weeks[0]}"
            + (
                f", expected complete at the log's end: {complete[1]:.1%} against "
                f"{complete[0]:.1%})"
                if min(complete) < 0.9995  # shown as under 100.0 %
                else ")"
            ),
            "statistic": round(float(ratio), 4),
            "p": float(p_rate),
        },
    }


def _drifted(name: str, result: dict) -> bool:
    effect = result["statistic"] if name != "arrival_rate" else abs(result["statistic"] - 1)
    return result["p"] < ALPHA / 3 and effect >= EFFECT[name]


def window(
    events: Events,
    cal,
    arrival: dict[str, float],
    train: set[str],
    *,
    since: float | None = None,
    recent: str = "auto",
    months: float = RECENT_MONTHS,
) -> tuple[set[str], dict]:
    """(the cases to fit, the drift evidence). `since`: wall minutes, a window given by hand."""
    if since is not None:
        kept = {c for c in train if arrival[c] >= since}
        return kept, {
            "drift": Text("not tested (the window is given)"),
            "window": Text(
                "given (--since {day}): {kept} of {total} cases",
                day=minutes_to_iso(since)[:10],
                kept=len(kept),
                total=len(train),
            ),
        }
    times = np.array(sorted(arrival[c] for c in train))
    first, last = float(times[0]), float(times[-1])
    span_days = (last - first) / MINUTES_PER_DAY
    table = case_table(events, train, cal)
    # wall-clock lead times (every event of the case): how long before the log's end a case may
    # still be open
    by_case = case_spans(events)
    names, opened, closed = by_case
    tabled = np.array([c in table for c in names], dtype=bool)
    leads = (closed - opened)[tabled].tolist()
    lead = float(np.quantile(leads, LEAD_QUANTILE)) if leads else 0.0
    length = max(months * MONTH_DAYS, 2 * lead / MINUTES_PER_DAY)
    how = f"the last {length:.0f} days ({months:g} months, or twice the {LEAD_QUANTILE:.0%} lead time)"
    if span_days < 2 * length:
        length = span_days / 3
        how = f"the last third of the cases' {span_days:.0f} days"
    cut = last - length * MINUTES_PER_DAY
    recent_cases = {c for c in train if arrival[c] >= cut}
    evidence: dict = {
        "window": Text("all {count} fitted cases", count=len(train)),
        "recent": f"{how}: {len(recent_cases)} cases received from {minutes_to_iso(cut)[:10]}",
        "before": len(train) - len(recent_cases),
    }
    if span_days < MIN_SPAN_DAYS:
        evidence["drift"] = Text("not tested (the cases span {days:.1f} days)", days=span_days)
        return train, evidence
    before = [table[c] for c in train - recent_cases if c in table]
    stop = last - lead
    tested = [table[c] for c in recent_cases if c in table and arrival[c] <= stop]
    evidence["tested"] = (
        f"{len(before)} cases before against {len(tested)} received "
        f"{minutes_to_iso(cut)[:10]} to {minutes_to_iso(stop)[:10]} (the recent window less "
        f"the {LEAD_QUANTILE:.0%} lead time, {lead / MINUTES_PER_DAY:.1f} days)"
    )
    if min(len(tested), len(before)) < MIN_CASES:
        evidence["drift"] = Text("not tested (under {count} cases in a part)", count=MIN_CASES)
        return train, evidence
    # receipts per week: whole weeks on each side of the cut, the recent ones up to the last
    # receipt, each side's count over the share of its receipts expected complete at the log's end
    week = 7.0 * MINUTES_PER_DAY
    weeks = (int((cut - first) // week), int((last - cut) // week))
    spans = ((cut - weeks[0] * week, cut), (cut, cut + weeks[1] * week))
    counts = tuple(int(np.sum((times >= a) & (times < b))) for a, b in spans)
    complete = Completeness.of(by_case, train, float(events.end.max()))
    result = tests(before, tested, counts, weeks, tuple(complete.share(a, b) for a, b in spans))
    evidence["tests"] = result
    moved = [name for name, r in result.items() if _drifted(name, r)]
    evidence["drift"] = (
        Text(
            "yes: {tests} (p < {alpha:.4f} and effect >= threshold)",
            tests=Verbatim(", ".join(moved)),
            alpha=ALPHA / 3,
        )
        if moved
        else Text("no")
    )
    if moved and recent == "auto" and len(recent_cases) >= MIN_RECENT:
        evidence["window"] = Text(
            "recent only (--recent auto): {kept} of {total} cases, since {day}, because "
            "{tests} moved",
            kept=len(recent_cases),
            total=len(train),
            day=minutes_to_iso(cut)[:10],
            tests=Verbatim(", ".join(moved)),
        )
        return recent_cases, evidence
    if moved and recent != "auto":
        evidence["window"] = Text(
            "all {count} fitted cases (--recent {recent})", count=len(train), recent=recent
        )
    else:
        evidence["window"] = Text("all {count} fitted cases", count=len(train))
    return train, evidence
