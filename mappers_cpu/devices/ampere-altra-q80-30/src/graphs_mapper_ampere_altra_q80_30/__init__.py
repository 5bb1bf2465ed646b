"""graphs device distribution: Ampere Altra Q80-30 (80 cores, one socket) (``cpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
