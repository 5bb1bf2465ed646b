"""The nn-Meter adapter: graphs IR → nn-Meter IR → ``nn_meter_driver.py`` in nn-Meter's environment → latency (ms).

nn-Meter 2.0 (``graphs tools install nn-meter``: its own environment; or ``$GRAPHS_NN_METER_PYTHON``,
or the ``nn-meter`` script named by ``$GRAPHS_NN_METER_BIN``) predicts with per-kernel regressors
("predictors"). Its four built-in predictors are downloaded at run time (impossible offline) and
were pickled with scikit-learn 0.23; a predictor built locally and registered with
``nn-meter register --predictor meta.yaml`` works with any scikit-learn. The adapter accepts
**any registered predictor**: it reads nn-Meter's own predictor list (``~/.nn_meter/config/
predictors.yaml``, or the packaged list before nn-Meter first ran), checks a built-in one's
downloaded pickles (and the scikit-learn version, for those pickles only) or a registered one's
``package_location`` (every ``<kernel>.pkl`` and ``fusion_rules.json``). A registered predictor
may name the graphs device it models with a ``hardware: <graphs id>`` key in its meta YAML.

nn-Meter silently counts a kernel type its predictor lacks as 0 ms; the driver detects the
model's kernels first and refuses such a prediction, naming the missing kernel predictors.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from graphs.ir import Graph
from graphs.results import EstimationResult
from graphs_tools import (Diagnosis, DiagnosisStatus, PackageSpec, PythonToolAdapter, ToolInputError, ToolOutputError,
                          point_result, run_command)
from graphs_tools.envs import run_env
from graphs_nn_meter.ir import to_nnmeter_ir, write_ir
from graphs_nn_meter.output import parse_file

ENV_BIN = "GRAPHS_NN_METER_BIN"
ENV_DATA = "GRAPHS_NN_METER_DATA"
PREDICTORS_YAML = Path(__file__).with_name("predictors.yaml")
PACKAGE = PackageSpec("nn-meter", ("nn-meter==2.0", "setuptools<81"), module="nn_meter")
# scikit-learn >= 1.3 changed the tree node dtype: trees pickled with 0.23 (the built-in predictors) do not unpickle
SKLEARN_BREAKS = (1, 3)
IR_FILE = "model.nnmeter-ir.json"


def builtin_predictors() -> list[dict[str, Any]]:
    """nn-Meter's packaged predictor list (its ``predictors.yaml``, MIT, see NN_METER_LICENSE)."""
    return yaml.safe_load(PREDICTORS_YAML.read_text(encoding="utf-8"))


def user_config() -> Path:
    return Path("~/.nn_meter/config").expanduser()


def known_predictors() -> list[dict[str, Any]]:
    """The predictors nn-Meter knows here: its user list (built-ins + ``nn-meter register``ed ones), else the
    packaged list (nn-Meter copies it to the user folder on first use)."""
    f = user_config() / "predictors.yaml"
    if f.is_file():
        try:
            d = yaml.safe_load(f.read_text(encoding="utf-8"))
            if isinstance(d, list):
                return [p for p in d if isinstance(p, dict) and "name" in p]
        except yaml.YAMLError:
            pass
    return builtin_predictors()


def data_folder() -> Path:
    """Where nn-Meter keeps built-in predictors: ``$GRAPHS_NN_METER_DATA``, else its settings.yaml, else ~/.nn_meter/data."""
    env = os.environ.get(ENV_DATA, "").strip()
    if env:
        return Path(env).expanduser()
    settings = user_config() / "settings.yaml"
    if settings.is_file():
        try:
            d = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
            if d.get("data_folder"):
                return Path(d["data_folder"]).expanduser()
        except yaml.YAMLError:
            pass
    return Path("~/.nn_meter/data").expanduser()


def predictor_dir(info: Mapping[str, Any] | str) -> Path:
    """A predictor's pickle folder: its ``package_location`` (registered) or the data folder (built-in)."""
    if isinstance(info, Mapping) and info.get("package_location"):
        return Path(str(info["package_location"])).expanduser()
    name = info["name"] if isinstance(info, Mapping) else info
    base = data_folder()
    cands = [base / "predictor" / name, base / name]
    return next((c for c in cands if c.is_dir()), cands[0])


def find_predictor(name: str, version: float | None = None) -> dict[str, Any] | None:
    found = [p for p in known_predictors() if p["name"] == name
             and (version is None or float(p.get("version", 0)) == float(version))]
    return max(found, key=lambda p: float(p.get("version", 0))) if found else None


def is_builtin(info: Mapping[str, Any]) -> bool:
    return "download" in info and not info.get("package_location")


def missing_files(info: Mapping[str, Any]) -> list[str]:
    """Files the predictor needs that are absent: ``<kernel>.pkl`` per kernel (+ ``fusion_rules.json`` if registered)."""
    d = predictor_dir(info)
    miss = [f"{k}.pkl" for k in info.get("kernel_predictors", []) if not (d / f"{k}.pkl").is_file()]
    if not is_builtin(info) and not (d / "fusion_rules.json").is_file():
        miss.append("fusion_rules.json")
    return miss


