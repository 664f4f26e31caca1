"""`slasim run|compare|sweep`: simulate a scenario, its reforms or a grid of what-ifs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import (
    before_simulating,
    claim_outputs,
    executor,
    input_path,
    pool_size,
    progress_bar,
    result_warnings,
)
from slasim.cli.options import (
    MAX_CASES,
    MaxCases,
    Overrides,
    Quiet,
    Reps,
    Scheduler,
    Seed,
    Strict,
    Workers,
    json_flag,
    out_option,
    reps_option,
    scenario_argument,
)
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text, _

commands = typer.Typer()

# The files each command writes in its result folder (declared to the output guard before any
# work; `tests/test_output_guard.py` holds them to what the writers write).
RUN_FILES = ("summary.json", "services.csv", "steps.csv", "departments.csv")
COMPARE_FILES = ("compare.json", "summary.json")


@commands.command()
def run(
    scenario: scenario_argument("Scenario file (YAML) or the name of a shipped scenario."),
    reps: Reps = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    strict: Strict = False,
    as_json: json_flag("Print the full metrics as JSON.") = False,
    quiet: Quiet = False,
    out: out_option(
        "Write summary.json (with replication 0's daily timeline) and CSV files here."
    ) = None,
    event_log: Annotated[
        Path | None,
        typer.Option(
            "--event-log", help="Write replication 0's events here (CSV) and as .xes beside it."
        ),
    ] = None,
):
    """Simulate a service centre: card rates, lead times and queues, with 95% confidence intervals."""
    claim_outputs(
        [input_path(scenario)],
        [event_log, event_log and event_log.with_suffix(".xes")],
        {out: RUN_FILES},
    )
    from slasim.io.files import OutputSet
    from slasim.outputs.results import text_report, to_json, write_outputs
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.sim.runner import run_scenario

    data, source = load_scenario_data(scenario, overrides or [])
    plan = check_scenario(data, source)  # every reform too, as `validate` checks
    before_simulating([plan], source, strict, quiet)
    loaded = plan.scenario
    workers = pool_size(workers, scheduler, [(plan, reps or loaded.replications)])
    # the event log and --out's files appear together or not at all
    with OutputSet("run", folders=[out]) as outputs:
        with progress_bar(reps or loaded.replications, _("replications"), quiet) as advance:
            result = run_scenario(
                loaded,
                source=source,
                replications=reps,
                seed=seed,
                event_log=event_log,
                outputs=outputs,
                timeline=out is not None,
                progress=advance,
                **executor(workers, scheduler),
                max_cases=max_cases,
            )
        if out is not None:
            write_outputs(result, out, outputs)
    result_warnings(source, result["warnings"], as_json, quiet)
    typer.echo(to_json(result) if as_json else text_report(result))


@commands.command()
def compare(
    scenario: scenario_argument("Scenario file with a `reforms:` section, or a shipped name."),
    reform: Annotated[
        list[str] | None,
        typer.Option(
            "--reform",
            "-r",
            help="A reform to compare (repeatable); a+b applies both (default: each reform in turn).",
        ),
    ] = None,
    reps: reps_option(minimum=2) = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    as_json: json_flag("Print the full comparison as JSON.") = False,
    out: out_option("Write compare.json (and the baseline's summary.json) here.") = None,
    quiet: Quiet = False,
    strict: Strict = False,
):
    """Baseline against reforms with common random numbers: each metric's change with a paired 95% CI."""
    claim_outputs([input_path(scenario)], folders={out: COMPARE_FILES})
    from slasim.outputs.results import compare_report, to_json
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.scenario.names import Verbatim
    from slasim.scenario.plan import compile_plan
    from slasim.scenario.reforms import reform_names, scenario_with_reforms
    from slasim.sim.compare import compare as run_compare

    data, source = load_scenario_data(scenario, overrides or [])
    plan = check_scenario(data, source)  # reforms checked too
    variants = [r.split("+") for r in reform or []] or [[name] for name in reform_names(data)]
    if not variants:
        raise SlasimError(
            "no reforms to compare: add a `reforms:` section or give --reform", source=source
        )
    reformed = [compile_plan(scenario_with_reforms(data, v, source), source) for v in variants]
    labels = [None] + [Text("reform {names}", names=Verbatim("+".join(v))) for v in variants]
    before_simulating([plan, *reformed], source, strict, quiet, labels=labels)
    n = reps or plan.scenario.replications
    workers = pool_size(workers, scheduler, [(p, n) for p in [plan, *reformed]])
    with progress_bar(n * (1 + len(variants)), _("replications"), quiet) as advance:
        result = run_compare(
            data,
            source,
            variants,
            replications=reps,
            seed=seed,
            progress=advance,
            **executor(workers, scheduler),
            max_cases=max_cases,
        )
    if out is not None:
        from slasim.io.files import OutputSet

        with OutputSet("compare", folders=[out]) as outputs:
            outputs.write(out / "compare.json", to_json(result))
            outputs.write(out / "summary.json", to_json(result["baseline"]))
    result_warnings(
        source,
        [
            *result["baseline"]["warnings"],
            *(w for r in result["reforms"].values() for w in r["warnings"]),
        ],
        as_json,
        quiet,
    )
    typer.echo(to_json(result) if as_json else compare_report(result))


