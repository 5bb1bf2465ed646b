"""Benchmarking: the runner interface, adaptive timing, and the loop that stores results.

A :class:`Runner` (registered by a plugin through ``graphs_register_runners``) measures on one
kind of device with one runtime (``torch-cpu``, ``torch-cuda`` ...). It turns
:class:`BenchCase` descriptions into callables; :func:`measure` times a callable until the
median is stable; :func:`run_cases` stores each group of cases as one batch as soon as it is
measured, so Ctrl-C keeps everything measured so far.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from graphs.store import Measurement, ResultsStore, Run


@dataclass(frozen=True)
class Stats:
    median_s: float
    mean_s: float
    std_s: float
    min_s: float
    max_s: float
    repeats: int
    stable: bool


@dataclass(frozen=True)
class BenchCase:
    """One thing to time: an op at given shapes, or a whole model.

    :param group: cases of one group are stored as one batch (e.g. ``"matmul"``).
    :param level: ``kernel`` or ``model``.
    :param spec: what the runner needs to build it (shapes, dtype, model name ...).
    """

    group: str
    name: str
    level: str
    op_kind: str
    precision: str
    spec: Mapping[str, Any] = field(default_factory=dict)


def measure(fn: Callable[[], Any], *, sync: Callable[[], None] | None = None, warmup: int = 3,
            min_repeats: int = 7, max_repeats: int = 200, max_time_s: float = 2.0, rel_tol: float = 0.02,
            inner: int | None = None, clock: Callable[[], float] = time.perf_counter) -> Stats:
    """Time ``fn`` until the median is stable.

    Each sample times ``inner`` back-to-back calls (chosen so a sample lasts ≥ ~1 ms, which
    keeps timer resolution out of the result). Sampling stops when the 95 % confidence half
    width of the median (order-statistics estimate) is within ``rel_tol`` of it, or after
    ``max_repeats`` samples or ``max_time_s``. ``stable`` says which.
    """
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    if inner is None:
        t0 = clock()
        fn()
        sync()
        once = max(clock() - t0, 1e-9)
        inner = max(1, min(1000, int(1e-3 / once)))
    samples: list[float] = []
    start = clock()
    stable = False
    while len(samples) < max_repeats:
        t0 = clock()
        for _ in range(inner):
            fn()
        sync()
        samples.append((clock() - t0) / inner)
        n = len(samples)
        if n >= min_repeats:
            s = sorted(samples)
            half = 1.96 * math.sqrt(n) / 2
            lo, hi = s[max(0, int(n / 2 - half))], s[min(n - 1, int(math.ceil(n / 2 + half)))]
            med = statistics.median(s)
            if (hi - lo) / 2 <= rel_tol * med:
                stable = True
                break
        if clock() - start > max_time_s and n >= min_repeats:
            break
    return Stats(statistics.median(samples), statistics.fmean(samples),
                 statistics.pstdev(samples) if len(samples) > 1 else 0.0, min(samples), max(samples),
                 len(samples), stable)


@runtime_checkable
class Runner(Protocol):
    name: str

    def unavailable(self) -> str | None:
        """None if this runner can measure here, else the reason (one line)."""

    def device(self) -> str:
        """Catalog id of the device it measures (e.g. ``host``, ``h100``)."""

    def environment(self) -> Mapping[str, Any]:
        """Software versions and host facts recorded with every run."""

    def suite(self, name: str) -> list[BenchCase]:
        """The cases of a named suite (``quick``, ``full``, ``models`` ...)."""

    def run(self, case: BenchCase) -> Measurement | Sequence[Measurement]:
        """Measure one case: one measurement, or several whose first is the case itself (e.g. a
        whole model followed by each of its kernels timed in isolation)."""


def run_cases(runner: Runner, cases: Sequence[BenchCase], store: ResultsStore,
              progress: Callable[[BenchCase, Measurement | None, str | None], None] | None = None) -> list[int]:
    """Measure ``cases`` group by group, storing each group as one batch; returns run ids.

    A case that fails is reported through ``progress`` with its error and skipped; Ctrl-C
    stores the group measured so far before re-raising.
    """
    env = dict(runner.environment())
    run = Run(device=runner.device(), runtime=runner.name, software=env.get("software", {}),
              host=env.get("host", {}), notes=env.get("notes", ""))
    run_ids: list[int] = []
    groups: dict[str, list[BenchCase]] = {}
    for c in cases:
        groups.setdefault(c.group, []).append(c)
    for group, members in groups.items():
        done: list[Measurement] = []
        try:
            for c in members:
                try:
                    got = runner.run(c)
                except KeyboardInterrupt:
                    raise
                except Exception as e:  # one bad case must not lose the rest
                    if progress:
                        progress(c, None, f"{type(e).__name__}: {e}")
                    continue
                ms = [got] if isinstance(got, Measurement) else list(got)
                if not ms:
                    continue
                m = ms[0]
                done.extend(ms)
                if progress:
                    progress(c, m, None)
        finally:
            if done:
                run_ids.append(store.add_batch(run, done))
    return run_ids
