"""``graphs hardware list|show|validate|new``: installed devices, their specs and sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import typer

from graphs import hookimpl
from graphs.cli_options import Format, FormatOpt, OutputOpt
from graphs.errors import GraphsError
from graphs.fmt import fmt_si
from graphs.output import to_json

app = typer.Typer(name="hardware", no_args_is_help=True, help="Installed hardware: list and show specs with sources.")


def _rows(gp: Any, family: Optional[str], broken: list[str]) -> list[dict[str, Any]]:
    rows = []
    for hw_id, entry in sorted(gp.hardware.items(), key=lambda kv: (kv[1].family, kv[0])):
        if family and entry.family != family:
            continue
        row: dict[str, Any] = {"id": hw_id, "name": entry.name, "family": entry.family, "vendor": None,
                               "fp32_flops": None, "fp16_flops": None, "int8_ops": None, "memory_bytes": None,
                               "bandwidth_bytes_per_s": None, "tdp_w": None, "calibration": None,
                               "plugin": entry.plugin, "mapper_installed": entry.family in gp.mappers,
                               "loaded": entry.loaded}
        if entry.loaded:                           # a lazily measured device (the host) is not measured here
            s = entry.spec
            try:
                c = gp.calibration_for(hw_id)
            except GraphsError as e:               # one broken calibration file must not hide every device
                row["calibration"] = "broken calibration"
                row["error"] = str(e)
                c = None
                broken.append(f"{hw_id}: {e}")
            row.update({
                "name": s.name, "vendor": s.vendor, "fp32_flops": s.peak("fp32"),
                "fp16_flops": s.peak("fp16") or s.peak("bf16"), "int8_ops": s.peak("int8"),
                "memory_bytes": s.memory_bytes, "bandwidth_bytes_per_s": s.memory_bandwidth,
                "tdp_w": s.power.tdp.si if s.power else None,
                "calibration": row["calibration"] or ("THEORETICAL" if c is None else
                                                      ("INTERPOLATED" if c.transferred_from else "CALIBRATED"))})
        rows.append(row)
    return rows


@app.command("list")
def hardware_list(
    family: Optional[str] = typer.Option(None, help="Only this family (gpu, cpu, accel, edge)."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    wide: bool = typer.Option(False, "--wide", "-w", help="Also show full device names."),
) -> None:
    """List installed hardware with peaks, memory, TDP and calibration confidence."""
    from rich.table import Table

    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    gp = _plugins()
    broken: list[str] = []
    rows = _rows(gp, family, broken)
    for b in broken:
        from graphs.report import console
        from rich.markup import escape
        console(stderr=True).print(f"[yellow]warning:[/] {escape(b)}")
    if as_json or fmt is Format.json:
        write_output(to_json(rows), output)
        return
    if fmt in (Format.csv, Format.markdown):
        cols = list(rows[0].keys()) if rows else ["id"]
        vals = [[r[c] for c in cols] for r in rows]
        write_output(rows_csv(cols, vals) if fmt is Format.csv else markdown_table(cols, vals), output)
        return
    t = Table(title=f"{len(rows)} hardware device(s) installed", title_justify="left",
              caption="dense peaks: fp32/fp16 in TFLOP/s (fp16 column: fp16 or bf16), int8 in TOP/s; "
                      "memory bandwidth in GB/s", caption_justify="left")
    cols = ["id", *(["name"] if wide else []), "family", "fp32", "fp16", "int8", "memory", "GB/s", "TDP", "confidence"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("id", "name", "family", "confidence") else "right", no_wrap=True)

    def tera(x: Optional[float]) -> str:
        return f"{x / 1e12:.4g}" if x else "–"

    for r in rows:
        t.add_row(r["id"], *([r["name"]] if wide else []),
                  r["family"] + ("" if r["mapper_installed"] else " (no engine)"),
                  tera(r["fp32_flops"]), tera(r["fp16_flops"]), tera(r["int8_ops"]),
                  fmt_si(r["memory_bytes"], "B") if r["memory_bytes"] else "–",
                  f"{r['bandwidth_bytes_per_s'] / 1e9:.0f}" if r["bandwidth_bytes_per_s"] else "–",
                  f"{r['tdp_w']:g} W" if r["tdp_w"] else "–",
                  r["calibration"] or "measured on first use")
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
    from rich.table import Table

    from graphs.cli import _plugins
    from graphs.output import print_renderables, write_output
    from graphs.report import markdown_table, rows_csv

    gp = _plugins()
    entry = gp.hardware_entry(hw_id)
    s = entry.spec
    if fmt is Format.json:
        write_output(to_json({"plugin": entry.plugin, "spec": s.model_dump(mode="json")}), output)
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
    t = Table(title=f"{s.name} ({s.id}) — family {s.family}, from {entry.plugin}", title_justify="left")
    t.add_column("field")
    t.add_column("value", justify="right")
    t.add_column("source", overflow="fold")
    for path, value, source in rows:
        t.add_row(escape(path), value, escape(source))
    print_renderables([t] + ([s.notes] if s.notes else []), output)


@app.command("validate")
def hardware_validate(path: Path = typer.Argument(..., help="A spec YAML file.")) -> None:
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
    typer.echo(f"{path}: ok — {spec.id} ({spec.name}), family {spec.family}, {n} sourced values")


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
