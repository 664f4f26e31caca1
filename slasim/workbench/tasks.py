"""The other pages' logic: each calls the library functions its command calls, with the same
arguments, and gives the command line that does the same (`slasim deadline`, `staff`, `forecast`,
`fit`, `fidelity`). No Streamlit here: the pages draw what these return.
"""

from __future__ import annotations

from pathlib import Path

from slasim.io.errors import SlasimError


# ---------------------------------------------------------------- Deadline
def deadline(start: str, limit: str, calendar: str, extensions: list[str]):
    """`slasim deadline START LIMIT --calendar C --extension … --explain`'s result."""
    from slasim.calendar.units import parse_instant
    from slasim.clock.deadline import compute_deadline

    return compute_deadline(
        limit,
        accepted=parse_instant(start, field="START"),
        calendar=calendar,
        extensions=extensions,
        strict=False,
        explain=True,
    )


def deadline_args(start: str, limit: str, calendar: str, extensions: list[str]) -> list[str]:
    args = ["slasim", "deadline", start, limit, "--calendar", calendar]
    for extension in extensions:
        args += ["--extension", extension]
    return args + ["--explain"]


def calendars() -> list[str]:
    """The calendars available by name (shipped, and ./calendars/)."""
    from slasim.calendar.files import list_calendars

    return list(list_calendars())


# ---------------------------------------------------------------- How many staff
def staffing(
    data: dict,
    source: str,
    targets: list[str],
    *,
    service: str | None,
    reforms: list[str],
    confidence: float,
    budget: int,
    seed: int,
    progress=None,
) -> dict:
    """`slasim staff`'s result (the cheapest staffing per reform set, with its evidence and the
    frontier of the candidates simulated); a target no staffing meets is one located error."""
    from slasim.scenario.loader import check_scenario
    from slasim.sim.workload import MAX_CASES
    from slasim.staffing.search import find_staffing, infeasible_message
    from slasim.staffing.targets import parse_target

    check_scenario(data, source)
    parsed = [parse_target(t, service) for t in targets]
    if not parsed:
        raise SlasimError("give at least one target, e.g. red<=1%", field="--target")
    result = find_staffing(
        data,
        source,
        parsed,
        reform_sets=[[name] for name in reforms],
        low={},
        high={},
        costs={},
        only=None,
        confidence=confidence,
        budget=budget,
        max_reps=40,
        seed=seed,
        progress=progress,
        strict=False,
        workers=1,
        scheduler=None,
        max_cases=MAX_CASES,
    )
    message = infeasible_message(result)
    if message:
        raise SlasimError(message, source=source, field="--target")
    return result


def staffing_args(name: str, targets, service, reforms, confidence, budget, seed) -> list[str]:
    args = ["slasim", "staff", name]
    for target in targets:
        args += ["--target", target]
    if service:
        args += ["--service", service]
    for reform in reforms:
        args += ["--reform", reform]
    return args + [
        "--confidence",
        f"{confidence:g}",
        "--budget",
        str(budget),
        "--seed",
        str(seed),
        "--frontier",
    ]


# ---------------------------------------------------------------- This week
def forecast(
    data: dict, source: str, path: Path, *, as_of, horizon, reps, seed, prevent=None
) -> dict:
    """`slasim forecast SCENARIO --open FILE [--prevent red<=N]`'s result."""
    from slasim.forecast.risk import forecast_open_file
    from slasim.io.schema import validate
    from slasim.scenario.schema import Scenario

    spec = validate(Scenario, data, source)
    return forecast_open_file(
        spec, path, as_of=as_of, horizon=horizon, replications=reps, seed=seed, source=source,
        prevent_target=prevent_target(prevent),
    )  # fmt: skip


def prevent_target(prevent: str | None) -> dict | None:
    """`--prevent red<=N` as the forecast takes it (the search's own defaults: today's open
    cases, at most 2 extra staff at a desk, any desk), or None without a target."""
    if prevent is None:
        return None
    from slasim.forecast.prevent import parse_prevent

    return parse_prevent(prevent)


def forecast_args(name: str, open_name: str, as_of, horizon: str, reps: int, seed: int):
    args = ["slasim", "forecast", name, "--open", open_name, "--horizon", horizon]
    if as_of:
        args += ["--as-of", as_of]
    return args + ["--reps", str(reps), "--seed", str(seed)]


def forecast_from_log(
    data: dict, source: str, path: Path, *, as_of, horizon, reps, seed, prevent=None
) -> dict:
    """`slasim forecast SCENARIO --log LOG --as-of T [--prevent red<=N]`'s result (the log's open
    cases at T)."""
    from slasim.fit.build import slug
    from slasim.fit.log import read_log
    from slasim.forecast.from_log import forecast_log
    from slasim.io.schema import validate
    from slasim.scenario.schema import Scenario

    spec = validate(Scenario, data, source)
    result = forecast_log(
        spec, path, read_log, slug, as_of=as_of, horizon=horizon, replications=reps, seed=seed,
        source=source, prevent_target=prevent_target(prevent),
    )  # fmt: skip
    return renamed(result, str(path), path.name)


