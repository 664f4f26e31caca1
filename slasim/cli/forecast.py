"""`slasim forecast`: which of today's open cases turn yellow or red within the next working days."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import claim_outputs, emit_json, input_path, warn
from slasim.cli.options import Overrides, Quiet, Reps, Seed, Strict, json_flag, scenario_argument
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text

commands = typer.Typer()

# The files `--out DIR` writes (declared to the output guard before any work; `slasim report`
# reads forecast.json).
FORECAST_FILES = ("forecast.json", "risk.csv")

FORECAST_HELP = (
    "Per open case, the chance of a yellow and of a red card within the horizon (exact binomial "
    "95% interval over replications) and by which day; its decision date (p50, p90); the cards "
    "per day for the whole centre. The open cases start where they are (queues in their order, "
    "work under way from the residual of its distribution, pauses under way) and keep their "
    "legal history; new cases arrive as the scenario says."
)


def _out_kind(out: Path | None) -> str | None:
    """What `--out` names: a result folder (an existing folder, or a name without a suffix), or a
    .json or .csv file; any other suffix is refused (`risk.txt` is a slip, not a folder)."""
    if out is None:
        return None
    if out.is_dir() or not out.suffix:
        return "folder"
    if out.suffix.lower() not in (".json", ".csv"):
        raise SlasimError(
            "give --out a folder (a name without a suffix), or a .json or .csv file",
            field="--out",
        )
    return out.suffix.lower()


def _schema(value: bool) -> None:
    if value:
        from slasim.forecast.snapshot import json_schema

        typer.echo(json_schema())
        raise typer.Exit(0)


@commands.command(help=FORECAST_HELP)
def forecast(
    scenario: scenario_argument("Scenario file, or the name of a shipped scenario."),
    open_file: Annotated[
        Path | None,
        typer.Option(
            "--open", help="The open cases (YAML, JSON or CSV; see `slasim forecast --schema`)."
        ),
    ] = None,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            help="A case log (CSV or XES, as `slasim fit` reads): its open cases at --as-of.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="The snapshot instant (with --open, default: the file's as_of)."
        ),
    ] = None,
    horizon: Annotated[
        str, typer.Option("--horizon", help="How far ahead, in working days (e.g. 10wd).")
    ] = "10wd",
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="With --log: forecast at several as-of instants (--as-of T1,T2,... or five "
            "spread over the log) and score against what happened (Brier score, reliability) "
            "beside naive baselines.",
        ),
    ] = False,
    prevent: Annotated[
        str | None,
        typer.Option(
            "--prevent",
            help="A number of working days: also try one more staff at each desk in turn for "
            "that many working days from the snapshot, on the same random numbers, and rank the "
            "desks by the red cards each prevents. A target red<=N or yellow<=N: search the "
            "cheapest dated staff change within the horizon (extra staff-days per desk) that "
            "brings the cards to come to N with 95% confidence.",
        ),
    ] = None,
    prevent_scope: Annotated[
        str,
        typer.Option(
            "--prevent-scope",
            help="With --prevent red<=N: count the new cards of today's open cases (open) or "
            "every card fired within the horizon, new cases too (all).",
        ),
    ] = "open",
    prevent_max: Annotated[
        int,
        typer.Option(
            "--prevent-max",
            min=1,
            help="With --prevent red<=N: the most extra staff tried at one desk.",
        ),
    ] = 2,
    movable: Annotated[
        str | None,
        typer.Option(
            "--movable",
            help="With --prevent red<=N: only move staff between these desks "
            "(D1,D2,...), which costs no extra staff-days.",
        ),
    ] = None,
    reps: Reps = None,
    seed: Seed = None,
    overrides: Overrides = None,
    as_json: json_flag("Print the forecast as JSON.") = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write one row per open case here.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the result here, whole or not at all: a folder (a name without a "
            "suffix: forecast.json and risk.csv, for `slasim report`), or a .json file (the whole "
            "result) or .csv file (one row per open case).",
        ),
    ] = None,
    quiet: Quiet = False,
    strict: Strict = False,
    schema: Annotated[
        bool,
        typer.Option(
            "--schema",
            callback=_schema,
            is_eager=True,
            help="Print the open-cases file's JSON schema.",
        ),
    ] = False,
):
    """Which open cases go yellow or red within the horizon."""
    if (open_file is None) == (log is None):
        raise SlasimError(
            "give the open cases: --open FILE, or --log LOG with --as-of", field="--open"
        )
    if backtest and log is None:
        raise SlasimError(
            "--backtest scores a forecast against a case log: give --log", field="--backtest"
        )
    if log is not None and as_of is None and not backtest:
        raise SlasimError("give the snapshot instant of the log: --as-of", field="--as-of")
    if backtest and csv_file is not None:
        raise SlasimError("a backtest has no per-case table: leave out --csv", field="--csv")
    kind = _out_kind(out)
    if backtest and kind not in (None, ".json"):
        raise SlasimError(
            "give --out a .json file (a backtest has no per-case table)", field="--out"
        )
    inputs = [input_path(scenario), open_file if log is None else log]
    folder = out if kind == "folder" else None
    single = None if folder is not None else out
    claim_outputs(
        inputs,
        files=[f for f in (csv_file, single) if f is not None],
        folders={folder: FORECAST_FILES},
    )
    from slasim.forecast.report import forecast_csv, forecast_text
    from slasim.forecast.risk import forecast_open_file
    from slasim.io.files import OutputSet
    from slasim.io.schema import validate
    from slasim.scenario.loader import load_scenario_data
    from slasim.scenario.schema import Scenario

    data, source = load_scenario_data(scenario, overrides or [])
    spec = validate(Scenario, data, source)
    common = {"horizon": horizon, "replications": reps, "seed": seed, "source": source}
    if backtest and prevent:
        raise SlasimError("--prevent goes with a forecast, not a backtest", field="--prevent")
    if not backtest and prevent is not None:
        from slasim.forecast.prevent import SCOPES, parse_prevent

        wanted = parse_prevent(prevent)
        if isinstance(wanted, int):
            if movable is not None:
                raise SlasimError(
                    "--movable goes with a target, --prevent red<=N", field="--movable"
                )
            common["prevent_days"] = wanted
        else:
            if prevent_scope not in SCOPES:
                raise SlasimError(
                    "--prevent-scope is open or all, got {scope}",
                    field="--prevent-scope",
                    scope=repr(prevent_scope),
                )
            given = [m.strip() for m in movable.split(",") if m.strip()] if movable else None
            common["prevent_target"] = wanted | {
                "scope": prevent_scope,
                "max_extra": prevent_max,
                "movable": given,
            }
    if log is not None:
        from slasim.fit.build import slug
        from slasim.fit.log import read_log
    if backtest:
        from slasim.forecast.backtest import backtest as run_backtest
        from slasim.forecast.report import backtest_text as text_of

        times = [t.strip() for t in as_of.split(",") if t.strip()] if as_of else None
        result = run_backtest(spec, log, read_log, slug, as_of=times, **common)
    elif log is not None:
        from slasim.forecast.from_log import forecast_log

        result = forecast_log(spec, log, read_log, slug, as_of=as_of, **common)
    else:
        result = forecast_open_file(spec, open_file, as_of=as_of, **common)
    if result["provisional"]:
        message = Text(
            "the forecast passes the years the calendar has published: it is provisional"
        )
        if strict:
            raise SlasimError(
                "{warning} (--strict)", source=source, field="--horizon", warning=message
            )
        if not quiet:
            warn([message])
    if csv_file is not None or out is not None:
        document = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
        with OutputSet("forecast", folders=[folder]) as outputs:  # all together or none
            if csv_file is not None:
                outputs.write(csv_file, forecast_csv(result))
            if folder is not None:
                outputs.write(folder / "forecast.json", document)
                outputs.write(folder / "risk.csv", forecast_csv(result))
            elif out is not None:
                outputs.write(out, forecast_csv(result) if kind == ".csv" else document)
    if as_json:
        emit_json(result)
    else:
        typer.echo((text_of if backtest else forecast_text)(result))
