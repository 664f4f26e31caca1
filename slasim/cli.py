"""The `slasim` command line: parse, call one library function, format. No rules live here.

Exit codes (decided only in `main`): 0 success, 1 a check failed, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from slasim.io.errors import SlasimError

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Legal deadlines on working-day calendars, card checks, and service-centre simulation.",
)
calendar_app = typer.Typer(no_args_is_help=True, help="Inspect working-day calendars.")
app.add_typer(calendar_app, name="calendar")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"slasim {version('slasim')}")
        except PackageNotFoundError:  # a checkout run without installing
            typer.echo("slasim (not installed)")
        raise typer.Exit(0)


@app.callback()
def _main_options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Legal deadlines on working-day calendars, card checks, and service-centre simulation."""


# Options shared by the simulation commands.
Reps = Annotated[
    int | None, typer.Option("--reps", "-n", min=1, help="Replications (default: the file's).")
]
Seed = Annotated[int | None, typer.Option("--seed", min=0, help="Seed (default: the file's).")]
Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Processes for replications (default: all cores)."),
]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address (or $SLASIM_SCHEDULER): a cluster."),
]
MAX_CASES = 20_000_000  # the default of --max-cases (slasim.sim.workload.MAX_CASES, kept in step)
MaxCases = Annotated[
    int,
    typer.Option(
        "--max-cases",
        min=1,
        help="Refuse to start above this many expected simulated cases (all runs together).",
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict", help="Fail (exit 2) on dates past the calendar's published years (provisional)."
    ),
]


Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar and no warnings on stderr.")
]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: key.path=value (value read as YAML)."),
]
# Columns of a case log (fit, fidelity); by default found by their pm4py or common CSV names.
CaseColumn = Annotated[str | None, typer.Option("--case", help="Case id column.")]
ActivityColumn = Annotated[str | None, typer.Option("--activity", help="Activity column.")]
StartColumn = Annotated[str | None, typer.Option("--start", help="Start timestamp column.")]
EndColumn = Annotated[str | None, typer.Option("--end", help="End timestamp column.")]
ResourceColumn = Annotated[str | None, typer.Option("--resource", help="Handler column.")]


def complete_calendar(incomplete: str) -> list[str]:
    """Shell completion: calendar names (./calendars/ and shipped)."""
    from slasim.calendar.files import list_calendars

    return [name for name in list_calendars() if name.startswith(incomplete)]


def complete_scenario(incomplete: str) -> list[str]:
    """Shell completion: shipped scenario names and YAML files here."""
    from slasim.io.files import shipped_dir

    names = {p.stem for p in shipped_dir("scenarios").glob("*.yaml")}
    names |= {p.name for p in Path.cwd().glob("*.y*ml")}
    return sorted(n for n in names if n.startswith(incomplete))