def forecast_log_args(name: str, log_name: str, as_of, horizon: str, reps: int, seed: int):
    args = ["slasim", "forecast", name, "--log", log_name, "--as-of", as_of or "T"]
    return args + ["--horizon", horizon, "--reps", str(reps), "--seed", str(seed)]


def shipped_open_cases(name: str) -> Path | None:
    """The shipped open-cases example of a shipped scenario, if there is one."""
    from slasim.io.files import shipped_dir

    path = shipped_dir("scenarios") / "open-cases" / f"{Path(name).stem}.yaml"
    return path if path.is_file() else None


# ---------------------------------------------------------------- From our log
OFFICE_CHOICES = ("log", "calendar")  # `slasim fit --office-hours`, its default first


def fit(path: Path, calendar: str, *, train_share: float, max_mb: float, office: str = "log"):
    """`slasim fit LOG --calendar C --train-share S --office-hours O --out NAME.yaml`: the fitted
    scenario's data (compiled, so it runs as written), its YAML text with the evidence beside
    each number, the text of the office calendar `fit` writes beside it (None with
    `--office-hours calendar`), and the warnings (`fit`'s, and departments that cannot keep up).
    The data runs on the fitted office calendar `fit_log` keeps in slasim's cache folder; the
    YAML names it as `fit --out` does, `NAME-office.toml` beside the scenario."""
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import fit_log, slug
    from slasim.fit.hours import calendar_text
    from slasim.fit.log import read_log
    from slasim.fit.writer import calendar_reference, scenario_yaml
    from slasim.io.schema import validate
    from slasim.scenario.plan import compile_plan
    from slasim.scenario.schema import Scenario
    from slasim.staffing.load import overloaded

    events = read_log(path, load_calendar(calendar), max_mb=max_mb)
    fitted = fit_log(events, calendar, train_share=train_share, office=office)
    written = dict(fitted.data)
    office_text = None
    if fitted.office is None:
        fitted.data["calendar"] = written["calendar"] = calendar_reference(calendar, None)
    else:
        name = slug(fitted.data["name"])
        office_text = calendar_text(f"{name}-office", calendar, fitted.office, path.name)
        written["calendar"] = f"{fitted.data['name']}-office.toml"
    plan = compile_plan(validate(Scenario, fitted.data, path.name), path.name)
    text = scenario_yaml(written, fitted.comments, [])
    return fitted.data, text, office_text, [*fitted.warnings, *overloaded(plan)]


def fit_args(log_name: str, calendar: str, train_share: float, office: str = "log") -> list[str]:
    args = ["slasim", "fit", log_name, "--calendar", calendar, "--train-share", f"{train_share:g}"]
    return args + (["--office-hours", office] if office != "log" else [])


def fidelity_ready() -> bool:
    """Whether the field's measures are installed (the `fit` extra)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("pandas", "log_distance_measures"))


def fidelity(data: dict, source: str, path: Path, *, reps: int, seed: int, max_mb: float, progress):
    """`slasim fidelity SCENARIO LOG --protocol first-n`'s result (the cases the fit kept aside
    scored against the model, the replay, the bootstrap and the floor)."""
    from slasim.evaluation.run import FidelityJob, run_fidelity
    from slasim.fit.build import slug
    from slasim.fit.log import read_log
    from slasim.scenario.loader import check_scenario
    from slasim.sim.workload import MAX_CASES

    plan = check_scenario(data, source)
    columns = dict.fromkeys(("case_id", "activity", "resource", "start_time", "end_time"))
    job = FidelityJob(
        plan, source, path, None, columns, reps, seed, MAX_CASES,
        {"workers": 1, "scheduler": None}, progress, max_mb, read_events=read_log, slug=slug,
    )  # fmt: skip
    result, _logs, _tz = run_fidelity("first-n", job)
    return renamed(result, str(path), path.name)


def renamed(value, old: str, new: str):
    """`value` with the text `old` (an upload's temporary path) written `new` (its name)."""
    if isinstance(value, str):
        return value.replace(old, new) if old in value else value
    if isinstance(value, dict):
        return {key: renamed(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [renamed(item, old, new) for item in value]
    return value


def fidelity_args(scenario_name: str, log_name: str, reps: int, seed: int) -> list[str]:
    return [
        "slasim",
        "fidelity",
        scenario_name,
        log_name,
        "--reps",
        str(reps),
        "--seed",
        str(seed),
    ]
