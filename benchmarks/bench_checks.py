"""`slasim check` engine time on 100,000 generated cases (promised + legal limits, pauses,
extensions, expected due dates and cards), against a one-case-at-a-time loop over the same
engine (`compute_deadline`) on a sample, in one run.

File parsing (YAML, validation) is reported separately: it is not engine time.
Run: python benchmarks/bench_checks.py [--n 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np

from slasim.checks import CheckFile, run_checks
from slasim.clock import Pause
from slasim.deadline import compute_deadline
from slasim.timeconv import datetime_to_minutes


def make_cases(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    start = dt.date(2010, 1, 1)
    cases = []
    for i in range(n):
        accepted = start + dt.timedelta(days=int(rng.integers(0, 15 * 365)))
        case = {"name": f"case {i}", "accepted": accepted.isoformat(),
                "limit": {"promised": f"{int(rng.integers(3, 15))}wd", "legal": "20wd"},
                "expect": {"due": {"legal": "2000-01-01"},
                           "card_at": {accepted.isoformat() + "T10:00": "green"}}}
        if rng.random() < 0.3:
            a = accepted + dt.timedelta(days=int(rng.integers(1, 15)))
            case["pauses"] = [{"from": a.isoformat(), "to": (a + dt.timedelta(days=int(rng.integers(1, 6)))).isoformat(),
                               "kind": "special_procedure"}]
        if rng.random() < 0.2:
            case["extensions"] = ["10wd"]
        cases.append(case)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()
    raw = {"calendar": "cn", "cards": "warn-before", "cases": make_cases(args.n)}
    t0 = time.perf_counter()
    check = CheckFile.model_validate(raw)
    t_parse = time.perf_counter() - t0
    run_checks(CheckFile.model_validate({**raw, "cases": raw["cases"][:10]}), "warm-up")
    t0 = time.perf_counter()
    outcomes = run_checks(check, "bench")
    t_failing = time.perf_counter() - t0  # every expected due is deliberately wrong: all fail, all diffs built
    # The CI case: expectations pinned from a previous run, so (nearly) everything passes.
    for case, o in zip(raw["cases"], outcomes):
        case["expect"]["due"] = {"legal": o.got["due"]["legal"]}
    check = CheckFile.model_validate(raw)
    t0 = time.perf_counter()
    outcomes = run_checks(check, "bench")
    t_engine = time.perf_counter() - t0
    failed = sum(not o.passed for o in outcomes)

    sample = check.cases[: args.sample]
    t0 = time.perf_counter()
    for c in sample:
        compute_deadline(c.limit.legal, accepted=c.accepted,
                         pauses=[Pause(datetime_to_minutes(p.start), datetime_to_minutes(p.end)) for p in c.pauses],
                         extensions=c.extensions)
    t_loop = (time.perf_counter() - t0) / len(sample) * args.n

    print(f"{'what':44s} {'seconds':>9s} {'cases/s':>12s}")
    print(f"{'validate file model (not engine)':44s} {t_parse:9.3f} {args.n / t_parse:12,.0f}")
    print(f"{'slasim check engine, all passing (batched)':44s} {t_engine:9.3f} {args.n / t_engine:12,.0f}")
    print(f"{'slasim check engine, all failing + diffs':44s} {t_failing:9.3f} {args.n / t_failing:12,.0f}")
    print(f"{'compute_deadline one by one (extrapolated)':44s} {t_loop:9.3f} {args.n / t_loop:12,.0f}")
    print(f"batched / one-by-one speed-up: {t_loop / t_engine:.0f}x; cases reported failing: {failed:,}/{args.n:,}")


if __name__ == "__main__":
    main()
