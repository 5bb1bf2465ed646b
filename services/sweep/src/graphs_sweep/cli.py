"""``graphs sweep``, ``graphs plan`` and ``graphs report`` (see docs/sweep.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Optional

import typer

from graphs.cli_options import Format, FormatOpt, OutputOpt, check_format
from graphs.errors import GraphsError
from graphs.documents import declare_documents

declare_documents("graphs_sweep.documents")      # its JSON document models (pydantic) load on first use


def _ray_opt() -> Any:
    return typer.Option(False, "--ray", help="Run the points as Ray tasks: on a local Ray cluster started for the run, "
                                             "or on --ray-address.")


def _ray_address_opt() -> Any:
    return typer.Option(None, "--ray-address", help="An existing Ray cluster (auto, ray://host:port); implies --ray.")


def _workers(workers: Optional[int]) -> int:
    return workers if workers is not None else max(1, os.cpu_count() or 1)


def _ray_arg(ray: bool, address: Optional[str]) -> bool | str:
    if address:
        return address
    return bool(ray)


def sweep(
    sweep_file: Optional[Path] = typer.Argument(None, help="A YAML sweep file (axes: models, hardware, batch, "
                                                           "precision, seq_len, fusion, mode ...); flags override it."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model(s), comma-separated."),
    hardware: Optional[str] = typer.Option(None, "--hardware", "-H",
                                           help="Device id(s), comma-separated; all; family:gpu; system ids (train)."),
    batch: Optional[str] = typer.Option(None, "--batch", help="Batch size(s), e.g. 1,8,32."),
    precision: Optional[str] = typer.Option(None, "--precision", help="Precision(s), e.g. fp32,fp16 (default: the model's)."),
    seq_len: Optional[str] = typer.Option(None, "--seq-len", help="Sequence length(s) (forward, train)."),
    fusion: Optional[str] = typer.Option(None, "--fusion", help="auto, default, none (comma-separated)."),
    mode: Optional[str] = typer.Option(None, "--mode", help="forward (default), serve or train."),
    prompt_len: Optional[str] = typer.Option(None, "--prompt-len", help="serve: prompt length(s)."),
    gen_len: Optional[str] = typer.Option(None, "--gen-len", help="serve: generated length(s)."),
    tp: Optional[str] = typer.Option(None, "--tp", help="serve/train: tensor-parallel degree(s)."),
    dp: Optional[str] = typer.Option(None, "--dp", help="train: data-parallel degree(s)."),
    pp: Optional[str] = typer.Option(None, "--pp", help="train: pipeline stages."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", min=1, max=1024,
                                          help="Local worker processes (default: the CPU count; 1: in this process)."),
    ray: bool = _ray_opt(),
    ray_address: Optional[str] = _ray_address_opt(),
    output: Path = typer.Option(..., "--output", "-o", help="Results table (Parquet); a re-run resumes it."),
    fresh: bool = typer.Option(False, "--fresh", help="Recompute every point (ignore what the file holds)."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar (default: on a terminal)."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Estimate the cross product of models x devices x batch x precision x sequence length into a Parquet table."""
    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.output import check_output_path, write_output
    from graphs_sweep.runner import run_sweep
    from graphs_sweep.spec import SweepSpec, load_sweep_file, resolve_hardware, split_list, with_overrides

    check_format(fmt, ("table", "json"), "graphs sweep")
    if str(output) == "-":
        raise GraphsError("--output: a sweep writes a Parquet file; give its path")
    check_output_path(output)
    spec = load_sweep_file(sweep_file) if sweep_file is not None else SweepSpec()
    spec = with_overrides(
        spec, mode=mode,
        models=split_list(model, "model") if model else None,
        hardware=split_list(hardware, "hardware") if hardware else None,
        batch=split_list(batch, "batch", True) if batch else None,
        precision=split_list(precision, "precision") if precision else None,
        seq_len=split_list(seq_len, "seq_len", True) if seq_len else None,
        fusion=split_list(fusion, "fusion") if fusion else None,
        prompt_len=split_list(prompt_len, "prompt_len", True) if prompt_len else None,
        gen_len=split_list(gen_len, "gen_len", True) if gen_len else None,
        tp=split_list(tp, "tp", True) if tp else None, dp=split_list(dp, "dp", True) if dp else None,
        pp=split_list(pp, "pp", True) if pp else None)
    gp = _plugins()
    spec.check()
    spec.hardware = resolve_hardware(spec.hardware, gp)
    _check_models(spec.models, gp)
    res = run_sweep(spec, output, gp, workers=_workers(workers), ray=_ray_arg(ray, ray_address), fresh=fresh, progress=progress)
    summary = {"output": str(output), "points": res.computed + res.skipped, "computed": res.computed,
               "skipped (already in the file)": res.skipped, "tasks": res.tasks, "executor": res.executor,
               "elapsed_s": round(res.elapsed_s, 3), "points_per_s": round(res.points_per_s, 1), **{
                   f"status {k}": v for k, v in sorted(res.counts.items())}}
    if fmt is Format.json:
        from graphs.documents import render as document
        write_output(document("graphs.sweep", {**summary, "status": dict(sorted(res.counts.items()))}))
    else:
        from rich.table import Table

        from graphs.output import print_renderables
        t = Table(title="sweep", title_justify="left", show_header=False)
        t.add_column("")
        t.add_column("", justify="right")
        for k, v in summary.items():
            t.add_row(k, str(v))
        refused = [r for r in res.rows if r["status"] != "ok"][:10]
        out: list[Any] = [t]
        if refused:
            from rich.markup import escape
            out.append("\n".join(f"{r['status']}: {r['model']} on {r['hardware']} (batch {r['batch']}, "
                                 f"{r.get('precision') or 'model precision'}): {escape(r.get('reason') or '')}"
                                 for r in refused))
        print_renderables(out)
    warn_failed_plugins(gp)


