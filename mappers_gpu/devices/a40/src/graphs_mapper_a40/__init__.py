"""graphs device distribution: NVIDIA A40 48GB (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
