"""Variant drift under the log's cut: whether the activities of the recent cases differ from the
earlier cases' once both are cut alike, and the cases the route's shares are then fitted on.

A log holds a case only once it has finished: a case received d days before the log's last event
is in it only if it took at most d days (its `bound`). The recent cases are therefore the short
ones, and where long cases take other activities (a review), the recent cases lack them without
any change in the process (`fit.drift` leaves the recent cases within the 90 % lead time out for
that reason, which on a log as long as its lead times leaves too few to test). Here each recent
case is compared with the earlier cases that took at most its bound: for an activity, the recent
cases holding it (observed, O) against the sum over the recent cases of the share of those
earlier cases holding it (expected, E). E is a weighted sum of the earlier cases (w_j: the sum of
1 / (earlier cases within the bound) over the recent cases whose bound covers case j; the w_j sum
to n, the recent cases), so O - E has the variance of a two-proportion test of the n recent cases
against an earlier sample of effective size m = n^2 / sum(w_j^2): (n + sum(w_j^2)) p (1 - p), p
the pooled share (O + E m / n) / (n + m). Without a cut (every w_j = n / m) this is the usual
pooled two-proportion z-test. The windows tried are the last 2, 3, ... weeks of receipts while
they hold at most half the cases; the p-value is two-sided, Bonferroni over the activities times
the windows tried. Drift is an adjusted p below ALPHA *and* an activity's share moved by EFFECT or
more; of the windows and activities that moved so much, the smallest p is reported (else the
smallest p of all). With `--recent
auto` and `fit.drift` keeping every case, the route's activities and branch shares are then taken
from that window's cases (at least MIN_RECENT), in the order all the cases show, and so are the
waits before its steps where the window holds enough of them (`fit.waits.step_waits`); the steps'
work and the arrivals stay fitted on all.

Recent cases whose last activity ends under END_SHARE of the earlier cases are left out of the
test: in a log cut while cases were open, such a case is likely unfinished.

Measured: the simulated centre of tests/test_fit.py (seeds 1-60, fitted with 70 % and with all
cases) is flagged in none of 120 fits (118 tested; in 2, fit.drift's lead-time test had kept the
recent cases only, too few for a window); on AcademicCredentials (training part of the field's split)
the last 3 weeks' cases hold `Revisar curso` in 5 % against 26 % expected (z = -4.8, p = 0.0002
after Bonferroni over 112 comparisons).
"""

from __future__ import annotations

import math

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, minutes_to_iso
from slasim.fit.log import Events
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim

ALPHA = 0.01
EFFECT = 0.15  # an activity's share of cases, moved by at least this
MIN_CASES = 30  # recent cases tested, and earlier cases
MIN_RECENT = 50  # to fit on the recent window alone
MIN_REFERENCE = 10  # earlier cases within a recent case's bound, to compare it
END_SHARE = 0.01
WEEK = 7 * MINUTES_PER_DAY
TEST = "two-proportion z per activity, earlier cases cut at each recent case's bound"


def case_columns(events: Events, cases: set[str]) -> tuple[list, np.ndarray, np.ndarray, list]:
    """(case ids, their receipts and last ends in wall minutes, each case's set of activities and
    its last activity), milestones left out."""
    code, names = events.codes("case")
    chosen = np.array([c in cases for c in names], dtype=bool)
    rows = np.flatnonzero(chosen[code] & ~events.milestone)
    rows = rows[np.lexsort((events.start[rows], events.end[rows], code[rows]))]  # by case, end
    if not len(rows):
        return [], np.zeros(0), np.zeros(0), []
    cuts = np.flatnonzero(np.diff(code[rows])) + 1
    heads = np.concatenate([[0], cuts])
    starts = np.minimum.reduceat(events.start[rows], heads)
    ends = np.maximum.reduceat(events.end[rows], heads)
    acts = events.activity[rows].tolist()
    bounds = [*heads.tolist(), len(rows)]
    kinds = [(set(acts[a:b]), acts[b - 1]) for a, b in zip(bounds[:-1], bounds[1:])]
    return [names[k] for k in code[rows[heads]].tolist()], starts, ends, kinds


def compare(
    lead: np.ndarray,
    before: np.ndarray,
    bound: np.ndarray,
    recent: np.ndarray,
    *,
    min_reference: int = MIN_REFERENCE,
    min_cases: int = MIN_CASES,
) -> dict | None:
    """Per activity (columns of the 0/1 matrices `before`, `recent`, a row per case): observed and
    expected counts of the recent cases holding it and z (see the module docstring). `lead`: the
    earlier cases' lead times; `bound`: the recent cases'. None when under MIN_CASES recent cases
    have MIN_REFERENCE earlier cases within their bound."""
    order = np.argsort(lead, kind="stable")
    lead, before = lead[order], before[order].astype(float)
    within = np.searchsorted(lead, bound, side="right")  # earlier cases within each bound
    kept = within >= min_reference
    within, recent = within[kept], recent[kept].astype(float)
    n = len(within)
    if n < min_cases:
        return None
    shares = np.cumsum(before, axis=0)[within - 1] / within[:, None]
    expected = shares.sum(axis=0)
    # w_j: over the recent cases whose bound covers earlier case j, 1 / their earlier cases
    inverse = np.bincount(within - 1, weights=1.0 / within, minlength=len(lead))
    weights = np.cumsum(inverse[::-1])[::-1]
    observed = recent.sum(axis=0)
    squares = float(weights @ weights)
    size = n * n / squares  # the earlier sample's effective size
    pooled = (observed + expected * size / n) / (n + size)
    spread = np.sqrt((n + squares) * np.maximum(pooled * (1 - pooled), 0.0))  # 0 when p is 0, 1
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, (observed - expected) / spread, 0.0)
    return {"n": n, "observed": observed, "expected": expected, "z": z, "size": size}


