"""The What-if page's logic: the controls a scenario offers, the changes as one reform, the run.

The changes made with the controls (staff per desk, arrival volume, promised limits) become one
reform named `what-if` (the scenario's own `staff`, `arrivals` and `limits` operations), applied
after the reforms switched on; the baseline and that variant then run with common random numbers,
as `slasim compare SCENARIO --set reforms.what-if=[…] --reform …` runs them (`cli_args` gives that
command, and the result is the same JSON). The replications run in chunks (the first two of each
side, then the rest) so that the page shows the first numbers early; the result assembled at the
end is `sim.compare.compare`'s, byte for byte.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slasim.io.i18n import N_

if TYPE_CHECKING:
    from slasim.scenario.plan import Plan

WHAT_IF = "what-if"  # the reform the controls make (another name if the scenario has one)

# (metric, label, kind) shown side by side; the labels are translated where shown.
METRICS = (
    ("arrived", N_("arrived"), "count"),
    ("decided", N_("decided"), "count"),
    ("on_time_promised", N_("on time (promised limit)"), "share"),
    ("on_time_legal", N_("on time (legal limit)"), "share"),
    ("ever_yellow", N_("yellow card"), "share"),
    ("ever_red", N_("red card"), "share"),
    ("lead_time_wd_mean", N_("lead time, working days (mean)"), "number"),
    ("lead_time_wd_p50", N_("lead time, working days (p50)"), "number"),
    ("lead_time_wd_p90", N_("lead time, working days (p90)"), "number"),
    ("lead_time_wd_p95", N_("lead time, working days (p95)"), "number"),
    ("open_at_end", N_("open at the end"), "count"),
)
DESK_METRICS = (
    ("utilisation", N_("utilisation"), "share"),
    ("queue_mean", N_("queue (mean)"), "number"),
    ("queue_max", N_("queue (max)"), "count"),
    ("staff_mean", N_("staff"), "number"),
)
VERDICTS = (  # compare's verdict words, for the catalog
    N_("better"),
    N_("worse"),
    N_("up"),
    N_("down"),
    N_("no clear change"),
    N_("unchanged"),
    N_("negligible"),
    N_("n/a"),
)


@dataclass(frozen=True)
class Changes:
    """What the controls set: staff per department, a factor on every service's receipts, a
    promised limit per service, and the scenario's reforms switched on (in file order)."""

    staff: tuple[tuple[str, int], ...] = ()
    volume: float = 1.0
    promised: tuple[tuple[str, str], ...] = ()
    reforms: tuple[str, ...] = ()


def desks(data: dict) -> dict[str, int]:
    """Departments whose staff a control can set (a plain number, no weekly roster) → staff."""
    return {
        name: dept["staff"]
        for name, dept in (data.get("departments") or {}).items()
        if isinstance(dept, dict) and isinstance(dept.get("staff"), int) and not dept.get("roster")
    }


def promised_limits(data: dict) -> dict[str, str]:
    """Each service's promised limit as written (the legal one when only one is given)."""
    found = {}
    for name, service in (data.get("services") or {}).items():
        limits = service.get("limits") if isinstance(service, dict) else None
        if isinstance(limits, dict):
            limits = limits.get("promised", limits.get("legal"))
        if isinstance(limits, str):
            found[name] = limits
    return found


def reform_name(data: dict) -> str:
    """`what-if`, or `what-if-2` … when the scenario already has a reform of that name."""
    names, k, name = set(data.get("reforms") or {}), 1, WHAT_IF
    while name in names:
        k += 1
        name = f"{WHAT_IF}-{k}"
    return name


def operations(data: dict, changes: Changes) -> list[dict]:
    """The reform operations that make the changes (none for a control left as it is)."""
    staff, limits = desks(data), promised_limits(data)
    ops: list[dict] = [
        {"staff": {"department": name, "staff": int(n)}}
        for name, n in changes.staff
        if staff.get(name) != n
    ]
    if changes.volume != 1:
        ops.append({"arrivals": {"scale": float(changes.volume)}})
    ops += [
        {"limits": {"service": name, "promised": text}}
        for name, text in changes.promised
        if limits.get(name) != text
    ]
    return ops


def variant(data: dict, changes: Changes) -> list[str]:
    """The reforms applied, in order: those switched on, then the what-if reform if any."""
    names = list(changes.reforms)
    return names + [reform_name(data)] if operations(data, changes) else names


