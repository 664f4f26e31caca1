"""`slasim app`: the planner's workbench, a local web page (the `app` extra: Streamlit)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

commands = typer.Typer()


@commands.command("app")
def workbench(
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario files to open (default: the shipped scenarios)."),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (only this machine by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8501,
):
    """A page in the browser to open a centre, move staff and reforms and see cards change."""
    from slasim.workbench.launch import serve

    serve(scenarios or [], host=host, port=port)
