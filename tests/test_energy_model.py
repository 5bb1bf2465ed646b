"""The energy model (graphs.energy): the sum of its terms, intervals from the spread of sources,
unknown (never 0) without a sourced idle power, spec coefficients first, TDP check, reporting."""

import copy
import csv
import io
import math

import pytest

from graphs.energy import EnergyModel, PJ
from graphs.estimate import analyze_graph, compose
from graphs.hardware import parse_spec
from graphs.ir import GraphBuilder, TensorSpec
from graphs.mapper import EfficiencyPrior, Mapper
from graphs.ops import HandlerTable, kinds
from graphs.plugins import GraphsPlugins
from graphs.report import estimate_table
from graphs.testing import run_cli

OPS = HandlerTable()
OPS.add("e::linear", "linear", kinds.linear)
OPS.add("e::relu", "relu", kinds.default_formula("relu"))


def registry():
    gp = GraphsPlugins()
    OPS.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    return gp


def graph():
    b = GraphBuilder("e-mlp", "test")
    b.input("x", TensorSpec((32, 256)))
    b.parameter("w", TensorSpec((1024, 256)))
    b.node("fc", "e::linear", ["x", "w"], [("h", TensorSpec((32, 1024)))])
    b.node("act", "e::relu", ["h"], [("y", TensorSpec((32, 1024)))])
    b.output("y")
    return b.build()


BASE = {
    "id": "etoy", "name": "Energy toy", "vendor": "test", "family": "etoy",
    "sources": {"ds": "Energy toy datasheet (test fixture)"},
    "compute": {"vec": {"peaks": {"fp32": {"value": 1, "unit": "TFLOP/s", "source": "@ds"}}}},
    "memory": [{"name": "ddr5", "size": {"value": 1, "unit": "GiB", "source": "@ds"},
                "bandwidth": {"value": 100, "unit": "GB/s", "source": "@ds"}}],
    "power": {"tdp": {"value": 100, "unit": "W", "source": "@ds"}, "idle": {"value": 10, "unit": "W", "source": "@ds"}},
    "overheads": {"kernel_launch": {"value": 5, "unit": "us", "source": "@ds"},
                  "model_dispatch": {"value": 20, "unit": "us", "source": "@ds"}},
}


class ToyMapper(Mapper):
    family = "etoy"

    def prior(self, kernel):
        return EfficiencyPrior(1.5, 1.1, 2.0, "test fixture")


def run(spec_dict):
    return compose(analyze_graph(graph(), registry()), ToyMapper(parse_spec(spec_dict)))


def test_energy_is_flops_bytes_and_idle_power_with_the_spread_of_sources_as_interval():
    r = run(BASE)
    m = r.metrics
    A_flop, B_flop = 2.3 * PJ, (100 - 10) / 1e12            # Horowitz fp32 (3.7+0.9)/2; (TDP - idle)/peak
    lo_byte, hi_byte = 1300 / 64 * 8 * PJ, 2600 / 64 * 8 * PJ  # Horowitz DRAM 1.3-2.6 nJ per 64 bit, per byte
    e_flop, e_byte = math.sqrt(A_flop * B_flop), math.sqrt(lo_byte * hi_byte)
    flops, nbytes = sum(k.flops for k in r.breakdown), sum(k.bytes for k in r.breakdown)
    overhead = 20e-6
    expected = flops * e_flop + nbytes * e_byte + 10 * (sum(k.time_s for k in r.breakdown) + overhead)
    assert m["energy_j"] == pytest.approx(expected, rel=1e-9)
    low, high = m["energy_interval_j"]
    assert low == pytest.approx(flops * A_flop + nbytes * lo_byte + 10 * (sum(k.low_s for k in r.breakdown) + overhead))
    assert high == pytest.approx(flops * B_flop + nbytes * hi_byte + 10 * (sum(k.high_s for k in r.breakdown) + overhead))
    assert low < m["energy_j"] < high
    # per-kernel energies are in the breakdown and add up (plus idle power during the framework overhead)
    assert sum(k.energy_j for k in r.breakdown) + 10 * overhead == pytest.approx(m["energy_j"])
    assert m["avg_power_w"] == pytest.approx(m["energy_j"] / r.value)
    assert m["energy_confidence"] == "THEORETICAL"
    assert m["energy_dynamic_min_j"] == pytest.approx(flops * A_flop + nbytes * lo_byte)
    c = m["energy_coefficients"]
    assert "ISSCC 2014" in c["per_flop"]["fp32"]["source"] and "TDP" in c["per_flop"]["fp32"]["source"]
    assert c["idle_power"]["value"] == 10


def test_without_sourced_idle_power_energy_is_unknown_not_zero():
    spec = copy.deepcopy(BASE)
    del spec["power"]["idle"]
    r = run(spec)
    m = r.metrics
    assert m["energy_j"] is None and m["energy_interval_j"] is None and m["avg_power_w"] is None
    assert m["energy_dynamic_min_j"] > 0          # the dynamic part is still a lower bound
    assert all(k.energy_j is None for k in r.breakdown)
    assert any("idle power" in n for n in m["energy_notes"])
    row = [ln for ln in _render(r).splitlines() if "energy" in ln][0]
    assert "unknown (dynamic ≥" in row
    spec.pop("power")                              # no power block at all: still unknown
    assert run(spec).metrics["energy_j"] is None


def test_a_missing_coefficient_makes_the_total_unknown():
    spec = copy.deepcopy(BASE)
    spec["memory"][0]["name"] = "gddr5"            # no published figure found for GDDR5
    m = run(spec).metrics
    assert m["energy_j"] is None and m["energy_dynamic_min_j"] is None
    assert any("no energy per byte" in n for n in m["energy_notes"])


