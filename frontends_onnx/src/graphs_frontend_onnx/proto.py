"""Reading ONNX protobufs: dtypes, initializers, external data, input binding, node basics."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from graphs.errors import FrontendError
from graphs.ir import TensorSpec

MIN_OPSET = 13


DTYPES: Mapping[int, str] = {
    TensorProto.FLOAT: "float32", TensorProto.DOUBLE: "float64", TensorProto.FLOAT16: "float16",
    TensorProto.BFLOAT16: "bfloat16", TensorProto.INT8: "int8", TensorProto.UINT8: "uint8",
    TensorProto.INT16: "int16", TensorProto.UINT16: "int16", TensorProto.INT32: "int32",
    TensorProto.UINT32: "int32", TensorProto.INT64: "int64", TensorProto.UINT64: "int64",
    TensorProto.BOOL: "bool", TensorProto.COMPLEX64: "complex64", TensorProto.COMPLEX128: "complex128",
}


for _n, _d in (("FLOAT8E4M3FN", "float8_e4m3"), ("FLOAT8E4M3FNUZ", "float8_e4m3"), ("FLOAT8E5M2", "float8_e5m2"),
               ("FLOAT8E5M2FNUZ", "float8_e5m2"), ("INT4", "int4"), ("UINT4", "uint4")):
    if hasattr(TensorProto, _n):
        DTYPES = {**DTYPES, getattr(TensorProto, _n): _d}


def fail(path: str, msg: str) -> FrontendError:
    return FrontendError(f"{path}: {msg}")


def one_line(e: BaseException, limit: int = 240) -> str:
    s = " ".join(str(e).split()) or type(e).__name__
    return s if len(s) <= limit else s[: limit - 3] + "..."


# --- reading -----------------------------------------------------------------------------
def read_model(path: Path) -> onnx.ModelProto:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise fail(str(path), f"cannot read ({e.strerror or e})") from None
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as e:  # google.protobuf.message.DecodeError and friends
        raise fail(str(path), f"not a valid ONNX protobuf ({one_line(e)})") from None
    if not model.HasField("graph") or model.ir_version <= 0:
        raise fail(str(path), "not an ONNX model (no graph or no ir_version)")
    return model


def default_opset(model: onnx.ModelProto) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return int(o.version)
    return 0


def check_external_data(model: onnx.ModelProto, base: Path, path: str) -> None:
    """External tensors: the file must exist and hold the declared bytes; nothing is read."""
    for t in _all_tensors(model):
        if t.data_location != TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in t.external_data}
        loc = info.get("location", "")
        if not loc:
            raise fail(path, f"initializer {t.name!r}: external data without a location")
        target = (base / loc)
        try:
            resolved = target.resolve()
            if base.resolve() not in resolved.parents and resolved != base.resolve():
                raise fail(path, f"initializer {t.name!r}: external data {loc!r} lies outside the model folder")
            size = resolved.stat().st_size
        except OSError:
            raise fail(path, f"initializer {t.name!r}: external data file {loc!r} not found next to the model") from None
        offset = int(info.get("offset", 0) or 0)
        length = int(info["length"]) if info.get("length") else size - offset
        if offset < 0 or length < 0 or offset + length > size:
            raise fail(path, f"initializer {t.name!r}: external data {loc!r} is shorter than declared "
                             f"(offset {offset} + length {length} > {size} bytes)")


def _all_tensors(model: onnx.ModelProto):
    yield from model.graph.initializer
    for n in model.graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                yield a.t


def tensor_dtype(elem_type: int, what: str, path: str) -> str:
    d = DTYPES.get(int(elem_type))
    if d is None:
        name = TensorProto.DataType.Name(elem_type) if elem_type in TensorProto.DataType.values() else elem_type
        raise fail(path, f"{what}: unsupported element type {name}")
    return d


def tensor_spec_of(t: TensorProto, path: str) -> TensorSpec:
    dims = tuple(int(d) for d in t.dims)
    if any(d < 0 for d in dims):
        raise fail(path, f"initializer {t.name!r} has negative dims {list(dims)}")
    return TensorSpec(dims, tensor_dtype(t.data_type, f"initializer {t.name!r}", path))


def check_tensor_payload(t: TensorProto, spec: TensorSpec, path: str) -> None:
    """An inline initializer's data must be as long as its dims say (corrupt files are not)."""
    if t.data_location == TensorProto.EXTERNAL:
        return
    n = spec.numel
    if t.HasField("raw_data") or t.raw_data:
        want = math.ceil(n * spec.itemsize)
        if len(t.raw_data) != want:
            raise fail(path, f"initializer {t.name!r}: {len(t.raw_data)} bytes of data for "
                             f"{spec} ({want} bytes)")
        return
    counts = [len(t.float_data), len(t.int32_data), len(t.int64_data), len(t.double_data), len(t.uint64_data)]
    have = max(counts)
    if spec.dtype in ("complex64", "complex128"):
        have //= 2
    if spec.dtype in ("int4", "uint4"):
        n = math.ceil(n / 2)
    if have != n and not (n == 0 and have == 0):
        raise fail(path, f"initializer {t.name!r}: {have} values for {spec}")


def tensor_value(t: TensorProto, base: Path) -> np.ndarray:
    if t.data_location == TensorProto.EXTERNAL:
        t2 = TensorProto()
        t2.CopyFrom(t)
        onnx.external_data_helper.load_external_data_for_tensor(t2, str(base))
        return numpy_helper.to_array(t2)
    return numpy_helper.to_array(t)


# --- binding dynamic input dims -------------------------------------------------------------
def _dims(vi: onnx.ValueInfoProto) -> list[int | str | None] | None:
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return None
    out: list[int | str | None] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value") and d.dim_value >= 0:
            out.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            out.append(d.dim_param)
        else:
            out.append(None)
    return out


