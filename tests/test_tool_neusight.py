"""NeuSight adapter: prediction parsers on the reference outputs, config writers, recorded peer predictions."""

import csv
import json
from pathlib import Path

import pytest

from graphs.hardware import parse_spec
from graphs.results import ConfidenceLevel
from graphs_tools import DiagnosisStatus, ToolInputError, ToolOutputError
from graphs_neusight import (METHODS, NeuSightAdapter, NeuSightJob, RecordedPredictions, RecordKey, aggregate,
                             device_config_from_spec, read_prediction_csv, write_model_config)

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
NS = DATA / "neusight"
OUT = DATA / "tool_outputs" / "neusight"
pytestmark = pytest.mark.skipif(not (NS.is_dir() and OUT.is_dir()), reason=f"shared data not found at {DATA}")


def test_json_prediction_exact():
    r = NeuSightAdapter().parse(OUT / "gpt2_large-inf-1024-4.prediction.json")
    assert r.value == 576.186991420835 and r.unit == "ms" and r.provenance.estimator == "neusight"
    assert r.metrics["num_layer"] == 36 and r.metrics["fw_latency"] == 576.186991420835
    assert r.metrics["bwall_latency"] == 0.0


def test_csv_prediction_rows_and_composition():
    rows = read_prediction_csv(OUT / "gpt2_large-inf-1024-4.prediction.csv")
    with open(OUT / "gpt2_large-inf-1024-4.prediction.csv", newline="") as f:
        raw = list(csv.DictReader(f))
    assert len(rows) == len(raw) == 125
    for r, d in zip(rows, raw):
        assert (r.name, r.op, r.e2e_latency, r.fw_latency) == (d["Name"], d["OpName"], float(d["e2e_latency"]),
                                                               float(d["fw_latency"]))
    getitem = next(r for r in rows if r.name == "getitem")
    assert getitem.fw_latency == 4.791370158793459e-09
    # NeuSight's aggregation of the per-op rows reproduces its whole-model JSON (composition check)
    agg = aggregate(rows, "gpt2_large", 36)
    model = json.loads((OUT / "gpt2_large-inf-1024-4.prediction.json").read_text())
    assert agg["e2e_latency"] == pytest.approx(model["e2e_latency"], rel=1e-12)
    assert agg["fw_latency"] == pytest.approx(model["fw_latency"], rel=1e-12)
    r = NeuSightAdapter().parse(OUT / "gpt2_large-inf-1024-4.prediction.csv")
    assert r.value == pytest.approx(576.186991420835, rel=1e-12) and len(r.breakdown) == 125
    start, end = r.metrics["layer_rows"]
    assert (rows[start].name, rows[end - 1].name) == ("transformer_h_0_ln_1", "add_15") and end - start == 102
    # one layer alone is far less than the model: the replication matters
    assert r.metrics["trace_sum_e2e_ms"] < r.value / 10


def a100_spec(**family):
    src = "test: NVIDIA A100 PCIe 40GB datasheet values"
    return parse_spec({
        "id": "a100-pcie-40gb", "name": "NVIDIA A100-PCIE-40GB", "vendor": "nvidia", "family": "gpu",
        "clock": {"value": 1410, "unit": "MHz", "source": src},
        "compute": {"cuda_core": {"peaks": {"fp32": {"value": 19492, "unit": "GFLOP/s", "source": src}}},
                    "tensor_core": {"peaks": {"tf32": {"value": 156, "unit": "TFLOP/s", "source": src}}}},
        "memory": [{"name": "L2", "size": {"value": 40, "unit": "MiB", "source": src}},
                   {"name": "HBM2", "size": {"value": 40, "unit": "GiB", "source": src},
                    "bandwidth": {"value": 1555, "unit": "GB/s", "source": src}}],
        "family_params": family or {"num_sms": 108, "fp32_cores_per_sm": 64},
    })


def test_device_config_from_spec_equals_neusight_file():
    ref = json.loads((NS / "device_configs" / "NVIDIA_A100-PCIE-40GB.json").read_text())
    ours = device_config_from_spec(a100_spec())
    assert ours == ref
    assert list(ours) == list(ref)
    with pytest.raises(ToolInputError, match="Num_Sm"):
        device_config_from_spec(a100_spec(other=1))
    assert device_config_from_spec(a100_spec(other=1), Num_Sm=108, Core_Per_SM=64) == ref


