"""Versioned JSON documents: what every ``graphs … -f json`` prints.

Every JSON output is one object::

    {"schema": "graphs.analyze", "schema_version": 1, "graphs_version": "0.1.0", ...payload}

The payload of each kind is described by a pydantic model registered here (core's commands) or by the
plugin that prints it (``register_document`` at import of its command module). :func:`render` checks
the payload against its model before writing — a change that breaks a published shape fails in the
tests, not in a user's pipeline — and writes strict JSON: numbers are numbers, unknown is ``null``.

Compatibility rule (docs/json.md): within one ``schema_version`` keys are only added, never renamed,
removed or retyped; anything else bumps the version. ``scripts/gen_json_doc.py`` writes docs/json.md
and ``docs/schemas/<kind>.schema.json`` from the registered models.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graphs.errors import GraphsError

_KINDS: dict[str, tuple[int, type[BaseModel], str]] = {}


class Payload(BaseModel):
    """Base of a document's payload: known keys typed; a key added later in the same version is allowed."""

    model_config = ConfigDict(extra="allow")


def register_document(kind: str, version: int, model: type[BaseModel], description: str = "") -> None:
    """Declare the payload model of a JSON document kind (``graphs.<command>[.<sub>]``)."""
    old = _KINDS.get(kind)
    if old is not None and old[1] is not model:
        raise GraphsError(f"JSON document {kind!r} registered twice with different models")
    _KINDS[kind] = (version, model, description or (model.__doc__ or "").strip().split("\n")[0])


def kinds() -> dict[str, tuple[int, type[BaseModel], str]]:
    """Every registered document kind: version, payload model, one-line description."""
    return dict(_KINDS)


def envelope(kind: str) -> dict[str, Any]:
    from graphs import __version__
    version = _KINDS[kind][0]
    return {"schema": kind, "schema_version": version, "graphs_version": __version__}


def render(kind: str, payload: dict[str, Any], indent: int | None = 2) -> str:
    """The strict JSON text of a document of ``kind`` (checked against its model)."""
    from graphs.output import jsonable, to_json
    if kind not in _KINDS:
        raise GraphsError(f"internal: JSON document {kind!r} is not registered")
    data = jsonable(payload)
    try:
        _KINDS[kind][1].model_validate(data)
    except ValidationError as e:       # a bug in graphs or a plugin, never the user's input
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise RuntimeError(f"JSON document {kind!r} does not match its schema at {where}: {first['msg']}") from None
    return to_json({**envelope(kind), **data}, indent=indent)


def read(text: str, kind: str | None = None) -> dict[str, Any]:
    """Parse a document (any registered kind, or exactly ``kind``); a one-line error otherwise."""
    import json
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise GraphsError(f"not JSON: {e}") from None
    if not isinstance(doc, dict) or "schema" not in doc or "schema_version" not in doc:
        raise GraphsError("not a graphs JSON document (no schema / schema_version)")
    if kind is not None and doc["schema"] != kind:
        raise GraphsError(f"a {doc['schema']} document, expected {kind}")
    known = _KINDS.get(doc["schema"])
    if known is not None and doc["schema_version"] > known[0]:
        raise GraphsError(f"{doc['schema']} schema_version {doc['schema_version']} is newer than this graphs reads "
                          f"({known[0]}); upgrade graphs")
    return doc


# --- core's documents ------------------------------------------------------------------------------
Confidence = Literal["CALIBRATED", "INTERPOLATED", "THEORETICAL"]


class ProvenanceModel(Payload):
    estimator: str
    mapper: str
    hardware: str
    calibration: Optional[str] = Field(description="calibration source; null when the device has none")
    notes: list[str]


class KernelModel(Payload):
    """One kernel of the per-kernel breakdown."""

    name: str
    nodes: list[str]
    kind: str
    time_s: float = Field(ge=0)
    low_s: float = Field(ge=0)
    high_s: float = Field(ge=0)
    bound: str
    confidence: Confidence
    flops: float = Field(ge=0)
    bytes: float = Field(ge=0)
    energy_j: Optional[float] = None


