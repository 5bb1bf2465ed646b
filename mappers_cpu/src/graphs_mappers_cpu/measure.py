"""What must be measured on the host: bandwidth by working set, and eager dispatch overhead.

Neither is detectable from files, so the first use on a host measures them (~0.3–0.6 s)
and caches the result in ``$GRAPHS_CACHE_DIR/host-<hash>.json`` (default
``~/.cache/graphs``), keyed by everything that changes them: CPU model and signature,
the usable CPU set, memory size, hostname, torch version and the method version. Set
``GRAPHS_CPU_REMEASURE=1`` (or delete the file) to measure again — e.g. on a quiet machine.

Bandwidth: STREAM-style copy ``b.copy_(a)`` on fp32 tensors whose footprint (bytes read +
written) climbs a geometric ladder 256 KiB … 128 MiB, once with one thread and once with
every usable core (``torch.set_num_threads``). As STREAM does, the best (shortest) of the
repeats at each footprint is kept — the least disturbed by other processes — minus the call
overhead of a one-element copy. A point where all threads are more than 2× slower than one
thread on ≥ 1 MiB (another process held a core) is retried twice; if still so, its
all-thread figure is replaced by the 1-thread one (a lower bound; the raw value is kept as
``bytes_per_s_all_measured``), and the cache entry is flagged ``disturbed`` and measured
again on first use after 10 minutes. The mapper interpolates this curve at a kernel's working
set (see mapper.py).
The largest footprint (two 64 MiB arrays) stands for main memory: larger than any per-core
share of a server LLC and than desktop LLCs up to 64 MiB (``GRAPHS_CPU_BW_MIB`` overrides
the array size for a CPU whose process can own a larger cache).

First touch (torch only): the time to allocate and fill a 48 MiB tensor minus a refill, per
byte, at 1 and all threads — the page-fault cost an eager op pays when its output is freshly
mapped memory.

Dispatch overhead (eager PyTorch): the best, over 15 batches, mean time of 200 calls of a functional op on a one-element tensor
(``torch.add(a, b)``: Python binding + dispatcher + allocation), of the same op through an
``nn.Module`` call (what a model's layers pay), and of an empty ``nn.Module`` forward under
``torch.no_grad()`` (the fixed per-model cost).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata as md
import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from graphs_mappers_cpu.host import Host, env_positive_int

METHOD_VERSION = 2
LADDER_KIB = (256, 1024, 4096, 16384, 65536)   # footprints below the main-memory point
RETRIES = 2          # extra attempts for a point disturbed by another process
RETRY_DISTURBED_S = 600.0  # a cached measurement flagged as disturbed is redone after this age


def cache_dir() -> Path:
    env = os.environ.get("GRAPHS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "graphs"


def _torch_version() -> str | None:
    try:
        return md.version("torch")
    except md.PackageNotFoundError:
        return None


def cache_key(host: Host) -> dict[str, Any]:
    """Everything a measurement depends on (hashed into the cache file name)."""
    return {
        "method": METHOD_VERSION,
        "model": host.cpu_model,
        "signature": host.signature.value,
        "logical_cpus": host.logical_cpus.value,
        "cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else host.logical_cpus.value,
        "physical_cores": host.physical_cores.value,
        "memory_bytes": host.memory_bytes.value if host.memory_bytes else None,
        "hostname": socket.gethostname(),
        "torch": _torch_version(),
        "bw_mib": main_memory_mib(),
    }


def cache_path(host: Host, directory: Path | None = None) -> Path:
    key = json.dumps(cache_key(host), sort_keys=True)
    h = hashlib.sha256(key.encode()).hexdigest()[:16]
    return (directory or cache_dir()) / f"host-{h}.json"


def main_memory_mib() -> int:
    v = env_positive_int("GRAPHS_CPU_BW_MIB", "MiB per array")
    if v is not None:
        return v
    return 64


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)   # what open() would give, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_cached(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("method") != METHOD_VERSION or "bandwidth" not in data \
            or "dispatch" not in data:
        return None
    return data


def host_measurements(host: Host, directory: Path | None = None, force: bool | None = None,
                      measure: Callable[[Host], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Cached measurements for ``host`` (measured and written on a miss)."""
    path = cache_path(host, directory)
    if force is None:
        force = os.environ.get("GRAPHS_CPU_REMEASURE", "") not in ("", "0")
    if not force:
        data = load_cached(path)
        if data is not None and not (data.get("disturbed") and _age_s(data) > RETRY_DISTURBED_S):
            data["cache_file"] = str(path)
            return data
    data = (measure or measure_host)(host)
    data["method"] = METHOD_VERSION
    data["key"] = cache_key(host)
    # a disturbed measurement is kept (every CLI call must not pay for a new one) but is
    # measured again once it is older than RETRY_DISTURBED_S, hopefully on a quieter machine
    data["disturbed"] = bool(data.get("bandwidth", {}).get("disturbed_footprints"))
    try:
        write_json_atomic(path, data)
    except OSError:
        pass  # a read-only home must not stop estimates; we simply measure again next time
    data["cache_file"] = str(path)
    return data


