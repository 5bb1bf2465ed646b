"""graphs adapter for llm-analysis (entry point ``llm-analysis`` in group ``graphs``); llm-analysis itself
lives in its own environment (``graphs tools install llm-analysis``) and is run through
``llm_analysis_driver.py``.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "LLMAnalysisAdapter": ("graphs_llm_analysis.adapter", "LLMAnalysisAdapter"),
    "PACKAGE": ("graphs_llm_analysis.adapter", "PACKAGE"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
