"""Published architectures as data, and what the builder now models: MoE expert width, shared experts,
interleaved MoE layers, expert parallelism, grouped-GEMM routing, sliding-window layers, QK-norm, FP8 and
MXFP4 weights, and the steady-state serving step."""

from __future__ import annotations

import pytest

from graphs.errors import GraphsError
from graphs.partition import FusionPolicy, partition
from graphs_llm.archs import RefusedModel, known_models, published, refusal
from graphs_llm.builder import DecoderBuilder, Precision, experts_touched
from graphs_llm.config import LLMConfig
from graphs_llm.ops import REGISTRY

# total parameters (billions) as the ML.ENERGY v3 index.json publishes them
PUBLISHED_TOTALS = {
    "Qwen/Qwen3-8B": 8, "Qwen/Qwen3-14B": 14, "Qwen/Qwen3-32B": 32, "Qwen/Qwen3-30B-A3B-Instruct-2507": 30,
    "Qwen/Qwen3-235B-A22B-Instruct-2507": 235, "Qwen/Qwen3-Coder-480B-A35B-Instruct": 480,
    "google/gemma-3-12b-it": 12, "google/gemma-3-27b-it": 27, "meta-llama/Llama-3.1-8B-Instruct": 8,
    "meta-llama/Llama-3.1-70B-Instruct": 70, "meta-llama/Llama-3.1-405B-Instruct": 405,
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": 109, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8": 400,
    "openai/gpt-oss-20b": 21, "openai/gpt-oss-120b": 117,
}


def kernels(graph):
    return partition(graph, REGISTRY, FusionPolicy.named("none"))


@pytest.mark.parametrize("model, total", sorted(PUBLISHED_TOTALS.items()))
def test_parameter_counts_match_the_published_model_sizes(model, total):
    assert published(model).cfg.parameters() / 1e9 == pytest.approx(total, rel=0.06)


def test_every_entry_loads_or_is_refused_with_a_reason_and_sources_are_given():
    for m in known_models():
        why = refusal(m)
        if why:
            assert len(why) > 40
            with pytest.raises(RefusedModel):
                published(m)
            continue
        p = published(m)
        assert p.source and p.verification in ("verified", "corroborated"), m
    assert "latent attention" in refusal("deepseek-ai/DeepSeek-V3.1")
    assert "Mamba" in refusal("nvidia/NVIDIA-Nemotron-Nano-9B-v2")
    assert "not in graphs_llm" in refusal("nobody/unknown-model")


def test_weight_precisions_and_their_scope():
    fp8 = published("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8").precision
    assert fp8.weight_of("attention") == fp8.weight_of("expert") == "float8_e4m3"
    l405 = published("meta-llama/Llama-3.1-405B-Instruct-FP8").precision
    assert l405.weight_of("attention") == "bfloat16" and l405.weight_of("mlp") == "float8_e4m3"
    oss = published("openai/gpt-oss-20b").precision
    assert oss.weight_of("mlp") == "bfloat16" and oss.weight_of("expert") == "mxfp4"
    # MXFP4: 4-bit elements + one 8-bit scale per 32 = 4.25 bits per weight
    assert oss.weight_bytes(2880, 2880, "mxfp4") == pytest.approx(2880 * 2880 * 4.25 / 8)
    with pytest.raises(GraphsError, match="scope"):
        Precision(act="bfloat16", weight="mxfp4", scope="heads")


def test_weights_per_gpu_follow_precision_and_expert_parallelism():
    m = published("Qwen/Qwen3-235B-A22B-Instruct-2507")
    full = DecoderBuilder(m.cfg, m.precision).weight_bytes()
    assert full / 2 ** 30 == pytest.approx(235e9 * 2 / 2 ** 30, rel=0.01)
    ep8 = DecoderBuilder(m.cfg, m.precision, tp=8, ep=8).weight_bytes()
    assert ep8 < full / 7
    f = published("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8")
    assert DecoderBuilder(f.cfg, f.precision).weight_bytes() == pytest.approx(full / 2, rel=0.02)
    with pytest.raises(GraphsError, match="expert-parallel"):
        DecoderBuilder(m.cfg, m.precision, tp=1, ep=3)


