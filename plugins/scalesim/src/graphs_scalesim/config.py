"""SCALE-Sim v3 inputs: the ``.cfg``, the topology CSV and the layout CSV, from a :class:`ScaleSimJob`.

Formats (``scalesim`` 3.0.0, checked by running it):

* ``.cfg``: sections ``[general]`` (``run_name``), ``[architecture_presets]`` (array height/width,
  the three SRAM sizes in KB, offsets, ``Bandwidth`` in words/cycle, ``Dataflow`` ws|os|is,
  banks, request buffers), ``[layout]`` and ``[sparsity]`` (both required by v3 even when unused:
  a v2 file fails with ``NoSectionError``) and ``[run_presets]``.
* topology (conv form): ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
  Channels, Num Filter, Strides,`` — every row **ends with a comma** (SCALE-Sim drops the last
  field). SCALE-Sim has no padding: the written IFMAP is the padded input. A GEMM ``(M×K)·(K×N)``
  is written as SCALE-Sim's own GEMM mode writes it: IFMAP ``M × K``, filter ``1 × K``, 1 channel,
  ``N`` filters (so one file holds convs and GEMMs).
* layout: opened unconditionally; a header and one row per layer of 20 integers (unused while
  ``IfmapCustomLayout``/``FilterCustomLayout`` are False).

Dataflow ``ws`` (weight stationary) puts the window/contraction (K) on the array's rows and the
filters (N) on its columns and streams the output pixels (M): the mapping of TPU-like arrays
and of graphs' accel engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphs_tools import ToolInputError

DATAFLOWS = ("ws", "os", "is")


@dataclass(frozen=True)
class ScaleSimLayer:
    """One layer in SCALE-Sim's conv form (a GEMM is ``ifmap = M × K``, filter ``1 × K``, 1 channel, N filters)."""

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    filters: int
    stride: int = 1
    kind: str = "conv"            # conv | gemm (how it was described; the file form is the same)

    def __post_init__(self) -> None:
        if min(self.ifmap_h, self.ifmap_w, self.filter_h, self.filter_w, self.channels, self.filters, self.stride) < 1:
            raise ToolInputError(f"{self.name}: every SCALE-Sim dimension must be >= 1")
        if self.filter_h > self.ifmap_h or self.filter_w > self.ifmap_w:
            raise ToolInputError(f"{self.name}: filter larger than the (padded) input")

    @classmethod
    def conv(cls, name: str, h: int, w: int, kh: int, kw: int, c_in: int, c_out: int, stride: int = 1,
             pad: int = 0) -> "ScaleSimLayer":
        return cls(_ident(name), h + 2 * pad, w + 2 * pad, kh, kw, c_in, c_out, stride, "conv")

    @classmethod
    def gemm(cls, name: str, m: int, n: int, k: int) -> "ScaleSimLayer":
        return cls(_ident(name), m, k, 1, k, 1, n, 1, "gemm")

    @property
    def ofmap_h(self) -> int:
        return (self.ifmap_h - self.filter_h) // self.stride + 1

    @property
    def ofmap_w(self) -> int:
        return (self.ifmap_w - self.filter_w) // self.stride + 1

    @property
    def mnk(self) -> tuple[int, int, int]:
        """The GEMM SCALE-Sim maps: M = output pixels, N = filters, K = window (filter h·w·channels)."""
        return self.ofmap_h * self.ofmap_w, self.filters, self.filter_h * self.filter_w * self.channels

    @property
    def macs(self) -> int:
        m, n, k = self.mnk
        return m * n * k

    def row(self) -> str:
        return (f"{self.name},{self.ifmap_h},{self.ifmap_w},{self.filter_h},{self.filter_w},{self.channels},"
                f"{self.filters},{self.stride},")


