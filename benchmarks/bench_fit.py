"""Speed of `slasim fit`: reading and fitting each public log, and ~100k events (a LoanApp log
repeated in later weeks; the target is under 10 s on one core). How close the fitted models come
to the real logs is `bench_fidelity.py`'s job (the field's protocol and baselines).

    python benchmarks/bench_fit.py [--logs DIR] [--json]
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
from slasim.fit.build import fit_log
from slasim.fit.log import read_log

ROOT = Path(__file__).resolve().parents[1]
LOGS = {  # file: (calendar, legal limit)
    "LoanApp_simplified.csv.gz": ("weekdays", "2wd"),
    "Insurance_Claims_train.csv": ("always", "1wd"),
    "BPIC15_1.csv.gz": ("nl", "40wd"),
    "LoanApp.csv.gz": ("loanapp-example", "2wd"),
    "BPIC_2012_W.csv.gz": ("always", "20wd"),
    "AcademicCredentials.csv.gz": ("always", "20wd"),
}


def timed(path: Path, calendar: str, limit: str) -> dict:
    """Seconds to read and to fit one log (events, cases)."""
    started = time.perf_counter()
    events = read_log(path, load_calendar(calendar))
    read = time.perf_counter()
    fitted = fit_log(events, calendar, limit=limit)
    done = time.perf_counter()
    return {
        "log": path.name,
        "events": len(events),
        "cases": fitted.evidence["cases"],
        "read_seconds": round(read - started, 3),
        "fit_seconds": round(done - read, 3),
    }


def measure(folder: Path) -> list[dict]:
    """`timed` for each log found in the folder."""
    return [
        timed(folder / name, calendar, limit)
        for name, (calendar, limit) in LOGS.items()
        if (folder / name).is_file()
    ]


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
        return timed(path, "weekdays", "2wd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, default=ROOT.parent / "shared" / "logs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {"logs": measure(args.logs), "fit_100k": fit_100k(args.logs)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for row in [*result["logs"], result["fit_100k"]]:
        print(
            f"{row['log']}: {row['events']:,} events, {row['cases']:,} cases: read "
            f"{row['read_seconds']:.2f} s, fit {row['fit_seconds']:.2f} s"
        )
    big = result["fit_100k"]
    total = big["read_seconds"] + big["fit_seconds"]
    print(f"read and fit of {big['events']:,} events: {total:.2f} s (target < 10 s on one core)")


if __name__ == "__main__":
    main()
