"""graphs' own estimators on the category suites (:mod:`graphs_compare.categories`).

* ``llm`` — **graphs**: the LLM service's iteration model (:class:`graphs_llm.cost.LLMCostModel`) of
  one decode step (``batch`` sequences with ``seq`` cached tokens each), kernels timed by the GPU
  engine in the ``graph`` runtime (CUDA graphs, as vLLM decodes) with the shipped kernel-time
  calibration, tensor-parallel all-reduces from graphs' system spec; **graphs-roofline**: the same
  kernels at the spec's peaks (the floor).
* ``accel`` — **graphs**: the accel engine's tiling of the layer's GEMM (im2col for a conv, as
  SCALE-Sim maps it) onto *one* array of the device
  (:func:`graphs_mappers_accel.systolic.plan_gemm` with ``units = 1``): cycles and utilization.
* ``collectives`` — **graphs**: :class:`graphs_distributed.collectives.CollectiveModel` of the
  system spec (NVLink/NVSwitch and InfiniBand numbers with sources; nothing fitted).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from graphs.errors import GraphsError
from graphs_compare.facts import facts_for
from graphs_compare.first import time_first_prediction
from graphs_compare.model import EstimatorRun, Outcome
from graphs_compare.suites import Suite


def llm_step_seconds(row: Any, plugins: Any, runtime: str = "graph") -> tuple[float, dict[str, Any]]:
    """graphs' decode-step time of an ``llm`` suite row, and the step's breakdown."""
    from graphs_llm.config import LLMConfig
    from graphs_llm.cost import LLMCostModel
    from graphs_llm.inference import ServeOptions
    from graphs_llm.timing import mapper_for_runtime

    cfg = LLMConfig.from_mapping(row.hf_config, name=row.model)
    tp = int(row.extra.get("tp", 1))
    opts = ServeOptions(prompt_len=max(1, int(row.seq) - 1), gen_len=2, batch=int(row.batch), precision=row.precision,
                        tp=tp, runtime=runtime)
    mapper = mapper_for_runtime(plugins, row.hardware, runtime, None)
    comm = None
    if tp > 1:
        from graphs_distributed.collectives import CollectiveModel
        from graphs_distributed.system import system_for
        system = system_for(row.hardware, plugins)
        system.check_gpus(tp)
        cm = CollectiveModel.for_system(system)
        comm = lambda c, b, p: cm.time(c, b, p)  # noqa: E731
    model = LLMCostModel(cfg, mapper, precision=opts.llm_precision(), attention=opts.attention(), tp=tp,
                         runtime=runtime, comm=comm)
    it = model.iteration(decode=[int(row.seq)] * int(row.batch))
    return float(it.value), {"confidence": it.confidence.name, "low_s": it.low, "high_s": it.high,
                             "parts_s": dict(getattr(it, "parts", {}) or {})}


def graphs_on_llm(suite: Suite, plugins: Any, *, ttfp: bool = True) -> list[EstimatorRun]:
    g = EstimatorRun("graphs", "graphs", "graphs LLM iteration model: decode step on the GPU engine (graph runtime, "
                                         "shipped kernel-time calibration), TP all-reduce from the system spec")
    roof = EstimatorRun("graphs-roofline", "graphs", "graphs' decode-step kernels at the spec's peaks (roofline)")
    for row in suite.rows:
        for run, rt in ((g, "graph"), (roof, "roofline")):
            try:
                t, info = llm_step_seconds(row, plugins, rt)
            except GraphsError as e:
                run.outcomes[row.key] = Outcome(row.key, failure="F2", reason=str(e))
                continue
            run.outcomes[row.key] = Outcome(row.key, t, reason=info["confidence"],
                                            metrics={"low_s": info["low_s"], "high_s": info["high_s"]})
    g.composition = {"levels": ("kernel", "model"), "rows": 0, "scope": facts_for("graphs")["scope"]}
    roof.composition = {"levels": ("model",), "rows": 0, "scope": facts_for("graphs-roofline")["scope"]}
    nothing = {"what": "no model here was fitted", "how": "the GPU engine's calibrations are fitted on single kernels "
               "(VIDUR operator times and micro-benchmarks), never on ML.ENERGY rows"}
    for run in (g, roof):
        run.held_out.update(workload=_held_out(run, suite, nothing), hardware={"why": "one GPU (H100) in this suite"})
    if ttfp and suite.rows:
        r = suite.rows[0]
        t, how = time_first_prediction(["llm", json_arg(r.hf_config), r.model, r.hardware, str(r.batch), str(r.seq),
                                        str(r.extra.get("tp", 1)), r.precision])
        g.ttfp_s, g.ttfp_how = t, how
        roof.ttfp_s, roof.ttfp_how = t, how
    elif not ttfp:
        g.ttfp_how = roof.ttfp_how = "not measured (ttfp off)"
    return [g, roof]


def json_arg(d: Any) -> str:
    import json
    return json.dumps(d, sort_keys=True)


def _held_out(run: EstimatorRun, suite: Suite, how: dict[str, str]) -> dict[str, Any]:
    from graphs import metrics
    pairs = [(o.predicted_s, suite.row(k).measured_s) for k, o in run.outcomes.items()
             if o.ok and suite.row(k).measured_s]
    if not pairs:
        return {"why": "no rows with ground truth"}
    return {"mape": metrics.mape([p for p, _ in pairs], [m for _, m in pairs]), "n": len(pairs),
            "what": f"{len({suite.row(k).model for k in run.predictions()})} models", **how}


# --- accel ---------------------------------------------------------------------------------------------
def layer_gemm(lay: dict[str, Any]) -> Any:
    """A layer of the accel suite as the GEMM an array computes (a conv: im2col, M = output pixels)."""
    from graphs.partition import GemmShape
    if lay["kind"] == "conv":
        s, p = int(lay.get("stride", 1)), int(lay.get("pad", 0))
        oh = (int(lay["h"]) + 2 * p - int(lay["kh"])) // s + 1
        ow = (int(lay["w"]) + 2 * p - int(lay["kw"])) // s + 1
        return GemmShape(m=oh * ow, n=int(lay["c_out"]), k=int(lay["kh"]) * int(lay["kw"]) * int(lay["c_in"]))
    return GemmShape(m=int(lay["m"]), n=int(lay["n"]), k=int(lay["k"]))


def graphs_on_accel(suite: Suite, plugins: Any, *, ttfp: bool = True) -> list[EstimatorRun]:
    from graphs_mappers_accel.systolic import plan_gemm

    g = EstimatorRun("graphs", "graphs", "graphs accel engine: the layer's GEMM tiled onto one array of the device "
                                         "(weight stationary; passes, streamed rows, one pipeline fill)")
    t0 = time.monotonic()
    first = None
    for row in suite.rows:
        try:
            mapper = plugins.mapper_for(row.hardware)
            geo = getattr(getattr(mapper, "device", None), "geometry", None)
            if geo is None:
                raise GraphsError(f"{row.hardware}: the accel engine has no array geometry for it")
            arr = row.extra.get("array", {})
            one = replace(geo, units=1, rows=int(arr.get("rows", geo.rows)), cols=int(arr.get("cols", geo.cols)))
            shape = layer_gemm(row.extra["layer"])
            plan = plan_gemm(shape, one, 1.0)
        except (GraphsError, KeyError) as e:
            g.outcomes[row.key] = Outcome(row.key, failure="F2", reason=str(e))
            continue
        first = first if first is not None else time.monotonic() - t0
        cycles = plan.seconds * one.clock_hz
        g.outcomes[row.key] = Outcome(row.key, plan.seconds, metrics={
            "cycles": cycles, "utilization": plan.utilization, "passes": plan.passes,
            "clock_hz": one.clock_hz, "macs": shape.m * shape.n * shape.k, "plan": plan.label})
    g.composition = {"levels": ("kernel",), "rows": 0, "scope": "one array: tile passes of the layer's GEMM"}
    g.ttfp_s, g.ttfp_how = (first, "in-process: first layer planned") if first is not None else (None, "no prediction")
    return [g]


# --- collectives -------------------------------------------------------------------------------------------
def graphs_on_collectives(suite: Suite, plugins: Any, *, ttfp: bool = True) -> list[EstimatorRun]:
    from graphs_distributed.collectives import CollectiveModel
    from graphs_distributed.system import find_system

    g = EstimatorRun("graphs", "graphs", "graphs collective model from the system spec (ring/tree steps, per-step "
                                         "latency, link bandwidth, NCCL bus-bandwidth cap; nothing fitted)")
    t0 = time.monotonic()
    first = None
    models: dict[str, Any] = {}
    for row in suite.rows:
        sid = row.extra["system"]
        try:
            if sid not in models:
                s = find_system(sid)
                if s is None:
                    raise GraphsError(f"no system spec {sid}")
                models[sid] = CollectiveModel.for_system(s)
            t = models[sid].time(row.extra["collective"], float(row.extra["bytes"]), int(row.extra["ranks"]),
                                 int(row.extra["per_node"]))
        except GraphsError as e:
            g.outcomes[row.key] = Outcome(row.key, failure="F2", reason=str(e))
            continue
        first = first if first is not None else time.monotonic() - t0
        g.outcomes[row.key] = Outcome(row.key, t)
    g.composition = {"levels": ("model",), "rows": 0, "scope": "one collective: steps × latency + traffic / bandwidth"}
    g.held_out.update(workload=_held_out(g, suite, {"how": "spec only: nothing is fitted"}),
                      hardware={"why": "one cluster (A100 DGX) in this suite"})
    g.ttfp_s, g.ttfp_how = (first, "in-process: first collective") if first is not None else (None, "no prediction")
    return [g]
