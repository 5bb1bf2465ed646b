"""``graphs hardware list|show|validate|new``: installed devices, their specs and sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import typer

from graphs import hookimpl
from graphs.cli_options import Format, FormatOpt, OutputOpt
from graphs.errors import GraphsError
from graphs.fmt import fmt_si

app = typer.Typer(name="hardware", no_args_is_help=True, help="Installed hardware: list and show specs with sources.")


@app.command("list")
def hardware_list(
    family: Optional[str] = typer.Option(None, help="Only this family (gpu, cpu, accel, edge)."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    wide: bool = typer.Option(False, "--wide", "-w", help="Also show full device names."),
) -> None:
    """List installed hardware with peaks, memory, TDP and calibration confidence."""
    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.documents import render
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv
    from graphs.tables import Col, fit_table, terminal_width

    gp = _plugins()
    broken: list[str] = []
    from graphs.hardware.installed import device_rows
    rows = device_rows(gp, family, broken)
    for b in broken:
        from graphs.output import console
        from rich.markup import escape
        console(stderr=True).print(f"[yellow]warning:[/] {escape(b)}")
    if fmt is Format.json:
        write_output(render("graphs.hardware.list", {"devices": rows}), output)
        warn_failed_plugins(gp)
        return
    if fmt in (Format.csv, Format.markdown):
        cols = list(rows[0].keys()) if rows else ["id"]
        vals = [[r[c] for c in cols] for r in rows]
        write_output(rows_csv(cols, vals) if fmt is Format.csv else markdown_table(cols, vals), output)
        return
    def tera(x: Optional[float]) -> str:
        return f"{x / 1e12:.4g}" if x else "–"

    # at 80 columns the name, int8 and TDP give way first (-w asks for the name: it then stays)
    cols = [Col("id", 0), Col("name", 0 if wide else 9, wrap=True, min_width=20), Col("family", 4),
            Col("fp32", 1, "right"), Col("fp16", 1, "right"), Col("int8", 5, "right"), Col("memory", 2, "right"),
            Col("GB/s", 2, "right"), Col("TDP", 6, "right"), Col("confidence", 3)]
    table_rows = [(r["id"], r["name"], r["family"] + ("" if r["mapper_installed"] else " (no engine)"),
                   tera(r["fp32_flops"]), tera(r["fp16_flops"]), tera(r["int8_ops"]),
                   fmt_si(r["memory_bytes"], "B") if r["memory_bytes"] else "–",
                   f"{r['bandwidth_bytes_per_s'] / 1e9:.0f}" if r["bandwidth_bytes_per_s"] else "–",
                   f"{r['tdp_w']:g} W" if r["tdp_w"] else "–",
                   r["calibration"] or "measured on first use") for r in rows]
    title = f"{len(rows)} hardware device(s) installed"
    if not rows:
        title += " — add one: pip install graphs-mapper-h100 (or graphs-estimator\\[gpu])"
    t = fit_table(title, cols, table_rows, terminal_width(output),
                  caption="dense peaks: fp32/fp16 in TFLOP/s (fp16: fp16 or bf16), int8 in TOP/s; GB/s: memory "
                          "bandwidth")
    print_renderables([t], output)
    warn_failed_plugins(gp)


@app.command("show")
def hardware_show(
    hw_id: str = typer.Argument(..., metavar="ID"),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Show one device's full spec, every number with its source."""
    from rich.markup import escape

    from graphs.cli import _plugins
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    gp = _plugins()
    entry = gp.hardware_entry(hw_id)
    s = entry.spec
    if fmt is Format.json:
        from graphs.documents import render
        write_output(render("graphs.hardware.show", {"plugin": entry.plugin, "spec": s.model_dump(mode="json")}),
                     output)
        return
    rows = []
    for path, source in s.all_sources():
        node: Any = s
        for part in path.replace("[", ".").replace("]", "").split("."):
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, tuple):
                node = next((m for m in node if getattr(m, "name", None) == part), None)
            else:
                node = getattr(node, part, None)
        value = str(node) if node is not None and hasattr(node, "unit") else str(getattr(node, "value", ""))
        rows.append((path, value, source))
    if fmt in (Format.csv, Format.markdown):
        header = ("field", "value", "source")
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    from graphs.tables import Col, fit_table, terminal_width
    t = fit_table(f"{s.name} ({s.id}) — family {s.family}, from {entry.plugin}",
                  [Col("field", 0, wrap=True, min_width=16), Col("value", 0, "right"),
                   Col("source", 0, wrap=True, min_width=20)], rows, terminal_width(output))
    print_renderables([t] + ([escape(s.notes)] if s.notes else []), output)


@app.command("validate")
def hardware_validate(path: Path = typer.Argument(..., help="A spec YAML file."),
                      fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Validate a spec file: every number with a unit of the right kind and a source."""
    from graphs.cli import _plugins
    from graphs.hardware import load_spec

    spec = load_spec(path)
    gp = _plugins()
    if spec.family not in gp.mappers:  # its family_params would go unchecked: say so rather than "ok"
        raise GraphsError(f"{path}: the core schema is valid, but its family_params cannot be checked: the "
                          f"{spec.family!r} family engine is not installed (graphs plugins list)")
    cls, _ = gp.mappers[spec.family]     # what analyze needs: the family engine accepts it too
    cls(spec, None)
    n = len(spec.all_sources())
    from graphs.output import write_output
    if fmt is Format.json:
        from graphs.documents import render
        write_output(render("graphs.hardware.validate", {"path": str(path), "id": spec.id, "name": spec.name,
                                                         "family": spec.family, "sourced_values": n}), output)
        return
    if fmt in (Format.csv, Format.markdown):
        from graphs.report import markdown_table, rows_csv
        header, rows = ("path", "id", "name", "family", "sourced_values"), [(str(path), spec.id, spec.name,
                                                                             spec.family, n)]
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    write_output(f"{path}: ok — {spec.id} ({spec.name}), family {spec.family}, {n} sourced values", output)


@app.command("new")
def hardware_new(
    hw_id: str = typer.Argument(..., metavar="ID", help="New device id, e.g. my-npu."),
    name: str = typer.Option(..., help="Full device name."),
    family: str = typer.Option("gpu", help="Family engine: gpu, cpu, accel, edge, or a third-party family."),
    vendor: str = typer.Option("", help="Vendor."),
    base: Optional[str] = typer.Option(None, "--from", help="Start from an installed device's spec."),
    output: Path = typer.Option(Path("."), "--output", "-o", help="Where to create graphs-mapper-ID/."),
) -> None:
    """Create a new device distribution from the template."""
    from graphs.cli import _plugins
    from graphs.scaffold import new_device

    spec = _plugins().hardware_entry(base).spec if base else None
    dest = new_device(hw_id, output, name=name, family=family, vendor=vendor, base=spec)
    typer.echo(f"created {dest}; edit src/*/{hw_id}.yaml, then `pip install -e {dest}` "
               f"and `graphs hardware show {hw_id}`")


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs hardware``."""
    register(app)
