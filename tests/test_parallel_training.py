"""Training steps under data, tensor, pipeline and expert parallelism; the ASTRA-sim converter; the CLI."""

import json

import pytest

from graphs_distributed.system import system_for
from graphs_llm.training import ParallelConfig, TrainingOptions, training_step
from graphs.errors import GraphsError
from graphs_llm.config import LLMConfig
from graphs.plugins import get_plugins
from graphs.testing import run_cli

GPT2 = LLMConfig("gpt2", 50257, 768, 12, 12, 12, 64, 3072, gated=False, act="gelu_tanh", norm="layer",
                 positions="learned", bias=True, tied=True, fused_qkv=True, max_pos=1024)
BIG = LLMConfig("big", 32000, 4096, 8, 32, 32, 128, 11008)      # compute-bound micro-batches
MOE = LLMConfig("moe", 32000, 1024, 4, 16, 4, 64, 2048, experts=8, top_k=2)
H100 = system_for("dgx-h100")


@pytest.fixture(scope="module")
def mapper():
    return get_plugins().mapper_for("h100")


def step(mapper, cfg=GPT2, **kw):
    par = {k: kw.pop(k) for k in ("dp", "tp", "pp", "ep", "micro_batches", "schedule") if k in kw}
    opts = TrainingOptions(**{"global_batch": 16, "seq_len": 1024, **kw})
    return training_step(cfg, mapper, H100, ParallelConfig(**par), opts)


def test_data_parallel_splits_the_batch_and_adds_an_all_reduce(mapper):
    one, two = step(mapper), step(mapper, dp=2)
    # half the batch per GPU: at most twice as fast (eager per-kernel overheads do not shrink)
    assert 0.5 * one.breakdown["compute_s"] <= two.breakdown["compute_s"] < 0.8 * one.breakdown["compute_s"]
    grad = two.comm["dp_gradient_bytes"]
    assert grad == pytest.approx(GPT2.parameters() * 2, rel=1e-6)      # bf16 gradients of every parameter
    exposed = step(mapper, dp=2, dp_overlap=0.0)
    assert exposed.breakdown["dp_allreduce_exposed_s"] == pytest.approx(two.breakdown["dp_allreduce_s"])
    assert two.breakdown["dp_allreduce_exposed_s"] < exposed.breakdown["dp_allreduce_exposed_s"]
    assert exposed.step_s - two.step_s == pytest.approx(exposed.breakdown["dp_allreduce_exposed_s"]
                                                        - two.breakdown["dp_allreduce_exposed_s"])


def test_tensor_parallel_all_reduces(mapper):
    tp = step(mapper, tp=4)
    per = tp.comm["tp_all_reduce_s"]
    assert tp.comm["tp_all_reduce_bytes"] == 16 * 1024 * 768 * 2
    assert tp.breakdown["tp_comm_s"] == pytest.approx(4 * 12 * per)          # 2 forward + 2 backward per layer
    hidden = step(mapper, tp=4, tp_overlap=1.0)
    assert hidden.breakdown["tp_comm_s"] == 0 and hidden.step_s < tp.step_s


def test_pipeline_bubble(mapper):
    one = step(mapper, cfg=BIG, pp=4, micro_batches=1)
    mb = [s["micro_batch_s"] for s in one.stages]
    assert one.step_s - one.breakdown["optimizer_s"] == pytest.approx(sum(mb) + 6 * one.comm["pp_send_s"])
    many = step(mapper, cfg=BIG, pp=4, micro_batches=8)
    mb8 = [s["micro_batch_s"] for s in many.stages]
    assert many.step_s - many.breakdown["optimizer_s"] == pytest.approx(sum(mb8) + 7 * max(mb8)
                                                                        + 6 * many.comm["pp_send_s"])
    assert many.step_s < one.step_s                                        # the bubble shrinks with micro-batches
    gpipe = step(mapper, cfg=BIG, pp=4, micro_batches=8, schedule="gpipe")
    assert gpipe.step_s == pytest.approx(many.step_s)
    assert gpipe.memory["activations_bytes"] == pytest.approx(2 * many.memory["activations_bytes"])  # 8 vs 4 in flight


