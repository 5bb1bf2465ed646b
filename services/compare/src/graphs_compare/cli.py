"""``graphs compare``: every installed estimator on one suite, scored by the MTAP rubric."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from graphs.cli_options import Format, FormatOpt, OutputOpt, PrecisionOpt
from graphs.errors import GraphsError


def compare(
    suite: str = typer.Option("measured", "--suite", "-s", help="measured (NeuSight labels, ground truth) or core "
                              "(ResNet-50, BERT-base, Llama-2-7B on H100/A100)."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    data: Optional[Path] = typer.Option(None, "--data", help="Folder holding neusight/ (default $GRAPHS_DATA or ../shared/data)."),
    store: Optional[Path] = typer.Option(None, "--store", help="core: results store with whole-model measurements to join."),
    precision: PrecisionOpt = None,
    gpus: Optional[str] = typer.Option(None, "--gpus", help="measured: only these GPU folders (comma-separated)."),
    only: Optional[str] = typer.Option(None, "--only", help="Only these estimators (comma-separated; 'recorded' = all recorded sets)."),
    no_ttfp: bool = typer.Option(False, "--no-ttfp", help="Skip the cold-start time-to-first-prediction subprocess."),
    tool_inputs: Optional[Path] = typer.Option(None, "--tool-inputs", help="Keep the tools' written inputs (and runs) in this folder."),
) -> None:
    """Run every installed estimator on a suite and score it by the MTAP rubric (D1–D5), with failure classes F1–F4."""
    from rich.markup import escape

    from graphs.cli import _plugins
    from graphs.output import check_output_path, print_renderables, write_output
    from graphs.report import console
    from graphs_compare import compare as run_compare, render, tables

    check_output_path(output)
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None  # noqa: E731
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    comp = run_compare(suite, _plugins(), data=data, store=store, precision=precision, gpus=split(gpus),
                       only=split(only), ttfp=not no_ttfp, tool_inputs=tool_inputs)
    if fmt is not Format.table:
        write_output(render(comp, fmt.value), output)
        return
    if output is not None:
        print_renderables(tables(comp), output, width=200)
        return
    con = console()
    if not con.is_terminal:
        con.width = max(con.width, 180)   # a pipe gets the whole table, not an 80-column squeeze
    for t in tables(comp):
        con.print(t)
    for n in comp.notes:
        con.print(f"[dim]{escape(n)}[/]")