def missing_kernels(name: str, version: float | None = None) -> list[str] | None:
    """Kernel predictor pickles absent for ``name`` (None if nn-Meter has no such predictor)."""
    info = find_predictor(name, version)
    if info is None:
        return None
    return [f[:-4] for f in missing_files(info) if f.endswith(".pkl")]


@dataclass(frozen=True)
class NNMeterJob:
    """A model and the nn-Meter predictor (device) to predict it on: any predictor nn-Meter knows."""

    graph: Graph | None
    predictor: str = "cortexA76cpu_tflite21"
    predictor_version: float = 1.0
    registry: Any = None
    hardware: str = ""
    ir_file: str | None = None       # an nn-Meter IR file to predict as it is (instead of converting ``graph``)

    def __post_init__(self) -> None:
        if self.graph is None and not self.ir_file:
            raise ToolInputError("an nn-Meter job needs a graph or an nn-Meter IR file")
        if find_predictor(self.predictor, self.predictor_version) is None:
            names = ", ".join(f"{p['name']} v{p.get('version')}" for p in known_predictors())
            raise ToolInputError(f"nn-Meter has no predictor {self.predictor} v{self.predictor_version} "
                                 f"(known here: {names}; register one with `nn-meter register --predictor meta.yaml`)")


class NNMeterAdapter(PythonToolAdapter):
    name = "nn-meter"
    description = "nn-Meter (MobiSys'21): kernel-level latency predictors for CNNs on edge CPU/GPU/VPU"
    homepage = "https://github.com/microsoft/nn-Meter"
    package = PACKAGE
    driver = "nn_meter_driver.py"

    compare_facts = {
        "install": "pip install nn-meter (`graphs tools install nn-meter`: its own environment) + predictors "
                   "(downloaded, or built locally and registered)", "one_step": True,
        "formats": "ONNX, TensorFlow, PyTorch models (CNN kernels)",
        "standard_formats": True, "scope": "CNN latency on its profiled edge CPU/GPU/VPU (kernel predictors summed)",
        "levels": ("kernel", "model"), "source": "github.com/microsoft/nn-Meter; docs/tools/nn-meter.md"}

    # --- where the tool is ---------------------------------------------------------------------------
    def find_python(self) -> tuple[str | None, str, str]:
        """``$GRAPHS_NN_METER_PYTHON``, else the interpreter of the ``nn-meter`` script ``$GRAPHS_NN_METER_BIN`` names,
        else the managed environment."""
        if os.environ.get(ENV_BIN, "").strip() and not os.environ.get(self.package.env_var(self.name), "").strip():
            from graphs_tools import resolve_executable
            exe, why = resolve_executable(["nn-meter"], ENV_BIN)
            py = _shebang_python(exe) if exe else None
            if py is None:
                return None, "", why or f"${ENV_BIN}: not a Python console script (no python shebang)"
            return py, f"the interpreter of {exe} (${ENV_BIN})", ""
        return super().find_python()

    def job_status(self, record: Mapping[str, Any]) -> DiagnosisStatus:
        """A predictor without a kernel the model needs is missing data (F1), not a crash."""
        return DiagnosisStatus.MISSING_DATA if record.get("missing_kernels") else DiagnosisStatus.RUNTIME_FAILURE

    def data_check(self, python: str) -> Diagnosis | None:
        usable, why = [], []
        sk = None
        for info in known_predictors():
            miss = missing_files(info)
            label = f"{info['name']} v{info.get('version')}"
            if miss:
                why.append(f"{label}: missing {', '.join(miss[:3])}{' ...' if len(miss) > 3 else ''} in "
                           f"{predictor_dir(info)}")
                continue
            if is_builtin(info):
                if sk is None:
                    sk = _sklearn_version(python)
                if sk and _version(sk) >= SKLEARN_BREAKS:
                    why.append(f"{label}: downloaded, but pickled with scikit-learn 0.23 and scikit-learn {sk} is "
                               "installed (trees from 0.23 do not unpickle with >= 1.3)")
                    continue
            usable.append(label)
        if not usable:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  "nn-Meter is installed but no predictor is usable here: " + "; ".join(why[:5]),
                                  "build and register a predictor (`nn-meter register --predictor meta.yaml` with "
                                  "package_location holding <kernel>.pkl per kernel and fusion_rules.json), or "
                                  "download a built-in one online into a Python 3.8 environment with "
                                  "scikit-learn==0.23.1", python=python, sklearn=sk or "")
        return None

    def preflight(self, workload: NNMeterJob, out_dir: Path, diagnosis: Diagnosis) -> Diagnosis:
        info = find_predictor(workload.predictor, workload.predictor_version)
        if info is None:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA, f"no predictor {workload.predictor}")
        miss = missing_files(info)
        if miss:
            return self.diagnosis(DiagnosisStatus.MISSING_DATA,
                                  f"predictor {workload.predictor} lacks {', '.join(miss)} under {predictor_dir(info)}",
                                  "download the built-in predictor, or rebuild the registered one")
        return diagnosis

    # --- inputs, run, outputs ------------------------------------------------------------------------------
    def job_document(self, workload: NNMeterJob) -> dict[str, Any]:
        raise NotImplementedError   # write_inputs writes the IR and the job together

    def write_inputs(self, workload: NNMeterJob, out_dir: str | os.PathLike) -> list[Path]:
        """``model.nnmeter-ir.json`` (the nn-Meter IR of the graph) and ``jobs.json`` (IR path + predictor)."""
        import json
        reg = workload.registry
        if reg is None and workload.graph is not None:
            from graphs.plugins import get_plugins
            reg = get_plugins().ops
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if workload.ir_file:
            ir = out / IR_FILE
            ir.write_bytes(Path(workload.ir_file).read_bytes())
        else:
            ir = write_ir(out / IR_FILE, to_nnmeter_ir(workload.graph, reg))
        jobs = out / "jobs.json"
        jobs.write_text(json.dumps({"tool": self.name, "jobs": [
            {"ir": str(ir.resolve()), "predictor": workload.predictor, "version": workload.predictor_version,
             "model": workload.graph.name if workload.graph is not None else Path(workload.ir_file).name,
             "hardware": workload.hardware}]}, indent=2), encoding="utf-8")
        return [ir, jobs]

    def run_many(self, workloads: Sequence[Any], out_dirs: Sequence[str | os.PathLike], *,
                 timeout_s: float | None = None) -> list[Any]:
        return [self.run(w, d, timeout_s=timeout_s or self.run_timeout_s) for w, d in zip(workloads, out_dirs)]

    def result_from(self, workload: Any, record: Mapping[str, Any], source: str) -> EstimationResult:
        ms = record.get("latency_ms")
        if not isinstance(ms, (int, float)) or not ms > 0:
            raise ToolOutputError(f"{source}: no positive latency_ms in nn-Meter's record")
        pred = getattr(workload, "predictor", None) or (workload.get("predictor") if isinstance(workload, dict) else "")
        return point_result(float(ms), "ms", estimator=self.name, hardware=getattr(workload, "hardware", ""),
                            source=source, notes=(f"predictor {pred}", "kernel predictors summed (nn-Meter)"),
                            metrics={k: record[k] for k in ("kernel_counts", "kernel_ms", "kernels") if k in record})

    def parse(self, path: str | os.PathLike) -> list[EstimationResult]:
        """``reference_result.txt`` or ``nn-meter predict`` console output (one result per model/predictor row), or a
        driver's ``out.json``."""
        p = Path(path)
        if p.suffix == ".json":
            return super().parse(p)
        return [r.to_result(str(path)) for r in parse_file(path)]

    # --- what graphs compare asks -----------------------------------------------------------------------
    def _predictor_for(self, spec: Any) -> dict[str, Any] | None:
        preds = known_predictors()
        own = [p for p in preds if str(p.get("hardware", "")).lower() in (spec.id.lower(), *(a.lower() for a in spec.aliases))]
        if own:
            return own[0]
        text = f"{spec.id} {spec.name}".lower().replace(" ", "")
        return next((p for p in preds if is_builtin(p) and any(t in text for t in _predictor_tokens(p["name"]))), None)

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        if self._predictor_for(plugins.hardware_entry(row.hardware).spec) is None:
            names = ", ".join(p["name"] for p in known_predictors())
            return (f"nn-Meter has predictors only for {names}; none is {row.hardware} (a registered predictor names "
                    "its device with `hardware: <graphs id>`)")
        if row.family != "cnn":
            return "nn-Meter's kernel predictors cover CNN kernels (conv, dwconv, fc, pooling ...), not transformers"
        return None

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> "NNMeterJob":
        from graphs.frontends import LoadOptions, load_model
        spec = plugins.hardware_entry(row.hardware).spec
        p = self._predictor_for(spec)
        graph = load_model(row.model, LoadOptions(batch=row.batch, seq_len=row.seq), plugins)
        return NNMeterJob(graph, p["name"], float(p.get("version", 1.0)), plugins.ops, spec.id)

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        names = [p["name"] for p in known_predictors()]
        return False, (f"checked: predictors exist only for {', '.join(names)}; a new device needs kernel predictors "
                       "trained on its measurements (then `nn-meter register`)")


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


def _sklearn_version(python: str) -> str | None:
    """scikit-learn's version in the tool's interpreter (metadata only: no import)."""
    code = ("import importlib.metadata as m\ntry:\n    print(m.version('scikit-learn'))\n"
            "except m.PackageNotFoundError:\n    print('')\n")
    with tempfile.TemporaryDirectory(prefix="graphs-nnmeter-sk-") as tmp:
        r = run_command([python, "-c", code], log_dir=tmp, name="sklearn", timeout_s=60, env=run_env())
        return r.stdout().strip() or None if r.ok else None
