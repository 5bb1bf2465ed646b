"""Accelerator and edge device distributions: valid plugins, every number sourced, peaks as cited."""

import importlib

from graphs.hardware.package import spec_file
import json

import pytest

from graphs.hardware import load_spec
from graphs.ops.kinds import KINDS
from graphs.testing import assert_plugin_valid, run_cli

ACCEL = {"tpu-v4", "tpu-v5e", "tpu-v5p", "gaudi2", "gaudi3", "inferentia2", "trainium1", "qualcomm-cloud-ai-100"}
EDGE = {"coral-edge-tpu", "hailo-8", "rk3588-npu"}

# The vendors' published dense peaks, TFLOP/s (TOP/s for integers), as cited in each spec's sources.
PUBLISHED = {
    "tpu-v4": {"bf16": 275, "int8": 275},                       # cloud.google.com/tpu/docs/v4
    "tpu-v5e": {"bf16": 197, "int8": 393, "int4": 788},         # cloud.google.com/tpu/docs/v5e; JAX tpu_info
    "tpu-v5p": {"bf16": 459, "fp8": 459, "int8": 918, "int4": 1840},
    "gaudi2": {"bf16": 432},                                    # Hot Chips 2024 Gaudi 3 talk, generations table
    "gaudi3": {"bf16": 1835, "fp8": 1835},
    "inferentia2": {"bf16": 190, "fp16": 190, "tf32": 190, "fp8": 190, "fp32": 47.5, "int8": 380},
    "trainium1": {"bf16": 190, "fp16": 190, "tf32": 190, "fp8": 190, "fp32": 47.5, "int8": 380},
    "qualcomm-cloud-ai-100": {"fp16": 125, "int8": 375},        # Cloud AI SDK architecture page, Pro SKU
    "coral-edge-tpu": {"int8": 4},                              # Coral Accelerator Module datasheet
    "hailo-8": {"int8": 26},                                    # Hailo-8 product brief
    "rk3588-npu": {"int8": 6},                                  # RK3588 brief datasheet
}


def module(hw_id):
    return importlib.import_module("graphs_mapper_" + hw_id.replace("-", "_"))


def unsourced_numbers(node, path=""):
    """Numbers that do not sit in a ``{value, unit?, source}`` mapping with a non-empty source."""
    out = []
    if isinstance(node, dict):
        if "value" in node and "source" in node:
            return [] if str(node["source"]).strip() else [path]
        for k, v in node.items():
            if k in ("schema_version",):
                continue
            out += unsourced_numbers(v, f"{path}.{k}")
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            out += unsourced_numbers(v, f"{path}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        out.append(path)
    return out


@pytest.mark.parametrize("hw_id", sorted(ACCEL | EDGE))
def test_device_plugin_valid_and_sourced(hw_id):
    mod = module(hw_id)
    info = assert_plugin_valid(mod, f"mapper-{hw_id}")
    assert info.registered["hardware"] == [hw_id]
    spec = load_spec(spec_file(mod.__name__))
    assert spec.family == ("accel" if hw_id in ACCEL else "edge")
    # every numeric leaf of the spec (family_params included) carries a source
    assert unsourced_numbers(spec.model_dump(mode="json")) == []
    sources = spec.all_sources()
    assert sources and all(s.strip() and not s.startswith("@") for _, s in sources)
    # and every numeric Quantity outside family_params is among all_sources()
    paths = {p for p, _ in sources}
    assert any(p.startswith("memory") for p in paths) and any(p.startswith("compute") for p in paths)


@pytest.mark.parametrize("hw_id", sorted(PUBLISHED))
def test_peaks_equal_published_dense_peaks(hw_id):
    spec = load_spec(spec_file(module(hw_id).__name__))
    peaks = {p: q.si for u in spec.compute.values() for p, q in u.peaks.items() if u is spec.compute.get("matrix")
             or u is spec.compute.get("npu")}
    assert set(peaks) == set(PUBLISHED[hw_id])
    for p, v in peaks.items():
        assert v <= PUBLISHED[hw_id][p] * 1e12 * (1 + 1e-9), (hw_id, p)
        assert v == pytest.approx(PUBLISHED[hw_id][p] * 1e12)


@pytest.mark.parametrize("hw_id", sorted(ACCEL))
def test_array_geometry_never_exceeds_published_peak(hw_id):
    from graphs_mappers_accel import AccelMapper
    m = AccelMapper(load_spec(spec_file(module(hw_id).__name__)))
    g = m.device.geometry
    if g is None:
        assert any("geometry not published" in n for n in m.notes)
        return
    derived = 2 * g.peak_macs_per_cycle * g.clock_hz
    assert derived <= m.device.matrix_peaks[m.device.base_precision] * 1.02


@pytest.mark.parametrize("hw_id", sorted(EDGE))
def test_edge_op_lists_name_canonical_kinds(hw_id):
    spec = load_spec(spec_file(module(hw_id).__name__))
    for rule in spec.family_params["npu_ops"]:
        unknown = [k for k in rule["kinds"] if k not in KINDS]
        assert not unknown, (hw_id, unknown)


def test_hardware_list_json_has_every_device():
    r = run_cli("hardware", "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)["devices"]}
    for hw_id in ACCEL:
        assert rows[hw_id]["family"] == "accel" and rows[hw_id]["mapper_installed"]
    for hw_id in EDGE:
        assert rows[hw_id]["family"] == "edge" and rows[hw_id]["mapper_installed"]
