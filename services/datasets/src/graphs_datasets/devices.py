"""Device names in measurement data sets -> hardware catalog ids.

Data sets name devices their own way: ``NVIDIA A100-PCIE-40GB`` (``torch.cuda.get_device_name``,
NeuSight), ``Tesla_T4`` (a folder), ``a100`` (VIDUR), ``NV_V100`` (DeepBench). A name maps to an
installed hardware id when, normalised (lower case, spaces and underscores to ``-``, vendor and
brand words ``nvidia``, ``tesla``, ``amd``, ``instinct`` dropped), it is a catalog id or alias —
so a new device in the same layout needs only a spec with the right alias, no code.

A few names are not self-describing; :data:`DATASET_NAMES` pins them, each with the evidence.
Names that map to nothing installed raise :class:`~graphs.errors.GraphsError` naming the device
(``validate``), or are reported as skipped (imports of data sets that also cover devices the
catalog does not have: phones, Xeon Phi, old GeForce boards).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from graphs.errors import GraphsError, UnknownHardwareError

_DROP = ("nvidia", "tesla", "amd", "instinct", "geforce", "nv")

# (data set, name as written there) -> catalog id, where the name alone is ambiguous
DATASET_NAMES: dict[tuple[str, str], str] = {
    # VIDUR's "a100" compute profiles: an A100 80GB; its network SKUs pair PCIe cards with NVLink
    # bridges ("a100_pairwise_nvlink") or are DGX boards. derive_gpu_priors.py reads the compute
    # profiles as the 80GB PCIe part; kept here for the same device.
    ("vidur", "a100"): "a100-pcie-80gb",
    ("vidur", "a40"): "a40",
    ("vidur", "a100_pairwise_nvlink"): "a100-pcie-80gb",
    ("vidur", "a100_dgx"): "a100-sxm4-80gb",
    ("vidur", "a40_pairwise_nvlink"): "a40",
    # LLMCompass Table I: an A100 with 80 GB HBM2e at ~2 TB/s (SXM4 80GB: 2039 GB/s).
    ("llmcompass", "A100"): "a100-sxm4-80gb",
    ("llmcompass", "MI210"): "mi210",
    # DeepBench: "NVIDIA Tesla P100" in a workstation (PCIe; 16 GB assumed), "NVIDIA T4".
    # Its V100 ran in a DGX-1 (SXM2), which the catalog does not have: not mapped.
    ("deepbench", "NV_P100"): "p100-pcie-16gb",
    ("deepbench", "NV_T4"): "t4",
}


# (data set, name) -> why it is deliberately not mapped (a catalog id would match its name wrongly)
NOT_IN_CATALOG: dict[tuple[str, str], str] = {
    ("deepbench", "NV_V100"): "DeepBench's V100 ran in a DGX-1 (V100 SXM2); the catalog has only the V100 PCIe 32GB",
}


def normalise(name: str) -> str:
    """``NVIDIA A100 80GB PCIe`` -> ``a100-80gb-pcie``; ``Tesla_P100-PCIE-16GB`` -> ``p100-pcie-16gb``
    (the rule of :meth:`graphs.plugins.GraphsPlugins.find_hardware_by_name`)."""
    s = re.sub(r"[\s_/]+", "-", name.strip().lower())
    parts = [p for p in s.split("-") if p and p not in _DROP]
    return "-".join(parts)


def catalog_id(name: str, plugins, dataset: str = "", where: str = "") -> str:
    """The installed hardware id for a device ``name`` used by ``dataset``; GraphsError if none."""
    at = f" ({where})" if where else ""
    if (dataset, name) in NOT_IN_CATALOG:
        raise GraphsError(f"device {name!r}{at} is not mapped: {NOT_IN_CATALOG[(dataset, name)]}")
    pinned = DATASET_NAMES.get((dataset, name))
    if pinned is not None:
        return plugins.hardware_entry(pinned).spec.id
    key = normalise(name)
    try:
        return plugins.hardware_entry(key).spec.id
    except UnknownHardwareError:
        pass
    raise GraphsError(f"device {name!r}{at} maps to no installed hardware (looked up {key!r}); install a device "
                      f"package whose spec has id or alias {key!r}, see `graphs hardware list`")


def try_catalog_id(name: str, plugins, dataset: str = "") -> str | None:
    try:
        return catalog_id(name, plugins, dataset)
    except GraphsError:
        return None


def device_config_name(path: str | Path) -> str:
    """The ``Device`` field of a NeuSight device config (``device_configs/<name>.json``)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return str(data["Device"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise GraphsError(f"{p}: not a device config with a 'Device' field ({type(e).__name__})") from None


def map_device_configs(config_dir: str | Path, plugins) -> dict[str, str]:
    """Every ``device_configs/*.json`` stem -> catalog id (GraphsError naming the first unmappable device)."""
    out = {}
    for f in sorted(Path(config_dir).glob("*.json")):
        out[f.stem] = catalog_id(device_config_name(f), plugins, "neusight", where=f.name)
    return out
