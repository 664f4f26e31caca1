"""`slasim scenarios`: the scenarios shipped with slasim, by name, with their own descriptions."""

from __future__ import annotations

import typer

from slasim.cli.common import emit_json
from slasim.cli.options import json_flag

commands = typer.Typer()


@commands.command()
def scenarios(as_json: json_flag() = False):
    """List the shipped scenarios, each with its description.

    Give a name to run, compare, sweep or staff it, or copy its file (slasim's scenarios/ folder)
    to start your own."""
    from textwrap import wrap

    from tabulate import tabulate

    from slasim.scenario.shipped import shipped_scenarios

    rows = shipped_scenarios()
    if as_json:
        emit_json([{"name": name, "description": text} for name, text in rows])
    else:
        width = 120 - 2 - max((len(name) for name, _ in rows), default=0)  # within 120 columns
        wrapped = [(n, "\n".join(wrap(text, width, break_on_hyphens=False))) for n, text in rows]
        typer.echo(tabulate(wrapped, headers=["name", "description"]))
