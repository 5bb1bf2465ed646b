"""NeuSight inputs: the device config JSON and the (Hugging Face style) model config JSON.

Device config keys (NeuSight README; ``neusight/device_configs/*.json``): ``Device`` (name),
``Dev_Mem`` (GB), ``Mem_Bw`` (GB/s), ``Num_Sm``, ``Core_Per_SM`` (FP32 cores per SM), ``Freq``
(MHz, although the README says GHz: the shipped files use MHz), ``SingleFLOPs`` (FP32 GFLOP/s)
and ``L2Cache`` (MB). AMD files split ``SingleFLOPsMM`` / ``SingleFLOPsVEC`` instead.

NeuSight names the model after the config file's stem and picks the layer count by that name:
``n_layer`` if it contains "gpt", ``num_layers`` if "switch", else ``num_hidden_layers``
(``neusight/Prediction/predictor.py``); :func:`write_model_config` checks that key exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

from graphs.hardware.schema import HardwareSpec
from graphs_tools import ToolInputError

DEVICE_KEYS = ("Device", "Dev_Mem", "Mem_Bw", "Num_Sm", "Core_Per_SM", "Freq", "SingleFLOPs", "L2Cache")
_SM_KEYS = ("num_sms", "sm_count", "sms", "num_sm", "compute_units", "num_cus")
_CORE_KEYS = ("fp32_cores_per_sm", "cores_per_sm", "cuda_cores_per_sm", "fp32_lanes_per_sm")


def _param(params: Mapping[str, Any], keys: tuple[str, ...]) -> float | None:
    for k in keys:
        if k in params and params[k] is not None:
            v = params[k]
            return float(v["value"]) if isinstance(v, Mapping) else float(v)
    return None


def device_config_from_spec(spec: HardwareSpec, **overrides: Any) -> dict[str, Any]:
    """A NeuSight device config from a graphs hardware spec (``overrides`` win; missing fields are an error)."""
    fp = spec.family_params
    mem = spec.main_memory
    l2 = next((m for m in spec.memory if m.name.lower() in ("l2", "l2cache", "l2_cache") and m.size is not None), None)
    if mem.size is None:
        dev_mem = None
    elif mem.size.unit in ("GB", "GiB"):
        dev_mem = mem.size.value
    else:
        dev_mem = mem.size.si / 2**30
    sms, cores = _param(fp, _SM_KEYS), _param(fp, _CORE_KEYS)
    clock_mhz = spec.clock.si / 1e6 if spec.clock else None
    peak = spec.peak("fp32")
    cfg: dict[str, Any] = {
        "Device": spec.name,
        "Dev_Mem": _int(dev_mem),
        "Mem_Bw": _int(spec.memory_bandwidth / 1e9),
        "Num_Sm": _int(sms),
        "Core_Per_SM": _int(cores),
        "Freq": _int(clock_mhz),
        "SingleFLOPs": _int(peak / 1e9 if peak else (2 * sms * cores * clock_mhz / 1e3 if sms and cores and clock_mhz
                                                      else None)),
        "L2Cache": _int(None if l2 is None else l2.size.value if l2.size.unit in ("MB", "MiB") else l2.size.si / 2**20),
    }
    cfg.update(overrides)
    missing = [k for k in DEVICE_KEYS if cfg.get(k) is None]
    if missing:
        raise ToolInputError(f"{spec.id}: cannot fill NeuSight device config field(s) {', '.join(missing)} from the "
                             f"spec (family_params needs e.g. num_sms and fp32_cores_per_sm; memory an L2 level); "
                             f"pass them as overrides")
    return cfg


def validate_device_config(cfg: Mapping[str, Any]) -> None:
    flops = ("SingleFLOPs",) if "SingleFLOPs" in cfg else ("SingleFLOPsMM", "SingleFLOPsVEC")
    missing = [k for k in ("Device", "Dev_Mem", "Mem_Bw", "Num_Sm", "Core_Per_SM", "Freq", "L2Cache", *flops)
               if k not in cfg]
    if missing:
        raise ToolInputError(f"NeuSight device config lacks {', '.join(missing)}")


def write_device_config(path: str | Path, cfg: Mapping[str, Any]) -> Path:
    validate_device_config(cfg)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(dict(cfg), indent=4) + "\n", encoding="utf-8")
    return p


def layer_key(model_name: str) -> str:
    """The config key NeuSight reads the layer count from, chosen by the model name."""
    if "gpt" in model_name:
        return "n_layer"
    if "switch" in model_name:
        return "num_layers"
    return "num_hidden_layers"


def write_model_config(path_dir: str | Path, model_name: str, config: Mapping[str, Any]) -> Path:
    """``<dir>/<model_name>.json``; the name decides how NeuSight reads it, so it is checked."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", model_name):
        raise ToolInputError(f"NeuSight model name {model_name!r} must be letters, digits and '_' (it is split on '.' "
                             "and '-')")
    key = layer_key(model_name)
    if key not in config:
        raise ToolInputError(f"NeuSight reads the layer count of {model_name!r} from {key!r}, which the config lacks")
    p = Path(path_dir) / f"{model_name}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(dict(config), indent=2) + "\n", encoding="utf-8")
    return p


def _int(v: float | None) -> int | None:
    """NeuSight's files hold whole numbers (GB, GB/s, MHz, GFLOP/s, MB)."""
    return None if v is None else int(round(v))