def test_grouped_moe_reads_only_the_experts_the_tokens_touch():
    m = published("Qwen/Qwen3-30B-A3B-Instruct-2507")
    b = DecoderBuilder(m.cfg, m.precision, routing="random")
    one = sum(k.bytes for k in kernels(b.layer(attention=False, tokens=1)) if any("experts_" in n for n in k.nodes))
    many = sum(k.bytes for k in kernels(b.layer(attention=False, tokens=512)) if any("experts_" in n for n in k.nodes))
    expert = 3 * 2048 * 768 * 2
    assert one == pytest.approx(8 * expert, rel=0.01)           # 1 token x top-8: 8 experts' weights
    assert 128 * expert <= many <= 1.1 * 128 * expert           # 512 tokens touch all 128 (+ activations)
    assert experts_touched(1, 128, 8) == pytest.approx(8)
    assert experts_touched(10_000, 128, 8) == pytest.approx(128)
    # the old balanced routing (FX zoo) still builds every expert
    bal = DecoderBuilder(m.cfg, m.precision)
    assert sum(1 for k in kernels(bal.layer(attention=False, tokens=1)) if "expert127." in k.nodes[0]) >= 2


def test_fp8_weights_run_fp8_gemms_and_mxfp4_stays_weight_only():
    f = published("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8")
    ks = kernels(DecoderBuilder(f.cfg, f.precision, routing="random").layer(attention=False, tokens=64))
    assert {k.dtype for k in ks if k.kind == "linear" and "router" not in k.nodes[0]} == {"float8_e4m3"}
    o = published("openai/gpt-oss-20b")
    ks = kernels(DecoderBuilder(o.cfg, o.precision, routing="random").layer(attention=False, tokens=64))
    assert {k.dtype for k in ks if any("experts_" in n for n in k.nodes) and k.kind == "matmul"} == {"bfloat16"}


def test_sliding_window_layers_attend_to_the_window_only_and_qk_norm_adds_a_kernel():
    g = published("google/gemma-3-27b-it").cfg
    b = DecoderBuilder(g, Precision(act="bfloat16"))
    glob = sum(k.bytes for k in kernels(b.attention_only((), [8000] * 4)))
    local = sum(k.bytes for k in kernels(b.attention_only((), [8000] * 4, local=True)))
    assert local == pytest.approx(glob * 1024 / 8000, rel=0.05)
    assert any("qk_norm" in k.nodes[0] for k in kernels(b.layer(attention=False, tokens=4)))
    with pytest.raises(GraphsError, match="local_layers"):
        LLMConfig("x", 10, 8, 2, 2, 2, 4, 16, local_layers=1)


def test_interleaved_moe_layers_and_shared_experts():
    mav = published("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8").cfg
    assert (mav.moe_layers, mav.dense_layers) == (24, 24)
    b = DecoderBuilder(mav, published("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8").precision, routing="random")
    moe = kernels(b.layer(attention=False, tokens=8, moe=True))
    assert any("shared_expert" in k.nodes[0] for k in moe)
    dense = kernels(b.layer(attention=False, tokens=8, moe=False))
    assert not any("experts_" in n for k in dense for n in k.nodes)


def test_serving_step_splits_time_into_kernel_classes_and_collectives():
    from graphs.plugins import get_plugins
    from graphs_llm.mlenergy import FeatureBuilder, Row
    fb = FeatureBuilder(get_plugins())
    row = Row("Qwen/Qwen3-235B-A22B-Instruct-2507", "lm-arena-chat", "H100", 8, 1, 8, 1, 64, 64.0, 600.0, 5e5,
              30.0, 2000.0, 4000.0, 2.0)
    f = fb.features(row)
    d = f.decode_at(128)
    assert d.comm_s > 0 and d.experts_s > 0 and d.attention_s > 0 and d.linear_s > 0
    assert d.kernel_s == pytest.approx(d.linear_s + d.experts_s + d.attention_s + d.other_s, rel=1e-9)
    assert 0 < d.memory_s <= d.kernel_s
    assert f.decode_at(2048).attention_s > d.attention_s          # a longer context reads more KV
    assert f.prefill_of(1024).matrix_s > f.prefill_of(256).matrix_s
    assert fb.skip_reason(Row("Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", "sourcegraph-fim", "B200", 8, 1, 8, 8, 64,
                              64.0, 250.0, 7e4, 20.0, 3000.0, 5000.0, 1.0)).startswith("attention data parallelism")