def test_expert_parallel_all_to_alls(mapper):
    r = step(mapper, cfg=MOE, dp=2, ep=2, global_batch=8, seq_len=512)
    assert r.comm["ep_all_to_all_s"] > 0 and r.breakdown["ep_comm_s"] > 0
    with pytest.raises(GraphsError, match="not a mixture-of-experts"):
        step(mapper, dp=2, ep=2)
    with pytest.raises(GraphsError, match="cannot be split"):
        step(mapper, cfg=MOE.with_(experts=6), dp=4, ep=4, global_batch=8, seq_len=512)
    with pytest.raises(GraphsError, match="ep <= dp"):
        ParallelConfig(ep=2)


def test_memory_recompute_and_fit(mapper):
    base, rec = step(mapper), step(mapper, recompute=True)
    assert rec.memory["activations_bytes"] < 0.2 * base.memory["activations_bytes"]
    assert rec.breakdown["compute_s"] == pytest.approx(base.breakdown["compute_s"] * 4 / 3, rel=1e-6)
    assert base.memory["optimizer_bytes"] == pytest.approx(GPT2.parameters() * 12)   # fp32 master + Adam moments
    assert base.fits is True
    assert step(mapper, global_batch=512).fits is False


@pytest.mark.parametrize("kw, needle", [
    (dict(global_batch=10, dp=4), "not divisible"),
    (dict(pp=13), "exceeds the model's 12 layers"),
    (dict(seq_len=4096), "positions"),
    (dict(tp=8), "cannot be split 8 ways"),
    (dict(precision="int8"), "must be fp32"),
])
def test_bad_parallel_configs(mapper, kw, needle):
    with pytest.raises(GraphsError, match=needle):
        step(mapper, **kw)


def test_astra_sim_inputs_correspond_to_the_estimate(mapper, tmp_path):
    astra = pytest.importorskip("graphs_astra_sim")
    rep = step(mapper, dp=2, tp=2, pp=2, micro_batches=4)
    job = astra.from_training(rep, H100, get_plugins().hardware_entry("h100").spec)
    assert job.step.npus == 8 and [d.npus for d in job.network] == [2, 2, 2]
    assert all(d.bandwidth_gbps == 450 and d.latency_ns == 3400 for d in job.network)
    paths = astra.AstraSimAdapter().write_inputs(job, tmp_path)
    _, nodes = astra.read_et(next(p for p in paths if p.name.endswith(".0.et")))
    s = astra.load_schema()
    comp = [n for n in nodes if n.type == s.enum_value("NodeType", "COMP_NODE") and n.name.startswith("fwd:layer")]
    # NPU 0 runs pipeline stage 0: its layers' forward per micro-batch equals graphs' per-GPU forward
    per_layer_us = sum(n.duration_micros for n in comp) / len(comp)
    assert per_layer_us == pytest.approx(rep.micro_batch["layer_forward_s"] * 1e6, abs=1.0)
    colls = [astra.attrs_of(n) for n in nodes if n.type == s.enum_value("NodeType", "COMM_COLL_NODE")]
    tp_sizes = {a["comm_size"] for a in colls if "tp" in str(a)} or {a["comm_size"] for a in colls}
    assert 2 * rep.comm["tp_all_reduce_bytes"] in tp_sizes      # both Megatron all-reduces of a layer, one collective


def test_cli_train(tmp_path):
    r = run_cli("train", "gpt2", "--hardware", "dgx-h100", "--dp", "8", "--batch", "64",
                "--seq-len", "1024", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["parallel"]["dp"] == 8 and d["step_s"] > 0 and d["breakdown"]["dp_allreduce_s"] > 0
    t = run_cli("train", "gpt2", "--hardware", "h100", "--tp", "4", "--pp", "2",
                "--micro-batches", "8", "--batch", "64")
    assert t.exit_code == 0 and "pipeline bubble" in t.stdout and "tensor-parallel all-reduces" in t.stdout
    bad = run_cli("train", "gpt2", "--hardware", "dgx-h100", "--ep", "2", "--dp", "2", "--batch", "8")
    assert bad.exit_code == 2 and "not a mixture-of-experts" in bad.stderr
