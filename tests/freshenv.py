"""A fresh virtual environment for install/uninstall tests.

The environment is new and empty of graphs distributions, but by default borrows the
third-party dependencies (torch, numpy, pydantic ...) of the running interpreter through a
``.pth`` file over a directory of links, so a test can ``pip install`` graphs distributions into
it quickly and offline, exactly as a user would, and see entry points appear and disappear.
``FreshEnv(where, borrow=False)`` borrows nothing: pip fetches third-party dependencies from the
configured index, as on a user's machine (tests/test_wheels.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _is_graphs(name: str) -> bool:
    n = name.lower().replace("-", "_")
    return n.startswith(("graphs_", "graphs-", "__editable__.graphs", "__editable___graphs")) or n in ("graphs", "graphs.pth")


class FreshEnv:
    def __init__(self, where: Path, borrow: bool = True) -> None:
        self.dir = where / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.dir)], check=True)
        self.python = self.dir / "bin" / "python"
        site = Path(subprocess.run([str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
        self.site = site
        if not borrow:
            return
        deps = where / "deps"
        deps.mkdir()
        here = Path(sysconfig.get_paths()["purelib"])
        for entry in here.iterdir():
            if _is_graphs(entry.name) or entry.suffix == ".pth" or entry.name.startswith("__editable__"):
                continue
            (deps / entry.name).symlink_to(entry)
        (site / "_graphs_test_deps.pth").write_text(str(deps) + "\n")

    def pip(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "pip", "--python", str(self.python), "--disable-pip-version-check", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600)

    def install(self, *folders: Path) -> None:
        args = ["install", "--quiet", "--no-deps", "--no-build-isolation"]
        for f in folders:
            args += ["-e", str(f)]
        r = self.pip(*args)
        if r.returncode:
            raise RuntimeError(f"pip install failed: {r.stderr[-2000:]}")

    def uninstall(self, *dists: str) -> None:
        r = self.pip("uninstall", "--yes", *dists)
        if r.returncode:
            raise RuntimeError(f"pip uninstall failed: {r.stderr[-2000:]}")

    def graphs(self, *args: str, script: bool = False) -> subprocess.CompletedProcess:
        """``python -m graphs.cli ARGS``; ``script=True``: the installed ``graphs`` console script, as a user runs it."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRAPHS_LOAD_PLUGINS")}
        cmd = [str(self.dir / "bin" / "graphs")] if script else [str(self.python), "-m", "graphs.cli"]
        return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=300)

    def python_out(self, code: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        return subprocess.run([str(self.python), "-c", code], capture_output=True, text=True, check=True, env=env,
                              cwd=self.dir).stdout

    def hardware_ids(self) -> list[str]:
        r = self.graphs("hardware", "list", "-f", "json")
        if r.returncode:
            raise RuntimeError(f"graphs hardware list failed: {r.stderr}")
        return [d["id"] for d in json.loads(r.stdout)["devices"]]


def mlp_onnx(path) -> None:
    """A two-layer MLP as an ONNX file: 4x256 @ 256x512, ReLU, @ 512x128 (FLOPs known exactly)."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 256])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 128])
    w1 = helper.make_tensor("w1", TensorProto.FLOAT, [256, 512], [0.0] * (256 * 512))
    w2 = helper.make_tensor("w2", TensorProto.FLOAT, [512, 128], [0.0] * (512 * 128))
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("MatMul", ["a", "w2"], ["y"])]
    g = helper.make_graph(nodes, "mlp", [x], [y], [w1, w2])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)


MLP_FLOPS = 2 * 4 * 256 * 512 + 4 * 512 + 2 * 4 * 512 * 128
