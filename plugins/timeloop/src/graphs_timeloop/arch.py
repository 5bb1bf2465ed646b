"""A Timeloop v0.4 architecture from a graphs hardware spec.

The template is the ``simple_output_stationary`` example of the Timeloop/Accelergy exercises
(``tool_outputs/timeloop/simple_output_stationary/arch.yaml``): DRAM → global buffer →
a ``meshX × meshY`` array of PEs, each with an output scratchpad, one register per data space
and a MAC. :class:`ArchConfig` holds the numbers; :meth:`ArchConfig.from_spec` fills them from a
:class:`~graphs.hardware.schema.HardwareSpec`:

* PE array: ``family_params`` (``pe_rows``/``pe_cols``, ``array_rows``/``array_cols``,
  ``systolic_rows``/``systolic_cols`` or ``array: [rows, cols]``), else the MACs per cycle the
  spec's peak implies (peak / (2 · clock)), factored into the squarest rectangle;
* word width: the precision of the highest dense peak (int8 → 8 bits, fp16/bf16 → 16 ...);
* global buffer: the largest on-chip memory level (bytes, and words/cycle from its bandwidth);
* DRAM: type from the main-memory name (HBM/GDDR/DDR/LPDDR), words/cycle from its bandwidth;
* technology: ``process_node``; cycle time: ``clock``.

What the spec does not say (register files, scratchpad depth) keeps the template's values;
``ArchConfig.notes`` lists every default used so a reader knows what is assumed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from graphs.hardware.schema import HardwareSpec
from graphs_timeloop.yamlio import Flow, Quoted, Tagged

PRECISION_BITS = {"int4": 4, "int8": 8, "fp8": 8, "fp16": 16, "bf16": 16, "tf32": 32, "fp32": 32, "fp64": 64}


@dataclass(frozen=True)
class ArchConfig:
    """The numbers of the output-stationary template (defaults = the Timeloop example's)."""

    name: str = "accelerator"
    technology: str = "45nm"
    clock_hz: float = 1e9
    pe_rows: int = 16
    pe_cols: int = 16
    datawidth: int = 16
    dram_type: str = "LPDDR4"
    dram_width: int = 64
    dram_words_per_cycle: float | None = None
    glb_bytes: int = 131072   # depth 16384 × width 64 bit, as in the template
    glb_words_per_cycle: float = 16
    glb_banks: int = 32
    glb_width: int = 64
    spad_depth: int = 192
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def pes(self) -> int:
        return self.pe_rows * self.pe_cols

    @property
    def glb_depth(self) -> int:
        return max(1, int(self.glb_bytes * 8 // self.glb_width))

    @classmethod
    def from_spec(cls, spec: HardwareSpec, precision: str | None = None, **overrides: Any) -> "ArchConfig":
        notes: list[str] = []
        base = cls()
        clock = spec.clock.si if spec.clock else None
        if clock is None:
            notes.append(f"no clock in spec: cycle time {1 / base.clock_hz:g} s assumed")
            clock = base.clock_hz
        if precision is None:
            best = max(((p, spec.peak(p)) for p in PRECISION_BITS), key=lambda t: t[1])
            precision = best[0] if best[1] > 0 else "fp16"
        bits = PRECISION_BITS.get(precision)
        if bits is None:
            raise ValueError(f"unknown precision {precision!r}")
        rows, cols = _array_from_params(spec.family_params)
        if rows is None:
            peak = spec.peak(precision)
            if peak > 0:
                macs = max(1, round(peak / (2.0 * clock)))
                rows, cols = _squarest(macs)
                notes.append(f"PE array {rows}x{cols} derived from the {precision} peak and clock")
            else:
                rows, cols = base.pe_rows, base.pe_cols
                notes.append(f"no {precision} peak and no array size in spec: template {rows}x{cols} PE array")
        on_chip = [m for m in spec.memory[:-1] if m.size is not None]
        glb_bytes, glb_wpc = base.glb_bytes, base.glb_words_per_cycle
        if on_chip:
            glb = max(on_chip, key=lambda m: m.size.si)
            glb_bytes = int(glb.size.si)
            if glb.bandwidth is not None:
                glb_wpc = max(1.0, glb.bandwidth.si / clock / (bits / 8))
            else:
                notes.append(f"{glb.name}: no bandwidth in spec, template {glb_wpc:g} words/cycle")
        else:
            notes.append("no on-chip memory level in spec: template global buffer")
        main = spec.main_memory
        dram_wpc = spec.memory_bandwidth / clock / (bits / 8)
        tech = spec.process_node.value if spec.process_node else base.technology
        if not spec.process_node:
            notes.append(f"no process node in spec: {tech} assumed for energy tables")
        cfg = cls(name=_ident(spec.id), technology=tech, clock_hz=clock, pe_rows=rows, pe_cols=cols, datawidth=bits,
                  dram_type=_dram_type(main.name), dram_words_per_cycle=dram_wpc, glb_bytes=glb_bytes,
                  glb_words_per_cycle=glb_wpc, notes=tuple(notes) + ("register files and PE scratchpad depth: "
                                                                     "Timeloop example defaults",))
        return replace(cfg, **overrides) if overrides else cfg

    def document(self) -> dict[str, Any]:
        """The ``architecture:`` YAML document (v0.4, tagged nodes)."""
        dw = self.datawidth
        dram_attrs: dict[str, Any] = {"type": Quoted(self.dram_type), "width": self.dram_width, "datawidth": dw}
        if self.dram_words_per_cycle:
            bw = _round(self.dram_words_per_cycle)
            dram_attrs.update(read_bandwidth=bw, write_bandwidth=bw)

        def reg(name: str, keep: str, factors: list[str]) -> Tagged:
            return Tagged("Component", name=name, **{"class": "storage"}, subclass="aladdin_register",
                          attributes={"depth": 1, "width": dw, "datawidth": dw},
                          constraints={"dataspace": {"keep": Flow([keep])}, "temporal": {"factors": Flow(factors)}})

        nodes = [
            Tagged("Container", name="system", attributes={"global_cycle_seconds": 1.0 / self.clock_hz}),
            Tagged("Component", name="DRAM", **{"class": "DRAM"}, attributes=dram_attrs),
            Tagged("Container", name=self.name, attributes={"technology": Quoted(self.technology)}),
            Tagged("Component", name="shared_glb", **{"class": "smartbuffer_SRAM"},
                   attributes={"depth": self.glb_depth, "width": self.glb_width, "n_banks": self.glb_banks,
                               "datawidth": dw, "read_bandwidth": _round(self.glb_words_per_cycle),
                               "write_bandwidth": _round(self.glb_words_per_cycle)}),
            Tagged("Container", name="PE", spatial={"meshX": self.pe_cols, "meshY": self.pe_rows},
                   constraints={"spatial": {"permutation": Flow(["C", "M"]), "split": 1,
                                            "factors": Flow(["R=1", "S=1", "P=1", "Q=1"])}}),
            Tagged("Component", name="pe_spad", **{"class": "smartbuffer_SRAM"},
                   attributes={"depth": self.spad_depth, "width": dw, "datawidth": dw},
                   constraints={"dataspace": {"bypass": Flow(["Inputs", "Weights"]), "keep": Flow(["Outputs"])},
                                "temporal": {"permutation": Flow(["R", "S", "P", "Q"])}}),
            Tagged("Parallel", nodes=[
                reg("weight_reg", "Weights", ["R=1", "S=1", "M=1", "C=1"]),
                reg("input_activation_reg", "Inputs", ["P=1", "Q=1", "C=1", "N=1"]),
                reg("output_activation_reg", "Outputs", ["P=1", "Q=1", "M=1", "N=1"]),
            ]),
            Tagged("Component", name="mac", **{"class": "intmac"},
                   attributes={"multiplier_width": dw, "adder_width": 2 * dw}),
        ]
        return {"architecture": {"version": 0.4, "nodes": nodes}}

    def variables_document(self) -> dict[str, Any]:
        """``variables:`` timeloopfe v4 needs (``technology`` and ``global_cycle_seconds`` are referenced by
        the compound components and Accelergy's plug-ins)."""
        return {"variables": {"version": 0.4, "technology": Quoted(self.technology),
                              "global_cycle_seconds": 1.0 / self.clock_hz}}

    @staticmethod
    def components_document() -> dict[str, Any]:
        """The compound components the template uses (``smartbuffer_SRAM``, ``intmac``), as v4 classes:
        an SRAM with its own read/write/update/leak actions, and a MAC of an adder and a multiplier."""
        must = Quoted("must_specify")
        sram_actions = [{"name": a, "subcomponents": [{"name": "storage", "actions": [{"name": b}]}]}
                        for a, b in (("read", "read"), ("write", "write"), ("update", "write"), ("leak", "leak"))]
        return {"compound_components": {"version": 0.4, "classes": [
            {"name": "smartbuffer_SRAM",
             "attributes": {"technology": must, "width": must, "depth": must, "n_rw_ports": 1,
                            "global_cycle_seconds": must},
             "subcomponents": [{"name": "storage", "class": "SRAM",
                                "attributes": {"width": "width", "depth": "depth", "n_rw_ports": "n_rw_ports",
                                               "technology": "technology",
                                               "global_cycle_seconds": "global_cycle_seconds"}}],
             "actions": sram_actions},
            {"name": "intmac",
             "attributes": {"technology": must, "multiplier_width": must, "adder_width": must,
                            "global_cycle_seconds": must},
             "subcomponents": [{"name": "intadder", "class": "aladdin_adder", "attributes": {"width": "adder_width"}},
                               {"name": "intmultiplier", "class": "aladdin_multiplier",
                                "attributes": {"width_a": "multiplier_width", "width_b": "multiplier_width"}}],
             "actions": [{"name": "compute", "subcomponents": [{"name": "intadder", "actions": [{"name": "read"}]},
                                                              {"name": "intmultiplier", "actions": [{"name": "read"}]}]},
                         {"name": "leak", "subcomponents": [{"name": "intadder", "actions": [{"name": "leak"}]},
                                                           {"name": "intmultiplier", "actions": [{"name": "leak"}]}]}]},
        ]}}


@dataclass(frozen=True)
class MapperConfig:
    """``mapper.yaml``; defaults = ``tool_outputs/timeloop/mapper.yaml``."""

    optimization_metrics: tuple[str, ...] = ("edp",)
    live_status: bool = False
    num_threads: int = 4
    timeout: int = 10000
    victory_condition: int = 100
    algorithm: str = "random"
    diagnostics: bool = False

    def document(self) -> dict[str, Any]:
        return {"mapper": {"version": 0.4, "optimization_metrics": Flow(list(self.optimization_metrics)),
                           "live_status": self.live_status, "num_threads": self.num_threads,
                           "timeout": self.timeout, "victory_condition": self.victory_condition,
                           "algorithm": self.algorithm, "diagnostics": self.diagnostics}}


def _array_from_params(params: dict[str, Any]) -> tuple[int | None, int | None]:
    for r, c in (("pe_rows", "pe_cols"), ("array_rows", "array_cols"), ("systolic_rows", "systolic_cols"),
                 ("mxu_rows", "mxu_cols")):
        if r in params and c in params:
            return int(_num(params[r])), int(_num(params[c]))
    for k in ("array", "systolic_array", "pe_array", "mxu"):
        v = params.get(k)
        if isinstance(v, (list, tuple)) and len(v) == 2:
            return int(_num(v[0])), int(_num(v[1]))
    return None, None


def _num(v: Any) -> float:
    return float(v["value"]) if isinstance(v, dict) and "value" in v else float(v)


def _squarest(n: int) -> tuple[int, int]:
    r = int(math.isqrt(n))
    while r > 1 and n % r:
        r -= 1
    return r, n // r


def _dram_type(name: str) -> str:
    n = name.lower()
    if "hbm" in n:
        return "HBM2"
    if "gddr" in n:
        return "GDDR5"
    if "lpddr" in n:
        return "LPDDR4"
    if "ddr" in n:
        return "DDR4"
    return "LPDDR4"


def _ident(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", s) or "accelerator"


def _round(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)