def emit_json(data) -> None:
    """Print one JSON document (UTF-8 text kept as is)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def executor(workers: int | None, scheduler: str | None) -> dict:
    """Where replications run: the Dask scheduler if one is named, else a pool over the cores."""
    from slasim.sim.parallel import default_workers, scheduler_address

    return {"workers": workers or default_workers(), "scheduler": scheduler_address(scheduler)}


@contextmanager
def progress_bar(total: int, label: str, quiet: bool):
    """A progress bar on stderr (rich, as Typer ships it) for more than one replication; none when
    quiet or when stderr is not a terminal (CI logs, pipes). Yields a callback(done) or None."""
    if quiet or total < 2 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def check_outputs(*paths: Path | None) -> None:
    """Refuse bad output paths before any work starts (only regular files are ever replaced)."""
    from slasim.io.files import check_target

    for path in paths:
        if path is not None:
            check_target(path)


def warn(lines) -> None:
    """Print each line on stderr as `warning: …`."""
    for line in lines:
        typer.echo(f"warning: {line}", err=True)


def before_simulating(plans, source: str, strict: bool, quiet: bool, *, load: bool = True) -> None:
    """Before simulating the compiled `plans`: a period past the calendar's published years
    (holidays not yet announced) is refused with --strict, else warned on stderr (unless
    --quiet); the results say `provisional` either way. Staff changes outside the period, and
    (with `load`; not for a staffing search, which tries too few staff on purpose) departments
    that cannot keep up with their offered load are warned about too."""
    for i, plan in enumerate(plans):
        if i == 0 and not quiet:
            warn(f"{source}: {line}" for line in plan.unused_staff_changes())
            if load:
                from slasim.staffing.load import overloaded

                warn(f"{source}: {line}" for line in overloaded(plan))
        if plan.provisional:
            message = (
                f"the period passes the years calendar {plan.calendar.name!r} has published: "
                "results are provisional"
            )
            if strict:
                raise SlasimError(f"{message} (--strict)", source=source, field="start")
            if not quiet:
                warn([message])
            return


@app.command()
def deadline(
    start: Annotated[
        str, typer.Argument(help="Acceptance date YYYY-MM-DD or instant YYYY-MM-DDTHH:MM.")
    ],
    limit: Annotated[
        str,
        typer.Argument(
            help="Time limit: 20wd (working days), 4wh (working hours), 30d (natural days)."
        ),
    ],
    calendar: Annotated[
        str,
        typer.Option(
            "--calendar",
            "-c",
            help="Calendar name or path to a .toml file.",
            autocompletion=complete_calendar,
        ),
    ] = "cn",
    extension: Annotated[
        list[str] | None,
        typer.Option("--extension", help="An approved extension, e.g. 10wd (Art. 42)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 2) on dates outside the published years.")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the derivation day by day, with articles.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
):
    """When is a time limit due, counted from START on a working-day calendar?"""
    from slasim.calendar.units import parse_instant
    from slasim.clock.deadline import compute_deadline
    from slasim.clock.explain import render_explanation

    result = compute_deadline(
        limit,
        accepted=parse_instant(start, field="START"),
        calendar=calendar,
        extensions=extension or [],
        strict=strict,
        explain=explain,
    )
    if as_json:
        emit_json(result.to_json())
    else:
        typer.echo(
            f"due {result.due}  ({result.limit} from {result.start}, accepted {result.accepted}, "
            f"calendar {result.calendar})"
        )
        if explain and result.explanation:
            typer.echo("\n".join(render_explanation(result.explanation)))
    warn(result.warnings)


class CheckFormat(StrEnum):
    """How `slasim check` prints its outcomes."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


@app.command()
def check(
    files: Annotated[
        list[Path],
        typer.Argument(help="Check files (YAML or JSON) with cases and expected due dates/cards."),
    ],
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here.")
    ] = None,
    output_format: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            help="text; json; github (::error annotations, and a job summary in "
            "$GITHUB_STEP_SUMMARY); sarif (code scanning).",
        ),
    ] = CheckFormat.text,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    strict: Strict = False,
):
    """Golden-file deadline checks for CI: exit 0 all pass, 1 any case fails, 2 invalid file (or,
    with --strict, a case past the calendar's published years)."""
    check_outputs(junit_xml)
    from slasim.checks import report
    from slasim.checks.engine import check_files
    from slasim.io.files import write_atomic

    output_format = CheckFormat.json if as_json else output_format
    try:
        results = check_files(files)
    except SlasimError as exc:  # still exit 2, but CI shows why nothing was checked
        if junit_xml is not None:
            write_atomic(junit_xml, report.invalid_junit(exc.source or str(files[0]), str(exc)))
        if output_format == CheckFormat.github:
            typer.echo(report.invalid_annotation(exc.source or str(files[0]), str(exc)))
        raise
    if junit_xml is not None:
        write_atomic(junit_xml, report.junit_xml(results))
    if output_format == CheckFormat.json:
        emit_json(report.json_report(results))
    elif output_format == CheckFormat.sarif:
        typer.echo(report.sarif(results))
    else:
        if output_format == CheckFormat.github:
            for line in report.github_annotations(results):
                typer.echo(line)
            summary = os.environ.get("GITHUB_STEP_SUMMARY")
            if summary:
                with open(summary, "a", encoding="utf-8") as handle:
                    handle.write(report.job_summary(results))
        typer.echo("\n".join(report.text_report(results)))
    provisional = [(source, o) for source, outcomes in results for o in outcomes if o.provisional]
    if provisional:
        source, first = provisional[0]
        message = (
            f"{len(provisional)} case(s) accepted or due past the calendar's published years "
            f"(provisional), first {first.name!r} due {first.got['due']['legal']}"
        )
        if strict:
            raise SlasimError(message + " (--strict)", source=source, field=f"cases[{first.index}]")
        warn([message])
    if not all(o.passed for _, outcomes in results for o in outcomes):
        raise typer.Exit(1)


