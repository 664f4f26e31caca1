"""Vectorized working-day deadlines per second, against the anchors on the same inputs in one run.

Anchors: `holidays`' `get_nth_working_day` (correct, scalar) and numpy `busday_offset` (fast, but
blind to make-up workdays, so also counts how many of its answers are wrong). The legal clock
(`ClockBatch`: acceptance instants inside office hours, a `wd` limit each, due instants at the close)
is timed against `busday_offset` on as many cases, the two run alternately; its due dates are
checked against `add_working_days_array`. `--calendar cn-example-saturday` times the clock on a
calendar whose office also opens on Saturdays that no limit counts (its working days are cn's, so
the anchors are the same; an acceptance on an open Saturday makes Monday day 1).
Run: python benchmarks/bench_deadlines.py [--n 2000000] [--calendar cn]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import holidays
import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, date_to_day
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.case_clock import ClockBatch
from slasim.clock.limits import last_counted_day


def best_of(fn, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(n: int = 2_000_000, anchor_n: int = 20_000, calendar: str = "cn") -> dict:
    """Deadlines/s of slasim, holidays and numpy on the same random inputs, with agreement counts
    (`calendar`: one whose working days are cn's)."""
    args = argparse.Namespace(n=n, anchor_n=anchor_n)
    cal = load_calendar(calendar)
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

    # The legal clock on acceptance instants inside office hours (as `check` and grading hold them).
    wall = days * MINUTES_PER_DAY + rng.uniform(0, MINUTES_PER_DAY, args.n)
    accepted = cal.to_wall_array(cal.to_business_array(wall), side="right")
    accepted_day = np.floor(accepted / MINUTES_PER_DAY).astype(np.int64)
    limit = limits.astype(np.float64)
    clock_s, anchor_s = [], []
    for _ in range(5):  # alternately, so both see the same machine
        t0 = time.perf_counter()
        clock_due = ClockBatch(cal, "wd", accepted, limit).due()
        clock_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        np.busday_offset(next_days, steps, roll="forward", holidays=rest)
        anchor_s.append(time.perf_counter() - t0)
    clock_wrong = int(
        (last_counted_day(clock_due) != cal.add_working_days_array(accepted_day, limits)).sum()
    )
    return {
        "n": args.n,
        "slasim_per_s": rate,
        "holidays_per_s": hol_rate,
        "numpy_per_s": np_rate,
        "holidays_agree": agree,
        "anchor_n": args.anchor_n,
        "numpy_wrong": np_wrong,
        "clock_per_s": args.n / min(clock_s),
        "clock_vs_numpy": statistics.median(b / a for a, b in zip(clock_s, anchor_s)),
        "clock_wrong": clock_wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--anchor-n", type=int, default=20_000)
    parser.add_argument("--calendar", default="cn", help="a calendar whose working days are cn's")
    args = parser.parse_args()
    r = measure(args.n, args.anchor_n, args.calendar)
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
    print(
        f"{'slasim ClockBatch.due (wd, at close)':34s} {r['clock_per_s']:14,.0f} {'':15s}  "
        f"{r['clock_vs_numpy']:.2f}x numpy busday_offset (median of alternate runs; target >= 1x); "
        f"due date differs from add_working_days on {r['clock_wrong']:,}"
    )


if __name__ == "__main__":
    main()
