"""Can a tool express a row (F4 otherwise), and the tool's workload for the rows it can.

Both questions go to the installed adapter itself (``compare_scope(row, plugins)`` and
``compare_job(row, suite, plugins)``, see :class:`graphs_tools.BaseToolAdapter`): the harness
iterates over whatever adapters are installed and knows none by name, so uninstalling an adapter
removes it from ``graphs compare`` as uninstalling a device removes it from ``graphs hardware list``.
"""

from __future__ import annotations

from typing import Any

from graphs.errors import GraphsError
from graphs_compare.model import Row


def out_of_scope(name: str, row: Row, plugins: Any, adapter: Any) -> str | None:
    """None if ``adapter`` can express ``row``, else the reason (its own words)."""
    own = getattr(adapter, "compare_scope", None)
    if not callable(own):
        return f"the {name} adapter declares no comparison scope (no compare_scope method)"
    try:
        return own(row, plugins)
    except ImportError as e:
        return f"cannot check {name}'s scope: {e}"


def make_job(name: str, row: Row, suite: Any, plugins: Any, adapter: Any) -> Any:
    """The tool's workload for ``row``; GraphsError (incl. ToolInputError) when it cannot be written."""
    own = getattr(adapter, "compare_job", None)
    if not callable(own):
        raise GraphsError(f"the {name} adapter writes no workload for comparison rows like {row.key}")
    return own(row, suite, plugins)