@dataclass(frozen=True)
class ScaleSimJob:
    """Layers on one systolic array (SCALE-Sim simulates one array)."""

    layers: tuple[ScaleSimLayer, ...]
    rows: int = 128
    cols: int = 128
    dataflow: str = "ws"
    ifmap_kb: int = 1024
    filter_kb: int = 1024
    ofmap_kb: int = 1024
    bandwidth_words: int = 10
    clock_hz: float = 1e9
    run_name: str = "graphs"
    hardware: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.layers:
            raise ToolInputError("a SCALE-Sim job needs at least one layer")
        if self.dataflow not in DATAFLOWS:
            raise ToolInputError(f"dataflow {self.dataflow!r} is not one of {', '.join(DATAFLOWS)}")
        if self.rows < 1 or self.cols < 1:
            raise ToolInputError("array rows and columns must be >= 1")
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ToolInputError("layer names must be unique within a SCALE-Sim job")
        if not re.fullmatch(r"[A-Za-z0-9_]+", self.run_name):
            raise ToolInputError(f"run name {self.run_name!r}: letters, digits and '_' only")

    @classmethod
    def from_spec(cls, layers: list[ScaleSimLayer], spec: Any, **kw: Any) -> "ScaleSimJob":
        """One array of an accel spec's geometry (``family_params`` array_rows/array_cols, clock)."""
        fp = spec.family_params or {}

        def num(v: Any) -> float:
            return float(v["value"]) if isinstance(v, dict) else float(v)

        if "array_rows" not in fp or "array_cols" not in fp:
            raise ToolInputError(f"{spec.id}: no array_rows/array_cols in its family_params")
        clock = fp.get("clock")
        hz = (num(clock) * 1e6 if isinstance(clock, dict) and str(clock.get("unit", "MHz")).lower() == "mhz"
              else spec.clock.si if spec.clock else 1e9)
        return cls(tuple(layers), int(num(fp["array_rows"])), int(num(fp["array_cols"])), clock_hz=hz,
                   hardware=spec.id, run_name=_ident(spec.id), **kw)

    # --- files ------------------------------------------------------------------------------------
    def cfg_text(self) -> str:
        return "\n".join([
            "[general]", f"run_name = {self.run_name}", "",
            "[architecture_presets]", f"ArrayHeight:    {self.rows}", f"ArrayWidth:     {self.cols}",
            f"IfmapSramSzkB:   {self.ifmap_kb}", f"FilterSramSzkB:  {self.filter_kb}", f"OfmapSramSzkB:   {self.ofmap_kb}",
            "IfmapOffset:    0", "FilterOffset:   10000000", "OfmapOffset:    20000000",
            f"Bandwidth : {self.bandwidth_words}", f"Dataflow : {self.dataflow}", "MemoryBanks:   1",
            "ReadRequestBuffer: 32", "WriteRequestBuffer: 32", "",
            "[layout]", "IfmapCustomLayout: False", "IfmapSRAMBankBandwidth: 10", "IfmapSRAMBankNum: 10",
            "IfmapSRAMBankPort: 2", "FilterCustomLayout: False", "FilterSRAMBankBandwidth: 10", "FilterSRAMBankNum: 10",
            "FilterSRAMBankPort: 2", "",
            "[sparsity]", "SparsitySupport : false", "SparseRep : ellpack_block", "OptimizedMapping : false",
            "BlockSize : 8", "RandomNumberGeneratorSeed : 40", "",
            "[run_presets]", "InterfaceBandwidth: CALC", "UseRamulatorTrace: False", ""])

    def topology_text(self) -> str:
        head = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
        return "\n".join([head, *(layer.row() for layer in self.layers)]) + "\n"

    def layout_text(self) -> str:
        head = "Layer name," + ",".join(f"f{i}" for i in range(20)) + ","
        return "\n".join([head, *(f"{layer.name}," + ",".join(["1"] * 20) + "," for layer in self.layers)]) + "\n"

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {"scale.cfg": self.cfg_text(), "topology.csv": self.topology_text(), "layout.csv": self.layout_text()}
        paths = []
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
            paths.append(out / name)
        return paths


def layers_from_graph(graph: Any, registry: Any) -> tuple[list[ScaleSimLayer], dict[str, int]]:
    """Every dense convolution and matrix product of ``graph`` as SCALE-Sim layers, plus the kinds left out."""
    from graphs.ops.registry import Category
    from graphs.partition import gemm_shape
    from graphs_tools import conv_geometry

    registry.check(graph)
    layers: list[ScaleSimLayer] = []
    skipped: dict[str, int] = {}
    for node in graph.nodes:
        kind = registry.handlers[node.op_type].kind
        cat = registry.kinds[kind].category
        if cat is Category.VIEW:
            continue
        if cat is Category.CONV and kind == "conv" and not node.attrs.get("transposed"):
            g = conv_geometry(graph, node)
            if g.groups != 1 or g.stride[0] != g.stride[1] or g.dilation != (1, 1) or g.pad[0] != g.pad[1]:
                skipped["conv (grouped, dilated or asymmetric)"] = skipped.get("conv (grouped, dilated or asymmetric)", 0) + 1
                continue
            for b in range(max(g.n, 1)):
                layers.append(ScaleSimLayer.conv(f"{node.name}_b{b}" if g.n > 1 else node.name, g.h, g.w, g.kh, g.kw,
                                                 g.c_in, g.c_out, g.stride[0], g.pad[0]))
        elif cat is Category.MATMUL and kind in ("matmul", "linear"):
            s = gemm_shape(node, graph, cat, kind)
            if s is None:
                raise ToolInputError(f"{node.name}: cannot derive the GEMM of this {kind} node")
            if s.batch > 1 and kind != "linear":   # a batched product: every batch has its own right operand
                skipped["matmul (batched)"] = skipped.get("matmul (batched)", 0) + 1
                continue
            layers.append(ScaleSimLayer.gemm(node.name, s.m * max(s.batch, 1), s.n, s.k))
        else:
            skipped[kind] = skipped.get(kind, 0) + 1
    return layers, dict(sorted(skipped.items()))


def _ident(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", s) or "layer"