def _age_s(data: dict[str, Any]) -> float:
    try:
        t = _dt.datetime.fromisoformat(str(data.get("measured_at")))
    except ValueError:
        return float("inf")
    return (_dt.datetime.now(_dt.timezone.utc) - t).total_seconds()


# --- the measurements ---------------------------------------------------------------------------
def _best_time(fn: Callable[[], Any], min_reps: int = 3, budget_s: float = 0.02, max_reps: int = 200) -> tuple[float, int]:
    """Shortest time of repeats after a warm-up (STREAM's "best rate": the least disturbed run)."""
    fn()  # warm-up
    ts: list[float] = []
    start = time.perf_counter()
    while len(ts) < min_reps or (time.perf_counter() - start < budget_s and len(ts) < max_reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), len(ts)


def _per_call(fn: Callable[[], Any], calls: int = 200, batches: int = 15) -> float:
    """Shortest, over batches, mean time of ``calls`` back-to-back calls (timeit's advice: the minimum)."""
    for _ in range(calls):
        fn()
    res = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        res.append((time.perf_counter() - t0) / calls)
    return min(res)


def measure_bandwidth(threads_all: int) -> dict[str, Any]:
    """Copy bandwidth over the footprint ladder at 1 and ``threads_all`` threads."""
    main_bytes = main_memory_mib() * 2**20
    footprints = [k * 1024 for k in LADDER_KIB if k * 1024 < 2 * main_bytes] + [2 * main_bytes]
    points: list[dict[str, Any]] = []
    disturbed: list[int] = []
    try:
        import torch
    except ImportError:
        torch = None
    t0 = time.perf_counter()
    if torch is not None:
        prev = torch.get_num_threads()
        n = main_bytes // 4
        first_touch = measure_first_touch(torch, threads_all)
        torch.set_num_threads(threads_all)
        buf = torch.empty(2 * n, dtype=torch.float32)
        buf.fill_(1.0)  # first touch outside the timed copies
        a1, b1 = torch.ones(1), torch.empty(1)
        try:
            call_s = _per_call(lambda: b1.copy_(a1), calls=100, batches=7)
            for fp in footprints:
                m = fp // 8
                a, b = buf[:m], buf[n:n + m]
                best: dict[str, Any] | None = None
                for attempt in range(1 + RETRIES):
                    row: dict[str, Any] = {"footprint_bytes": fp, "attempts": attempt + 1}
                    for th in sorted({1, threads_all}):
                        torch.set_num_threads(th)
                        t, reps = _best_time(lambda: b.copy_(a), budget_s=0.015 if fp < 2 * main_bytes else 0.0)
                        tag = "1" if th == 1 else "all"
                        row[f"seconds_{tag}"] = t
                        row[f"bytes_per_s_{tag}"] = fp / max(t - call_s, 0.5 * t)
                        row[f"reps_{tag}"] = reps
                    if threads_all == 1:
                        row["bytes_per_s_all"] = row["bytes_per_s_1"]
                    if best is None or row["bytes_per_s_all"] > best["bytes_per_s_all"]:
                        best = {**row, "attempts": attempt + 1}
                    if not _disturbed(best, threads_all):
                        break
                if _disturbed(best, threads_all):
                    # on a quiet machine more threads never copy slower than one: keep the
                    # reliable 1-thread figure as a lower bound instead of the stalled one
                    best["disturbed"] = True
                    best["bytes_per_s_all_measured"] = best["bytes_per_s_all"]
                    best["bytes_per_s_all"] = best["bytes_per_s_1"]
                    disturbed.append(fp)
                points.append(best)
        finally:
            torch.set_num_threads(prev)
        how = (f"torch {torch.__version__} tensor.copy_ fp32, best of repeats, threads 1 and {threads_all}, "
               f"minus the {call_s * 1e6:.2f} us call overhead of a 1-element copy_")
    else:
        import numpy as np
        n = main_bytes // 4
        buf = np.ones(2 * n, dtype=np.float32)
        first_touch = None
        a1, b1 = np.ones(1, dtype=np.float32), np.empty(1, dtype=np.float32)
        call_s = _per_call(lambda: np.copyto(b1, a1), calls=100, batches=7)
        for fp in footprints:
            m = fp // 8
            a, b = buf[:m], buf[n:n + m]
            t, reps = _best_time(lambda: np.copyto(b, a), budget_s=0.015 if fp < 2 * main_bytes else 0.0)
            bps = fp / max(t - call_s, 0.5 * t)
            points.append({"footprint_bytes": fp, "seconds_1": t, "bytes_per_s_1": bps, "bytes_per_s_all": bps,
                           "reps_1": reps, "reps_all": 0})
        how = (f"numpy {np.__version__} copyto fp32 (torch not installed: single thread only), best of repeats, "
               f"minus the {call_s * 1e6:.2f} us call overhead of a 1-element copyto")
    return {"threads_all": threads_all, "points": points, "how": how, "disturbed_footprints": disturbed,
            "first_touch": first_touch,
            "seconds": round(time.perf_counter() - t0, 3)}


