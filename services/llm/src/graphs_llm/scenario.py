"""A serving scenario: one replica of a model on a device under a request stream.

The same object drives graphs' own simulator (:mod:`graphs_llm.serving`) and, through thin
converters in the tool adapters, VIDUR (``graphs_vidur.from_scenario``). Request lengths follow
VIDUR's generators: ``fixed`` (prefill, decode), ``uniform`` and ``zipf`` over the total length
``[min_tokens, max_tokens]`` split by ``prefill_to_decode_ratio``, or ``trace`` (a list of
(prefill, decode) pairs, or a CSV with ``num_prefill_tokens,num_decode_tokens``). Arrivals are
Poisson at ``qps`` (exponential gaps) or all at t = 0 (``qps=None``), drawn with ``seed``.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graphs.errors import GraphsError

SCHEDULERS = ("vllm", "sarathi")
LENGTH_KINDS = ("fixed", "uniform", "zipf", "trace")


MAX_REQUESTS = 1_000_000     # one simulation's requests (each costs ~0.3 KB and ~0.3 ms of simulation)



MAX_TRACE_BYTES = 64 * 2**20   # a length trace of a million requests is ~20 MB

@dataclass(frozen=True)
class Lengths:
    """Request length distribution (tokens)."""

    kind: str = "fixed"
    prefill: int = 512
    decode: int = 128
    min_tokens: int = 256
    max_tokens: int = 4096
    prefill_to_decode_ratio: float = 4.0
    theta: float = 0.6
    trace: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in LENGTH_KINDS:
            raise GraphsError(f"length distribution {self.kind!r}: expected one of {', '.join(LENGTH_KINDS)}")
        if self.kind == "fixed" and (self.prefill < 1 or self.decode < 1):
            raise GraphsError("fixed lengths: prefill and decode tokens must be >= 1")
        if self.kind in ("uniform", "zipf"):
            if not 2 <= self.min_tokens <= self.max_tokens:
                raise GraphsError("lengths: need 2 <= min_tokens <= max_tokens")
            if self.prefill_to_decode_ratio <= 0:
                raise GraphsError("lengths: prefill_to_decode_ratio must be > 0")
        if self.kind == "zipf" and self.theta <= 0:
            raise GraphsError("zipf lengths: theta must be > 0")
        if self.kind == "trace":
            if not self.trace:
                raise GraphsError("trace lengths: the trace is empty")
            if any(p < 1 or d < 1 for p, d in self.trace):
                raise GraphsError("trace lengths: every request needs >= 1 prefill and >= 1 decode token")

    @classmethod
    def from_csv(cls, path: str | Path) -> "Lengths":
        """A trace from a CSV with ``num_prefill_tokens`` and ``num_decode_tokens`` columns (VIDUR's trace format)."""
        import io
        import stat as _stat
        p = Path(path)
        try:
            st = p.stat()
            if not _stat.S_ISREG(st.st_mode):
                raise GraphsError(f"{p}: not a regular file (a length trace is a CSV file)")
            if st.st_size > MAX_TRACE_BYTES:
                raise GraphsError(f"{p}: {st.st_size} bytes is larger than a length trace may be "
                                  f"({MAX_TRACE_BYTES // 2**20} MiB)")
            with p.open("rb") as fh:
                raw = fh.read(MAX_TRACE_BYTES + 1)
            if len(raw) > MAX_TRACE_BYTES:
                raise GraphsError(f"{p}: larger than a length trace may be ({MAX_TRACE_BYTES // 2**20} MiB)")
            text = raw.decode("utf-8")
            rows = [(int(float(r["num_prefill_tokens"])), int(float(r["num_decode_tokens"])))
                    for r in csv.DictReader(io.StringIO(text, newline=""))]
        except UnicodeDecodeError as e:
            raise GraphsError(f"{p}: not UTF-8 text (byte {e.start})") from None
        except OverflowError:
            raise GraphsError(f"{p}: a token count in the length trace is not finite") from None
        except OSError as e:
            raise GraphsError(f"{p}: cannot read the length trace ({e.strerror or e})") from None
        except (KeyError, ValueError, TypeError, csv.Error) as e:
            raise GraphsError(f"{p}: a length trace needs num_prefill_tokens and num_decode_tokens columns of "
                              f"whole numbers ({type(e).__name__}: {' '.join(str(e).split())[:120]})") from None
        return cls(kind="trace", trace=tuple(rows))

    def _split(self, total: np.ndarray) -> list[tuple[int, int]]:
        r = self.prefill_to_decode_ratio
        pre = np.maximum(1, np.round(total * r / (1 + r))).astype(int)
        dec = np.maximum(1, total - pre).astype(int)
        return list(zip(pre.tolist(), dec.tolist()))

    def sample(self, n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
        if self.kind == "fixed":
            return [(self.prefill, self.decode)] * n
        if self.kind == "trace":
            return [self.trace[i % len(self.trace)] for i in range(n)]
        if self.kind == "uniform":
            return self._split(rng.integers(self.min_tokens, self.max_tokens + 1, size=n))
        # zipf over the integers [min, max] with exponent theta (VIDUR's ZipfGenerator shape)
        values = np.arange(self.min_tokens, self.max_tokens + 1)
        ranks = np.arange(1, len(values) + 1, dtype=float)
        pmf = ranks ** (-self.theta)
        pmf /= pmf.sum()
        return self._split(rng.choice(values, size=n, p=pmf))


@dataclass(frozen=True)
class Request:
    id: int
    arrival: float
    prefill: int
    decode: int


@dataclass(frozen=True)
class ServingScenario:
    """One serving replica under a request stream (all a simulator and VIDUR need)."""

    model: str = "llama2-7b"
    hardware: str = "a100-sxm4-80gb"
    num_requests: int = 256
    qps: float | None = 4.0
    lengths: Lengths = field(default_factory=Lengths)
    scheduler: str = "vllm"
    batch_size_cap: int = 128
    chunk_size: int = 512
    max_tokens_in_batch: int = 4096
    block_size: int = 16
    gpu_memory_utilization: float = 0.9
    precision: str = "fp16"
    weight_dtype: str | None = None
    tp: int = 1
    runtime: str = "graph"
    seed: int = 42

    def __post_init__(self) -> None:
        if self.scheduler not in SCHEDULERS:
            raise GraphsError(f"scheduler {self.scheduler!r}: expected one of {', '.join(SCHEDULERS)}")
        for k in ("num_requests", "batch_size_cap", "chunk_size", "max_tokens_in_batch", "block_size", "tp"):
            if getattr(self, k) < 1:
                raise GraphsError(f"{k} must be >= 1")
        if self.num_requests > MAX_REQUESTS:
            raise GraphsError(f"num_requests {self.num_requests}: at most {MAX_REQUESTS:,} requests per simulation "
                              "(its statistics converge long before; simulate several seeds instead)")
        if self.qps is not None and self.qps <= 0:
            raise GraphsError("qps must be > 0 (or None: every request arrives at t = 0)")
        if not 0 < self.gpu_memory_utilization <= 1:
            raise GraphsError("gpu_memory_utilization must be in (0, 1]")

    def requests(self) -> list[Request]:
        """The request stream (deterministic for a seed)."""
        rng = np.random.default_rng(self.seed)
        if self.qps is None:
            arrivals = np.zeros(self.num_requests)
        else:
            arrivals = np.cumsum(rng.exponential(1.0 / self.qps, size=self.num_requests))
        lens = self.lengths.sample(self.num_requests, rng)
        return [Request(i, float(a), p, d) for i, (a, (p, d)) in enumerate(zip(arrivals, lens))]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lengths"]["trace"] = [list(t) for t in self.lengths.trace]
        return d
