"""VIDUR's operator profiles: where they are, which are missing, and the local Hugging Face cache vidur 0.0.26 reads.

graphs reads profiles from a folder in VIDUR's ``data/profiling`` layout::

    compute/<device>/<org>/<model>/mlp.csv         (every non-attention operator of a layer)
    compute/<device>/<org>/<model>/attention.csv   (prefill/decode attention, KV-cache save)
    network/<network device>/all_reduce.csv, send_recv.csv

found as ``$GRAPHS_VIDUR_PROFILES``, else ``$GRAPHS_VIDUR_ROOT/data/profiling`` (a checkout), else
``$GRAPHS_DATA/vidur`` (the shared data: mlp and network profiles of A100/A40, **no attention**).

vidur 0.0.26 takes profiles as Hugging Face dataset ids and calls ``snapshot_download`` with a
``cache_dir``; with ``HF_HUB_OFFLINE=1`` that resolves a cache laid out as::

    <cache>/profiling_data/compute/datasets--local--<slug>/refs/main               (a 40-hex revision)
    <cache>/profiling_data/compute/datasets--local--<slug>/snapshots/<rev>/config.json  {"model", "device_sku"}
                                                                          .../mlp.csv.xz, attention.csv.xz
    <cache>/profiling_data/network/datasets--local--<slug>/snapshots/<rev>/config.json  {"sku"}
                                                                          .../all_reduce.csv.xz, send_recv.csv.xz

(the ``config.json`` contents are asserted by vidur). :func:`build_cache` writes exactly that.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
from pathlib import Path
from typing import Any

ENV_PROFILES = "GRAPHS_VIDUR_PROFILES"
ENV_ROOT = "GRAPHS_VIDUR_ROOT"
REVISION = "0" * 40
COMPUTE_FILES = ("mlp.csv", "attention.csv")
NETWORK_FILES = ("all_reduce.csv", "send_recv.csv")


def profiles_root() -> tuple[Path | None, str]:
    """The profile folder and where it came from; ``(None, why)`` when none is configured or present."""
    env = os.environ.get(ENV_PROFILES, "").strip()
    if env:
        return Path(env).expanduser(), f"${ENV_PROFILES}"
    root = os.environ.get(ENV_ROOT, "").strip()
    if root:
        return Path(root).expanduser() / "data" / "profiling", f"${ENV_ROOT}/data/profiling"
    data = os.environ.get("GRAPHS_DATA", "").strip()
    cands = [Path(data) / "vidur"] if data else []
    here = Path(__file__).resolve()
    cands += [p.parent / "shared" / "data" / "vidur" for p in here.parents if (p / "core").is_dir()]
    for c in cands:
        if c.is_dir():
            return c, "the shared data (vidur/)"
    return None, (f"no profiles: set {ENV_PROFILES} to a folder in VIDUR's data/profiling layout "
                  f"(compute/<device>/<model>/{{mlp,attention}}.csv, network/<network>/{{all_reduce,send_recv}}.csv)")


def inventory(root: Path) -> dict[str, Any]:
    """What is there: (device, model) compute folders with their missing files, network folders likewise."""
    compute: dict[str, list[str]] = {}
    for mlp in sorted((root / "compute").glob("*/*/*/mlp.csv")) + sorted((root / "compute").glob("*/*/*/attention.csv")):
        rel = mlp.parent.relative_to(root)
        compute.setdefault(rel.as_posix(), [])
    for k in compute:
        compute[k] = [f for f in COMPUTE_FILES if not (root / k / f).is_file()]
    network = {p.relative_to(root).as_posix(): [f for f in NETWORK_FILES if not (p / f).is_file()]
               for p in sorted((root / "network").glob("*")) if p.is_dir()}
    return {"compute": compute, "network": network}


def missing_summary(root: Path) -> tuple[list[str], list[str]]:
    """(complete compute folders, missing files as paths relative to ``root``)."""
    inv = inventory(root)
    complete = [k for k, miss in inv["compute"].items() if not miss]
    missing = [f"{k}/{f}" for k, miss in inv["compute"].items() for f in miss]
    missing += [f"{k}/{f}" for k, miss in inv["network"].items() for f in miss]
    return complete, missing


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", s.lower()).strip("-")[:80]


def _snapshot(cache: Path, kind: str, repo: str) -> Path:
    base = cache / "profiling_data" / kind / ("datasets--" + repo.replace("/", "--"))
    (base / "refs").mkdir(parents=True, exist_ok=True)
    (base / "refs" / "main").write_text(REVISION, encoding="utf-8")
    snap = base / "snapshots" / REVISION
    snap.mkdir(parents=True, exist_ok=True)
    return snap


def _xz(src: Path, dst: Path) -> None:
    """``src`` xz-compressed to ``dst`` unless ``dst`` already holds the same source (size + SHA-256 noted beside)."""
    stamp = dst.with_suffix(dst.suffix + ".source")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    if dst.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return
    with open(src, "rb") as f, lzma.open(dst, "wb") as g:
        g.write(f.read())
    stamp.write_text(digest, encoding="utf-8")


def build_cache(scenario: Any, root: Path, cache: Path) -> tuple[str, str]:
    """Lay the scenario's profiles out as vidur's local Hugging Face cache; (compute dataset id, network dataset id).
    Files that are missing are left out (vidur then names what it could not find)."""
    compute_repo = f"local/{_slug(scenario.model)}-{scenario.device}"
    network_repo = f"local/{_slug(scenario.network_device)}"
    files = scenario.profile_files(root)
    c = _snapshot(cache, "compute", compute_repo)
    (c / "config.json").write_text(json.dumps({"model": scenario.model, "device_sku": scenario.device}), encoding="utf-8")
    n = _snapshot(cache, "network", network_repo)
    (n / "config.json").write_text(json.dumps({"sku": scenario.network_device}), encoding="utf-8")
    for key, dst_dir in (("mlp", c), ("attention", c), ("all_reduce", n), ("send_recv", n)):
        src = files[key]
        if src.is_file():
            _xz(src, dst_dir / f"{src.name}.xz")
    return compute_repo, network_repo
