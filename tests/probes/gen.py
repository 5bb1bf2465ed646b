"""Generators: functions that write hostile inputs into a folder and return their paths.

Everything is built from valid material first (the T4's spec and calibration shipped with this
repository, an ONNX MLP built with ``onnx.helper``) and then broken in one way, so a probe
fails for exactly the reason it names.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from probes.base import Ctx, Skip

ROOT = Path(__file__).resolve().parents[2]
T4_SPEC = ROOT / "mappers_gpu" / "devices" / "t4" / "src" / "graphs_mapper_t4" / "t4.yaml"
T4_CAL = ROOT / "mappers_gpu" / "devices" / "t4" / "src" / "graphs_mapper_t4" / "calibration.yaml"
SYSTEM_DGX_H100 = ROOT / "services" / "distributed" / "src" / "graphs_distributed" / "systems" / "dgx-h100.yaml"
TFLITE_FIXTURE = ROOT / "tests" / "fixtures" / "tflite" / "mobilenet_v2_035_96_float32.tflite"
NEUSIGHT = ROOT.parent / "shared" / "data" / "neusight"


# --- YAML specs ---------------------------------------------------------------------------------
def t4_spec() -> dict:
    return yaml.safe_load(T4_SPEC.read_text())


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def spec(ctx: Ctx, name: str, mutate: Callable[[dict], None] | None = None) -> Path:
    """The T4 spec, mutated, as ``ctx.tmp/name`` (id renamed so it cannot shadow the real T4)."""
    data = t4_spec()
    data["id"] = "probe-t4"
    data["aliases"] = []
    if mutate:
        mutate(data)
    return write_yaml(ctx.p(name), data)


def spec_text(ctx: Ctx, name: str, text: str | bytes) -> Path:
    p = ctx.p(name)
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def set_path(data: Any, path: str, value: Any) -> None:
    """``set_path(d, "memory.1.bandwidth.value", 0)``."""
    keys = path.split(".")
    for k in keys[:-1]:
        data = data[int(k)] if isinstance(data, list) else data[k]
    last = keys[-1]
    if isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


def mutation(**paths: Any) -> Callable[[dict], None]:
    """A mutate callable setting dotted paths (``__`` stands for ``.`` in keyword names)."""
    def m(d: dict) -> None:
        for k, v in paths.items():
            set_path(d, k.replace("__", "."), v)
    return m


# T4 paths
BW = "memory.1.bandwidth.value"
MEMSIZE = "memory.1.size.value"
PEAK32 = "compute.cuda_core.peaks.fp32.value"
PEAK16 = "compute.tensor_core.peaks.fp16.value"
CLOCK = "clock.value"
TDP = "power.tdp.value"
SMS = "family_params.sm_count.value"


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": 9 levels of 9 aliases, ~600 bytes, 9**9 strings when expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"id: bomb\nname: [*a{levels - 1}]")
    return "\n".join(lines) + "\n"


def alias_bomb_in_spec() -> str:
    """A complete-looking spec whose ``notes`` is an alias bomb (what a device spec would carry)."""
    base = T4_SPEC.read_text()
    return alias_bomb() + base.replace("id: t4", "").replace("name: NVIDIA T4 16GB", "")


def duplicate_key_spec() -> str:
    """The T4 spec with a second ``bandwidth`` under the same memory (the last would silently win)."""
    text = T4_SPEC.read_text()
    return text.replace("    bandwidth: {value: 320, unit: GB/s, source: \"@datasheet\"}",
                        "    bandwidth: {value: 320, unit: GB/s, source: \"@datasheet\"}\n"
                        "    bandwidth: {value: 0.001, unit: GB/s, source: \"@datasheet\"}").replace("id: t4", "id: probe-t4")


def duplicate_toplevel_key_spec() -> str:
    return T4_SPEC.read_text().replace("id: t4", "id: probe-t4\nid: probe-t4-second")


def non_utf8_spec() -> bytes:
    return T4_SPEC.read_text().replace("id: t4", "id: probe-t4").replace(
        "name: NVIDIA T4 16GB", "name: NVIDIA T4 \udcff16GB").encode("utf-8", "surrogateescape")


def utf16_spec() -> bytes:
    return T4_SPEC.read_text().replace("id: t4", "id: probe-t4").encode("utf-16")


def python_tag_spec(marker: Path) -> str:
    return (f"!!python/object/apply:os.system [\"touch {marker}\"]\n")


def deep_nesting(depth: int = 200_000) -> str:
    return "id: deep\nname: " + "[" * depth + "]" * depth + "\n"


def huge_spec_text(size: int = 12 * 2**20) -> str:
    return T4_SPEC.read_text().replace("id: t4", "id: probe-t4") + "# " + "x" * size + "\n"


# --- calibrations -------------------------------------------------------------------------------
def t4_cal() -> dict:
    return yaml.safe_load(T4_CAL.read_text())


def calibration(ctx: Ctx, name: str, mutate: Callable[[dict], None] | None = None) -> Path:
    data = t4_cal()
    if mutate:
        mutate(data)
    return write_yaml(ctx.p(name), data)


def cal_nan_points(d: dict) -> None:
    curve = next(iter(d["curves"].values()))
    curve["points"][0] = [float("nan"), float("nan")]


def cal_negative_ratio(d: dict) -> None:
    for curve in d["curves"].values():
        curve["points"] = [[x, -abs(y)] for x, y in curve["points"]]


# --- ONNX ---------------------------------------------------------------------------------------
def _onnx():
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    return onnx, TensorProto, helper, numpy_helper


def _save(model: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def onnx_mlp_model(opset: int = 17) -> Any:
    import numpy as np
    onnx, TP, helper, nh = _onnx()
    w = nh.from_array(np.full((16, 8), 0.5, np.float32), "W")
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TP.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, [1, 8])], [w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="probes")


def onnx_mlp(ctx: Ctx, name: str = "mlp.onnx") -> Path:
    return _save(onnx_mlp_model(), ctx.p(name))


def onnx_range_huge(ctx: Ctx, name: str = "range.onnx", limit: int = 10**12) -> Path:
    """``Range(0, limit, 1)`` from Constant nodes, then a Cast: ~190 bytes. onnx's data
    propagation materialises the Range's values for the Cast (some 140 bytes per element)."""
    onnx, TP, helper, nh = _onnx()
    import numpy as np
    nodes = [helper.make_node("Constant", [], ["s"], value=nh.from_array(np.array(0, np.int64))),
             helper.make_node("Constant", [], ["l"], value=nh.from_array(np.array(limit, np.int64))),
             helper.make_node("Constant", [], ["d"], value=nh.from_array(np.array(1, np.int64))),
             helper.make_node("Range", ["s", "l", "d"], ["r"]),
             helper.make_node("Cast", ["r"], ["y"], to=TP.INT64)]
    g = helper.make_graph(nodes, "range", [], [helper.make_tensor_value_info("y", TP.INT64, None)])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_tile_huge(ctx: Ctx, name: str = "tile.onnx", reps: int = 10**10) -> Path:
    """``Tile`` of a constant ``[1, 2]`` by ``reps``, then a Cast: data propagation materialises it."""
    onnx, TP, helper, nh = _onnx()
    import numpy as np
    nodes = [helper.make_node("Constant", [], ["c"], value=nh.from_array(np.array([1, 2], np.int64))),
             helper.make_node("Constant", [], ["r"], value=nh.from_array(np.array([reps], np.int64))),
             helper.make_node("Tile", ["c", "r"], ["t"]),
             helper.make_node("Cast", ["t"], ["y"], to=TP.INT64)]
    g = helper.make_graph(nodes, "tile", [], [helper.make_tensor_value_info("y", TP.INT64, None)])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_constant_of_shape_huge(ctx: Ctx, name: str = "cos.onnx", n: int = 10**6) -> Path:
    onnx, TP, helper, nh = _onnx()
    import numpy as np
    nodes = [helper.make_node("Constant", [], ["s"], value=nh.from_array(np.array([n, n], np.int64))),
             helper.make_node("ConstantOfShape", ["s"], ["c"]),
             helper.make_node("Relu", ["c"], ["y"])]
    g = helper.make_graph(nodes, "cos", [], [helper.make_tensor_value_info("y", TP.FLOAT, None)])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_opset(ctx: Ctx, opset: int = 999, name: str = "opset.onnx") -> Path:
    return _save(onnx_mlp_model(opset), ctx.p(name))


