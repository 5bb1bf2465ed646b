"""Parser of ASTRA-sim 2.0 standard output.

Lines read (with or without the spdlog prefix ``[date] [workload] [info]``)::

    sys[0] finished, 117780 cycles, exposed communication 117780 cycles.
    sys[0], Wall time: 117780
    sys[0], Comm time: 117780

In ASTRA-sim 2.0 one cycle is one nanosecond (Chakra µs durations are replayed ×1000), so
results carry ``clock_hz = 1e9``. The step time is the slowest NPU's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graphs.results import ConfidenceLevel, EstimationResult
from graphs_tools import ToolOutputError, point_result

_FINISHED = re.compile(r"sys\[(\d+)\] finished, (\d+) cycles, exposed communication (\d+) cycles\.")
_WALL = re.compile(r"sys\[(\d+)\], Wall time: (\d+)")
_COMM = re.compile(r"sys\[(\d+)\], Comm time: (\d+)")
CYCLE_HZ = 1e9


@dataclass(frozen=True)
class NpuStats:
    npu: int
    cycles: int
    exposed_comm_cycles: int
    wall_time: int | None = None
    comm_time: int | None = None


def parse_stdout_text(text: str, source: str = "<stdout>") -> list[NpuStats]:
    fin = {int(m.group(1)): (int(m.group(2)), int(m.group(3))) for m in _FINISHED.finditer(text)}
    if not fin:
        raise ToolOutputError(f"{source}: no 'sys[i] finished, N cycles, exposed communication M cycles.' line")
    wall = {int(m.group(1)): int(m.group(2)) for m in _WALL.finditer(text)}
    comm = {int(m.group(1)): int(m.group(2)) for m in _COMM.finditer(text)}
    return [NpuStats(i, c, e, wall.get(i), comm.get(i)) for i, (c, e) in sorted(fin.items())]


def parse_stdout(path: str | Path) -> list[NpuStats]:
    p = Path(path)
    if not p.exists():
        raise ToolOutputError(f"{p}: ASTRA-sim output not found")
    return parse_stdout_text(p.read_text(encoding="utf-8", errors="replace"), str(p))


def to_result(stats: list[NpuStats], *, hardware: str = "", source: str = "", notes: tuple[str, ...] = (),
              expected_npus: int | None = None) -> EstimationResult:
    """Step time = the slowest NPU's cycles; per-NPU cycles and exposed communication in metrics."""
    if expected_npus is not None and len(stats) != expected_npus:
        raise ToolOutputError(f"{source}: {len(stats)} NPUs finished, expected {expected_npus}")
    slowest = max(stats, key=lambda s: s.cycles)
    metrics = {
        "cycles": slowest.cycles, "clock_hz": CYCLE_HZ, "latency_s": slowest.cycles / CYCLE_HZ,
        "exposed_comm_cycles": slowest.exposed_comm_cycles,
        "exposed_comm_fraction": slowest.exposed_comm_cycles / slowest.cycles if slowest.cycles else 0.0,
        "npus": len(stats),
        "per_npu": [{"npu": s.npu, "cycles": s.cycles, "exposed_comm_cycles": s.exposed_comm_cycles,
                     "wall_time": s.wall_time, "comm_time": s.comm_time} for s in stats],
    }
    return point_result(slowest.cycles, "cycles", estimator="astra-sim", hardware=hardware, source=source,
                        notes=("1 cycle = 1 ns in ASTRA-sim 2.0",) + notes, metrics=metrics,
                        confidence=ConfidenceLevel.THEORETICAL)