@app.command()
def run(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario file (YAML) or the name of a shipped scenario.",
            autocompletion=complete_scenario,
        ),
    ],
    reps: Reps = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    strict: Strict = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full metrics as JSON.")
    ] = False,
    quiet: Quiet = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write summary.json (with replication 0's daily timeline) and CSV files here.",
        ),
    ] = None,
    event_log: Annotated[
        Path | None,
        typer.Option(
            "--event-log", help="Write replication 0's events here (CSV) and as .xes beside it."
        ),
    ] = None,
):
    """Simulate a service centre: card rates, lead times and queues, with 95% confidence intervals."""
    check_outputs(event_log, out and out / "summary.json")
    from slasim.io.files import OutputSet
    from slasim.outputs.results import text_report, to_json, write_outputs
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.sim.runner import run_scenario

    data, source = load_scenario_data(scenario, overrides or [])
    plan = check_scenario(data, source)  # every reform too, as `validate` checks
    before_simulating([plan], source, strict, quiet)
    loaded = plan.scenario
    with OutputSet() as outputs:  # the event log and --out's files appear together or not at all
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
    typer.echo(to_json(result) if as_json else text_report(result))


@app.command()
def compare(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario file with a `reforms:` section, or a shipped name.",
            autocompletion=complete_scenario,
        ),
    ],
    reform: Annotated[
        list[str] | None,
        typer.Option(
            "--reform",
            "-r",
            help="A reform to compare (repeatable); a+b applies both. Default: each.",
        ),
    ] = None,
    reps: Annotated[
        int | None, typer.Option("--reps", "-n", min=2, help="Replications (default: the file's).")
    ] = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full comparison as JSON.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write compare.json (and the baseline's summary.json) here."),
    ] = None,
    quiet: Quiet = False,
    strict: Strict = False,
):
    """Baseline against reforms with common random numbers: each metric's change with a paired 95% CI."""
    check_outputs(out and out / "compare.json")
    from slasim.outputs.results import compare_report, to_json
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.scenario.reforms import reform_names
    from slasim.sim.compare import compare as run_compare

    data, source = load_scenario_data(scenario, overrides or [])
    before_simulating([check_scenario(data, source)], source, strict, quiet)  # reforms checked too
    variants = [r.split("+") for r in reform or []] or [[name] for name in reform_names(data)]
    if not variants:
        raise SlasimError(
            "no reforms to compare: add a `reforms:` section or give --reform", source=source
        )
    n = reps or int(data.get("replications", 10))
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

        with OutputSet() as outputs:
            outputs.write(out / "compare.json", to_json(result))
            outputs.write(out / "summary.json", to_json(result["baseline"]))
    typer.echo(to_json(result) if as_json else compare_report(result))


@app.command()
def sweep(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario file, or the name of a shipped scenario.",
            autocompletion=complete_scenario,
        ),
    ],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary", help="key.path=v1,v2,... or key.path=lo..hi:step (repeatable: a grid)."
        ),
    ],
    reps: Annotated[
        int | None, typer.Option("--reps", "-n", min=1, help="Replications per point.")
    ] = None,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grid as JSON.")] = False,
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
    check_outputs(csv_out, plot)
    from slasim.io.files import OutputSet
    from slasim.outputs.results import sweep_csv, sweep_table, to_json
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.scenario.plan import compile_plan
    from slasim.sim.sweep import grid_points, grid_size
    from slasim.sim.sweep import sweep as run_sweep

    data, source = load_scenario_data(scenario, overrides or [])
    check_scenario(data, source)  # every reform too, as `validate` checks
    grid_size(vary, source)  # refused over MAX_POINTS before any point is built
    points = grid_points(data, source, vary)
    before_simulating((compile_plan(sc, source) for _, sc in points), source, strict, quiet)
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
    typer.echo(to_json(result) if as_json else sweep_table(result))


