"""``graphs serve``, ``graphs train`` and ``graphs serving simulate``.

* ``graphs serve MODEL -H DEVICE ...`` — one LLM replica: TTFT, TPOT, E2E, throughput, memory;
* ``graphs train MODEL -H SYSTEM ...`` — one training step with data/tensor/pipeline/expert parallelism;
* ``graphs serving simulate MODEL -H DEVICE ...`` — request-level simulation of one replica.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from graphs.cli_options import (BatchOpt, CalibrationOpt, Format, FormatOpt, HardwareOpt, KernelsOpt, ModelArg,
                                OutputOpt, check_format)
from graphs.errors import GraphsError
from graphs.fmt import fmt_si
from graphs.documents import render
from graphs.documents import declare_documents

declare_documents("graphs_llm.documents")      # its JSON document models (pydantic) load on first use

serving_app = typer.Typer(name="serving", no_args_is_help=True,
                          help="LLM serving: request-level simulation of one replica.")


def escape(text: str) -> str:
    """rich.markup.escape, imported when a table is drawn (not at start-up)."""
    from rich.markup import escape as _escape
    return _escape(text)


def _write(text: str, output: Optional[Path]) -> None:
    from graphs.output import write_output
    write_output(text, output)


def _print(renderables: list, output: Optional[Path]) -> None:
    from graphs.output import print_renderables
    print_renderables(renderables, output)


def _ms(x: float) -> str:
    return fmt_si(x, "s")


def _bytes(x: float | None) -> str:
    return fmt_si(x, "B") if x else "–"


def _load_llm(model: str, batch: int, seq_len: int, gp: Any):
    from graphs.frontends import LoadOptions, load_model
    from graphs_llm.config import LLMConfig
    graph = load_model(model, LoadOptions(batch=batch, seq_len=seq_len), gp)
    return graph, LLMConfig.from_graph(graph)


# --- graphs serve / graphs train ------------------------------------------------------------------
def _one_device(hardware: str, what: str) -> str:
    hw = [h.strip() for h in hardware.split(",") if h.strip()]
    if len(hw) != 1:
        raise GraphsError(f"{what}: give one --hardware (a device, or a system for several GPUs)")
    return hw[0]


def _calibration(path: Optional[Path]) -> Any:
    if path is None:
        return None
    from graphs.calibration import load_calibration
    return load_calibration(path)


def serve(
    model: ModelArg,
    hardware: HardwareOpt,
    batch: BatchOpt = 1,
    precision: str = typer.Option("fp16", "--precision", help="Activation precision (fp16, bf16, fp32 ...)."),
    prompt_len: int = typer.Option(512, "--prompt-len", min=1, help="Prompt tokens per request."),
    gen_len: int = typer.Option(128, "--gen-len", min=1, help="Generated tokens per request."),
    weight_dtype: Optional[str] = typer.Option(None, "--weight-dtype", help="int8 or int4 weight-only quantisation."),
    kv_dtype: Optional[str] = typer.Option(None, "--kv-dtype", help="KV-cache precision (default: --precision)."),
    kv_cache: str = typer.Option("paged", "--kv-cache", help="paged or contiguous KV cache."),
    kv_block_size: int = typer.Option(16, "--kv-block-size", min=1, help="Tokens per KV block (paged)."),
    max_seq_len: Optional[int] = typer.Option(None, "--max-seq-len", min=1, help="Tokens reserved per sequence (contiguous)."),
    attention: str = typer.Option("fused", "--attention", help="fused (FlashAttention) or unfused attention."),
    runtime: str = typer.Option("graph", "--runtime", help="graph (CUDA graphs, as vLLM decodes) or eager."),
    gpu_memory_utilization: float = typer.Option(0.9, "--gpu-memory-utilization", min=0.01, max=1.0,
                                                 help="Share of memory the engine may use."),
    tp: int = typer.Option(1, "--tp", min=1, help="Tensor-parallel GPUs of the replica."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    kernels: KernelsOpt = 8,
    calibration: CalibrationOpt = None,
) -> None:
    """Estimate serving one LLM replica: time to first token, time per output token, throughput, memory."""
    from graphs.cli import _plugins
    from graphs.output import check_output_path
    check_format(fmt, ("table", "json"), "graphs serve")
    check_output_path(output)
    o = dict(prompt_len=prompt_len, gen_len=gen_len, weight_dtype=weight_dtype, kv_dtype=kv_dtype, kv_cache=kv_cache,
             kv_block_size=kv_block_size, max_seq_len=max_seq_len, attention=attention, runtime=runtime,
             gpu_memory_utilization=gpu_memory_utilization, tp=tp)
    _serve(model, _one_device(hardware, "graphs serve"), batch, precision, fmt.value, output, kernels,
           _calibration(calibration), o, _plugins())


def train(
    model: ModelArg,
    hardware: str = typer.Option(..., "--hardware", "-H", help="A system id (graphs systems list) or a device id."),
    batch: BatchOpt = 8,
    seq_len: int = typer.Option(1024, "--seq-len", min=1, help="Tokens per sequence."),
    precision: str = typer.Option("bf16", "--precision", help="Training precision (bf16, fp16, fp32)."),
    dp: int = typer.Option(1, "--dp", min=1, help="Data-parallel degree."),
    tp: int = typer.Option(1, "--tp", min=1, help="Tensor-parallel degree."),
    pp: int = typer.Option(1, "--pp", min=1, help="Pipeline stages."),
    ep: int = typer.Option(1, "--ep", min=1, help="Expert-parallel degree (MoE)."),
    micro_batches: int = typer.Option(1, "--micro-batches", min=1, help="Micro-batches per step."),
    schedule: str = typer.Option("1f1b", "--schedule", help="1f1b or gpipe."),
    dp_overlap: float = typer.Option(1.0, "--dp-overlap", min=0.0, max=1.0, help="Share of the last backward hiding the gradient all-reduce."),
    tp_overlap: float = typer.Option(0.0, "--tp-overlap", min=0.0, max=1.0, help="Share of TP all-reduces hidden behind compute."),
    backward_factor: float = typer.Option(2.0, "--backward-factor", min=0.0, help="Backward time / forward time."),
    recompute: bool = typer.Option(False, "--recompute", help="Full activation recomputation."),
    optimizer: bool = typer.Option(True, "--optimizer/--no-optimizer", help="Include the Adam step."),
    attention: str = typer.Option("fused", "--attention", help="fused (FlashAttention) or unfused attention."),
    runtime: str = typer.Option("eager", "--runtime", help="eager or graph."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    calibration: CalibrationOpt = None,
) -> None:
    """Estimate one training step of an LLM on a multi-GPU system (global batch = --batch sequences)."""
    from graphs.cli import _plugins
    from graphs.output import check_output_path
    check_format(fmt, ("table", "json"), "graphs train")
    check_output_path(output)
    o = dict(dp=dp, tp=tp, pp=pp, ep=ep, micro_batches=micro_batches, schedule=schedule, dp_overlap=dp_overlap,
             tp_overlap=tp_overlap, backward_factor=backward_factor, recompute=recompute, optimizer=optimizer,
             attention=attention, runtime=runtime)
    _train(model, _one_device(hardware, "graphs train"), batch, seq_len, precision, fmt.value, output,
           _calibration(calibration), o, _plugins())


def _device_and_system(hardware: str, gpus: int, gp: Any):
    """(device id, system or None) for a --hardware that is a device or a system."""
    from graphs_distributed.system import find_system, system_for
    s = find_system(hardware)
    if s is not None:
        return s.device, s
    dev = gp.hardware_entry(hardware).spec.id
    return dev, (system_for(dev, gp) if gpus > 1 else None)


def _serve(model, hardware, batch, precision, fmt, output, kernels, cal, o, gp) -> None:
    from graphs_distributed.collectives import CollectiveModel
    from graphs_llm.inference import ServeOptions, analyze_serve
    tp = o.get("tp", 1)
    dev, system = _device_and_system(hardware, tp, gp)
    opts = ServeOptions(prompt_len=o["prompt_len"], gen_len=o["gen_len"], batch=batch, precision=precision,
                        weight_dtype=o.get("weight_dtype"), kv_dtype=o.get("kv_dtype"),
                        fused_attention=o.get("attention", "fused") == "fused",
                        paged_kv=o.get("kv_cache", "paged") == "paged", block_size=o.get("kv_block_size", 16),
                        max_seq_len=o.get("max_seq_len"), gpu_memory_utilization=o.get("gpu_memory_utilization", 0.9),
                        runtime=o.get("runtime") or "graph", tp=tp)
    if o.get("kv_cache", "paged") not in ("paged", "contiguous"):
        raise GraphsError("--kv-cache: expected paged or contiguous")
    if o.get("attention", "fused") not in ("fused", "unfused"):
        raise GraphsError("--attention: expected fused or unfused")
    from graphs_llm.timing import mapper_for_runtime
    mapper = mapper_for_runtime(gp, dev, opts.runtime, cal)
    graph, _ = _load_llm(model, batch, opts.prompt_len, gp)
    comm = None
    if tp > 1:
        system.check_gpus(tp)
        cm = CollectiveModel.for_system(system)
        comm = lambda c, b, p: cm.time(c, b, p)  # noqa: E731
    rep = analyze_serve(graph, mapper, opts, gp, comm=comm)
    if fmt == "json":
        _write(render("graphs.serve", rep.to_dict()), output)
        return
    _print(serve_tables(rep, mapper.spec.name, kernels), output)


def serve_tables(rep, device_name: str, kernels: int = 8) -> list:
    from rich.table import Table
    o = rep.options
    c = rep.config
    title = (f"{rep.model} on {device_name}{f' x{o.tp} (tensor parallel)' if o.tp > 1 else ''} — serve: batch {o.batch}, "
             f"prompt {o.prompt_len}, generate {o.gen_len}, {o.precision}"
             + (f", {o.weight_dtype} weights" if o.weight_dtype else ""))
    t = Table(title=title, title_justify="left")
    for col in ("", "estimate", "interval", "confidence"):
        t.add_column(col, justify="left" if col in ("", "confidence") else "right")
    for name, ph in (("time to first token (prefill)", rep.ttft), ("time per output token (decode)", rep.tpot),
                     ("end-to-end latency", rep.e2e)):
        t.add_row(name, _ms(ph.value), f"{_ms(ph.low)} – {_ms(ph.high)}", ph.confidence)
    t.add_row("throughput (output tokens/s)", f"{rep.tokens_per_s:,.0f}", f"decode only {rep.decode_tokens_per_s:,.0f}", "")
    t.add_row("prefill, iteration builder", _ms(rep.prefill_builder_s), "(cross-check of the trace)", "")
    m = rep.memory
    mt = Table(title="memory per GPU", title_justify="left")
    mt.add_column("")
    mt.add_column("bytes", justify="right")
    mt.add_column("", justify="left")
    mt.add_row("weights", _bytes(m["weights_bytes"]), f"{o.weight_dtype or o.precision}")
    mt.add_row("KV cache per token", _bytes(m["kv_bytes_per_token"]),
               f"2 x {c['layers']} layers x {c['kv_heads']} KV heads x {c['head_dim']} ({'MHA' if c['kv_heads'] == c['heads'] else 'GQA/MQA'})")
    mt.add_row("KV cache, batch", _bytes(m["kv_allocated_bytes"]),
               f"{m['kv_layout']}; used {_bytes(m['kv_used_bytes'])}, fragmentation {m['kv_fragmentation']:.1%}")
    mt.add_row("activations (peak)", _bytes(m["activation_bytes"]), "largest prefill layer / LM head")
    fit = {True: "fits", False: "does NOT fit", None: "capacity unknown"}[rep.fits]
    mt.add_row("total", _bytes(m["total_bytes"]),
               f"{fit} in {_bytes(m['usable_bytes'])} usable ({o.gpu_memory_utilization:.0%} of {_bytes(m['device_bytes'])})"
               + (f"; largest batch that fits ≈ {rep.max_batch}" if rep.max_batch is not None else ""))
    out: list = [t, mt]
    if kernels and rep.kernels:
        kt = Table(title=f"prefill: {min(kernels, len(rep.kernels))} slowest kernels", title_justify="left")
        for col in ("kernel", "kind", "time", "bound", "unit"):
            kt.add_column(col, justify="right" if col == "time" else "left")
        for k in rep.kernels[:kernels]:
            kt.add_row(escape(k["name"]), k["kind"], _ms(k["time_s"]), k["bound"], escape(k["unit"]))
        out.append(kt)
    out.append("\n".join(f"note: {escape(n)}" for n in rep.notes))
    return out


def _train(model, hardware, batch, seq_len, precision, fmt, output, cal, o, gp) -> None:
    from graphs_distributed.system import find_system, system_for
    from graphs_llm.training import ParallelConfig, TrainingOptions, training_step
    par = ParallelConfig(dp=o.get("dp", 1), tp=o.get("tp", 1), pp=o.get("pp", 1), ep=o.get("ep", 1),
                         micro_batches=o.get("micro_batches", 1), schedule=o.get("schedule", "1f1b"))
    s = find_system(hardware)
    system = s if s is not None else system_for(hardware, gp)
    dev = system.device
    if s is None and gp.hardware_entry(hardware).spec.id != dev:
        raise GraphsError(f"{hardware}: no system of that device; give --hardware a system id")
    if o.get("attention", "fused") not in ("fused", "unfused"):
        raise GraphsError("--attention: expected fused or unfused")
    opts = TrainingOptions(global_batch=batch, seq_len=seq_len or 1024, precision=precision,
                           backward_factor=o.get("backward_factor", 2.0), recompute=o.get("recompute", False),
                           dp_overlap=o.get("dp_overlap", 1.0), tp_overlap=o.get("tp_overlap", 0.0),
                           optimizer=o.get("optimizer", True), fused_attention=o.get("attention", "fused") == "fused",
                           runtime=o.get("runtime") or "eager")
    mapper = gp.mapper_for(dev, cal)
    _, cfg = _load_llm(model, 1, 8, gp)
    rep = training_step(cfg, mapper, system, par, opts)
    if fmt == "json":
        _write(render("graphs.train", rep.to_dict()), output)
        return
    _print(train_tables(rep, system.name), output)


def train_tables(rep, system_name: str) -> list:
    from rich.table import Table
    p, o = rep.parallel, rep.options
    title = (f"{rep.model} training step on {system_name}: {p.gpus} GPU(s) = dp {p.dp} x tp {p.tp} x pp {p.pp}"
             + (f" (ep {p.ep})" if p.ep > 1 else "") + f", {p.micro_batches} micro-batch(es), global batch "
             f"{o.global_batch} x {o.seq_len} tokens, {o.precision}")
    t = Table(title=title, title_justify="left")
    t.add_column("")
    t.add_column("time", justify="right")
    t.add_row("step time", f"{_ms(rep.step_s)}  [{_ms(rep.low_s)} – {_ms(rep.high_s)}] {rep.confidence}")
    labels = {"compute_s": "compute per GPU (fwd + bwd)", "pipeline_bubble_s": "pipeline bubble",
              "tp_comm_s": "tensor-parallel all-reduces", "ep_comm_s": "expert all-to-alls",
              "pp_p2p_s": "pipeline sends (fill/drain)", "dp_allreduce_s": "gradient all-reduce (total)",
              "dp_allreduce_exposed_s": "gradient all-reduce (exposed)", "optimizer_s": "optimizer step"}
    for k, v in rep.breakdown.items():
        if v:
            t.add_row(labels.get(k, k), _ms(v))
    t.add_row("throughput", f"{rep.tokens_per_s:,.0f} tokens/s")
    t.add_row("model FLOPs utilisation", f"{rep.mfu:.1%}")
    st = Table(title="pipeline stages (one micro-batch)", title_justify="left")
    for c in ("stage", "layers", "forward", "backward", "TP/EP comm"):
        st.add_column(c, justify="right")
    for i, s in enumerate(rep.stages):
        st.add_row(str(i), str(s["layers"]), _ms(s["forward_s"]), _ms(s["backward_s"]), _ms(s["comm_s"]))
    m = rep.memory
    mt = Table(title="memory per GPU", title_justify="left")
    mt.add_column("")
    mt.add_column("bytes", justify="right")
    for k in ("weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes", "total_bytes"):
        mt.add_row(k.removesuffix("_bytes"), _bytes(m[k]))
    mt.add_row("device", _bytes(m["device_bytes"]) + ("" if rep.fits is None else (" (fits)" if rep.fits else " (does NOT fit)")))
    return [t, st, mt, "\n".join(f"note: {escape(n)}" for n in rep.notes)]


# --- graphs serving simulate ----------------------------------------------------------------------
def parse_lengths(spec: str):
    """``fixed:P:D`` | ``uniform:MIN:MAX[:RATIO]`` | ``zipf:THETA:MIN:MAX[:RATIO]`` | ``trace:FILE.csv``."""
    from graphs_llm.scenario import Lengths
    parts = spec.split(":")
    kind = parts[0]
    try:
        if kind == "fixed" and len(parts) == 3:
            return Lengths("fixed", prefill=int(parts[1]), decode=int(parts[2]))
        if kind == "uniform" and len(parts) in (3, 4):
            return Lengths("uniform", min_tokens=int(parts[1]), max_tokens=int(parts[2]),
                           **({"prefill_to_decode_ratio": float(parts[3])} if len(parts) == 4 else {}))
        if kind == "zipf" and len(parts) in (4, 5):
            return Lengths("zipf", theta=float(parts[1]), min_tokens=int(parts[2]), max_tokens=int(parts[3]),
                           **({"prefill_to_decode_ratio": float(parts[4])} if len(parts) == 5 else {}))
        if kind == "trace" and len(parts) >= 2:
            return Lengths.from_csv(":".join(parts[1:]))
    except ValueError:
        pass
    raise GraphsError(f"--lengths {spec!r}: expected fixed:P:D, uniform:MIN:MAX[:RATIO], zipf:THETA:MIN:MAX[:RATIO] "
                      "or trace:FILE.csv")


def run_scenario(scenario, gp: Any, calibration: Any = None):
    """(ServingResult, IterationModel) for a scenario (loads the model's config from the zoo)."""
    from graphs_distributed.collectives import CollectiveModel
    from graphs.hardware.schema import PRECISION_DTYPE
    from graphs_llm.builder import AttentionImpl, Precision
    from graphs_llm.cost import LLMCostModel
    from graphs_llm.serving import IterationModel, simulate
    from graphs_llm.timing import mapper_for_runtime
    dev, system = _device_and_system(scenario.hardware, scenario.tp, gp)
    mapper = mapper_for_runtime(gp, dev, scenario.runtime, calibration)
    _, cfg = _load_llm(scenario.model, 1, 8, gp)
    comm = None
    if scenario.tp > 1:
        system.check_gpus(scenario.tp)
        cm = CollectiveModel.for_system(system)
        comm = lambda c, b, p: cm.time(c, b, p)  # noqa: E731
    if scenario.precision not in PRECISION_DTYPE:
        raise GraphsError(f"--precision {scenario.precision!r} is unknown")
    cost = LLMCostModel(cfg, mapper, precision=Precision(act=PRECISION_DTYPE[scenario.precision],
                                                         weight=scenario.weight_dtype),
                        attention=AttentionImpl(block_size=scenario.block_size), tp=scenario.tp,
                        runtime=scenario.runtime, comm=comm)
    im = IterationModel(cost)
    return simulate(scenario, im), im


@serving_app.command("simulate")
def serving_simulate(
    model: str = typer.Argument(..., help="Zoo decoder (graphs zoo list)."),
    hardware: str = typer.Option(..., "--hardware", "-H", help="Device id (or a system id with --tp)."),
    scheduler: str = typer.Option("vllm", help="vllm (continuous batching, prefill priority) or sarathi (chunked prefill)."),
    requests: int = typer.Option(1000, "--requests", "-n", min=1, help="Number of requests."),
    qps: float = typer.Option(4.0, help="Poisson arrival rate (requests/s); 0: all arrive at t=0."),
    lengths: str = typer.Option("fixed:512:128", help="fixed:P:D, uniform:MIN:MAX[:RATIO], zipf:THETA:MIN:MAX[:RATIO], trace:FILE.csv"),
    batch_size_cap: int = typer.Option(128, "--batch-size-cap", min=1, help="Most sequences in one iteration."),
    chunk_size: int = typer.Option(512, "--chunk-size", min=1, help="sarathi: token budget per iteration."),
    max_tokens_in_batch: int = typer.Option(4096, "--max-tokens-in-batch", min=1, help="vllm: prefill token budget."),
    block_size: int = typer.Option(16, "--kv-block-size", min=1),
    precision: str = typer.Option("fp16", help="Activation precision."),
    weight_dtype: Optional[str] = typer.Option(None, "--weight-dtype", help="int8 or int4 weight-only quantisation."),
    tp: int = typer.Option(1, "--tp", min=1, help="Tensor-parallel GPUs per replica."),
    runtime: str = typer.Option("graph", help="graph (CUDA graphs: kernel times back to back) or eager."),
    seed: int = typer.Option(42, help="Random seed of arrivals and lengths."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    vidur_out: Optional[Path] = typer.Option(None, "--vidur-out", help="Also write VIDUR's inputs for the same scenario here."),
) -> None:
    """Simulate one serving replica: TTFT, TPOT and E2E with P50/P99, throughput (VIDUR's metrics)."""
    from graphs.output import check_output_path
    from graphs.plugins import get_plugins
    from graphs_llm.scenario import ServingScenario
    check_format(fmt, ("table", "json"), "graphs serving simulate")
    check_output_path(output)
    sc = ServingScenario(model=model, hardware=hardware, num_requests=requests, qps=qps or None,
                         lengths=parse_lengths(lengths), scheduler=scheduler, batch_size_cap=batch_size_cap,
                         chunk_size=chunk_size, max_tokens_in_batch=max_tokens_in_batch, block_size=block_size,
                         precision=precision, weight_dtype=weight_dtype, tp=tp, runtime=runtime, seed=seed)
    gp = get_plugins()
    res, _ = run_scenario(sc, gp)
    s = res.summary()
    written = []
    if vidur_out is not None:
        if "vidur" not in gp.tools or not hasattr(gp.tools["vidur"][0], "serving_inputs"):
            raise GraphsError("--vidur-out needs the VIDUR adapter (pip install graphs-vidur)")
        written = [str(p) for p in gp.tools["vidur"][0].serving_inputs(sc, gp, vidur_out)]
    if fmt is Format.json:
        _write(render("graphs.serving.simulate", {"scenario": sc.to_dict(), "summary": s, "vidur_inputs": written}),
               output)
        return
    from rich.table import Table
    t = Table(title=f"{model} on {hardware}: {requests} requests, {scheduler}, "
                    f"{'Poisson ' + format(qps, 'g') + ' req/s' if qps else 'all at t=0'}, lengths {lengths}, seed {seed}",
              title_justify="left")
    for c in ("metric", "mean", "P50", "P90", "P99"):
        t.add_column(c, justify="left" if c == "metric" else "right")
    for key, label in (("ttft_s", "TTFT"), ("tpot_s", "TPOT"), ("tbt_s", "time between tokens"), ("e2e_s", "E2E"),
                       ("scheduling_delay_s", "scheduling delay")):
        st = s[key]
        t.add_row(label, *(_ms(st[k]) for k in ("mean", "p50", "p90", "p99")))
    info = (f"throughput {s['throughput_req_s']:.2f} req/s, {s['output_tokens_per_s']:,.0f} output tokens/s; "
            f"{s['iterations']} iterations, {s['preemptions']} preemptions, {s['kv_blocks']} KV blocks of {block_size}; "
            f"simulated in {s['sim_wall_s']:.2f} s ({s['simulated_requests_per_wall_s']:,.0f} requests/s)")
    _print([t, info] + ([f"VIDUR inputs: {', '.join(written)}"] if written else []), output)


