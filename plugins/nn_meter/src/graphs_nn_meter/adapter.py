"""The nn-Meter adapter: graphs IR → nn-Meter IR → ``nn-meter predict`` → latency (ms)."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

from graphs.ir import Graph
from graphs.results import EstimationResult
from graphs_tools import (BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, ToolInputError,
                          classify_start_failure, resolve_executable, run_command)
from graphs_nn_meter.ir import to_nnmeter_ir, write_ir
from graphs_nn_meter.output import parse_file

ENV_BIN = "GRAPHS_NN_METER_BIN"
ENV_DATA = "GRAPHS_NN_METER_DATA"
PREDICTORS_YAML = Path(__file__).with_name("predictors.yaml")
INSTALL = ("pip install nn-meter (it needs scikit-learn==0.23.1 for its pickled predictors, i.e. Python <= 3.8); "
           "put nn-meter on PATH or set GRAPHS_NN_METER_BIN")
# scikit-learn >= 1.3 changed the tree node dtype: trees pickled with 0.23 no longer unpickle
SKLEARN_BREAKS = (1, 3)


def builtin_predictors() -> list[dict[str, Any]]:
    """nn-Meter's predictor list (its ``predictors.yaml``, MIT, see NN_METER_LICENSE)."""
    return yaml.safe_load(PREDICTORS_YAML.read_text(encoding="utf-8"))


def data_folder() -> Path:
    """Where nn-Meter keeps predictors: ``$GRAPHS_NN_METER_DATA``, else its settings.yaml, else ~/.nn_meter/data."""
    env = os.environ.get(ENV_DATA, "").strip()
    if env:
        return Path(env).expanduser()
    settings = Path("~/.nn_meter/config/settings.yaml").expanduser()
    if settings.is_file():
        try:
            d = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
            if d.get("data_folder"):
                return Path(d["data_folder"]).expanduser()
        except yaml.YAMLError:
            pass
    return Path("~/.nn_meter/data").expanduser()


def predictor_dir(name: str) -> Path:
    base = data_folder()
    cands = [base / "predictor" / name, base / name]
    return next((c for c in cands if c.is_dir()), cands[0])


def missing_kernels(name: str, version: float | None = None) -> list[str] | None:
    """Kernel predictor pickles absent for ``name`` (None if nn-Meter has no such predictor)."""
    info = next((p for p in builtin_predictors() if p["name"] == name
                 and (version is None or float(p["version"]) == float(version))), None)
    if info is None:
        return None
    d = predictor_dir(name)
    return [k for k in info["kernel_predictors"] if not (d / f"{k}.pkl").is_file()]


@dataclass(frozen=True)
class NNMeterJob:
    """A model and the nn-Meter predictor (device) to predict it on."""

    graph: Graph
    predictor: str = "cortexA76cpu_tflite21"
    predictor_version: float = 1.0
    registry: Any = None

    def __post_init__(self) -> None:
        if missing_kernels(self.predictor, self.predictor_version) is None:
            names = ", ".join(f"{p['name']} v{p['version']}" for p in builtin_predictors())
            raise ToolInputError(f"nn-Meter has no predictor {self.predictor} v{self.predictor_version} ({names})")


def _ir_name(job: NNMeterJob) -> str:
    return (re.sub(r"[^A-Za-z0-9_.-]", "_", job.graph.name) or "model") + ".json"


