"""``graphs zoo list``: the models built from configs (no weights)."""

from __future__ import annotations

from typing import Callable

import typer

from graphs import hookimpl
from graphs.cli_options import Format, FormatOpt, OutputOpt

app = typer.Typer(name="zoo", no_args_is_help=True, help="The model zoo (built from configs, no weights).")


@app.command("list")
def zoo_list(
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """List zoo models."""
    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.documents import render
    from graphs.fmt import parse_count
    from graphs.tables import Col, fit_table, terminal_width
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    from graphs.zoo import entries as zoo_entries, entry_row

    gp = _plugins()
    entries = zoo_entries(gp)
    if fmt is Format.json:
        write_output(render("graphs.zoo.list", {"models": [entry_row(e) for e in entries]}), output)
        warn_failed_plugins(gp)
        return
    header = ("name", "family", "task", "parameters", "description")
    if fmt in (Format.csv, Format.markdown):
        rows = [(e.name, e.family, e.task, parse_count(e.params), e.description) for e in entries]
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        warn_failed_plugins(gp)
        return
    cols = [Col("name", 0), Col("params", 1, "right"), Col("task", 3, wrap=True, min_width=14),
            Col("family", 4), Col("description", 2, wrap=True, min_width=24)]
    rows = [(e.name, e.params, e.task, e.family, e.description) for e in entries]
    title = f"{len(entries)} zoo model(s)" + ("" if entries else
                                              " — no frontend registers zoo models (pip install graphs-frontend-fx)")
    print_renderables([fit_table(title, cols, rows, terminal_width(output))], output)
    warn_failed_plugins(gp)


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs zoo``."""
    register(app)
