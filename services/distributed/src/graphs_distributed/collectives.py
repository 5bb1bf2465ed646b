"""Analytical α–β model of NCCL-style collectives on one or two network levels.

For a collective over ``p`` ranks moving ``n`` bytes (the full buffer: what each rank holds for
all-reduce, the gathered result for all-gather, the scattered input for reduce-scatter, what each
rank sends in total for all-to-all) on a level with per-step latency α, per-collective latency
α₀ and per-GPU, per-direction bandwidth β:

| collective | algorithm | time |
|---|---|---|
| all-reduce | ring | α₀ + 2(p−1)·α + 2(p−1)/p · n/β |
| all-reduce | tree (double binary) | α₀ + 2⌈log₂p⌉·α + 2·n/β |
| all-reduce | in-network (NVLS/SHARP) | α₀ + 2·α + n/β |
| all-gather, reduce-scatter | ring | α₀ + (p−1)·α + (p−1)/p · n/β |
| all-to-all | direct (switch) | α₀ + (p−1)·α + (p−1)/p · n/β |
| all-to-all | ring topology | as direct, bandwidth term × max(1, p/4) (ring bisection) |
| broadcast | pipelined ring | α₀ + (p−1)·α + n/β |
| send/recv | point to point | α₀ + α + n/β |

Topologies: ``switch`` (full bisection: NVSwitch, a non-blocking fat tree), ``ring`` (each GPU
linked to two neighbours) and ``tree`` (a PCIe-like hierarchy: a ring embedded in a tree uses each
link once per direction, so bandwidth is that of a switch, but every step crosses up to
2·⌈log₂p⌉ hops, which multiplies α). ``auto`` picks the fastest algorithm, as NCCL's tuner does.

**Two levels** (ranks on several nodes, ``g`` per node, one NIC per GPU): all-reduce is
hierarchical — reduce-scatter inside the node, all-reduce of the ``n/g`` slice across nodes
(each GPU through its own NIC, all in parallel), all-gather inside the node; all-gather /
reduce-scatter / broadcast run as a ring whose slowest link is the NIC; all-to-all sends
``(p−g)/p·n`` through the NIC and ``(g−1)/p·n`` over the intra-node level at the same time;
send/recv between nodes uses the NIC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from graphs.errors import GraphsError

COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "send_recv")
ALGORITHMS = ("auto", "ring", "tree", "in_network")


@dataclass(frozen=True)
class Link:
    """One network level: α (per step), α₀ (per collective), β (B/s per GPU per direction)."""

    beta: float
    alpha: float
    alpha0: float = 0.0
    topology: str = "switch"
    in_network_reduction: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if self.beta <= 0 or self.alpha < 0 or self.alpha0 < 0:
            raise GraphsError(f"link {self.name or ''}: bandwidth must be > 0 and latencies >= 0")
        if self.topology not in ("switch", "ring", "tree"):
            raise GraphsError(f"link {self.name}: topology {self.topology!r} is not switch, ring or tree")

    @classmethod
    def from_level(cls, level) -> "Link":
        """From a :class:`graphs_distributed.system.NetworkLevel`."""
        return cls(beta=level.beta, alpha=level.step_latency.si,
                   alpha0=level.base_latency.si if level.base_latency else 0.0, topology=level.topology,
                   in_network_reduction=level.in_network_reduction, name=level.name)

    def hop_alpha(self, p: int) -> float:
        return self.alpha * (2 * max(1, math.ceil(math.log2(max(p, 2)))) if self.topology == "tree" else 1)


def _check(collective: str, nbytes: float, p: int) -> None:
    if collective not in COLLECTIVES:
        raise GraphsError(f"unknown collective {collective!r} (expected one of {', '.join(COLLECTIVES)})")
    if nbytes < 0 or p < 1:
        raise GraphsError(f"{collective}: bytes must be >= 0 and ranks >= 1")


def _all_reduce_options(nbytes: float, p: int, link: Link) -> dict[str, float]:
    """Seconds of an all-reduce over ``p`` ranks on ``link`` by each algorithm the link offers."""
    a, a0, b, n = link.hop_alpha(p), link.alpha0, link.beta, nbytes
    options = {"ring": a0 + 2 * (p - 1) * a + 2 * (p - 1) / p * n / b,
               "tree": a0 + 2 * math.ceil(math.log2(p)) * a + 2 * n / b}
    if link.in_network_reduction:
        options["in_network"] = a0 + 2 * a + n / b
    return options


def one_level(collective: str, nbytes: float, p: int, link: Link, algorithm: str = "auto") -> float:
    """Time (s) of a collective over ``p`` ranks that all sit on one level ``link``."""
    _check(collective, nbytes, p)
    if algorithm not in ALGORITHMS:
        raise GraphsError(f"unknown algorithm {algorithm!r} (expected one of {', '.join(ALGORITHMS)})")
    if p == 1 and collective != "send_recv":
        return 0.0
    a, a0, b, n = link.hop_alpha(p), link.alpha0, link.beta, nbytes
    if collective == "send_recv":
        return a0 + a + n / b
    if collective == "all_reduce":
        options = _all_reduce_options(nbytes, p, link)
        if algorithm == "auto":
            return min(options.values())
        if algorithm not in options:
            raise GraphsError(f"algorithm {algorithm!r} is not available on {link.name or 'this link'}")
        return options[algorithm]
    if collective in ("all_gather", "reduce_scatter"):
        return a0 + (p - 1) * a + (p - 1) / p * n / b
    if collective == "broadcast":
        return a0 + (p - 1) * a + n / b
    # all_to_all
    bisection = max(1.0, p / 4) if link.topology == "ring" else 1.0
    return a0 + (p - 1) * a + (p - 1) / p * n / b * bisection


@dataclass(frozen=True)
class CollectiveModel:
    """Collectives on a system: ``intra`` inside a node of ``node_size`` GPUs, ``inter`` between nodes."""

    intra: Link
    inter: Link | None = None
    node_size: int = 8
    algorithm: str = "auto"

    @classmethod
    def for_system(cls, system, algorithm: str = "auto") -> "CollectiveModel":
        return cls(Link.from_level(system.intra_node),
                   Link.from_level(system.inter_node) if system.inter_node is not None else None,
                   system.node_size, algorithm)

    def with_links(self, intra: Link | None = None, inter: Link | None = None) -> "CollectiveModel":
        return replace(self, intra=intra or self.intra, inter=inter or self.inter)

    def chosen_algorithm(self, collective: str, nbytes: float, ranks: int, per_node: int | None = None) -> str | None:
        """The all-reduce algorithm :meth:`time` uses (what ``auto`` picks: the fastest the link offers);
        None for the other collectives, which have one formula each, and for a single rank."""
        if collective != "all_reduce" or ranks == 1:
            return None
        g = min(ranks, self.node_size) if per_node is None else per_node
        nodes = ranks // g if g >= 1 and not ranks % g else 0
        if nodes == 1:
            level, n, p = self.intra, nbytes, ranks
        elif nodes > 1 and self.inter is not None:
            level, n, p = self.inter, nbytes / g, nodes
        else:
            return None                       # time() refuses this placement
        if self.algorithm != "auto":
            return self.algorithm
        options = _all_reduce_options(n, p, level)
        return min(options, key=options.__getitem__)

    def time(self, collective: str, nbytes: float, ranks: int, per_node: int | None = None) -> float:
        """Seconds for ``collective`` of ``nbytes`` over ``ranks`` GPUs placed ``per_node`` to a node
        (default: packed, ``min(ranks, node_size)``)."""
        _check(collective, nbytes, ranks)
        g = min(ranks, self.node_size) if per_node is None else per_node
        if g < 1 or ranks % g:
            raise GraphsError(f"{ranks} ranks cannot be placed {g} per node")
        nodes = ranks // g
        if nodes == 1:
            if collective == "send_recv" and ranks == 1:
                return 0.0
            return one_level(collective, nbytes, ranks, self.intra, self.algorithm)
        if self.inter is None:
            raise GraphsError(f"{ranks} ranks span {nodes} nodes but the system has no inter-node network")
        intra, inter = self.intra, self.inter
        if collective == "send_recv":
            return one_level("send_recv", nbytes, 2, inter)
        if collective == "all_reduce":
            return (one_level("reduce_scatter", nbytes, g, intra) + one_level("all_reduce", nbytes / g, nodes, inter,
                                                                                 self.algorithm)
                    + one_level("all_gather", nbytes, g, intra))
        if collective in ("all_gather", "reduce_scatter", "broadcast"):
            # every ring step has some rank sending through a NIC: the NIC sets both α and β
            slow = Link(beta=min(intra.beta, inter.beta), alpha=inter.alpha, alpha0=max(intra.alpha0, inter.alpha0),
                        topology="switch", name=f"{intra.name}+{inter.name}")
            return one_level(collective, nbytes, ranks, slow)
        # all_to_all: remote share through the NICs, local share over the intra level, concurrently
        remote = inter.alpha0 + (nodes - 1) * inter.alpha + (ranks - g) / ranks * nbytes / inter.beta
        local = intra.alpha0 + (g - 1) * intra.alpha + (g - 1) / ranks * nbytes / intra.beta
        return max(remote, local)


def fit_alpha_beta(samples: list[tuple[float, float]], steps: float = 1.0, traffic: float = 1.0) -> tuple[float, float]:
    """Least-squares (relative error) fit of ``t = a + traffic·n/β`` with ``a = steps·α``.

    ``samples`` are (bytes, seconds). Returns (α per step, β in B/s). Weighted by 1/t so every
    size counts equally in relative terms, as MAPE does.
    """
    import numpy as np
    if len(samples) < 2:
        raise GraphsError("fitting α and β needs at least two sizes")
    n = np.array([s for s, _ in samples], float)
    t = np.array([x for _, x in samples], float)
    w = 1.0 / t
    A = np.vstack([np.ones_like(n) * w, traffic * n * w]).T
    coef, *_ = np.linalg.lstsq(A, t * w, rcond=None)
    a, inv_b = float(coef[0]), float(coef[1])
    if inv_b <= 0:
        raise GraphsError("fit gave a non-positive inverse bandwidth (sizes too small or data too noisy)")
    return max(a, 0.0) / max(steps, 1.0), 1.0 / inv_b
