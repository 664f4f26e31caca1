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
from slasim.io.i18n import _
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
    require_fit_extra()
    if protocol == "window" and sim_logs is not None:
        raise SlasimError(
            "the window view keeps no simulated log: --sim-logs is for --protocol first-n",
            field="--sim-logs",
        )
    from slasim.evaluation.run import FidelityJob, run_fidelity
    from slasim.fit.build import slug
    from slasim.fit.log import read_log
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
    with progress_bar(reps, _("replications"), quiet) as advance:
        job = FidelityJob(
            plan, source, log, test_log, columns, reps, seed, max_cases, run_on, advance,
            max_log_mb, read_events=read_log, slug=slug,
        )  # fmt: skip
        result, logs, tz = run_fidelity(protocol, job)
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


def require_fit_extra() -> None:
    """The field's measures need log-distance-measures and pandas (the `fit` extra): without
    them, one line saying how to install them, not a traceback."""
    from importlib.util import find_spec

    missing = [name for name in ("pandas", "log_distance_measures") if find_spec(name) is None]
    if missing:
        raise SlasimError(
            "slasim fidelity needs the optional extra (missing: {names}): "
            "pip install 'slasim[fit]'",
            names=", ".join(missing),
        )
