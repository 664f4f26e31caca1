"""`slasim fit`: a scenario from a case log (`slasim fidelity`, in `cli.fidelity`, scores one);
with `--search`, the fit's options chosen by the fidelity gauge (`slasim.fit.search`, handed the
gauge from `slasim.evaluation` here) and the search's table."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import claim_outputs, emit_json, input_path, warn
from slasim.cli.options import (
    ActivityColumn,
    CaseColumn,
    EndColumn,
    ResourceColumn,
    StartColumn,
    calendar_option,
    json_flag,
    out_option,
)
from slasim.io.errors import terminal_text
from slasim.io.i18n import N_, Text

commands = typer.Typer()


class RouteForm(StrEnum):
    """How `fit` writes each service's route."""

    blocks = "blocks"
    markov = "markov"
    auto = "auto"


class DurationForm(StrEnum):
    """How `fit` writes each sample of durations."""

    families = "families"
    empirical = "empirical"


@commands.command()
def fit(
    log: Annotated[Path, typer.Argument(help="The case log: CSV (plain or .gz) or XES.")],
    calendar: calendar_option("Calendar of the centre (name or .toml path).") = "cn",
    out: out_option("Write the scenario here (default: print it).") = None,
    name: Annotated[str | None, typer.Option("--name", help="The scenario's name.")] = None,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", help="The legal limit (default: from a deadline column, else 20wd)."
        ),
    ] = None,
    promised: Annotated[
        str | None, typer.Option("--promised", help="The promised limit (default: the legal one).")
    ] = None,
    service_column: Annotated[
        str | None, typer.Option("--service-column", help="The column naming each case's service.")
    ] = None,
    department_column: Annotated[
        str | None,
        typer.Option("--department-column", help="The column naming the handler's role."),
    ] = None,
    case: CaseColumn = None,
    activity: ActivityColumn = None,
    start: StartColumn = None,
    end: EndColumn = None,
    resource: ResourceColumn = None,
    train_until: Annotated[
        str | None,
        typer.Option("--train-until", help="Fit on the cases received before this date."),
    ] = None,
    train_share: Annotated[
        float,
        typer.Option(
            "--train-share",
            min=0.1,
            max=1.0,
            help=(
                "The share of cases to fit on, by receipt (the rest are kept for fidelity); 1.0 "
                "fits every case, for scoring on a separate log (fidelity --test-log)."
            ),
        ),
    ] = 0.7,
    min_share: Annotated[
        float,
        typer.Option(
            "--min-share",
            min=0.0,
            max=1.0,
            help="Leave out activities found in a smaller share of cases.",
        ),
    ] = 0.05,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Fit only the cases received from this date (of those fitted)."
        ),
    ] = None,
    recent: Annotated[
        str,
        typer.Option(
            "--recent",
            help=(
                "auto: when the recent cases drifted from the earlier ones (lead times, "
                "variants, receipt rate), fit the recent ones only; off: fit them all."
            ),
        ),
    ] = "auto",
    office_hours: Annotated[
        str,
        typer.Option(
            "--office-hours",
            help=(
                "log: office hours and working weekdays from when the log's events happen, in a "
                "calendar file written beside the scenario that extends the chosen one (its "
                "holidays and make-up days); calendar: the chosen calendar's own hours."
            ),
        ),
    ] = "log",
    roster: Annotated[
        bool,
        typer.Option(
            "--roster",
            help=(
                "Also fit each department's staff by weekday and hour band from when its handlers "
                "are on duty (off by default: it did not improve the shipped benchmarks)."
            ),
        ),
    ] = False,
    route: Annotated[
        RouteForm,
        typer.Option(
            "--route",
            help=(
                "blocks: a route of steps, branches and parallel groups; markov: a chain of "
                "steps with the log's next-step shares; auto: the one whose activities keep the "
                "log's presence per case better."
            ),
        ),
    ] = "blocks",
    durations: Annotated[
        DurationForm,
        typer.Option(
            "--durations",
            help=(
                "families: the distribution family that fits each sample of durations best; "
                "empirical: each sample's own quantiles where it has 41 or more durations that no "
                "family fits exactly (--search tries both)."
            ),
        ),
    ] = "families",
    as_json: json_flag("Print the fit's evidence as JSON.") = False,
    max_log_mb: Annotated[
        float,
        typer.Option("--max-log-mb", min=1, help="The largest log to read into memory, in MB."),
    ] = 512,
    search: Annotated[
        bool,
        typer.Option(
            "--search",
            help=(
                "Choose --route, --recent and --roster (in place of the values given), and "
                "fitted families or each sample's own quantiles for durations, by the "
                "fidelity gauge: each choice fitted on the earlier four fifths of the fitted "
                "cases' events (by end) and simulated on the rest (5 replications); the lowest "
                "mean rank over the measures wins, a tie going to fewer changes to the defaults."
            ),
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="How many processes score the --search candidates (default: up to all cores).",
        ),
    ] = None,
):
    """Build a scenario from a centre's case log; every fitted number says where it came from."""
    claim_outputs([log, input_path(calendar)], [out])
    from slasim.calendar.units import parse_date
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import fit_log
    from slasim.fit.log import read_log
    from slasim.fit.writer import calendar_reference, scenario_yaml
    from slasim.io.errors import SlasimError
    from slasim.io.files import OutputSet
    from slasim.io.schema import validate as validate_model
    from slasim.scenario.plan import compile_plan
    from slasim.scenario.schema import Scenario

    until = parse_date(train_until, field="--train-until") if train_until else None
    since_date = parse_date(since, field="--since") if since else None
    if recent not in ("auto", "off"):
        raise SlasimError(
            "--recent is auto or off, not {value}", field="--recent", value=repr(recent)
        )
    if office_hours not in ("log", "calendar"):
        raise SlasimError(
            "--office-hours is log or calendar, not {value}",
            field="--office-hours",
            value=repr(office_hours),
        )
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
    options = {
        "name": name,
        "limit": limit,
        "promised": promised,
        "min_share": min_share,
        "since": since_date,
        "office": office_hours,
    }
    searched = None
    if search:
        import time

        from slasim.scenario.names import Verbatim

        # options set away from their defaults on the line, which the search's choice replaces
        values = {"--route": (str(route), "blocks"), "--recent": (recent, "auto")}
        values["--roster"] = (roster, False)
        values["--durations"] = (str(durations), "families")
        given = [name for name, (value, default) in values.items() if value != default]
        if given:
            warn(
                [
                    Text(
                        "--search replaces {options} given on the line",
                        options=Verbatim(", ".join(given)),
                    )
                ]
            )
        began = time.perf_counter()
        searched = run_search(events, calendar, until, train_share, options, workers)
        took = time.perf_counter() - began
        chosen = searched["candidates"][searched["chosen"]]["options"]
        route, recent, roster = chosen["route"], chosen["recent"], chosen["roster"]
        durations = chosen["durations"]
    from slasim.fit.families import empirical_durations

    with empirical_durations(durations == "empirical"):
        fitted = fit_log(
            events,
            calendar,
            train_until=until,
            train_share=train_share,
            recent=recent,
            roster=roster,
            routes=str(route),
            **options,
        )
    kept = (
        f"{fitted.evidence['test_cases']} kept for `slasim fidelity` (from {fitted.evidence['split']})"
        if fitted.evidence["split"]
        else "none kept (score it on a separate log: `slasim fidelity --test-log`)"
    )
    header = [
        f"Fitted by `slasim fit` from {log.name}: {fitted.evidence['train_cases']} cases fitted, "
        f"{kept}.",
        "Each fitted number's comment gives its sample size and fit; the limits say their source.",
    ]
    if searched is not None:
        fitted.evidence["search"] = searched
        from slasim.io.i18n import language

        with language("en"):  # the file is the same in every language
            header += search_lines(searched)
    if events.starts_estimated:
        header.append(
            f"{events.starts_estimated} start times were missing and estimated (the later of the "
            "previous completion in the case and the handler's previous completion)."
        )
    used = fitted.data["calendar"]  # the chosen calendar, or one with the log's office time
    office_file = None
    if fitted.office is None:
        fitted.data["calendar"] = calendar_reference(calendar, out)  # found from the file's folder
    elif out is not None:  # the office time fitted: a calendar file beside the scenario
        from slasim.fit.build import slug
        from slasim.fit.hours import calendar_text

        office_file = out.with_name(f"{out.stem}-office.toml")
        office_text = calendar_text(
            f"{slug(fitted.data['name'])}-office",
            calendar_reference(calendar, out),
            fitted.office,
            log.name,
            base=out.parent,
        )
        fitted.data["calendar"] = office_file.name
    text = scenario_yaml(fitted.data, fitted.comments, header)
    plan = compile_plan(  # it must run as written
        validate_model(Scenario, {**fitted.data, "calendar": used}, str(log)), str(log)
    )
    from slasim.scenario.names import Verbatim
    from slasim.staffing.load import overloaded  # a fitted desk that cannot keep up

    warn(
        Text("{where}: {line}", where=Verbatim(log.name), line=line)
        for line in [*fitted.warnings, *overloaded(plan)]
    )
    if out is not None:
        with OutputSet() as outputs:  # the scenario and its calendar, together or not at all
            outputs.write(out, text)
            if office_file is not None:
                outputs.write(office_file, office_text)
    if as_json:
        emit_json(fitted.evidence)
    elif out is None:
        typer.echo(text, nl=False)
    else:
        lines = summary(fitted, out, events.starts_estimated)
        if searched is not None:
            lines = [*search_lines(searched, took), *lines]
        typer.echo(terminal_text("\n".join(lines)))


