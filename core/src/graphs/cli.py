"""The ``graphs`` command line.

Every user error ends in one line on stderr and exit code 2; an unexpected internal error
ends in one line and exit code 1 (``GRAPHS_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import enum
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from graphs import __version__
from graphs.errors import GraphsError
from graphs.hardware.units import fmt_si

app = typer.Typer(
    name="graphs", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Estimate latency, memory and energy of neural networks on hardware, with a confidence attached.",
)
hardware_app = typer.Typer(no_args_is_help=True, help="Installed hardware: list and show specs with sources.")
plugins_app = typer.Typer(no_args_is_help=True, help="Installed plugins.")
zoo_app = typer.Typer(no_args_is_help=True, help="The model zoo (built from configs, no weights).")
app.add_typer(hardware_app, name="hardware")
app.add_typer(plugins_app, name="plugins")
app.add_typer(zoo_app, name="zoo")
tools_app = typer.Typer(no_args_is_help=True, help="Third-party tool adapters (Timeloop, ASTRA-sim, VIDUR, NeuSight, nn-Meter).")
app.add_typer(tools_app, name="tools")


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _plugins():
    from graphs.plugins import get_plugins
    return get_plugins()


def _emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, output)  # never leave a half-written file where a good one was
    except OSError as e:
        raise GraphsError(f"cannot write {output}: {e.strerror or e}") from None


def _warn_failed_plugins(gp) -> None:
    from graphs.report import console
    for p in gp.failed():
        console(stderr=True).print(f"[yellow]warning:[/] plugin {p.name!r} {p.status}: {escape(p.errors[0]) if p.errors else ''}")


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        typer.echo(f"graphs {__version__}")
        raise typer.Exit(0)


@app.command()
def analyze(
    model: str = typer.Argument(..., help="Zoo name, .onnx/.tflite path, or path/to/file.py:factory."),
    hardware: str = typer.Option(..., "--hardware", "-H", help="Hardware id(s), comma-separated to compare."),
    precision: Optional[str] = typer.Option(None, help="Run at this precision (fp32, tf32, bf16, fp16, fp8, int8)."),
    batch: int = typer.Option(1, min=1, help="Batch size."),
    seq_len: Optional[int] = typer.Option(None, "--seq-len", min=1, help="Sequence length for sequence models."),
    input_shape: Optional[List[str]] = typer.Option(None, "--input-shape", help="NAME=1x3x224x224 (repeatable)."),
    fusion: str = typer.Option("auto", help="auto (the mapper's default), default, or none."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json or csv."),
    kernels: int = typer.Option(8, help="Show the N slowest kernels in table output (0: none)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of stdout."),
) -> None:
    """Estimate one forward pass of MODEL on one or more devices."""
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model, parse_input_shapes
    from graphs.report import console, estimate_table, kernel_table, results_csv, results_json

    if fusion not in ("auto", "default", "none"):
        raise GraphsError(f"--fusion {fusion!r}: expected auto, default or none")
    gp = _plugins()
    hw_ids = [h.strip() for h in hardware.split(",") if h.strip()]
    if not hw_ids:
        raise GraphsError("--hardware: give at least one hardware id (see `graphs hardware list`)")
    for h in hw_ids:
        gp.hardware_entry(h)  # fail fast on unknown hardware, before tracing
    opts = LoadOptions(batch=batch, seq_len=seq_len, input_shapes=parse_input_shapes(input_shape))
    graph = load_model(model, opts, gp)
    results = [estimate(graph, h, gp, fusion=fusion, precision=precision) for h in hw_ids]
    if fmt is Format.json:
        _emit(results_json(results), output)
    elif fmt is Format.csv:
        _emit(results_csv(results), output)
    else:
        con = console()
        if output:
            from rich.console import Console
            with open(output, "w", encoding="utf-8") as fh:
                c = Console(file=fh, width=120)
                c.print(estimate_table(results))
            return
        con.print(estimate_table(results))
        if kernels:
            for r in results:
                con.print(kernel_table(r, kernels))
    _warn_failed_plugins(gp)


@app.command()
def benchmark(
    runner: Optional[str] = typer.Option(None, "--runner", "-r", help="Runner name (see --list); default: every available one."),
    suite: str = typer.Option("quick", help="Suite: quick, full, models (runner-specific)."),
    group: Optional[List[str]] = typer.Option(None, "--group", "-g", help="Only these case groups (repeatable)."),
    store: Optional[Path] = typer.Option(None, "--store", help="Results store (default $GRAPHS_STORE or ~/.local/share/graphs/results.sqlite)."),
    list_only: bool = typer.Option(False, "--list", help="List runners and their availability."),
    export: Optional[Format] = typer.Option(None, "--export", help="Print the stored measurements (csv or json) instead of measuring."),
) -> None:
    """Measure kernels and models on this machine (or a lent GPU) into the results store."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from graphs.bench import run_cases
    from graphs.report import console
    from graphs.store import ResultsStore

    gp = _plugins()
    if list_only:
        t = Table(title="benchmark runners", title_justify="left")
        for c in ("runner", "device", "plugin", "status"):
            t.add_column(c)
        for name, (r, plugin) in sorted(gp.runners.items()):
            why = r.unavailable()
            t.add_row(name, r.device() if not why else "–", plugin, "available" if not why else escape(why))
        console().print(t)
        return
    db = ResultsStore(store)
    if export is not None:
        typer.echo(db.export("json" if export is Format.json else "csv"), nl=False)
        return
    if runner:
        if runner not in gp.runners:
            names = ", ".join(sorted(gp.runners)) or "none installed"
            raise GraphsError(f"unknown runner {runner!r} (available: {names})")
        chosen = [gp.runners[runner][0]]
    else:
        chosen = [r for r, _ in gp.runners.values() if r.unavailable() is None]
    if not chosen:
        raise GraphsError("no benchmark runner is available here (see `graphs benchmark --list`)")
    con = console()
    for r in chosen:
        why = r.unavailable()
        if why:
            raise GraphsError(f"runner {r.name!r} cannot run here: {why}")
        cases = r.suite(suite)
        if group:
            cases = [c for c in cases if c.group in group]
        if not cases:
            raise GraphsError(f"runner {r.name!r}: suite {suite!r} has no cases" + (f" in groups {group}" if group else ""))
        failures: list[str] = []
        rows: list[tuple] = []
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console(stderr=True), transient=True) as prog:
            task = prog.add_task(f"{r.name} on {r.device()}", total=len(cases))

            def tick(case, m, err):
                prog.advance(task)
                if err:
                    failures.append(f"{case.name}: {err}")
                else:
                    rows.append((case.group, case.name, case.precision, m.median_s, m.std_s or 0.0, m.repeats))

            try:
                run_cases(r, cases, db, tick)
            except KeyboardInterrupt:
                con.print(f"interrupted: {len(rows)} measurement(s) kept in {db.path}")
                raise typer.Exit(130)
        t = Table(title=f"{r.name} on {r.device()}: {len(rows)} measured, stored in {db.path}", title_justify="left")
        for c in ("group", "case", "precision", "median", "std", "repeats"):
            t.add_column(c, justify="right" if c in ("median", "std", "repeats") else "left")
        for g, n, p, med, sd, rep in rows:
            t.add_row(g, n, p, fmt_si(med, "s"), fmt_si(sd, "s"), str(rep))
        con.print(t)
        for f in failures:
            console(stderr=True).print(f"[yellow]failed:[/] {escape(f)}")


