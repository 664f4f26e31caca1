"""`slasim run|compare|sweep|report|validate|schema`: simulate a scenario and read its results."""

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
    warn,
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

commands = typer.Typer()

# The files each command writes in its result folder (declared to the output guard before any
# work; `tests/test_output_guard.py` holds them to what the writers write).
RUN_FILES = ("summary.json", "services.csv", "steps.csv", "departments.csv")
COMPARE_FILES = ("compare.json", "summary.json")
REPORT_INPUTS = ("summary.json", "compare.json", "staffing.json", "fidelity.json")
REPORT_MAX_MB = 64  # a results file larger than this is not one slasim wrote
CHART_FILES = tuple(
    f"{name}.{suffix}"
    for name in ("cards", "lead-times", "utilisation", "timeline")
    for suffix in ("png", "svg")
)


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
        with progress_bar(reps or loaded.replications, "replications", quiet) as advance:
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
    labels = [None] + ["reform " + "+".join(v) for v in variants]
    before_simulating([plan, *reformed], source, strict, quiet, labels=labels)
    n = reps or plan.scenario.replications
    workers = pool_size(workers, scheduler, [(plan, n)])
    with progress_bar(n * (1 + len(variants)), "replications", quiet) as advance:
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
    with progress_bar(len(points), "grid points", quiet) as advance:
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


@commands.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(help="The scenario files (or shipped names) to validate.")
    ],
    strict: Strict = False,
):
    """Check scenario files without running them: exit 0 if valid, 2 with file and field if not
    (or, with --strict, if a period passes the calendar's published years)."""
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.scenario.reforms import reform_names

    failed = 0
    for name in files:  # every file is checked, the bad ones each reported in one line
        try:
            data, source = load_scenario_data(name)  # read once: the baseline, then each reform
            plan = check_scenario(data, source)
            if plan.provisional and strict:
                raise SlasimError(
                    f"the period passes the years calendar {plan.calendar.name!r} has published "
                    "(provisional) (--strict)",
                    source=source,
                    field="start",
                )
        except SlasimError as exc:
            typer.echo(f"error: {exc}", err=True)
            failed += 1
            continue
        reforms = reform_names(data)
        notes = [f"reforms: {', '.join(reforms)}"] if reforms else []
        warn(f"{source}: {line}" for line in plan.unused_staff_changes())
        from slasim.staffing.load import overloaded  # the same warnings as `run` gives

        warn(f"{source}: {line}" for line in overloaded(plan))
        if plan.provisional:
            notes.append(
                f"provisional: the period passes calendar {plan.calendar.name}'s published years"
            )
        typer.echo(f"{source}: valid" + (f" ({'; '.join(notes)})" if notes else ""))
    if failed:
        raise typer.Exit(2)


@commands.command()
def schema():
    """Print the JSON Schema of scenario files (for editor completion and validation)."""
    from slasim.scenario.schema import json_schema

    typer.echo(json_schema())


@commands.command()
def report(
    results: Annotated[
        Path, typer.Argument(help="A results directory from `run --out` or `compare --out`.")
    ],
    html_path: Annotated[
        Path | None,
        typer.Option("--html", help="Where to write the page (default: RESULTS/report.html)."),
    ] = None,
    charts: Annotated[
        bool, typer.Option("--charts", help="Also write the charts as PNG and SVG beside it.")
    ] = False,
):
    """One self-contained HTML page: charts, tables, scenario and reforms, seed, calendar provenance."""
    target = html_path or results / "report.html"
    inputs = [results / name for name in REPORT_INPUTS]
    charts_written = [target.parent / name for name in CHART_FILES] if charts else []
    claim_outputs(inputs, [target, *charts_written])
    from slasim.io.files import OutputSet, open_regular
    from slasim.io.manifest import check_sets
    from slasim.outputs.html import build_report, write_charts

    check_sets(results, REPORT_INPUTS)  # the manifest first: never half of a set
    for path in inputs:  # regular files of a bounded size only: never a FIFO or /dev/zero
        if path.exists() or path.is_symlink():
            open_regular(path, max_mb=REPORT_MAX_MB).close()
    written = [target]
    with OutputSet() as outputs:  # the page and its charts appear together
        outputs.write(target, build_report(results))
        if charts:
            written += write_charts(results, target.parent, outputs)
    for path in written:
        typer.echo(f"wrote {path}")
