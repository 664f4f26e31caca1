"""Vectorized working-day deadlines per second, against the anchors on the same inputs in one run.

Anchors: `holidays`' `get_nth_working_day` (correct, scalar) and numpy `busday_offset` (fast, but
blind to make-up workdays, so also counts how many of its answers are wrong).
Run: python benchmarks/bench_deadlines.py [--n 2000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import holidays
import numpy as np

from slasim.calendar.units import date_to_day
from slasim.calendar.workcalendar import load_calendar


def best_of(fn, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(n: int = 2_000_000, anchor_n: int = 20_000) -> dict:
    """Deadlines/s of slasim, holidays and numpy on the same random inputs, with agreement counts."""
    args = argparse.Namespace(n=n, anchor_n=anchor_n)
    cal = load_calendar("cn")
    rng = np.random.default_rng(0)
    start = date_to_day(dt.date(2005, 1, 1))
    days = rng.integers(start, date_to_day(dt.date(2025, 12, 31)), args.n)
    limits = rng.integers(1, 60, args.n)

    t_slasim, due = best_of(lambda: cal.add_working_days_array(days, limits))
    rate = args.n / t_slasim

    cn = holidays.country_holidays("CN", years=range(2004, 2027))
    sample = [
        (dt.date(1970, 1, 1) + dt.timedelta(days=int(d)), int(n))
        for d, n in zip(days[: args.anchor_n], limits[: args.anchor_n])
    ]
    t_hol, hol_due = best_of(lambda: [cn.get_nth_working_day(d, n) for d, n in sample], repeats=1)
    hol_rate = args.anchor_n / t_hol
    ours = [dt.date(1970, 1, 1) + dt.timedelta(days=int(x)) for x in due[: args.anchor_n]]
    agree = sum(a == b for a, b in zip(ours, hol_due))

    rest = np.array(
        sorted(d for d in cn if not cn.is_working_day(d) and d.weekday() < 5), dtype="datetime64[D]"
    )
    # Same semantics as slasim: the n-th business day strictly after the start = roll (start + 1)
    # forward, step n - 1.
    next_days = (days + 1).astype("datetime64[D]")
    steps = limits - 1
    t_np, np_due = best_of(
        lambda: np.busday_offset(next_days, steps, roll="forward", holidays=rest)
    )
    np_rate = args.n / t_np
    np_wrong = int((np_due.astype(np.int64) != due).sum())
    return {
        "n": args.n,
        "slasim_per_s": rate,
        "holidays_per_s": hol_rate,
        "numpy_per_s": np_rate,
        "holidays_agree": agree,
        "anchor_n": args.anchor_n,
        "numpy_wrong": np_wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--anchor-n", type=int, default=20_000)
    args = parser.parse_args()
    r = measure(args.n, args.anchor_n)
    rate, hol_rate, np_rate, agree, np_wrong = (
        r["slasim_per_s"],
        r["holidays_per_s"],
        r["numpy_per_s"],
        r["holidays_agree"],
        r["numpy_wrong"],
    )
    print(f"{'method':34s} {'deadlines/s':>14s} {'ratio slasim/x':>15s}  notes")
    print(f"{'slasim add_working_days_array':34s} {rate:14,.0f} {1.0:15.1f}  n={args.n:,}")
    print(
        f"{'holidays get_nth_working_day':34s} {hol_rate:14,.0f} {rate / hol_rate:15.0f}  "
        f"agrees with slasim on {agree}/{args.anchor_n}"
    )
    print(
        f"{'numpy busday_offset':34s} {np_rate:14,.0f} {rate / np_rate:15.1f}  "
        f"wrong on {np_wrong:,} of {args.n:,} ({np_wrong / args.n:.1%}): no make-up workdays"
    )


if __name__ == "__main__":
    main()
