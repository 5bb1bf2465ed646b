"""Which memory level feeds a kernel, and at what bandwidth.

Assumption (documented in docs/mappers/gpu.md): a kernel whose whole working set (its
external reads plus writes) fits in one L2 partition's share of the L2 is served from L2 —
its inputs were just written by the previous kernel or read by the previous run, and L2 is
write-back. Otherwise it streams from main memory (HBM/GDDR) at the spec bandwidth.
Evidence: NeuSight's A100 elementwise kernels with 20-40 MB working sets (inside the 40 MB
L2 but above one 20 MB partition) run at HBM speed, while smaller ones run faster than HBM
allows (``../shared/data/neusight/kernels/train/add/NVIDIA_A100-PCIE-40GB.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs_mappers_gpu.device import GPUDevice


@dataclass(frozen=True)
class MemoryRate:
    level: str          # "l2" or "hbm"
    bandwidth: float    # B/s


def memory_rate(working_set: float, device: GPUDevice) -> MemoryRate:
    """Bandwidth for a kernel with ``working_set`` bytes of external traffic."""
    if device.l2_bandwidth and 0 < working_set <= device.l2_resident_bytes:
        return MemoryRate("l2", max(device.l2_bandwidth, device.hbm_bandwidth))
    return MemoryRate("hbm", device.hbm_bandwidth)