def summary(fitted, out: Path, estimated: int) -> list[str]:
    """What `fit --out` prints, in the chosen language: the file written, the cases fitted and
    held out, drift, the office time, each step's family with its sample size and distance, and
    each department's staff with the handlers it rests on."""
    from slasim.io.i18n import _, localized

    data, evidence = fitted.data, fitted.evidence
    lines = [
        _("wrote {path} ({services} service(s), {departments} department(s))").format(
            path=out, services=len(data["services"]), departments=len(data["departments"])
        ),
        _("{fitted} of {cases} cases fitted; {held} held out for `slasim fidelity`").format(
            fitted=evidence["train_cases"], cases=evidence["cases"], held=evidence["test_cases"]
        )
        if evidence["split"]
        else _(
            "{fitted} of {cases} cases fitted; none held out (score it on a separate log: "
            "`slasim fidelity --test-log`)"
        ).format(fitted=evidence["train_cases"], cases=evidence["cases"]),
        _("drift: {drift}; fitted on {window}").format(
            drift=localized(evidence["drift"]["drift"]),
            window=localized(evidence["drift"]["window"]),
        ),
    ]
    if estimated:
        lines.append(_("{count} start times were missing and estimated").format(count=estimated))
    opened = {}
    if fitted.office is not None:
        lines.append(
            _("office time from the log: {hours}; weekend: {weekend}").format(
                hours=", ".join("–".join(pair) for pair in fitted.office["hours"]),
                weekend=weekdays_text(fitted.office["weekend"]) or _("none"),
            )
        )
        opened = {d: h for d, h in fitted.office.get("rest_days", {}).items() if h}
        if opened:
            lines.append(
                _("open on rest days (office time, not working days): {days}").format(
                    days=_("; ").join(
                        f"{weekdays_text([d])} " + ", ".join("–".join(p) for p in hours)
                        for d, hours in opened.items()
                    )
                )
            )
    per = (
        _("service {name}: {cases} cases fitted, {per_day} receipts per office day")
        if opened
        else _("service {name}: {cases} cases fitted, {per_day} receipts per working day")
    )
    for key, service in evidence.get("services", {}).items():
        lines.append(
            per.format(
                name=repr(key),
                cases=service["cases"],
                per_day=data["services"][key]["arrivals"]["per_day"],
            )
        )
        for activity, why in service["steps"].items():
            lines.append(
                _("  step {name}: {evidence}").format(name=repr(activity), evidence=localized(why))
            )
        if service["dropped_rare_activities"]:
            lines.append(
                _("  left out as rare: {names}").format(
                    names=", ".join(map(repr, service["dropped_rare_activities"]))
                )
            )
    for name, department in evidence.get("departments", {}).items():
        lines.append(
            _("department {name}: staff {staff} ({evidence})").format(
                name=repr(name),
                staff=data["departments"][name]["staff"],
                evidence=localized(department["staff"]),
            )
        )
    return lines


