"""`slasim report`: one self-contained HTML page (and charts) from a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import claim_outputs
from slasim.io.i18n import _

commands = typer.Typer()

REPORT_INPUTS = (
    "summary.json",
    "compare.json",
    "staffing.json",
    "fidelity.json",
    "forecast.json",
)
REPORT_MAX_MB = 64  # a results file larger than this is not one slasim wrote
CHART_FILES = tuple(
    f"{name}.{suffix}"
    for name in ("cards", "lead-times", "utilisation", "timeline", "cards-per-day")
    for suffix in ("png", "svg")
)


@commands.command()
def report(
    results: Annotated[
        Path,
        typer.Argument(
            help="A results folder written by run, compare, staff, fidelity or forecast --out."
        ),
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
        typer.echo(_("wrote {path}").format(path=path))
