"""``graphs plugins list``: installed plugins, their hooks, what they registered, their status."""

from __future__ import annotations

from typing import Callable

import typer

from graphs import hookimpl
from graphs.cli_options import Format, FormatOpt, OutputOpt
from graphs.output import to_json

app = typer.Typer(name="plugins", no_args_is_help=True, help="Installed plugins.")


@app.command("list")
def plugins_list(
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    """Installed plugins: distribution, version, hooks, status (every hook is collected)."""
    from rich.markup import escape
    from rich.table import Table

    from graphs.cli import _plugins
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    gp = _plugins()
    gp.collect()
    infos = sorted(gp.plugins.values(), key=lambda p: (not p.builtin, p.name))
    if as_json or fmt is Format.json:
        write_output(to_json([p.to_dict() for p in infos]), output)
        return
    rows = [(p.name, p.distribution, p.version, ", ".join(h.removeprefix("graphs_register_") for h in p.hooks),
             ", ".join(f"{k}: {len(v)}" for k, v in p.registered.items()),
             p.status if p.status == "ok" else f"{p.status}: {'; '.join(p.errors)}") for p in infos]
    header = ("name", "distribution", "version", "hooks", "registered", "status")
    if fmt in (Format.csv, Format.markdown):
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    t = Table(title=f"{len(infos)} plugin(s)", title_justify="left")
    for c in header:
        t.add_column(c, overflow="fold")
    for r in rows:
        status = r[5] if r[5] == "ok" else f"[red]{escape(r[5])}[/]"
        t.add_row(*r[:5], status)
    print_renderables([t], output)


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs plugins``."""
    register(app)
