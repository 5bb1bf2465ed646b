"""``graphs analyze``: one forward pass of a model on one or more devices."""

from __future__ import annotations

from typing import Callable, Optional

import typer

from graphs import hookimpl
from graphs.cli_options import (BatchOpt, CalibrationOpt, Format, FormatOpt, HardwareListOpt, InputShapeOpt,
                                KernelsOpt, ModelArg, OutputOpt, PrecisionOpt, SeqLenOpt)


def analyze(
    model: ModelArg,
    hardware: HardwareListOpt,
    precision: PrecisionOpt = None,
    batch: BatchOpt = 1,
    seq_len: SeqLenOpt = None,
    input_shape: InputShapeOpt = None,
    fusion: str = typer.Option("auto", help="auto (the mapper's default), default, or none."),
    runtime: Optional[str] = typer.Option(None, "--runtime", help="eager (one kernel launch per op), graph "
                                          "(compiled/captured, no host gaps) or roofline; default: each family's "
                                          "own (GPU/CPU eager, accelerators and NPUs graph)."),
    quantize: Optional[str] = typer.Option(None, "--quantize", help="int8: post-training quantization of weights "
                                           "and activations before estimating (stated in the result)."),
    fmt: FormatOpt = Format.table,
    kernels: KernelsOpt = 8,
    output: OutputOpt = None,
    calibration: CalibrationOpt = None,
    layers: bool = typer.Option(False, "--layers", help="Per-layer view: module path, op, output shape, parameters, "
                                "MACs, FLOPs, bytes, time and bound (like torchinfo); also in -f json/csv."),
    depth: Optional[int] = typer.Option(None, "--depth", min=0, help="With --layers: module rows down to this "
                                        "path depth (deeper modules fold in); default every module and its kernels."),
    timeout: float = typer.Option(30.0, "--timeout", min=1.0,
                                  help="Seconds a .py model file's own code may run (it is arbitrary code: import, "
                                       "factory, trace) before the command gives up."),
) -> None:
    """Estimate one forward pass of MODEL on one or more devices (LLM serving: `graphs serve`; training: `graphs train`)."""
    from graphs.api import run_analyze
    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.frontends import LoadOptions, parse_input_specs
    from graphs.output import check_output_path, note_input, print_renderables, write_output
    from graphs.report import estimate_table, kernel_table, results_csv, results_json, results_markdown

    for read in (model, model.rpartition(":")[0], calibration):   # -o must not be a file this command reads
        if read:
            note_input(read)
    check_output_path(output)
    shapes, dtypes = parse_input_specs(input_shape)
    opts = LoadOptions(batch=batch, seq_len=seq_len, input_shapes=shapes, input_dtypes=dtypes, timeout_s=timeout)
    gp = _plugins()
    from graphs.progress import for_terminal
    with for_terminal() as bar:        # the same code path as graphs.analyze() (graphs.api)
        hw_ids = list(dict.fromkeys(h.strip() for item in hardware for h in item.split(",") if h.strip()))
        results = run_analyze(model, hw_ids, options=opts, precision=precision, fusion=fusion,
                              runtime=runtime, quantize=quantize, calibration=calibration, layers=layers,
                              depth=depth, plugins=gp, progress=bar)
    per_layer = [r.layers for r in results] if layers else []
    if fmt is Format.json:
        write_output(results_json(results), output)
    elif per_layer and fmt in (Format.csv, Format.markdown):
        from graphs.report import csv_number as n
        from graphs.report import markdown_table, rows_csv
        header = ("hardware", "path", "depth", "op", "output_shape", "parameters", "macs", "flops", "bytes",
                  "time_s", "share", "bound", "kernels")
        body = [(r.metrics.get("hardware"), x.path, x.depth, x.op,
                 "x".join(map(str, x.output_shape)) if x.output_shape else "", x.parameters, n(x.macs),
                 n(x.flops), n(x.bytes), n(x.time_s), n(x.share), x.bound or "", x.kernels)
                for r, rows in zip(results, per_layer) for x in rows]
        write_output(rows_csv(header, body) if fmt is Format.csv else markdown_table(header, body), output)
    elif fmt is Format.csv:
        write_output(results_csv(results), output)
    elif fmt is Format.markdown:
        write_output(results_markdown(results), output)
    else:
        from graphs.tables import terminal_width
        width = terminal_width(output)
        shown = [estimate_table(results)]
        if per_layer:
            from graphs.layers import layers_table
            shown += [layers_table(rows, r, width) for r, rows in zip(results, per_layer)]
        elif kernels:
            shown += [kernel_table(r, kernels, width) for r in results]
        print_renderables(shown, output)
    warn_failed_plugins(gp)


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs analyze``."""
    register(analyze)