def test_spec_coefficients_come_first_and_have_no_spread_of_their_own():
    spec = copy.deepcopy(BASE)
    spec["energy"] = {"per_flop": {"fp32": {"value": 5, "unit": "pJ", "source": "@ds"}},
                      "per_byte": {"ddr5": {"value": 20, "unit": "pJ", "source": "@ds"}}}
    r = run(spec)
    flops, nbytes = sum(k.flops for k in r.breakdown), sum(k.bytes for k in r.breakdown)
    t, t_lo, t_hi = (sum(getattr(k, a) for k in r.breakdown) + 20e-6 for a in ("time_s", "low_s", "high_s"))
    dyn = flops * 5e-12 + nbytes * 20e-12
    assert r.metrics["energy_j"] == pytest.approx(dyn + 10 * t)
    assert r.metrics["energy_interval_j"] == pytest.approx([dyn + 10 * t_lo, dyn + 10 * t_hi])


def test_average_power_above_tdp_is_flagged():
    spec = copy.deepcopy(BASE)
    spec["energy"] = {"per_flop": {"fp32": {"value": 1, "unit": "nJ", "source": "@ds"}}}   # absurd on purpose
    r = run(spec)
    assert r.metrics["avg_power_w"] > 100
    assert any("exceeds the TDP" in n for n in r.metrics["energy_notes"])
    assert "(> TDP!)" in _render(r)


def test_default_coefficients_by_precision_and_memory_level():
    spec = copy.deepcopy(BASE)
    spec.pop("power")
    spec["memory"] = [
        {"name": "L1d", "scope": "per_core", "size": {"value": 8, "unit": "KiB", "source": "@ds"}},
        {"name": "l2", "size": {"value": 50, "unit": "MB", "source": "@ds"}},
        {"name": "hbm3", "size": {"value": 80, "unit": "GB", "source": "@ds"},
         "bandwidth": {"value": 3, "unit": "TB/s", "source": "@ds"}}]
    em = EnergyModel(parse_spec(spec))
    assert em.per_flop("fp32").value == pytest.approx(2.3 * PJ)     # no TDP: Horowitz alone
    assert em.per_flop("int8").value == pytest.approx(0.115 * PJ)
    bf16 = em.per_flop("bf16")
    assert bf16.value == pytest.approx(0.75 * PJ) and "bf16 takes the fp16 value" in bf16.source
    assert em.per_flop("fp64") is None                               # no published default, no TDP bound
    assert em.per_byte("L1d").value == pytest.approx(10 / 8 * PJ)    # 8 KB SRAM: 10 pJ per 64 bit
    assert em.per_byte("l2").value == pytest.approx(100 / 8 * PJ)    # >= 1 MB SRAM: 100 pJ per 64 bit
    assert em.per_byte("hbm").value == pytest.approx(6.0 * 8 * PJ)   # "hbm" = main memory; Micron HBM2E 6 pJ/bit
    for name, pj_bit in (("gddr6", 7.5), ("gddr6x", 7.25)):
        spec["memory"][-1]["name"] = name
        assert EnergyModel(parse_spec(spec)).per_byte(name).value == pytest.approx(pj_bit * 8 * PJ)


def _render(result):
    from rich.console import Console
    c = Console(file=io.StringIO(), width=200)
    c.print(estimate_table([result]))
    return c.file.getvalue()


def test_installed_devices_report_energy_from_sourced_idle_power_or_the_family_power_model():
    """apple-m2-max has Apple's measured idle power; the H100 gets its energy from the GPU engine's power
    model (fitted on its own measured power, docs/energy.md): static power x time <= energy <= TDP x time."""
    r = run_cli("analyze", "resnet18", "--hardware", "apple-m2-max,h100", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = {row["hardware"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    e = float(rows["apple-m2-max"]["energy_j"])
    latency = float(rows["apple-m2-max"]["latency_s"])
    assert 9 * latency < e < 145 * latency          # between idle and maximum system power times the latency
    e, latency = float(rows["h100"]["energy_j"]), float(rows["h100"]["latency_s"])
    assert 100 * latency < e <= 700 * latency        # above any static power, never above the 700 W TDP


def test_a_family_engines_own_kernel_energy_is_used():
    """The GPU engine computes a kernel's energy itself when the spec has idle power and coefficients."""
    import yaml
    from graphs.hardware.package import spec_file
    SPEC = spec_file("graphs_mapper_h100")
    from graphs_mappers_gpu import GPUMapper, GPUOptions

    data = yaml.safe_load(SPEC.read_text())
    src = "test fixture coefficients"
    data["power"]["idle"] = {"value": 70, "unit": "W", "source": src}
    data["energy"] = {"per_flop": {"fp32": {"value": 2, "unit": "pJ", "source": src}},
                      "per_byte": {"hbm3": {"value": 10, "unit": "pJ", "source": src},
                                   "l2": {"value": 1, "unit": "pJ", "source": src}}}
    mapper = GPUMapper(parse_spec(data), options=GPUOptions())
    a = analyze_graph(graph(), registry(), fusion="none")
    r = compose(a, mapper, fusion="none")
    own = [mapper.estimate_kernel(k).energy_j for k in a.kernels]
    assert all(e is not None for e in own)
    assert [k.energy_j for k in r.breakdown] == pytest.approx(own)
    overhead = r.metrics["model_overhead_s"]
    assert r.metrics["energy_j"] == pytest.approx(sum(own) + 70 * overhead)
