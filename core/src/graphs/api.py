"""The Python API: what the ``graphs`` commands do, as functions (docs/api.md).

    import graphs
    r = graphs.analyze("resnet18", "h100", batch=8)        # one device: one EstimationResult
    rs = graphs.analyze("resnet18", ["h100", "l4"])         # several: a list, in that order

``graphs analyze`` calls :func:`run_analyze` too — the command line only parses its options, checks
``-o`` and renders — so the CLI and the API cannot give different numbers. Errors are
:class:`graphs.errors.GraphsError` subclasses carrying the one-line message the CLI prints.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Union

from graphs.errors import GraphsError
from graphs.frontends import DTYPE_ALIASES, LoadOptions

if TYPE_CHECKING:
    from graphs.calibration import Calibration
    from graphs.ir import Graph
    from graphs.plugins import GraphsPlugins
    from graphs.progress import NullProgress
    from graphs.results import EstimationResult

__all__ = ["analyze", "load", "run_analyze", "to_dataframe", "to_json"]

FUSIONS = ("auto", "default", "none")
ShapeLike = Union[str, Sequence[int]]
InputShapes = Union[Mapping[str, ShapeLike], Sequence[str], Sequence[int], None]


# --- the code path shared with `graphs analyze` ---------------------------------------------------
def run_analyze(model: Any, hardware: Sequence[str], *, options: LoadOptions, example_inputs: Any = None,
                precision: Optional[str] = None, fusion: str = "auto", runtime: Optional[str] = None,
                quantize: Optional[str] = None, calibration: Union[str, Path, "Calibration", None] = None,
                layers: bool = False, depth: Optional[int] = None, plugins: Optional["GraphsPlugins"] = None,
                progress: Optional["NullProgress"] = None) -> list["EstimationResult"]:
    """Load ``model`` once and estimate it on every device of ``hardware`` (ids, aliases or spec files),
    in order: what ``graphs analyze`` and :func:`analyze` both run. Everything that can be checked
    without the model (fusion, devices, calibration, depth) is checked before it is loaded."""
    from graphs.estimate import estimate
    from graphs.plugins import get_plugins
    from graphs.progress import NullProgress

    gp = plugins or get_plugins()
    bar = progress or NullProgress()
    if fusion not in FUSIONS:
        raise GraphsError(f"--fusion {fusion!r}: expected auto, default or none")
    hw_ids = [h.strip() for h in hardware if h.strip()]
    if not hw_ids:
        raise GraphsError("--hardware: give at least one hardware id (see `graphs hardware list`)")
    for h in hw_ids:
        gp.hardware_entry(h)  # fail fast on unknown hardware, before tracing
    cal = None
    if calibration is not None:
        from graphs.calibration import Calibration, load_calibration
        cal = calibration if isinstance(calibration, Calibration) else load_calibration(calibration)
        other = [h for h in hw_ids if gp.hardware_entry(h).spec.id != cal.device]
        if other:
            name = Path(calibration).name if isinstance(calibration, (str, Path)) else f"(of {cal.device})"
            raise GraphsError(f"--calibration {name} is for {cal.device!r}, not {', '.join(other)}")
    if depth is not None and not layers:
        raise GraphsError("--depth goes with --layers (the per-layer view)")
    with bar.step(f"loading {_describe(model)}"):
        graph = load(model, options=options, example_inputs=example_inputs, plugins=gp)
    task = bar.task("estimating", total=len(hw_ids))
    results = []
    for h in hw_ids:
        results.append(estimate(graph, h, gp, fusion=fusion, precision=precision, calibration=cal,
                                runtime=runtime, quantize=quantize))
        bar.advance(task, note=h)
    if layers:
        from graphs.layers import layer_rows
        results = [replace(r, layers=tuple(layer_rows(graph, r, gp, depth))) for r in results]
    return results


def _describe(model: Any) -> str:
    if isinstance(model, (str, Path)):
        return str(model)
    name = getattr(model, "name", None)
    return name if isinstance(name, str) and name else type(model).__name__


# --- the API ---------------------------------------------------------------------------------------
def load(model: Any, *, batch: int = 1, seq_len: Optional[int] = None, input_shapes: InputShapes = None,
         input_dtypes: Optional[Mapping[str, str]] = None, example_inputs: Any = None,
         timeout: Optional[float] = 30.0, options: Optional[LoadOptions] = None,
         plugins: Optional["GraphsPlugins"] = None) -> "Graph":
    """A model as a :class:`graphs.ir.Graph` (what ``graphs analyze`` estimates).

    :param model: a zoo name (``"resnet18"``), a model file (``.onnx``, ``.tflite``: detected from its bytes),
        ``"path/to/file.py:factory"``, a :class:`~graphs.ir.Graph` (returned as is), or an object a frontend
        accepts — a torch ``nn.Module`` with the FX frontend installed (give ``example_inputs`` or ``input_shapes``).
    :param batch: batch size (zoo models, factories with a ``batch`` argument) — ``--batch``.
    :param seq_len: sequence length for sequence models — ``--seq-len``.
    :param input_shapes: input shapes by name, ``{"x": (1, 3, 224, 224)}``, with a dtype as in the CLI
        (``{"ids": "1x128:int64"}``), or the CLI's strings (``["ids=1x128:int64"]``), or one bare shape
        for the first input — ``--input-shape``.
    :param input_dtypes: input dtypes by name (``{"ids": "int64"}``); ``""`` names the first input.
    :param example_inputs: for an ``nn.Module``: a tensor, a tuple of tensors or a dict of keyword tensors.
    :param timeout: seconds a ``.py`` model file's own code may run (None: no limit) — ``--timeout``.
    """
    from graphs.frontends import load_model, load_object
    from graphs.ir import Graph
    from graphs.plugins import get_plugins

    if options is None:
        options = load_options(batch=batch, seq_len=seq_len, input_shapes=input_shapes, input_dtypes=input_dtypes,
                               timeout=timeout)
    gp = plugins or get_plugins()
    if isinstance(model, Graph):
        if example_inputs is not None or options != LoadOptions(timeout_s=options.timeout_s):
            raise GraphsError(f"{model.name}: is a loaded Graph; batch, seq_len, input_shapes, input_dtypes and "
                              "example_inputs apply when a model is loaded (give the model's name or file instead)")
        return model
    if isinstance(model, Path):
        model = str(model)
    if isinstance(model, str):
        if example_inputs is not None:
            raise GraphsError(f"{model}: example_inputs go with an nn.Module object; for a model named by a "
                              "string give input_shapes (and input_dtypes)")
        if not model.strip():
            raise GraphsError("model: give a zoo name, a model file or a Graph (see `graphs zoo list`)")
        return load_model(model, options, gp)
    return load_object(model, example_inputs, options, gp)


def load_options(*, batch: int = 1, seq_len: Optional[int] = None, input_shapes: InputShapes = None,
                 input_dtypes: Optional[Mapping[str, str]] = None, timeout: Optional[float] = 30.0) -> LoadOptions:
    """:class:`LoadOptions` from the API's keywords, checked as the CLI checks its options."""
    from graphs.cli_options import MAX_BATCH, MAX_SEQ
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise GraphsError(f"batch={batch!r}: expected an integer from 1 to {MAX_BATCH}")
    if seq_len is not None and (isinstance(seq_len, bool) or not isinstance(seq_len, int)
                                or not 1 <= seq_len <= MAX_SEQ):
        raise GraphsError(f"seq_len={seq_len!r}: expected an integer from 1 to {MAX_SEQ}")
    if timeout is not None:
        import math
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
                or timeout <= 0:
            raise GraphsError(f"timeout={timeout!r}: expected a positive number of seconds (or None: no limit)")
    shapes, dtypes = input_specs(input_shapes, input_dtypes)
    return LoadOptions(batch=batch, seq_len=seq_len, input_shapes=shapes, input_dtypes=dtypes,
                       timeout_s=None if timeout is None else float(timeout))