def _check_models(models: List[str], gp: Any) -> None:
    """Unknown model names fail now (one line), before any device work."""
    for m in models:
        if ".py:" in m or m.endswith((".onnx", ".tflite")) or Path(m).exists():
            continue      # files: the frontend says what is wrong with them, per point
        if gp.find_model(m) is None:
            import difflib
            close = difflib.get_close_matches(m, gp.model_names(), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphs zoo list`"
            raise GraphsError(f"unknown model {m!r}: not a zoo name or an existing file{hint}")


def plan(
    model: str = typer.Argument(..., help="Zoo name, .onnx/.tflite path, or path/to/file.py:factory."),
    hardware: str = typer.Option("all", "--hardware", "-H", help="Candidate devices: ids, all, family:gpu."),
    batch: Optional[str] = typer.Option(None, "--batch", help="Candidate batch sizes (default 1,2,4,8,16,32,64)."),
    precision: Optional[str] = typer.Option(None, "--precision", help="Candidate precisions (default: the model's; serving: fp16)."),
    seq_len: Optional[int] = typer.Option(None, "--seq-len", min=1, help="Sequence length (forward)."),
    prompt_len: Optional[int] = typer.Option(None, "--prompt-len", min=1, help="LLM serving: prompt tokens per request."),
    gen_len: Optional[int] = typer.Option(None, "--gen-len", min=1, help="LLM serving: generated tokens per request."),
    tp: Optional[str] = typer.Option(None, "--tp", help="LLM serving: tensor-parallel degrees to consider (e.g. 1,2)."),
    rate: Optional[float] = typer.Option(None, "--rate", min=0.0, help="Requests per second to serve (cost: USD/hour for enough replicas)."),
    max_latency: Optional[float] = typer.Option(None, "--max-latency", min=0.0, help="Latency ceiling, ms (forward pass; serving: end-to-end)."),
    max_ttft: Optional[float] = typer.Option(None, "--max-ttft", min=0.0, help="Time-to-first-token ceiling, ms."),
    max_tpot: Optional[float] = typer.Option(None, "--max-tpot", min=0.0, help="Time-per-output-token ceiling, ms."),
    max_power: Optional[float] = typer.Option(None, "--max-power", min=0.0, help="Power ceiling, W (all devices used)."),
    fit: bool = typer.Option(True, "--fit/--no-fit", help="Require the model to fit in device memory."),
    price: Optional[List[str]] = typer.Option(None, "--price", help="DEVICE=USD_PER_HOUR (repeatable); wins over the sourced prices."),
    prices: Optional[Path] = typer.Option(None, "--prices", help="A price YAML (layout of graphs_sweep/prices.yaml)."),
    top: int = typer.Option(20, "--top", min=1, help="Rows shown in the table."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", min=1, max=1024, help="Local worker processes."),
    ray: bool = _ray_opt(),
    ray_address: Optional[str] = _ray_address_opt(),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Which device and configuration serves MODEL within the constraints: the latency/energy/cost Pareto front."""
    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.output import check_output_path, write_output
    from graphs_sweep.plan import Constraints, load_prices, make_plan, parse_price
    from graphs_sweep.runner import run_sweep
    from graphs_sweep.spec import SweepSpec, resolve_hardware, split_list

    check_format(fmt, ("table", "json", "csv", "markdown"), "graphs plan")
    check_output_path(output)
    serve = prompt_len is not None or gen_len is not None or max_tpot is not None or max_ttft is not None
    mode = "serve" if serve else "forward"
    batches = split_list(batch, "batch", True) if batch else [1, 2, 4, 8, 16, 32, 64]
    precs = split_list(precision, "precision") if precision else (["fp16"] if serve else [""])
    spec = SweepSpec(mode=mode, models=[model], hardware=split_list(hardware, "hardware"), batch=batches,
                     precision=precs, seq_len=[seq_len or 0],
                     prompt_len=[prompt_len or 512], gen_len=[gen_len or 128],
                     tp=split_list(tp, "tp", True) if tp else [1])
    gp = _plugins()
    spec.check()
    spec.hardware = resolve_hardware(spec.hardware, gp)
    _check_models(spec.models, gp)
    table_prices = load_prices(prices) if prices else load_prices()
    if prices:
        table_prices = {**load_prices(), **table_prices}
    table_prices = {**table_prices, **parse_price(price or [])}
    ms = lambda v: v / 1e3 if v is not None else None  # noqa: E731
    c = Constraints(max_latency_s=ms(max_latency), max_ttft_s=ms(max_ttft), max_tpot_s=ms(max_tpot),
                    max_power_w=max_power, must_fit=fit)
    res = run_sweep(spec, None, gp, workers=_workers(workers), ray=_ray_arg(ray, ray_address))
    workload = {"batch": batches, "precision": [p or "model" for p in precs], "rate_per_s": rate}
    if serve:
        workload.update(prompt_len=prompt_len or 512, gen_len=gen_len or 128, tp=spec.tp)
    rep = make_plan(model, mode, res.rows, table_prices, c, rate, workload, gp)
    if fmt is Format.json:
        from graphs.documents import render as document
        write_output(document("graphs.plan", rep.to_dict()), output)
    elif fmt in (Format.csv, Format.markdown):
        from graphs.report import markdown_table, rows_csv
        cols, rows = plan_rows(rep)
        write_output(rows_csv(cols, rows) if fmt is Format.csv else markdown_table(cols, rows), output)
    else:
        _print_wide(plan_tables(rep, top), output)
    warn_failed_plugins(gp)


def _print_wide(renderables: list[Any], output: Optional[Path]) -> None:
    """Tables as wide as they need (a pipe gets 200 columns, not 80)."""
    import sys

    from graphs.output import is_stdout, print_renderables
    if is_stdout(output) and not sys.stdout.isatty():
        from rich.console import Console
        con = Console(highlight=False, soft_wrap=False, width=200)
        for r in renderables:
            con.print(r)
        return
    print_renderables(renderables, output, width=200)


PLAN_COLUMNS = ("front", "ok", "device", "batch", "prec", "tp", "latency", "90% interval", "confidence",
                "cost", "energy", "replicas", "why not")


def _si(x: float | None, unit: str) -> str:
    from graphs.fmt import fmt_si
    return "unknown" if x is None else fmt_si(x, unit)


def plan_rows(rep: Any) -> tuple[tuple[str, ...], list[list[Any]]]:
    rows = []
    for c in rep.candidates:
        rows.append(["yes" if c.pareto else "", "yes" if c.feasible else "no", c.hardware, c.batch,
                     c.precision or "", c.tp, f"{c.latency_metric} {_si(c.latency_s, 's')}",
                     f"{_si(c.latency_low_s, 's')} – {_si(c.latency_high_s, 's')}", c.confidence,
                     "unknown" if c.cost is None else f"{c.cost:.4g} ({c.cost_low:.3g} – {c.cost_high:.3g}) "
                     + c.cost_unit.replace("USD per 1M ", "$/1M ").replace("USD/hour", "$/h"),
                     "unknown" if c.energy_j is None else f"{_si(c.energy_j, 'J')} ({_si(c.energy_low_j, 'J')} – "
                     f"{_si(c.energy_high_j, 'J')})", "" if c.replicas is None else c.replicas,
                     "; ".join(c.violations)])
    return PLAN_COLUMNS, rows


def plan_tables(rep: Any, top: int) -> list[Any]:
    from rich.markup import escape
    from rich.table import Table
    cols, rows = plan_rows(rep)
    w = rep.workload
    title = (f"plan: {rep.model} ({rep.mode}), batch {','.join(map(str, w['batch']))}"
             + (f", {w['rate_per_s']:g} requests/s" if w.get("rate_per_s") else "")
             + (f", prompt {w['prompt_len']} / generate {w['gen_len']}" if rep.mode == "serve" else "")
             + (f" — {', '.join(rep.constraints.describe())}" if rep.constraints.describe() else ""))
    t = Table(title=title, title_justify="left")
    for col in cols:
        t.add_column(col, justify="right" if col in ("batch", "tp", "replicas") else "left", overflow="fold")
    for r in rows[:top]:
        t.add_row(*[escape(str(v)) for v in r])
    notes = list(rep.notes)
    if len(rows) > top:
        notes.append(f"{len(rows) - top} more rows (--top, or -f json/csv for all)")
    for h, p in rep.prices.items():
        notes.append(f"price {h}: {p['usd_per_hour']:g} USD/h — {p['source']}")
    if rep.refused:
        notes.append(f"{len(rep.refused)} configuration(s) refused, e.g. {rep.refused[0]['hardware']}: "
                     f"{rep.refused[0]['reason']}")
    return [t, "\n".join(f"note: {escape(n)}" for n in notes)]


def report(
    file: Path = typer.Argument(..., help="graphs analyze -f json output, a sweep Parquet file, graphs validate -f json "
                                          "output, or graphs plan -f json output."),
    output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write (self-contained: no network needed)."),
    title: Optional[str] = typer.Option(None, "--title", help="Page title."),
) -> None:
    """A self-contained HTML report (plotly) for an analyze, sweep, validate or plan result."""
    from graphs.cli import _plugins
    from graphs.output import check_output_path, write_output
    from graphs_sweep.report import build_report

    check_output_path(output)
    if not file.is_file():
        raise GraphsError(f"{file}: no such file")
    html = build_report(file, _plugins(), title=title)
    write_output(html, output)