def _fmt_dims(dims: list[int | str | None] | None) -> str:
    if dims is None:
        return "[unknown rank]"
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def bind_inputs(model: onnx.ModelProto, inputs: list[onnx.ValueInfoProto], given: Mapping[str, tuple[int, ...]],
                path: str) -> None:
    names = [vi.name for vi in inputs]
    given = dict(given)
    if "" in given:
        if not names:
            raise fail(path, "--input-shape given but the model has no inputs")
        if names[0] in given:
            raise fail(path, f"input {names[0]!r} given twice (bare and by name)")
        given[names[0]] = given.pop("")
    unknown = [k for k in given if k not in names]
    if unknown:
        raise fail(path, f"--input-shape names unknown input(s) {', '.join(map(repr, unknown))} "
                         f"(model inputs: {', '.join(names) or 'none'})")
    symbols: dict[str, int] = {}
    for vi in inputs:
        if vi.name not in given:
            continue
        dims, shape = _dims(vi), given[vi.name]
        if dims is not None and len(dims) != len(shape):
            raise fail(path, f"input {vi.name!r} has rank {len(dims)} {_fmt_dims(dims)} but --input-shape gives "
                             f"{'x'.join(map(str, shape))}")
        for d, s in zip(dims or [None] * len(shape), shape):
            if isinstance(d, int) and d != s:
                raise fail(path, f"input {vi.name!r} has fixed dims {_fmt_dims(dims)}; --input-shape gives "
                                 f"{'x'.join(map(str, shape))}")
            if isinstance(d, str):
                if symbols.setdefault(d, s) != s:
                    raise fail(path, f"dim {d!r} bound to both {symbols[d]} and {s}")
        _set_shape(vi, shape)
    for vi in inputs:
        if vi.name in given:
            continue
        dims = _dims(vi)
        if dims is not None and all(isinstance(d, int) or (isinstance(d, str) and d in symbols) for d in dims):
            _set_shape(vi, tuple(d if isinstance(d, int) else symbols[d] for d in dims))  # type: ignore[misc]
            continue
        if dims is None or not all(isinstance(d, int) for d in dims):
            example = "x".join(str(d) if isinstance(d, int) else "1" for d in (dims or [None]))
            raise fail(path, f"input {vi.name!r} has dynamic dims {_fmt_dims(dims)}; bind them with "
                             f"--input-shape {vi.name}={example}")


def _set_shape(vi: onnx.ValueInfoProto, shape: tuple[int, ...]) -> None:
    tt = vi.type.tensor_type
    tt.ClearField("shape")
    for s in shape:
        tt.shape.dim.add().dim_value = int(s)


def _unique(name: str, used: set[str]) -> str:
    base, k = name, 1
    while name in used:
        k += 1
        name = f"{base}#{k}"
    used.add(name)
    return name


def _topological(nodes: list[onnx.NodeProto], defined: set[str], path: str) -> list[onnx.NodeProto]:
    """ONNX requires topological order; sort when a file does not keep it."""
    seen = set(defined)
    produced: set[str] = set()
    ordered = True
    for n in nodes:
        for o in n.output:
            if o and o in produced:
                raise fail(path, f"value {o!r} is produced twice")
            produced.add(o)
        if any(v and v not in seen for v in n.input):
            ordered = False
        seen.update(o for o in n.output if o)
    if ordered:
        return nodes
    missing = {v for n in nodes for v in n.input if v and v not in defined and v not in produced}
    if missing:
        raise fail(path, f"value(s) {', '.join(sorted(map(repr, missing))[:3])} read but never defined")
    ready, out, avail = list(nodes), [], set(defined)
    while ready:
        progress = [n for n in ready if all(not v or v in avail for v in n.input)]
        if not progress:
            raise fail(path, "the graph has a cycle")
        for n in progress:
            out.append(n)
            avail.update(o for o in n.output if o)
        ids = {id(n) for n in progress}
        ready = [n for n in ready if id(n) not in ids]
    return out


def _attrs(n: onnx.NodeProto) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in n.attribute:
        if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            out[a.name] = "<graph>"
            continue
        if a.type in (onnx.AttributeProto.TENSOR, onnx.AttributeProto.SPARSE_TENSOR):
            t = a.t if a.type == onnx.AttributeProto.TENSOR else a.sparse_tensor.values
            out[a.name] = f"<tensor {list(t.dims)}>"
            continue
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif isinstance(v, list):
            v = tuple(x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in v)
        if isinstance(v, (int, float, str, tuple)):
            out[a.name] = v
    if n.domain not in ("", "ai.onnx"):
        out["domain"] = n.domain
    return out


def _scope(n: onnx.NodeProto) -> str:
    meta = {m.key: m.value for m in n.metadata_props}
    scopes = meta.get("pkg.torch.onnx.name_scopes")
    if scopes:
        parts = [s.strip(" '\"") for s in scopes.strip("[]").split(",")]
        return ".".join(x for x in parts[:-1] if x)
    if "/" in n.name:
        return n.name.rsplit("/", 1)[0].strip("/").replace("/", ".")
    return ""


def _spec_from_info(vi: onnx.ValueInfoProto | None, name: str, path: str) -> TensorSpec | None:
    if vi is None or not vi.type.HasField("tensor_type"):
        return None
    tt = vi.type.tensor_type
    if tt.elem_type == 0:
        return None
    dims = _dims(vi)
    if dims is None or not all(isinstance(d, int) for d in dims):
        return None
    return TensorSpec(tuple(dims), tensor_dtype(tt.elem_type, f"value {name!r}", path))  # type: ignore[arg-type]
