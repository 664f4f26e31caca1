"""`slasim fidelity`: how closely a scenario reproduces a real log, on the field's protocol
(`first-n`) or slasim's measured window (`window`), with the naive baselines beside every figure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import (
    before_simulating,
    claim_outputs,
    executor,
    input_path,
    progress_bar,
)
from slasim.cli.options import (
    MAX_CASES,
    ActivityColumn,
    CaseColumn,
    EndColumn,
    MaxCases,
    Overrides,
    Quiet,
    ResourceColumn,
    Scheduler,
    Seed,
    StartColumn,
    Strict,
    Workers,
    json_flag,
    out_option,
    reps_option,
    scenario_argument,
)
from slasim.io.errors import SlasimError

commands = typer.Typer()


@commands.command()
def fidelity(
    scenario: scenario_argument("Scenario (e.g. from slasim fit)."),
    log: Annotated[
        Path,
        typer.Argument(
            help="The centre's case log (CSV or CSV.gz; with --test-log: the training log)."
        ),
    ],
    test_log: Annotated[
        Path | None,
        typer.Option("--test-log", help="A separate test log to score against (the field's way)."),
    ] = None,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="first-n: N cases from the test log's first start, run to completion (the "
            "field's); window: the cases of the scenario's measured window.",
        ),
    ] = "first-n",
    reps: reps_option(minimum=2, help="Replications (default: the file's).") = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    case: CaseColumn = None,
    activity: ActivityColumn = None,
    start: StartColumn = None,
    end: EndColumn = None,
    resource: ResourceColumn = None,
    overrides: Overrides = None,
    strict: Strict = False,
    quiet: Quiet = False,
    sim_logs: Annotated[
        Path | None,
        typer.Option("--sim-logs", help="Write each replication's simulated log here (CSV)."),
    ] = None,
    as_json: json_flag("Print the comparison as JSON.") = False,
    out: out_option("Write fidelity.json here (then: slasim report DIR).") = None,
):
    """How closely a scenario reproduces a real log: the field's distances and slasim's own, the
    model beside replaying history, a bootstrap and the real-halves floor, with a verdict each."""
    if protocol not in ("first-n", "window"):
        raise SlasimError(f"unknown protocol {protocol!r} (first-n or window)", field="--protocol")
    from slasim.fit.build import slug
    from slasim.io.files import OutputSet
    from slasim.outputs.fidelity import fidelity_report
    from slasim.outputs.results import to_json
    from slasim.scenario.loader import check_scenario, load_scenario_data

    data, source = load_scenario_data(scenario, overrides or [])
    plan = check_scenario(data, source)
    before_simulating([plan], source, strict, quiet, load=False)
    loaded = plan.scenario
    reps = reps or max(loaded.replications, 2)
    claim_outputs(  # before any simulation: the simulated logs' names need the replications
        [input_path(scenario), log, test_log],
        folders=[(out, ["fidelity.json"]), (sim_logs, [f"sim_{k}.csv" for k in range(reps)])],
    )
    seed = loaded.seed if seed is None else seed
    run_on = executor(workers, scheduler)
    columns = {
        "case_id": case,
        "activity": activity,
        "resource": resource,
        "start_time": start,
        "end_time": end,
    }
    with progress_bar(reps, "replications", quiet) as advance:
        if protocol == "first-n":
            result, logs, tz = _first_n(
                plan, source, log, test_log, columns, reps, seed, max_cases, run_on, advance, slug
            )
        else:
            result, logs, tz = _window(
                plan, log, test_log, columns, reps, seed, max_cases, run_on, advance, slug
            )
    # the simulated logs and fidelity.json appear together or not at all
    with OutputSet("fidelity", folders=[out, sim_logs]) as outputs:
        if sim_logs is not None:
            from slasim.evaluation.simulate import write_csv

            sim_logs.mkdir(parents=True, exist_ok=True)
            for k, events in enumerate(logs):
                write_csv(events, outputs.stage(sim_logs / f"sim_{k}.csv"), tz)
            result["sim_logs"] = str(sim_logs)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            outputs.write(out / "fidelity.json", to_json(result))
    typer.echo(to_json(result) if as_json else fidelity_report(result))


def _names(plan, frames, slug) -> dict[str, str]:
    """Step name → the log's activity, for the scenario's steps that are activities of the logs; a
    model none of whose steps the test log knows is refused (one located line)."""
    activities = set()
    for f in frames:
        activities |= set(f["activity"].unique())
    names = {slug(a): a for a in sorted(activities)}
    steps = {st.name for st in plan.steps}
    return {s: names[s] for s in steps if s in names}


def _read(path: Path, columns: dict, cal, fallback: bool = False):
    """A log as the field reads it (pandas, UTC); a log it cannot read that way (lifecycle rows, no
    start times, XES) through `slasim fit`'s reader, its wall clock taken as UTC."""
    from slasim.evaluation.frame import frame_of_events, read_frame
    from slasim.fit.log import read_log

    if not fallback and path.suffix.lower() != ".xes":
        try:
            return read_frame(path, columns)
        except SlasimError as err:
            if err.field != "start_time":
                raise
    events = read_log(
        path,
        cal,
        case=columns["case_id"],
        activity=columns["activity"],
        start=columns["start_time"],
        end=columns["end_time"],
        resource=columns["resource"],
    )
    return frame_of_events(events)


