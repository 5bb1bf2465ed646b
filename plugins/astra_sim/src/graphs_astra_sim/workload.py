"""A training step (data / tensor / pipeline parallel) as Chakra execution traces, one per NPU.

:class:`TrainingStep` lists layers with forward/backward compute times and the bytes they
communicate. :func:`build_traces` turns it into Chakra ``Node`` lists:

* compute: one ``COMP_NODE`` per layer and direction, ``duration_micros`` from the time
  (ASTRA-sim replays it ×1000 ns). Chakra durations are whole microseconds, so they are rounded
  on the *cumulative* time (error diffusion): the trace's total compute differs from the exact
  one by < 1 µs per stage, however many small kernels there are. ``num_ops`` / ``tensor_size``
  are attached when known so ASTRA-sim's roofline mode can be used instead;
* data parallel: gradients are grouped in buckets of ``bucket_bytes`` in backward order (as
  PyTorch DDP does) and each bucket is one ``ALL_REDUCE`` ``COMM_COLL_NODE`` that depends on the
  backward node completing it, so communication overlaps the rest of the backward pass;
* tensor parallel: compute and parameters are split ``tp`` ways; a layer's ``tp_comm_bytes``
  is all-reduced after its forward and after its backward (Megatron-style row-parallel layers);
* pipeline parallel: layers are cut into ``pp`` contiguous stages; GPipe schedule with
  ``microbatches``: activations (``act_bytes``) are sent forward with ``COMM_SEND_NODE`` /
  ``COMM_RECV_NODE``, gradients backward.

NPUs are numbered ``tp_i + tp·(pp_i + pp·dp_i)`` and the network has one dimension per
parallelism > 1 in the order tp, pp, dp; a collective names its dimension through the
``involved_dim`` attribute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from graphs.ir import Graph
from graphs.results import EstimationResult
from graphs_tools import ToolInputError
from graphs_astra_sim.chakra import ChakraSchema, attr, load_schema

ET_VERSION = "0.0.4"
DEFAULT_BUCKET_BYTES = 25 * 2**20


@dataclass(frozen=True)
class LayerCost:
    """One layer (or kernel) of the model, for one replica before tensor parallelism."""

    name: str
    fwd_s: float
    bwd_s: float
    param_bytes: float = 0.0     # gradient bytes it produces (all-reduced under data parallelism)
    act_bytes: float = 0.0       # output activation bytes (sent between pipeline stages)
    tp_comm_bytes: float = 0.0   # bytes all-reduced across the TP group after fwd and after bwd
    flops: float = 0.0
    bytes: float = 0.0


@dataclass(frozen=True)
class TrainingStep:
    """A training step: layers plus the parallelism it runs with."""

    name: str
    layers: tuple[LayerCost, ...]
    dp: int = 1
    tp: int = 1
    pp: int = 1
    microbatches: int = 1
    bucket_bytes: float = DEFAULT_BUCKET_BYTES
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        for k in ("dp", "tp", "pp", "microbatches"):
            if getattr(self, k) < 1:
                raise ToolInputError(f"{self.name}: {k} must be >= 1")
        if not self.layers:
            raise ToolInputError(f"{self.name}: a training step needs at least one layer")
        if self.pp > len(self.layers):
            raise ToolInputError(f"{self.name}: pp={self.pp} stages but only {len(self.layers)} layers")

    @property
    def npus(self) -> int:
        return self.dp * self.tp * self.pp

    @property
    def dims(self) -> list[tuple[str, int]]:
        """Network dimensions (parallelism name, size), only those > 1; at least one."""
        d = [(k, getattr(self, k)) for k in ("tp", "pp", "dp") if getattr(self, k) > 1]
        return d or [("dp", 1)]

    def npu(self, tp_i: int, pp_i: int, dp_i: int) -> int:
        return tp_i + self.tp * (pp_i + self.pp * dp_i)

    def stages(self) -> list[list[LayerCost]]:
        """Contiguous split of the layers into ``pp`` stages of about equal forward time."""
        total = sum(layer.fwd_s for layer in self.layers)
        out: list[list[LayerCost]] = [[] for _ in range(self.pp)]
        cur, acc, n = 0, 0.0, len(self.layers)
        for i, layer in enumerate(self.layers):
            left = self.pp - cur - 1
            if left and out[cur] and (acc + layer.fwd_s / 2 > total * (cur + 1) / self.pp or n - i == left):
                cur += 1
            out[cur].append(layer)
            acc += layer.fwd_s
        return out

    @classmethod
    def from_estimate(cls, graph: Graph, result: EstimationResult, *, dp: int = 1, tp: int = 1, pp: int = 1,
                      microbatches: int = 1, backward_factor: float = 2.0,
                      bucket_bytes: float = DEFAULT_BUCKET_BYTES) -> "TrainingStep":
        """One :class:`LayerCost` per kernel of a graphs estimate (``result.breakdown``).

        Forward time = the kernel's estimate; backward = ``backward_factor`` × forward (an
        assumption: ≈2× for matrix ops, stated in the notes); gradient bytes = the parameters the
        kernel's nodes read; activation bytes = the kernel's last node's outputs.
        """
        if not result.breakdown:
            raise ToolInputError(f"{graph.name}: the estimate has no per-kernel breakdown")
        nodes = {n.name: n for n in graph.nodes}
        layers = []
        for k in result.breakdown:
            params = {v for nn in k.nodes if nn in nodes for v in nodes[nn].inputs if v in graph.parameters}
            last = nodes.get(k.nodes[-1]) if k.nodes else None
            act = sum(graph.values[o].nbytes for o in last.outputs if o in graph.values) if last else 0.0
            layers.append(LayerCost(k.name, k.time_s, backward_factor * k.time_s,
                                    sum(graph.values[p].nbytes for p in params), act, 0.0, k.flops, k.bytes))
        notes = (f"backward time = {backward_factor:g} x forward (assumption)",
                 f"forward times from {result.provenance.estimator} on {result.provenance.hardware or '?'}")
        return cls(graph.name, tuple(layers), dp, tp, pp, microbatches, bucket_bytes, notes)


class _Trace:
    """Nodes of one NPU's trace under construction."""

    def __init__(self, schema: ChakraSchema) -> None:
        self.s = schema
        self.nodes: list[Any] = []
        self._cum_exact = 0.0   # exact compute time so far, s
        self._cum_us = 0        # emitted whole microseconds so far

    def _add(self, name: str, type_name: str, deps: Iterable[int], attrs: list[Any], duration_us: int = 0) -> int:
        nid = len(self.nodes)
        n = self.s.Node(id=nid, name=name, type=self.s.enum_value("NodeType", type_name))
        n.data_deps.extend(sorted(set(d for d in deps if d is not None)))
        if duration_us:
            n.duration_micros = duration_us
        n.attr.extend([attr(self.s, "is_cpu_op", bool_val=False), *attrs])
        self.nodes.append(n)
        return nid

    def comp(self, name: str, seconds: float, deps: Iterable[int], flops: float = 0.0, nbytes: float = 0.0) -> int:
        self._cum_exact += seconds
        target = round(self._cum_exact * 1e6)
        dur = max(0, target - self._cum_us)
        self._cum_us += dur
        extra = []
        if flops > 0:
            extra.append(attr(self.s, "num_ops", int64_val=int(flops)))
        if nbytes > 0:
            extra.append(attr(self.s, "tensor_size", uint64_val=int(nbytes)))
        return self._add(name, "COMP_NODE", deps, extra, dur)

    def coll(self, name: str, nbytes: float, deps: Iterable[int], involved: Sequence[bool], kind: str = "ALL_REDUCE") -> int:
        a = [attr(self.s, "comm_type", int64_val=self.s.enum_value("CollectiveCommType", kind)),
             attr(self.s, "comm_size", int64_val=int(math.ceil(nbytes)))]
        if not all(involved):
            a.append(attr(self.s, "involved_dim", bool_list=self.s.BoolList(values=list(involved))))
        return self._add(name, "COMM_COLL_NODE", deps, a)

    def p2p(self, name: str, send: bool, src: int, dst: int, nbytes: float, tag: int, deps: Iterable[int]) -> int:
        a = [attr(self.s, "comm_src", int32_val=src), attr(self.s, "comm_dst", int32_val=dst),
             attr(self.s, "comm_size", int64_val=int(math.ceil(nbytes))), attr(self.s, "comm_tag", int32_val=tag)]
        return self._add(name, "COMM_SEND_NODE" if send else "COMM_RECV_NODE", deps, a)

    @property
    def exact_compute_s(self) -> float:
        return self._cum_exact

    @property
    def emitted_compute_s(self) -> float:
        return self._cum_us * 1e-6