def with_what_if(data: dict, changes: Changes) -> dict:
    """The scenario data with the what-if reform added to its reforms (the input to download)."""
    ops = operations(data, changes)
    if not ops:
        return data
    out = copy.deepcopy(data)
    out["reforms"] = {**(out.get("reforms") or {}), reform_name(data): ops}
    return out


def inputs_yaml(data: dict, changes: Changes) -> str:
    """The scenario with the what-if reform, as the YAML file the page offers to download
    (`slasim compare FILE --reform …` runs it)."""
    import yaml

    return yaml.safe_dump(with_what_if(data, changes), allow_unicode=True, sort_keys=False)


def flow(value) -> str:
    """A value as one line of YAML flow text (what `--set` reads)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False).strip()


def cli_args(name: str, data: dict, changes: Changes, reps: int, seed: int) -> list[str]:
    """`slasim compare …` with the same inputs, as arguments (the page shows it quoted)."""
    args = ["slasim", "compare", name]
    ops = operations(data, changes)
    if ops:
        if data.get("reforms"):
            args += ["--set", f"reforms.{reform_name(data)}={flow(ops)}"]
        else:
            args += ["--set", f"reforms={flow({reform_name(data): ops})}"]
    args += ["--reform", "+".join(variant(data, changes))]
    return args + ["--reps", str(reps), "--seed", str(seed), "--json"]


FIRST_CHUNK = 2  # replications of each side before the first numbers (the fewest with an interval)


@dataclass(frozen=True)
class Prepared:
    """The baseline's and the what-if's plans, compiled once for the warnings and the run, and
    the what-if's label in `compare`'s result (the reforms applied, joined by `+`)."""

    label: str
    base: Plan
    other: Plan


def prepare(data: dict, source: str, changes: Changes) -> Prepared:
    """The two plans `compare` would compile (a scenario or reform error is its located line)."""
    from slasim.io.errors import SlasimError
    from slasim.scenario.plan import compile_plan
    from slasim.scenario.reforms import scenario_with_reforms

    names = variant(data, changes)
    if not names:
        raise SlasimError("nothing to compare: change a control or switch a reform on")
    full = with_what_if(data, changes)
    base = compile_plan(scenario_with_reforms(full, [], source), source)
    other = compile_plan(scenario_with_reforms(full, names, source), source)
    return Prepared("+".join(names), base, other)


def chunks(reps: int) -> list[tuple[int, int]]:
    """The replications run together, as (first, end): the first FIRST_CHUNK, then the rest."""
    first = min(FIRST_CHUNK, reps)
    return [(0, first)] + ([(first, reps)] if reps > first else [])


def compared(prepared: Prepared, base_runs: list[dict], runs: list[dict], seed: int) -> dict:
    """`sim.compare.compare`'s result from the replications run so far (the same keys, the same
    order, the same numbers as `compare` with `len(base_runs)` replications)."""
    from slasim.sim.compare import comparison

    return comparison(prepared.base, seed, base_runs, [(prepared.label, prepared.other, runs)])


def run_what_if(
    data: dict,
    source: str,
    changes: Changes,
    reps: int,
    seed: int,
    progress=None,
    interim=None,
    prepared: Prepared | None = None,
) -> dict:
    """The baseline and the what-if with common random numbers: `slasim compare`'s result, byte
    for byte. Replication r of either side draws from the seed's children keyed by r alone, so
    the replications can run in chunks: the first FIRST_CHUNK of both sides in this process
    (fewer than a pool pays for), then `interim(result so far)` — `compare` with that many
    replications — and the rest on as many processes as `compare` takes by default.
    `progress(done)` counts the replications of both sides."""
    from slasim.sim.parallel import default_workers
    from slasim.sim.runner import replicate
    from slasim.sim.workload import MAX_CASES, check_workload, choose_workers

    prepared = prepared or prepare(data, source, changes)
    base, other = prepared.base, prepared.other
    check_workload([(base, reps), (other, reps)], MAX_CASES)
    done = 0

    def tick(_number: int) -> None:  # one more replication, whichever side and process ran it
        nonlocal done
        done += 1
        if progress is not None:
            progress(done)

    base_runs: list[dict] = []
    runs: list[dict] = []
    for first, end in chunks(reps):
        workers = 1 if first == 0 else choose_workers([(base, end - first)], default_workers())
        base_runs += replicate(base, end, seed, tick, workers=workers, first=first)
        runs += replicate(other, end, seed, tick, workers=workers, first=first)
        if end < reps and interim is not None:
            interim(compared(prepared, base_runs, runs, seed))
    return compared(prepared, base_runs, runs, seed)


def applied_yaml(data: dict, changes: Changes, source: str) -> str:
    """The what-if as a plain scenario (the reforms switched on and the what-if applied, no
    `reforms:` left), for `slasim run FILE --reps 1 --out DIR`, whose timeline is the page's."""
    import yaml

    from slasim.scenario.reforms import apply_reforms

    applied = apply_reforms(with_what_if(data, changes), variant(data, changes), source)
    return yaml.safe_dump(applied, allow_unicode=True, sort_keys=False)


