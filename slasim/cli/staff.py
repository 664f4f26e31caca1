"""`slasim staff`: the cheapest staffing whose targets hold, per reform set."""

from __future__ import annotations

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
    MaxCases,
    Overrides,
    Quiet,
    Scheduler,
    Seed,
    Strict,
    Workers,
    json_flag,
    out_option,
    scenario_argument,
)
from slasim.io.errors import SlasimError
from slasim.io.i18n import _

commands = typer.Typer()


STAFF_HELP = (
    "The cheapest staffing (per reform set) whose targets hold with the requested confidence.\n\n"
    "A staffing at which a department's offered load reaches its staff is never answered (its "
    "queue grows without bound). Candidates are judged on the scenario's period, lengthened when "
    "needed so that the measured days after the warm-up are at least 5 x the longest legal limit."
)


@commands.command(help=STAFF_HELP)
def staff(
    scenario: scenario_argument("Scenario file, or the name of a shipped scenario."),
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            "-t",
            help="A target, METRIC<=VALUE or METRIC>=VALUE (repeatable), e.g. 'red<=1%' "
            "(quote it: a shell reads < and > as redirections).",
        ),
    ],
    service: Annotated[
        str | None,
        typer.Option(
            "--service", help="Judge the targets on this service only (default: all services)."
        ),
    ] = None,
    dept: Annotated[
        list[str] | None,
        typer.Option(
            "--dept", "-d", help="Search only these departments (others keep today's staff)."
        ),
    ] = None,
    cost: Annotated[
        list[str] | None,
        typer.Option("--cost", help="The cost of one staff member: DEPT=COST (default 1)."),
    ] = None,
    minimum: Annotated[
        list[str] | None,
        typer.Option("--min", help="The fewest staff to consider: DEPT=N (default 1)."),
    ] = None,
    maximum: Annotated[
        list[str] | None,
        typer.Option(
            "--max",
            help=(
                "The most staff to consider: DEPT=N (default: the largest of twice today's staff, "
                "today's + 2 and 1.5 x the offered load + 1, rounded up)."
            ),
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
        typer.Option(
            "--confidence",
            min=0.5,
            max=0.999,
            help="The confidence that all targets hold together.",
        ),
    ] = 0.95,
    budget: Annotated[
        int, typer.Option("--budget", min=1, help="The most replications the whole search may use.")
    ] = 4000,
    max_reps: Annotated[
        int, typer.Option("--max-reps", min=2, help="The most replications for one candidate.")
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
    as_json: json_flag("Print the result as JSON.") = False,
    out: out_option("Write staffing.json here.") = None,
    quiet: Quiet = False,
    strict: Strict = False,
):
    """The cheapest staffing (per reform set) whose targets hold with the requested confidence."""
    claim_outputs([input_path(scenario)], folders={out: ["staffing.json"]})
    from slasim.io.files import OutputSet
    from slasim.outputs.results import to_json
    from slasim.outputs.staffing import staffing_report
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.staffing.search import find_staffing, infeasible_message, parse_assignments
    from slasim.staffing.targets import parse_target

    data, source = load_scenario_data(scenario, overrides or [])
    before_simulating([check_scenario(data, source)], source, strict, quiet, load=False)
    targets = [parse_target(t, service) for t in target]
    searches = 1 + len(reform or [])
    with progress_bar(budget * searches, _("replications (of the budget)"), quiet) as advance:
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
            progress=(lambda done, total: advance(done)) if advance else None,
            strict=strict,
            **executor(workers, scheduler),
            max_cases=max_cases,
        )
    message = infeasible_message(result)
    if message:
        raise SlasimError(message, source=source, field="--target")
    if out is not None:
        with OutputSet("staff", folders=[out]) as outputs:
            outputs.write(out / "staffing.json", to_json(result))
    typer.echo(to_json(result) if as_json else staffing_report(result, frontier=frontier))