def variant_window(
    events: Events, arrival: dict[str, float], train: set[str], *, act: bool = True
) -> tuple[set[str], dict]:
    """(the cases to fit the route's activities and branch shares on, the evidence). `act`:
    whether a drift found moves the route's window; else the test is only reported."""
    ids, starts, ends, kinds = case_columns(events, train)
    if not ids:
        return train, {"drift": Text("no")}
    log_end = float(np.max(events.end))
    received = np.array([arrival[c] for c in ids])
    activities = sorted(set().union(*(k[0] for k in kinds)))
    held = np.array([[a in k[0] for a in activities] for k in kinds], dtype=bool)
    last_receipt = float(received.max())
    tried = []
    weeks = 2
    while True:
        cut = last_receipt - weeks * WEEK
        is_recent = received >= cut
        if is_recent.sum() > len(ids) / 2 or (~is_recent).sum() < MIN_CASES:
            break
        tried.append((weeks, cut, is_recent))
        weeks += 1
    results = []
    for weeks, cut, is_recent in tried:
        early = ~is_recent
        endings = [k[1] for k, e in zip(kinds, early) if e]
        usual = {a for a in set(endings) if endings.count(a) >= END_SHARE * len(endings)}
        finished = np.array([k[1] in usual for k in kinds])
        recent = is_recent & finished
        found = compare(
            (ends - starts)[early], held[early], (log_end - starts)[recent], held[recent]
        )
        if found is not None:
            results.append((weeks, cut, int(is_recent.sum()), found))
    if not results:
        return train, {
            "test": TEST,
            "drift": Text("not tested (under {count} cases in a part)", count=MIN_CASES),
        }
    comparisons = len(results) * len(activities)
    rows = []  # per window and activity: (not moved enough, p, -moved, ...): the first is reported
    for weeks, cut, size, found in results:
        moved = np.abs(found["observed"] - found["expected"]) / found["n"]
        # two-sided normal p: erfc(|z| / sqrt 2) (no scipy import, a second or so, for this)
        p = [min(1.0, math.erfc(abs(z) / math.sqrt(2)) * comparisons) for z in found["z"]]
        for k in range(len(activities)):
            key = (bool(moved[k] < EFFECT), float(p[k]), -float(moved[k]))
            rows.append((*key, weeks, cut, size, found, k))
    _, p, moved, weeks, cut, size, found, k = min(rows, key=lambda row: row[:3])
    n = found["n"]
    drifted = p < ALPHA and -moved >= EFFECT
    evidence = {
        "test": TEST,
        "window": f"the last {weeks} weeks of receipts: {size} cases received from "
        f"{minutes_to_iso(cut)[:10]}, {n} of them compared",
        "n": n,
        "before": len(ids) - size,
        "activity": activities[k],
        "share_recent": round(float(found["observed"][k]) / n, 4),
        "share_expected": round(float(found["expected"][k]) / n, 4),
        "statistic": round(float(found["z"][k]), 3),
        "p": p,
        "comparisons": comparisons,
        "drift": (
            Text(
                "yes: {tests} (p < {alpha:.4f} and effect >= threshold)",
                tests=Verbatim(f"activities ({activities[k]})"),
                alpha=ALPHA,
            )
            if drifted
            else Text("no")
        ),
    }
    if not (drifted and act and size >= MIN_RECENT):
        return train, evidence
    kept = {c for c, r in zip(ids, received >= cut) if r}
    evidence["route"] = Text(
        "all {count} fitted cases; the route's activities, branch shares and waits from the "
        "{kept} received since {day} (a step with too few waits there: from all, as its comment "
        "says)",
        count=len(train),
        kept=len(kept),
        day=minutes_to_iso(cut)[:10],
    )
    return kept, evidence


def variant_drift(
    events: Events, arrival: dict[str, float], train: set[str], evidence: dict, *, act: bool
) -> set[str]:
    """The cases to fit, after the drift tests of `fit.drift` (whose `evidence` this completes:
    `activities`, and `drift` and `window` when this test finds drift and they did not). It moves
    the window only when `act` (`--recent auto`, no `--since`, `fit.drift` kept every case)."""
    kept, found = variant_window(events, arrival, train, act=act)
    evidence["activities"] = found
    if found["drift"].startswith("yes") and not evidence["drift"].startswith("yes"):
        evidence["drift"] = found["drift"]
    if "route" in found:
        evidence["window"] = found["route"]
    return kept
