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
from graphs.llm.cli import serving_app, systems_app  # noqa: E402  (LLM serving simulation, multi-GPU systems)
app.add_typer(serving_app, name="serving")
app.add_typer(systems_app, name="systems")


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
    calibration: Optional[Path] = typer.Option(None, "--calibration", help="Use this calibration file (default: the device's own, or yours from `graphs calibrate`)."),
    # --- LLM modes: serving phases and multi-GPU training (graphs/llm/cli.py; docs/llm_serving.md, docs/distributed.md)
    mode: str = typer.Option("infer", "--mode", help="infer (one forward pass), serve (LLM TTFT/TPOT/memory) or train (training step on a multi-GPU system)."),
    prompt_len: int = typer.Option(512, "--prompt-len", min=1, help="serve: prompt tokens per request."),
    gen_len: int = typer.Option(128, "--gen-len", min=1, help="serve: generated tokens per request."),
    weight_dtype: Optional[str] = typer.Option(None, "--weight-dtype", help="serve: int8 or int4 weight-only quantisation."),
    kv_dtype: Optional[str] = typer.Option(None, "--kv-dtype", help="serve: KV-cache precision (default: --precision)."),
    kv_cache: str = typer.Option("paged", "--kv-cache", help="serve: paged or contiguous KV cache."),
    kv_block_size: int = typer.Option(16, "--kv-block-size", min=1, help="serve: tokens per KV block (paged)."),
    max_seq_len: Optional[int] = typer.Option(None, "--max-seq-len", min=1, help="serve: tokens reserved per sequence (contiguous)."),
    attention: str = typer.Option("fused", "--attention", help="serve/train: fused (FlashAttention) or unfused attention."),
    runtime: Optional[str] = typer.Option(None, "--runtime", help="graph (CUDA graphs; serve default) or eager (train default)."),
    gpu_memory_utilization: float = typer.Option(0.9, "--gpu-memory-utilization", help="serve: share of memory the engine may use."),
    dp: int = typer.Option(1, "--dp", min=1, help="train: data-parallel degree."),
    tp: int = typer.Option(1, "--tp", min=1, help="serve/train: tensor-parallel degree."),
    pp: int = typer.Option(1, "--pp", min=1, help="train: pipeline stages."),
    ep: int = typer.Option(1, "--ep", min=1, help="train: expert-parallel degree (MoE)."),
    micro_batches: int = typer.Option(1, "--micro-batches", min=1, help="train: micro-batches per step."),
    schedule: str = typer.Option("1f1b", "--schedule", help="train: 1f1b or gpipe."),
    dp_overlap: float = typer.Option(1.0, "--dp-overlap", help="train: share of the last backward hiding the gradient all-reduce."),
    tp_overlap: float = typer.Option(0.0, "--tp-overlap", help="train: share of TP all-reduces hidden behind compute."),
    backward_factor: float = typer.Option(2.0, "--backward-factor", help="train: backward time / forward time."),
    recompute: bool = typer.Option(False, "--recompute", help="train: full activation recomputation."),
    optimizer: bool = typer.Option(True, "--optimizer/--no-optimizer", help="train: include the Adam step."),
    # --- end of LLM mode options
) -> None:
    """Estimate one forward pass of MODEL on one or more devices (or, with --mode, LLM serving / training)."""
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model, parse_input_shapes
    from graphs.report import console, estimate_table, kernel_table, results_csv, results_json

    if mode != "infer":  # --- LLM modes: everything lives in graphs/llm/cli.py
        from graphs.llm.cli import analyze_llm
        llm = dict(prompt_len=prompt_len, gen_len=gen_len, weight_dtype=weight_dtype, kv_dtype=kv_dtype,
                   kv_cache=kv_cache, kv_block_size=kv_block_size, max_seq_len=max_seq_len, attention=attention,
                   runtime=runtime, gpu_memory_utilization=gpu_memory_utilization, dp=dp, tp=tp, pp=pp, ep=ep,
                   micro_batches=micro_batches, schedule=schedule, dp_overlap=dp_overlap, tp_overlap=tp_overlap,
                   backward_factor=backward_factor, recompute=recompute, optimizer=optimizer)
        return analyze_llm(model=model, hardware=hardware, mode=mode, batch=batch, seq_len=seq_len, precision=precision,
                           fmt=fmt.value, output=output, kernels=kernels, calibration=calibration, o=llm)
    if fusion not in ("auto", "default", "none"):
        raise GraphsError(f"--fusion {fusion!r}: expected auto, default or none")
    gp = _plugins()
    hw_ids = [h.strip() for h in hardware.split(",") if h.strip()]
    if not hw_ids:
        raise GraphsError("--hardware: give at least one hardware id (see `graphs hardware list`)")
    for h in hw_ids:
        gp.hardware_entry(h)  # fail fast on unknown hardware, before tracing
    cal = None
    if calibration is not None:
        from graphs.calibration import load_calibration
        cal = load_calibration(calibration)
        other = [h for h in hw_ids if gp.hardware_entry(h).spec.id != cal.device]
        if other:
            raise GraphsError(f"--calibration {calibration.name} is for {cal.device!r}, not {', '.join(other)}")
    opts = LoadOptions(batch=batch, seq_len=seq_len, input_shapes=parse_input_shapes(input_shape))
    graph = load_model(model, opts, gp)
    results = [estimate(graph, h, gp, fusion=fusion, precision=precision, calibration=cal) for h in hw_ids]
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
    if export is not None:
        typer.echo(ResultsStore(store).export("json" if export is Format.json else "csv"), nl=False)
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
    plan = []                       # every runner and suite checked before the store is opened or created
    for r in chosen:
        why = r.unavailable()
        if why:
            raise GraphsError(f"runner {r.name!r} cannot run here: {why}")
        cases = r.suite(suite)
        if group:
            cases = [c for c in cases if c.group in group]
        if not cases:
            raise GraphsError(f"runner {r.name!r}: suite {suite!r} has no cases" + (f" in groups {group}" if group else ""))
        plan.append((r, cases))
    db = ResultsStore(store)
    con = console()
    for r, cases in plan:
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


