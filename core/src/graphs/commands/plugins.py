"""``graphs plugins list``: installed plugins, their hooks, what they registered, their status."""

from __future__ import annotations

from typing import Callable

import typer

from graphs import hookimpl
from graphs.cli_options import Format, FormatOpt, OutputOpt

app = typer.Typer(name="plugins", no_args_is_help=True, help="Installed plugins.")


@app.command("list")
def plugins_list(
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Installed plugins: distribution, version, hooks, status (every hook is collected)."""
    from rich.text import Text

    from graphs.cli import _plugins
    from graphs.documents import render
    from graphs.tables import Col, fit_table, terminal_width
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    from graphs.plugins import plugin_rows

    gp = _plugins()
    gp.collect()
    if fmt is Format.json:
        write_output(render("graphs.plugins.list", {"plugins": plugin_rows(gp)}), output)
        return
    infos = sorted(gp.plugins.values(), key=lambda p: (not p.builtin, p.name))
    rows = [(p.name, p.distribution, p.version, ", ".join(h.removeprefix("graphs_register_") for h in p.hooks),
             ", ".join(f"{k}: {len(v)}" for k, v in p.registered.items()),
             p.status if p.status == "ok" else f"{p.status}: {'; '.join(p.errors)}") for p in infos]
    header = ("name", "distribution", "version", "hooks", "registered", "status")
    if fmt in (Format.csv, Format.markdown):
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    cols = [Col("name", 0), Col("distribution", 4), Col("version", 1), Col("hooks", 3, wrap=True, min_width=10),
            Col("registered", 5, wrap=True, min_width=12), Col("status", 0, wrap=True, min_width=10)]
    shown = [(*r[:5], r[5] if r[5] == "ok" else Text(r[5], style="red")) for r in rows]
    print_renderables([fit_table(f"{len(infos)} plugin(s)", cols, shown, terminal_width(output))], output)


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs plugins``."""
    register(app)
