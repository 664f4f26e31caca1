"""Speed of `slasim fit`: reading and fitting each public log, and ~100k events (a LoanApp log
repeated in later weeks; the target is under 10 s on one core). How close the fitted models come
to the real logs is `bench_fidelity.py`'s job (the field's protocol and baselines).

With `--reference DIR` (a checkout of another commit, e.g. `git worktree add /tmp/ref 5c4141f`)
it times the read and fit of the ~100k events in fresh processes, the reference's code and this
checkout's taking turns (`--rounds` each), and prints the medians, their spread and the ratio:
on a shared, loaded machine only ratios from the same run compare.

    python benchmarks/bench_fit.py [--logs DIR] [--json]
    python benchmarks/bench_fit.py --reference /tmp/ref [--rounds 7] [--logs DIR] [--json]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from slasim.calendar.workcalendar import load_calendar
from slasim.evaluation.fidelity import run_one
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
from slasim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
SIMULATED_LOGS = 10
# Simod 5.2.1 at a small budget on this machine (issue 26): fit and 10 simulated logs, seconds
SIMOD_SECONDS = {"LoanApp_simplified.csv.gz": 17.7}
LOGS = {  # file: (calendar, legal limit)
    "LoanApp_simplified.csv.gz": ("weekdays", "2wd"),
    "Insurance_Claims_train.csv": ("always", "1wd"),
    "BPIC15_1.csv.gz": ("nl", "40wd"),
    "LoanApp.csv.gz": ("loanapp-example", "2wd"),
    "BPIC_2012_W.csv.gz": ("always", "20wd"),
    "AcademicCredentials.csv.gz": ("always", "20wd"),
}


def timed(path: Path, calendar: str, limit: str, simulate: bool = True) -> dict:
    """Seconds to read and to fit one log (events, cases), and with `simulate` to simulate 10
    logs of its held-out cases from the fitted scenario as the field's protocol does (N cases
    from the split, each run to completion: `evaluation.fidelity.run_one`, one process)."""
    started = time.perf_counter()
    events = read_log(path, load_calendar(calendar))
    read = time.perf_counter()
    fitted = fit_log(events, calendar, limit=limit)
    done = time.perf_counter()
    row = {
        "log": path.name,
        "events": len(events),
        "cases": fitted.evidence["cases"],
        "read_seconds": round(read - started, 3),
        "fit_seconds": round(done - read, 3),
    }
    if simulate and fitted.evidence["test_cases"]:
        scenario = Scenario.model_validate(fitted.data)
        cal = load_calendar(fitted.data["calendar"])
        first = float(cal.minutes(dt.datetime.fromisoformat(fitted.evidence["split"])))
        # the held-out cases' span in working days, and 20 more (as `first_n` runs them)
        span = cal.business_to_day_position(
            cal.to_business_array(np.array([first, events.end.max()]))
        )
        days = int(np.ceil(span[1] - span[0])) + 20
        n = fitted.evidence["test_cases"]
        payload = (scenario.model_dump_json(by_alias=True), str(path), n, first, days)
        for replication in range(SIMULATED_LOGS):
            run_one(payload, replication, 1)
        row["simulated_cases"] = n
        row["simulate_seconds"] = round(time.perf_counter() - done, 3)
    return row


def measure(folder: Path) -> list[dict]:
    """`timed` for each log found in the folder."""
    # fit imports scipy.stats when it first tests a log for drift: imported here, so that the
    # first log's fit time is its own
    import scipy.stats  # noqa: F401

    return [
        timed(folder / name, calendar, limit)
        for name, (calendar, limit) in LOGS.items()
        if (folder / name).is_file()
    ]


def write_100k(folder: Path, path: Path) -> Path:
    """~100k events at `path`: LoanApp's cases repeated in 28 later weeks."""
    source = folder / "LoanApp_simplified.csv.gz"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    case, stamps = (
        header.index("case:concept:name"),
        [header.index(c) for c in ("start_timestamp", "time:timestamp", "AssignedTime")],
    )
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for copy in range(28):
            for row in body:
                row = list(row)
                row[case] = f"{copy}-{row[case]}"
                for k in stamps:
                    t = dt.datetime.fromisoformat(row[k]) + dt.timedelta(weeks=7 * copy)
                    row[k] = t.isoformat(timespec="milliseconds")
                writer.writerow(row)
    return path


def fit_100k(folder: Path) -> dict:
    """Seconds to read and fit ~100k events: LoanApp's cases repeated in 28 later weeks."""
    with tempfile.TemporaryDirectory() as tmp:
        return timed(write_100k(folder, Path(tmp) / "big.csv"), "weekdays", "2wd", simulate=False)


# One timing in a fresh process, of the code found first on PYTHONPATH (read_log and fit_log
# have kept their signatures since the reference commits of issue 28). Imports are timed apart,
# scipy.stats among them where fit uses it (it imports it when it first tests a log for drift;
# the reference has no drift test): read + fit is the work on the log, import + read + fit the
# whole process's.
CHILD = """
import importlib.util, json, sys, time
started = time.perf_counter()
if importlib.util.find_spec("slasim.fit.drift"):
    import scipy.stats
import slasim
from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
imported, cpu = time.perf_counter(), time.process_time()
events = read_log(sys.argv[1], load_calendar("weekdays"))
read = time.perf_counter()
fit_log(events, "weekdays", limit="2wd")
done = time.perf_counter()
print(json.dumps({"code": slasim.__file__, "import": imported - started,
                  "read": read - imported, "fit": done - read,
                  "cpu": time.process_time() - cpu}))
"""