def weekdays_text(codes: list[str]) -> str:
    """Weekdays given by their codes in a scenario or calendar file (`sat`, `sun`) as a reader
    of the chosen language names them: `Sat, Sun`, 周六、周日."""
    from slasim.clock.explain import WEEKDAY
    from slasim.io.i18n import _
    from slasim.scenario.schema import WEEKDAYS

    return _(", ").join(_(WEEKDAY[WEEKDAYS.index(code)]) for code in codes)


# the search's option values as shown (the English is the value `slasim fit` takes)
VALUES = {
    "blocks": N_("blocks"),
    "markov": N_("markov"),
    "auto": N_("auto"),
    "off": N_("off"),
    "families": N_("families"),
    "empirical": N_("empirical"),
    True: N_("yes"),
    False: N_("no"),
}


def run_search(events, calendar: str, until, train_share: float, options: dict, workers) -> dict:
    """`fit --search` over the cases `fit` would fit (`slasim.fit.search`), with the gauge."""
    from slasim.calendar.workcalendar import load_calendar
    from slasim.evaluation.verdict import MIN_TEST_CASES
    from slasim.fit.build import split_cases
    from slasim.fit.search import Gauge, search
    from slasim.sim.parallel import default_workers

    train = split_cases(events, until, train_share, load_calendar(calendar))[1]
    gauge = Gauge(split=validation_split, score=gauge_scores, minimum=MIN_TEST_CASES)
    return search(
        events,
        calendar,
        train,
        gauge,
        fit_options=options,
        workers=workers or default_workers(),
    )


