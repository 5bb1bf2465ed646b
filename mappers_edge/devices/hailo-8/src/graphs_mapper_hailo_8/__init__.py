"""graphs device distribution: Hailo-8 on Raspberry Pi 5 (AI HAT+ 26 TOPS) (``edge`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
