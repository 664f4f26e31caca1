"""The benchmark suite: one command, one table with every missed target flagged, and, when asked
(`--write`), the tracked files: results.json and the latest table in benchmarks/README.md.

Measured in the same run, against the anchors: deadlines/s vs `holidays` and numpy; one-step M/M/c
cases/s vs a raw SimPy loop and Ciw (optional: pip install 'slasim[bench]'); a 4-step city-year from
10k to 1M cases (time and peak memory, each in a fresh process), and at 100k on the SimPy engine;
the event engine against SimPy on realistic centres (`bench_engines.py`); parallel speed-up on all
cores.
Run: python benchmarks/run_all.py [--quick] [--write] [--parallel ROUNDS]
  --quick stops the city-year at 100k cases; --write updates results.json and README.md (a run
  without it changes no tracked file); --parallel runs only the parallel speed-ups (serial, pool
  and the two-process ceiling interleaved, with CPU and load) and prints them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_deadlines  # noqa: E402
import bench_engines  # noqa: E402
import bench_sim  # noqa: E402
import bench_staff  # noqa: E402
from city_year import city_year as city_year_scenario  # noqa: E402

from slasim.scenario.loader import load_scenario  # noqa: E402
from slasim.scenario.plan import compile_plan  # noqa: E402
from slasim.sim.parallel import default_workers  # noqa: E402
from slasim.sim.runner import replication_metrics, run_scenario  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"


def city_year(cases: int, engine: str = "auto") -> dict:
    out = subprocess.run(
        [sys.executable, str(HERE / "city_year.py"), str(cases), engine],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _slice(plan, numbers: list[int], seed: int, out) -> None:
    t0 = time.perf_counter()
    for r in numbers:
        replication_metrics(plan, r, seed)
    out.put(time.perf_counter() - t0)


def machine_ceiling(scenario, reps: int, workers: int) -> float:
    """Wall time of `reps` replications split over `workers` independent processes started together, no
    pool, no results sent: what this machine allows (vCPUs that share hardware slow each other).
    The heap is frozen while they fork (`gc.freeze`), as a process of its own shares no pages to
    copy, so the ceiling is not lowered by the collector copying the parent's memory."""
    plan = compile_plan(scenario)
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [
        context.Process(
            target=_slice, args=(plan, list(range(w, reps, workers)), scenario.seed, out)
        )
        for w in range(workers)
    ]
    gc.freeze()
    for proc in procs:
        proc.start()
    gc.unfreeze()
    times = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    return max(times)


def _timed(call, *args, **kwargs) -> tuple[object, float, float]:
    """`call`'s value, its wall seconds and CPU seconds (this process's and the children's it
    ended)."""
    before, t0 = os.times(), time.perf_counter()
    value = call(*args, **kwargs)
    wall, after = time.perf_counter() - t0, os.times()
    return value, wall, sum(after[:4]) - sum(before[:4])


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def speed_up(scenario, reps: int = 8, rounds: int = 3) -> dict:
    """Serial vs all-cores time for `reps` replications, and the machine's own ceiling (independent
    processes), in `rounds` rounds of the three run back to back in a rotated order (a shared
    machine's other load moves single runs by ±20 %, and drifts): medians and ranges of each
    round's ratios, the CPU the pool spent against the serial run, and the load average (1 min)
    before each round."""
    run_scenario(scenario, replications=2, workers=1)  # warm-up (imports, scipy for the CIs)
    workers = default_workers()
    rows, same = [], True
    for i in range(rounds):
        load = os.getloadavg()[0]
        got: dict[str, tuple[float, float]] = {}
        outputs = {}
        for kind in ("serial", "pool", "ceiling")[i % 3 :] + ("serial", "pool", "ceiling")[: i % 3]:
            if kind == "ceiling":
                got[kind] = (machine_ceiling(scenario, reps, workers), 0.0)
                continue
            n = 1 if kind == "serial" else workers
            outputs[kind], *got[kind] = _timed(run_scenario, scenario, replications=reps, workers=n)
        same = same and json.dumps(outputs["serial"], sort_keys=True, default=str) == json.dumps(
            outputs["pool"], sort_keys=True, default=str
        )
        (t_serial, c_serial), (t_pool, c_pool) = got["serial"], got["pool"]
        rows.append(
            {
                "load": load,
                "speed_up": t_serial / t_pool,
                "ceiling": t_serial / got["ceiling"][0],
                "fraction": got["ceiling"][0] / t_pool,
                "cpu": c_pool / c_serial,
                "seconds": [t_serial, t_pool, got["ceiling"][0]],
            }
        )
    speed_ups = sorted(r["speed_up"] for r in rows)
    fractions = sorted(r["fraction"] for r in rows)
    return {
        "scenario": scenario.name,
        "engine": outputs["serial"]["engine"],
        "reps": reps,
        "workers": workers,
        "speed_up": _median(speed_ups),
        "speed_ups": speed_ups,
        "ceiling": _median([r["ceiling"] for r in rows]),
        "fraction_of_ceiling": _median(fractions),
        "fractions": fractions,
        "cpu_pool_vs_serial": _median([r["cpu"] for r in rows]),
        "loads": [r["load"] for r in rows],
        "rounds": rows,
        "identical": same,
    }


