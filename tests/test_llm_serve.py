"""`graphs serve`: prefill/decode phases, memory, fit, and the CLI."""

import json

import pytest

from graphs.errors import GraphsError
from graphs_llm.config import LLMConfig
from graphs_llm.inference import ServeOptions, analyze_serve
from graphs_mappers_gpu.mapper import GRAPH_KERNEL_FLOOR_S
from graphs_llm.timing import KernelTimer, kernel_time_calibration, mapper_for_runtime
from graphs.plugins import get_plugins
from graphs.testing import run_cli

# TinyLlama-1.1B's architecture (the zoo's), without tracing it
TINY = LLMConfig("tinyllama-1.1b", 32000, 2048, 22, 32, 4, 64, 5632, max_pos=2048)


def serve(cfg=TINY, hw="h100", **kw):
    gp = get_plugins()
    opts = ServeOptions(**{"batch": 4, "prompt_len": 128, "gen_len": 16, "prefill_source": "builder", **kw})
    return analyze_serve(None, gp.mapper_for(hw), opts, gp, cfg=cfg)


def test_phases_add_up():
    r = serve()
    assert r.e2e.value == pytest.approx(r.ttft.value + 15 * r.tpot.value)
    for ph in (r.ttft, r.tpot, r.e2e):
        assert ph.low <= ph.value <= ph.high
    assert r.ttft.value > r.tpot.value > 0
    assert r.tokens_per_s == pytest.approx(4 * 16 / r.e2e.value)
    assert r.decode_tokens_per_s == pytest.approx(4 / r.tpot.value)


def test_decode_grows_with_the_cache_and_is_memory_bound():
    short, long = serve(prompt_len=128), serve(prompt_len=1900, gen_len=16)
    assert long.tpot.value > short.tpot.value
    # decode at batch 4 reads every weight once per step: TPOT cannot beat weights / bandwidth
    spec = get_plugins().hardware_entry("h100").spec
    assert short.tpot.value > short.memory["weights_bytes"] / spec.memory_bandwidth


def test_weight_only_int4_cuts_weight_bytes_and_decode_time_not_prefill_flops():
    fp16, int4 = serve(), serve(weight_dtype="int4")
    assert int4.memory["weights_bytes"] < 0.45 * fp16.memory["weights_bytes"]
    assert int4.tpot.value < 0.8 * fp16.tpot.value
    assert int4.ttft.value == pytest.approx(fp16.ttft.value, rel=0.25)   # prefill stays compute-bound


def test_paged_vs_contiguous_kv_memory():
    paged = serve(prompt_len=100, gen_len=10, block_size=16)
    contig = serve(prompt_len=100, gen_len=10, paged_kv=False, max_seq_len=2048)
    per_tok = paged.memory["kv_bytes_per_token"]
    assert per_tok == 2 * 22 * 4 * 64 * 2                                  # GQA: 4 KV heads
    assert paged.memory["kv_allocated_bytes"] == 4 * 112 * per_tok           # 110 tokens -> 7 blocks of 16
    assert paged.memory["kv_fragmentation"] == pytest.approx(2 / 112)
    assert contig.memory["kv_allocated_bytes"] == 4 * 2048 * per_tok
    assert contig.max_batch < paged.max_batch


def test_fit_answer_and_largest_batch():
    ok = serve(batch=8)
    assert ok.fits is True and ok.max_batch > 8
    big = serve(batch=ok.max_batch * 2, prompt_len=1000, gen_len=1000)
    assert big.fits is False


def test_unfused_attention_is_slower_at_long_prompts():
    assert serve(prompt_len=2000, gen_len=2, fused_attention=False).ttft.value > \
        serve(prompt_len=2000, gen_len=2).ttft.value


def test_bad_options_are_graphs_errors():
    with pytest.raises(GraphsError, match="weight-dtype"):
        ServeOptions(weight_dtype="int3")
    with pytest.raises(GraphsError, match="exceed"):
        serve(prompt_len=2000, gen_len=100)
    with pytest.raises(GraphsError, match="float precision"):
        ServeOptions(precision="int8")


def test_graph_runtime_calibration_and_floor():
    gp = get_plugins()
    cal = kernel_time_calibration("a100-sxm4-80gb")
    assert cal is not None and "VIDUR" in cal.source
    assert kernel_time_calibration("h100") is None
    m = mapper_for_runtime(gp, "a100", "graph")
    assert m.calibration == cal
    # without a curve (H100): the graph runtime never goes below the measured kernel floor
    from graphs_llm.builder import DecoderBuilder
    from graphs_llm.ops import REGISTRY
    from graphs.partition import partition
    tm = KernelTimer(gp.mapper_for("h100"), "graph")
    ks = partition(DecoderBuilder(TINY).layer(decode=[0]), REGISTRY, "none")
    assert min(tm(k).time_s for k in ks) == pytest.approx(GRAPH_KERNEL_FLOOR_S)


def test_cli_serve_table_and_json():
    args = ["serve", "tinyllama-1.1b", "--hardware", "h100", "--prompt-len", "64",
            "--gen-len", "8", "--batch", "2", "--precision", "fp16"]
    r = run_cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["ttft"]["value"] > d["tpot"]["value"] > 0 and d["fits"] is True
    assert "LM head of the trace replaced: lm_head" in " ".join(d["notes"])
    # the trace runs the model's own (more, smaller) kernels: unfused norms, rotary, SiLU·mul
    assert d["ttft"]["value"] > d["prefill_builder_s"] > 0
    t = run_cli(*args)
    assert t.exit_code == 0 and "time to first token" in t.stdout and "KV cache per token" in t.stdout


@pytest.mark.parametrize("cmd, extra, needle", [
    ("analyze", ["--mode", "serve"], "No such option: --mode"),      # LLM modes are their own commands now
    ("serve", ["--weight-dtype", "int3"], "--weight-dtype"),
    ("serve", ["--kv-cache", "ring"], "--kv-cache"),
    ("serve", ["--format", "csv"], "table, json"),
    ("serve", ["--prompt-len", "3000", "--gen-len", "100"], "exceed"),
])
def test_cli_serve_bad_input_is_one_line(cmd, extra, needle):
    r = run_cli(cmd, "tinyllama-1.1b", "--hardware", "h100", *extra)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr
