"""What the commands share besides options: JSON printing, warnings, the progress bar, output
the output guard before work starts, where replications run, and the checks before simulating."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import typer

from slasim.io.errors import SlasimError, one_line, terminal_text
from slasim.io.i18n import Text, _, localized


def emit_json(data) -> None:
    """Print one JSON document (UTF-8 text kept as is)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def executor(workers: int | None, scheduler: str | None) -> dict:
    """Where replications run: the Dask scheduler if one is named, else a pool over the cores."""
    from slasim.sim.parallel import default_workers, scheduler_address

    return {"workers": workers or default_workers(), "scheduler": scheduler_address(scheduler)}


def pool_size(workers: int | None, scheduler: str | None, runs) -> int | None:
    """--workers as given; when not, as many as the work of (plan, replications) `runs` pays for
    (`sim.workload.choose_workers`; one process for a short run)."""
    from slasim.sim.parallel import default_workers, scheduler_address

    if workers or scheduler_address(scheduler):
        return workers
    from slasim.sim.workload import choose_workers

    return choose_workers(list(runs), default_workers())


def result_warnings(source: str, lines: list[str], as_json: bool, quiet: bool) -> None:
    """Warnings about the results (e.g. a growing backlog before acceptance): in the text report,
    and on stderr too when the report is JSON."""
    if as_json and not quiet:
        warn(Text("{where}: {line}", where=source, line=line) for line in lines)


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


def claim_outputs(inputs=(), files=(), folders=None, appended=()) -> None:
    """Before any work: check every output of the command against its inputs, each other and
    other live slasim commands, and lock the folders written to until the command ends
    (`slasim.io.guard`; one located error for the first problem). `cli.main` releases the
    locks when the command ends, however it ends."""
    from slasim.io.guard import claim_outputs as claim

    claim(inputs, files, folders, appended=appended)


def input_path(name: str | Path | None) -> Path | None:
    """A command-line name that is a file on disk (a scenario or calendar may also be the name of
    a shipped one), else None."""
    if name is None:
        return None
    path = Path(name)
    try:
        return path if path.exists() else None
    except OSError:
        return None


def warn(lines) -> None:
    """Print each line on stderr as `warning: …`."""
    for line in lines:  # names from files are shown on one line, control characters escaped
        text = terminal_text(one_line(localized(line)))
        typer.echo(_("warning: {message}").format(message=text), err=True)


def before_simulating(
    plans, source: str, strict: bool, quiet: bool, *, load: bool = True, labels=None
) -> None:
    """Before simulating the compiled `plans`: a period past the calendar's published years
    (holidays not yet announced) is refused with --strict, else warned on stderr (unless
    --quiet); the results say `provisional` either way. Staff changes outside the period, and
    (with `load`; not for a staffing search, which tries too few staff on purpose) departments
    that cannot keep up with their offered load are warned about too — for every plan (a reform,
    a grid point), located by its `labels` entry; a reform's warning the baseline (an unlabelled
    first plan) already gave is not repeated."""
    baseline: list[str] = []
    for i, plan in enumerate(plans):
        label = labels[i] if labels else None
        where = f"{source} ({label})" if label else source
        if not quiet:
            if i == 0:
                warn(
                    Text("{where}: {line}", where=source, line=line)
                    for line in plan.period_warnings()
                )
            if load:
                from slasim.staffing.load import overloaded

                lines = overloaded(plan)
                if i == 0 and label is None:
                    baseline = lines
                warn(
                    Text("{where}: {line}", where=where, line=line)
                    for line in lines
                    if i == 0 or line not in baseline
                )
        if plan.provisional:
            name = repr(plan.calendar.name)
            if strict:
                raise SlasimError(
                    "the period passes the years calendar {name} has published: results are "
                    "provisional (--strict)",
                    source=source,
                    field="start",
                    name=name,
                )
            if not quiet:
                warn(
                    [
                        Text(
                            "the period passes the years calendar {name} has published: "
                            "results are provisional",
                            name=name,
                        )
                    ]
                )
            return
