"""``graphs tools list|doctor``: installed tool adapters and whether each tool can run here."""

from __future__ import annotations

from typing import Any, Optional

import typer

from graphs.cli_options import Format, FormatOpt, OutputOpt, check_format
from graphs.documents import declare_documents, render


declare_documents("graphs_tools.documents")      # its JSON document models (pydantic) load on first use

app = typer.Typer(name="tools", no_args_is_help=True,
                  help="Third-party tool adapters (GenZ, llm-analysis, SCALE-Sim, Timeloop, ASTRA-sim, VIDUR, NeuSight, "
                       "nn-Meter ...) and the environments of the installable ones.")


def _version(d: Any) -> str:
    return str(d.details.get("version") or "")


def _table(diags: list[Any], title: str, width: int) -> Any:
    from rich.text import Text

    from graphs.tables import Col, fit_table
    cols = [Col("tool", 0), Col("status", 0), Col("class", 3), Col("version", 2), Col("reason", 1, wrap=True, min_width=20),
            Col("fix", 4, wrap=True, min_width=20)]
    rows = [(d.tool, Text(d.status.value, style="green" if d.ok else "red"), d.failure_class or "", _version(d),
             d.reason, d.fix or "") for d in diags]
    return fit_table(title, cols, rows, width)


def _emit(diags: list[Any], fmt: Format, output: Any, title: str) -> None:
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv
    from graphs.tables import terminal_width
    if fmt is Format.json:
        write_output(render("graphs.tools.list", {"tools": [d.to_dict() for d in diags]}), output)
        return
    header = ("tool", "status", "class", "version", "reason", "fix")
    rows = [(d.tool, d.status.value, d.failure_class or "", _version(d), d.reason, d.fix or "") for d in diags]
    if fmt is Format.csv:
        write_output(rows_csv(header, rows), output)
    elif fmt is Format.markdown:
        write_output(markdown_table(header, rows), output)
    else:
        print_renderables([_table(diags, title, terminal_width(output))], output)


@app.command("list")
def tools_list(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Installed tool adapters and whether each tool can run here."""
    from graphs.cli import _plugins
    from graphs_tools.base import doctor_all

    diags = doctor_all(_plugins())
    _emit(diags, fmt, output, f"{len(diags)} tool adapter(s)")


@app.command("doctor")
def tools_doctor(name: str = typer.Argument(..., help="Tool adapter name, e.g. timeloop."),
                 fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Diagnose one tool: installed? buildable? data present? and how to fix it. Exit 0 if it can run, 1 if not."""
    from graphs.cli import _plugins
    from graphs_tools.base import doctor, get_tool

    d = doctor(get_tool(name, _plugins()))
    if fmt is Format.json:
        from graphs.output import write_output
        write_output(render("graphs.tools.doctor", d.to_dict()), output)
    else:
        _emit([d], fmt, output, f"graphs tools doctor {name}")
    if not d.ok:
        raise typer.Exit(1)


@app.command("install")
def tools_install(names: list[str] = typer.Argument(..., help="Tools to install (package or adapter name, e.g. "
                                                                "genz-llm llm-analysis scalesim)."),
                  force: bool = typer.Option(False, "--force", help="Reinstall even if installed."),
                  python: Optional[str] = typer.Option(None, "--python", help="Base interpreter for the venvs "
                                                       "(default: the one running graphs)."),
                  fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Install registry tools, each into its own virtual environment under the tools home
    ($GRAPHS_TOOLS_DIR, default ~/.local/share/graphs/tools). Exit 1 if any install failed."""
    import sys

    from graphs.cli import _plugins
    from graphs_tools.base import list_tools
    from graphs_tools.envs import install, resolve_install_name, tools_home

    check_format(fmt, ("table", "json"), "graphs tools install")
    as_json = fmt is Format.json
    adapters = list_tools(_plugins())
    chosen = []
    for n in names:
        a = resolve_install_name(n, adapters)
        if a not in chosen:
            chosen.append(a)
    say = (lambda m: print(m, file=sys.stderr)) if not as_json else None  # noqa: E731
    reports = []
    for a in chosen:
        r = install(a.name, a.package, force=force, python=python, progress=say)
        reports.append(r)
        if say:
            if r.ok:
                how = "already installed" if r.skipped else f"installed in {r.wall_s:.0f} s"
                say(f"{a.name}: {a.package.package} {r.version} {how} ({r.where})")
            else:
                say(f"{a.name}: install FAILED: {r.reason}")
    if as_json:
        from graphs.output import write_output
        write_output(render("graphs.tools.install", {"tools_home": str(tools_home()),
                                                      "installs": [r.to_dict() for r in reports]}), output)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


@app.command("uninstall")
def tools_uninstall(names: list[str] = typer.Argument(..., help="Tools whose environments to remove.")) -> None:
    """Remove the environments `graphs tools install` made (the adapters stay installed)."""
    import sys

    from graphs.cli import _plugins
    from graphs_tools.base import list_tools
    from graphs_tools.envs import resolve_install_name, uninstall

    adapters = list_tools(_plugins())
    for n in names:
        a = resolve_install_name(n, adapters)
        gone = uninstall(a.name)
        print(f"{a.name}: {'removed' if gone else 'was not installed'}", file=sys.stderr)
