"""graphs device distribution: Apple M2 Max CPU (8P+4E, Mac Studio 2023, 32 GB) (``cpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
