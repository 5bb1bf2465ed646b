"""The one way a device distribution registers itself: its data files and one line of code.

A device distribution is a package holding its spec (``<id>.yaml``), optionally the calibration
fitted on measurements of it (``calibration.yaml``), and an ``__init__.py`` of one line::

    from graphs.hardware.package import device_hook
    graphs_register_hardware = device_hook(__name__)

with an entry point in group ``graphs`` naming the package. Every family (gpu, cpu, accel, edge
or a third party's) uses this; ``graphs hardware new`` and ``scripts/gen_packaging.py`` write it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from graphs.hookspecs import hookimpl

CALIBRATION_FILE = "calibration.yaml"


def package_files(module_name: str) -> tuple[list[Path], Path | None]:
    """(spec files, calibration file or None) of an imported device package."""
    mod = sys.modules[module_name]
    folder = Path(mod.__file__).parent
    specs = sorted(p for p in folder.glob("*.yaml") if p.name != CALIBRATION_FILE)
    cal = folder / CALIBRATION_FILE
    return specs, (cal if cal.is_file() else None)


def spec_file(module_name: str) -> Path:
    """The (first) spec YAML of the installed device package ``module_name`` (imported if needed)."""
    import importlib
    importlib.import_module(module_name)
    specs, _ = package_files(module_name)
    if not specs:
        raise FileNotFoundError(f"{module_name} holds no spec YAML")
    return specs[0]


def device_hook(module_name: str) -> Callable[[Callable[..., None]], None]:
    """A ``graphs_register_hardware`` implementation for the device package ``module_name``: each
    spec YAML in the package, with the package's ``calibration.yaml`` (read on first use) if any."""

    @hookimpl
    def graphs_register_hardware(register: Callable[..., None]) -> None:
        """Register this package's spec file(s) (and its calibration, read on first use)."""
        specs, cal = package_files(module_name)
        for f in specs:
            register(f, cal)

    graphs_register_hardware.__module__ = module_name
    return graphs_register_hardware
