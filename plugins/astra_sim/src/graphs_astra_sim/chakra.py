"""Chakra execution traces (``.et``) without protoc or a chakra install.

Decision (documented in docs/tools/astra-sim.md): the message classes are built **at run time
from the ``.proto`` file** shipped in this package (``et_def.proto``, copied unchanged from
``tool_outputs/chakra``, Apache-2.0, see ``CHAKRA_LICENSE``): :func:`parse_proto` reads the
proto3 subset the schema uses (package, messages, enums, scalar/message/enum fields,
``repeated``, ``oneof``) into a ``FileDescriptorProto``, and protobuf's descriptor pool and
message factory make the classes. No generated ``_pb2.py`` is committed, so there is no
protoc/protobuf version coupling, and runtime needs only ``protobuf``.

An ``.et`` file is a stream of varint-length-prefixed messages: one ``GlobalMetadata`` then
``Node`` messages (Chakra's ``encode_message`` / ``decode_message``), one file per NPU named
``<prefix>.<npu>.et``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from graphs_tools import ToolOutputError

PROTO_PATH = Path(__file__).with_name("et_def.proto")

_SCALARS = {
    "double": descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    "float": descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "uint32": descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
    "uint64": descriptor_pb2.FieldDescriptorProto.TYPE_UINT64,
    "sint32": descriptor_pb2.FieldDescriptorProto.TYPE_SINT32,
    "sint64": descriptor_pb2.FieldDescriptorProto.TYPE_SINT64,
    "fixed32": descriptor_pb2.FieldDescriptorProto.TYPE_FIXED32,
    "fixed64": descriptor_pb2.FieldDescriptorProto.TYPE_FIXED64,
    "sfixed32": descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED32,
    "sfixed64": descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED64,
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "bytes": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
}
_TOKEN = re.compile(r'"[^"]*"|[A-Za-z_][\w.]*|\d+|[{};=]')


def _tokens(text: str) -> list[str]:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return _TOKEN.findall(text)


def parse_proto(text: str, file_name: str = "et_def.proto") -> descriptor_pb2.FileDescriptorProto:
    """A ``FileDescriptorProto`` for the proto3 subset used by Chakra's ``et_def.proto``."""
    toks = _tokens(text)
    fdp = descriptor_pb2.FileDescriptorProto(name=file_name, syntax="proto3")
    pos = 0

    def take(expected: str | None = None) -> str:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"{file_name}: unexpected end of file")
        t = toks[pos]
        pos += 1
        if expected is not None and t != expected:
            raise ValueError(f"{file_name}: expected {expected!r}, got {t!r}")
        return t

    pending: list[tuple[descriptor_pb2.FieldDescriptorProto, str]] = []

    def field(msg: descriptor_pb2.DescriptorProto, label_repeated: bool, typ: str, oneof: int | None) -> None:
        name = take()
        take("=")
        number = int(take())
        take(";")
        f = msg.field.add(name=name, number=number, json_name=_camel(name))
        f.label = (descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED if label_repeated
                   else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
        if typ in _SCALARS:
            f.type = _SCALARS[typ]
        else:
            pending.append((f, typ))
        if oneof is not None:
            f.oneof_index = oneof

    def message(container: Any) -> None:
        msg = container.add(name=take())
        take("{")
        while toks[pos] != "}":
            t = take()
            if t == "message":
                message(msg.nested_type)
            elif t == "enum":
                enum(msg.enum_type)
            elif t == "oneof":
                idx = len(msg.oneof_decl)
                msg.oneof_decl.add(name=take())
                take("{")
                while toks[pos] != "}":
                    field(msg, False, take(), idx)
                take("}")
            elif t == "repeated":
                field(msg, True, take(), None)
            else:
                field(msg, False, t, None)
        take("}")

    def enum(container: Any) -> None:
        e = container.add(name=take())
        take("{")
        while toks[pos] != "}":
            name = take()
            take("=")
            e.value.add(name=name, number=int(take()))
            take(";")
        take("}")

    while pos < len(toks):
        t = take()
        if t == "syntax":
            take("=")
            take()
            take(";")
        elif t == "package":
            fdp.package = take()
            take(";")
        elif t == "message":
            message(fdp.message_type)
        elif t == "enum":
            enum(fdp.enum_type)
        else:
            raise ValueError(f"{file_name}: unsupported construct {t!r}")

    enums = {e.name for e in fdp.enum_type} | {e.name for m in fdp.message_type for e in m.enum_type}
    messages = {m.name for m in fdp.message_type}
    prefix = f".{fdp.package}." if fdp.package else "."
    for f, typ in pending:
        base = typ.split(".")[-1]
        if base in enums:
            f.type = descriptor_pb2.FieldDescriptorProto.TYPE_ENUM
        elif base in messages:
            f.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
        else:
            raise ValueError(f"{file_name}: unknown type {typ!r}")
        f.type_name = prefix + base
    return fdp


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@dataclass(frozen=True)
class ChakraSchema:
    """The message and enum classes of ``et_def.proto``."""

    messages: dict[str, Any]
    pool: Any
    package: str

    def __getattr__(self, name: str) -> Any:
        full = f"{self.package}.{name}"
        if full in self.messages:
            return self.messages[full]
        raise AttributeError(name)

    def enum_value(self, enum: str, name: str) -> int:
        return self.pool.FindEnumTypeByName(f"{self.package}.{enum}").values_by_name[name].number

    def enum_name(self, enum: str, number: int) -> str:
        return self.pool.FindEnumTypeByName(f"{self.package}.{enum}").values_by_number[number].name


@functools.lru_cache(maxsize=4)
def load_schema(proto_path: str | None = None) -> ChakraSchema:
    """Build (once) the message classes from ``et_def.proto``."""
    path = Path(proto_path) if proto_path else PROTO_PATH
    fdp = parse_proto(path.read_text(encoding="utf-8"), path.name)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    if hasattr(message_factory, "GetMessageClassesForFiles"):        # protobuf >= 4.22
        classes = message_factory.GetMessageClassesForFiles([fdp.name], pool)
    else:                                                             # older runtimes
        classes = message_factory.MessageFactory(pool).GetMessages([fdp.name])
    return ChakraSchema(dict(classes), pool, fdp.package)


# --- varint-delimited streams (Chakra's protolib encode_message / decode_message) ---------------------
def encode_varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(f: BinaryIO) -> int | None:
    shift = result = 0
    while True:
        c = f.read(1)
        if not c:
            if shift == 0:
                return None
            raise ToolOutputError("truncated varint in Chakra trace")
        b = c[0]
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result
        shift += 7
        if shift > 63:
            raise ToolOutputError("varint longer than 10 bytes in Chakra trace")


def write_messages(f: BinaryIO, messages: Iterable[Any]) -> None:
    for m in messages:
        data = m.SerializeToString()
        f.write(encode_varint(len(data)))
        f.write(data)


def read_messages(f: BinaryIO, classes: Iterable[Any]) -> Iterator[Any]:
    """Decode messages: the first with ``classes[0]``, ..., the rest with the last class."""
    classes = list(classes)
    i = 0
    while True:
        n = _read_varint(f)
        if n is None:
            return
        data = f.read(n)
        if len(data) != n:
            raise ToolOutputError(f"Chakra trace truncated: expected {n} bytes, got {len(data)}")
        cls = classes[min(i, len(classes) - 1)]
        m = cls()
        m.ParseFromString(data)
        yield m
        i += 1


def write_et(path: str | Path, metadata: Any, nodes: Iterable[Any]) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "wb") as f:
        write_messages(f, [metadata, *nodes])
    return p


def read_et(path: str | Path, schema: ChakraSchema | None = None) -> tuple[Any, list[Any]]:
    """``(GlobalMetadata, [Node, ...])`` of one ``.et`` file."""
    schema = schema or load_schema()
    with open(path, "rb") as f:
        msgs = list(read_messages(f, [schema.GlobalMetadata, schema.Node]))
    if not msgs:
        raise ToolOutputError(f"{path}: empty Chakra trace")
    return msgs[0], msgs[1:]


# --- attribute helpers ---------------------------------------------------------------------------
def attr(schema: ChakraSchema, name: str, **value: Any) -> Any:
    """``AttributeProto(name=..., int64_val=...)`` etc."""
    return schema.AttributeProto(name=name, **value)


def attrs_of(node: Any) -> dict[str, Any]:
    """A node's attributes as {name: python value} (the set ``oneof`` member)."""
    out = {}
    for a in node.attr:
        which = a.WhichOneof("value")
        if which is None:
            out[a.name] = None
            continue
        v = getattr(a, which)
        out[a.name] = list(v.values) if which.endswith("_list") else v
    return out
