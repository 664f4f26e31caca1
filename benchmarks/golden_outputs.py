"""Write the JSON of every shipped scenario and check file, to compare two versions byte for byte.

Used around refactorings whose results must not change: run it before and after into two folders,
then `diff -r BEFORE AFTER`. It runs the installed `slasim` (through `python -m slasim`), so it
compares whatever code is on the path. Commands: `run --json`, `compare --json` (every scenario with
reforms), `check --json` (each shipped check file), and a fixed set of `deadline --json` calls.

    python benchmarks/golden_outputs.py OUT_DIR [--reps N] [--against benchmarks/golden.sha256]

`benchmarks/golden.sha256` records the outputs at the current version (each file's SHA-256 and
name, written by `--record FILE`); `--against FILE` lists the files whose bytes differ from it and
exits 1 when any does.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEADLINES = [
    ["2025-09-26", "20wd"],
    ["2025-09-26T16:00", "4wh"],
    ["2025-09-30", "30d"],
    ["2026-12-20", "20wd"],
    ["2025-03-05T13:00", "1wd", "-c", "always"],
    ["2025-09-26", "20wd", "--extension", "10wd"],
]


def slasim(*args: str) -> bytes:
    """Run `python -m slasim ARGS` and return its stdout (exit 0 or 1 accepted)."""
    done = subprocess.run([sys.executable, "-m", "slasim", *args], capture_output=True, cwd=ROOT)
    if done.returncode not in (0, 1):
        sys.exit(f"slasim {' '.join(args)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--reps", default="3", help="replications per run (default 3)")
    parser.add_argument("--record", type=Path, help="write the outputs' SHA-256 list to this file")
    parser.add_argument("--against", type=Path, help="compare the outputs with this SHA-256 list")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    common = ["--json", "--reps", args.reps, "--workers", "1", "--quiet"]
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        if scenario.name == "card-ladders.yaml":
            continue
        name = scenario.stem
        (args.out / f"run-{name}.json").write_bytes(slasim("run", str(scenario), *common))
        if "\nreforms:" in scenario.read_text(encoding="utf-8"):
            compared = slasim("compare", str(scenario), *common)
            (args.out / f"compare-{name}.json").write_bytes(compared)
    for check in sorted((ROOT / "scenarios" / "checks").glob("*.yaml")):
        # Relative to the checkout (the commands run there): the JSON names the file as given, so
        # the record in benchmarks/golden.sha256 holds for a run in any clone.
        relative = str(check.relative_to(ROOT))
        (args.out / f"check-{check.stem}.json").write_bytes(slasim("check", relative, "--json"))
    for i, call in enumerate(DEADLINES):
        (args.out / f"deadline-{i}.json").write_bytes(slasim("deadline", *call, "--json"))
    print(f"wrote {len(list(args.out.iterdir()))} files to {args.out}")
    digests = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(args.out.glob("*.json"))
    }
    if args.record is not None:
        args.record.write_text("".join(f"{d}  {name}\n" for name, d in digests.items()))
    if args.against is not None:
        recorded = dict(
            reversed(line.split("  ", 1)) for line in args.against.read_text().splitlines()
        )
        moved = sorted(
            n for n in recorded.keys() | digests.keys() if recorded.get(n) != digests.get(n)
        )
        print("\n".join(f"moved: {name}" for name in moved) or "identical to the record")
        sys.exit(1 if moved else 0)


if __name__ == "__main__":
    main()