@commands.command()
def sweep(
    scenario: scenario_argument("Scenario file, or the name of a shipped scenario."),
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            help="A field and its values: key.path=v1,v2,... or key.path=lo..hi:step (repeatable: "
            "a grid).",
        ),
    ],
    reps: reps_option(
        help="How many replications to run at each point (default: the file's)."
    ) = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    as_json: json_flag("Print the grid as JSON.") = False,
    quiet: Quiet = False,
    strict: Strict = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the grid as CSV here.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="With two --vary keys: a heat map of red cards (.png/.svg)."),
    ] = None,
):
    """A grid of what-ifs (e.g. reviewers 2..6 × arrivals 40,50,60): card rates and lead times per point."""
    claim_outputs([input_path(scenario)], [csv_out, plot])
    from slasim.io.files import OutputSet
    from slasim.outputs.results import sweep_csv, sweep_table, to_json
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.scenario.plan import compile_plan
    from slasim.sim.sweep import grid_points, grid_size, parse_varies
    from slasim.sim.sweep import sweep as run_sweep

    data, source = load_scenario_data(scenario, overrides or [])
    check_scenario(data, source)  # every reform too, as `validate` checks
    grid_size(vary, source)  # refused over MAX_POINTS before any point is built
    points = grid_points(data, source, vary)
    plans = [compile_plan(sc, source) for _, sc in points]
    axes = [key for key, _ in parse_varies(vary, source)]
    labels = [", ".join(f"{k}={v}" for k, v in zip(axes, values)) for values, _ in points]
    before_simulating(plans, source, strict, quiet, labels=labels)
    workers = pool_size(
        workers, scheduler, ((p, reps or sc.replications) for p, (_, sc) in zip(plans, points))
    )
    with progress_bar(len(points), _("grid points"), quiet) as advance:
        result = run_sweep(
            data,
            source,
            vary,
            points=points,
            replications=reps,
            seed=seed,
            progress=advance,
            **executor(workers, scheduler),
            max_cases=max_cases,
        )
    with OutputSet() as outputs:  # the CSV and the plot appear together
        if csv_out is not None:
            outputs.write(csv_out, sweep_csv(result))
        if plot is not None:
            from slasim.outputs import plots

            plots.save(plots.sweep_heatmap(result), plot, outputs)
    result_warnings(source, [w for row in result["rows"] for w in row["warnings"]], as_json, quiet)
    typer.echo(to_json(result) if as_json else sweep_table(result))
