"""graphs device distribution: Google Cloud TPU v4 (one chip) (``accel`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
