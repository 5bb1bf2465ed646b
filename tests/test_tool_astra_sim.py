"""ASTRA-sim adapter: stdout parser, Chakra ET codec on the reference trace, trace and config writers."""

import io
import json
import re
import stat
import sys
from pathlib import Path

import pytest
import yaml

from graphs.ir import GraphBuilder, TensorSpec
from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate, Provenance
from graphs_tools import DiagnosisStatus, ToolInputError
from graphs_astra_sim import (AstraSimAdapter, AstraSimJob, LayerCost, NetworkDim, SystemConfig, TrainingStep,
                              attrs_of, build_traces, load_schema, network_document, parse_stdout_text, read_et)
from graphs_astra_sim.chakra import PROTO_PATH, parse_proto, write_messages

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
AS = DATA / "tool_outputs" / "astra_sim"
pytestmark = pytest.mark.skipif(not AS.is_dir(), reason=f"shared data not found at {AS}")


def test_stdout_parser_exact():
    r = AstraSimAdapter().parse(AS / "stdout_ref.txt")
    assert r.value == 117780 and r.unit == "cycles" and r.provenance.estimator == "astra-sim"
    assert r.metrics["npus"] == 8 and r.metrics["exposed_comm_cycles"] == 117780
    assert r.metrics["latency_s"] == pytest.approx(117780e-9)
    assert [p["npu"] for p in r.metrics["per_npu"]] == list(range(8))
    assert all(p["cycles"] == p["exposed_comm_cycles"] == p["wall_time"] == p["comm_time"] == 117780
               for p in r.metrics["per_npu"])


def test_stdout_parser_with_log_prefix_and_unequal_npus():
    text = ("[2025-01-26 23:03:37.384] [workload] [info] sys[0] finished, 64440 cycles, exposed communication 100 cycles.\n"
            "[2025-01-26 23:03:37.384] [workload] [info] sys[1] finished, 70000 cycles, exposed communication 5 cycles.\n")
    stats = parse_stdout_text(text)
    assert [(s.npu, s.cycles, s.exposed_comm_cycles) for s in stats] == [(0, 64440, 100), (1, 70000, 5)]
    from graphs_astra_sim import to_result
    r = to_result(stats)
    assert r.value == 70000 and r.metrics["exposed_comm_cycles"] == 5


def test_reference_et_decodes_and_round_trips_bytes():
    raw = (AS / "all_reduce_8npus_1MB.0.et").read_bytes()
    s = load_schema()
    meta, nodes = read_et(AS / "all_reduce_8npus_1MB.0.et")
    assert meta.version == "0.0.4" and len(nodes) == 1
    n = nodes[0]
    assert n.name == "all_reduce_8npus_1MB" and s.enum_name("NodeType", n.type) == "COMM_COLL_NODE"
    assert attrs_of(n) == {"is_cpu_op": False, "comm_type": 0, "comm_size": 1048576}
    assert s.enum_name("CollectiveCommType", attrs_of(n)["comm_type"]) == "ALL_REDUCE"
    buf = io.BytesIO()
    write_messages(buf, [meta, *nodes])
    assert buf.getvalue() == raw


def test_runtime_schema_matches_the_proto_file():
    text = PROTO_PATH.read_text()
    fdp = parse_proto(text)
    assert fdp.package == "ChakraProtoMsg"
    assert sorted(m.name for m in fdp.message_type) == sorted(re.findall(r"^message (\w+)", text, re.M))
    assert sorted(e.name for e in fdp.enum_type) == sorted(re.findall(r"^enum (\w+)", text, re.M))
    node = next(m for m in fdp.message_type if m.name == "Node")
    fields = {f.name: f.number for f in node.field}
    assert fields == {"id": 1, "name": 2, "type": 3, "ctrl_deps": 4, "data_deps": 5, "start_time_micros": 6,
                      "duration_micros": 7, "inputs": 8, "outputs": 9, "attr": 10}
    attr = next(m for m in fdp.message_type if m.name == "AttributeProto")
    assert len(attr.field) == 32 and len(attr.oneof_decl) == 1
    # the shipped copy is the shared schema, unchanged
    assert text == (DATA / "tool_outputs" / "chakra" / "et_def.proto").read_text()


