"""What-if at scale: ``graphs sweep`` (a cross product of models, devices, batch sizes, precisions and
sequence lengths into Parquet, on a local process pool or a Ray cluster), ``graphs plan`` (which
device and configuration meets the constraints on the latency/energy/cost Pareto front) and
``graphs report`` (a self-contained HTML report). See docs/sweep.md.

The entry-point module is :mod:`graphs_sweep.plugin`; nothing heavy is imported here.
"""
