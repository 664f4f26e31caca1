"""`slasim fit` and `slasim fidelity` on the public logs, with two reference points computed in the
same run: a naive model (one elapsed step drawn from the fitted cases' own lead times, Poisson
receipts at their mean rate, no staff) and the real cases split in halves (the sampling floor:
what an exact model would still show). Also the time to fit 100k events (a LoanApp log repeated
in later weeks). Lower distances are better; the fitted model should sit between the halves and
the naive model.

    python benchmarks/bench_fit.py [--logs DIR] [--reps 5] [--json]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import tempfile
import time
from pathlib import Path

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log, naive_scenario
from slasim.fit.fidelity import fidelity
from slasim.fit.log import read_log
from slasim.io.schema import validate
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
LOGS = {  # file: (calendar, legal limit)
    "LoanApp_simplified.csv.gz": ("weekdays", "2wd"),
    "Insurance_Claims_train.csv": ("always", "1wd"),
    "BPIC15_1.csv.gz": ("nl", "40wd"),
}
KEYS = ("lead_time_w1_wd", "arrival_weekday_tv", "arrival_hour_w1_h", "ngram3_tv")


def measure(folder: Path, reps: int) -> list[dict]:
    """Fit time and fidelity of the fitted and naive models, and the halves' floor, per log."""
    rows = []
    for name, (calendar, limit) in LOGS.items():
        path = folder / name
        cal = load_calendar(calendar)
        started = time.perf_counter()
        events = read_log(path, cal)
        fitted = fit_log(events, calendar, limit=limit)
        seconds = time.perf_counter() - started
        plans = {
            "fitted": compile_plan(validate(Scenario, fitted.data, name), name),
            "naive": compile_plan(
                validate(Scenario, naive_scenario(fitted, events, calendar), name), name
            ),
        }
        results = {k: fidelity(plan, events, replications=reps) for k, plan in plans.items()}
        row = {
            "log": name,
            "events": len(events),
            "cases": fitted.evidence["cases"],
            "fit_seconds": seconds,
            "real_cases": results["fitted"]["real_cases"],
        }
        for key in KEYS:
            row[key] = {
                "fitted": results["fitted"]["distances"][key]["mean"],
                "naive": results["naive"]["distances"][key]["mean"],
                "halves": results["fitted"]["reference"][key],
            }
        for m in ("lead_time_wd_mean", "past_legal"):
            row[m] = {
                "real": results["fitted"]["measures"][m]["real"],
                "fitted": results["fitted"]["measures"][m]["simulated"]["mean"],
                "naive": results["naive"]["measures"][m]["simulated"]["mean"],
            }
        rows.append(row)
    return rows


def fit_100k(folder: Path) -> dict:
    """Seconds to read and fit ~100k events: LoanApp's cases repeated in 28 later weeks."""
    source = folder / "LoanApp_simplified.csv.gz"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    case, stamps = (
        header.index("case:concept:name"),
        [header.index(c) for c in ("start_timestamp", "time:timestamp", "AssignedTime")],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
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
        started = time.perf_counter()
        events = read_log(path, load_calendar("weekdays"))
        fit_log(events, "weekdays", limit="2wd")
        return {"events": len(events), "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, default=ROOT.parent / "shared" / "logs")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {"logs": measure(args.logs, args.reps), "fit_100k": fit_100k(args.logs)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for row in result["logs"]:
        print(
            f"{row['log']}: {row['events']:,} events, {row['cases']:,} cases, "
            f"fit {row['fit_seconds']:.2f} s, {row['real_cases']} real cases in the test window"
        )
        for key in KEYS:
            v = row[key]
            print(
                f"  {key:22s} fitted {v['fitted']:.3f}  naive {v['naive']:.3f}  halves {v['halves']:.3f}"
            )
        for m in ("lead_time_wd_mean", "past_legal"):
            v = row[m]
            print(
                f"  {m:22s} real {v['real']:.3f}  fitted {v['fitted']:.3f}  naive {v['naive']:.3f}"
            )
    big = result["fit_100k"]
    print(f"fit of {big['events']:,} events: {big['seconds']:.2f} s (target < 10 s on one core)")


if __name__ == "__main__":
    main()