def build_traces(step: TrainingStep, schema: ChakraSchema | None = None) -> tuple[Any, dict[int, list[Any]], dict]:
    """``(GlobalMetadata, {npu: [Node, ...]}, summary)`` for every NPU of the step."""
    s = schema or load_schema()
    meta = s.GlobalMetadata(version=ET_VERSION)
    dims = [k for k, _ in step.dims]

    def involved(kind: str) -> list[bool]:
        return [k == kind for k in dims]

    stages = step.stages()
    traces: dict[int, list[Any]] = {}
    rounding: list[float] = []
    for dp_i in range(step.dp):
        for pp_i, layers in enumerate(stages):
            for tp_i in range(step.tp):
                npu = step.npu(tp_i, pp_i, dp_i)
                t = _Trace(s)
                prev_stage = step.npu(tp_i, pp_i - 1, dp_i) if pp_i > 0 else None
                next_stage = step.npu(tp_i, pp_i + 1, dp_i) if pp_i < step.pp - 1 else None
                last: int | None = None
                mb = step.microbatches
                # forward, microbatch by microbatch (GPipe)
                for m in range(mb):
                    if prev_stage is not None:
                        last = t.p2p(f"recv_act_mb{m}", False, prev_stage, npu, layers[0].act_bytes or 1,
                                     _tag(pp_i - 1, m, 0), [last])
                    for layer in layers:
                        last = t.comp(f"fwd:{layer.name}:mb{m}", layer.fwd_s / step.tp / mb, [last],
                                      layer.flops / step.tp / mb, layer.bytes / step.tp / mb)
                        if step.tp > 1 and layer.tp_comm_bytes:
                            last = t.coll(f"tp_ar_fwd:{layer.name}:mb{m}", layer.tp_comm_bytes / mb, [last],
                                          involved("tp"))
                    if next_stage is not None:
                        last = t.p2p(f"send_act_mb{m}", True, npu, next_stage, layers[-1].act_bytes or 1,
                                     _tag(pp_i, m, 0), [last])
                # backward, microbatches in reverse, layers in reverse; gradient buckets for DP
                bucket: list[int] = []
                bucket_bytes = 0.0
                n_bucket = 0
                grads_pending = {layer.name: step.microbatches for layer in layers}
                for m in reversed(range(mb)):
                    if next_stage is not None:
                        last = t.p2p(f"recv_grad_mb{m}", False, next_stage, npu, layers[-1].act_bytes or 1,
                                     _tag(pp_i, m, 1), [last])
                    for layer in reversed(layers):
                        last = t.comp(f"bwd:{layer.name}:mb{m}", layer.bwd_s / step.tp / mb, [last],
                                      2 * layer.flops / step.tp / mb, layer.bytes / step.tp / mb)
                        if step.tp > 1 and layer.tp_comm_bytes:
                            last = t.coll(f"tp_ar_bwd:{layer.name}:mb{m}", layer.tp_comm_bytes / mb, [last],
                                          involved("tp"))
                        grads_pending[layer.name] -= 1
                        if step.dp > 1 and grads_pending[layer.name] == 0 and layer.param_bytes > 0:
                            bucket_bytes += layer.param_bytes / step.tp
                            if bucket_bytes >= step.bucket_bytes:
                                bucket.append(t.coll(f"dp_allreduce_bucket{n_bucket}", bucket_bytes, [last],
                                                     involved("dp")))
                                n_bucket, bucket_bytes = n_bucket + 1, 0.0
                    if prev_stage is not None:
                        last = t.p2p(f"send_grad_mb{m}", True, npu, prev_stage, layers[0].act_bytes or 1,
                                     _tag(pp_i - 1, m, 1), [last])
                if step.dp > 1 and bucket_bytes > 0:
                    bucket.append(t.coll(f"dp_allreduce_bucket{n_bucket}", bucket_bytes, [last], involved("dp")))
                traces[npu] = t.nodes
                rounding.append(t.emitted_compute_s - t.exact_compute_s)
    summary = {
        "npus": step.npus, "dims": step.dims, "stages": [[layer.name for layer in st] for st in stages],
        "max_rounding_s": max((abs(r) for r in rounding), default=0.0),
        "gradient_bytes": sum(layer.param_bytes for layer in step.layers),
        "nodes_per_npu": {k: len(v) for k, v in sorted(traces.items())},
    }
    return meta, dict(sorted(traces.items())), summary


def _tag(stage: int, microbatch: int, direction: int) -> int:
    """A tag unique per (sending stage, microbatch, direction) so sends match their receives."""
    return (stage * 100_000 + microbatch) * 2 + direction
