"""`graphs validate --data DIR` on a directory laid out like ../shared/data/neusight."""

import json
from pathlib import Path

import pytest

from graphs.testing import run_cli

NEUSIGHT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "neusight"
pytestmark = pytest.mark.skipif(not NEUSIGHT.is_dir(), reason="../shared/data/neusight is not beside this checkout")


def one_gpu_copy(tmp_path: Path, gpu: str) -> Path:
    """A new directory in the same layout holding one GPU's labels: no code knows it in advance."""
    root = tmp_path / "mydata"
    (root / "labels").mkdir(parents=True)
    (root / "device_configs").symlink_to(NEUSIGHT / "device_configs")
    (root / "labels" / gpu).symlink_to(NEUSIGHT / "labels" / gpu)
    return root


def test_validate_data_dir_reports_per_row_and_per_gpu(tmp_path):
    root = one_gpu_copy(tmp_path, "Tesla_V100-PCIE-32GB")
    r = run_cli("validate", "--data", str(root), "--format", "json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    assert set(rep["per_gpu"]) == {"Tesla_V100-PCIE-32GB"}
    v = rep["per_gpu"]["Tesla_V100-PCIE-32GB"]
    assert v["device"] == "v100-pcie-32gb" and v["n"] == len(rep["rows"]) >= 1
    for row in rep["rows"]:
        assert row["measured_s"] > 0 and row["predicted_s"] > 0
        assert row["ape"] == pytest.approx(abs(row["predicted_s"] - row["measured_s"]) / row["measured_s"] * 100)
    # every device config maps to a catalog id, H100 and L4 included though they have no labels here
    assert {"h100", "l4"} <= set(rep["device_map"].values())


def test_validate_data_errors_are_one_line(tmp_path):
    r = run_cli("validate", "--data", str(tmp_path))
    assert r.exit_code == 2 and "device_configs" in r.stderr and r.stderr.count("\n") == 1
    r = run_cli("validate")
    assert r.exit_code == 2 and "--data" in r.stderr
