"""TFLite flatbuffer -> graphs IR.

The main subgraph (index 0) becomes the Graph. Each tensor becomes a value with its dtype
and, when quantized, a :class:`~graphs.ir.Quantization` (per-tensor, or per-channel along
``quantized_dimension``). Tensors backed by a non-empty buffer are constants: parameters
when an op reads them as data (filters, biases, embedding tables), ``Graph.constants`` when
they are shape/axis operands. Each operator keeps what an edge-NPU mapper needs in its
attrs: ``builtin`` (name), ``builtin_code``, ``version``, ``fused_activation`` and the
builtin options (strides, padding, ...).

TFLite stores static shapes. A model converted with a dynamic batch (``shape_signature``
-1 in dim 0) can be re-bound to another batch with ``--input-shape``; other dims cannot.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import tflite
from tflite.BuiltinOptions import BuiltinOptions
from tflite.utils import BUILTIN_OPCODE2NAME

from graphs.errors import FrontendError, GraphsError
from graphs.ir import Graph, GraphBuilder, Quantization, TensorSpec

from graphs_frontend_tflite.frontend import looks_like_tflite
from graphs_frontend_tflite.handlers import NS

DTYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 6: "bool", 7: "int16",
          8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "int64", 15: "int32",
          16: "int16", 17: "int4", 18: "bfloat16"}
TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
OPTION_CLASSES = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}
ACTIVATIONS = {1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
PADDING = {0: "SAME", 1: "VALID"}
CUSTOM_CODE = 32
# operand slots that carry shapes / axes / sizes, not data
META_SLOTS: Mapping[str, frozenset[int]] = {k: frozenset(v) for k, v in {
    "RESHAPE": {1}, "PAD": {1}, "PADV2": {1, 2}, "MIRROR_PAD": {1}, "MEAN": {1}, "SUM": {1},
    "REDUCE_MAX": {1}, "REDUCE_MIN": {1}, "REDUCE_PROD": {1}, "REDUCE_ANY": {1}, "REDUCE_ALL": {1},
    "TRANSPOSE": {1}, "STRIDED_SLICE": {1, 2, 3}, "SLICE": {1, 2}, "RESIZE_BILINEAR": {1},
    "RESIZE_NEAREST_NEIGHBOR": {1}, "EXPAND_DIMS": {1}, "TILE": {1}, "BROADCAST_TO": {1}, "SPLIT": {0},
    "SPLIT_V": {1, 2}, "FILL": {0}, "TRANSPOSE_CONV": {0}, "ARG_MAX": {1}, "ARG_MIN": {1}, "CUMSUM": {1},
    "TOPK_V2": {1}, "ONE_HOT": {1, 2, 3}, "RANGE": {0, 1, 2}, "GATHER": set(), "BATCH_TO_SPACE_ND": {1, 2},
    "SPACE_TO_BATCH_ND": {1, 2}, "REVERSE_V2": {1}, "BROADCAST_ARGS": {0, 1},
}.items()}
INDEX_DTYPES = {"int64", "bool"}


def fail(path: str, msg: str) -> FrontendError:
    return FrontendError(f"{path}: {msg}")


def one_line(e: BaseException, limit: int = 240) -> str:
    s = " ".join(str(e).split()) or type(e).__name__
    return s if len(s) <= limit else s[: limit - 3] + "..."


def load_tflite(path: Path, input_shapes: Mapping[str, tuple[int, ...]]) -> Graph:
    """Load a TFLite file into a Graph; every failure is a one-line GraphsError."""
    p = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise fail(p, f"cannot read ({e.strerror or e})") from None
    try:
        return _Reader(data, p).graph(input_shapes, path.stem)
    except GraphsError:
        raise
    except RecursionError:
        raise fail(p, "model nesting too deep") from None
    except MemoryError:
        raise fail(p, "model too large to load") from None
    except Exception as e:  # flatbuffers raise struct.error / IndexError / ... on corrupt offsets
        raise fail(p, f"malformed TFLite flatbuffer ({type(e).__name__}: {one_line(e)})") from None


def _layout_attrs(name: str, ins: list[int], specs: dict[int, TensorSpec], attrs: dict[str, Any]) -> None:
    """Add the canonical attributes of the node's kind (docs/ops.md): ``kernel`` (window), ``groups``,
    ``layout``, ``stride``, ``dilation``, ``padding`` (TFLite's stride_h/stride_w, dilation_h_factor/
    dilation_w_factor and padding SAME/VALID; the raw options stay too)."""
    def spec(j: int) -> TensorSpec | None:
        return specs.get(ins[j]) if j < len(ins) and ins[j] >= 0 else None

    if "stride_h" in attrs and "stride_w" in attrs:
        attrs["stride"] = (int(attrs["stride_h"]), int(attrs["stride_w"]))
    if "dilation_h_factor" in attrs and "dilation_w_factor" in attrs:
        attrs["dilation"] = (int(attrs["dilation_h_factor"]), int(attrs["dilation_w_factor"]))
    if "padding" in attrs and isinstance(attrs["padding"], (str, int)) and not isinstance(attrs["padding"], bool):
        pad = str(attrs["padding"]).upper()
        if pad == "SAME":
            attrs["padding"] = "same"
        elif pad == "VALID":
            attrs["padding"] = "valid"

    x, f = spec(0), spec(1)
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D") and x is not None and f is not None and f.rank == 4 and x.rank == 4:
        attrs["kernel"] = (f.shape[1], f.shape[2])
        attrs["layout"] = "NHWC"
        if name == "DEPTHWISE_CONV_2D":
            attrs["groups"] = x.shape[3]
        elif f.shape[3]:
            attrs["groups"] = max(1, x.shape[3] // f.shape[3])
    elif name == "TRANSPOSE_CONV" and f is not None and f.rank == 4:
        attrs.update(kernel=(f.shape[1], f.shape[2]), layout="NHWC", groups=1, transposed=True)
    elif name in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D") and "filter_height" in attrs:
        attrs["kernel"] = (attrs["filter_height"], attrs["filter_width"])
        attrs["layout"] = "NHWC"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _Reader:
    def __init__(self, data: bytes, path: str) -> None:
        self.data, self.path = data, path
        if len(data) < 16 or not looks_like_tflite(data[:8]):
            raise fail(path, "not a TFLite flatbuffer (no TFL3 identifier)")
        root = int.from_bytes(data[:4], "little")
        if not 8 <= root < len(data):
            raise fail(path, f"truncated TFLite flatbuffer (root offset {root} outside {len(data)} bytes)")
        self.model = tflite.Model.GetRootAsModel(data, 0)

    def _count(self, n: int, what: str, elem: int = 4) -> int:
        if n < 0 or n * elem > len(self.data):
            raise fail(self.path, f"corrupt TFLite flatbuffer ({what}: {n} entries in {len(self.data)} bytes)")
        return n

    # --- pieces ----------------------------------------------------------------------------
    def opcodes(self) -> list[tuple[int, str, int]]:
        m, out = self.model, []
        for i in range(self._count(m.OperatorCodesLength(), "operator codes")):
            oc = m.OperatorCodes(i)
            code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
            if code == CUSTOM_CODE:
                raw = oc.CustomCode()
                name = raw.decode("utf-8", "replace") if raw else "unnamed"
                out.append((code, f"custom::{name}", int(oc.Version())))
            else:
                out.append((code, BUILTIN_OPCODE2NAME.get(code, f"UNKNOWN_{code}"), int(oc.Version())))
        return out

    def buffer_info(self, index: int) -> tuple[int, bool]:
        """(bytes, in_file_or_offset) of buffer ``index``; 0 bytes = not a constant."""
        m = self.model
        if index <= 0 or index >= m.BuffersLength():
            return 0, False
        b = m.Buffers(index)
        n = b.DataLength()
        if n:
            self._count(n, f"buffer {index}", 1)
            return n, True
        off, size = int(b.Offset()), int(b.Size())
        if off > 1 and size > 0:  # models > 2 GB keep data after the flatbuffer
            if off + size > len(self.data):
                raise fail(self.path, f"buffer {index} lies outside the file ({off}+{size} > {len(self.data)} bytes)")
            return size, True
        return 0, False

    def buffer_array(self, index: int, dtype: str) -> np.ndarray | None:
        m = self.model
        if index <= 0 or index >= m.BuffersLength():
            return None
        b = m.Buffers(index)
        raw = b.DataAsNumpy() if b.DataLength() else None
        if raw is None or isinstance(raw, int):
            return None
        np_dt = {"int32": np.int32, "int64": np.int64, "float32": np.float32, "int8": np.int8,
                 "uint8": np.uint8, "int16": np.int16}.get(dtype)
        if np_dt is None or len(raw) % np.dtype(np_dt).itemsize:
            return None
        return np.frombuffer(raw.tobytes(), dtype=np_dt)

    @staticmethod
    def quantization(t: Any) -> Quantization | None:
        q = t.Quantization()
        if q is None or q.ScaleLength() == 0:
            return None
        scales = tuple(float(x) for x in q.ScaleAsNumpy().reshape(-1))
        zps = tuple(int(x) for x in q.ZeroPointAsNumpy().reshape(-1)) if q.ZeroPointLength() else (0,) * len(scales)
        if len(zps) == 1 and len(scales) > 1:
            zps = zps * len(scales)
        axis = int(q.QuantizedDimension()) if len(scales) > 1 else None
        return Quantization(scales, zps, axis)

    def options(self, op: Any) -> dict[str, Any]:
        kind = int(op.BuiltinOptionsType())
        if kind == 0:
            return {}
        cls_name = OPTION_CLASSES.get(kind)
        cls = getattr(tflite, cls_name, None) if cls_name else None
        table = op.BuiltinOptions()
        if cls is None or table is None:
            return {}
        obj = cls()
        obj.Init(table.Bytes, table.Pos)
        out: dict[str, Any] = {}
        for name in dir(cls):
            if not name[0].isupper() or name.startswith("GetRootAs") or name.endswith(("BufferHasIdentifier",
                                                                                     "IsNone", "Length")):
                continue
            fn = getattr(obj, name)
            try:
                if name.endswith("AsNumpy"):
                    v = fn()
                    if isinstance(v, np.ndarray):
                        out[_snake(name[:-7])] = tuple(int(x) for x in v.reshape(-1)[:64])
                    continue
                if fn.__code__.co_argcount != 1:
                    continue
                v = fn()
            except Exception:
                continue
            if isinstance(v, (bool, int, float)):
                out[_snake(name)] = v
            elif isinstance(v, bytes):
                out[_snake(name)] = v.decode("utf-8", "replace")
        if "fused_activation_function" in out:
            out["fused_activation"] = ACTIVATIONS.get(int(out.pop("fused_activation_function")), "NONE")
        if "padding" in out and isinstance(out["padding"], int):
            out["padding"] = PADDING.get(out["padding"], out["padding"])
        return out

    # --- the graph -----------------------------------------------------------------------------
    def graph(self, input_shapes: Mapping[str, tuple[int, ...]], default_name: str) -> Graph:
        m, p = self.model, self.path
        n_sub = self._count(m.SubgraphsLength(), "subgraphs")
        if n_sub == 0:
            raise fail(p, "TFLite model has no subgraph")
        sg = m.Subgraphs(0)
        opcodes = self.opcodes()
        n_t = self._count(sg.TensorsLength(), "tensors")
        tensors = [sg.Tensors(i) for i in range(n_t)]

        names: list[str] = []
        seen: set[str] = set()
        for i, t in enumerate(tensors):
            raw = t.Name()
            nm = raw.decode("utf-8", "replace") if raw else ""
            if not nm or nm in seen:
                nm = f"{nm or 'tensor'}#{i}"
            seen.add(nm)
            names.append(nm)

        inputs = [int(x) for x in (sg.InputsAsNumpy() if sg.InputsLength() else [])]
        outputs = [int(x) for x in (sg.OutputsAsNumpy() if sg.OutputsLength() else [])]
        for i in inputs + outputs:
            if not 0 <= i < n_t:
                raise fail(p, f"subgraph input/output refers to tensor {i} of {n_t}")
        batch = self._bind(tensors, names, inputs, input_shapes)

        specs: dict[int, TensorSpec] = {}
        const: dict[int, int] = {}
        for i, t in enumerate(tensors):
            ttype = int(t.Type())
            dtype = DTYPES.get(ttype)
            if dtype is None:
                raise fail(p, f"tensor {names[i]!r} has unsupported type {TYPE_NAMES.get(ttype, ttype)}")
            shape = [int(d) for d in (t.ShapeAsNumpy() if t.ShapeLength() else [])]
            self._count(len(shape), f"tensor {names[i]!r} rank")
            if batch is not None and shape and t.ShapeSignatureLength() and int(t.ShapeSignature(0)) == -1:
                shape[0] = batch
            if any(d < 0 for d in shape):
                raise fail(p, f"tensor {names[i]!r} has negative dims {shape}")
            spec = TensorSpec(tuple(shape), dtype, self.quantization(t))
            nbytes, is_const = self.buffer_info(int(t.Buffer()))
            if is_const:
                want = math.ceil(spec.numel * spec.itemsize)
                if nbytes != want and dtype != "int4":
                    raise fail(p, f"tensor {names[i]!r}: buffer holds {nbytes} bytes for {spec} ({want} bytes)")
                const[i] = int(t.Buffer())
            specs[i] = spec

        b = GraphBuilder(default_name, "tflite")
        b.meta["subgraph"] = (sg.Name() or b"").decode("utf-8", "replace")
        for i in inputs:
            if i in const:
                raise fail(p, f"subgraph input {names[i]!r} is a constant")
            b.input(names[i], specs[i])

        n_ops = self._count(sg.OperatorsLength(), "operators")
        ops: list[tuple[str, list[int], list[int], dict[str, Any]]] = []
        data_reads: set[int] = set()
        any_reads: set[int] = set()
        produced: set[int] = set()
        for k in range(n_ops):
            op = sg.Operators(k)
            oi = int(op.OpcodeIndex())
            if not 0 <= oi < len(opcodes):
                raise fail(p, f"operator {k} uses opcode {oi} of {len(opcodes)}")
            code, name, version = opcodes[oi]
            ins = [int(x) for x in (op.InputsAsNumpy() if op.InputsLength() else [])]
            outs = [int(x) for x in (op.OutputsAsNumpy() if op.OutputsLength() else [])]
            for x in ins + outs:
                if not -1 <= x < n_t:
                    raise fail(p, f"operator {k} ({name}) refers to tensor {x} of {n_t}")
            attrs: dict[str, Any] = {"builtin": name, "builtin_code": code, "version": version}
            if code == CUSTOM_CODE:
                attrs["custom_options_bytes"] = int(op.CustomOptionsLength())
            else:
                attrs.update(self.options(op))
            meta = META_SLOTS.get(name, frozenset())
            for j, x in enumerate(ins):
                if x >= 0:
                    any_reads.add(x)
                    if j not in meta:
                        data_reads.add(x)
            for x in outs:
                if x >= 0:
                    if x in produced or x in inputs or x in const:
                        raise fail(p, f"tensor {names[x]!r} is written twice")
                    produced.add(x)
            ops.append((name, ins, outs, attrs))

        params = {i for i in const if i in data_reads and specs[i].dtype not in INDEX_DTYPES
                  and specs[i].numel > 1}
        for i in sorted(const):
            if i in params:
                b.parameter(names[i], specs[i])
            elif i in any_reads:
                b.constant(names[i], specs[i])

        defined = set(inputs) | set(const)
        for k, (name, ins, outs, attrs) in enumerate(ops):
            for x in ins:
                if x >= 0 and x not in defined:
                    raise fail(p, f"operator {k} ({name}) reads tensor {names[x]!r} before it is written")
            op_type = NS + self._role(name, ins, specs, const)
            _layout_attrs(name, ins, specs, attrs)
            node_name = f"{k}:{name.lower()}"
            act = attrs.get("fused_activation", "NONE")
            in_names = [names[x] if x >= 0 else "" for x in ins]
            out_vals = [(names[x], specs[x]) for x in outs if x >= 0]
            if act != "NONE" and len(out_vals) == 1:
                final, spec = out_vals[0]
                pre = f"{final}#preact"
                b.node(node_name, op_type, in_names, [(pre, spec)], attrs)
                b.node(f"{node_name}/{act.lower()}", NS + act, [pre], [(final, spec)],
                       {"fused_into": node_name, "builtin": act})
            else:
                b.node(node_name, op_type, in_names, out_vals, attrs)
            defined.update(x for x in outs if x >= 0)
        for i in outputs:
            if i not in defined:
                raise fail(p, f"graph output {names[i]!r} is never written")
        b.output(*[names[i] for i in outputs])
        desc = m.Description()
        b.meta.update({
            "format": "tflite", "path": p, "schema_version": int(m.Version()), "subgraphs": n_sub,
            "description": desc.decode("utf-8", "replace") if desc else "",
        })
        try:
            return b.build()
        except ValueError as e:
            raise fail(p, f"inconsistent graph ({one_line(e)})") from None

    @staticmethod
    def _role(name: str, ins: list[int], specs: dict[int, TensorSpec], const: dict[int, int]) -> str:
        if name == "BATCH_MATMUL" and len(ins) > 1 and ins[1] in const and specs[ins[1]].rank == 2:
            return name + ":linear"
        if name == "GATHER" and ins and ins[0] in const and specs[ins[0]].rank == 2 \
                and specs[ins[0]].dtype not in INDEX_DTYPES:
            return name + ":embedding"
        return name

    def _bind(self, tensors: list[Any], names: list[str], inputs: list[int],
              given: Mapping[str, tuple[int, ...]]) -> int | None:
        """Check ``--input-shape`` against the stored shapes; return a new batch size, if any."""
        if not given:
            return None
        p = self.path
        in_names = [names[i] for i in inputs]
        given = dict(given)
        if "" in given:
            if not in_names:
                raise fail(p, "--input-shape given but the model has no inputs")
            given.setdefault(in_names[0], given.pop(""))
        unknown = [k for k in given if k not in in_names]
        if unknown:
            raise fail(p, f"--input-shape names unknown input(s) {', '.join(map(repr, unknown))} "
                          f"(model inputs: {', '.join(in_names) or 'none'})")
        batch: int | None = None
        for i in inputs:
            if names[i] not in given:
                continue
            t, want = tensors[i], tuple(given[names[i]])
            shape = tuple(int(d) for d in (t.ShapeAsNumpy() if t.ShapeLength() else []))
            sig = tuple(int(d) for d in (t.ShapeSignatureAsNumpy() if t.ShapeSignatureLength() else shape))
            if len(want) != len(shape):
                raise fail(p, f"input {names[i]!r} has rank {len(shape)} {list(shape)} but --input-shape gives "
                              f"{'x'.join(map(str, want))}")
            for j, (w, s, g) in enumerate(zip(want, shape, sig)):
                if w == s:
                    continue
                if j == 0 and g == -1 and batch in (None, w):
                    batch = w
                    continue
                raise fail(p, f"input {names[i]!r} stores shape {list(shape)} (signature {list(sig)}); only a "
                              f"dynamic batch (dim 0) can be re-bound, re-convert the model for "
                              f"{'x'.join(map(str, want))}")
        return batch
