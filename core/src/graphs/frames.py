"""pandas DataFrames of results (pandas is optional: ``pip install pandas`` or ``graphs-core[pandas]``).

pandas is imported here, on first use, never by ``import graphs``.
"""

from __future__ import annotations

from typing import Any, Iterable

from graphs.errors import GraphsError
from graphs.results import EstimationResult

#: the columns of :meth:`EstimationResult.to_dataframe` (one row per kernel of the breakdown)
KERNEL_COLUMNS = ("name", "kind", "category", "nodes", "flops", "bytes", "time_s", "low_s", "high_s", "share",
                  "bound", "confidence", "unit", "precision", "level", "peak_flops", "level_bandwidth", "energy_j")
#: the columns of ``to_dataframe(what="layers")`` (the per-layer view)
LAYER_COLUMNS = ("path", "depth", "op", "output_shape", "parameters", "macs", "flops", "bytes", "time_s", "share",
                 "bound", "kernels")


class MissingPandasError(GraphsError):
    """pandas is needed for a DataFrame and is not installed."""


def pandas() -> Any:
    """The pandas module, or a one-line error saying how to install it."""
    try:
        import pandas as pd
    except ImportError:
        raise MissingPandasError("DataFrames need pandas, which is not installed: pip install pandas "
                                 "(or pip install 'graphs-core[pandas]')") from None
    return pd


def result_frame(result: EstimationResult, what: str = "kernels") -> Any:
    """One row per kernel (``kernels``) or per per-layer row (``layers``) of ``result``."""
    if what not in ("kernels", "layers"):
        raise GraphsError(f"to_dataframe(what={what!r}): expected 'kernels' or 'layers'")
    pd = pandas()
    if what == "layers":
        if not result.layers:
            raise GraphsError("this result has no per-layer rows: analyze with layers=True (graphs analyze --layers)")
        return pd.DataFrame([x.to_dict() for x in result.layers], columns=list(LAYER_COLUMNS))
    rows = []
    for k in result.breakdown:
        d = k.to_dict()
        d["nodes"] = len(k.nodes)
        d["share"] = k.time_s / result.value if result.value else None
        rows.append(d)
    return pd.DataFrame(rows, columns=list(KERNEL_COLUMNS))


def results_frame(results: EstimationResult | Iterable[EstimationResult]) -> Any:
    """One row per result (:meth:`EstimationResult.summary`), in the order given."""
    if isinstance(results, EstimationResult):
        results = [results]
    rows = []
    for r in results:
        if not isinstance(r, EstimationResult):
            raise GraphsError(f"to_dataframe: expected EstimationResult(s), got {type(r).__name__}")
        rows.append(r.summary())
    return pandas().DataFrame(rows, columns=list(SUMMARY_COLUMNS))


#: the columns of :func:`graphs.to_dataframe` (the keys of :meth:`EstimationResult.summary`)
SUMMARY_COLUMNS = ("model", "hardware", "hardware_name", "precision", "runtime", "latency_s", "low_s", "high_s",
                    "confidence", "flops", "bytes", "parameters", "parameter_bytes", "peak_activation_bytes",
                    "memory_bytes", "device_memory_bytes", "fits", "kernels", "estimator", "energy_j",
                    "achieved_flops_per_s")
