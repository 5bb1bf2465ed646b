"""graphs device distribution: NVIDIA H100 PCIe 80GB (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
