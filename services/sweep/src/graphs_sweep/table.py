"""The sweep results table: one Parquet file, one row per point (the schema is fixed, see SCHEMA and
docs/sweep.md), plus a folder of part files while a sweep runs (``FILE.parquet.parts/``) so an
interrupted sweep keeps what it computed. A re-run reads both, skips every finished key, and at
the end writes the whole table again (temporary file + rename) and removes the parts.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

from graphs.errors import GraphsError

# (column, arrow type name, description) — docs/sweep.md is checked against this list by a test
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("key", "string", "hash of the point, the graphs version and the device's spec and calibration"),
    ("status", "string", "ok, refused (graphs cannot answer: reason says why) or error (a failure; retried on re-run)"),
    ("reason", "string", "why the point was refused or failed"),
    ("mode", "string", "forward, serve or train"),
    ("model", "string", "model reference as given"),
    ("hardware", "string", "device id (or system id in train mode)"),
    ("hardware_name", "string", "device or system name"),
    ("family", "string", "family engine (gpu, cpu, accel, edge)"),
    ("batch", "int64", "batch size (train: global batch in sequences)"),
    ("precision", "string", "precision the estimate ran at (forward mode with no --precision: the model's)"),
    ("seq_len", "int64", "sequence length (forward: as traced; train: tokens per sequence)"),
    ("fusion", "string", "fusion policy used (auto resolves to the family's default)"),
    ("prompt_len", "int64", "serve: prompt tokens per request"),
    ("gen_len", "int64", "serve: generated tokens per request"),
    ("dp", "int64", "train: data-parallel degree"),
    ("tp", "int64", "serve/train: tensor-parallel degree"),
    ("pp", "int64", "train: pipeline stages"),
    ("gpus", "int64", "serve/train: devices used by one replica or step"),
    ("latency_s", "float64", "forward: one pass; serve: end-to-end latency of the batch; train: step time"),
    ("low_s", "float64", "low end of the 90 % interval of latency_s"),
    ("high_s", "float64", "high end of the 90 % interval of latency_s"),
    ("confidence", "string", "CALIBRATED, INTERPOLATED or THEORETICAL"),
    ("throughput_per_s", "float64", "batch / latency_s (samples, requests or sequences per second)"),
    ("ttft_s", "float64", "serve: time to first token"),
    ("ttft_low_s", "float64", "serve: interval low end"),
    ("ttft_high_s", "float64", "serve: interval high end"),
    ("tpot_s", "float64", "serve: time per output token"),
    ("tpot_low_s", "float64", "serve: interval low end"),
    ("tpot_high_s", "float64", "serve: interval high end"),
    ("tokens_per_s", "float64", "serve: output tokens/s; train: tokens/s"),
    ("max_batch", "int64", "serve: largest batch that fits"),
    ("mfu", "float64", "train: model FLOPs utilisation"),
    ("flops", "float64", "forward: FLOPs of one pass"),
    ("bytes", "float64", "forward: bytes moved by the kernels"),
    ("arithmetic_intensity", "float64", "forward: flops / bytes"),
    ("kernels", "int64", "forward: kernels after fusion"),
    ("nodes", "int64", "forward: IR nodes"),
    ("parameters", "int64", "forward: parameter count"),
    ("parameter_bytes", "float64", "parameter (serve: weight) bytes"),
    ("peak_activation_bytes", "float64", "forward: peak live activation bytes"),
    ("memory_bytes", "float64", "memory needed (per device)"),
    ("device_memory_bytes", "float64", "device memory (serve: the share an engine may use)"),
    ("fits", "bool", "memory_bytes fits the device (null: capacity unknown)"),
    ("time_compute_s", "float64", "forward: kernel time bound by compute"),
    ("time_memory_s", "float64", "forward: kernel time bound by memory"),
    ("time_overhead_s", "float64", "forward: kernel time bound by launch/dispatch overhead"),
    ("energy_j", "float64", "energy of one pass; null = unknown (never 0): no sourced idle power or coefficient"),
    ("energy_low_j", "float64", "energy interval low end"),
    ("energy_high_j", "float64", "energy interval high end"),
    ("energy_dynamic_min_j", "float64", "lower bound of the dynamic energy (known even when energy_j is not)"),
    ("avg_power_w", "float64", "energy_j / latency_s"),
    ("tdp_w", "float64", "the device's TDP from its spec"),
    ("estimator", "string", "estimator that produced the row"),
    ("calibration", "string", "calibration source used (null: family priors)"),
    ("graphs_version", "string", "graphs-core version"),
    ("notes", "string", "assumptions a reader should know (energy notes ...)"),
)
NAMES = tuple(c for c, _, _ in COLUMNS)
META_KEY = b"graphs_sweep"


def schema() -> Any:
    import pyarrow as pa
    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    return pa.schema([pa.field(c, types[t]) for c, t, _ in COLUMNS])


def to_table(rows: Sequence[dict[str, Any]], meta: dict[str, Any] | None = None) -> Any:
    import pyarrow as pa
    cols = {c: [r.get(c) for r in rows] for c in NAMES}
    sch = schema()
    if meta is not None:
        sch = sch.with_metadata({META_KEY: json.dumps(meta, default=str).encode()})
    return pa.Table.from_pydict(cols, schema=sch)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a sweep Parquet file (one-line error if it is not one)."""
    import pyarrow.parquet as pq
    try:
        t = pq.read_table(path)
    except Exception as e:
        raise GraphsError(f"{path}: not a readable Parquet file ({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
    missing = [c for c in ("key", "status", "model", "hardware") if c not in t.column_names]
    if missing:
        raise GraphsError(f"{path}: not a graphs sweep table (no column {', '.join(missing)})")
    return t.to_pylist()


def read_meta(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq
    md = pq.read_schema(path).metadata or {}
    try:
        return json.loads(md.get(META_KEY, b"{}"))
    except ValueError:
        return {}


def parts_dir(path: Path) -> Path:
    return path.with_name(path.name + ".parts")


def existing_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of ``path`` (if it exists) and of its part files (an interrupted run), later ones winning."""
    rows: dict[str, dict[str, Any]] = {}
    if path.exists():
        for r in read_rows(path):
            rows[r["key"]] = r
    d = parts_dir(path)
    if d.is_dir():
        for f in sorted(d.glob("part-*.parquet"), key=lambda q: q.stat().st_mtime):
            try:
                for r in read_rows(f):
                    rows[r["key"]] = r
            except GraphsError:
                continue          # a part cut short by a crash: its points are simply recomputed
    return list(rows.values())


def write_atomic(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        raise GraphsError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class PartsWriter:
    """Flushes finished rows to ``FILE.parquet.parts/part-*.parquet`` every ``every_s`` seconds or
    ``every_rows`` rows, so Ctrl-C or a crash loses at most that much."""

    def __init__(self, path: Path, every_s: float = 5.0, every_rows: int = 2000) -> None:
        self.dir = parts_dir(path)
        self.every_s, self.every_rows = every_s, every_rows
        self.pending: list[dict[str, Any]] = []
        self.last = time.monotonic()
        self.session = uuid.uuid4().hex[:8]
        self.n = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.every_rows or time.monotonic() - self.last >= self.every_s:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.pending:
            return
        self.dir.mkdir(exist_ok=True)
        write_atomic(to_table(self.pending), self.dir / f"part-{self.session}-{self.n:05d}.parquet")
        self.n += 1
        self.pending = []

    def remove(self) -> None:
        if self.dir.is_dir():
            for f in self.dir.iterdir():
                if f.name.startswith(("part-", ".part-")):
                    f.unlink()
            try:
                self.dir.rmdir()
            except OSError:
                pass