@app.command()
def calibrate(
    hardware: str = typer.Option(..., "--hardware", "-H", help="Hardware id (or spec YAML) whose measurements to fit."),
    store: Optional[Path] = typer.Option(None, "--store", help="Results store (default $GRAPHS_STORE or ~/.local/share/graphs/results.sqlite)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Calibration file to write (default $GRAPHS_CALIBRATION_DIR/ID.yaml or ~/.local/share/graphs/calibration/ID.yaml)."),
    holdout: Optional[str] = typer.Option(None, "--holdout", help="MODEL,... whose runs and kernels are not fitted (validate scores them)."),
    statistic: str = typer.Option("median", help="Time of a measurement: median of its repeats, or min (the undisturbed time on a shared machine)."),
    as_json: bool = typer.Option(False, "--json", help="Print what was fitted as JSON."),
    transfer: bool = typer.Option(False, "--transfer", help="No measurements: build the calibration validation scores "
                                  "(its own, if any, plus curves transferred from the installed calibrations of its family)."),
) -> None:
    """Fit a calibration (efficiency curves, dispatch and model overheads) from measurements in the store."""
    from graphs.calibrate import calibrate as fit
    from graphs.calibration import user_calibration_path
    from graphs.report import console
    from graphs.store import ResultsStore

    gp = _plugins()
    hw_id = gp.hardware_entry(hardware).spec.id
    if transfer:
        _calibrate_transfer(gp, hardware, hw_id, output, as_json)
        return
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    with ResultsStore(store) as db:
        cal, rep = fit(db, hardware, gp, holdout=(holdout or "").split(","), statistic=statistic)
    dest = output or user_calibration_path(hw_id)
    _write_calibration(cal.model_dump(mode="json"), dest)
    rep["written"] = str(dest)
    if as_json:
        typer.echo(json.dumps(rep, indent=2, default=str))
        return
    from graphs.validation import calibration_table
    con = console()
    con.print(calibration_table(cal, rep))
    con.print(f"wrote {dest}")


TRANSFER_SOURCE = "graphs calibrate --transfer"


def _write_calibration(data: dict, dest: Path) -> None:
    """Write a calibration's YAML to ``dest`` (its folder created; atomic, see :func:`_emit`)."""
    import yaml

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GraphsError(f"cannot create {dest.parent}: {e.strerror or e}") from None
    _emit(yaml.safe_dump(data, sort_keys=False), dest)


