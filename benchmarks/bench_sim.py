"""`slasim run` on the M/M/c validation scenario against a minimal raw-SimPy M/M/c loop, same process.

Both simulate the same queue (same arrival rate, work times, staff, simulated span); slasim also
tracks the legal clock and cards of every case. Prints cases/s for both and their ratio.
Run: python benchmarks/bench_sim.py [--reps 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import simpy

from slasim.model import compile_plan
from slasim.runner import replication_metrics
from slasim.scenario import load_scenario


def raw_simpy(lam: float, mean_work: float, staff: int, horizon: float, seed: int) -> int:
    """A minimal M/M/c in raw SimPy (per-customer process, numpy draws). Returns customers served."""
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=staff)
    rng = np.random.default_rng(seed)
    served = 0

    def customer():
        nonlocal served
        with desk.request() as req:
            yield req
            yield env.timeout(rng.exponential(mean_work))
        served += 1

    def source():
        while True:
            yield env.timeout(rng.exponential(1.0 / lam))
            env.process(customer())

    env.process(source())
    env.run(until=horizon)
    return served


def ciw_mmc(lam: float, mean_work: float, staff: int, horizon: float, seed: int) -> int:
    """The same M/M/c in Ciw (optional benchmark dependency). Returns customers served."""
    import ciw

    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=lam)],
                                 service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_work)],
                                 number_of_servers=[staff])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    return len(sim.get_all_records())


def measure(reps: int = 20, scenario_path: str = "scenarios/mmc-always.yaml", with_ciw: bool = True) -> dict:
    """Per-replication cases/s of slasim and raw SimPy (interleaved pairs), and Ciw if installed."""
    args = argparse.Namespace(reps=reps, scenario=scenario_path)
    scenario = load_scenario(args.scenario)
    plan = compile_plan(scenario)
    service = scenario.services["request"]
    lam = service.arrivals.per_day / 1440.0                  # `always`: a working day is 1440 minutes
    mean_work = service.steps[0].work.mean
    staff = scenario.departments["desk"].staff
    horizon = plan.end - plan.start

    replication_metrics(plan, 0, 99)   # warm-up: imports, calendar tables
    # Interleaved, one replication of each at a time, so both see the same machine state
    # (shared machines are noisy).
    try:
        import ciw  # noqa: F401
    except ImportError:
        with_ciw = False
    ours, raw, other = [], [], []
    for r in range(args.reps):
        if with_ciw and r < 6:   # Ciw is slower: a few interleaved replications are enough
            t0 = time.perf_counter()
            served = ciw_mmc(lam, mean_work, staff, horizon, r)
            other.append((served, time.perf_counter() - t0))
        t0 = time.perf_counter()
        metrics = replication_metrics(plan, r, scenario.seed)
        elapsed = time.perf_counter() - t0
        received = metrics["overall"]["arrived"] * horizon / (plan.end - plan.warmup_end)  # incl. warm-up
        ours.append((received, elapsed))
        t0 = time.perf_counter()
        served = raw_simpy(lam, mean_work, staff, horizon, r)
        raw.append((served, time.perf_counter() - t0))
    rate_ours = statistics.median(n / t for n, t in ours)
    rate_raw = statistics.median(n / t for n, t in raw)
    # Each pair ran back to back: the median of the pairwise ratios is the steadiest figure.
    paired = statistics.median((a / ta) / (b / tb) for (a, ta), (b, tb) in zip(ours, raw))
    out = {"staff": staff, "rho": lam * mean_work / staff, "reps": args.reps, "days": horizon / 1440,
           "slasim_per_s": rate_ours, "simpy_per_s": rate_raw, "slasim_vs_simpy": paired,
           "cases_per_rep": statistics.mean(n for n, _ in ours)}
    out["ciw_per_s"] = statistics.median(n / t for n, t in other) if other else None
    if other:
        out["slasim_vs_ciw"] = statistics.median((a / ta) / (b / tb) for (a, ta), (b, tb) in zip(ours, other))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--scenario", default="scenarios/mmc-always.yaml")
    args = parser.parse_args()
    r = measure(args.reps, args.scenario)
    staff, rho, horizon_days = r["staff"], r["rho"], r["days"]
    rate_ours, rate_raw, paired = r["slasim_per_s"], r["simpy_per_s"], r["slasim_vs_simpy"]
    print(f"M/M/{staff}, rho = {rho:.2f}, {args.reps} replications of {horizon_days:.0f} days each")
    print(f"{'engine':38s} {'median cases/s':>15s}")
    print(f"{'slasim replication (clock + cards)':38s} {rate_ours:15,.0f}")
    print(f"{'raw SimPy M/M/c loop':38s} {rate_raw:15,.0f}")
    if r.get("ciw_per_s"):
        print(f"{'Ciw':38s} {r['ciw_per_s']:15,.0f}")
        print(f"slasim / Ciw throughput: {r['slasim_vs_ciw']:.2f}x (target >= 2x)")
    print(f"slasim / raw SimPy throughput: {paired:.2f}x, median of {args.reps} back-to-back pairs (target >= 0.7x)")


if __name__ == "__main__":
    main()
