"""The LLM iteration builder: configs from traced zoo models, FLOPs and bytes against the trace,
GQA/MQA, paged vs contiguous KV, fused vs unfused attention, weight-only quantisation, TP."""

import math

import pytest

from graphs.errors import GraphsError
from graphs.frontends import LoadOptions, load_model
from graphs_llm.builder import AttentionImpl, Chunk, DecoderBuilder, Precision
from graphs_llm.config import LLMConfig
from graphs_llm.ops import REGISTRY
from graphs.partition import partition
from graphs.plugins import get_plugins


def traced(name, batch=1, seq=8):
    return load_model(name, LoadOptions(batch=batch, seq_len=seq), get_plugins())


def kernels(graph, fusion="none"):
    return partition(graph, REGISTRY, fusion)


@pytest.mark.parametrize("name", ["gpt2", "tinyllama-1.1b", "opt-125m"])
def test_config_from_trace_counts_every_parameter(name):
    g = traced(name)
    cfg = LLMConfig.from_graph(g)
    assert cfg.parameters() == g.parameter_count
    # the builder's fp16 weight bytes are the same parameters at 2 bytes each
    assert DecoderBuilder(cfg).weight_bytes() == pytest.approx(2 * g.parameter_count, rel=1e-9)


def test_prefill_matrix_flops_equal_the_trace():
    """tinyllama (GQA, 4 KV heads) prefill: projections/MLP FLOPs equal the traced model's; attention is the
    trace's full S×S product scaled by the causal share (S+1)/2S; the LM head runs on the last token only."""
    b, s = 2, 64
    g = traced("tinyllama-1.1b", b, s)
    cfg = LLMConfig.from_graph(g)
    gp = get_plugins()
    ops = gp.ops
    costs = ops.costs(g)
    kind = {n.name: ops.handlers[n.op_type].kind for n in g.nodes}
    trace_linear = sum(c.flops for n, c in costs.items() if kind[n] in ("linear", "matmul") and c.matrix)
    trace_attn = sum(c.flops for n, c in costs.items() if kind[n] == "attention")
    head_full = 2 * b * s * cfg.dim * cfg.vocab
    bld = DecoderBuilder(cfg)
    lay = bld.layer([Chunk(s, 0)] * b)
    lin = sum(k.flops for k in kernels(lay) if k.kind == "linear") * cfg.layers
    att = sum(k.flops for k in kernels(lay) if k.kind == "attention") * cfg.layers
    head = sum(k.flops for k in kernels(bld.head(b * s, b)) if k.kind == "linear")
    assert lin == trace_linear - head_full
    assert head == 2 * b * cfg.dim * cfg.vocab
    assert att == pytest.approx(trace_attn * (s + 1) / (2 * s), rel=1e-12)


def test_causal_pairs():
    assert Chunk(4).attended == 10
    assert Chunk(4, 6).attended == 4 * 6 + 10
    assert Chunk(1, 99).attended == 100   # a decode step sees its whole cache and itself


def _decode_attention(cfg, ctx, n=1, **attn):
    g = DecoderBuilder(cfg, attention=AttentionImpl(**attn)).attention_only((), [ctx] * n)
    return kernels(g)


def test_gqa_and_mqa_read_fewer_kv_bytes():
    mha = LLMConfig("m", 32000, 4096, 32, 32, 32, 128, 11008)
    gqa, mqa = mha.with_(kv_heads=8), mha.with_(kv_heads=1)
    assert DecoderBuilder(mha).kv_bytes_per_token() == 2 * 32 * 32 * 128 * 2
    assert DecoderBuilder(gqa).kv_bytes_per_token() == 2 * 32 * 8 * 128 * 2
    assert mqa.attention_kind == "MQA" and gqa.attention_kind == "GQA (group 4)"
    b = {c.kv_heads: _decode_attention(c, 4095, 8, paged=False)[0] for c in (mha, gqa, mqa)}
    # K and V dominate a decode step's attention traffic: 4x fewer KV heads, ~4x fewer bytes; same FLOPs
    assert b[32].bytes / b[8].bytes == pytest.approx(4, rel=0.01)
    assert b[32].flops == b[8].flops == b[1].flops
    assert b[8].gemm.m == 4 and b[1].gemm.m == 32          # the query group shares one KV head


