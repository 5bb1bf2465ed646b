"""graphs device distribution: Google Coral Dev Board (Edge TPU + NXP i.MX 8M) (``edge`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