def input_specs(input_shapes: InputShapes, input_dtypes: Optional[Mapping[str, str]] = None
                ) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """(shapes, dtypes) by input name from the API's forms (see :func:`load`), through the CLI's parser."""
    from graphs.frontends import parse_input_specs
    if input_shapes is None:
        items: list[str] = []
    elif isinstance(input_shapes, str):
        items = [input_shapes]
    elif isinstance(input_shapes, Mapping):
        items = [f"{name}={_shape_text(name, s)}" for name, s in input_shapes.items()]
    elif all(isinstance(x, int) and not isinstance(x, bool) for x in input_shapes):
        items = [_shape_text("", input_shapes)]
    elif all(isinstance(x, str) for x in input_shapes):
        items = list(input_shapes)  # type: ignore[arg-type]
    else:
        raise GraphsError(f"input_shapes={input_shapes!r}: expected {{NAME: (1, 3, 224, 224)}}, a shape, or "
                          "strings like 'ids=1x128:int64'")
    shapes, dtypes = parse_input_specs(items)
    for name, d in (input_dtypes or {}).items():
        want = DTYPE_ALIASES.get(str(d).strip().lower())
        if want is None:
            raise GraphsError(f"input_dtypes[{name!r}] = {d!r}: unknown dtype (use one of "
                              f"{', '.join(sorted(set(DTYPE_ALIASES.values())))})")
        if name in dtypes and dtypes[name] != want:
            raise GraphsError(f"input {name or '(first)'!r}: dtype {dtypes[name]} in input_shapes and {want} in "
                              "input_dtypes")
        dtypes[name] = want
    return shapes, dtypes


