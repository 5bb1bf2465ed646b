"""Public measurement data sets: import into the results store, device-name mapping, model labels
and whole-model validation (see docs/accuracy/gpu_public_data.md).

* :mod:`graphs_datasets.public` — :func:`~graphs_datasets.public.import_public_data`
* :mod:`graphs_datasets.devices` — data-set device names -> catalog ids
* :mod:`graphs.kernels` — measured ops as core Kernels
* :mod:`graphs_datasets.labels` — NeuSight-style model labels (per-op CSV + model JSON)
* :mod:`graphs_datasets.samples` — kernel-level fitting samples from a store or a data folder
* :mod:`graphs_datasets.validate` — :func:`~graphs_datasets.validate.validate_dir`
"""
