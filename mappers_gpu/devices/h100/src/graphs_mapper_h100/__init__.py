"""NVIDIA H100 SXM5 80GB for graphs: a spec file registered against the ``gpu`` family."""

from pathlib import Path

from graphs_mappers_gpu.device_package import hardware_hook

SPEC = Path(__file__).with_name("h100.yaml")
graphs_register_hardware = hardware_hook(SPEC, calibration=Path(__file__).with_name("calibration.yaml"))