def layers(n=6):
    return tuple(LayerCost(f"l{i}", 1e-3 * (i + 1) / 3, 2e-3 * (i + 1) / 3, param_bytes=10e6, act_bytes=4e6,
                           tp_comm_bytes=2e6, flops=1e9) for i in range(n))


def _decode_all(paths):
    out = {}
    for p in paths:
        if p.suffix == ".et":
            raw = p.read_bytes()
            meta, nodes = read_et(p)
            buf = io.BytesIO()
            write_messages(buf, [meta, *nodes])
            assert buf.getvalue() == raw                      # every written trace round-trips
            out[int(p.name.split(".")[-2])] = nodes
    return out


def test_data_parallel_traces(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_ASTRA_SIM_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    step = TrainingStep("dp8", layers(), dp=8)
    job = AstraSimJob(step, (NetworkDim("Ring", 8, 50.0, 500.0),))
    run = AstraSimAdapter().run(job, tmp_path)
    assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED
    traces = _decode_all(run.inputs)
    assert sorted(traces) == list(range(8))
    s = load_schema()
    for nodes in traces.values():
        assert [n.id for n in nodes] == list(range(len(nodes)))
        comp = [n for n in nodes if s.enum_name("NodeType", n.type) == "COMP_NODE"]
        coll = [n for n in nodes if s.enum_name("NodeType", n.type) == "COMM_COLL_NODE"]
        assert len(comp) == 12
        # every gradient byte is all-reduced exactly once
        assert sum(attrs_of(n)["comm_size"] for n in coll) == 60_000_000
        # µs rounding is diffused: total compute time is exact to < 1 µs
        assert abs(sum(n.duration_micros for n in comp) - 21e-3 * 1e6) < 1
        for n in nodes:
            assert all(d < n.id for d in n.data_deps)     # dependencies point backwards
        # buckets overlap backward: the first all-reduce is issued before the last backward node
        assert nodes.index(coll[0]) < nodes.index(comp[-1])
    net = yaml.safe_load((tmp_path / "network.yml").read_text())
    ref_net = yaml.safe_load((AS / "Ring_8npus.network.yml").read_text())
    assert net == ref_net                                   # same topology → the same file content
    sysj = json.loads((tmp_path / "system.json").read_text())
    ref_sys = json.loads((AS / "HGX-H100-validated.system.json").read_text())
    assert set(sysj) == set(ref_sys) and sysj == {**ref_sys, "local-mem-bw": sysj["local-mem-bw"]}
    assert json.loads((tmp_path / "memory.json").read_text()) == {"memory-type": "NO_MEMORY_EXPANSION"}


def test_tensor_and_pipeline_parallel_traces_match_up(tmp_path):
    step = TrainingStep("hybrid", layers(), dp=2, tp=2, pp=2, microbatches=2)
    assert step.dims == [("tp", 2), ("pp", 2), ("dp", 2)]
    meta, traces, summary = build_traces(step)
    s = load_schema()
    assert sorted(traces) == list(range(8))
    sends, recvs = [], []
    for npu, nodes in traces.items():
        for n in nodes:
            t = s.enum_name("NodeType", n.type)
            a = attrs_of(n)
            if t == "COMM_SEND_NODE":
                assert a["comm_src"] == npu
                sends.append((a["comm_src"], a["comm_dst"], a["comm_tag"], a["comm_size"]))
            elif t == "COMM_RECV_NODE":
                assert a["comm_dst"] == npu
                recvs.append((a["comm_src"], a["comm_dst"], a["comm_tag"], a["comm_size"]))
            elif t == "COMM_COLL_NODE":
                dims = a["involved_dim"]
                assert dims in ([True, False, False], [False, False, True])   # TP group or DP group
    assert sorted(sends) == sorted(recvs) and len(sends) == 2 * 2 * 2 * 2   # (fwd+bwd) × mb × tp × dp
    assert [len(st) for st in step.stages()] == [4, 2] and summary["stages"][1] == ["l4", "l5"]
    # NPU numbering: tp fastest, then pp, then dp
    assert step.npu(1, 0, 0) == 1 and step.npu(0, 1, 0) == 2 and step.npu(0, 0, 1) == 4


def test_network_and_job_validation():
    assert network_document([NetworkDim("Switch", 8, 400.0, 936.25)]) == \
        yaml.safe_load((AS / "HGX-H100-validated.network.yml").read_text())
    with pytest.raises(ToolInputError):
        NetworkDim("Torus9D", 8, 1.0)
    with pytest.raises(ToolInputError, match="do not match"):
        AstraSimJob(TrainingStep("x", layers(), dp=4), (NetworkDim("Ring", 8, 50.0),))
    with pytest.raises(ToolInputError):
        TrainingStep("x", layers(2), pp=3)


def test_training_step_from_a_graphs_estimate():
    b = GraphBuilder("mlp", "test")
    b.input("x", TensorSpec((8, 64)))
    b.parameter("w1", TensorSpec((128, 64)))
    b.parameter("w2", TensorSpec((64, 128)))
    b.node("fc1", "t::linear", ["x", "w1"], [("h", TensorSpec((8, 128)))])
    b.node("fc2", "t::linear", ["h", "w2"], [("y", TensorSpec((8, 64)))])
    g = b.build()
    ks = tuple(KernelEstimate(f"k{i}", "linear", "matmul", (n,), 1e6, 1e4, t, t, t, "compute",
                              ConfidenceLevel.THEORETICAL) for i, (n, t) in enumerate([("fc1", 2e-5), ("fc2", 3e-5)]))
    res = EstimationResult(5e-5, "s", 5e-5, 5e-5, ConfidenceLevel.THEORETICAL, Provenance("roofline", hardware="h"), ks)
    step = TrainingStep.from_estimate(g, res, dp=4, backward_factor=2.0)
    assert [layer.param_bytes for layer in step.layers] == [128 * 64 * 4, 64 * 128 * 4]
    assert [layer.bwd_s for layer in step.layers] == [4e-5, 6e-5]
    assert step.layers[0].act_bytes == 8 * 128 * 4


def test_run_plumbing_with_a_stub_binary(tmp_path, monkeypatch):
    """Runner/collector wiring with a stand-in binary that checks its arguments and prints reference stdout."""
    stub = tmp_path / "AstraSim_Analytical_Congestion_Unaware"
    stub.write_text(f"#!{sys.executable}\nimport sys, os\n"
                    "args = dict(a[2:].split('=', 1) for a in sys.argv[1:])\n"
                    "assert set(args) == {'workload-configuration', 'system-configuration', "
                    "'remote-memory-configuration', 'network-configuration'}, args\n"
                    "assert os.path.exists(args['workload-configuration'] + '.7.et')\n"
                    f"sys.stdout.write(open({str(AS / 'stdout_ref.txt')!r}).read())\n")
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GRAPHS_ASTRA_SIM_BIN", str(stub))
    job = AstraSimJob(TrainingStep("dp8", layers(), dp=8), (NetworkDim("Ring", 8, 50.0),), SystemConfig())
    run = AstraSimAdapter().run(job, tmp_path / "out")
    assert run.ok, run.diagnosis
    assert run.result.value == 117780 and run.result.metrics["npus"] == 8


# --- the current build (ASTRA-sim 2.0 analytical, commit 4f387bc): ../shared/data/tool_outputs/current_runs ---------
CUR = DATA / "tool_outputs" / "current_runs" / "astra_sim_4f387bc"


def _current_job() -> AstraSimJob:
    """The job of the recorded run, rebuilt from its workload.json: 4 layers (1 ms fwd, 2 ms bwd, 25 MiB of gradients
    each), data parallel over 8 NPUs on one 50 GB/s ring."""
    w = json.loads((CUR / "workload.json").read_text())
    layers = tuple(LayerCost(lay["name"], lay["fwd_s"], lay["bwd_s"], lay["param_bytes"]) for lay in w["layers"])
    return AstraSimJob(TrainingStep(w["name"], layers, dp=w["dp"]), (NetworkDim("Ring", 8, 50.0, 500.0),), SystemConfig())


@pytest.mark.skipif(not CUR.is_dir(), reason="current_runs not in the shared data")
def test_current_build_outputs_parse():
    """The current build prints spdlog-prefixed lines to stdout and to log/log.log: both parse to the same step."""
    a = AstraSimAdapter()
    r = a.parse(CUR / "logs" / "astra-sim.stdout.log")
    assert r.value == 12451772 and r.metrics["npus"] == 8 and r.metrics["exposed_comm_cycles"] == 451772
    assert r.metrics["latency_s"] == pytest.approx(12.451772e-3)
    assert a.parse(CUR / "log" / "log.log").value == r.value
    assert a.parse(CUR).value == r.value                     # a run folder: graphs' stdout capture
    ref = a.parse(CUR / "reference_inputs_hgx.stdout")       # the same build on the reference HGX inputs
    assert ref.value == 55222 and ref.metrics["exposed_comm_cycles"] == 55222
    rec = json.loads((CUR / "graphs-tool-run.json").read_text())
    assert rec["diagnosis"]["status"] == "ok" and rec["results"][0]["value"] == r.value


@pytest.mark.skipif(not CUR.is_dir(), reason="current_runs not in the shared data")
def test_writer_reproduces_the_inputs_the_current_build_ran(tmp_path):
    """The files graphs writes for that job are byte for byte the ones ASTRA-sim 4f387bc ran (and whose run parsed)."""
    AstraSimAdapter().write_inputs(_current_job(), tmp_path)
    for f in ("system.json", "network.yml", "memory.json", *(f"traces/dp8.{i}.et" for i in range(8))):
        assert (tmp_path / f).read_bytes() == (CUR / f).read_bytes(), f
    mine = json.loads((tmp_path / "workload.json").read_text())
    theirs = json.loads((CUR / "workload.json").read_text())
    assert mine == theirs
    # and its expected step: 4 x (1 + 2) ms compute = 12 ms + the exposed tail of the last bucket's all-reduce
    r = AstraSimAdapter().parse(CUR)
    assert r.value - r.metrics["exposed_comm_cycles"] == 12_000_000


def test_collective_rows_scope_and_job(tmp_path):
    from graphs.plugins import get_plugins
    from graphs_compare.model import Row
    gp = get_plugins()
    a = AstraSimAdapter()
    one = Row(key="k", model="all_reduce", hardware="a100-sxm4-80gb", device_name="a100_dgx", family="collective",
              extra={"collective": "all_reduce", "bytes": 1 << 24, "ranks": 8, "per_node": 8})
    two = Row(key="k2", model="all_reduce", hardware="a100-sxm4-80gb", device_name="a100_dgx", family="collective",
              extra={"collective": "all_reduce", "bytes": 1 << 24, "ranks": 16, "per_node": 8})
    assert a.compare_scope(one, gp) is None and "two-level" in a.compare_scope(two, gp)
    job = a.compare_job(one, None, gp)
    assert job.step.dp == 8 and [d.topology for d in job.network] == ["Switch"] and job.network[0].npus == 8
    files = a.write_inputs(job, tmp_path)
    summary = json.loads((tmp_path / "workload.json").read_text())
    assert summary["gradient_bytes"] == 1 << 24 and len([f for f in files if f.suffix == ".et"]) == 8
