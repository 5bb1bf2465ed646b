"""The default dispatch recorder gives the same graph as torch's own fx tracer (make_fx)."""

from __future__ import annotations

import pytest

from graphs.frontends import LoadOptions
from graphs.ir import Graph
from graphs_frontend_fx import graph_from_module
from graphs_frontend_fx.zoo import spec


def signature(g: Graph) -> list[tuple]:
    """Node by node: op type, input/output specs, attributes and scope (names aside)."""
    def spec_of(v: str):
        return (g.values[v].shape, g.values[v].dtype) if v else None

    return [(n.op_type, tuple(spec_of(v) for v in n.inputs), tuple(spec_of(v) for v in n.outputs),
             tuple(sorted(n.attrs.items())), n.scope) for n in g.nodes]


def small_decoder():
    """Two Llama-style layers with grouped-query attention, rotary and SwiGLU; plus a 2-expert MoE layer."""
    import torch
    from graphs_frontend_fx.zoo.decoders import LLAMA2_7B, Decoder
    from dataclasses import replace
    with torch.device("meta"):
        m = Decoder(replace(LLAMA2_7B, vocab=1000, dim=256, layers=2, heads=8, kv_heads=2, ffn=512, experts=2))
    return m, (torch.empty(1, 16, dtype=torch.long, device="meta"),), {}


def zoo(name):
    s = spec(name)
    return (s.model(), *s.example_inputs(LoadOptions(batch=1, seq_len=16)))


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "t5-small-encoder",
                                  "small-decoder", "whisper-tiny-encoder"])
def test_recorder_matches_make_fx(name):
    model, args, kwargs = small_decoder() if name == "small-decoder" else zoo(name)
    fast = graph_from_module(model, args, kwargs, name=name)
    ref = graph_from_module(model, args, kwargs, name=name, tracer="make_fx")
    assert signature(fast) == signature(ref)
    assert fast.parameters == ref.parameters and fast.constants == ref.constants
    assert [fast.values[i] for i in fast.inputs] == [ref.values[i] for i in ref.inputs]
    assert [fast.values[o] for o in fast.outputs] == [ref.values[o] for o in ref.outputs]
    # same wiring: each node reads the outputs of the same producers (by position)
    pos_fast = {o: (i, j) for i, n in enumerate(fast.nodes) for j, o in enumerate(n.outputs) if o}
    pos_ref = {o: (i, j) for i, n in enumerate(ref.nodes) for j, o in enumerate(n.outputs) if o}
    for a, b in zip(fast.nodes, ref.nodes):
        assert [pos_fast.get(v, v) for v in a.inputs] == [pos_ref.get(v, v) for v in b.inputs]


def test_unknown_tracer_is_an_error():
    from graphs.errors import FrontendError
    s = spec("resnet18")
    with pytest.raises(FrontendError, match="unknown tracer"):
        graph_from_module(s.model(), s.example_inputs()[0], tracer="jit")
