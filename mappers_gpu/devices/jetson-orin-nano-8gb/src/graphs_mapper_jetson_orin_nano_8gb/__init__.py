"""graphs device distribution: NVIDIA Jetson Orin Nano 8GB (GPU, 15 W, 625 MHz) (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
