"""Mutations of valid model files, shared by the fuzz tests and ``benchmarks/fuzz_frontends.py``.

Every mutated file must end in a Graph (then analysed) or a ``GraphsError``; anything else
is a bug. Seeds are small valid models built here (ONNX through ``onnx.helper``, TFLite
through ``tests/tflite_build.py``) plus the committed converter fixtures.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from graphs.errors import GraphsError
from graphs.estimate import analyze_graph
from graphs.frontends import LoadOptions, load_model

KINDS = ("truncate", "flip", "overwrite", "insert", "delete", "splice")
HERE = Path(__file__).parent


def onnx_seeds() -> list[bytes]:
    import onnx
    from onnx import TensorProto as TP
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)

    def w(name, *shape, dtype=np.float32):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(dtype), name)

    mlp = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["a"]),
         helper.make_node("MatMul", ["a", "w2"], ["m"]), helper.make_node("Add", ["m", "b2"], ["z"]),
         helper.make_node("Softmax", ["z"], ["y"], axis=-1)], "mlp",
        [helper.make_tensor_value_info("x", TP.FLOAT, [2, 8])], [helper.make_tensor_value_info("y", TP.FLOAT, None)],
        [w("w1", 16, 8), w("b1", 16), w("w2", 16, 4), w("b2", 4)])
    conv = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], group=1),
         helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["n"]),
         helper.make_node("Relu", ["n"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Shape", ["p"], ["s"]), helper.make_node("Gather", ["s", "i0"], ["n0"], axis=0),
         helper.make_node("Unsqueeze", ["n0", "ax"], ["n1"]), helper.make_node("Concat", ["n1", "m1"], ["shp"], axis=0),
         helper.make_node("Reshape", ["p", "shp"], ["f"]), helper.make_node("MatMul", ["f", "fc"], ["y"])], "conv",
        [helper.make_tensor_value_info("x", TP.FLOAT, [1, 2, 8, 8])], [helper.make_tensor_value_info("y", TP.FLOAT, None)],
        [w("w", 4, 2, 3, 3), w("b", 4)] + [w(n, 4) for n in ("g", "be", "mu")] + [
            numpy_helper.from_array(np.ones(4, np.float32), "var"),
            numpy_helper.from_array(np.array(0, np.int64), "i0"), numpy_helper.from_array(np.array([0], np.int64), "ax"),
            numpy_helper.from_array(np.array([-1], np.int64), "m1"), w("fc", 64, 3)])
    out = []
    for g in (mlp, conv):
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="fuzz")
        out.append(m.SerializeToString())
    return out


def tflite_seeds() -> list[bytes]:
    import sys

    sys.path.insert(0, str(HERE))
    import tflite_build

    seeds = [tflite_build.mlp(2), tflite_build.mlp(1, dynamic=True), tflite_build.mlp(1, custom=True)]
    fixture = HERE / "fixtures" / "tflite" / "bert_tiny_l2_h64_s32_int8.tflite"
    if fixture.exists():
        seeds.append(fixture.read_bytes())
    return seeds


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    b = bytearray(data)
    n = len(b)
    pos = rng.randrange(n) if n else 0
    if kind == "truncate":
        return bytes(b[:pos])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            j = rng.randrange(n)
            b[j] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        k = rng.randint(1, 16)
        b[pos:pos + k] = bytes(rng.randrange(256) for _ in range(k))
    elif kind == "insert":
        b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "delete":
        del b[pos:pos + rng.randint(1, 16)]
    elif kind == "splice":  # a chunk of the file copied elsewhere: plausible-looking structure
        k = rng.randint(4, 64)
        src = rng.randrange(n)
        b[pos:pos + k] = data[src:src + k]
    return bytes(b)


def run_case(data: bytes, path: Path, plugins) -> str:
    """'graph' or 'error:<GraphsError subclass>'; any other exception propagates (a bug)."""
    path.write_bytes(data)
    try:
        g = load_model(str(path), LoadOptions(), plugins)
        analyze_graph(g, plugins)
        return "graph"
    except GraphsError as e:
        assert "\n" not in str(e), repr(str(e))
        return f"error:{type(e).__name__}"