def validation_split(events, cases: set[str]) -> tuple:
    """(the case ids to fit, the validation frame, its case ids): the field's split of the events of
    `cases` (`evaluation.protocol.published_split`), on the calendar's wall clock."""
    from slasim.evaluation.frame import Frame, frame_of_events
    from slasim.evaluation.protocol import published_split

    whole = frame_of_events(events)
    fitting, validation = published_split(whole.events[whole.events["case_id"].isin(cases)])
    frame = Frame(validation.reset_index(drop=True), whole.aware, whole.source)
    return set(fitting["case_id"]), frame, set(validation["case_id"])


def gauge_scores(
    data: dict, validation, names: dict, replications: int, seed: int, floor: bool = True
) -> dict:
    """A fitted scenario's distances to the validation part on the field's first-N protocol:
    per measure the mean over the replications, its sd, each replication's distance, the
    real-halves floor and the unit."""
    from slasim.evaluation.fidelity import first_n
    from slasim.io.schema import validate
    from slasim.scenario.schema import Scenario

    scenario = validate(Scenario, data, "fit --search")
    result = first_n(
        scenario,
        validation,
        None,
        names=names,
        replications=replications,
        seed=seed,
        floor=floor,
        cut_at_end=False,
    )
    return {
        measure: {
            "mean": row["model"]["mean"],
            "sd": row["model"]["sd"],
            "values": row["model"]["values"],
            "floor": row["floor"]["mean"] if floor else None,
            "unit": row["unit"],
        }
        for measure, row in result["measures"].items()
    }


