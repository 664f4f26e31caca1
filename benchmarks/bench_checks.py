"""`slasim check` engine time on 100,000 generated cases (promised + legal limits, pauses,
extensions, expected due dates and cards), against a one-case-at-a-time loop over the same
engine (`compute_deadline`) on a sample, in one run.

Loading the file (libyaml parse, pydantic validation, building the columns) is reported
separately: it happens once per file and is not engine time.
Run: python benchmarks/bench_checks.py [--n 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from slasim.calendar.units import datetime_to_minutes
from slasim.checks.engine import run_checks
from slasim.checks.load import load_check_file
from slasim.checks.schema import CheckFile
from slasim.clock.case_clock import Pause
from slasim.clock.deadline import compute_deadline


def make_cases(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    start = dt.date(2010, 1, 1)
    cases = []
    for i in range(n):
        accepted = start + dt.timedelta(days=int(rng.integers(0, 15 * 365)))
        case = {
            "name": f"case {i}",
            "accepted": accepted.isoformat(),
            "limit": {"promised": f"{int(rng.integers(3, 15))}wd", "legal": "20wd"},
            "expect": {
                "due": {"legal": "2000-01-01"},
                "card_at": {accepted.isoformat() + "T10:00": "green"},
            },
        }
        if rng.random() < 0.3:
            a = accepted + dt.timedelta(days=int(rng.integers(1, 15)))
            case["pauses"] = [
                {
                    "from": a.isoformat(),
                    "to": (a + dt.timedelta(days=int(rng.integers(1, 6)))).isoformat(),
                    "kind": "special_procedure",
                }
            ]
        if rng.random() < 0.2:
            case["extensions"] = ["10wd"]
        cases.append(case)
    return cases


def write(path: Path, raw: dict) -> None:
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--pairs", type=int, default=5, help="interleaved JSON load + check runs")
    args = parser.parse_args()
    raw = {"calendar": "cn", "cards": "warn-before", "cases": make_cases(args.n)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.yaml"
        write(path, raw)
        t0 = time.perf_counter()
        check = load_check_file(
            path
        )  # YAML (libyaml) + validation + columns, as `slasim check` does
        t_load = time.perf_counter() - t0
        as_json = Path(tmp) / "cases.json"
        as_json.write_text(json.dumps(raw), encoding="utf-8")
        t0 = time.perf_counter()
        load_check_file(as_json)
        t_load_json = time.perf_counter() - t0
        run_checks(load_check_file_from(raw, 10), "warm-up")
        t0 = time.perf_counter()
        outcomes = run_checks(check, "bench")
        t_failing = (
            time.perf_counter() - t0
        )  # every expected due is deliberately wrong: all fail, all diffs built
        # The CI case: expectations pinned from a previous run, so everything passes.
        for case, o in zip(raw["cases"], outcomes):
            case["expect"]["due"] = {"legal": o.got["due"]["legal"]}
        write(path, raw)
        check = load_check_file(path)
        as_json.write_text(json.dumps(raw), encoding="utf-8")
        # Loading against checking, the CI case, in interleaved pairs (the machine is noisy).
        pairs = []
        for _ in range(args.pairs):
            t0 = time.perf_counter()
            loaded = load_check_file(as_json)
            t1 = time.perf_counter()
            run_checks(loaded, "bench")
            pairs.append((t1 - t0, time.perf_counter() - t1))
            del loaded
    t0 = time.perf_counter()
    outcomes = run_checks(check, "bench")
    t_engine = time.perf_counter() - t0
    failed = sum(not o.passed for o in outcomes)

    sample = check.cases[: args.sample]
    t0 = time.perf_counter()
    for c in sample:
        compute_deadline(
            c.limit.legal,
            accepted=c.accepted,
            pauses=[
                Pause(datetime_to_minutes(p.start), datetime_to_minutes(p.end)) for p in c.pauses
            ],
            extensions=c.extensions,
        )
    t_loop = (time.perf_counter() - t0) / len(sample) * args.n

    print(f"{'what':48s} {'seconds':>9s} {'cases/s':>12s}")
    print(f"{'load file: YAML + validation + columns':48s} {t_load:9.3f} {args.n / t_load:12,.0f}")
    print(
        f"{'load file: same cases as .json':48s} {t_load_json:9.3f} {args.n / t_load_json:12,.0f}"
    )
    print(
        f"{'slasim check engine, all passing (batched)':48s} {t_engine:9.3f} {args.n / t_engine:12,.0f}"
    )
    print(
        f"{'slasim check engine, all failing + diffs':48s} {t_failing:9.3f} {args.n / t_failing:12,.0f}"
    )
    print(
        f"{'compute_deadline one by one (extrapolated)':48s} {t_loop:9.3f} {args.n / t_loop:12,.0f}"
    )
    print(
        f"batched / one-by-one speed-up: {t_loop / t_engine:.0f}x; "
        f"cases reported failing: {failed:,}/{args.n:,}"
    )
    ratios = sorted(load / engine for load, engine in pairs)
    print(
        f"JSON load / check engine, {len(pairs)} interleaved pairs: median "
        f"{statistics.median(ratios):.2f}x (range {ratios[0]:.2f}-{ratios[-1]:.2f}); load "
        f"{statistics.median(p[0] for p in pairs):.2f} s, engine "
        f"{statistics.median(p[1] for p in pairs):.2f} s"
    )


def load_check_file_from(raw: dict, n: int) -> CheckFile:
    return CheckFile.model_validate({**raw, "cases": raw["cases"][:n]})


if __name__ == "__main__":
    main()