def _child(code: Path, log: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(log)],
        env=env,
        cwd=log.parent,  # not a checkout: `-c` puts the working folder first on the path
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(result["code"]).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"{code}: imported slasim from {result['code']}, not from it")
    return result


def against_reference(folder: Path, reference: Path, rounds: int) -> dict:
    """Read + fit of ~100k events by the reference's code and this checkout's, in turns: each
    side's median seconds (read, fit, both) with their range, and the ratio of the medians."""
    runs: dict[str, list[dict]] = {"reference": [], "current": []}
    with tempfile.TemporaryDirectory() as tmp:
        log = write_100k(folder, Path(tmp) / "big.csv")
        for _ in range(rounds):
            runs["reference"].append(_child(reference, log))
            runs["current"].append(_child(ROOT, log))
    out: dict = {"rounds": rounds, "reference": str(reference)}
    for side, results in runs.items():
        totals = [r["read"] + r["fit"] for r in results]
        out[side] = {
            "read_seconds": round(statistics.median(r["read"] for r in results), 3),
            "fit_seconds": round(statistics.median(r["fit"] for r in results), 3),
            "total_seconds": round(statistics.median(totals), 3),
            "total_range": [round(min(totals), 3), round(max(totals), 3)],
            "import_seconds": round(statistics.median(r["import"] for r in results), 3),
        }
    pairs = [
        (c["read"] + c["fit"]) / (r["read"] + r["fit"])
        for r, c in zip(runs["reference"], runs["current"])
    ]
    out["ratio"] = round(out["current"]["total_seconds"] / out["reference"]["total_seconds"], 3)
    out["ratio_range"] = [round(min(pairs), 3), round(max(pairs), 3)]  # round by round
    whole = {
        side: statistics.median(r["import"] + r["read"] + r["fit"] for r in results)
        for side, results in runs.items()
    }
    out["whole_seconds"] = {side: round(v, 3) for side, v in whole.items()}
    out["whole_ratio"] = round(whole["current"] / whole["reference"], 3)
    cpu = {side: statistics.median(r["cpu"] for r in results) for side, results in runs.items()}
    out["cpu_seconds"] = {side: round(v, 3) for side, v in cpu.items()}
    out["cpu_ratio"] = round(cpu["current"] / cpu["reference"], 3)  # less moved by other load
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, default=ROOT.parent / "shared" / "logs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reference", type=Path, help="a checkout to compare with (100k only)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if args.reference is not None:
        result = against_reference(args.logs, args.reference, args.rounds)
        if args.json:
            print(json.dumps(result, indent=2))
            return
        for side in ("reference", "current"):
            r = result[side]
            print(
                f"{side}: read {r['read_seconds']:.2f} s + fit {r['fit_seconds']:.2f} s = "
                f"{r['total_seconds']:.2f} s (median of {args.rounds}; range "
                f"{r['total_range'][0]:.2f}-{r['total_range'][1]:.2f} s; imports "
                f"{r['import_seconds']:.2f} s apart)"
            )
        low, high = result["ratio_range"]
        print(
            f"current / reference: {result['ratio']:.3f}x (round by round {low:.3f}-{high:.3f}; "
            "issue 28's target: <= 0.5x)"
        )
        whole = result["whole_seconds"]
        print(
            f"with the imports (scipy.stats where fit uses it): reference "
            f"{whole['reference']:.2f} s, current {whole['current']:.2f} s: "
            f"{result['whole_ratio']:.3f}x"
        )
        cpu = result["cpu_seconds"]
        print(
            f"CPU time of read + fit (the process's own, less moved by other load): reference "
            f"{cpu['reference']:.2f} s, current {cpu['current']:.2f} s: {result['cpu_ratio']:.3f}x"
        )
        return
    result = {"logs": measure(args.logs), "fit_100k": fit_100k(args.logs)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for row in [*result["logs"], result["fit_100k"]]:
        line = (
            f"{row['log']}: {row['events']:,} events, {row['cases']:,} cases: read "
            f"{row['read_seconds']:.2f} s, fit {row['fit_seconds']:.2f} s"
        )
        if "simulate_seconds" in row:
            whole = row["read_seconds"] + row["fit_seconds"] + row["simulate_seconds"]
            line += (
                f", {SIMULATED_LOGS} simulated logs of its {row['simulated_cases']} held-out cases "
                f"{row['simulate_seconds']:.2f} s: {whole:.2f} s in all"
            )
            if row["log"] in SIMOD_SECONDS:
                simod = SIMOD_SECONDS[row["log"]]
                line += f" = 1/{simod / whole:.0f} of Simod's {simod} s (target <= 1/20)"
        print(line)
    big = result["fit_100k"]
    total = big["read_seconds"] + big["fit_seconds"]
    print(f"read and fit of {big['events']:,} events: {total:.2f} s (target < 10 s on one core)")


if __name__ == "__main__":
    main()