def onnx_ir_version(ctx: Ctx, ir: int = 999, name: str = "ir.onnx") -> Path:
    m = onnx_mlp_model()
    m.ir_version = ir
    return _save(m, ctx.p(name))


def onnx_local_function(ctx: Ctx, name: str = "func.onnx") -> Path:
    """An MLP whose activation is a model-local function ``probes.MyRelu`` (body: one Relu)."""
    import numpy as np
    onnx, TP, helper, nh = _onnx()
    fn = helper.make_function("probes", "MyRelu", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])],
                              [helper.make_opsetid("", 17)])
    w = nh.from_array(np.full((16, 8), 0.5, np.float32), "W")
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("MyRelu", ["h"], ["y"], domain="probes")]
    g = helper.make_graph(nodes, "mlpf", [helper.make_tensor_value_info("x", TP.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, [1, 8])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("probes", 1)],
                          functions=[fn])
    return _save(m, ctx.p(name))


def onnx_custom_op(ctx: Ctx, name: str = "custom.onnx") -> Path:
    onnx, TP, helper, nh = _onnx()
    nodes = [helper.make_node("Teleport", ["x"], ["y"], domain="com.evil")]
    g = helper.make_graph(nodes, "custom", [helper.make_tensor_value_info("x", TP.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, [1, 16])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.evil", 1)])
    return _save(m, ctx.p(name))


def onnx_cycle(ctx: Ctx, name: str = "cycle.onnx") -> Path:
    onnx, TP, helper, nh = _onnx()
    nodes = [helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"])]
    g = helper.make_graph(nodes, "cycle", [helper.make_tensor_value_info("x", TP.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("b", TP.FLOAT, [1, 16])])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_negative_dim(ctx: Ctx, name: str = "negdim.onnx") -> Path:
    onnx, TP, helper, nh = _onnx()
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    g = helper.make_graph(nodes, "neg", [helper.make_tensor_value_info("x", TP.FLOAT, [1, -5])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, [1, -5])])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_huge_input(ctx: Ctx, name: str = "hugein.onnx", n: int = 10**9) -> Path:
    onnx, TP, helper, nh = _onnx()
    nodes = [helper.make_node("MatMul", ["x", "x2"], ["y"])]
    g = helper.make_graph(nodes, "huge", [helper.make_tensor_value_info("x", TP.FLOAT, [n, n]),
                                          helper.make_tensor_value_info("x2", TP.FLOAT, [n, n])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, [n, n])])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_external_data(ctx: Ctx, name: str = "ext.onnx", location: str = "../../../../../../../../etc/passwd") -> Path:
    """An initializer whose bytes are 'external', at a path escaping the model's folder."""
    onnx, TP, helper, nh = _onnx()
    t = onnx.TensorProto()
    t.name, t.data_type = "W", TP.FLOAT
    t.dims.extend([16, 8])
    t.data_location = TP.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(16 * 8 * 4))):
        e = t.external_data.add()
        e.key, e.value = k, v
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"])]
    g = helper.make_graph(nodes, "ext", [helper.make_tensor_value_info("x", TP.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, [1, 8])], [t])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_deep_chain(ctx: Ctx, name: str = "chain.onnx", n: int = 20_000) -> Path:
    onnx, TP, helper, nh = _onnx()
    nodes, prev = [], "x"
    for i in range(n):
        nodes.append(helper.make_node("Relu", [prev], [f"v{i}"]))
        prev = f"v{i}"
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TP.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info(prev, TP.FLOAT, [1, 16])])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), ctx.p(name))


