"""Evaluating sweep points inside one worker process (a local pool worker, a Ray worker, or the
main process): one result row per point.

Each worker keeps a :class:`Context`: its own plugin registry (built once per process), the family
engines bound to each device (built once per device), the traced graphs (each model traced once
per batch and sequence length; zoo traces also come from graphs' disk cache) and, in forward mode,
the device-independent :class:`graphs.estimate.Analysis` of each (graph, fusion policy, precision),
so a task of N devices traces once, analyses once per fusion policy and composes N times.

A point that graphs refuses (a :class:`~graphs.errors.GraphsError`: a precision the device cannot
run, a model the serving model cannot take ...) is a row with ``status="refused"`` and the reason;
an unexpected failure is ``status="error"`` (a re-run tries it again). Rows hold no timings, so
the same sweep gives the same table whatever ran it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Sequence

from graphs.errors import GraphsError

from graphs_sweep.spec import Point

GRAPH_CACHE = 8          # traced graphs kept per worker (LRU)


class Context:
    """Per-process state: plugins, family engines per device, traced graphs, analyses."""

    def __init__(self, plugins: Any = None) -> None:
        if plugins is None:
            from graphs.plugins import get_plugins
            plugins = get_plugins()
        self.gp = plugins
        self.mappers: dict[str, Any] = {}
        self.graphs: OrderedDict[tuple, Any] = OrderedDict()
        import graphs
        self.version = graphs.__version__

    def mapper(self, hw: str) -> Any:
        m = self.mappers.get(hw)
        if m is None:
            m = self.mappers[hw] = self.gp.mapper_for(hw)
        return m

    def graph(self, model: str, batch: int, seq_len: int | None) -> Any:
        key = (model, batch, seq_len)
        g = self.graphs.get(key)
        if g is None:
            from graphs.frontends import LoadOptions, load_model
            g = load_model(model, LoadOptions(batch=batch, seq_len=seq_len), self.gp)
            self.graphs[key] = g
            while len(self.graphs) > GRAPH_CACHE:
                self.graphs.popitem(last=False)
        else:
            self.graphs.move_to_end(key)
        return g


_CONTEXT: Context | None = None


def context() -> Context:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = Context()
    return _CONTEXT


def init_worker(env: dict[str, str] | None = None) -> None:
    """Process-pool initializer: the caller's graphs environment, a fresh registry for this worker."""
    import os
    if env:
        os.environ.update(env)
    global _CONTEXT
    _CONTEXT = None


def run_task(points: Sequence[Point], keys: Sequence[str]) -> list[dict[str, Any]]:
    """Rows for one task (points sharing a trace), in the order given."""
    ctx = context()
    mode = points[0].mode
    if mode == "forward":
        return _forward(ctx, points, keys)
    if mode == "serve":
        return [_one(ctx, p, k, _serve) for p, k in zip(points, keys)]
    return [_one(ctx, p, k, _train) for p, k in zip(points, keys)]


# --- rows ---------------------------------------------------------------------------------------
def base_row(p: Point, key: str, version: str) -> dict[str, Any]:
    return {"key": key, "status": "ok", "reason": None, "mode": p.mode, "model": p.model, "hardware": p.hardware,
            "batch": p.batch, "precision": p.precision or None, "seq_len": p.seq_len or None,
            "fusion": p.fusion, "prompt_len": p.prompt_len or None, "gen_len": p.gen_len or None,
            "dp": p.dp, "tp": p.tp, "pp": p.pp, "graphs_version": version}


def refused(p: Point, key: str, version: str, reason: str, status: str = "refused") -> dict[str, Any]:
    row = base_row(p, key, version)
    row["status"], row["reason"] = status, " ".join(reason.split())[:500]
    return row