def _shape_text(name: str, shape: ShapeLike) -> str:
    if isinstance(shape, str):
        return shape
    try:
        dims = [int(d) for d in shape]
    except (TypeError, ValueError):
        raise GraphsError(f"input_shapes[{name!r}] = {shape!r}: expected a tuple of integers") from None
    if any(isinstance(d, bool) or (not isinstance(d, int) and int(d) != d) for d in shape):
        raise GraphsError(f"input_shapes[{name!r}] = {shape!r}: expected a tuple of integers")
    return "x".join(map(str, dims))


def analyze(model: Any, hardware: Union[str, Path, Sequence[Union[str, Path]]], *,
            batch: int = 1, seq_len: Optional[int] = None, input_shapes: InputShapes = None,
            input_dtypes: Optional[Mapping[str, str]] = None, example_inputs: Any = None,
            precision: Optional[str] = None, fusion: str = "auto", runtime: Optional[str] = None,
            quantize: Optional[str] = None, calibration: Union[str, Path, "Calibration", None] = None,
            layers: bool = False, depth: Optional[int] = None, timeout: Optional[float] = 30.0,
            progress: bool = False) -> Union["EstimationResult", list["EstimationResult"]]:
    """Estimate one forward pass of ``model`` on ``hardware`` — ``graphs analyze MODEL -H HARDWARE``.

    :param model: as for :func:`load` (zoo name, model file, ``file.py:factory``, Graph, ``nn.Module``).
    :param hardware: a hardware id or alias (``"h100"``), a spec YAML file, or a list of them.
    :param precision: fp32, tf32, bf16, fp16, fp8, int8 ... (``--precision``); None: the model's own.
    :param fusion: auto (the engine's default), default or none (``--fusion``).
    :param runtime: eager, graph or roofline (``--runtime``); None: the family's own.
    :param quantize: ``"int8"``: post-training quantization before estimating (``--quantize``).
    :param calibration: a calibration file (or a loaded Calibration) to use instead of the device's own.
    :param layers: attach the per-layer view (``--layers``): ``result.layers``, ``to_dataframe("layers")``.
    :param depth: with ``layers``: module rows down to this path depth (``--depth``).
    :param progress: show a progress bar on a terminal (stderr), as the CLI does.
    :returns: one :class:`~graphs.results.EstimationResult` for one device, a list (same order) for a list.
    :raises graphs.errors.GraphsError: bad input, with the one-line message the CLI prints.
    """
    if isinstance(hardware, (str, Path)):
        hw_ids, single = [str(hardware)], True
        if "," in hw_ids[0]:
            raise GraphsError(f"hardware {hw_ids[0]!r}: give several devices as a list, e.g. "
                              f"{[h.strip() for h in hw_ids[0].split(',')]!r}")
    elif isinstance(hardware, Iterable) and all(isinstance(h, (str, Path)) for h in hardware):
        hw_ids, single = [str(h) for h in hardware], False
    else:
        raise GraphsError(f"hardware={hardware!r}: expected a hardware id (see graphs.hardware.list()) or a list "
                          "of them")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise GraphsError(f"depth={depth!r}: expected an integer >= 0")
    options = load_options(batch=batch, seq_len=seq_len, input_shapes=input_shapes, input_dtypes=input_dtypes,
                           timeout=timeout)
    from graphs.progress import for_terminal
    with for_terminal(progress) as bar:
        results = run_analyze(model, hw_ids, options=options, example_inputs=example_inputs, precision=precision,
                              fusion=fusion, runtime=runtime, quantize=quantize, calibration=calibration,
                              layers=layers, depth=depth, progress=bar)
    _warn_failed_plugins()
    return results[0] if single else results


def _warn_failed_plugins() -> None:
    """A plugin that failed to load is a warning (the CLI prints one line per plugin)."""
    import warnings

    from graphs.plugins import get_plugins
    for p in get_plugins().failed():
        warnings.warn(f"plugin {p.name!r} {p.status}: {p.errors[0] if p.errors else ''}", RuntimeWarning,
                      stacklevel=3)


def to_dataframe(results: Union["EstimationResult", Iterable["EstimationResult"]]) -> Any:
    """A pandas DataFrame with one row per result (model, hardware, latency_s, low_s, high_s, confidence,
    flops, bytes, memory, energy ...; see :data:`graphs.frames.SUMMARY_COLUMNS`). Needs pandas."""
    from graphs.frames import results_frame
    return results_frame(results)


def to_json(results: Union["EstimationResult", Iterable["EstimationResult"]], breakdown: bool = True,
            indent: Optional[int] = 2) -> str:
    """The versioned ``graphs.analyze`` JSON document of ``results`` — what ``graphs analyze -f json``
    writes for the same devices (read it back with :func:`graphs.documents.read`)."""
    from graphs.documents import render
    from graphs.results import EstimationResult
    rs = [results] if isinstance(results, EstimationResult) else list(results)
    for r in rs:
        if not isinstance(r, EstimationResult):
            raise GraphsError(f"to_json: expected EstimationResult(s), got {type(r).__name__}")
    return render("graphs.analyze", {"results": [r.to_dict(breakdown) for r in rs]}, indent=indent)