def table(r: dict) -> list[tuple[str, str, str]]:
    d, m = r["deadlines"], r["mmc"]
    rows = [
        ("deadlines/s, vectorized (2M random)", f"{d['slasim_per_s']:,.0f}", "—"),
        (
            "  vs holidays.get_nth_working_day",
            f"{d['slasim_per_s'] / d['holidays_per_s']:,.0f}×",
            f"agree {d['holidays_agree']}/{d['anchor_n']}",
        ),
        (
            "  vs numpy busday_offset",
            f"{d['slasim_per_s'] / d['numpy_per_s']:.1f}×",
            f"numpy wrong on {d['numpy_wrong'] / d['n']:.0%}",
        ),
        (
            f"M/M/{m['staff']} cases/s (clock + cards), FCFS queue path",
            f"{m['slasim_per_s']:,.0f}",
            "the default for plain FCFS desks",
        ),
        ("  vs raw SimPy (median of pairs)", f"{m['slasim_vs_simpy']:.2f}×", "target ≥ 0.7×"),
    ]
    if m.get("ciw_per_s"):
        rows.append(("  vs Ciw", f"{m['slasim_vs_ciw']:.2f}×", "target ≥ 2×"))
    rows.append(
        (
            f"M/M/{m['staff']} cases/s, engine: simpy",
            f"{m['slasim_simpy_engine_per_s']:,.0f}",
            f"{m['simpy_engine_vs_simpy']:.2f}× raw SimPy"
            + (f", {m['simpy_engine_vs_ciw']:.2f}× Ciw" if m.get("ciw_per_s") else ""),
        )
    )
    for c in r["city_year"]:
        rows.append(
            (
                f"4-step city-year, {c['cases']:,} cases, 1 core, {c['engine']}",
                f"{c['seconds']:.1f} s",
                f"peak {c['peak_mib']:.0f} MiB; {c['cases'] / c['seconds']:,.0f} cases/s",
            )
        )
    for e in r.get("engines", []):
        rows.append(
            (
                f"{e['scenario']} ({e['cases_measured']:,} cases), event engine vs engine: simpy",
                f"{e['speedup']:.2f}×",
                f"median of {e['pairs']} pairs ({e['speedup_range'][0]:.2f}–"
                f"{e['speedup_range'][1]:.2f}×); {e['seconds_engine']:.2f} s vs "
                f"{e['seconds_simpy']:.2f} s; equal results: {e['equal_results']}; target ≥ 5×",
            )
        )
    big = {c["target"]: c for c in r["city_year"] if c["engine"] == "fcfs"}
    if 1_000_000 in big and 100_000 in big:
        rows.append(
            (
                "  peak memory 1M / 100k",
                f"{big[1_000_000]['peak_mib'] / big[100_000]['peak_mib']:.2f}×",
                "target ≤ 1.2×; 1M target ≤ 60 s",
            )
        )
    rows += parallel_rows(r["parallel"])
    if r.get("staff"):
        s = r["staff"]
        rows.append(
            (
                f"slasim staff, district-centre, 3 departments x 5 levels ({', '.join(s['targets'])})",
                f"{100 * s['share_of_exhaustive']:.1f}% of exhaustive replications",
                f"{s['replications_used']} of {s['exhaustive_replications']}, "
                f"{s['candidates_evaluated']} of {s['grid_size']} candidates, {s['seconds']:.0f} s; "
                "target ≤ 25%",
            )
        )
    return rows


def parallel_rows(parallel: list[dict]) -> list[tuple[str, str, str]]:
    rows = []
    for p in parallel:
        rows.append(
            (
                f"parallel speed-up, {p['reps']} replications of {p['scenario']} ({p['engine']})",
                f"{p['speed_up']:.2f}× on {p['workers']} cores",
                f"median of {len(p['speed_ups'])} ({min(p['speed_ups']):.2f}–{max(p['speed_ups']):.2f}×); "
                f"independent processes here: {p['ceiling']:.2f}×"
                + (
                    f", the pool at {p['fraction_of_ceiling']:.2f} of them "
                    f"({min(p['fractions']):.2f}–{max(p['fractions']):.2f}), CPU "
                    f"{p['cpu_pool_vs_serial']:.2f}× serial, load "
                    f"{min(p['loads']):.1f}–{max(p['loads']):.1f}"
                    if "fractions" in p
                    else ""
                )
                + f"; identical results: {p['identical']}; target ≥ 1.8× on 2, ≥ 0.9 of the ceiling",
            )
        )
    return rows


