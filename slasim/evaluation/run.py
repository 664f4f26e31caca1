"""`slasim fidelity` from files: read the real log(s), tell the test cases from the fitted ones,
check the two sides' activities, and run the chosen protocol (`first-n`: `evaluation.fidelity`;
`window`: `evaluation.window`).

`evaluation` sits beside `fit`, not above it: the caller hands in `fit`'s log reader
(`read_events`, for logs the field's pandas reader cannot read: lifecycle rows, no start times,
XES) and its naming rule (`slug`, a step's name from an activity's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim


@dataclass(frozen=True)
class FidelityJob:
    """What one fidelity run needs: the compiled scenario, the log(s), how to run it, and the two
    things `fit` lends (`read_events`: its log reader; `slug`: a step's name from an activity's)."""

    plan: object
    source: str
    log: Path
    test_log: Path | None
    columns: dict
    replications: int
    seed: int
    max_cases: int
    run_on: dict
    progress: object
    max_mb: float
    read_events: object
    slug: object


def run_fidelity(protocol: str, job: FidelityJob) -> tuple[dict, list, object]:
    """(result, simulated logs, their time zone) of one fidelity run by `protocol`."""
    return (_first_n if protocol == "first-n" else _window)(job)


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
    return Text(
        "{early} of the test log's {cases} cases were received by the fit's last fitted "
        "receipt ({until}): some may be cases the model was fitted on",
        early=early,
        cases=test.cases,
        until=provenance.fitted_until,
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
        return train, held, Text("the field's split (first 80 % of events by end)")
    if provenance.fitted_until is not None:
        train, held = received_after(
            whole.events, whole.received, _instant(provenance.fitted_until, plan, whole.aware)
        )
        set_aside = int(train["case_id"].nunique())
        if held.empty:
            raise SlasimError(
                "every case of the log was received by the fit's last fitted receipt "
                "({until}): none is left to test; give a separate --test-log with later cases",
                source=str(log),
                until=provenance.fitted_until,
            )
        return (
            train,
            held,
            Text(
                "cases received after the fit's last fitted receipt {until}; "
                "{count} earlier cases set aside as ones the fit saw or could have seen",
                until=provenance.fitted_until,
                count=set_aside,
            ),
        )

    def caveat(split: Text) -> Text:
        return Text(
            "{split} (caveat: a file fitted before its fitted period was recorded; the log is "
            "told from the fitted one by its file name only: refit to score by receipt instants)",
            split=split,
        )

    if provenance.log != log.name:  # fitted elsewhere: LOG is the test log
        seen = Text("a log the fit never saw; it fitted {log}", log=Verbatim(provenance.log))
        return None, whole.events, caveat(seen)
    if provenance.split is None:
        raise SlasimError(
            "every case of this log was fitted: give a separate --test-log", source=str(log)
        )
    train, held = split_at(whole.events, _instant(provenance.split, plan, whole.aware))
    return train, held, caveat(Text("the fit's split at {split}", split=provenance.split))


def _events(job: FidelityJob, path: Path):
    """A log through `fit`'s reader (event columns on the calendar's wall clock)."""
    columns = job.columns
    return job.read_events(
        path,
        job.plan.calendar,
        case=columns["case_id"],
        activity=columns["activity"],
        start=columns["start_time"],
        end=columns["end_time"],
        resource=columns["resource"],
        max_mb=job.max_mb,
    )


def _read(job: FidelityJob, path: Path, fallback: bool = False):
    """A log as the field reads it (pandas, UTC); a log it cannot read that way (lifecycle rows, no
    start times, XES) through `fit`'s reader, its wall clock taken as UTC."""
    from slasim.evaluation.frame import frame_of_events, read_frame

    if not fallback and path.suffix.lower() != ".xes":
        try:
            return read_frame(path, job.columns, job.max_mb)
        except SlasimError as err:
            if err.field != "start_time":
                raise
    return frame_of_events(_events(job, path))


def _first_n(job: FidelityJob):
    """The field's protocol: N cases from the test log's first start, run to completion."""
    from slasim.evaluation.fidelity import first_n
    from slasim.evaluation.frame import Frame
    from slasim.evaluation.vocabulary import check, simulated_share

    plan, log, test_log, reps = job.plan, job.log, job.test_log, job.replications
    whole = _read(job, log)
    if test_log is not None:
        test = _read(job, test_log)
        if test.aware != whole.aware:  # both read the same way, as the simulated side will be
            whole = _read(job, log, fallback=True)
            test = _read(job, test_log, fallback=True)
        train = whole.events
        split = Text("separate test log")
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
    if test.cases * reps > job.max_cases:
        raise SlasimError(
            "{cases:,} cases × {reps} replications: over the bound of {bound:,}; "
            "give --max-cases {needed} to run it anyway",
            field="--max-cases",
            cases=test.cases,
            reps=reps,
            bound=job.max_cases,
            needed=test.cases * reps,
        )
    names = _names(plan, [test.events] + ([] if train is None else [train]), job.slug)
    vocabulary = check(_model_activities(plan, names), test.events["activity"], test.source)
    try:
        result = first_n(
            plan.scenario,
            test,
            train,
            names=names,
            replications=reps,
            seed=job.seed,
            source=job.source,
            progress=job.progress,
            keep_logs=True,
            **job.run_on,
        )
    except SlasimError as err:
        if err.field == "start" or "calendar" in err.message:
            raise SlasimError(
                "the test log's cases fall outside the scenario's calendar ({problem})",
                source=test.source,
                problem=err.message if isinstance(err.message, Text) else Text(err.message),
            ) from None
        raise
    result["log"] = str(log)
    result["settings"]["split"] = split
    logs = result.pop("_logs")
    _with_vocabulary(result, simulated_share(vocabulary, logs))
    if early:
        result["warnings"].append(early)
    return result, logs, plan.calendar.tz if test.aware else None


def _window(job: FidelityJob):
    """slasim's window view: the scenario's measured window against the log's cases in it."""
    import pandas as pd

    from slasim.evaluation.verdict import few_cases
    from slasim.evaluation.vocabulary import check
    from slasim.evaluation.window import window_fidelity
    from slasim.sim.workload import check_workload

    plan, reps = job.plan, job.replications
    check_workload([(plan, reps)], job.max_cases, simpy_first=True)
    events = _events(job, job.test_log or job.log)
    names = _names(plan, [pd.DataFrame({"activity": events.activity})], job.slug)
    steps = pd.Series(events.activity[~events.milestone])
    vocabulary = check(_model_activities(plan, names), steps, events.source)
    result = window_fidelity(
        plan, events, names=names, replications=reps, seed=job.seed, progress=job.progress,
        **job.run_on,
    )  # fmt: skip
    result["warnings"] = [w for w in [few_cases(result["real_cases"])] if w]
    _with_vocabulary(result, vocabulary)
    return result, [], None
