"""``graphs tools list|doctor``: installed tool adapters and whether each tool can run here."""

from __future__ import annotations

from typing import Any

import typer

from graphs.cli_options import Format, FormatOpt, OutputOpt
from graphs.output import to_json

app = typer.Typer(name="tools", no_args_is_help=True,
                  help="Third-party tool adapters (Timeloop, ASTRA-sim, VIDUR, NeuSight, nn-Meter ...).")


def _table(diags: list[Any], title: str) -> Any:
    from rich.markup import escape
    from rich.table import Table
    t = Table(title=title, title_justify="left")
    for c in ("tool", "status", "class", "reason", "fix"):
        t.add_column(c, overflow="fold")
    for d in diags:
        colour = "green" if d.ok else "red"
        t.add_row(d.tool, f"[{colour}]{d.status.value}[/]", d.failure_class or "", escape(d.reason), escape(d.fix or ""))
    return t


def _emit(diags: list[Any], fmt: Format, output: Any, title: str) -> None:
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv
    if fmt is Format.json:
        write_output(to_json([d.to_dict() for d in diags]), output)
        return
    header = ("tool", "status", "class", "reason", "fix")
    rows = [(d.tool, d.status.value, d.failure_class or "", d.reason, d.fix or "") for d in diags]
    if fmt is Format.csv:
        write_output(rows_csv(header, rows), output)
    elif fmt is Format.markdown:
        write_output(markdown_table(header, rows), output)
    else:
        print_renderables([_table(diags, title)], output)


@app.command("list")
def tools_list(fmt: FormatOpt = Format.table, output: OutputOpt = None,
               as_json: bool = typer.Option(False, "--json", help="Same as --format json.")) -> None:
    """Installed tool adapters and whether each tool can run here."""
    from graphs.cli import _plugins
    from graphs_tools.base import doctor_all

    diags = doctor_all(_plugins())
    _emit(diags, Format.json if as_json else fmt, output, f"{len(diags)} tool adapter(s)")


@app.command("doctor")
def tools_doctor(name: str = typer.Argument(..., help="Tool adapter name, e.g. timeloop."),
                 fmt: FormatOpt = Format.table, output: OutputOpt = None,
                 as_json: bool = typer.Option(False, "--json", help="Same as --format json.")) -> None:
    """Diagnose one tool: installed? buildable? data present? and how to fix it. Exit 0 if it can run, 1 if not."""
    from graphs.cli import _plugins
    from graphs_tools.base import doctor, get_tool

    d = doctor(get_tool(name, _plugins()))
    if as_json or fmt is Format.json:
        from graphs.output import write_output
        write_output(to_json(d.to_dict()), output)
    else:
        _emit([d], fmt, output, f"graphs tools doctor {name}")
    if not d.ok:
        raise typer.Exit(1)
