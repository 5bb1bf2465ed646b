"""Bad input: one line on stderr, exit code 2, no traceback, nothing stored lost."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from graphs.testing import assert_one_line_error, run_cli

GOOD_SPEC = {
    "id": "file-npu", "name": "File NPU", "vendor": "Test", "family": "fake",
    "compute": {"mac": {"peaks": {"fp32": {"value": 1, "unit": "TFLOP/s", "source": "test fixture"}}}},
    "memory": [{"name": "dram", "bandwidth": {"value": 20, "unit": "GB/s", "source": "test fixture"}}],
}


def test_unknown_model(fake_site):
    r = run_cli("analyze", "fake-mpl", "--hardware", "fake-npu")
    assert_one_line_error(r, "unknown model 'fake-mpl'", "did you mean fake-mlp")


def test_unknown_hardware(fake_site):
    r = run_cli("analyze", "fake-mlp", "--hardware", "fake-npx")
    assert_one_line_error(r, "unknown hardware 'fake-npx'", "fake-npu")
    r = run_cli("hardware", "show", "nope")
    assert_one_line_error(r, "unknown hardware 'nope'")


def test_unsupported_op_is_reported_not_zero(fake_site):
    r = run_cli("analyze", "fake-bad", "--hardware", "fake-npu")
    assert_one_line_error(r, "unsupported operator", "fake::teleport")


def test_malformed_yaml_spec(fake_site, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ncompute: {mac: [1, 2\n")
    r = run_cli("analyze", "fake-mlp", "--hardware", str(bad))
    assert_one_line_error(r, "bad.yaml", "malformed YAML", "line")


def test_spec_with_wrong_unit_names_the_field(fake_site, tmp_path):
    spec = json.loads(json.dumps(GOOD_SPEC))
    spec["memory"][0]["bandwidth"]["unit"] = "TFLOP/s"
    p = tmp_path / "wrong_unit.yaml"
    p.write_text(yaml.safe_dump(spec))
    r = run_cli("analyze", "fake-mlp", "--hardware", str(p))
    assert_one_line_error(r, "memory.0.bandwidth.unit", "not a bandwidth unit")


def test_spec_missing_source_and_field(fake_site, tmp_path):
    spec = json.loads(json.dumps(GOOD_SPEC))
    del spec["compute"]["mac"]["peaks"]["fp32"]["source"]
    p = tmp_path / "nosource.yaml"
    p.write_text(yaml.safe_dump(spec))
    assert_one_line_error(run_cli("analyze", "fake-mlp", "--hardware", str(p)),
                          "compute.mac.peaks.fp32.source", "Field required")
    spec = json.loads(json.dumps(GOOD_SPEC))
    del spec["vendor"]
    p.write_text(yaml.safe_dump(spec))
    assert_one_line_error(run_cli("analyze", "fake-mlp", "--hardware", str(p)), "vendor", "Field required")


def test_spec_file_works_as_hardware(fake_site, tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(yaml.safe_dump(GOOD_SPEC))
    r = run_cli("analyze", "fake-mlp", "--hardware", str(p), "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["metrics"]["hardware"] == "file-npu"


def test_not_a_model_file(fake_site, tmp_path):
    junk = tmp_path / "model.onnx"
    junk.write_bytes(os.urandom(256))
    assert_one_line_error(run_cli("analyze", str(junk), "--hardware", "fake-npu"), "not a recognised model file")
    assert_one_line_error(run_cli("analyze", str(tmp_path), "--hardware", "fake-npu"), "directory")
    assert_one_line_error(run_cli("analyze", str(tmp_path / "missing.onnx"), "--hardware", "fake-npu"),
                          "no such file")


def test_model_file_detected_by_content_not_suffix(fake_site, tmp_path):
    f = tmp_path / "weird.suffix"
    f.write_bytes(b"FAKEMODEL\n")
    r = run_cli("analyze", str(f), "--hardware", "fake-npu", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("model,hardware")


def test_bad_options(fake_site):
    assert_one_line_error(run_cli("analyze", "fake-mlp", "--hardware", "fake-npu", "--precision", "fp13"),
                          "unknown precision 'fp13'")
    assert_one_line_error(run_cli("analyze", "fake-mlp", "--hardware", "fake-npu", "--batch", "0"), "batch")
    assert_one_line_error(run_cli("analyze", "fake-mlp", "--hardware", "fake-npu", "--fusion", "max"), "fusion")
    assert_one_line_error(run_cli("analyze", "fake-mlp", "--hardware", "fake-npu", "--input-shape", "x=1xQ"),
                          "--input-shape")
    assert_one_line_error(run_cli("analyze", "fake-mlp"), "--hardware")
    assert_one_line_error(run_cli("nonsense"), "nonsense")


def test_output_file_is_replaced_atomically(fake_site, tmp_path):
    out = tmp_path / "result.json"
    out.write_text("previous result")
    r = run_cli("analyze", "fake-bad", "--hardware", "fake-npu", "--format", "json", "--output", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "previous result"  # a failed run loses nothing already stored
    r = run_cli("analyze", "fake-mlp", "--hardware", "fake-npu", "--format", "json", "--output", str(out))
    assert r.exit_code == 0 and json.loads(out.read_text())["results"][0]["value"] > 0


def test_console_script_exit_code_and_single_line(fake_site):
    env = dict(os.environ, PYTHONPATH=str(fake_site))
    out = subprocess.run([sys.executable, "-m", "graphs.cli", "analyze", "nope-model", "--hardware", "fake-npu"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_ctrl_c_inside_a_command_says_interrupted(monkeypatch):
    """typer turns a KeyboardInterrupt inside a command into a silent exit 130; graphs says it in one line
    (found by Ctrl-C during `graphs analyze resnet50` while torch traced)."""
    import graphs.api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(graphs.api, "run_analyze", interrupted)
    r = run_cli("analyze", "resnet18", "-H", "h100")
    assert r.exit_code == 130 and r.stderr == "interrupted\n" and r.stdout == ""
