"""graphs device distribution: Rockchip RK3588 NPU (6 TOPS) with Cortex-A76 fallback (``edge`` family). Data plus this line."""

from graphs.hardware.package import device_hook

graphs_register_hardware = device_hook(__name__)
