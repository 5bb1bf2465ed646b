"""graphs device distribution: NVIDIA Jetson Orin NX 16GB (GPU, 918 MHz) (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