def _one(ctx: Context, p: Point, key: str, fn: Any) -> dict[str, Any]:
    try:
        return fn(ctx, p, key)
    except GraphsError as e:
        return refused(p, key, ctx.version, str(e))
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # a bug somewhere below: the row says so, a re-run retries it
        return refused(p, key, ctx.version, f"{type(e).__name__}: {e}", status="error")


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --- forward ------------------------------------------------------------------------------------
def _forward(ctx: Context, points: Sequence[Point], keys: Sequence[str]) -> list[dict[str, Any]]:
    from graphs.estimate import analyze_graph, check_device_precision, compose
    p0 = points[0]
    try:
        graph = ctx.graph(p0.model, p0.batch, p0.seq_len or None)
    except GraphsError as e:
        return [refused(p, k, ctx.version, str(e)) for p, k in zip(points, keys)]
    analyses: dict[str, Any] = {}
    rows = []
    for p, key in zip(points, keys):
        def one(ctx: Context, p: Point, key: str) -> dict[str, Any]:
            mapper = ctx.mapper(p.hardware)
            check_device_precision(mapper, p.precision or None)     # a precision the device lacks: refused
            policy = mapper.default_fusion if p.fusion == "auto" else p.fusion
            a = analyses.get(policy)
            if a is None:
                a = analyses[policy] = analyze_graph(graph, ctx.gp, fusion=policy, precision=p.precision or None)
            r = compose(a, mapper, fusion=policy, breakdown=False)
            return forward_row(p, key, ctx.version, r, mapper)
        rows.append(_one(ctx, p, key, one))
    return rows


def forward_row(p: Point, key: str, version: str, r: Any, mapper: Any) -> dict[str, Any]:
    m = r.metrics
    row = base_row(p, key, version)
    by_bound = m.get("time_by_bound_s") or {}
    e_int = m.get("energy_interval_j") or [None, None]
    row.update({
        "hardware": m["hardware"], "hardware_name": m.get("hardware_name"), "family": mapper.family,
        "precision": p.precision or m.get("precision") or None, "fusion": m.get("fusion"),
        "latency_s": r.value, "low_s": r.low, "high_s": r.high, "confidence": r.confidence.name,
        "throughput_per_s": p.batch / r.value if r.value > 0 else None,
        "flops": m["flops"], "bytes": m["bytes"],
        "arithmetic_intensity": m["flops"] / m["bytes"] if m["bytes"] else None,
        "kernels": m["kernels"], "nodes": m["nodes"], "parameters": m["parameters"],
        "parameter_bytes": m["parameter_bytes"], "peak_activation_bytes": m["peak_activation_bytes"],
        "memory_bytes": m["memory_bytes"], "device_memory_bytes": m.get("device_memory_bytes") or None,
        "fits": m.get("fits"),
        "time_compute_s": by_bound.get("compute", 0.0), "time_memory_s": by_bound.get("memory", 0.0),
        "time_overhead_s": by_bound.get("overhead", 0.0),
        "energy_j": _finite(m.get("energy_j")), "energy_low_j": _finite(e_int[0]), "energy_high_j": _finite(e_int[1]),
        "energy_dynamic_min_j": _finite(m.get("energy_dynamic_min_j")), "avg_power_w": _finite(m.get("avg_power_w")),
        "tdp_w": _finite((m.get("energy_coefficients") or {}).get("tdp_w")),
        "estimator": r.provenance.estimator, "calibration": r.provenance.calibration or None,
        "notes": "; ".join(m.get("energy_notes") or []) or None,
    })
    return row


