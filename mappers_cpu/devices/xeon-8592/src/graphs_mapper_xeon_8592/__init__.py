"""graphs device distribution: Intel Xeon Platinum 8592+ (64 cores, one socket) (``cpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
