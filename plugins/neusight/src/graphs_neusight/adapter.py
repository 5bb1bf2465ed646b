"""The NeuSight adapter: device/model configs → ``scripts/pred.py`` of a NeuSight checkout → parse."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from graphs.hardware.schema import HardwareSpec
from graphs.results import EstimationResult
from graphs_tools import (BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, ToolInputError,
                          classify_start_failure, resolve_executable, run_command)
from graphs_neusight.configs import device_config_from_spec, validate_device_config, write_device_config, \
    write_model_config
from graphs_neusight.output import json_result, parse

ENV_DIR = "GRAPHS_NEUSIGHT_DIR"
ENV_PYTHON = "GRAPHS_NEUSIGHT_PYTHON"
PREDICTOR_DIR = "scripts/asplos/data/predictor/MLP_WAVE"
TILE_DIR = "scripts/asplos/data/dataset/train"
PREDICTOR_PARTS = ("LINEAR", "BMM", "VEC", "SOFTMAX", "LN")
PREDICTOR_FILES = ("config.json", "model.pth")    # NeuSight loads model.pth if present, else keeps random weights
INSTALL = ("git clone https://github.com/sitar-lab/NeuSight && pip install -e NeuSight (Python 3.9, PyTorch 2.1), then "
           "set GRAPHS_NEUSIGHT_DIR=<the checkout> (and GRAPHS_NEUSIGHT_PYTHON if NeuSight lives in another venv)")


def missing_predictor_files(predictor_dir: Path) -> list[str]:
    """``<PART>/<file>`` of the trained predictor that are absent (config.json and the weights, model.pth)."""
    return [f"{p}/{f}" for p in PREDICTOR_PARTS for f in PREDICTOR_FILES if not (predictor_dir / p / f).is_file()]


@dataclass(frozen=True)
class NeuSightJob:
    """One NeuSight prediction: a model config, a device config, sequence length, batch, mode, option."""

    model_name: str
    model_config: Mapping[str, Any]
    device_config: Mapping[str, Any]
    sequence_length: int
    batch_size: int
    mode: str = "inf"                  # inf | train
    option: str = ""                   # "" | fusion | dp<N> | tp<N> | pp<N>_<M>
    predictor_name: str = "neusight"
    predictor_path: str = PREDICTOR_DIR    # relative to the checkout unless absolute
    tile_dataset_dir: str = TILE_DIR
    hardware: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.mode not in ("inf", "train"):
            raise ToolInputError(f"NeuSight mode must be 'inf' or 'train', got {self.mode!r}")
        validate_device_config(self.device_config)

    @classmethod
    def for_spec(cls, spec: HardwareSpec, model_name: str, model_config: Mapping[str, Any], sequence_length: int,
                 batch_size: int, mode: str = "inf", option: str = "", **device_overrides: Any) -> "NeuSightJob":
        return cls(model_name, dict(model_config), device_config_from_spec(spec, **device_overrides),
                   sequence_length, batch_size, mode, option, hardware=spec.id)

    @property
    def tag(self) -> str:
        base = f"{self.model_name}-{self.mode}-{self.sequence_length}-{self.batch_size}"
        return f"{base}-{self.option}" if self.option else base

    def output_json(self, result_dir: Path) -> Path:
        """Where ``NeusightPredictor.predict`` writes the model prediction."""
        device = str(self.device_config["Device"]).replace(" ", "_")
        return result_dir / "prediction" / device / self.predictor_name / f"{self.tag}.json"


class NeuSightAdapter(BaseToolAdapter):
    name = "neusight"
    description = "NeuSight (ASPLOS'25): tile-based ML predictor of GPU kernel latency composed to whole models"
    homepage = "https://github.com/sitar-lab/NeuSight"

    def _checkout(self) -> tuple[Path | None, str]:
        raw = os.environ.get(ENV_DIR, "").strip()
        if not raw:
            return None, f"${ENV_DIR} is unset (NeuSight is not packaged: it runs from a checkout)"
        p = Path(raw).expanduser()
        if not (p / "scripts" / "pred.py").is_file() or not (p / "neusight").is_dir():
            return None, f"{ENV_DIR}={raw} is not a NeuSight checkout (no scripts/pred.py and neusight/)"
        return p, ""

    def _python(self) -> tuple[str | None, str]:
        if os.environ.get(ENV_PYTHON, "").strip():
            exe, why = resolve_executable(["python", "python3"], ENV_PYTHON)
            return (str(exe), "") if exe else (None, why)
        return sys.executable, ""

    compare_facts = {
        "install": "git clone + pip install -e (Python 3.9, PyTorch 2.1), trained predictor from the artifact",
        "one_step": False, "formats": "Hugging Face model config JSON (transformer families it traces)",
        "standard_formats": False, "scope": "per-op tile predictions aggregated to the model (NeuSight, ASPLOS'25)",
        "levels": ("kernel", "model"), "source": "github.com/sitar-lab/NeuSight README; docs/tools/neusight.md"}

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        if row.family not in ("transformer", "decoder"):
            return "NeuSight takes Hugging Face transformer configs; a CNN is outside its model builder"
        if plugins.hardware_entry(row.hardware).spec.family != "gpu":
            return f"NeuSight predicts GPUs; {row.hardware} is not one"
        if row.precision != "fp32":
            return (f"NeuSight's predictors are trained on FP32 kernels and its job has no precision; this row is "
                    f"{row.precision}")
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> "NeuSightJob":
        import json

        from graphs.errors import GraphsError
        root = getattr(suite, "data_root", None)
        if root is not None and (root / "device_configs" / f"{row.device_name}.json").is_file():
            cfg_file = root / "DLmodel_configs" / f"{row.model}.json"
            if not cfg_file.is_file():
                raise GraphsError(f"no model config DLmodel_configs/{row.model}.json for NeuSight")
            dev = json.loads((root / "device_configs" / f"{row.device_name}.json").read_text(encoding="utf-8"))
            return NeuSightJob(row.model, json.loads(cfg_file.read_text(encoding="utf-8")), dev, row.seq or 0,
                               row.batch, row.mode, row.option, hardware=row.hardware)
        if not row.hf_config:
            raise GraphsError(f"no Hugging Face config for {row.model} to give NeuSight")
        return NeuSightJob.for_spec(plugins.hardware_entry(row.hardware).spec, row.model.replace("-", "_"),
                                    row.hf_config, row.seq or 0, row.batch, row.mode, row.option)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        gpus = sorted(h for h, e in plugins.hardware.items() if e.family == "gpu")
        if not gpus:
            return None
        cfg = device_config_from_spec(plugins.hardware_entry(gpus[-1]).spec)
        return True, (f"verified: the adapter writes NeuSight's device config from any GPU spec "
                      f"({gpus[-1]}: {cfg['Num_Sm']} SMs)")

    def doctor(self) -> Diagnosis:
        root, why = self._checkout()
        if root is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, f"NeuSight is not installed: {why}", INSTALL)
        py, why = self._python()
        if py is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, why, INSTALL)
        with tempfile.TemporaryDirectory(prefix="graphs-neusight-doctor-") as tmp:
            probe = run_command([py, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import neusight, pandas, torch; "
                                           "print(torch.__version__)", str(root)],
                                log_dir=tmp, name="probe", timeout_s=180)
            if not probe.ok:
                return self.diagnosis(classify_start_failure(probe),
                                      f"NeuSight's dependencies do not import with {py}: {probe.describe()}",
                                      "pip install -e <checkout> in that interpreter (needs torch and pandas)",
                                      python=py, root=str(root))
        missing = missing_predictor_files(root / PREDICTOR_DIR)
        if missing:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"trained predictor missing under {root / PREDICTOR_DIR}: {', '.join(missing)} "
                                  "(without model.pth NeuSight predicts with randomly initialised weights, so graphs "
                                  "refuses to run it)",
                                  "train it with scripts/train.py or restore scripts/asplos/data/predictor (config.json "
                                  "and model.pth per part) from the artifact", python=py, root=str(root))
        return self.diagnosis(DiagnosisStatus.OK, f"NeuSight checkout at {root}, python {py}", python=py, root=str(root))

    def preflight(self, workload: NeuSightJob, out_dir: Path, diagnosis: Diagnosis) -> Diagnosis:
        """The job's own predictor folder (it may differ from the default) must hold trained weights too."""
        root = Path(diagnosis.details["root"])
        pdir = Path(workload.predictor_path) if Path(workload.predictor_path).is_absolute() else root / workload.predictor_path
        missing = missing_predictor_files(pdir)
        if missing:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"no trained NeuSight predictor under {pdir}: missing {', '.join(missing)} "
                                  "(NeuSight would predict with randomly initialised weights)",
                                  "point predictor_path at a trained predictor (config.json and model.pth per part)")
        return diagnosis

    def write_inputs(self, workload: NeuSightJob, out_dir: str | os.PathLike) -> list[Path]:
        """``configs/device.json`` and ``configs/<model_name>.json``."""
        out = Path(out_dir)
        return [write_device_config(out / "configs" / "device.json", workload.device_config),
                write_model_config(out / "configs", workload.model_name, workload.model_config)]

    def invocations(self, workload: NeuSightJob, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis
                    ) -> list[Invocation]:
        root = Path(diagnosis.details["root"])
        o = out_dir.resolve()

        def rel(p: str) -> str:
            return str(Path(p) if Path(p).is_absolute() else root / p)

        argv = (diagnosis.details["python"], str(root / "scripts" / "pred.py"),
                "--predictor_name", workload.predictor_name, "--predictor_path", rel(workload.predictor_path),
                "--device_config_path", str(o / "configs" / "device.json"),
                "--model_config_path", str(o / "configs" / f"{workload.model_name}.json"),
                "--sequence_length", str(workload.sequence_length), "--batch_size", str(workload.batch_size),
                "--execution_type", workload.mode, "--tile_dataset_dir", rel(workload.tile_dataset_dir),
                "--result_dir", str(o / "results"), "--options", workload.option)
        env = {"PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        return [Invocation(argv, "neusight", cwd=root / "scripts", env=env)]

    def collect(self, workload: NeuSightJob, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        return [json_result(workload.output_json(out_dir / "results"), hardware=workload.hardware)]

    def parse(self, path: str | os.PathLike) -> EstimationResult:
        """A NeuSight ``<tag>.json`` (model) or ``<tag>.csv`` (per op, aggregated like NeuSight does)."""
        return parse(path)

    def reference_predictions(self, folder: str | os.PathLike) -> list[dict[str, Any]]:
        """NeuSight's own outputs in ``folder`` (``<tag>.prediction.json`` + ``.csv``): per run, the whole-model
        forward time, the per-op forward times and their composition (embeddings + layers x layer + head), s."""
        from graphs_neusight.output import aggregate, read_prediction_csv, read_prediction_json
        out = []
        for jf in sorted(Path(folder).glob("*.prediction.json")) if Path(folder).is_dir() else []:
            tag = jf.name.split(".")[0]
            pj = read_prediction_json(jf)
            rows = read_prediction_csv(jf.with_name(f"{tag}.prediction.csv"))
            agg = aggregate(rows, tag.split("-")[0], int(pj["num_layer"]))
            out.append({"tag": tag, "model_s": float(pj["fw_latency"]) * 1e-3,
                        "composed_s": float(agg["fw_latency"]) * 1e-3,
                        "ops_s": {r.name: r.fw_latency * 1e-3 for r in rows}})
        return out

    def recorded(self, root: str | os.PathLike) -> Any:
        """Published predictions under a NeuSight data root (see :mod:`graphs_neusight.recorded`)."""
        from graphs_neusight.recorded import RecordedPredictions
        return RecordedPredictions(root)