def onnx_truncated(ctx: Ctx, name: str = "trunc.onnx") -> Path:
    data = onnx_mlp_model().SerializeToString()
    p = ctx.p(name)
    p.write_bytes(data[: len(data) // 2])
    return p


def onnx_garbage(ctx: Ctx, name: str = "garbage.onnx") -> Path:
    """Starts like an ONNX ModelProto (ir_version field, a producer string), then noise."""
    p = ctx.p(name)
    p.write_bytes(b"\x08\x08\x12\x07pytorch\x1a\x032.0" + bytes((i * 131 + 7) % 256 for i in range(4096)))
    return p


# --- TFLite -------------------------------------------------------------------------------------
def tflite_truncated(ctx: Ctx, name: str = "trunc.tflite") -> Path:
    data = TFLITE_FIXTURE.read_bytes()
    p = ctx.p(name)
    p.write_bytes(data[: len(data) // 3])
    return p


def tflite_garbage(ctx: Ctx, name: str = "garbage.tflite") -> Path:
    p = ctx.p(name)
    p.write_bytes(b"\x1c\x00\x00\x00TFL3" + b"\xff" * 64 + bytes((i * 37) % 256 for i in range(2048)))
    return p


# --- file.py:factory ----------------------------------------------------------------------------
FACTORY_OK = """
import torch
def factory():
    return torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU()), (torch.zeros(1, 16),)
"""


def factory(ctx: Ctx, body: str, name: str = "user_model.py", top: str = "") -> Path:
    """``name`` with ``top`` at module level and ``factory()`` running ``body`` before returning an MLP."""
    src = "import torch\n" + textwrap.dedent(top) + "\n\ndef factory():\n" + textwrap.indent(textwrap.dedent(body), "    ") + \
        "\n    return torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU()), (torch.zeros(1, 16),)\n"
    p = ctx.p(name)
    p.write_text(src)
    return p


# --- fake installed plugins ---------------------------------------------------------------------
def install_plugin(ctx: Ctx, module: str, source: str, ep_name: str, dist: str | None = None,
                   target: str | None = None, entry_points: str | None = None) -> Path:
    """``module`` as an installed distribution with a ``graphs`` entry point, in ``ctx.tmp/site``,
    on ``PYTHONPATH`` (the mechanism of tests/conftest.py:install_fake_distribution)."""
    site = ctx.p("site")
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    dist = dist or f"graphs-{ep_name}"
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points if entry_points is not None
                                           else f"[graphs]\n{ep_name} = {target or module}\n")
    (info / "RECORD").write_text("")
    if str(site) not in ctx.env.get("PYTHONPATH", ""):
        ctx.add_pythonpath(site)
    return site


PROBE_RUNNER = '''
"""A benchmark runner for the probes: pure Python, no torch. PROBE_SLOW_CASE adds a case that
writes PROBE_MARKER when it starts and then takes two minutes (to be interrupted)."""
import os
import time

from graphs import hookimpl


class ProbeRunner:
    name = "probe-python"

    def unavailable(self):
        return None

    def device(self):
        return "probe-dev"

    def environment(self):
        return {"software": {"python": "3"}, "host": {"machine": "probe"}}

    def suite(self, name):
        from graphs.bench import BenchCase
        cases = [BenchCase("g", f"sum{n}", "kernel", "sum", "int64", {"n": n}) for n in (1000, 2000)]
        if os.environ.get("PROBE_SLOW_CASE"):
            cases.append(BenchCase("g", "slow", "kernel", "sum", "int64", {"n": -1}))
        return cases

    def run(self, case):
        from graphs.store import Measurement
        n = case.spec["n"]
        if n < 0:
            marker = os.environ.get("PROBE_MARKER")
            if marker:
                with open(marker, "w") as fh:
                    fh.write("started")
            time.sleep(120)
            n = 10
        t0 = time.perf_counter()
        for _ in range(20):
            sum(range(n))
        dt = max((time.perf_counter() - t0) / 20, 1e-9)
        return Measurement(level="kernel", name=case.name, op_kind="sum", precision="int64",
                           shapes={"n": n}, median_s=dt, repeats=20)


@hookimpl
def graphs_register_runners(register):
    register(ProbeRunner())
'''


def probe_runner(ctx: Ctx) -> None:
    install_plugin(ctx, "graphs_probe_runner", PROBE_RUNNER, "probe-runner")


EVIL_SPEC_DICT = """{
    "id": "h100", "name": "EVIL H100 (zzz plugin)", "vendor": "Evil", "family": "gpu",
    "compute": {"mac": {"peaks": {"fp32": {"value": 1, "unit": "TFLOP/s", "source": "evil"}}}},
    "memory": [{"name": "dram", "size": {"value": 1, "unit": "GiB", "source": "evil"},
                "bandwidth": {"value": 1, "unit": "GB/s", "source": "evil"}}],
}"""

PLUGINS: dict[str, str] = {
    "sysexit3_import": "import sys\nsys.exit(3)\n",
    "sysexit0_import": "import sys\nsys.exit(0)\n",
    "ki_import": "raise KeyboardInterrupt\n",
    "prints_import": """
        print("PLUGIN NOISE ON STDOUT")
        from graphs import hookimpl

        @hookimpl
        def graphs_register_op_kinds(register):
            print("PLUGIN NOISE FROM A HOOK")
    """,
    "sniff_raises": """
        from graphs import hookimpl

        class Evil:
            name = "evil-frontend"
            description = "a frontend whose sniff raises"

            def sniff(self, path, head):
                raise RuntimeError("sniff exploded")

            def load(self, ref, options):
                raise RuntimeError("never")

        @hookimpl
        def graphs_register_frontends(register):
            register(Evil())
    """,
    "sniff_sysexit": """
        import sys
        from graphs import hookimpl

        class Evil:
            name = "evil-exit-frontend"
            description = "a frontend whose sniff calls sys.exit"

            def sniff(self, path, head):
                sys.exit(4)

            def load(self, ref, options):
                raise RuntimeError("never")

        @hookimpl
        def graphs_register_frontends(register):
            register(Evil())
    """,
    "runner_raises": """
        from graphs import hookimpl

        class Evil:
            name = "evil-runner"

            def unavailable(self):
                raise RuntimeError("unavailable() exploded")

            def device(self):
                raise RuntimeError("device() exploded")

            def environment(self):
                return {}

            def suite(self, name):
                return []

            def run(self, case):
                raise RuntimeError("never")

        @hookimpl
        def graphs_register_runners(register):
            register(Evil())
    """,
    "command_analyze": """
        from graphs import hookimpl

        def analyze(model: str = "", hardware: str = "") -> None:
            \"\"\"EVIL replacement of analyze.\"\"\"
            print("EVIL ANALYZE")

        @hookimpl
        def graphs_register_commands(register):
            register(analyze)
    """,
    "command_hardware": """
        import typer
        from graphs import hookimpl

        app = typer.Typer(name="hardware", help="EVIL hardware group")

        @app.command("list")
        def list_() -> None:
            print("EVIL HARDWARE LIST")

        @hookimpl
        def graphs_register_commands(register):
            register(app)
    """,
    "hw_h100": f"""
        from graphs import hookimpl

        @hookimpl
        def graphs_register_hardware(register):
            register({EVIL_SPEC_DICT})
    """,
    "mapper_gpu": """
        from graphs import hookimpl
        from graphs.mapper import EfficiencyPrior, Mapper

        class EvilGpu(Mapper):
            family = "gpu"

            def prior(self, kernel):
                return EfficiencyPrior(1e-9, 1e-9, 1e-9, "EVIL")

        @hookimpl
        def graphs_register_mappers(register):
            register("gpu", EvilGpu)
    """,
    "hook_raises": """
        from graphs import hookimpl

        @hookimpl
        def graphs_register_hardware(register):
            raise RuntimeError("hardware hook exploded")
    """,
    "hook_sysexit": """
        import sys
        from graphs import hookimpl

        @hookimpl
        def graphs_register_hardware(register):
            sys.exit(5)
    """,
    "hook_ki": """
        from graphs import hookimpl

        @hookimpl
        def graphs_register_hardware(register):
            raise KeyboardInterrupt
    """,
    "commands_hook_sysexit": """
        import sys
        from graphs import hookimpl

        @hookimpl
        def graphs_register_commands(register):
            sys.exit(6)
    """,
}


def plugin(ctx: Ctx, key: str, ep_name: str = "evil") -> Path:
    return install_plugin(ctx, f"graphs_probe_{key}", PLUGINS[key], ep_name)


# --- fake tools ---------------------------------------------------------------------------------
def tool_script(ctx: Ctx, name: str, body: str) -> Path:
    p = ctx.p("bin", name)
    p.parent.mkdir(exist_ok=True)
    p.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    p.chmod(0o755)
    return p


def flood_tool(ctx: Ctx, name: str, mb: int = 200, stream: str = "2", rc: int = 1) -> Path:
    return tool_script(ctx, name, f"head -c {mb * 2**20} /dev/zero | tr '\\000' 'x' >&{stream}\nexit {rc}\n")


def grandchild_tool(ctx: Ctx, name: str, pidfile: Path, sleep_s: int = 300) -> Path:
    """Starts a grandchild that outlives it (pid in ``pidfile``), then sleeps past any tool timeout."""
    return tool_script(ctx, name, f"sleep {sleep_s} &\necho $! > {pidfile}\nsleep {sleep_s}\n")


# --- output targets -----------------------------------------------------------------------------
def regular(ctx: Ctx, name: str, text: str = "precious user data\n", mode: int = 0o644) -> Path:
    p = ctx.p(name)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    p.chmod(mode)
    return p


def fifo(ctx: Ctx, name: str) -> Path:
    p = ctx.p(name)
    os.mkfifo(p)
    return p


def fifo_reader(ctx: Ctx, f: Path, sink: Path) -> None:
    """A reader draining ``f`` into ``sink`` (killed at cleanup), so writing to the FIFO does not block."""
    proc = subprocess.Popen(["sh", "-c", f"cat '{f}' > '{sink}'; cat '{f}' >> '{sink}'"], start_new_session=True)

    def stop() -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass
        proc.wait()
    ctx.cleanups.append(stop)


def make_unwritable(ctx: Ctx, path: Path) -> None:
    """Make ``path`` (file or folder) unwritable even for root: chattr +i as root, chmod otherwise."""
    if os.geteuid() == 0:
        r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if r.returncode:
            raise Skip(f"running as root and chattr +i failed: {r.stderr.strip()}")
        ctx.cleanups.append(lambda: subprocess.run(["chattr", "-i", str(path)], capture_output=True))
    else:
        mode = 0o555 if path.is_dir() else 0o444
        path.chmod(mode)
        ctx.cleanups.append(lambda: path.chmod(0o755 if path.is_dir() else 0o644))


# --- stores -------------------------------------------------------------------------------------
def foreign_sqlite(ctx: Ctx, name: str = "other_app.db", user_version: int = 1,
                   tables: Iterable[str] = ("contacts",)) -> Path:
    """Another application's SQLite file: its own table(s), rows, a user_version, rollback journal."""
    p = ctx.p(name)
    db = sqlite3.connect(p)
    for t in tables:
        db.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
        db.executemany(f"INSERT INTO {t} (name, note) VALUES (?, ?)", [("ada", "x" * 50), ("bob", "y" * 50)])
    db.execute(f"PRAGMA user_version = {user_version}")
    db.commit()
    db.close()
    return p


def graphs_store(ctx: Ctx, name: str = "store.sqlite", user_version: int | None = None) -> Path:
    """A real graphs results store holding one measurement (optionally with a future user_version)."""
    from graphs.store import Measurement, ResultsStore, Run
    p = ctx.p(name)
    with ResultsStore(p) as db:
        db.add_batch(Run(device="probe-dev", runtime="probe-python"),
                     [Measurement(level="kernel", name="sum1000", op_kind="sum", precision="int64", median_s=1e-5,
                                  repeats=3)])
    con = sqlite3.connect(p)
    con.execute("PRAGMA journal_mode = DELETE")     # one file: no -wal/-shm beside it
    if user_version is not None:
        con.execute(f"PRAGMA user_version = {user_version}")
    con.commit()
    con.close()
    for suffix in ("-wal", "-shm"):
        Path(str(p) + suffix).unlink(missing_ok=True)
    return p


def store_count(path: Path) -> int:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM measurements").fetchone()[0]
    finally:
        con.close()


# --- labelled data (NeuSight layout) ------------------------------------------------------------
def neusight_dir(ctx: Ctx, name: str = "data", mutate_json: Callable[[str], str] | None = None,
                 mutate_csv: Callable[[str], str] | None = None) -> Path:
    """A one-label copy of ../shared/data/neusight (Tesla T4, BERT-large b8), optionally mutated."""
    if not (NEUSIGHT / "labels" / "Tesla_T4").is_dir():
        raise Skip(f"no NeuSight data at {NEUSIGHT}")
    root = ctx.p(name)
    (root / "device_configs").mkdir(parents=True)
    (root / "labels" / "Tesla_T4").mkdir(parents=True)
    shutil.copytree(NEUSIGHT / "DLmodel_configs", root / "DLmodel_configs")
    shutil.copyfile(NEUSIGHT / "device_configs" / "Tesla_T4.json", root / "device_configs" / "Tesla_T4.json")
    label = "bert_large-inf-512-8"
    js = (NEUSIGHT / "labels" / "Tesla_T4" / f"{label}.json").read_text()
    cs = (NEUSIGHT / "labels" / "Tesla_T4" / f"{label}.csv").read_text()
    (root / "labels" / "Tesla_T4" / f"{label}.json").write_text(mutate_json(js) if mutate_json else js)
    (root / "labels" / "Tesla_T4" / f"{label}.csv").write_text(mutate_csv(cs) if mutate_csv else cs)
    return root


def json_field(field: str, value: str) -> Callable[[str], str]:
    def m(text: str) -> str:
        d = json.loads(text)
        d[field] = "__V__"
        return json.dumps(d, indent=4).replace('"__V__"', value)
    return m


def csv_latency_nan(text: str) -> str:
    lines = text.splitlines()
    head = lines[0].split(",")
    i = head.index("latency")
    import csv
    import io
    rows = list(csv.reader(io.StringIO(text)))
    for r in rows[1:6]:
        if len(r) > i:
            r[i] = "nan"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def long_name(n: int = 300, suffix: str = "") -> str:
    return "n" * n + suffix


def python() -> str:
    return sys.executable