@hardware_app.command("list")
def hardware_list(
    family: Optional[str] = typer.Option(None, help="Only this family (gpu, cpu, accel, edge)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f"),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    wide: bool = typer.Option(False, "--wide", "-w", help="Also show full device names."),
) -> None:
    """List installed hardware with peaks, memory, TDP and calibration confidence."""
    from graphs.report import console, rows_csv
    from rich.table import Table

    gp = _plugins()
    rows = []
    for hw_id, entry in sorted(gp.hardware.items(), key=lambda kv: (kv[1].spec.family, kv[0])):
        s = entry.spec
        if family and s.family != family:
            continue
        cal = "CALIBRATED" if entry.calibration else "THEORETICAL"
        rows.append({
            "id": hw_id, "name": s.name, "family": s.family, "vendor": s.vendor,
            "fp32_flops": s.peak("fp32"), "fp16_flops": s.peak("fp16") or s.peak("bf16"), "int8_ops": s.peak("int8"),
            "memory_bytes": s.memory_bytes, "bandwidth_bytes_per_s": s.memory_bandwidth,
            "tdp_w": s.power.tdp.si if s.power else None, "calibration": cal, "plugin": entry.plugin,
            "mapper_installed": s.family in gp.mappers,
        })
    if as_json or fmt is Format.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if fmt is Format.csv:
        typer.echo(rows_csv(rows[0].keys() if rows else ["id"], [r.values() for r in rows]), nl=False)
        return
    t = Table(title=f"{len(rows)} hardware device(s) installed", title_justify="left",
              caption="dense peaks: fp32/fp16 in TFLOP/s (fp16 column: fp16 or bf16), int8 in TOP/s; "
                      "memory bandwidth in GB/s", caption_justify="left")
    cols = ["id", *(["name"] if wide else []), "family", "fp32", "fp16", "int8", "memory", "GB/s", "TDP", "confidence"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("id", "name", "family", "confidence") else "right", no_wrap=True)

    def tera(x):
        return f"{x / 1e12:.4g}" if x else "–"

    for r in rows:
        t.add_row(r["id"], *([r["name"]] if wide else []),
                  r["family"] + ("" if r["mapper_installed"] else " (no engine)"),
                  tera(r["fp32_flops"]), tera(r["fp16_flops"]), tera(r["int8_ops"]),
                  fmt_si(r["memory_bytes"], "B") if r["memory_bytes"] else "–",
                  f"{r['bandwidth_bytes_per_s'] / 1e9:.0f}",
                  f"{r['tdp_w']:g} W" if r["tdp_w"] else "–", r["calibration"])
    console().print(t)
    _warn_failed_plugins(gp)


