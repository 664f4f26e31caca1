"""`slasim run` on the M/M/c validation scenario against a minimal raw-SimPy M/M/c loop and Ciw, same process.

All simulate the same queue (same arrival rate, work times, staff, simulated span); slasim also
tracks the legal clock and cards of every case. slasim is measured twice: as it runs by default (a
plain FCFS desk: the queue path, `fcfs`) and forced onto its SimPy engine (`engine: simpy`, what
scenarios with supplement loops or shared desks run on). Prints cases/s and ratios.

A second part puts the queue path on M/M/5 at ρ 0.85 (the same scenario with 5 staff and 102
receipts a day, 200 days) beside two heapq floors, the same queue in plain Python with no clock or
cards: a heap of the desks' free instants with each draw taken as it comes (`heapq_desks_mmc`, the
floor issue 28 measures against; target ≥ 0.5×), and a minimal event loop, one heap of receipts and
departures, numpy draws in one block (`heapq_mmc`). The ratios say what the legal clock, cards and
tallies cost on top of the queue.
Run: python benchmarks/bench_sim.py [--reps 20]
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
import time
from collections import deque

import numpy as np
import simpy

from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.sim.runner import replication_metrics


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


def heapq_mmc(lam: float, mean_work: float, staff: int, horizon: float, seed: int) -> int:
    """The same M/M/c as a minimal event loop in plain Python: receipts and work drawn in one numpy
    block, one heap of (instant, sequence, event) for receipts and departures, a FIFO queue of
    waiting customers. Returns customers received."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / lam, int(lam * horizon * 1.2) + 100)
    arrivals = np.cumsum(gaps)
    arrivals = arrivals[arrivals < horizon].tolist()
    work = rng.exponential(mean_work, len(arrivals)).tolist()
    events = [(arrivals[0], 0, 0)]  # event >= 0: that customer arrives; -1: a departure
    waiting: deque = deque()
    busy, sequence, n = 0, 1, len(arrivals)
    while events:
        now, _, who = heapq.heappop(events)
        if who >= 0:
            if who + 1 < n:
                heapq.heappush(events, (arrivals[who + 1], sequence, who + 1))
                sequence += 1
            if busy < staff:
                busy += 1
                heapq.heappush(events, (now + work[who], sequence, -1))
                sequence += 1
            else:
                waiting.append(who)
        elif waiting:
            heapq.heappush(events, (now + work[waiting.popleft()], sequence, -1))
            sequence += 1
        else:
            busy -= 1
    return n


def heapq_desks_mmc(lam: float, mean_work: float, staff: int, horizon: float, seed: int) -> int:
    """The tightest floor: each customer's receipt gap and work drawn as it comes (`random`), served
    FCFS by the desk free first (a heap of the desks' free instants, the Kiefer-Wolfowitz
    recursion), no event list. Returns customers received."""
    draw = random.Random(seed).expovariate
    free = [0.0] * staff
    at, n, rate, work_rate = 0.0, 0, lam, 1.0 / mean_work
    while True:
        at += draw(rate)
        if at >= horizon:
            return n
        first = free[0]
        heapq.heapreplace(free, (at if at > first else first) + draw(work_rate))
        n += 1


def mm5_floor(reps: int = 20, scenario_path: str = "scenarios/mmc-always.yaml") -> dict:
    """M/M/5 at rho 0.85 on the queue path against `heapq_desks_mmc` and `heapq_mmc`: cases/s
    and the medians of back-to-back ratios (interleaved replications)."""
    overrides = [
        "departments.desk.staff=5",
        "services.request.arrivals.per_day=102",
        "working_days=200",
    ]
    scenario = load_scenario(scenario_path, overrides)
    plan = compile_plan(scenario)
    service = scenario.services["request"]
    lam = service.arrivals.per_day / 1440.0
    mean_work = service.steps[0].work.mean
    horizon = plan.end - plan.start
    replication_metrics(plan, 0, 99)
    ours, floor, desks = [], [], []

    def timed(run) -> tuple[float, float]:
        t0 = time.perf_counter()
        count = run()
        return count, time.perf_counter() - t0

    def received(metrics: dict) -> float:  # incl. warm-up
        return metrics["overall"]["arrived"] * horizon / (plan.end - plan.warmup_end)

    for r in range(reps):  # one of each at a time, so all see the same machine
        ours.append(timed(lambda r=r: received(replication_metrics(plan, r, scenario.seed))))
        floor.append(timed(lambda r=r: heapq_mmc(lam, mean_work, 5, horizon, r)))
        desks.append(timed(lambda r=r: heapq_desks_mmc(lam, mean_work, 5, horizon, r)))

    def paired(a: list, b: list) -> float:
        return statistics.median((x / tx) / (y / ty) for (x, tx), (y, ty) in zip(a, b))

    return {
        "rho": lam * mean_work / 5,
        "slasim_per_s": statistics.median(n / t for n, t in ours),
        "heapq_per_s": statistics.median(n / t for n, t in floor),
        "heapq_desks_per_s": statistics.median(n / t for n, t in desks),
        "slasim_vs_heapq": paired(ours, floor),
        "slasim_vs_heapq_desks": paired(ours, desks),
        "reps": reps,
    }