class NNMeterAdapter(BaseToolAdapter):
    name = "nn-meter"
    description = "nn-Meter (MobiSys'21): kernel-level latency predictors for CNNs on edge CPU/GPU/VPU"
    homepage = "https://github.com/microsoft/nn-Meter"

    compare_facts = {
        "install": "pip install nn-meter (its own environment) + predictors (downloaded, or built locally and "
                   "registered)", "one_step": True, "formats": "ONNX, TensorFlow, PyTorch models (CNN kernels)",
        "standard_formats": True, "scope": "CNN latency on its profiled edge CPU/GPU/VPU (kernel predictors summed)",
        "levels": ("kernel", "model"), "source": "github.com/microsoft/nn-Meter; docs/tools/nn-meter.md"}

    def _predictor_for(self, spec: Any) -> dict[str, Any] | None:
        text = f"{spec.id} {spec.name}".lower().replace(" ", "")
        return next((p for p in builtin_predictors() if any(t in text for t in _predictor_tokens(p["name"]))), None)

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        preds = builtin_predictors()
        if self._predictor_for(plugins.hardware_entry(row.hardware).spec) is None:
            return f"nn-Meter has predictors only for {', '.join(p['name'] for p in preds)}; none is {row.hardware}"
        if row.family != "cnn":
            return "nn-Meter's kernel predictors cover CNN kernels (conv, dwconv, fc, pooling ...), not transformers"
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> "NNMeterJob":
        from graphs.frontends import LoadOptions, load_model
        p = self._predictor_for(plugins.hardware_entry(row.hardware).spec)
        graph = load_model(row.model, LoadOptions(batch=row.batch, seq_len=row.seq), plugins)
        return NNMeterJob(graph, p["name"], float(p["version"]), plugins.ops)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        names = [p["name"] for p in builtin_predictors()]
        return False, (f"checked: predictors exist only for {', '.join(names)}; a new device needs kernel predictors "
                       "trained on its measurements")

    def doctor(self) -> Diagnosis:
        exe, why = resolve_executable(["nn-meter"], ENV_BIN)
        if exe is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, f"nn-Meter is not installed: {why}", INSTALL)
        py = _shebang_python(exe)
        with tempfile.TemporaryDirectory(prefix="graphs-nnmeter-doctor-") as tmp:
            probe = run_command([py or exe, "-c", "import nn_meter, sklearn; print(sklearn.__version__)"] if py else
                                [exe, "--list-predictors"], log_dir=tmp, name="probe", timeout_s=120)
            if not probe.ok:
                return self.diagnosis(classify_start_failure(probe), f"nn-Meter does not start: {probe.describe()}",
                                      INSTALL, binary=str(exe))
            sk = probe.stdout().strip().splitlines()[-1] if py else ""
        if sk and _version(sk) >= SKLEARN_BREAKS:
            return self.diagnosis(DiagnosisStatus.RUNTIME_FAILURE,
                                  f"scikit-learn {sk} is installed with nn-Meter; its predictors are pickled with "
                                  f"scikit-learn 0.23.1 and trees from it do not unpickle with >= 1.3",
                                  "install nn-meter in a Python 3.8 venv with scikit-learn==0.23.1",
                                  binary=str(exe), sklearn=sk)
        have = [p["name"] for p in builtin_predictors() if not missing_kernels(p["name"], p["version"])]
        if not have:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"no nn-Meter predictor is downloaded under {data_folder()} (nn-Meter downloads "
                                  "them from GitHub on first use, impossible offline)",
                                  "run `nn-meter predict ...` once online, or unzip the predictor zips from "
                                  "https://github.com/microsoft/nn-Meter/releases/tag/v1.0-data into "
                                  f"{data_folder() / 'predictor'}", binary=str(exe), sklearn=sk)
        return self.diagnosis(DiagnosisStatus.OK, f"nn-meter at {exe}; predictors: {', '.join(have)}",
                              binary=str(exe), sklearn=sk, predictors=have)

    def preflight(self, workload: NNMeterJob, out_dir: Path, diagnosis: Diagnosis) -> Diagnosis:
        miss = missing_kernels(workload.predictor, workload.predictor_version)
        if miss:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"predictor {workload.predictor} lacks kernel(s) {', '.join(miss)} under "
                                  f"{predictor_dir(workload.predictor)}",
                                  "download the predictor zip listed in predictors.yaml and unzip it there")
        return diagnosis

    def write_inputs(self, workload: NNMeterJob, out_dir: str | os.PathLike) -> list[Path]:
        """``<model>.json``: the nn-Meter IR of the graph."""
        reg = workload.registry
        if reg is None:
            from graphs.plugins import get_plugins
            reg = get_plugins().ops
        return [write_ir(Path(out_dir) / _ir_name(workload), to_nnmeter_ir(workload.graph, reg))]

    def invocations(self, workload: NNMeterJob, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        return [Invocation((diagnosis.details["binary"], "predict", "--predictor", workload.predictor,
                            "--predictor-version", str(workload.predictor_version),
                            "--nn-meter-ir", str((out_dir / _ir_name(workload)).resolve())), "nn-meter", cwd=out_dir)]

    def collect(self, workload: NNMeterJob, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        preds = parse_file(out_dir / "logs" / "nn-meter.stdout.log", predictor=workload.predictor,
                           version=str(workload.predictor_version))
        return [p.to_result(str(out_dir / "logs" / "nn-meter.stdout.log")) for p in preds]

    def parse(self, path: str | os.PathLike) -> list[EstimationResult]:
        """``reference_result.txt`` or ``nn-meter predict`` output: one result per model/predictor row."""
        return [p.to_result(str(path)) for p in parse_file(path)]



def _predictor_tokens(name: str) -> tuple[str, ...]:
    """``cortexA76cpu_tflite21`` -> ``("cortexa76",)``: what a device's id or name must contain."""
    dev = name.split("_")[0].lower()
    for suffix in ("cpu", "gpu", "vpu"):
        if dev.endswith(suffix):
            dev = dev[: -len(suffix)]
    return (dev,)


def _shebang_python(exe: Path) -> str | None:
    try:
        with open(exe, "rb") as f:
            first = f.readline(256).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if first.startswith("#!") and "python" in first:
        parts = first[2:].split()
        return parts[-1] if parts and parts[0].endswith("env") else parts[0]
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:2]) or (0,)
