"""graphs device distribution: Intel Gaudi 2 (OAM) (``accel`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
