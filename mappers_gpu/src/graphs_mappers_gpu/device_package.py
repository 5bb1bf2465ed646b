"""What a GPU device distribution needs besides its YAML: one line of registration.

A device package's module is::

    from pathlib import Path
    from graphs_mappers_gpu.device_package import hardware_hook

    graphs_register_hardware = hardware_hook(Path(__file__).with_name("a100.yaml"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl


def hardware_hook(*spec_files: Path) -> Callable[[Callable[..., None]], None]:
    """A ``graphs_register_hardware`` hook implementation registering ``spec_files``."""
    files = tuple(Path(f) for f in spec_files)

    @hookimpl
    def graphs_register_hardware(register: Callable[..., None]) -> None:
        """Register this package's GPU spec file(s)."""
        for f in files:
            register(f)

    return graphs_register_hardware
