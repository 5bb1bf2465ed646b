"""A cache of tool runs keyed by the hash of their inputs.

A tool run is a pure function of what the adapter wrote (the native input files), the tool and
its version, and the adapter's own version (which parses the output): the key is the SHA-256
of all of those. A hit replays the run's results without starting the tool (SCALE-Sim takes
minutes per layer on two cores); ``graphs compare --no-cache`` ignores the cache.

Entries live in ``$GRAPHS_CACHE_DIR/tool-runs/<tool>/<key>.json`` (default ``~/.cache/graphs``;
``XDG_CACHE_HOME`` honoured; ``$GRAPHS_TOOL_CACHE`` names the folder directly). Only successful runs are stored: a failure is re-tried next time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate, Provenance

FORMAT = 1


def cache_root() -> Path:
    """``$GRAPHS_TOOL_CACHE``, else ``$GRAPHS_CACHE_DIR/tool-runs`` (default ``~/.cache/graphs/tool-runs``)."""
    own = os.environ.get("GRAPHS_TOOL_CACHE", "").strip()
    if own:
        return Path(own).expanduser()
    base = os.environ.get("GRAPHS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"), "graphs")
    return Path(base) / "tool-runs"


def input_key(tool: str, files: Iterable[str | os.PathLike], root: str | os.PathLike, *,
              tool_version: str = "", adapter_version: str = "", extra: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of the tool's identity and every input file (path relative to ``root`` and bytes)."""
    h = hashlib.sha256(f"graphs-tool-run {FORMAT}\0{tool}\0{tool_version}\0{adapter_version}\0".encode())
    if extra:
        h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    base = Path(root).resolve()
    for f in sorted(Path(p).resolve() for p in files):
        try:
            rel = f.relative_to(base).as_posix()
        except ValueError:
            rel = f.name
        h.update(b"\0file\0" + rel.encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def result_from_dict(d: Mapping[str, Any]) -> EstimationResult:
    """Inverse of :meth:`EstimationResult.to_dict`."""
    p = d.get("provenance", {})
    prov = Provenance(p.get("estimator", ""), p.get("mapper", ""), p.get("hardware", ""), p.get("calibration", ""),
                      tuple(p.get("notes", ())))
    kernels = tuple(KernelEstimate(**{**k, "nodes": tuple(k.get("nodes", ())),
                                      "confidence": ConfidenceLevel[k["confidence"]]}) for k in d.get("breakdown", ()))
    lo, hi = d["interval"]
    return EstimationResult(float(d["value"]), d["unit"], float(lo), float(hi), ConfidenceLevel[d["confidence"]], prov,
                            kernels, dict(d.get("metrics", {})))


class ToolRunCache:
    """Successful tool results by input hash (see the module docstring)."""

    def __init__(self, root: str | os.PathLike | None = None, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else cache_root()
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def _path(self, tool: str, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in tool)
        return self.root / safe / f"{key}.json"

    def get(self, tool: str, key: str) -> list[EstimationResult] | None:
        if not self.enabled:
            return None
        p = self._path(tool, key)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            results = [result_from_dict(r) for r in doc["results"]]
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return results

    def put(self, tool: str, key: str, results: Sequence[EstimationResult], meta: Mapping[str, Any] | None = None
            ) -> None:
        if not self.enabled or not results:
            return
        p = self._path(tool, key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "tool": tool, "meta": dict(meta or {}),
                                   "results": [r.to_dict() for r in results]}, default=str), encoding="utf-8")
        os.replace(tmp, p)