def missed_targets(r: dict) -> list[str]:
    """Each target of the suite that this run missed, as a line saying by how much."""
    checks = [("M/M/c vs raw SimPy", r["mmc"]["slasim_vs_simpy"], ">=", 0.7, "×")]
    if r["mmc"].get("ciw_per_s"):
        checks.append(("M/M/c vs Ciw", r["mmc"]["slasim_vs_ciw"], ">=", 2.0, "×"))
    for c in r["city_year"]:
        if c["engine"] == "fcfs" and c["target"] == 1_000_000:
            checks.append(("city-year 1M cases", c["seconds"], "<=", 60.0, " s"))
    big = {c["target"]: c for c in r["city_year"] if c["engine"] == "fcfs"}
    if 1_000_000 in big and 100_000 in big:
        ratio = big[1_000_000]["peak_mib"] / big[100_000]["peak_mib"]
        checks.append(("city-year peak memory 1M / 100k", ratio, "<=", 1.2, "×"))
    for e in r.get("engines", []):
        checks.append((f"event engine vs SimPy, {e['scenario']}", e["speedup"], ">=", 5.0, "×"))
    for p in r["parallel"]:
        if p["workers"] == 2:
            checks.append((f"parallel speed-up, {p['scenario']}", p["speed_up"], ">=", 1.8, "×"))
            if "fraction_of_ceiling" in p:
                name = f"parallel share of the ceiling, {p['scenario']}"
                checks.append((name, p["fraction_of_ceiling"], ">=", 0.9, "×"))
    if r.get("staff"):
        share = 100 * r["staff"]["share_of_exhaustive"]
        checks.append(("staffing search, share of exhaustive", share, "<=", 25.0, " %"))
    out = []
    for name, value, sign, target, unit in checks:
        ok = value >= target if sign == ">=" else value <= target
        if not ok:
            out.append(f"{name}: {value:.2f}{unit}, target {sign} {target:g}{unit}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="city-year up to 100k cases only")
    parser.add_argument(
        "--write",
        action="store_true",
        help="update the tracked files (results.json, the table in README.md)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        metavar="ROUNDS",
        help="only the parallel speed-ups, in ROUNDS interleaved rounds (printed, nothing written)",
    )
    args = parser.parse_args()
    if args.parallel:
        parallel = [
            speed_up(load_scenario("district-centre"), reps=20, rounds=args.parallel),
            speed_up(city_year_scenario(100_000), rounds=args.parallel),
        ]
        for row in parallel_rows(parallel):
            print("  ".join(row))
        print(json.dumps(parallel, indent=1))
        return
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    results = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "deadlines": bench_deadlines.measure(),
        "mmc": bench_sim.measure(reps=20),
        "city_year": [{**city_year(n), "target": n} for n in sizes]
        + [{**city_year(100_000, "simpy"), "target": 100_000}],
        "engines": bench_engines.measure_all(pairs=3, quick=args.quick),
        "staff": bench_staff.measure(days=60, max_reps=20),
        "parallel": [
            speed_up(load_scenario("district-centre"), reps=20),
            speed_up(city_year_scenario(100_000)),
        ],
    }
    rows = table(results)
    width = max(len(r[0]) for r in rows)
    lines = ["| benchmark | result | notes |", "|---|---|---|"] + [
        f"| {a} | {b} | {c} |" for a, b, c in rows
    ]
    for a, b, c in rows:
        print(f"{a:{width}s}  {b:>22s}  {c}")
    results["missed_targets"] = missed_targets(results)
    for line in results["missed_targets"]:
        print(f"MISSED TARGET  {line}")
    if not results["missed_targets"]:
        print("every target met")
    if not args.write:
        print("tracked files unchanged (--write updates results.json and README.md)")
        return
    (HERE / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = (
        f"{START}\nLatest run: {results['date']}, {results['machine']}, Python {results['python']}.\n\n"
        + "\n".join(lines)
        + f"\n{END}"
    )
    readme.write_text(
        text[: text.index(START)] + block + text[text.index(END) + len(END) :], encoding="utf-8"
    )


if __name__ == "__main__":
    main()
