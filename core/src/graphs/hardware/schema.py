"""The hardware spec schema (pydantic), loaded from YAML.

Every number is a :class:`~graphs.hardware.units.Quantity` with a unit and a ``source``.
A source may be written in full or as ``"@key"`` naming an entry of the spec's top-level
``sources`` map (title and URL), so a datasheet is cited once and referenced many times.

``family_params`` holds what only the family engine understands (SM count, SIMD width,
systolic array size ...); the engine validates it with its own pydantic model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graphs.errors import SpecError
from graphs.hardware.units import Bandwidth, Bytes, Duration, Energy, Frequency, Power, Text, Throughput

PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
SCHEMA_VERSION = 1

# canonical IR dtype -> precision name
DTYPE_PRECISION = {
    "float64": "fp64", "float32": "fp32", "tfloat32": "tf32", "bfloat16": "bf16", "float16": "fp16",
    "float8_e4m3": "fp8", "float8_e5m2": "fp8", "int8": "int8", "uint8": "int8", "int4": "int4", "uint4": "int4",
}
PRECISION_DTYPE = {"fp64": "float64", "fp32": "float32", "tf32": "float32", "bf16": "bfloat16", "fp16": "float16",
                   "fp8": "float8_e4m3", "int8": "int8", "int4": "int4"}


def resolve_source_refs(data: Any) -> Any:
    """Replace every ``source: "@key"`` in a raw spec mapping by the text of ``sources[key]``.

    An unknown reference is a ValueError naming the field path (pydantic reports it).
    """
    if not isinstance(data, Mapping):
        return data
    refs = data.get("sources") or {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, Mapping):
            out = {}
            for k, v in node.items():
                if k == "source" and isinstance(v, str) and v.startswith("@"):
                    if v[1:] not in refs:
                        raise ValueError(f"{path}.source: unknown source reference {v!r}")
                    v = f"{refs[v[1:]]}"
                out[k] = walk(v, f"{path}.{k}" if path else str(k))
            return out
        if isinstance(node, list):
            return [walk(x, f"{path}[{i}]") for i, x in enumerate(node)]
        return node

    return {k: (walk(v, k) if k != "sources" else v) for k, v in data.items()}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ComputeUnit(_Frozen):
    """One kind of execution unit (tensor cores, CUDA cores, AVX-512, AMX, an MXU ...)."""

    description: str = ""
    peaks: dict[str, Throughput] = Field(default_factory=dict, description="dense peak per precision")
    sparse_peaks: dict[str, Throughput] = Field(default_factory=dict, description="structured-sparse peak per precision")

    @field_validator("peaks", "sparse_peaks")
    @classmethod
    def _known_precisions(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in v if k not in PRECISIONS]
        if bad:
            raise ValueError(f"unknown precision {bad[0]!r} (expected one of {', '.join(PRECISIONS)})")
        return v


class MemoryLevel(_Frozen):
    """A level of the memory hierarchy, nearest first; the last one is main memory."""

    name: str
    size: Bytes | None = None
    bandwidth: Bandwidth | None = None
    scope: Literal["device", "per_core", "per_sm", "per_cluster"] = "device"


class PowerSpec(_Frozen):
    tdp: Power
    idle: Power | None = None


class EnergyCosts(_Frozen):
    """Per-operation and per-byte energy coefficients (issue: energy model)."""

    per_flop: dict[str, Energy] = Field(default_factory=dict)
    per_byte: dict[str, Energy] = Field(default_factory=dict, description="memory level name -> energy per byte")


class HardwareSpec(_Frozen):
    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION, description=(
        "spec format version; a newer one than this graphs reads is refused, not half-understood"))
    id: str
    name: str
    vendor: str
    family: str
    aliases: tuple[str, ...] = ()
    form_factor: str | None = None
    process_node: Text | None = None
    release: Text | None = None
    clock: Frequency | None = None
    compute: dict[str, ComputeUnit]
    memory: tuple[MemoryLevel, ...]
    interconnect: dict[str, Bandwidth] = Field(default_factory=dict)
    power: PowerSpec | None = None
    energy: EnergyCosts | None = None
    overheads: dict[str, Duration] = Field(default_factory=dict, description="launch / dispatch overheads")
    family_params: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    notes: str = ""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", v):
            raise ValueError(f"{v!r} must be lower-case letters, digits, '.', '_' or '-'")
        return v

    @field_validator("memory")
    @classmethod
    def _main_memory(cls, v: tuple[MemoryLevel, ...]) -> tuple[MemoryLevel, ...]:
        if not v:
            raise ValueError("at least one memory level (main memory) is required")
        if v[-1].bandwidth is None:
            raise ValueError("the last memory level (main memory) needs a bandwidth")
        return v

    @model_validator(mode="before")
    @classmethod
    def _resolve_sources(cls, data: Any) -> Any:
        return resolve_source_refs(data)

    # --- convenience ---------------------------------------------------------------------
    @property
    def main_memory(self) -> MemoryLevel:
        return self.memory[-1]

    @property
    def memory_bytes(self) -> float | None:
        s = self.main_memory.size
        return s.si if s else None

    @property
    def memory_bandwidth(self) -> float:
        bw = self.main_memory.bandwidth
        assert bw is not None
        return bw.si

    def peak(self, precision: str, unit: str | None = None) -> float:
        """Best dense peak (FLOP/s) at ``precision`` over units (or in ``unit``); 0 if none."""
        units = [self.compute[unit]] if unit else list(self.compute.values())
        vals = [u.peaks[precision].si for u in units if precision in u.peaks]
        return max(vals) if vals else 0.0

    def overhead(self, name: str, default: float = 0.0) -> float:
        d = self.overheads.get(name)
        return d.si if d else default

    def all_sources(self) -> list[tuple[str, str]]:
        """(field path, source) for every sourced number, for ``graphs hardware show``."""
        out: list[tuple[str, str]] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, BaseModel):
                if "source" in type(node).model_fields:
                    out.append((path, getattr(node, "source")))
                    return
                for k in type(node).model_fields:
                    walk(getattr(node, k), f"{path}.{k}" if path else k)
            elif isinstance(node, Mapping):
                for k, v in node.items():
                    walk(v, f"{path}.{k}")
            elif isinstance(node, (list, tuple)):
                for i, v in enumerate(node):
                    walk(v, f"{path}[{getattr(v, 'name', i)}]")

        walk(self, "")
        return out


def first_error(e: ValidationError) -> str:
    """A pydantic error as one line: ``field.path: message (+N more)``."""
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    msg = err["msg"].removeprefix("Value error, ")
    more = f" (+{e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return f"{loc}: {msg}{more}"


def parse_spec(data: Any, origin: str = "<spec>") -> HardwareSpec:
    """Validate a mapping into a HardwareSpec; errors are one line with the field path."""
    if isinstance(data, HardwareSpec):
        return data
    if not isinstance(data, Mapping):
        raise SpecError(f"{origin}: a hardware spec must be a mapping, got {type(data).__name__}")
    try:
        return HardwareSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(f"{origin}: {first_error(e)}") from None


MAX_YAML_BYTES = 4 * 2**20          # a spec or calibration is a few KB; anything near this is not one
MAX_YAML_NODES = 200_000            # values after alias expansion (a "billion laughs" file stops here)

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when available: 8x faster


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that refuses duplicate keys (the last would silently win)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                dup = key in seen
            except TypeError:
                continue
            if dup:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def count_nodes(data: Any, limit: int = MAX_YAML_NODES) -> int:
    """Values in ``data`` counted as if aliases were expanded; stops (ValueError) past ``limit``."""
    n = 0
    stack = [data]
    while stack:
        v = stack.pop()
        n += 1
        if n > limit:
            raise ValueError(f"more than {limit} values (an alias bomb?)")
        if isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return n


def read_yaml(path: str | Path, what: str = "spec") -> Any:
    """Parse a YAML file; unreadable, oversized, non-regular or malformed files, duplicate keys and
    alias bombs are one-line SpecErrors (with line and column where there is one)."""
    import stat as _stat
    p = Path(str(path))
    try:
        st = p.stat()
    except OSError as e:
        raise SpecError(f"{p}: cannot read {what} ({e.strerror or e})") from None
    if not _stat.S_ISREG(st.st_mode):
        raise SpecError(f"{p}: not a regular file (a {what} is a YAML file)")
    if st.st_size > MAX_YAML_BYTES:
        raise SpecError(f"{p}: {st.st_size} bytes is too large for a {what} (limit {MAX_YAML_BYTES})")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
        text = raw.decode("utf-8")
    except OSError as e:
        raise SpecError(f"{p}: cannot read {what} ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise SpecError(f"{p.name}: not UTF-8 text (byte {e.start})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError(f"{p.name}: malformed YAML{where}: {problem}") from None
    except RecursionError:
        raise SpecError(f"{p.name}: YAML nested too deeply") from None
    try:
        count_nodes(data)
    except ValueError as e:
        raise SpecError(f"{p.name}: {e}") from None
    return data


def load_spec(path: str | Path) -> HardwareSpec:
    """Load and validate a YAML spec file."""
    return parse_spec(read_yaml(path, "spec"), Path(str(path)).name)
