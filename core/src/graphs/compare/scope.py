"""Can a tool express a row (F4 otherwise), and the tool's workload for the rows it can.

Each rule reads the adapter's own data where it has any (nn-Meter's predictor list, VIDUR's device
SKUs, NeuSight's device-config writer), so the F4 reasons are the tool's limits, not opinions.
A third-party adapter can take over with two optional methods: ``compare_scope(row) -> str | None``
(the reason it cannot express the row) and ``compare_job(row, suite, plugins)`` (its workload).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from graphs.compare.model import Row
from graphs.errors import GraphsError

DISTRIBUTED = ("dp", "tp", "pp")


def _spec(row: Row, plugins):
    return plugins.hardware_entry(row.hardware).spec


# --- scope rules: None = in scope, else the reason -------------------------------------------------------
def _timeloop(row: Row, plugins) -> str | None:
    spec = _spec(row, plugins)
    if spec.family != "accel":
        return (f"Timeloop models spatial accelerators (PE array, explicit buffers); {row.hardware} is a "
                f"{spec.family.upper()}: SIMT cores, caches and kernel launches are outside its model")
    if row.family != "cnn":
        return "a transformer's softmax, layer norm and elementwise ops are outside Timeloop's conv/matmul problems"
    return None


def _astra(row: Row, plugins) -> str | None:
    if not row.option.startswith(DISTRIBUTED):
        return ("single-device inference: no communication to simulate, and ASTRA-sim takes compute times as "
                "inputs rather than predicting them")
    return None


def _vidur(row: Row, plugins) -> str | None:
    from graphs.compare.suites import HF_IDS
    from graphs.tools import ToolInputError
    from graphs_vidur.scenario import vidur_device

    if row.precision not in ("fp16", "bf16"):
        return f"VIDUR's operator profiles are fp16; this row is {row.precision}"
    if row.family != "decoder" or row.model not in HF_IDS:
        return f"VIDUR simulates decoder LLMs it has model configs and profiles for; {row.model} is not one"
    try:
        vidur_device(_spec(row, plugins))
    except ToolInputError as e:
        return str(e)
    return None


def _nnmeter(row: Row, plugins) -> str | None:
    from graphs_nn_meter.adapter import builtin_predictors

    preds = builtin_predictors()
    spec = _spec(row, plugins)
    text = f"{spec.id} {spec.name}".lower().replace(" ", "")
    hit = [p for p in preds if any(t in text for t in _nnmeter_tokens(p["name"]))]
    if not hit:
        return (f"nn-Meter has predictors only for {', '.join(p['name'] for p in preds)}; none is {row.hardware}")
    if row.family != "cnn":
        return "nn-Meter's kernel predictors cover CNN kernels (conv, dwconv, fc, pooling ...), not transformers"
    return None


def _nnmeter_tokens(name: str) -> tuple[str, ...]:
    dev = name.split("_")[0].lower()                     # cortexA76cpu -> cortexa76cpu
    for suffix in ("cpu", "gpu", "vpu"):
        if dev.endswith(suffix):
            dev = dev[: -len(suffix)]
    return (dev,)


def _neusight(row: Row, plugins) -> str | None:
    if row.family not in ("transformer", "decoder"):
        return "NeuSight takes Hugging Face transformer configs; a CNN is outside its model builder"
    if _spec(row, plugins).family != "gpu":
        return f"NeuSight predicts GPUs; {row.hardware} is not one"
    if row.precision != "fp32":
        return (f"NeuSight's predictors are trained on FP32 kernels and its job has no precision; this row is "
                f"{row.precision}")
    return None


SCOPE: dict[str, Callable[[Row, Any], str | None]] = {
    "timeloop": _timeloop, "astra-sim": _astra, "vidur": _vidur, "nn-meter": _nnmeter, "neusight": _neusight}


def out_of_scope(name: str, row: Row, plugins, adapter: Any = None) -> str | None:
    own = getattr(adapter, "compare_scope", None)
    if callable(own):
        return own(row)
    rule = SCOPE.get(name)
    if rule is None:
        return f"the harness has no workload translation for tool {name!r} (the adapter declares no compare_scope)"
    try:
        return rule(row, plugins)
    except ImportError as e:
        return f"cannot check {name}'s scope: {e}"


# --- workloads ------------------------------------------------------------------------------------------------
def _graph(row: Row, plugins):
    from graphs.frontends import LoadOptions, load_model
    return load_model(row.model, LoadOptions(batch=row.batch, seq_len=row.seq), plugins)


def _neusight_job(row: Row, suite, plugins):
    from graphs.compare.suites import BERT_BASE_HF, LLAMA2_7B_HF
    from graphs_neusight import NeuSightJob

    root = suite.data_root
    if root is not None and (root / "device_configs" / f"{row.device_name}.json").is_file():
        cfg_file = root / "DLmodel_configs" / f"{row.model}.json"
        if not cfg_file.is_file():
            raise GraphsError(f"no model config DLmodel_configs/{row.model}.json for NeuSight")
        dev = json.loads((root / "device_configs" / f"{row.device_name}.json").read_text(encoding="utf-8"))
        return NeuSightJob(row.model, json.loads(cfg_file.read_text(encoding="utf-8")), dev, row.seq or 0, row.batch,
                           row.mode, row.option, hardware=row.hardware)
    cfgs = {"llama2-7b": LLAMA2_7B_HF, "bert-base": BERT_BASE_HF}
    if row.model not in cfgs:
        raise GraphsError(f"no Hugging Face config for {row.model} to give NeuSight")
    name = row.model.replace("-", "_")
    return NeuSightJob.for_spec(_spec(row, plugins), name, cfgs[row.model], row.seq or 0, row.batch, row.mode, row.option)


def _vidur_job(row: Row, suite, plugins):
    from graphs.compare.suites import HF_IDS
    from graphs_vidur.scenario import ServingScenario

    return ServingScenario.for_hardware(_spec(row, plugins), model=HF_IDS[row.model], qps=None, num_requests=1,
                                        prefill_tokens=row.seq or 512, decode_tokens=1,
                                        max_tokens=max(4096, (row.seq or 512) + 1))


def _timeloop_job(row: Row, suite, plugins):
    from graphs_timeloop.adapter import TimeloopJob
    return TimeloopJob.from_graph(_graph(row, plugins), _spec(row, plugins), plugins.ops)


def _nnmeter_job(row: Row, suite, plugins):
    from graphs_nn_meter.adapter import NNMeterJob, builtin_predictors

    spec = _spec(row, plugins)
    text = f"{spec.id} {spec.name}".lower().replace(" ", "")
    p = next(p for p in builtin_predictors() if any(t in text for t in _nnmeter_tokens(p["name"])))
    return NNMeterJob(_graph(row, plugins), p["name"], float(p["version"]), plugins.ops)


JOBS: dict[str, Callable[[Row, Any, Any], Any]] = {
    "neusight": _neusight_job, "vidur": _vidur_job, "timeloop": _timeloop_job, "nn-meter": _nnmeter_job}


def make_job(name: str, row: Row, suite, plugins, adapter: Any = None) -> Any:
    """The tool's workload for ``row``; GraphsError (incl. ToolInputError) when it cannot be written."""
    own = getattr(adapter, "compare_job", None)
    if callable(own):
        return own(row, suite, plugins)
    build = JOBS.get(name)
    if build is None:
        raise GraphsError(f"the harness has no workload translation for {name} rows like {row.key}")
    return build(row, suite, plugins)