def test_paged_kv_reads_whole_blocks_and_a_block_table():
    cfg = LLMConfig("m", 32000, 1024, 2, 8, 8, 128, 4096)
    paged = _decode_attention(cfg, 16, block_size=16)[0]         # 17 tokens -> 2 blocks of 16
    contig = _decode_attention(cfg, 16, paged=False)[0]
    kv_tok = 2 * 8 * 128 * 2
    assert paged.bytes - contig.bytes == pytest.approx((32 - 17) * kv_tok + 2 * 4)   # 15 padded tokens + 2 int32
    assert paged.flops == contig.flops


def test_unfused_attention_moves_the_scores_through_memory():
    cfg = LLMConfig("m", 32000, 1024, 2, 8, 2, 128, 4096)
    s = 256
    fused = kernels(DecoderBuilder(cfg).attention_only([Chunk(s)], ()))
    unfused = kernels(DecoderBuilder(cfg, attention=AttentionImpl(fused=False)).attention_only([Chunk(s)], ()))
    assert [k.kind for k in fused] == ["attention"]
    kinds = [k.kind for k in unfused]
    assert kinds.count("copy") == 2                                  # repeat_kv for K and V (GQA)
    assert {"matmul", "softmax", "add"} <= set(kinds)
    scores = 8 * s * s * 2
    assert sum(k.bytes for k in unfused) > fused[0].bytes + 4 * scores   # written and read back several times


def test_weight_only_quantisation_changes_bytes_not_flops():
    cfg = LLMConfig("m", 32000, 4096, 32, 32, 32, 128, 11008)
    fp16 = kernels(DecoderBuilder(cfg).layer(decode=[100]))
    int4 = kernels(DecoderBuilder(cfg, Precision(weight="int4")).layer(decode=[100]))
    lin16 = [k for k in fp16 if k.kind == "linear"]
    lin4 = [k for k in int4 if k.kind == "linear"]
    assert [k.flops for k in lin16] == [k.flops for k in lin4]
    assert all(k.dtype == "float16" for k in lin4)                  # compute stays fp16
    w16 = DecoderBuilder(cfg).weight_bytes()
    w4 = DecoderBuilder(cfg, Precision(weight="int4")).weight_bytes()
    # int4 + one fp16 scale per 128 weights on the linear layers; embeddings and head stay fp16
    lin_params = 32 * (4096 * 3 * 4096 + 4096 * 4096 + 3 * 4096 * 11008)
    assert w16 - w4 == pytest.approx(lin_params * (2 - 0.5 - 2 / 128), rel=1e-6)
    assert sum(k.bytes for k in lin4) < 0.3 * sum(k.bytes for k in lin16)
    with pytest.raises(GraphsError, match="weight dtype"):
        Precision(weight="int3")


def test_tensor_parallel_shards_and_lists_its_all_reduces():
    cfg = LLMConfig("m", 32000, 4096, 32, 32, 8, 128, 11008)
    one, two = DecoderBuilder(cfg), DecoderBuilder(cfg, tp=2)
    g = two.layer(decode=[10] * 4)
    assert g.meta["comm"] == (("all_reduce", 4 * 4096 * 2), ("all_reduce", 4 * 4096 * 2))
    assert two.weight_bytes() < 0.52 * one.weight_bytes()
    assert two.kv_bytes_per_token() == one.kv_bytes_per_token() / 2
    eight_kv = DecoderBuilder(cfg, tp=16)                # 8 KV heads over 16 ranks: replicated, one each
    assert eight_kv.hkv == 1
    with pytest.raises(GraphsError, match="cannot be split"):
        DecoderBuilder(cfg, tp=3)


def test_moe_layer_routes_balanced_tokens():
    cfg = LLMConfig("moe", 32000, 1024, 2, 8, 8, 128, 2048, experts=8, top_k=2)
    ks = kernels(DecoderBuilder(cfg).layer(decode=[0] * 64))
    experts = [k for k in ks if k.kind == "linear" and k.gemm and k.gemm.n == 2 * 2048]
    assert len(experts) == 8 and all(k.gemm.m == math.ceil(64 * 2 / 8) for k in experts)


def test_bad_configs_are_one_line_errors():
    with pytest.raises(GraphsError, match="multiple of"):
        LLMConfig("x", 100, 64, 1, 6, 4, 16, 128)
    from graphs.ir import GraphBuilder, TensorSpec
    b = GraphBuilder("not-an-llm")
    b.input("x", TensorSpec((1, 4)))
    with pytest.raises(GraphsError, match="no LLM description"):
        LLMConfig.from_graph(b.build())
