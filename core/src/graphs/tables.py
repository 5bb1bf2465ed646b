"""Tables that stay readable at any terminal width: columns are dropped by priority, not squeezed.

    from graphs.tables import Col, fit_table
    t = fit_table("44 devices", [Col("id", 0), Col("name", 5, wrap=True, min_width=16), Col("fp32", 1, "right")],
                  rows, width=console().width)

Each column has a priority (0 = always shown; higher = dropped first). The table's natural width
is measured from its cells; columns that may wrap shrink to their ``min_width`` first; then the
highest-priority-number columns are dropped until it fits, and the caption says which (a wider
terminal, ``-f csv`` or ``-f json`` shows everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Col:
    header: str
    priority: int = 0
    justify: str = "left"
    wrap: bool = False              # may fold onto several lines (long text)
    min_width: int = 12             # the narrowest a wrapping column goes
    max_width: Optional[int] = None


def _cell_width(value: Any) -> int:
    s = value.plain if isinstance(value, Text) else str(value)
    return max((cell_len(line) for line in s.split("\n")), default=0)


def layout(cols: Sequence[Col], rows: Sequence[Sequence[Any]], width: int) -> tuple[list[int], list[int]]:
    """(indices of the columns kept, their widths) so the table fits ``width`` terminal cells."""
    natural = []
    for i, c in enumerate(cols):
        w = max([cell_len(c.header)] + [_cell_width(r[i]) for r in rows])
        natural.append(min(w, c.max_width) if c.max_width else w)
    keep = list(range(len(cols)))

    def total(ws: dict[int, int]) -> int:
        return sum(ws[i] for i in keep) + 3 * len(keep) + 1      # "│ x " per column, one closing border

    while True:
        ws = {i: natural[i] for i in keep}
        if total(ws) <= width:
            return keep, [ws[i] for i in keep]
        for i in keep:                                # wrapping columns give way first
            if cols[i].wrap:
                ws[i] = min(natural[i], max(cols[i].min_width, cell_len(cols[i].header)))
        if total(ws) <= width:
            spare = width - total(ws)                 # hand the room left back to the wrapping columns
            for i in keep:
                if cols[i].wrap and spare > 0:
                    add = min(spare, natural[i] - ws[i])
                    ws[i] += add
                    spare -= add
            return keep, [ws[i] for i in keep]
        droppable = [i for i in keep if cols[i].priority > 0]
        if not droppable:
            return keep, [ws[i] for i in keep]        # only essential columns left: rich folds what it must
        keep.remove(max(droppable, key=lambda i: (cols[i].priority, i)))


def fit_table(title: str, cols: Sequence[Col], rows: Sequence[Sequence[Any]], width: int,
              caption: str | None = None, **table_kw: Any) -> Table:
    """A rich Table of ``rows`` that fits ``width`` (see the module doc)."""
    keep, widths = layout(cols, rows, width)
    hidden = [cols[i].header for i in range(len(cols)) if i not in keep]
    note = f"not shown at {width} columns: {', '.join(hidden)} (-f csv or -f json has them)" if hidden else None
    cap = "\n".join(x for x in (caption, note) if x) or None
    t = Table(title=title, title_justify="left", caption=cap, caption_justify="left", **table_kw)
    for i, w in zip(keep, widths):
        c = cols[i]
        t.add_column(c.header, justify=c.justify, overflow="fold", no_wrap=not c.wrap,  # type: ignore[arg-type]
                     max_width=w if c.wrap else None, min_width=min(w, c.min_width) if c.wrap else None)
    for r in rows:
        t.add_row(*[r[i] if isinstance(r[i], Text) else Text(str(r[i])) for i in keep])   # text, not markup
    return t


def terminal_width(output: Any = None) -> int:
    """The width to lay tables out for: the terminal's, or 120 when writing to a file."""
    from graphs.output import is_stdout
    if not is_stdout(output):
        return 120
    from graphs.output import console
    return console().width
