"""Public measurement data sets: import into the results store, device-name mapping, model labels
and whole-model validation (see docs/accuracy/gpu_public_data.md).

* :mod:`graphs.datasets.public` — :func:`~graphs.datasets.public.import_public_data`
* :mod:`graphs.datasets.devices` — data-set device names -> catalog ids
* :mod:`graphs.datasets.kernels` — measured ops as core Kernels
* :mod:`graphs.datasets.labels` — NeuSight-style model labels (per-op CSV + model JSON)
* :mod:`graphs.datasets.samples` — kernel-level fitting samples from a store or a data folder
* :mod:`graphs.datasets.validate` — :func:`~graphs.datasets.validate.validate_dir`
"""