@hardware_app.command("show")
def hardware_show(
    hw_id: str = typer.Argument(..., metavar="ID"),
    fmt: Format = typer.Option(Format.table, "--format", "-f"),
) -> None:
    """Show one device's full spec, every number with its source."""
    from graphs.report import console
    from rich.table import Table

    gp = _plugins()
    entry = gp.hardware_entry(hw_id)
    s = entry.spec
    if fmt is Format.json:
        typer.echo(json.dumps({"plugin": entry.plugin, "spec": s.model_dump(mode="json")}, indent=2))
        return
    t = Table(title=f"{s.name} ({s.id}) — family {s.family}, from {entry.plugin}", title_justify="left")
    t.add_column("field")
    t.add_column("value", justify="right")
    t.add_column("source", overflow="fold")
    for path, source in s.all_sources():
        node = s
        for part in path.replace("[", ".").replace("]", "").split("."):
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, tuple):
                node = next((m for m in node if getattr(m, "name", None) == part), None)
            else:
                node = getattr(node, part, None)
        t.add_row(escape(path), str(node) if node is not None and hasattr(node, "unit") else str(getattr(node, "value", "")),
                  escape(source))
    console().print(t)
    if s.notes:
        console().print(s.notes)


@hardware_app.command("validate")
def hardware_validate(path: Path = typer.Argument(..., help="A spec YAML file.")) -> None:
    """Validate a spec file: every number with a unit of the right kind and a source."""
    from graphs.hardware import load_spec

    spec = load_spec(path)
    n = len(spec.all_sources())
    typer.echo(f"{path}: ok — {spec.id} ({spec.name}), family {spec.family}, {n} sourced values")


@hardware_app.command("new")
def hardware_new(
    hw_id: str = typer.Argument(..., metavar="ID", help="New device id, e.g. my-npu."),
    name: str = typer.Option(..., help="Full device name."),
    family: str = typer.Option("gpu", help="Family engine: gpu, cpu, accel, edge, or a third-party family."),
    vendor: str = typer.Option("", help="Vendor."),
    base: Optional[str] = typer.Option(None, "--from", help="Start from an installed device's spec."),
    output: Path = typer.Option(Path("."), "--output", "-o", help="Where to create graphs-mapper-ID/."),
) -> None:
    """Create a new device distribution from the template."""
    from graphs.scaffold import new_device

    spec = _plugins().hardware_entry(base).spec if base else None
    dest = new_device(hw_id, output, name=name, family=family, vendor=vendor, base=spec)
    typer.echo(f"created {dest}; edit src/*/{hw_id}.yaml, then `pip install -e {dest}` "
               f"and `graphs hardware show {hw_id}`")