def ciw_mmc(lam: float, mean_work: float, staff: int, horizon: float, seed: int) -> int:
    """The same M/M/c in Ciw (optional benchmark dependency). Returns customers served."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_work)],
        number_of_servers=[staff],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    return len(sim.get_all_records())


def measure(
    reps: int = 20, scenario_path: str = "scenarios/mmc-always.yaml", with_ciw: bool = True
) -> dict:
    """Per-replication cases/s of slasim and raw SimPy (interleaved pairs), and Ciw if installed."""
    args = argparse.Namespace(reps=reps, scenario=scenario_path)
    scenario = load_scenario(args.scenario)
    plan = compile_plan(scenario)
    service = scenario.services["request"]
    lam = service.arrivals.per_day / 1440.0  # `always`: a working day is 1440 minutes
    mean_work = service.steps[0].work.mean
    staff = scenario.departments["desk"].staff
    horizon = plan.end - plan.start

    simpy_plan = compile_plan(scenario.model_copy(update={"engine": "simpy"}))
    for warm in (plan, simpy_plan):  # warm-up: imports, calendar tables
        replication_metrics(warm, 0, 99)
    # Interleaved, one replication of each at a time, so all see the same machine state
    # (shared machines are noisy).
    try:
        import ciw  # noqa: F401
    except ImportError:
        with_ciw = False
    ours, ours_simpy, raw, other = [], [], [], []

    def timed(run) -> tuple[float, float]:
        t0 = time.perf_counter()
        count = run()
        return count, time.perf_counter() - t0

    def received(metrics: dict) -> float:  # incl. warm-up
        return metrics["overall"]["arrived"] * horizon / (plan.end - plan.warmup_end)

    for r in range(args.reps):
        if with_ciw and r < 6:  # Ciw is slower: a few interleaved replications are enough
            other.append(timed(lambda r=r: ciw_mmc(lam, mean_work, staff, horizon, r)))
        ours.append(timed(lambda r=r: received(replication_metrics(plan, r, scenario.seed))))
        ours_simpy.append(
            timed(lambda r=r: received(replication_metrics(simpy_plan, r, scenario.seed)))
        )
        raw.append(timed(lambda r=r: raw_simpy(lam, mean_work, staff, horizon, r)))

    def rate(pairs: list) -> float:
        return statistics.median(n / t for n, t in pairs)

    def paired(a: list, b: list) -> float:
        # Each pair ran back to back: the median of the pairwise ratios is the steadiest figure.
        return statistics.median((x / tx) / (y / ty) for (x, tx), (y, ty) in zip(a, b))

    out = {
        "staff": staff,
        "rho": lam * mean_work / staff,
        "reps": args.reps,
        "days": horizon / 1440,
        "slasim_per_s": rate(ours),
        "slasim_simpy_engine_per_s": rate(ours_simpy),
        "simpy_per_s": rate(raw),
        "slasim_vs_simpy": paired(ours, raw),
        "simpy_engine_vs_simpy": paired(ours_simpy, raw),
        "cases_per_rep": statistics.mean(n for n, _ in ours),
        "ciw_per_s": rate(other) if other else None,
    }
    if other:
        out["slasim_vs_ciw"] = paired(ours, other)
        out["simpy_engine_vs_ciw"] = paired(ours_simpy, other)
    out["mm5"] = mm5_floor(args.reps, args.scenario)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--scenario", default="scenarios/mmc-always.yaml")
    args = parser.parse_args()
    r = measure(args.reps, args.scenario)
    print(
        f"M/M/{r['staff']}, rho = {r['rho']:.2f}, {args.reps} replications of {r['days']:.0f} days each"
    )
    print(f"{'engine':44s} {'median cases/s':>15s}")
    print(f"{'slasim, default (FCFS queue path)':44s} {r['slasim_per_s']:15,.0f}")
    print(f"{'slasim, engine: simpy':44s} {r['slasim_simpy_engine_per_s']:15,.0f}")
    print(f"{'raw SimPy M/M/c loop':44s} {r['simpy_per_s']:15,.0f}")
    if r.get("ciw_per_s"):
        print(f"{'Ciw':44s} {r['ciw_per_s']:15,.0f}")
        print(
            f"slasim / Ciw: {r['slasim_vs_ciw']:.2f}x (target >= 2x); "
            f"SimPy engine / Ciw: {r['simpy_engine_vs_ciw']:.2f}x"
        )
    print(
        f"slasim / raw SimPy: {r['slasim_vs_simpy']:.2f}x (target >= 0.7x); SimPy engine / raw SimPy: "
        f"{r['simpy_engine_vs_simpy']:.2f}x (medians of back-to-back pairs)"
    )
    m = r["mm5"]
    print(
        f"M/M/5, rho = {m['rho']:.2f}: queue path {m['slasim_per_s']:,.0f} cases/s; heap of free "
        f"desks {m['heapq_desks_per_s']:,.0f} cases/s: {m['slasim_vs_heapq_desks']:.2f}x (target "
        f">= 0.5x); heapq event loop {m['heapq_per_s']:,.0f} cases/s: {m['slasim_vs_heapq']:.2f}x"
    )


if __name__ == "__main__":
    main()