def test_model_config_writer(tmp_path):
    cfg = json.loads((NS / "DLmodel_configs" / "gpt2_large.json").read_text())
    p = write_model_config(tmp_path, "gpt2_large", cfg)
    assert p.name == "gpt2_large.json" and json.loads(p.read_text()) == cfg
    bert = json.loads((NS / "DLmodel_configs" / "bert_large.json").read_text())
    with pytest.raises(ToolInputError, match="n_layer"):
        write_model_config(tmp_path, "gpt_like_bert", bert)        # NeuSight would read n_layer for a "gpt" name
    with pytest.raises(ToolInputError):
        write_model_config(tmp_path, "bad-name", cfg)


def test_job_inputs_and_not_installed(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_NEUSIGHT_DIR", raising=False)
    cfg = json.loads((NS / "DLmodel_configs" / "gpt2_large.json").read_text())
    job = NeuSightJob.for_spec(a100_spec(), "gpt2_large", cfg, 1024, 4)
    assert job.tag == "gpt2_large-inf-1024-4"
    assert job.output_json(Path("r")) == Path("r/prediction/NVIDIA_A100-PCIE-40GB/neusight/gpt2_large-inf-1024-4.json")
    run = NeuSightAdapter().run(job, tmp_path)
    assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED and "GRAPHS_NEUSIGHT_DIR" in run.diagnosis.reason
    assert json.loads((tmp_path / "configs" / "device.json").read_text())["SingleFLOPs"] == 19492
    with pytest.raises(ToolInputError):
        NeuSightJob("m", cfg, {"Device": "x"}, 1, 1)


def test_doctor_reports_a_checkout_without_predictors(tmp_path, monkeypatch):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "pred.py").write_text("")
    (tmp_path / "neusight").mkdir()
    (tmp_path / "neusight" / "__init__.py").write_text("")
    monkeypatch.setenv("GRAPHS_NEUSIGHT_DIR", str(tmp_path))
    d = NeuSightAdapter().doctor()
    # this venv has torch but maybe not pandas: either the import fails (precise) or the predictor is missing
    assert d.status in (DiagnosisStatus.RUNTIME_FAILURE, DiagnosisStatus.MISSING_DATA)
    if d.status is DiagnosisStatus.MISSING_DATA:
        assert "LINEAR" in d.reason
    else:
        assert "pandas" in d.reason or "torch" in d.reason


def test_recorded_peer_predictions():
    rec = RecordedPredictions(NS)
    files = list((NS / "peer_predictions").glob("*/*/*.json"))
    assert len(rec) == len(files) == 409
    assert rec.methods == sorted(METHODS.values())
    key = RecordKey("NVIDIA_A100_80GB_PCIe", "opt_13", "train", 2048, 1)
    expected = {"habitat": 1204.4489091936732, "li-et-al": 1124.0967932633268, "neusight": 1499.1980502902518,
                "roofline": 1064.3622590151808}
    for method, ms in expected.items():
        r = rec.get(method, key)
        assert r.value == ms and r.unit == "ms" and r.provenance.estimator == method
        assert r.metrics["recorded"] is True and r.metrics["num_layer"] == 24
    assert rec.get("roofline", key).confidence is ConfidenceLevel.THEORETICAL
    # every file is read with its exact number
    for method, k, r in rec.items():
        folder = {v: f for f, v in METHODS.items()}[method]
        raw = json.loads((NS / "peer_predictions" / k.gpu / folder / f"{k.tag}.json").read_text())
        assert r.value == raw["e2e_latency"]
    fused = RecordKey.from_tag("NVIDIA_A100-PCIE-40GB", "bert_large-inf-512-8-fusion")
    assert fused.option == "fusion" and fused.tag == "bert_large-inf-512-8-fusion"
    assert rec.get("neusight", fused).value > 0
    label = json.loads((NS / "labels" / "Tesla_T4" / "gpt2_large-inf-1024-4.json").read_text())["e2e_latency"]
    assert rec.measured_ms(RecordKey("Tesla_T4", "gpt2_large", "inf", 1024, 4)) == label
    with pytest.raises(Exception, match="no recorded"):
        rec.get("habitat", RecordKey("Tesla_T4", "gpt2_large", "inf", 1024, 999))


def test_parser_errors(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"foo": 1}')
    with pytest.raises(ToolOutputError, match="not a NeuSight prediction"):
        NeuSightAdapter().parse(bad)
    with pytest.raises(ToolOutputError):
        NeuSightAdapter().parse(tmp_path / "x.txt")
