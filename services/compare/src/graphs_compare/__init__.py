"""The tool-comparison harness (GUIDE §5, MTAP): every estimator on the same rows, scored D1–D5.

    from graphs_compare import compare, render
    c = compare("measured")          # NeuSight inference labels with ground truth (category name: "gpu")
    c = compare("llm")               # ML.ENERGY decode rows: graphs vs GenZ vs llm-analysis
    print(render(c, "markdown"))     # or "json", "csv"; `graphs compare` prints rich tables

See ``docs/compare.md`` for the rubric as implemented and how each dimension's evidence is gathered.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "Comparison": ("graphs_compare.harness", "Comparison"),
    "DIMENSIONS": ("graphs_compare.rubric", "DIMENSIONS"),
    "EstimatorRun": ("graphs_compare.model", "EstimatorRun"),
    "FAILURE_CLASSES": ("graphs_compare.model", "FAILURE_CLASSES"),
    "FORMATS": ("graphs_compare.rendering", "FORMATS"),
    "Grade": ("graphs_compare.model", "Grade"),
    "Outcome": ("graphs_compare.model", "Outcome"),
    "Row": ("graphs_compare.model", "Row"),
    "SUITES": ("graphs_compare.suites", "SUITES"),
    "Scorecard": ("graphs_compare.model", "Scorecard"),
    "Suite": ("graphs_compare.suites", "Suite"),
    "WEIGHTS": ("graphs_compare.rubric", "WEIGHTS"),
    "CATEGORIES": ("graphs_compare.suites", "CATEGORIES"),
    "accel_suite": ("graphs_compare.categories", "accel_suite"),
    "build_suite": ("graphs_compare.harness", "build_suite"),
    "collectives_suite": ("graphs_compare.categories", "collectives_suite"),
    "compare": ("graphs_compare.harness", "compare"),
    "llm_suite": ("graphs_compare.categories", "llm_suite"),
    "rows_csv": ("graphs_compare.rendering", "rows_csv"),
    "rows_json": ("graphs_compare.rendering", "rows_json"),
    "rows_table": ("graphs_compare.rendering", "rows_table"),
    "core_suite": ("graphs_compare.suites", "core_suite"),
    "measured_suite": ("graphs_compare.suites", "measured_suite"),
    "render": ("graphs_compare.rendering", "render"),
    "score_run": ("graphs_compare.harness", "score_run"),
    "tables": ("graphs_compare.rendering", "tables"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