class LayerModel(Payload):
    """One row of the per-layer view (``--layers``): a module path at the chosen depth, or a kernel."""

    path: str
    depth: int = Field(ge=0)
    op: str
    output_shape: Optional[list[int]] = None
    parameters: int = Field(ge=0)
    macs: float = Field(ge=0)
    flops: float = Field(ge=0)
    bytes: float = Field(ge=0)
    time_s: float = Field(ge=0)
    share: float = Field(ge=0, le=1)
    bound: Optional[str] = None
    kernels: int = Field(ge=0)


class MetricsModel(Payload):
    model: str
    hardware: str
    hardware_name: str
    precision: str
    fusion: str
    runtime: str
    quantization: Optional[str] = None
    flops: float = Field(ge=0)
    matrix_flops: float = Field(ge=0)
    bytes: float = Field(ge=0)
    kernels: int = Field(ge=0)
    parameters: int = Field(ge=0)
    parameter_bytes: float = Field(ge=0)
    peak_activation_bytes: float = Field(ge=0)
    memory_bytes: float = Field(ge=0)
    device_memory_bytes: Optional[float] = None
    fits: Optional[bool] = None
    time_by_bound_s: dict[str, float]
    energy_j: Optional[float] = Field(None, description="null: unknown (no power model or sourced idle power)")


class EstimateModel(Payload):
    """One forward-pass estimate on one device."""

    value: float = Field(gt=0, description="seconds")
    unit: Literal["s"]
    interval: list[float] = Field(min_length=2, max_length=2, description="[low, high] seconds")
    confidence: Confidence
    provenance: ProvenanceModel
    metrics: MetricsModel
    breakdown: Optional[list[KernelModel]] = None
    layers: Optional[list[LayerModel]] = None


class AnalyzeDoc(Payload):
    """`graphs analyze -f json`: one estimate per device, in the order given."""

    results: list[EstimateModel]


class DeviceRow(Payload):
    id: str
    name: str
    family: str
    vendor: Optional[str]
    fp32_flops: Optional[float]
    fp16_flops: Optional[float]
    int8_ops: Optional[float]
    memory_bytes: Optional[float]
    bandwidth_bytes_per_s: Optional[float]
    tdp_w: Optional[float]
    calibration: Optional[str]
    plugin: str
    mapper_installed: bool
    loaded: bool


class HardwareListDoc(Payload):
    """`graphs hardware list -f json`: installed devices (peaks in FLOP/s, sizes in bytes, power in W)."""

    devices: list[DeviceRow]


class HardwareShowDoc(Payload):
    """`graphs hardware show ID -f json`: the spec as installed, with the plugin that registered it."""

    plugin: str
    spec: dict[str, Any]


class HardwareValidateDoc(Payload):
    """`graphs hardware validate FILE -f json`: the spec file is valid for core and its family engine."""

    path: str
    id: str
    name: str
    family: str
    sourced_values: int = Field(ge=0)


class ZooModelRow(Payload):
    name: str
    family: str
    task: str
    parameters: Optional[int] = Field(description="as listed (3 significant digits); null if not listed")
    aliases: list[str]
    description: str


class ZooListDoc(Payload):
    """`graphs zoo list -f json`: models built from configs (no weights)."""

    models: list[ZooModelRow]


class PluginRow(Payload):
    name: str
    distribution: str
    version: str
    hooks: list[str]
    registered: dict[str, list[str]]
    status: str
    errors: list[str]
    builtin: bool


class PluginsListDoc(Payload):
    """`graphs plugins list -f json`: installed plugins, their hooks, what they registered, their status."""

    plugins: list[PluginRow]


register_document("graphs.analyze", 1, AnalyzeDoc)
register_document("graphs.hardware.list", 1, HardwareListDoc)
register_document("graphs.hardware.show", 1, HardwareShowDoc)
register_document("graphs.hardware.validate", 1, HardwareValidateDoc)
register_document("graphs.zoo.list", 1, ZooListDoc)
register_document("graphs.plugins.list", 1, PluginsListDoc)
