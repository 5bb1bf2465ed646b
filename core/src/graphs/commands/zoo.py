"""``graphs zoo list``: the models built from configs (no weights)."""

from __future__ import annotations

from typing import Callable

import typer

from graphs import hookimpl
from graphs.cli_options import Format, FormatOpt, OutputOpt
from graphs.output import to_json

app = typer.Typer(name="zoo", no_args_is_help=True, help="The model zoo (built from configs, no weights).")


@app.command("list")
def zoo_list(
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    """List zoo models."""
    from rich.table import Table

    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    gp = _plugins()
    entries = sorted((e for e, _ in gp.models.values()), key=lambda e: (e.family, e.name))
    if as_json or fmt is Format.json:
        write_output(to_json([{"name": e.name, "family": e.family, "task": e.task, "params": e.params,
                                  "aliases": list(e.aliases), "description": e.description} for e in entries],
                                indent=2), output)
        return
    header = ("name", "family", "task", "params", "description")
    rows = [(e.name, e.family, e.task, e.params, e.description) for e in entries]
    if fmt in (Format.csv, Format.markdown):
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    t = Table(title=f"{len(entries)} zoo model(s)" + ("" if entries else
              " — no frontend registers zoo models (pip install graphs-frontend-fx)"), title_justify="left")
    for c in header:
        t.add_column(c)
    for r in rows:
        t.add_row(*r)
    print_renderables([t], output)
    warn_failed_plugins(gp)


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs zoo``."""
    register(app)
