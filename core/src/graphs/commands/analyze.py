"""``graphs analyze``: one forward pass of a model on one or more devices."""

from __future__ import annotations

from typing import Callable, Optional

import typer

from graphs import hookimpl
from graphs.cli_options import (BatchOpt, CalibrationOpt, Format, FormatOpt, HardwareListOpt, InputShapeOpt,
                                KernelsOpt, ModelArg, OutputOpt, PrecisionOpt, SeqLenOpt)
from graphs.errors import GraphsError


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
    timeout: float = typer.Option(30.0, "--timeout", min=1.0,
                                  help="Seconds a .py model file's own code may run (it is arbitrary code: import, "
                                       "factory, trace) before the command gives up."),
) -> None:
    """Estimate one forward pass of MODEL on one or more devices (LLM serving: `graphs serve`; training: `graphs train`)."""
    from graphs.cli import _plugins, warn_failed_plugins
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model, parse_input_shapes
    from graphs.output import check_output_path, print_renderables, write_output
    from graphs.report import estimate_table, kernel_table, results_csv, results_json, results_markdown

    if fusion not in ("auto", "default", "none"):
        raise GraphsError(f"--fusion {fusion!r}: expected auto, default or none")
    from graphs.output import note_input
    for read in (model, model.rpartition(":")[0], calibration):   # -o must not be a file this command reads
        if read:
            note_input(read)
    check_output_path(output)
    gp = _plugins()
    hw_ids = [h.strip() for h in hardware.split(",") if h.strip()]
    if not hw_ids:
        raise GraphsError("--hardware: give at least one hardware id (see `graphs hardware list`)")
    for h in hw_ids:
        gp.hardware_entry(h)  # fail fast on unknown hardware, before tracing
    cal = None
    if calibration is not None:
        from graphs.calibration import load_calibration
        cal = load_calibration(calibration)
        other = [h for h in hw_ids if gp.hardware_entry(h).spec.id != cal.device]
        if other:
            raise GraphsError(f"--calibration {calibration.name} is for {cal.device!r}, not {', '.join(other)}")
    opts = LoadOptions(batch=batch, seq_len=seq_len, input_shapes=parse_input_shapes(input_shape), timeout_s=timeout)
    graph = load_model(model, opts, gp)
    results = [estimate(graph, h, gp, fusion=fusion, precision=precision, calibration=cal, runtime=runtime,
                        quantize=quantize) for h in hw_ids]
    if fmt is Format.json:
        write_output(results_json(results), output)
    elif fmt is Format.csv:
        write_output(results_csv(results), output)
    elif fmt is Format.markdown:
        write_output(results_markdown(results), output)
    else:
        shown = [estimate_table(results)] + ([kernel_table(r, kernels) for r in results] if kernels else [])
        print_renderables(shown, output)
    warn_failed_plugins(gp)


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs analyze``."""
    register(analyze)