def search_lines(searched: dict, seconds: float | None = None) -> list[str]:
    """The search's table in the chosen language: what was searched (and in how long, when
    `seconds` is given: not in the file, which stays the same from run to run), the receipt dates
    and cases of the fitting and validation parts, a row per candidate (its options, its distance
    per measure ± the margin it is compared with the chosen by, its mean rank, the chosen one
    marked), the floor, the legend and the choice."""
    from tabulate import tabulate

    from slasim.calendar.units import as_date
    from slasim.evaluation.measures import SHORT
    from slasim.io.i18n import _, date_text, localized

    def cell(row: dict, m: str) -> str:
        scores, edge = row["scores"] or {}, (row["margin"] or {}).get(m)
        if m not in scores:
            return ""
        return f"{scores[m]:.3f}" + ("" if edge is None else f" ± {edge:.3f}")

    def dates(span) -> str:
        if span is None:
            return "-"
        return _("{first} to {last}").format(
            first=date_text(as_date(span[0])), last=date_text(as_date(span[1]))
        )

    measures = searched["measures"]
    rows = []
    for k, row in enumerate(searched["candidates"]):
        options = row["options"]
        notes = [_("chosen")] if k == searched["chosen"] else []
        if row["same_as"] is not None:
            notes.append(_("same scenario as #{number}").format(number=row["same_as"] + 1))
        if row["error"] is not None:
            notes.append(localized(row["error"]))
        rows.append(
            [
                f"#{k + 1}",
                *(_(VALUES[options[name]]) for name in ("route", "recent", "roster", "durations")),
                *(cell(row, m) for m in measures),
                "" if row["mean_rank"] is None else f"{row['mean_rank']:.2f}",
                _("; ").join(notes),
            ]
        )
    floor = searched["floor"]
    rows.append(
        [
            "",
            _("floor"),
            "",
            "",
            "",
            *(f"{floor[m]:.3f}" if m in floor else "" for m in measures),
            "",
            "",
        ]
    )
    headers = [
        "",
        _("route"),
        _("recent"),
        _("roster"),
        _("durations"),
        *(SHORT.get(m, m) for m in measures),
        _("mean rank"),
        "",
    ]
    chosen = searched["candidates"][searched["chosen"]]["options"]
    flags = (
        f"`--route {chosen['route']} --recent {chosen['recent']}"
        + (" --roster" if chosen["roster"] else "")
        + (" --durations empirical`" if chosen["durations"] == "empirical" else "`")
    )
    distinct = sum(
        row["same_as"] is None and row["scores"] is not None for row in searched["candidates"]
    )
    ranked = {row["mean_rank"] for row in searched["candidates"] if row["mean_rank"] is not None}
    if len(ranked) == 1 and searched["chosen"] == 0:  # no candidate clearly closer than another
        choice = _(
            "none clearly closer: fit's defaults kept (#1, {flags}); on every measure the "
            "candidates' differences are within noise of the replications"
        ).format(flags=flags)
    else:
        choice = _(
            "chosen: #{number} ({flags}), the lowest mean rank over {measures} measures (on a "
            "measure, two candidates tie when the mean of their per-replication differences is "
            "inside its {level:g} % confidence margin; a tie in mean rank goes to fewer changes "
            "to fit's defaults)"
        ).format(
            number=searched["chosen"] + 1,
            flags=flags,
            measures=len(measures),
            level=100 * searched["rule"]["confidence"],
        )
    counts = {"count": len(searched["candidates"]), "distinct": distinct}
    return [
        _("search over {count} candidates ({distinct} distinct scenarios scored)").format(**counts)
        if seconds is None
        else _(
            "search over {count} candidates ({distinct} distinct scenarios scored) in "
            "{seconds:.1f} s"
        ).format(**counts, seconds=seconds),
        _(
            "fitted on {fitting} of the {training} fitted cases, received {fitting_dates}; "
            "validated on {validation}, received {validation_dates} (the field's split: events "
            "by end, the first 80 % to fit, a case on both sides dropped; {reps} replications, "
            "seed {seed})"
        ).format(
            fitting=searched["fitting_cases"],
            training=searched["training_cases"],
            fitting_dates=dates(searched["fitting_received"]),
            validation=searched["validation_cases"],
            validation_dates=dates(searched["validation_received"]),
            reps=searched["replications"],
            seed=searched["seed"],
        ),
        *tabulate(rows, headers=headers, disable_numparse=True).splitlines(),
        _(
            "distances, lower is closer: CTDD cycle time, NGD 3-gram, CEDD circadian, AEDD "
            "absolute and REDD relative event times, CADD case arrivals (h but NGD and CEDD); "
            "lead_time_wd in working days, wip_cases in cases; ± the {level:g} % margin of a "
            "candidate's paired differences from the chosen one (a gap between their means "
            "larger than it is clear); floor: test cases against resampled test cases"
        ).format(level=100 * searched["rule"]["confidence"]),
        choice,
    ]
