"""NVIDIA Jetson Orin Nano 8GB (GPU) for graphs: a spec file registered against the ``gpu`` family."""

from pathlib import Path

from graphs_mappers_gpu.device_package import hardware_hook

SPEC = Path(__file__).with_name("jetson-orin-nano-8gb.yaml")
graphs_register_hardware = hardware_hook(SPEC)
