"""What a GPU device distribution needs besides its YAML: one line of registration.

A device package's module is::

    from pathlib import Path
    from graphs_mappers_gpu.device_package import hardware_hook

    graphs_register_hardware = hardware_hook(Path(__file__).with_name("a100.yaml"),
                                             calibration=Path(__file__).with_name("calibration.yaml"))

``calibration`` (optional; ignored if the file is absent) is a :class:`graphs.calibration.Calibration`
fitted on measurements of that device (``benchmarks/fit_gpu_calibrations.py`` writes them from
``../shared/data``); it is registered with the spec and used by the engine wherever it has a curve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl


def hardware_hook(*spec_files: Path, calibration: Path | None = None) -> Callable[[Callable[..., None]], None]:
    """A ``graphs_register_hardware`` hook implementation registering ``spec_files`` (and a calibration)."""
    files = tuple(Path(f) for f in spec_files)
    cal_file = Path(calibration) if calibration is not None else None

    @hookimpl
    def graphs_register_hardware(register: Callable[..., None]) -> None:
        """Register this package's GPU spec file(s), with its calibration when it ships one."""
        cal = None
        if cal_file is not None and cal_file.exists():
            from graphs.calibration import load_calibration
            cal = load_calibration(cal_file)
        for f in files:
            if cal is not None:
                register(f, cal)
            else:
                register(f)

    return graphs_register_hardware