FIRST_TOUCH_MIB = 48   # above glibc's 32 MiB mmap threshold, so every allocation is fresh pages


def measure_first_touch(torch: Any, threads_all: int) -> dict[str, Any]:
    """Page-fault cost per byte of a freshly allocated tensor, at 1 and ``threads_all`` threads.

    (allocate + fill) − (refill of the same tensor), best of 2 allocations: the first touch of
    never-used memory in a VM also pays the hypervisor's faults, which a process pays once.
    """
    n = FIRST_TOUCH_MIB * 2**20 // 4
    out: dict[str, Any] = {"bytes": n * 4}
    for th in sorted({1, threads_all}):
        torch.set_num_threads(th)
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            x = torch.empty(n, dtype=torch.float32)
            x.fill_(1.0)
            t_first = time.perf_counter() - t0
            t_refill, _ = _best_time(lambda: x.fill_(2.0), min_reps=2, budget_s=0.0)
            best = min(best, max(t_first - t_refill, 0.0))
            del x
        out["s_per_byte_1" if th == 1 else "s_per_byte_all"] = best / (n * 4)
    if threads_all == 1:
        out["s_per_byte_all"] = out["s_per_byte_1"]
    out["threads_all"] = threads_all
    out["how"] = (f"torch.empty + fill_ of {FIRST_TOUCH_MIB} MiB minus a refill, best of 2 allocations, "
                  f"threads 1 and {threads_all}")
    return out


def _disturbed(row: dict[str, Any], threads_all: int) -> bool:
    """More threads at least 2× *slower* than one on a ≥ 1 MiB copy: another process held a core."""
    return threads_all > 1 and row["footprint_bytes"] >= 2**20 and row["bytes_per_s_all"] < 0.5 * row["bytes_per_s_1"]


def measure_dispatch(threads_all: int) -> dict[str, Any]:
    try:
        import torch
    except ImportError:
        import numpy as np
        a = np.ones(1, dtype=np.float32)
        t = _per_call(lambda: np.add(a, a))
        return {"functional_s": t, "module_s": t, "model_s": 0.0,
                "how": "numpy ufunc call on a 1-element array (torch not installed; eager PyTorch overhead unknown)"}
    prev = torch.get_num_threads()
    torch.set_num_threads(threads_all)
    try:
        a, b = torch.ones(1), torch.ones(1)

        class Add(torch.nn.Module):
            def forward(self, x, y):
                return torch.add(x, y)

        class Empty(torch.nn.Module):
            def forward(self, x):
                return x

        add_mod, empty = Add(), Empty()

        def model_call():
            with torch.no_grad():
                empty(a)

        with torch.no_grad():
            functional = _per_call(lambda: torch.add(a, b))
            module = _per_call(lambda: add_mod(a, b))
        model = _per_call(model_call)
    finally:
        torch.set_num_threads(prev)
    return {"functional_s": functional, "module_s": module, "model_s": model,
            "how": f"torch {torch.__version__}, {threads_all} threads: mean of 200 back-to-back calls, best of 15 "
                   "batches; functional = torch.add on 1-element tensors, module = the same through nn.Module "
                   "__call__, model = empty nn.Module forward under torch.no_grad()"}


def measure_host(host: Host) -> dict[str, Any]:
    """Measure bandwidth and dispatch overhead now (no cache)."""
    threads = int(host.physical_cores.value)
    t0 = time.perf_counter()
    bw = measure_bandwidth(threads)
    disp = measure_dispatch(threads)
    return {
        "measured_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "bandwidth": bw,
        "dispatch": disp,
        "seconds": round(time.perf_counter() - t0, 3),
    }
