"""``graphs compare``: every installed estimator on one suite (or several), scored by the MTAP rubric."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from graphs.cli_options import Format, FormatOpt, OutputOpt, PrecisionOpt
from graphs.errors import GraphsError
from graphs.documents import declare_documents

declare_documents("graphs_compare.documents")      # its JSON document models (pydantic) load on first use

SUITE_HELP = ("Suite or category: measured (= gpu: NeuSight labels, ground truth), core (ResNet-50, BERT-base, "
              "Llama-2-7B on H100/A100), llm (ML.ENERGY decode ITL on H100), accel (conv/GEMM layers on one "
              "systolic array: no ground truth), collectives (VIDUR all-reduce), or a comma list, or 'all' "
              "(the four categories).")


def _suites(arg: str) -> list[str]:
    from graphs_compare.suites import CATEGORIES, SUITES
    names = [x.strip() for x in arg.split(",") if x.strip()]
    out: list[str] = []
    for n in names:
        for m in (CATEGORIES if n == "all" else (n,)):
            if m not in SUITES:
                raise GraphsError(f"unknown suite {m!r}: expected one of {', '.join(SUITES)} or 'all'")
            if m not in out:
                out.append(m)
    if not out:
        raise GraphsError("--suite: give a suite name")
    return out


def _beside(output: Path, suite: str, many: bool, ext: str) -> Path:
    stem = output.with_suffix("").name
    return output.with_name(f"{stem}{'.' + suite if many else ''}.rows.{ext}")


def compare(
    suite: str = typer.Option("measured", "--suite", "-s", help=SUITE_HELP),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    data: Optional[Path] = typer.Option(None, "--data", help="Folder holding neusight/, mlenergy/, vidur/ "
                                                             "(default $GRAPHS_DATA or ../shared/data)."),
    store: Optional[Path] = typer.Option(None, "--store", help="core: results store with whole-model measurements to join."),
    precision: PrecisionOpt = None,
    gpus: Optional[str] = typer.Option(None, "--gpus", help="measured: only these GPU folders (comma-separated)."),
    only: Optional[str] = typer.Option(None, "--only", help="Only these estimators (comma-separated; 'recorded' = all recorded sets)."),
    no_ttfp: bool = typer.Option(False, "--no-ttfp", help="Skip the cold-start time-to-first-prediction subprocess."),
    tool_inputs: Optional[Path] = typer.Option(None, "--tool-inputs", help="Keep the tools' written inputs (and runs) in this folder."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every tool again (ignore the tool-run cache)."),
    jobs: int = typer.Option(4, "--jobs", "-j", min=1, help="Tool adapters run at the same time."),
    timeout: float = typer.Option(600.0, "--timeout", min=1.0, help="Seconds one tool run may take."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars on stderr (only when it is a terminal)."),
) -> None:
    """Run every installed estimator on a suite and score it by the MTAP rubric (D1–D5), with failure classes F1–F4.

    With -o FILE the per-row table is written beside it (FILE's stem + .rows.csv and .rows.json)."""
    from rich.markup import escape

    from graphs.cli import _plugins
    from graphs.output import check_output_path, print_renderables, write_output
    from graphs.report import console
    from graphs_compare import compare as run_compare, render, tables
    from graphs_compare.progress import for_terminal
    from graphs_compare.rendering import rows_csv, rows_json

    check_output_path(output)
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None  # noqa: E731
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    names = _suites(suite)
    gp = _plugins()
    comps = []
    for name in names:
        inputs = (tool_inputs / name) if (tool_inputs is not None and len(names) > 1) else tool_inputs
        with for_terminal(progress) as bar:
            comps.append(run_compare(name, gp, data=data, store=store, precision=precision, gpus=split(gpus),
                                     only=split(only), ttfp=not no_ttfp, tool_inputs=inputs, use_cache=not no_cache,
                                     progress=bar, jobs=jobs, timeout_s=timeout))
    many = len(comps) > 1
    from graphs.output import is_stdout
    if output is not None and not is_stdout(output):
        for comp in comps:
            write_output(rows_csv(comp), _beside(output, comp.suite.name, many, "csv"))
            write_output(rows_json(comp), _beside(output, comp.suite.name, many, "json"))
    if fmt is not Format.table:
        if fmt is Format.json:
            from graphs.documents import render as document
            write_output(document("graphs.compare", {"comparisons": [c.to_dict() for c in comps]}), output)
        else:
            write_output("\n".join(render(c, fmt.value) for c in comps), output)
        return
    if output is not None:
        print_renderables([t for c in comps for t in tables(c)], output, width=200)
        return
    con = console()
    if not con.is_terminal:
        con.width = max(con.width, 180)   # a pipe gets the whole table, not an 80-column squeeze
    for comp in comps:
        for t in tables(comp):
            con.print(t)
        for n in comp.notes:
            con.print(f"[dim]{escape(n)}[/]")
        walls = "; ".join(f"{k} {v:.1f} s" for k, v in comp.timings.items())
        con.print(f"[dim]wall time {comp.wall_s:.1f} s ({walls})[/]")
