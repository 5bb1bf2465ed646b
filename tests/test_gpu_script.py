"""benchmarks/gpu_decode_energy.py runs end to end without a GPU (--dry-run): model build, timing, graphs'
estimate, JSON and CSV output. The CUDA/NVML path runs only on a lent GPU."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("gpu_decode_energy", ROOT / "benchmarks" / "gpu_decode_energy.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_dry_run_writes_measurements_and_graphs_estimates(tmp_path, capsys):
    mod = _script()
    out = tmp_path / "decode.json"
    rc = mod.main(["--dry-run", "--out", str(out), "--models", "Qwen/Qwen3-8B", "--batches", "1", "4"])
    assert rc == 0
    d = json.loads(out.read_text())
    assert d["meta"]["device"] == "cpu" and d["meta"]["dry_run"] is True
    assert {"torch", "cuda", "graphs", "gpu", "gpu_info", "started"} <= set(d["meta"])
    rows = d["rows"]
    assert [r["batch"] for r in rows] == [1, 4]
    for r in rows:
        assert r["step_ms"] > 0 and r["tokens_per_s"] > 0
        assert r["energy_j"] is None and r["energy_note"] == "no CUDA: dry run"   # never a fake energy
        g = r["graphs"]
        assert g["hardware"] == "h200" and g["step_s"] > 0 and 0 < g["power_w"] <= 700
    with out.with_suffix(".csv").open() as f:
        assert len(list(csv.DictReader(f))) == 2
    assert "wrote" in capsys.readouterr().out


def test_gpu_names_map_to_catalog_ids_and_bad_arguments_are_refused(tmp_path):
    mod = _script()
    assert mod.catalog_id("NVIDIA H200") == "h200" and mod.catalog_id("NVIDIA B200") == "b200"
    assert mod.catalog_id("NVIDIA H100 80GB HBM3") == "h100" and mod.catalog_id("Radeon 7900") is None
    assert mod.main(["--dry-run", "--out", str(tmp_path / "x.json"), "--batches", "0"]) == 2
