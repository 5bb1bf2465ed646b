"""Option definitions shared by every command (core's and plugins'): one spelling, one help text.

    from graphs.cli_options import FormatOpt, OutputOpt, HardwareOpt, Format, check_format

    def my_command(hardware: HardwareOpt, fmt: FormatOpt = Format.table, output: OutputOpt = None): ...

``--format/-f`` is table, json, csv or markdown (a command that cannot give one says so with
:func:`check_format`); ``--output/-o FILE`` writes there atomically (``-``: stdout) through
:mod:`graphs.output`.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer


from graphs.errors import GraphsError


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def check_format(fmt: Format, allowed: tuple[str, ...], command: str) -> None:
    """One-line error when ``command`` cannot write ``fmt``."""
    if fmt.value not in allowed:
        raise GraphsError(f"{command}: --format {fmt.value} is not available (use {', '.join(allowed)})")


def complete_hardware(incomplete: str) -> list[str]:
    """Shell completion of ``-H``: installed device ids (after the last comma for a list)."""
    head, _, last = incomplete.rpartition(",")
    try:
        from graphs.plugins import get_plugins
        ids = sorted(get_plugins().hardware)
    except Exception:          # completion must never print a traceback into the shell
        return []
    return [f"{head},{i}" if head else i for i in ids if i.startswith(last.lower())]


def complete_model(incomplete: str) -> list[str]:
    """Shell completion of MODEL: zoo names (files are completed by the shell itself)."""
    try:
        from graphs.plugins import get_plugins
        names = sorted(e.name for e, _ in get_plugins().models.values())
    except Exception:
        return []
    return [n for n in names if n.startswith(incomplete.lower())]


HardwareOpt = Annotated[str, typer.Option("--hardware", "-H", autocompletion=complete_hardware,
                                          help="Hardware id (see `graphs hardware list`) or a spec YAML file.")]
HardwareListOpt = Annotated[list[str], typer.Option("--hardware", "-H", autocompletion=complete_hardware,
                                                    help="Hardware id(s) or spec YAML files; repeat -H or "
                                                         "comma-separate them to compare.")]
def check_output_option(value: Optional[Path]) -> Optional[Path]:
    """``-o`` is checked when the command line is read, before any work (a folder that does not exist,
    a read-only file, a directory)."""
    if value is not None:
        from graphs.output import check_output_path
        check_output_path(value)
    return value


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json, csv or markdown.")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", callback=check_output_option,
                                                   help="Write to this file (atomically) instead of stdout; - for stdout.")]
StoreOpt = Annotated[Optional[Path], typer.Option("--store", help="Results store (default $GRAPHS_STORE or ~/.local/share/graphs/results.sqlite).")]
CalibrationOpt = Annotated[Optional[Path], typer.Option("--calibration", help="Use this calibration file (default: yours from `graphs calibrate`, else the device's own).")]
PrecisionOpt = Annotated[Optional[str], typer.Option("--precision", help="Run at this precision (fp32, tf32, bf16, fp16, fp8, int8 ...).")]
MAX_BATCH = 2**31 - 1
MAX_SEQ = 2**24
BatchOpt = Annotated[int, typer.Option("--batch", min=1, max=MAX_BATCH, help="Batch size.")]
SeqLenOpt = Annotated[Optional[int], typer.Option("--seq-len", min=1, max=MAX_SEQ, help="Sequence length for sequence models.")]
InputShapeOpt = Annotated[Optional[List[str]], typer.Option("--input-shape", help="NAME=1x3x224x224, with a dtype: "
                                                             "NAME=1x128:int64 (repeatable).")]
KernelsOpt = Annotated[int, typer.Option("--kernels", min=0, help="Show the N slowest kernels in table output (0: none).")]
ModelArg = Annotated[str, typer.Argument(autocompletion=complete_model,
                                         help="Zoo name, .onnx/.tflite path, or path/to/file.py:factory.")]
