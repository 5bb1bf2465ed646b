"""Synthetic measurements for the calibrate/validate tests: a fake CPU spec, kernels whose times
follow a known efficiency curve, and model runs with a known per-model overhead."""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from graphs.measured import graph_record, model_reference
from graphs.store import Measurement, ResultsStore, Run

OVERHEAD = 3e-6          # per-kernel dispatch the fit must find
MODEL_OVERHEAD = 2e-3    # per-model framework time the fit must find


def true_ratio(x: float) -> float:
    """measured/roofline of the synthetic CPU: 3× for a 10 µs kernel falling to 1.2× at 10 ms (log-log linear)."""
    lx = min(max(math.log10(x), -5.0), -2.0)
    return 10 ** (math.log10(3.0) + (lx + 5.0) / 3.0 * (math.log10(1.2) - math.log10(3.0)))


def fake_cpu_spec(tmp_path: Path) -> Path:
    """A deterministic 4-core Neoverse-N1 host spec as a YAML file (id ``host``)."""
    from graphs_mappers_cpu.host import detect
    from graphs_mappers_cpu.spec import host_spec
    from test_cpu_host import fake_measurements, neoverse_n1

    spec = host_spec(detect(neoverse_n1(tmp_path / "root")), fake_measurements(4))
    p = tmp_path / "fake-host.yaml"
    p.write_text(yaml.safe_dump(spec, sort_keys=False))
    return p


def mm_record(m: int, k: int, n: int) -> dict:
    return graph_record({"a": ((m, k), "float32"), "b": ((k, n), "float32"), "y": ((m, n), "float32")},
                        ["a", "b"], [("aten::mm", ["a", "b"], ["y"], {})])


def add_record(numel: int) -> dict:
    return graph_record({"a": ((numel,), "float32"), "b": ((numel,), "float32"), "y": ((numel,), "float32")},
                        ["a", "b"], [("aten::add", ["a", "b"], ["y"], {"alpha": 1, "overload": "Tensor"})])


def kernel_time(rec: dict, mapper, gp, ratio=true_ratio) -> float:
    from graphs.measured import record_kernels

    (k,) = record_kernels(rec, gp)
    x = mapper.roofline(k, "fp32")[0]
    return OVERHEAD + x * ratio(x)


def synthetic_store(path: Path, spec_file: Path, gp, *, threads: int = 4, models=("squeezenet1_1",),
                    model_overhead: float = MODEL_OVERHEAD) -> ResultsStore:
    """Kernels (GEMMs over sizes, tiny adds) timed by :func:`true_ratio`, and whole-model runs whose
    time is the sum of their kernels' true times plus ``model_overhead``."""
    from graphs_calibrate.fit import base_mapper
    from graphs.estimate import analyze_graph
    from graphs.frontends import LoadOptions, load_model

    mapper = base_mapper(gp, str(spec_file), None, {"threads": threads})
    st = ResultsStore(path)
    run = Run("host", "torch-cpu", software={"torch": "test"}, host={"cpu_model": "", "threads": threads})
    ms = []
    for n in (24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512, 640, 768, 1024, 1280, 1536, 2048):
        rec = mm_record(n, n, n)
        t = kernel_time(rec, mapper, gp)
        ms.append(Measurement("kernel", f"mm {n}", t, 10, "linear", "fp32", rec, {}, threads, min_s=t * 0.97))
    for n in (1, 4, 16, 64):
        rec = add_record(n)
        ms.append(Measurement("kernel", f"add {n}", OVERHEAD, 10, "add", "fp32", rec, {}, threads, min_s=OVERHEAD))
    st.add_batch(run, ms)
    for name in models:
        for b in (1, 2):
            g = load_model(name, LoadOptions(batch=b), gp)
            a = analyze_graph(g, gp, fusion="none")
            nodes = {n.name: n for n in g.nodes}
            total, kms = 0.0, []
            for k in a.kernels:
                x = mapper.roofline(k, mapper.precision_of(k))[0]
                t = OVERHEAD + x * true_ratio(x) + mapper.alloc_time(k)
                total += t
                kms.append(Measurement("kernel", f"{name}[b{b}]/{k.name}", t, 10, k.kind, "fp32",
                                       node_record(g, nodes[k.nodes[0]]),
                                       {"model": name, "batch": b, "in_model": True}, threads, min_s=t))
            t = total + model_overhead
            st.add_batch(run, [Measurement("model", name, t, 10, "model", "fp32", model_reference(name, b),
                                           {"model": name, "batch": b}, threads, min_s=t), *kms])
    return st


def node_record(g, node) -> dict:
    """A one-node graph record of ``node`` of ``g`` (what a runner stores for a kernel timed alone)."""
    vals = {v: (g.values[v].shape, g.values[v].dtype) for v in (*node.inputs, *node.outputs) if v}
    return graph_record(vals, list(dict.fromkeys(v for v in node.inputs if v)),
                        [(node.op_type, node.inputs, node.outputs, node.attrs)])


_SHARED: dict = {}


def shared_synthetic(gp=None):
    """(store path, spec file) of one synthetic store per test session (building it traces models)."""
    if "x" not in _SHARED:
        import tempfile

        from graphs.plugins import get_plugins

        tmp = Path(tempfile.mkdtemp(prefix="graphs-synth-"))
        spec = fake_cpu_spec(tmp)
        synthetic_store(tmp / "s.sqlite", spec, gp or get_plugins()).close()
        _SHARED["x"] = (tmp / "s.sqlite", spec)
    return _SHARED["x"]
