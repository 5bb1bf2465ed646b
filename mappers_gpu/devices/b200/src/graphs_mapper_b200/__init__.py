"""graphs device distribution: NVIDIA B200 SXM 180GB (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