@app.command()
def staff(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario file, or the name of a shipped scenario.",
            autocompletion=complete_scenario,
        ),
    ],
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            "-t",
            help="METRIC<=VALUE or >= (repeatable), e.g. red<=1%, lead_time_wd_p90<=10.",
        ),
    ],
    service: Annotated[
        str | None,
        typer.Option("--service", help="Targets on this service (default: all services)."),
    ] = None,
    dept: Annotated[
        list[str] | None,
        typer.Option(
            "--dept", "-d", help="Search only these departments (others keep today's staff)."
        ),
    ] = None,
    cost: Annotated[
        list[str] | None, typer.Option("--cost", help="DEPT=COST per staff member (default 1).")
    ] = None,
    minimum: Annotated[
        list[str] | None,
        typer.Option("--min", help="DEPT=N: fewest staff to consider (default 1)."),
    ] = None,
    maximum: Annotated[
        list[str] | None,
        typer.Option(
            "--max", help="DEPT=N: most staff to consider (default: twice today's, at least +2)."
        ),
    ] = None,
    reform: Annotated[
        list[str] | None,
        typer.Option(
            "--reform", "-r", help="Also search with this reform (repeatable; a+b: both)."
        ),
    ] = None,
    confidence: Annotated[
        float,
        typer.Option("--confidence", min=0.5, max=0.999, help="Joint confidence of the targets."),
    ] = 0.95,
    budget: Annotated[
        int, typer.Option("--budget", min=1, help="Most replications the whole search may use.")
    ] = 4000,
    max_reps: Annotated[
        int, typer.Option("--max-reps", min=2, help="Most replications for one candidate.")
    ] = 40,
    seed: Seed = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_cases: MaxCases = MAX_CASES,
    overrides: Overrides = None,
    frontier: Annotated[
        bool,
        typer.Option("--frontier", help="Also list cost against the first target, per candidate."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write staffing.json here.")] = None,
    quiet: Quiet = False,
    strict: Strict = False,
):
    """The cheapest staffing (per reform set) whose targets hold with the requested confidence."""
    check_outputs(out and out / "staffing.json")
    from slasim.io.files import write_atomic
    from slasim.outputs.results import to_json
    from slasim.outputs.staffing import staffing_report
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.staffing.search import find_staffing, infeasible_message, parse_assignments
    from slasim.staffing.targets import parse_target

    data, source = load_scenario_data(scenario, overrides or [])
    before_simulating([check_scenario(data, source)], source, strict, quiet, load=False)
    targets = [parse_target(t, service) for t in target]
    with progress_bar(budget, "replications (budget)", quiet) as advance:
        result = find_staffing(
            data,
            source,
            targets,
            reform_sets=[r.split("+") for r in reform or []],
            low=parse_assignments(minimum or [], "--min"),
            high=parse_assignments(maximum or [], "--max"),
            costs=parse_assignments(cost or [], "--cost", float),
            only=dept or None,
            confidence=confidence,
            budget=budget,
            max_reps=max_reps,
            seed=seed,
            progress=(lambda candidates, reps: advance(reps)) if advance else None,
            **executor(workers, scheduler),
            max_cases=max_cases,
        )
    message = infeasible_message(result)
    if message:
        raise SlasimError(message, source=source, field="--target")
    if out is not None:
        write_atomic(out / "staffing.json", to_json(result))
    typer.echo(to_json(result) if as_json else staffing_report(result, frontier=frontier))


@app.command()
def fit(
    log: Annotated[Path, typer.Argument(help="Case log: CSV (plain or .gz) or XES.")],
    calendar: Annotated[
        str,
        typer.Option(
            "--calendar",
            "-c",
            help="Calendar of the centre (name or .toml path).",
            autocompletion=complete_calendar,
        ),
    ] = "cn",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the scenario here (default: print it).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Scenario name.")] = None,
    limit: Annotated[
        str | None,
        typer.Option("--limit", help="Legal limit (default: from a deadline column, else 20wd)."),
    ] = None,
    promised: Annotated[
        str | None, typer.Option("--promised", help="Promised limit (default: the legal one).")
    ] = None,
    service_column: Annotated[
        str | None, typer.Option("--service-column", help="Column naming each case's service.")
    ] = None,
    department_column: Annotated[
        str | None, typer.Option("--department-column", help="Column naming the handler's role.")
    ] = None,
    case: CaseColumn = None,
    activity: ActivityColumn = None,
    start: StartColumn = None,
    end: EndColumn = None,
    resource: ResourceColumn = None,
    train_until: Annotated[
        str | None, typer.Option("--train-until", help="Fit on cases received before this date.")
    ] = None,
    train_share: Annotated[
        float, typer.Option("--train-share", min=0.1, max=0.95, help="Share of cases to fit on.")
    ] = 0.7,
    min_share: Annotated[
        float, typer.Option("--min-share", min=0.0, max=1.0, help="Drop activities in fewer cases.")
    ] = 0.05,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the fit's evidence as JSON.")
    ] = False,
    max_log_mb: Annotated[
        float, typer.Option("--max-log-mb", min=1, help="Largest log read (into memory), MB.")
    ] = 512,
):
    """Build a scenario from a centre's case log; every fitted number says where it came from."""
    check_outputs(out)
    from slasim.calendar.units import parse_date
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import fit_log
    from slasim.fit.log import read_log
    from slasim.fit.writer import scenario_yaml
    from slasim.io.files import write_atomic
    from slasim.io.schema import validate as validate_model
    from slasim.scenario.plan import compile_plan
    from slasim.scenario.schema import Scenario

    until = parse_date(train_until, field="--train-until") if train_until else None
    events = read_log(
        log,
        load_calendar(calendar),
        case=case,
        activity=activity,
        start=start,
        end=end,
        resource=resource,
        role=department_column,
        service=service_column,
        max_mb=max_log_mb,
    )
    fitted = fit_log(
        events,
        calendar,
        name=name,
        limit=limit,
        promised=promised,
        train_until=until,
        train_share=train_share,
        min_share=min_share,
    )
    header = [
        f"Fitted by `slasim fit` from {log.name}: {fitted.evidence['train_cases']} cases fitted, "
        f"{fitted.evidence['test_cases']} kept for `slasim fidelity` (from {fitted.evidence['split']}).",
        "Each fitted number's comment gives its sample size and fit; the limits say their source.",
    ]
    if events.starts_estimated:
        header.append(
            f"{events.starts_estimated} start times were missing and estimated (the later of the "
            "previous completion in the case and the handler's previous completion)."
        )
    text = scenario_yaml(fitted.data, fitted.comments, header)
    compile_plan(
        validate_model(Scenario, fitted.data, str(log)), str(log)
    )  # it must run as written
    if out is not None:
        write_atomic(out, text)
    if as_json:
        emit_json(fitted.evidence)
    elif out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(
            f"wrote {out} ({len(fitted.data['services'])} service(s), "
            f"{len(fitted.data['departments'])} department(s))"
        )