# --- serve --------------------------------------------------------------------------------------
def _serve(ctx: Context, p: Point, key: str) -> dict[str, Any]:
    from graphs_llm.inference import ServeOptions, analyze_serve
    from graphs_llm.timing import mapper_for_runtime
    opts = ServeOptions(prompt_len=p.prompt_len, gen_len=p.gen_len, batch=p.batch, precision=p.precision or "fp16",
                        tp=p.tp)
    dev, system = _device_and_system(ctx, p.hardware, p.tp)
    mapper = mapper_for_runtime(ctx.gp, dev, opts.runtime, None)
    comm = None
    if p.tp > 1:
        from graphs_distributed.collectives import CollectiveModel
        system.check_gpus(p.tp)
        cm = CollectiveModel.for_system(system)
        comm = lambda c, b, pr: cm.time(c, b, pr)  # noqa: E731
    graph = ctx.graph(p.model, p.batch, p.prompt_len)
    rep = analyze_serve(graph, mapper, opts, ctx.gp, comm=comm)
    row = base_row(p, key, ctx.version)
    mem = rep.memory
    row.update({
        "hardware": mapper.spec.id, "hardware_name": mapper.spec.name, "family": mapper.family,
        "latency_s": rep.e2e.value, "low_s": rep.e2e.low, "high_s": rep.e2e.high, "confidence": rep.e2e.confidence,
        "throughput_per_s": p.batch / rep.e2e.value if rep.e2e.value > 0 else None,
        "ttft_s": rep.ttft.value, "ttft_low_s": rep.ttft.low, "ttft_high_s": rep.ttft.high,
        "tpot_s": rep.tpot.value, "tpot_low_s": rep.tpot.low, "tpot_high_s": rep.tpot.high,
        "tokens_per_s": rep.tokens_per_s, "memory_bytes": mem.get("total_bytes"),
        "device_memory_bytes": mem.get("usable_bytes"), "fits": rep.fits, "max_batch": rep.max_batch,
        "parameter_bytes": mem.get("weights_bytes"), "gpus": p.tp,
        "tdp_w": _tdp(mapper.spec), "estimator": "graphs-llm serve", "notes": "energy: not modelled for serving",
    })
    return row


def _device_and_system(ctx: Context, hw: str, gpus: int) -> tuple[str, Any]:
    from graphs_distributed.system import find_system, system_for
    s = find_system(hw)
    if s is not None:
        return s.device, s
    dev = ctx.gp.hardware_entry(hw).spec.id
    return dev, (system_for(dev, ctx.gp) if gpus > 1 else None)


def _tdp(spec: Any) -> float | None:
    pw = getattr(spec, "power", None)
    return float(pw.tdp.si) if pw is not None and pw.tdp is not None else None


# --- train --------------------------------------------------------------------------------------
def _train(ctx: Context, p: Point, key: str) -> dict[str, Any]:
    from graphs_distributed.system import find_system, system_for
    from graphs_llm.config import LLMConfig
    from graphs_llm.training import ParallelConfig, TrainingOptions, training_step
    par = ParallelConfig(dp=p.dp, tp=p.tp, pp=p.pp)
    s = find_system(p.hardware)
    system = s if s is not None else system_for(p.hardware, ctx.gp)
    system.check_gpus(par.gpus)
    opts = TrainingOptions(global_batch=p.batch, seq_len=p.seq_len or 1024, precision=p.precision or "bf16")
    mapper = ctx.mapper(system.device)
    cfg = LLMConfig.from_graph(ctx.graph(p.model, 1, 8))
    rep = training_step(cfg, mapper, system, par, opts)
    row = base_row(p, key, ctx.version)
    row.update({
        "hardware": p.hardware if s is not None else mapper.spec.id, "hardware_name": system.name,
        "family": mapper.family, "latency_s": rep.step_s, "low_s": rep.low_s, "high_s": rep.high_s,
        "confidence": rep.confidence, "throughput_per_s": p.batch / rep.step_s if rep.step_s > 0 else None,
        "tokens_per_s": rep.tokens_per_s, "mfu": rep.mfu, "memory_bytes": rep.memory.get("total_bytes"),
        "device_memory_bytes": rep.memory.get("device_bytes"), "fits": rep.fits, "gpus": par.gpus,
        "tdp_w": _tdp(mapper.spec), "estimator": "graphs-llm train", "notes": "energy: not modelled for training",
    })
    return row
