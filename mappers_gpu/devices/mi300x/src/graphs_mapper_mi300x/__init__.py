"""graphs device distribution: AMD Instinct MI300X 192GB (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
