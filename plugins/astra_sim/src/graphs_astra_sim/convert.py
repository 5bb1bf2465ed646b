"""graphs' training-step estimate (:func:`graphs_llm.training.training_step`) as an ASTRA-sim job.

A thin converter: the per-GPU, per-micro-batch layer times of graphs' report become
:class:`LayerCost`\\ s (ASTRA-sim's trace builder divides compute by ``tp`` and by the number of
micro-batches, so the costs are scaled back up to one replica's step), and the system spec's
links become the network dimensions (tensor, pipeline and data parallel, in that order; a
dimension whose group fits in one node uses the intra-node link, else the NIC):

* ``fwd_s`` = graphs' forward of the layer × tp × micro-batches, ``bwd_s`` = ``backward_factor`` × that;
* ``param_bytes`` = the layer's parameters × bytes per element (gradients all-reduced under DP);
* ``tp_comm_bytes`` = the two Megatron all-reduces of a layer's forward, one micro-batch each
  (ASTRA-sim issues one collective of their summed size);
* ``act_bytes`` = the activation a stage sends per micro-batch (split ``tp`` ways).
"""

from __future__ import annotations

from typing import Any

from graphs_astra_sim.adapter import AstraSimJob
from graphs_astra_sim.config import NetworkDim, SystemConfig
from graphs_astra_sim.workload import LayerCost, TrainingStep


def _dim(system: Any, npus: int, span: int) -> NetworkDim:
    """A network dimension of ``npus`` whose group spans ``span`` consecutive GPUs."""
    lvl = system.intra_node if span <= system.node_size or system.inter_node is None else system.inter_node
    return NetworkDim("Switch" if lvl.topology != "ring" else "Ring", npus, round(lvl.beta / 1e9, 6), round(lvl.step_latency.si * 1e9, 3))


def from_training(report: Any, system: Any, spec: Any = None) -> AstraSimJob:
    """An :class:`AstraSimJob` for a :class:`graphs_llm.training.TrainingReport` on ``system``."""
    p, mb = report.parallel, report.micro_batch
    scale = p.tp * p.micro_batches
    bf = mb["backward_factor"]
    nb = mb["bytes_per_element"]
    act = mb["activation_bytes"] / p.tp
    tp_bytes = 2 * mb["activation_bytes"] * p.micro_batches if p.tp > 1 else 0.0
    layers = [LayerCost("embedding", mb["embedding_forward_s"] * scale, bf * mb["embedding_forward_s"] * scale,
                        mb["embedding_parameters"] * nb, act)]
    n_layers = sum(s["layers"] for s in report.stages)
    for i in range(n_layers):
        f = mb["layer_forward_s"] * scale
        layers.append(LayerCost(f"layer{i}", f, bf * f, mb["layer_parameters"] * nb, act, tp_bytes))
    layers.append(LayerCost("head", mb["head_forward_s"] * scale, bf * mb["head_forward_s"] * scale,
                            mb["head_parameters"] * nb, act))
    step = TrainingStep(report.model, tuple(layers), p.dp, p.tp, p.pp, p.micro_batches,
                        notes=(f"from graphs' training estimate on {system.id} ({report.device})",
                               f"backward = {bf:g} x forward"))
    span = {"tp": p.tp, "pp": p.tp * p.pp, "dp": p.tp * p.pp * p.dp}
    dims = tuple(_dim(system, n, span[k]) for k, n in step.dims)
    sysconf = SystemConfig.from_spec(spec) if spec is not None else SystemConfig()
    return AstraSimJob(step, dims, sysconf, report.device)
