"""graphs device distribution: Apple M4 Max CPU (12P+4E, 128 GB) (``cpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
