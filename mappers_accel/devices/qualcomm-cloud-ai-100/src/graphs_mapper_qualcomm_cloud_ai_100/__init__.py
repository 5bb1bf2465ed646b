"""graphs device distribution: Qualcomm Cloud AI 100 Pro (PCIe HHHL) (``accel`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
