"""graphs device distribution: AMD Instinct MI250X (one GCD) (``gpu`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
