"""`slasim check` on 100,000 generated cases (promised + legal limits, pauses, extensions,
expected due dates and cards): engine time against a one-case-at-a-time loop over the same engine
(`compute_deadline`) on a sample, in one run; then whole `slasim check` processes on the JSON,
CSV and YAML forms of the same cases (all passing, the CI case) against a bare parse of each file
(`json.load`, `csv.reader`, PyYAML's C loader), in interleaved rounds, with peak memory.

Each round also times the start-up floor `import numpy, typer` (issue 28) and `python -c pass`:
"added over floor" is (check - floor) / (bare - pass), what the check adds to the floor against
what the bare parse adds to an empty Python. Wall and CPU (user + system) times are both given:
on a shared machine CPU is the steadier. `--reference DIR` times another slasim's check in the
same rounds (before/after a change: `git archive REV slasim calendars scenarios | tar -x -C DIR`).

Loading the file (parse, validation, building the columns) is reported separately: it happens
once per file and is not engine time.
Run: python benchmarks/bench_checks.py [--n 100000] [--rounds 5] [--forms csv,json]
[--reference DIR] [--processes-only]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
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


def write_csv(path: Path, cases: list[dict]) -> None:
    """The cases in the columnar CSV form (docs/guide-checks.md)."""
    header = ["name", "accepted", "limit", "promised", "extensions", "pauses", "due", "card_at"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for c in cases:
            pauses = [f"{p['from']}/{p['to']}/{p['kind']}" for p in c.get("pauses", [])]
            cards = [f"{k}={v}" for k, v in c["expect"]["card_at"].items()]
            limit = c["limit"]
            out.writerow(
                [c["name"], c["accepted"], limit["legal"], limit["promised"]]
                + [";".join(c.get("extensions", [])), ";".join(pauses)]
                + [c["expect"]["due"]["legal"], ";".join(cards)]
            )


BARE = {
    "json": "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))",
    "csv": "import csv, sys; list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))",
    "yaml": "import sys, yaml; yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)",
    "2 cases": "import sys",  # `slasim check`'s own floor (start-up, imports) against Python's
}


# A small process starts each measured one and reports its time and peak memory: a child's
# peak counts from its parent's memory at the fork, and this benchmark holds 100k cases.
LAUNCH = """
import os, subprocess, sys, time
t0 = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(time.perf_counter() - t0, usage.ru_maxrss / 1024, cpu, os.waitstatus_to_exitcode(status))
"""


def process(args: list[str], code: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak memory (MiB) and CPU seconds (user + system) of one whole process.
    Children run with a warm bytecode cache (PYTHONDONTWRITEBYTECODE removed: slasim's modules
    are compiled once, as a wheel install does), from a folder outside any checkout, importing
    slasim from `code` (default: this checkout)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(code or ROOT)
    out = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    seconds, mib, cpu, status = out.stdout.split()
    if status != "0":
        raise SystemExit(f"failed ({status}): {' '.join(args)}")
    return float(seconds), float(mib), float(cpu)


ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import numpy, typer"  # issue 28's start-up floor: no check can start below it


def _load() -> str:
    """The machine's load average over 1, 5 and 15 minutes (it is shared: read the ratios)."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _median_ratio(top: list, bottom: list, k: int = 0) -> str:
    """Median over rounds of top/bottom (element k of each run: 0 wall, 2 CPU), with its range."""
    ratios = sorted(a[k] / b[k] for a, b in zip(top, bottom))
    return f"{statistics.median(ratios):5.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def _added(check: list, floor: list, bare: list, empty: list, k: int = 0) -> str:
    """What `slasim check` adds over the start-up floor, against what the bare parse adds over
    an empty Python: (check - floor) / (bare - `python -c pass`), per round; median and range."""
    ratios = sorted(
        (c[k] - f[k]) / max(b[k] - e[k], 1e-3) for c, f, b, e in zip(check, floor, bare, empty)
    )
    return f"{statistics.median(ratios):5.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def whole_processes(files: dict[str, Path], rounds: int, reference: Path | None) -> None:
    """`slasim check FILE` against a bare parse of FILE, whole processes, interleaved rounds;
    the start-up floor and an empty Python in the same rounds, for what the check adds over the
    floor; with `reference` (a copy of another slasim), its check of each file too."""
    who = ("check", "bare") + (("reference",) if reference else ())
    runs: dict = {(form, w): [] for form in files for w in who}
    floor, empty = [], []
    check = [sys.executable, "-m", "slasim", "check"]
    load_before = _load()
    for path in files.values():  # warm the bytecode caches, uncounted
        process([*check, str(path)])
        if reference:
            process([*check, str(path)], reference)
    for _ in range(rounds):
        for form, path in files.items():
            runs[form, "check"].append(process([*check, str(path)]))
            runs[form, "bare"].append(process([sys.executable, "-c", BARE[form], str(path)]))
            if reference:
                runs[form, "reference"].append(process([*check, str(path)], reference))
        floor.append(process([sys.executable, "-c", FLOOR]))
        empty.append(process([sys.executable, "-c", "pass"]))
    print(
        f"\nwhole processes, {rounds} interleaved rounds (medians; ratio range over rounds); "
        f"load average {load_before} at the start, {_load()} at the end:"
    )
    print(
        f"{'form':8s} {'check s':>8s} {'bare s':>7s} {'check/bare':>18s} {'CPU check/bare':>18s} "
        f"{'added over floor':>18s} {'CPU added':>18s} {'MiB check':>9s} {'bare':>5s}"
    )
    for form in files:
        c, b = runs[form, "check"], runs[form, "bare"]

        def added(c, k=0, b=b, form=form):  # the 2-case file's bare run is an empty Python
            return "-" if form == "2 cases" else _added(c, floor, b, empty, k)

        print(
            f"{form:8s} {statistics.median(x[0] for x in c):8.2f} "
            f"{statistics.median(x[0] for x in b):7.2f} {_median_ratio(c, b):>18s} "
            f"{_median_ratio(c, b, 2):>18s} {added(c):>18s} {added(c, 2):>18s} "
            f"{max(x[1] for x in c):9.0f} {max(x[1] for x in b):5.0f}"
        )
    for name, runs_ in (("floor", floor), ("pass", empty)):
        print(
            f"`{FLOOR if name == 'floor' else 'python -c pass'}`: "
            f"{statistics.median(x[0] for x in runs_):.2f} s (CPU "
            f"{statistics.median(x[2] for x in runs_):.2f} s)",
            end="",
        )
        if name == "floor":
            for form in files:
                print(
                    f"; {_median_ratio(floor, runs[form, 'bare']).split()[0]} bare {form}", end=""
                )
        print()
    print(
        "added over floor = (check - floor) / (bare - `python -c pass`): what the check adds to "
        "the start-up floor, against what the bare parse adds to an empty Python"
    )
    if reference:
        print(f"\nthis checkout against {reference}, the same rounds:")
        for form in files:
            c, r = runs[form, "check"], runs[form, "reference"]
            print(
                f"{form:8s} check {statistics.median(x[0] for x in c):.2f} s, reference "
                f"{statistics.median(x[0] for x in r):.2f} s: {_median_ratio(c, r)} wall, "
                f"{_median_ratio(c, r, 2)} CPU; reference / bare "
                f"{_median_ratio(r, runs[form, 'bare'])}, added over floor "
                f"{_added(r, floor, runs[form, 'bare'], empty)}"
            )
    peak = {form: max(c[1] for c in runs[form, "check"]) for form in files}
    if "yaml" in peak and "json" in peak:
        print(f"peak memory, YAML route / JSON route: {peak['yaml'] / peak['json']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--pairs", type=int, default=5, help="interleaved JSON load + check runs")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved whole-process rounds")
    parser.add_argument(
        "--forms", default="json,csv,yaml,2 cases", help="which files' processes to time"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        help="a folder holding another slasim (e.g. `git archive REV slasim calendars scenarios`"
        " unpacked): its `slasim check` is timed in the same rounds",
    )
    parser.add_argument(
        "--processes-only", action="store_true", help="skip the in-process engine timings"
    )
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
        as_csv = Path(tmp) / "cases.csv"
        write_csv(as_csv, raw["cases"])
        tiny = Path(tmp) / "two.json"
        tiny.write_text(json.dumps({**raw, "cases": raw["cases"][:2]}), encoding="utf-8")
        forms = {"json": as_json, "csv": as_csv, "yaml": path, "2 cases": tiny}
        forms = {form: forms[form] for form in args.forms.split(",")}
        whole_processes(forms, args.rounds, args.reference)
        if args.processes_only:
            return
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

    print(f"\n{'what':48s} {'seconds':>9s} {'cases/s':>12s}")
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