def _calibrate_transfer(gp, hardware: str, hw_id: str, output: Optional[Path], as_json: bool) -> None:
    """``graphs calibrate --transfer``: write the own+transferred calibration of a device."""
    from graphs.calibration import load_calibration, user_calibration_path
    from graphs.datasets.validate import installed_calibrations, transferred_calibration

    cal, desc = transferred_calibration(gp, hardware, installed_calibrations(gp))
    if cal is None:
        raise GraphsError(f"{hw_id}: no installed calibration of its family to transfer from ({desc})")
    dest = output or user_calibration_path(hw_id)
    if output is None and dest.is_file():
        try:
            mine = load_calibration(dest)
        except GraphsError:
            mine = None
        if mine is None or not (mine.transferred_from or mine.source.startswith(TRANSFER_SOURCE)):
            raise GraphsError(f"{dest} holds a calibration fitted from measurements; not replacing it "
                              "(give --output FILE)")
    cal = cal.model_copy(update={"source": f"{TRANSFER_SOURCE}: {desc} | {cal.source}"})
    _write_calibration(cal.model_dump(mode="json", exclude_none=True), dest)
    moved = sorted(k for k, c in cal.curves.items() if c.transferred_from)
    rep = {"device": hw_id, "written": str(dest), "description": desc, "curves": len(cal.curves),
           "transferred_curves": len(moved)}
    if as_json:
        typer.echo(json.dumps(rep, indent=2))
        return
    typer.echo(f"{hw_id}: {desc}")
    typer.echo(f"{len(cal.curves)} curves ({len(moved)} transferred: estimates on them are INTERPOLATED); wrote {dest}")


@app.command()
def validate(
    hardware: Optional[str] = typer.Option(None, "--hardware", "-H", help="Hardware id (or spec YAML) whose measurements to score."),
    data: Optional[Path] = typer.Option(None, "--data", help="A directory laid out like ../shared/data/neusight (device_configs/, labels/<GPU>/): score whole-model labels per row and per GPU."),
    leave_one_out: bool = typer.Option(False, "--leave-one-out", help="--data: predict each GPU from calibrations of the other GPUs only."),
    store: Optional[Path] = typer.Option(None, "--store", help="Results store (default $GRAPHS_STORE or ~/.local/share/graphs/results.sqlite)."),
    models: Optional[str] = typer.Option(None, "--models", help="MODEL,... to score (default: every measured model)."),
    calibration: Optional[Path] = typer.Option(None, "--calibration", help="Calibration file to score (default: the device's own, e.g. from `graphs calibrate`)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json (everything) or csv (one row per model run)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of stdout."),
    statistic: Optional[str] = typer.Option(None, help="median or min (default: what the calibration was fitted on)."),
) -> None:
    """Estimates against measurements: MAPE, max APE, Spearman, interval coverage, composition gap, per model and kernel."""
    from graphs.calibration import load_calibration
    from graphs.report import console, rows_csv
    from graphs.store import ResultsStore
    from graphs.validation import validate as score, validation_tables

    gp = _plugins()
    if data is not None:  # --- labelled data directory (NeuSight layout): graphs.datasets.validate
        _validate_data_dir(data, gp, leave_one_out, fmt, output)
        return
    if hardware is None:
        raise GraphsError("give --hardware ID (measurements in the store) or --data DIR (a labelled data directory)")
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    cal = load_calibration(calibration) if calibration else None
    with ResultsStore(store) as db:
        rep = score(db, hardware, gp, calibration=cal, models=(models or "").split(",") if models else (),
                    statistic=statistic)
    if fmt is Format.json:
        _emit(json.dumps(rep.to_dict(), indent=2, default=str), output)
        return
    if fmt is Format.csv:
        from dataclasses import asdict
        rows = [asdict(r) for r in rep.models]
        _emit(rows_csv(rows[0].keys() if rows else ["model"], [r.values() for r in rows]), output)
        return
    tables = validation_tables(rep)
    if output:
        from rich.console import Console
        with open(output, "w", encoding="utf-8") as fh:
            c = Console(file=fh, width=160)
            for t in tables:
                c.print(t)
        return
    con = console()
    for t in tables:
        con.print(t)
    for s in rep.skipped:
        console(stderr=True).print(f"[yellow]skipped:[/] {escape(s)}")


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
        c = gp.calibration_for(hw_id)
        cal = "THEORETICAL" if c is None else ("INTERPOLATED" if getattr(c, "transferred_from", None) else "CALIBRATED")
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


