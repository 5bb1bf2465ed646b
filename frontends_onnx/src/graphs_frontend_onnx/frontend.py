"""The ONNX frontend: detects ONNX protobufs by content and loads them into the IR."""

from __future__ import annotations

from pathlib import Path

from graphs.errors import FrontendError
from graphs.frontends import LoadOptions
from graphs.ir import Graph

# ModelProto field number -> wire type (0 varint, 2 length-delimited)
_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}
MAX_IR_VERSION = 100


def _varint(buf: bytes, pos: int) -> tuple[int, int] | None:
    shift = value = 0
    while pos < len(buf):
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            return None
    return None


def looks_like_onnx(head: bytes) -> bool:
    """True if ``head`` parses as the start of a ModelProto.

    Serializers write fields in number order, so an ONNX file starts with ``ir_version``
    (field 1, a small varint); every further field in the head must be a ModelProto field
    with the right wire type. The head may end inside a field.
    """
    pos, first = 0, True
    while pos < len(head):
        tag = _varint(head, pos)
        if tag is None:
            return not first
        key, pos = tag
        field, wire = key >> 3, key & 7
        if _MODEL_FIELDS.get(field) != wire:
            return False
        val = _varint(head, pos)
        if val is None:
            return not first
        value, pos = val
        if first:
            if field != 1 or not 1 <= value <= MAX_IR_VERSION:
                return False
            first = False
        if wire == 2:
            if value > (1 << 40):
                return False
            pos += value
    return not first


class OnnxFrontend:
    """``.onnx`` files (any suffix): onnx shape inference, dynamic dims bound by --input-shape."""

    name = "onnx"
    description = "ONNX protobuf (onnx shape inference)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return looks_like_onnx(head)

    def load(self, ref: str, options: LoadOptions) -> Graph:
        from graphs_frontend_onnx.loader import load_onnx

        p = Path(ref)
        if not p.is_file():
            raise FrontendError(f"{ref}: no such file")
        return load_onnx(p, options.input_shapes)