def open_by_day(data: dict, source: str, changes: Changes, seed: int) -> dict[str, list]:
    """Replication 0's day by day (open cases, queues, open cases by card) for the baseline and
    the what-if: the `timeline` that `slasim run … --reps 1 --seed SEED --out DIR` writes in
    summary.json (replication 0 runs in SimPy, which keeps it)."""
    from slasim.scenario.reforms import scenario_with_reforms
    from slasim.sim.runner import run_scenario
    from slasim.sim.workload import MAX_CASES

    full = with_what_if(data, changes)
    return {
        side: run_scenario(
            scenario_with_reforms(full, names, source),
            source=source,
            replications=1,
            seed=seed,
            timeline=True,
            max_cases=MAX_CASES,
        )["timeline"]
        for side, names in (("baseline", []), ("what_if", variant(data, changes)))
    }


def load_warnings(prepared: Prepared) -> list[str]:
    """What `slasim compare` warns about before running: the baseline's period (staff changes
    outside it, receipts taken whole on open rest days), departments that cannot keep up (in the
    baseline, then new ones in the what-if), and a period past the calendar's published years."""
    from slasim.io.i18n import Text
    from slasim.staffing.load import overloaded

    base, other = prepared.base, prepared.other
    lines = [*base.period_warnings(), *overloaded(base)]
    lines += [Text("what-if: {line}", line=line) for line in overloaded(other) if line not in lines]
    if base.provisional or other.provisional:
        lines.append(Text("the period passes the years the calendar has published: provisional"))
    return lines


def side_by_side(result: dict) -> list[dict]:
    """Rows of the comparison: per service (and all services) and metric, the baseline's and the
    what-if's figures (mean and 95% CI) and the paired change with its CI and verdict."""
    from slasim.outputs.results import compared

    ((_, reform),) = result["reforms"].items()
    return [
        {
            "service": scope,
            "metric": label,
            "kind": kind,
            "baseline": before,
            "what_if": after,
            "change": change,
        }
        for scope, label, kind, before, after, change in compared(
            result["baseline"], reform, METRICS, ""
        )
    ]


def desk_rows(result: dict) -> list[dict]:
    """Rows per department: utilisation, queue and staff, baseline and what-if, paired change."""
    base = result["baseline"]["departments"]
    ((_, reform),) = result["reforms"].items()
    after, change = reform["summary"]["departments"], reform["change"].get("departments", {})
    return [
        {
            "department": name,
            "metric": label,
            "kind": kind,
            "baseline": base[name].get(metric),
            "what_if": after.get(name, {}).get(metric),
            "change": change.get(name, {}).get(metric),
        }
        for name in base
        for metric, label, kind in DESK_METRICS
    ]


RUN_IMPORTS = ("scipy.special", "slasim.staffing.load")  # SciPy's t quantile: ~0.5 s


def warm_up(*names: str) -> threading.Thread:
    """Import the modules `names` (in that order: each one's dependencies first) in a thread of
    its own, while the page is drawn and the planner sets the controls, rather than on the first
    Run before its first numbers. A Run pressed sooner waits for an import begun here, as it
    would have made it; an import that fails here is made again where it is needed."""

    def load() -> None:
        from importlib import import_module

        for name in names:
            try:
                import_module(name)
            except Exception:  # made again, and reported, where it is needed
                continue

    thread = threading.Thread(target=load, name="slasim-warm-up", daemon=True)
    thread.start()
    return thread


class Kept:
    """The last `size` results by their inputs (the page's (scenario, changes, seed) cache),
    shared by every session of the server."""

    def __init__(self, size: int = 64):
        self.size, self.results, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str, compute):
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
                return self.results[key]
        value = compute()
        with self.lock:
            self.results[key] = value
            while len(self.results) > self.size:
                self.results.popitem(last=False)
        return value


RESULTS = Kept()
