"""`slasim check`: golden-file deadline checks for CI, with exit codes and CI report formats."""

from __future__ import annotations

import os
from enum import StrEnum
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Annotated

import typer

from slasim.cli.common import claim_outputs, emit_json, warn
from slasim.cli.options import Strict, json_flag
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text, When, os_reason

commands = typer.Typer()


class CheckFormat(StrEnum):
    """How `slasim check` prints its outcomes."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


@commands.command()
def check(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Check files (YAML, JSON or CSV) listing cases and their expected due dates and cards."
        ),
    ],
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here.")
    ] = None,
    output_format: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            help="How to print the outcomes: text; json; github (::error annotations, and a job summary in "
            "$GITHUB_STEP_SUMMARY); sarif (code scanning).",
        ),
    ] = CheckFormat.text,
    as_json: json_flag("Same as --format json.") = False,
    strict: Strict = False,
):
    """Check due dates and cards against golden files, for CI.

    Exit 0 when every case passes, 1 when any case fails, 2 for an invalid file (or, with
    --strict, a case past the calendar's published years)."""
    output_format = CheckFormat.json if as_json else output_format
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if output_format == CheckFormat.github else None
    claim_outputs(files, [junit_xml], appended=[summary or None])
    from slasim.checks import report
    from slasim.checks.engine import check_files
    from slasim.io.files import write_atomic

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
            if summary:
                try:
                    with open(summary, "a", encoding="utf-8") as handle:
                        handle.write(report.job_summary(results))
                except OSError as exc:  # a full disk
                    raise SlasimError(
                        "cannot append the job summary ({reason})",
                        source=summary,
                        field="GITHUB_STEP_SUMMARY",
                        reason=os_reason(exc),
                    ) from None
        typer.echo("\n".join(report.text_report(results)))
    # Over 100,000 outcomes: their fields read by `attrgetter`, not a Python call each.
    provisional = [
        (source, o)
        for source, outcomes in results
        for o in compress(outcomes, map(attrgetter("provisional"), outcomes))
    ]
    if provisional:
        source, first = provisional[0]
        message = Text(
            "{count} case(s) accepted or due past the calendar's published years (provisional), "
            "first {name} due {due}",
            count=len(provisional),
            name=repr(first.name),
            due=When(first.got["due"]["legal"]),
        )
        if strict:
            raise SlasimError(
                "{warning} (--strict)",
                source=source,
                field=f"cases[{first.index}]",
                warning=message,
            )
        warn([message])
    if any(any(map(attrgetter("failures"), outcomes)) for _, outcomes in results):  # a failure
        raise typer.Exit(1)
