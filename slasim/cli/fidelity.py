"""`slasim fidelity`: how closely a scenario reproduces a real log, on the field's protocol
(`first-n`) or slasim's measured window (`window`), with the naive baselines beside every figure."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import (
    before_simulating,
    claim_outputs,
    executor,
    input_path,
    progress_bar,
    warn,
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
from slasim.io.logfile import MAX_LOG_MB

commands = typer.Typer()


class Protocol(StrEnum):
    """The protocols `--protocol` offers (`slasim.evaluation.protocol.PROTOCOLS`)."""

    first_n = "first-n"
    window = "window"


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
        Protocol,
        typer.Option(
            "--protocol",
            help="first-n: N cases from the test log's first start, run to completion (the "
            "field's); window: the cases of the scenario's measured window.",
        ),
    ] = Protocol.first_n,
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
    max_log_mb: Annotated[
        float,
        typer.Option(
            "--max-log-mb", min=1, help="The largest log to read into memory, in MB (decompressed)."
        ),
    ] = MAX_LOG_MB,
):
    """How closely a scenario reproduces a real log: the field's distances and slasim's own, the
    model beside replaying history, a bootstrap and the real-halves floor, with a verdict each."""
    protocol = Protocol(protocol).value
    if protocol == "window" and sim_logs is not None:
        raise SlasimError(
            "the window view keeps no simulated log: --sim-logs is for --protocol first-n",
            field="--sim-logs",
        )
    from slasim.fit.build import slug
    from slasim.io.files import OutputSet
    from slasim.outputs.fidelity import fidelity_report
    from slasim.outputs.results import to_json
    from slasim.scenario.loader import check_scenario, load_scenario_data

    data, source = load_scenario_data(scenario, overrides or [])
    plan = check_scenario(data, source)
    before_simulating([plan], source, strict, quiet)
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
                plan,
                source,
                log,
                test_log,
                columns,
                reps,
                seed,
                max_cases,
                run_on,
                advance,
                slug,
                max_log_mb,
            )
        else:
            result, logs, tz = _window(
                plan,
                log,
                test_log,
                columns,
                reps,
                seed,
                max_cases,
                run_on,
                advance,
                slug,
                max_log_mb,
            )
    if not quiet:
        warn(result.get("warnings", []))
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


def _model_activities(plan, names: dict[str, str]) -> set[str]:
    """The activities the model produces: its steps that are activities of the logs, and its
    desk-work steps no log names (by their own names)."""
    return set(names.values()) | {
        st.name for st in plan.steps if st.department is not None and st.name not in names
    }


def _with_vocabulary(result: dict, vocabulary: dict) -> None:
    """The vocabulary check's findings into the result: the JSON block and, when the two sides'
    activities differ, a warning."""
    from slasim.evaluation.vocabulary import warning

    result["vocabulary"] = vocabulary
    line = warning(vocabulary)
    if line:
        result.setdefault("warnings", []).append(line)


def _instant(text: str, plan, aware: bool):
    """A provenance instant (wall time in the calendar's zone) on the frame's clock (UTC)."""
    import pandas as pd

    instant = pd.Timestamp(text)
    if aware:
        return instant.tz_localize(plan.calendar.tz).tz_convert("UTC")
    return instant.tz_localize("UTC")


def _early(plan, test) -> str | None:
    """A separate test log is scored whole (the field's protocol), but its cases received by the
    fit's last fitted receipt may be fitted ones: how many, said."""
    provenance = plan.scenario.provenance
    if provenance is None or provenance.fitted_until is None:
        return None
    instant = _instant(provenance.fitted_until, plan, test.aware)
    early = int((test.received.dt.floor("s") <= instant).sum())
    if not early:
        return None
    return (
        f"{early} of the test log's {test.cases} cases were received by the fit's last fitted "
        f"receipt ({provenance.fitted_until}): some may be cases the model was fitted on"
    )


def _held_out(plan, log: Path, whole) -> tuple:
    """(training frame, test frame, how they were told apart) for one log scored alone.

    A fitted scenario records its fitted period (`provenance.fitted_until`, the last fitted
    receipt): the log's cases received after it are the test cases, whatever the log is called,
    the others set aside (and the baselines' history). A file fitted before that was recorded
    falls back to its log's file name and split instant, and says so; a scenario that was not
    fitted gets the field's split of the log.
    """
    from slasim.evaluation.protocol import published_split, received_after, split_at

    provenance = plan.scenario.provenance
    if provenance is None:
        train, held = published_split(whole.events)
        return train, held, "the field's split (first 80 % of events by end)"
    if provenance.fitted_until is not None:
        train, held = received_after(
            whole.events, whole.received, _instant(provenance.fitted_until, plan, whole.aware)
        )
        set_aside = int(train["case_id"].nunique())
        if held.empty:
            raise SlasimError(
                f"every case of the log was received by the fit's last fitted receipt "
                f"({provenance.fitted_until}): none is left to test; give a separate --test-log "
                "with later cases",
                source=str(log),
            )
        return (
            train,
            held,
            (
                f"cases received after the fit's last fitted receipt {provenance.fitted_until}; "
                f"{set_aside} earlier cases set aside as ones the fit saw or could have seen"
            ),
        )
    caveat = (
        " (caveat: a file fitted before its fitted period was recorded; the log is told from "
        "the fitted one by its file name only: refit to score by receipt instants)"
    )
    if provenance.log != log.name:  # fitted elsewhere: LOG is the test log
        return None, whole.events, f"a log the fit never saw; it fitted {provenance.log}" + caveat
    if provenance.split is None:
        raise SlasimError(
            "every case of this log was fitted: give a separate --test-log", source=str(log)
        )
    train, held = split_at(whole.events, _instant(provenance.split, plan, whole.aware))
    return train, held, f"the fit's split at {provenance.split}" + caveat


def _read(path: Path, columns: dict, cal, max_mb: float, fallback: bool = False):
    """A log as the field reads it (pandas, UTC); a log it cannot read that way (lifecycle rows, no
    start times, XES) through `slasim fit`'s reader, its wall clock taken as UTC."""
    from slasim.evaluation.frame import frame_of_events, read_frame
    from slasim.fit.log import read_log

    if not fallback and path.suffix.lower() != ".xes":
        try:
            return read_frame(path, columns, max_mb)
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
        max_mb=max_mb,
    )
    return frame_of_events(events)


def _first_n(
    plan, source, log, test_log, columns, reps, seed, max_cases, run_on, advance, slug, max_mb
):
    from slasim.evaluation.fidelity import first_n
    from slasim.evaluation.frame import Frame
    from slasim.evaluation.vocabulary import check, simulated_share

    whole = _read(log, columns, plan.calendar, max_mb)
    if test_log is not None:
        test = _read(test_log, columns, plan.calendar, max_mb)
        if test.aware != whole.aware:  # both read the same way, as the simulated side will be
            whole = _read(log, columns, plan.calendar, max_mb, fallback=True)
            test = _read(test_log, columns, plan.calendar, max_mb, fallback=True)
        train = whole.events
        split = "separate test log"
        early = _early(plan, test)
    else:
        train, held, split = _held_out(plan, log, whole)
        test = Frame(held, whole.aware, whole.source)
        early = None
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
    vocabulary = check(_model_activities(plan, names), test.events["activity"], test.source)
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
    _with_vocabulary(result, simulated_share(vocabulary, logs))
    if early:
        result["warnings"].append(early)
    return result, logs, plan.calendar.tz if test.aware else None


def _window(plan, log, test_log, columns, reps, seed, max_cases, run_on, advance, slug, max_mb):
    import pandas as pd

    from slasim.evaluation.verdict import few_cases
    from slasim.evaluation.vocabulary import check
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
        max_mb=max_mb,
    )
    names = _names(plan, [pd.DataFrame({"activity": events.activity})], slug)
    steps = pd.Series(events.activity[~events.milestone])
    vocabulary = check(_model_activities(plan, names), steps, events.source)
    result = window_fidelity(
        plan, events, names=names, replications=reps, seed=seed, progress=advance, **run_on
    )
    result["warnings"] = [w for w in [few_cases(result["real_cases"])] if w]
    _with_vocabulary(result, vocabulary)
    return result, [], None
