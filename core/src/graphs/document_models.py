"""The pydantic models of core's JSON documents (and ``Payload``, the base of every document's payload).

Imported only when a document is rendered, read or listed — pydantic costs ~0.1 s to import, which
``graphs --help`` must not pay. Plugins declare their own documents modules with
:func:`graphs.documents.declare_documents`.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from graphs.documents import register_document


class Payload(BaseModel):
    """Base of a document's payload: known keys typed; a key added later in the same version is allowed."""

    model_config = ConfigDict(extra="allow")


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
