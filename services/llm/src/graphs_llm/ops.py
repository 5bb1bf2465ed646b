"""Op types of the LLM iteration builder (namespace ``llm::``) and their cost formulas.

The builder (:mod:`graphs_llm.builder`) writes ordinary :class:`graphs.ir.Graph`\\ s whose nodes
are the kernels a serving engine runs for one decoder layer (vLLM/Sarathi names, as VIDUR
profiles them). Each op type maps to one canonical kind, so partitioning and every family engine
treat them exactly like traced ops. Formulas are core's defaults except:

* ``llm::linear`` — ``x·Wᵀ (+b)`` whose weight may be int8/int4 (weight-only quantisation):
  FLOPs ``2·M·N·K`` on the activation precision; bytes read include the weight at its own width
  and the per-group scales (input 3) — the dequantisation happens in registers.
* ``llm::grouped_linear`` — the routed experts of an MoE layer as one grouped GEMM (vLLM's fused MoE):
  ``[E, M, K]·[E, N, K]ᵀ``, costed like ``linear`` (every touched expert's weight read once), kind
  ``matmul`` so the engine tiles ``E`` GEMMs of ``M`` rows.
* ``llm::attention`` — fused (FlashAttention / paged) attention. FLOPs are
  ``4·heads·head_dim·attended`` where ``attended`` (an attribute) is the number of (query, key)
  pairs actually computed: causal prefill skips the masked upper triangle, a decode step attends
  to its whole cache. Bytes are Q, K, V as given (the builder sizes K/V to what is read, whole
  pages when the cache is paged), the block table, and the output.
"""

from __future__ import annotations

from graphs.ops import kinds
from graphs.ops.registry import OpCost, OpRegistry, OpView

NS = "llm"


def _linear(op: OpView) -> OpCost:
    x, w = op.inputs[0], op.inputs[1]
    extra = sum(t.nbytes for t in op.inputs[2:] if t is not None)
    out = op.out
    return OpCost(2.0 * out.numel * x.shape[-1], x.nbytes + w.nbytes + extra, out.nbytes, out.nbytes, True)


def _attention(op: OpView) -> OpCost:
    heads, head_dim = int(op.attrs["heads"]), int(op.attrs["head_dim"])
    attended = float(op.attrs["attended"])
    read = sum(t.nbytes for t in op.inputs if t is not None)
    out = op.out
    return OpCost(4.0 * heads * head_dim * attended, read, out.nbytes, out.nbytes, True)


# op type -> (kind, formula or None for the kind's default)
OPS: dict[str, tuple[str, object]] = {
    "linear": ("linear", _linear),
    "grouped_linear": ("matmul", _linear),    # MoE experts as one grouped GEMM: [E, M, K] x [E, N, K] -> [E, M, N]
    "embedding": ("embedding", None),
    "rms_norm": ("rms_norm", None),
    "layer_norm": ("layer_norm", None),
    "rotary": ("rotary", None),
    "silu_and_mul": ("silu", None),          # vLLM SiluAndMul: reads [T, 2F], writes [T, F]
    "silu": ("silu", None), "gelu": ("gelu", None), "gelu_tanh": ("gelu", None), "relu": ("relu", None),
    "quick_gelu": ("gelu", None),
    "add": ("add", None), "mul": ("mul", None),
    "attention": ("attention", _attention),
    "bmm": ("matmul", None),                  # unfused attention: QKᵀ and PV
    "softmax": ("softmax", None),
    "mask": ("add", None),                    # unfused attention: + causal mask
    "repeat_kv": ("copy", None),              # unfused GQA: K/V expanded to every query head
    "kv_write": ("scatter", None),            # K and V of the new tokens written into the cache
    "topk": ("topk", None),                   # MoE router
    "sample": ("argmax", None),               # greedy sampling over the logits
    "view": ("reshape", None),                # an alias (slices of the fused QKV output, output buffers)
}


def llm_registry() -> OpRegistry:
    """A registry with every canonical kind and the ``llm::`` handlers (private to the builder)."""
    reg = OpRegistry()
    for info in kinds.KINDS.values():
        reg.add_kind(info)
    for name, (kind, formula) in OPS.items():
        reg.register(f"{NS}::{name}", kind, formula or kinds.default_formula(kind), plugin="graphs_llm")
    return reg


REGISTRY = llm_registry()
