"""The tool-comparison harness (GUIDE §5, MTAP): every estimator on the same rows, scored D1–D5.

    from graphs.compare import compare, render
    c = compare("measured")          # NeuSight inference labels with ground truth
    print(render(c, "markdown"))     # or "json", "csv"; `graphs compare` prints rich tables

See ``docs/compare.md`` for the rubric as implemented and how each dimension's evidence is gathered.
"""

from graphs.compare.harness import Comparison, compare, score_run
from graphs.compare.model import FAILURE_CLASSES, EstimatorRun, Grade, Outcome, Row, Scorecard
from graphs.compare.render import FORMATS, render, tables
from graphs.compare.rubric import DIMENSIONS, WEIGHTS
from graphs.compare.suites import SUITES, Suite, core_suite, measured_suite

__all__ = ["Comparison", "compare", "score_run", "render", "tables", "FORMATS", "FAILURE_CLASSES", "EstimatorRun",
           "Grade", "Outcome", "Row", "Scorecard", "DIMENSIONS", "WEIGHTS", "SUITES", "Suite", "core_suite",
           "measured_suite"]