@app.command()
def fidelity(
    scenario: Annotated[str, typer.Argument(help="Scenario (e.g. from slasim fit).")],
    log: Annotated[Path, typer.Argument(help="The centre's case log (CSV, CSV.gz or XES).")],
    reps: Annotated[int, typer.Option("--reps", "-n", min=2, help="Replications.")] = 5,
    seed: Seed = None,
    case: CaseColumn = None,
    activity: ActivityColumn = None,
    start: StartColumn = None,
    end: EndColumn = None,
    resource: ResourceColumn = None,
    overrides: Overrides = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write fidelity.json here.")] = None,
):
    """How closely a scenario reproduces the real cases of its measured window, with 95% CIs."""
    check_outputs(out and out / "fidelity.json")
    from slasim.fit.fidelity import fidelity as measure
    from slasim.fit.log import read_log
    from slasim.io.files import write_atomic
    from slasim.outputs.fidelity import fidelity_report
    from slasim.outputs.results import to_json
    from slasim.scenario.loader import find_scenario, load_scenario
    from slasim.scenario.plan import compile_plan

    source = str(find_scenario(scenario))
    plan = compile_plan(load_scenario(scenario, overrides or []), source)
    events = read_log(
        log, plan.calendar, case=case, activity=activity, start=start, end=end, resource=resource
    )
    result = measure(plan, events, replications=reps, seed=seed)
    if out is not None:
        write_atomic(out / "fidelity.json", to_json(result))
    typer.echo(to_json(result) if as_json else fidelity_report(result))


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files to validate.")],
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
        if plan.provisional:
            notes.append(
                f"provisional: the period passes calendar {plan.calendar.name}'s published years"
            )
        typer.echo(f"{source}: valid" + (f" ({'; '.join(notes)})" if notes else ""))
    if failed:
        raise typer.Exit(2)


