"""The `slasim` command line: the Typer app, its commands gathered from one module per command
group, and `main`, where the exit codes are decided. No rules live here.

Exit codes (decided only in `main`): 0 success, 1 a check failed, 2 bad input (one line on stderr).
Every command imports what it needs inside its function, so `import slasim.cli` stays light.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from slasim.cli import (
    check,
    deadline,
    fidelity,
    fit,
    forecast,
    report,
    scenarios,
    simulate,
    staff,
    workbench,
)
from slasim.cli.language import LANG_HELP, take_language
from slasim.cli.metavars import ClickStyleGroup
from slasim.cli.options import MAX_CASES
from slasim.io.errors import SlasimError, one_line
from slasim.io.i18n import _, localized

__all__ = ["MAX_CASES", "app", "main"]

GROUPS = (deadline, check, scenarios, simulate, report, staff, forecast, fit, fidelity, workbench)
NAMED = {"calendar": deadline.calendar_app}


def make_app(groups=GROUPS, named=NAMED) -> typer.Typer:
    """The Typer app with these command groups (all of them: the `slasim` command line)."""
    made = typer.Typer(
        cls=ClickStyleGroup,
        add_completion=True,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},  # every command inherits -h
        help="Legal deadlines on working-day calendars, card checks, and service-centre simulation.",
    )
    for group in groups:
        made.add_typer(group.commands)
    for name, sub in named.items():
        made.add_typer(sub, name=name)
    made.callback()(_main_options)
    return made


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"slasim {version('slasim')}")
        except PackageNotFoundError:  # a checkout run without installing
            typer.echo(_("slasim (not installed)"))
        raise typer.Exit(0)


def _main_options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    lang: Annotated[str | None, typer.Option("--lang", metavar="zh|en", help=LANG_HELP)] = None,
) -> None:
    """Legal deadlines on working-day calendars, card checks, and service-centre simulation."""


app = make_app()


def app_for(args: list[str]) -> typer.Typer:
    """The app that runs `args`: when they start with a command's name, one holding only that
    command's group (Typer builds the options of every command it holds before parsing, which
    is most of a short command's own start-up); else the whole app (help, completion, a typo)."""
    import os

    if not args or any(k.startswith("_SLASIM_COMPLETE") for k in os.environ):
        return app
    if args[0] in NAMED:
        return make_app((), {args[0]: NAMED[args[0]]})
    for group in GROUPS:
        names = {
            info.name or info.callback.__name__.replace("_", "-")
            for info in group.commands.registered_commands
        }
        if args[0] in names:
            return make_app((group,), {})
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point; the exit-code policy lives here and only here: 0 success, 1 a check
    failed, 2 bad input or a file that cannot be written (one line on stderr), 70 an unexpected
    error (a bug: one line, and the traceback with --debug), 130 interrupted (SIGINT), 128 + N
    ended by signal N (143 SIGTERM, 129 SIGHUP, …), 141 standard output closed before all was
    printed (as a process killed by SIGPIPE; one line on stderr). Every signal unwinds the run,
    so pool workers stop and staged outputs are removed."""
    import os

    from slasim.io.interrupts import Terminated, install

    # pydantic looks for plugins in every installed distribution's entry points when it builds
    # the first model; the command line validates only its own files, which need none (as Typer
    # does for its adapters). A value the user set is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    if argv is None:  # the console entry point, not a caller's process
        install()
        if not _stdout_open():
            typer.echo(_("error: standard output is closed (nothing could be printed)"), err=True)
            sys.exit(2)
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        code = _run(take_language(args))
    except SlasimError as exc:
        typer.echo(_("error: {message}").format(message=exc), err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo(_("interrupted"), err=True)
        sys.exit(130)
    except Terminated as exc:
        if exc.signum == 15:
            typer.echo(_("terminated"), err=True)
        else:
            typer.echo(_("terminated ({signal})").format(signal=exc.name), err=True)
        sys.exit(128 + exc.signum)
    except BrokenPipeError:
        _drop_stdout()
        typer.echo(_("error: standard output was closed before everything was printed"), err=True)
        sys.exit(141)
    except OSError as exc:  # a full disk, a name too long, a folder where a file should be
        _drop_stdout()
        if exc.filename:
            where = f"{_short(str(exc.filename))}: "
        else:
            where = _("standard output: ") if _on_stdout(exc) else _("cannot write: ")
        message = one_line(where + localized(exc.strerror or str(exc)))
        typer.echo(_("error: {message}").format(message=message), err=True)
        sys.exit(2)
    except typer.TyperException as exc:  # usage errors (missing argument, unknown option)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if not message.strip():  # no command given: the help was printed, nothing went wrong
            sys.exit(0)
        typer.echo(_("error: {message} (see --help)").format(message=message), err=True)
        sys.exit(2)
    except Exception as exc:  # a bug: never a wall of text unless asked for
        if debug:
            raise
        text = " ".join(str(exc).split())[:300]
        bug = _(
            "error: unexpected {kind}: {text} (a bug in slasim: rerun with --debug for the "
            "traceback, and report it)"
        )
        typer.echo(bug.format(kind=type(exc).__name__, text=text), err=True)
        sys.exit(70)
    if code == 130:  # Typer returns an interrupt as exit code 130
        typer.echo(_("interrupted"), err=True)
    sys.exit(code if isinstance(code, int) else 0)


def _run(args: list[str]):
    """Run the command; the output folders it locked are released when it ends, however."""
    from slasim.io.files import inputs_tracked
    from slasim.io.guard import release_all

    try:
        with inputs_tracked():
            code = app_for(args)(args=args, prog_name="slasim", standalone_mode=False)
        sys.stdout.flush()  # a full disk behind `> file` is an error, not an exit-time warning
        return code
    except SystemExit as exc:  # Typer turns a closed pipe into a silent exit 1: say it
        if isinstance(exc.__context__, BrokenPipeError):
            raise exc.__context__ from None
        raise
    finally:
        release_all()


def _short(name: str, most: int = 200) -> str:
    """A file name as shown in a message: its start and end when it is very long."""
    return name if len(name) <= most else f"{name[: most // 2]}…{name[-most // 2 :]}"


def _on_stdout(exc: BaseException) -> bool:
    """Whether an error without a file name arose writing to standard output (in `echo`, or the
    final flush), not in a result file being written."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_name in ("echo", "_run")


def _stdout_open() -> bool:
    """Whether file descriptor 1 is open (a command started with `>&-` has none, and the first
    file slasim opened would take its number)."""
    import os

    try:
        os.fstat(1)
    except OSError:
        return False
    return sys.stdout is not None


def _drop_stdout() -> None:
    """After stdout failed (a closed pipe, a full disk): send what is still buffered nowhere, so
    Python's flush at exit does not print a second error."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
        pass
