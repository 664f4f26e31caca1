"""The `slasim` command line: the Typer app, its commands gathered from one module per command
group, and `main`, where the exit codes are decided. No rules live here.

Exit codes (decided only in `main`): 0 success, 1 a check failed, 2 bad input (one line on stderr).
Every command imports what it needs inside its function, so `import slasim.cli` stays light.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from slasim.cli import check, deadline, fidelity, fit, scenarios, simulate, staff
from slasim.cli.metavars import ClickStyleGroup
from slasim.cli.options import MAX_CASES
from slasim.io.errors import SlasimError

__all__ = ["MAX_CASES", "app", "main"]

app = typer.Typer(
    cls=ClickStyleGroup,
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command inherits -h
    help="Legal deadlines on working-day calendars, card checks, and service-centre simulation.",
)
for group in (deadline, check, scenarios, simulate, staff, fit, fidelity):
    app.add_typer(group.commands)
app.add_typer(deadline.calendar_app, name="calendar")


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
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Legal deadlines on working-day calendars, card checks, and service-centre simulation."""


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