@plugins_app.command("list")
def plugins_list(as_json: bool = typer.Option(False, "--json", help="JSON for scripts.")) -> None:
    """Installed plugins: distribution, version, hooks, status."""
    from graphs.report import console
    from rich.table import Table

    gp = _plugins()
    infos = sorted(gp.plugins.values(), key=lambda p: p.name)
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in infos], indent=2))
        return
    t = Table(title=f"{len(infos)} plugin(s)", title_justify="left")
    for c in ("name", "distribution", "version", "hooks", "registered", "status"):
        t.add_column(c, overflow="fold")
    for p in infos:
        reg = ", ".join(f"{k}: {len(v)}" for k, v in p.registered.items())
        hooks = ", ".join(h.removeprefix("graphs_register_") for h in p.hooks)
        status = p.status if p.status == "ok" else f"[red]{p.status}[/]: {escape('; '.join(p.errors))}"
        t.add_row(p.name, p.distribution, p.version, hooks, reg, status)
    console().print(t)


@zoo_app.command("list")
def zoo_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List zoo models."""
    from graphs.report import console
    from rich.table import Table

    gp = _plugins()
    entries = sorted((e for e, _ in gp.models.values()), key=lambda e: (e.family, e.name))
    if as_json:
        typer.echo(json.dumps([{"name": e.name, "family": e.family, "task": e.task, "params": e.params,
                                "aliases": list(e.aliases), "description": e.description} for e in entries], indent=2))
        return
    t = Table(title=f"{len(entries)} zoo model(s)", title_justify="left")
    for c in ("name", "family", "task", "params", "description"):
        t.add_column(c)
    for e in entries:
        t.add_row(e.name, e.family, e.task, e.params, e.description)
    console().print(t)


def _diagnosis_table(diags, title: str):
    from rich.table import Table
    t = Table(title=title, title_justify="left")
    for c in ("tool", "status", "class", "reason", "fix"):
        t.add_column(c, overflow="fold")
    for d in diags:
        colour = "green" if d.ok else "red"
        t.add_row(d.tool, f"[{colour}]{d.status.value}[/]", d.failure_class or "", escape(d.reason), escape(d.fix or ""))
    return t


@tools_app.command("list")
def tools_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Installed tool adapters and whether each tool can run here."""
    from graphs.report import console
    from graphs.tools import doctor_all

    diags = doctor_all(_plugins())
    if as_json:
        typer.echo(json.dumps([d.to_dict() for d in diags], indent=2))
        return
    console().print(_diagnosis_table(diags, f"{len(diags)} tool adapter(s)"))


@tools_app.command("doctor")
def tools_doctor(name: str = typer.Argument(..., help="Tool adapter name, e.g. timeloop."),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Diagnose one tool: installed? buildable? data present? and how to fix it. Exit 0 if it can run, 1 if not."""
    from graphs.report import console
    from graphs.tools import doctor, get_tool

    d = doctor(get_tool(name, _plugins()))
    if as_json:
        typer.echo(json.dumps(d.to_dict(), indent=2))
    else:
        console().print(_diagnosis_table([d], f"graphs tools doctor {name}"))
    if not d.ok:
        raise typer.Exit(1)


def _install_plugin_commands() -> None:
    try:
        gp = _plugins()
    except GraphsError:
        return
    for impl in gp.pm.hook.graphs_register_commands.get_hookimpls():
        try:
            impl.function(app=app)
        except Exception as e:  # a broken plugin command must not break the CLI
            info = gp.plugins.get(impl.plugin_name)
            if info:
                info.status = "partial"
                info.errors.append(f"graphs_register_commands raised {type(e).__name__}: {e}")


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: runs the app and turns every error into one line."""
    args = list(sys.argv[1:] if argv is None else argv)
    _install_plugin_commands()
    cmd = typer.main.get_command(app)
    try:
        rv = cmd.main(args=args, prog_name="graphs", standalone_mode=False)
        return rv if isinstance(rv, int) else 0  # typer.Exit(n) inside a command comes back as n
    except typer.Exit as e:
        return int(e.exit_code or 0)
    except typer.TyperException as e:  # usage errors: bad option, missing argument ...
        if type(e).__name__ == "NoArgsIsHelpError":
            ctx = getattr(e, "ctx", None)
            typer.echo(ctx.get_help() if ctx else str(e))
            return 0
        msg = " ".join(e.format_message().split())
        sys.stderr.write(f"error: {msg}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130
    except GraphsError as e:
        sys.stderr.write(f"error: {e}\n")
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as e:  # a bug: still one line unless asked
        if os.environ.get("GRAPHS_DEBUG"):
            raise
        msg = " ".join(str(e).split())
        sys.stderr.write(f"internal error: {type(e).__name__}: {msg} (set GRAPHS_DEBUG=1 for the traceback)\n")
        return 1


def run() -> None:  # console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
