"""``graphs systems list|show|collective``: multi-GPU systems and the α–β collective model."""

from __future__ import annotations

from typing import Any, Optional

import typer

from graphs.cli_options import Format, FormatOpt, OutputOpt
from graphs.errors import GraphsError
from graphs.fmt import fmt_si
from graphs.documents import declare_documents, render
from graphs.output import print_renderables, write_output


def escape(text: str) -> str:
    """rich.markup.escape, imported when a table is drawn (not at start-up)."""
    from rich.markup import escape as _escape
    return _escape(text)


declare_documents("graphs_distributed.documents")      # its JSON document models (pydantic) load on first use

app = typer.Typer(name="systems", no_args_is_help=True,
                  help="Multi-GPU systems (DGX H100, HGX A100 ...) and collective times.")


@app.command("list")
def systems_list(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Shipped multi-GPU systems."""
    from graphs.report import markdown_table, rows_csv
    from graphs_distributed.system import builtin_systems
    systems = builtin_systems()
    if fmt is Format.json:
        write_output(render("graphs.systems.list", {"systems": [s.model_dump(mode="json") for s in systems.values()]}),
                     output)
        return
    header = ("id", "device", "gpus_per_node", "intra_node", "intra_gb_s_per_dir", "inter_node", "inter_gb_s_per_dir")
    rows = [(s.id, s.device, s.node_size, s.intra_node.name, s.intra_node.bandwidth.si / 1e9,
             s.inter_node.name if s.inter_node else None, s.inter_node.bandwidth.si / 1e9 if s.inter_node else None)
            for s in systems.values()]
    if fmt in (Format.csv, Format.markdown):
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    from graphs.tables import Col, fit_table, terminal_width
    cols = [Col("id", 0), Col("device", 1), Col("GPUs/node", 3, "right"), Col("intra-node", 4, wrap=True),
            Col("GB/s/dir", 2, "right"), Col("inter-node", 5, wrap=True), Col("GB/s/dir ", 2, "right")]
    body = [(s.id, s.device, str(s.node_size), s.intra_node.name, f"{s.intra_node.bandwidth.si / 1e9:g}",
             s.inter_node.name if s.inter_node else "–",
             f"{s.inter_node.bandwidth.si / 1e9:g}" if s.inter_node else "–") for s in systems.values()]
    print_renderables([fit_table(f"{len(systems)} system(s)", cols, body, terminal_width(output),
                                 caption="GB/s/dir: link bandwidth per direction (intra-node, then inter-node)")],
                      output)


@app.command("show")
def systems_show(system: str = typer.Argument(..., help="System id or YAML file."), fmt: FormatOpt = Format.table,
                 output: OutputOpt = None) -> None:
    """One system's numbers with their sources."""
    from graphs.report import markdown_table, rows_csv
    from graphs_distributed.system import find_system
    s = find_system(system)
    if s is None:
        raise GraphsError(f"unknown system {system!r} (see `graphs systems list`)")
    if fmt is Format.json:
        write_output(render("graphs.systems.show", {"system": s.model_dump(mode="json")}), output)
        return
    rows = []
    for path, src in s.all_sources():
        node: Any = s
        for part in path.split("."):
            node = getattr(node, part)
        rows.append((path, str(node), src))
    if fmt in (Format.csv, Format.markdown):
        header = ("field", "value", "source")
        write_output(rows_csv(header, rows) if fmt is Format.csv else markdown_table(header, rows), output)
        return
    from graphs.tables import Col, fit_table, terminal_width
    t = fit_table(f"{s.name} ({s.id}), device {s.device}",
                  [Col("field", 0, wrap=True, min_width=16), Col("value", 0, "right"),
                   Col("source", 0, wrap=True, min_width=20)], rows, terminal_width(output))
    print_renderables([t] + ([escape(s.notes)] if s.notes else []), output)


@app.command("collective")
def systems_collective(
    system: str = typer.Argument(..., help="System id or YAML file."),
    collective: str = typer.Option("all_reduce", "--collective", "-c"),
    size: str = typer.Option("64MB", "--size", help="Bytes (suffixes KB, MB, GB, KiB, MiB, GiB)."),
    gpus: int = typer.Option(8, "--gpus", min=1),
    per_node: Optional[int] = typer.Option(None, "--per-node", help="GPUs of the group per node (default: packed)."),
    algorithm: str = typer.Option("auto", help="auto, ring, tree or in_network."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Time of one collective on a system (α–β model)."""
    from graphs_distributed.collectives import CollectiveModel
    from graphs_distributed.system import find_system
    s = find_system(system)
    if s is None:
        raise GraphsError(f"unknown system {system!r} (see `graphs systems list`)")
    s.check_gpus(gpus)
    nb = parse_size(size)
    cm = CollectiveModel.for_system(s, algorithm)
    t = cm.time(collective, nb, gpus, per_node)
    chosen = cm.chosen_algorithm(collective, nb, gpus, per_node)
    row = {"system": s.id, "collective": collective, "bytes": nb, "gpus": gpus, "per_node": per_node,
           "algorithm": algorithm, "chosen_algorithm": chosen, "time_s": t,
           "algorithm_bandwidth_bytes_per_s": nb / t if t else None}
    if fmt is Format.json:
        write_output(render("graphs.systems.collective", row), output)
    elif fmt in (Format.csv, Format.markdown):
        from graphs.report import markdown_table, rows_csv
        write_output((rows_csv if fmt is Format.csv else markdown_table)(list(row), [list(row.values())]), output)
    else:
        how = f"{chosen}, " if chosen else ""
        write_output(f"{collective} of {fmt_si(nb, 'B')} over {gpus} GPU(s) on {s.id}: {fmt_si(t, 's')} "
                     f"({how}algorithm bandwidth {fmt_si(nb / t if t else 0, 'B/s')})", output)



def parse_size(text: str) -> float:
    """Bytes from ``64MB``, ``1GiB``, ``4096`` ...: finite and positive, or a one-line error."""
    import math
    units = {"TIB": 2**40, "GIB": 2**30, "MIB": 2**20, "KIB": 2**10, "TB": 1e12, "GB": 1e9, "MB": 1e6, "KB": 1e3,
             "B": 1}
    t = text.strip().upper()
    number, factor = t, 1.0
    for u, f in units.items():
        if t.endswith(u):
            number, factor = t[: -len(u)], float(f)
            break
    try:
        value = float(number) * factor
    except ValueError:
        raise GraphsError(f"--size {text!r}: expected bytes, e.g. 64MB or 1GiB") from None
    if not math.isfinite(value) or value <= 0:
        raise GraphsError(f"--size {text!r}: a message size is a finite number of bytes above zero")
    return value
