"""graphs device distribution: NVIDIA T4 16GB (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