def _first_n(plan, source, log, test_log, columns, reps, seed, max_cases, run_on, advance, slug):
    from slasim.evaluation.fidelity import first_n
    from slasim.evaluation.frame import Frame
    from slasim.evaluation.protocol import published_split, split_at

    whole = _read(log, columns, plan.calendar)
    if test_log is not None:
        test = _read(test_log, columns, plan.calendar)
        if test.aware != whole.aware:  # both read the same way, as the simulated side will be
            whole = _read(log, columns, plan.calendar, fallback=True)
            test = _read(test_log, columns, plan.calendar, fallback=True)
        train = whole.events
        split = "separate test log"
    else:
        provenance = plan.scenario.provenance
        fitted_here = provenance is not None and provenance.log == log.name
        if provenance is not None and not fitted_here:  # fitted elsewhere: LOG is the test log
            train, held = None, whole.events
            split = f"a log the fit never saw; it fitted {provenance.log}"
        elif fitted_here and provenance.split is not None:
            import pandas as pd

            instant = pd.Timestamp(provenance.split)
            instant = (
                instant.tz_localize(plan.calendar.tz).tz_convert("UTC")
                if whole.aware
                else instant.tz_localize("UTC")
            )
            train, held = split_at(whole.events, instant)
            split = f"the fit's split at {provenance.split}"
        elif fitted_here:
            raise SlasimError(
                "every case of this log was fitted: give a separate --test-log", source=str(log)
            )
        else:
            train, held = published_split(whole.events)
            split = "the field's split (first 80 % of events by end)"
        test = Frame(held, whole.aware, whole.source)
    if test.cases < 2:
        raise SlasimError(
            "fewer than two test cases (give --test-log, or fit on part of the log)",
            source=test.source,
        )
    if test.cases * reps > max_cases:
        raise SlasimError(
            f"{test.cases:,} cases × {reps} replications: over the bound of {max_cases:,}; "
            f"give --max-cases {test.cases * reps} to run it anyway",
            field="--max-cases",
        )
    names = _names(plan, [test.events] + ([] if train is None else [train]), slug)
    if not set(names.values()) & set(test.events["activity"].unique()):
        raise SlasimError(
            "no step of the scenario is an activity of the test log (steps: "
            f"{', '.join(sorted(st.name for st in plan.steps))})",
            source=test.source,
            field="activity",
        )
    try:
        result = first_n(
            plan.scenario,
            test,
            train,
            names=names,
            replications=reps,
            seed=seed,
            source=source,
            progress=advance,
            keep_logs=True,
            **run_on,
        )
    except SlasimError as err:
        if err.field == "start" or "calendar" in err.message:
            raise SlasimError(
                f"the test log's cases fall outside the scenario's calendar ({err.message})",
                source=test.source,
            ) from None
        raise
    result["log"] = str(log)
    result["settings"]["split"] = split
    logs = result.pop("_logs")
    return result, logs, plan.calendar.tz if test.aware else None


def _window(plan, log, test_log, columns, reps, seed, max_cases, run_on, advance, slug):
    import pandas as pd

    from slasim.evaluation.window import window_fidelity
    from slasim.fit.log import read_log
    from slasim.sim.workload import check_workload

    check_workload([(plan, reps)], max_cases, simpy_first=True)
    events = read_log(
        test_log or log,
        plan.calendar,
        case=columns["case_id"],
        activity=columns["activity"],
        start=columns["start_time"],
        end=columns["end_time"],
        resource=columns["resource"],
    )
    names = _names(plan, [pd.DataFrame({"activity": events.activity})], slug)
    result = window_fidelity(
        plan, events, names=names, replications=reps, seed=seed, progress=advance, **run_on
    )
    return result, [], None