@app.command()
def schema():
    """Print the JSON Schema of scenario files (for editor completion and validation)."""
    from slasim.scenario.schema import json_schema

    typer.echo(json_schema())


@app.command()
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
    check_outputs(html_path or results / "report.html")
    from slasim.io.files import OutputSet
    from slasim.outputs.html import build_report, write_charts

    target = html_path or results / "report.html"
    with OutputSet() as outputs:  # the page and its charts appear together
        outputs.write(target, build_report(results))
        if charts:
            write_charts(results, target.parent, outputs)
    typer.echo(f"wrote {target}")


@calendar_app.command("list")
def calendar_list():
    """Calendars available by name (./calendars/ and shipped)."""
    from tabulate import tabulate

    from slasim.calendar.files import find_calendar, list_calendars, resolve_spec

    rows = []
    for name in list_calendars():
        spec = resolve_spec(find_calendar(name))
        rows.append(
            [name, spec.title, spec.first_year, spec.published_through or "—", spec.timezone]
        )
    typer.echo(
        tabulate(rows, headers=["name", "title", "first year", "published through", "time zone"])
    )


@calendar_app.command("show")
def calendar_show(
    name: Annotated[str, typer.Argument(help="Calendar name or path.")] = "cn",
    year: Annotated[
        int | None, typer.Option("--year", "-y", help="Year (default: the last published).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
):
    """Holidays, make-up workdays and local overrides of one year, with names and provenance."""
    from tabulate import tabulate

    from slasim.calendar.year import calendar_year

    report = calendar_year(name, year)
    if as_json:
        emit_json(report)
        return
    typer.echo(
        f"{report['calendar']} — {report['title']} — {report['year']}"
        f"{'  (PROVISIONAL: no official notice loaded)' if report['provisional'] else ''}"
    )
    if report.get("notice"):
        typer.echo("source: " + "; ".join(f"{k}: {v}" for k, v in report["notice"].items()))
    typer.echo(f"office hours: {report['office_hours']}")
    typer.echo(
        tabulate(
            [
                [d["date"], d["weekday"], "work" if d["working"] else "rest", d["kind"], d["name"]]
                for d in report["days"]
            ],
            headers=["date", "day", "", "kind", "name"],
        )
    )
    typer.echo(f"working days in {report['year']}: {report['working_days']}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point; the exit-code policy lives here and only here: 0 success, 1 a check
    failed, 2 bad input (one line on stderr), 70 an unexpected error (a bug: one line, and the
    traceback with --debug), 130 interrupted (SIGINT), 143 terminated (SIGTERM). Both signals
    unwind the run, so pool workers stop and staged outputs are removed."""
    from slasim.io.interrupts import Terminated, install

    if argv is None:  # the console entry point, not a caller's process
        install()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        code = app(args=args, prog_name="slasim", standalone_mode=False)
    except SlasimError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Terminated:
        typer.echo("terminated", err=True)
        sys.exit(143)
    except typer.TyperException as exc:  # usage errors (missing argument, unknown option)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if not message.strip():  # no command given: the help was printed, nothing went wrong
            sys.exit(0)
        typer.echo(f"error: {message} (see --help)", err=True)
        sys.exit(2)
    except Exception as exc:  # a bug: never a wall of text unless asked for
        if debug:
            raise
        text = " ".join(str(exc).split())[:300]
        typer.echo(
            f"error: unexpected {type(exc).__name__}: {text} (a bug in slasim: rerun with --debug "
            "for the traceback, and report it)",
            err=True,
        )
        sys.exit(70)
    if code == 130:  # Typer returns an interrupt as exit code 130
        typer.echo("interrupted", err=True)
    sys.exit(code if isinstance(code, int) else 0)