def _validate_data_dir(data: Path, gp, leave_one_out: bool, fmt: "Format", output: Optional[Path]) -> None:
    """`graphs validate --data DIR`: per-row and per-GPU APE of whole-model estimates against the labels."""
    from rich.table import Table

    from graphs.datasets.validate import validate_dir
    from graphs.report import console, rows_csv

    if not data.is_dir():
        raise GraphsError(f"--data {data}: not a directory")
    rep = validate_dir(data, gp, leave_one_out=leave_one_out)
    if fmt is Format.json:
        _emit(json.dumps(rep.to_dict(), indent=2, default=str), output)
        return
    if fmt is Format.csv:
        cols = ("gpu", "device", "model", "seq", "batch", "measured_s", "predicted_s", "ape", "low_s", "high_s",
                "confidence", "roofline_s")
        _emit(rows_csv(cols, [[getattr(r, c) for c in cols] for r in rep.rows]), output)
        return
    t = Table(title=f"{data}: {len(rep.rows)} labelled rows" + (" (leave one GPU out)" if leave_one_out else ""),
              title_justify="left")
    for c in ("device", "rows", "MAPE", "max APE", "Spearman", "coverage", "roofline MAPE", "NeuSight (published)"):
        t.add_column(c, justify="left" if c == "device" else "right")
    for gpu, s in sorted(rep.per_gpu.items()):
        pub = s.get("published_neusight")
        t.add_row(s["device"], str(s["n"]), f"{s['mape']:.1f}%", f"{s['max_ape']:.1f}%", f"{s['spearman']:.3f}",
                  f"{s['coverage']:.2f}" if s.get("coverage") is not None else "–", f"{s['mape_roofline']:.1f}%",
                  f"{pub['mape']:.1f}%" if pub else "–")
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


@app.command("compare")
def compare_cmd(
    suite: str = typer.Option("measured", "--suite", "-s", help="measured (NeuSight labels, ground truth) or core (ResNet-50, BERT-base, Llama-2-7B on H100/A100)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, markdown, json or csv."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of stdout."),
    data: Optional[Path] = typer.Option(None, "--data", help="Folder holding neusight/ (default $GRAPHS_DATA or ../shared/data)."),
    store: Optional[Path] = typer.Option(None, "--store", help="core: results store with whole-model measurements to join."),
    precision: Optional[str] = typer.Option(None, help="core: precision of the rows (default fp16)."),
    gpus: Optional[str] = typer.Option(None, "--gpus", help="measured: only these GPU folders (comma-separated)."),
    only: Optional[str] = typer.Option(None, "--only", help="Only these estimators (comma-separated; 'recorded' = all recorded sets)."),
    no_ttfp: bool = typer.Option(False, "--no-ttfp", help="Skip the cold-start time-to-first-prediction subprocess."),
    tool_inputs: Optional[Path] = typer.Option(None, "--tool-inputs", help="Keep the tools' written inputs (and runs) in this folder."),
) -> None:
    """Run every estimator on a suite and score it by the MTAP rubric (D1–D5), with failure classes F1–F4."""
    from graphs.compare import FORMATS, compare, render, tables
    from graphs.report import console

    if fmt not in FORMATS:
        raise GraphsError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None  # noqa: E731
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    comp = compare(suite, _plugins(), data=data, store=store, precision=precision, gpus=split(gpus), only=split(only),
                   ttfp=not no_ttfp, tool_inputs=tool_inputs)
    if fmt != "table":
        _emit(render(comp, fmt), output)
        return
    if output:
        from rich.console import Console
        with open(output, "w", encoding="utf-8") as fh:
            c = Console(file=fh, width=200)
            for t in tables(comp):
                c.print(t)
        return
    con = console()
    if not con.is_terminal:
        con.width = max(con.width, 180)   # a pipe gets the whole table, not an 80-column squeeze
    for t in tables(comp):
        con.print(t)
    for n in comp.notes:
        con.print(f"[dim]{escape(n)}[/]")


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
