"""The ``fx`` frontend: ``path/to/file.py:factory`` -> traced Graph.

The factory returns an ``nn.Module`` (example inputs then come from ``--input-shape``), or
``(module, example_inputs)``, or ``(module, args, kwargs)``. It is called inside
``torch.device("meta")`` unless ``LoadOptions.device`` says otherwise, so a big model costs
no memory; it receives ``batch``/``batch_size`` and ``seq_len`` if its signature asks for them.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any, Iterator

from graphs.errors import FrontendError, GraphsError
from graphs.frontends import LoadOptions
from graphs.ir import Graph

INDEX_NAMES = ("ids", "idx", "index", "indices", "token", "tokens", "labels")


def _one_line(e: BaseException) -> str:
    msg = " ".join(str(e).split()) or type(e).__name__
    return msg if len(msg) <= 200 else msg[:200] + "..."


def import_file(path: Path, ref: str) -> Any:
    """Import a Python file as a fresh module; errors become one-line FrontendErrors."""
    name = f"_graphs_fx_factory_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FrontendError(f"{ref}: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as e:
        sys.modules.pop(name, None)
        _reraise_user_code(e, ref, f"importing {path.name}")
    return module


def _reraise_user_code(e: BaseException, ref: str, doing: str) -> None:
    """What a model file's code raised, as one line (a real Ctrl-C passes through)."""
    from graphs.interrupts import real_interrupt as _real_interrupt
    if isinstance(e, GraphsError) or _real_interrupt(e):
        raise e
    if isinstance(e, SystemExit):
        raise FrontendError(f"{ref}: {doing}: the model code called sys.exit({e.code!r})") from None
    if isinstance(e, ModelExit):
        raise FrontendError(f"{ref}: {doing}: the model code called os._exit({e.args[0]!r})") from None
    if isinstance(e, ModelTimeout):
        raise FrontendError(f"{ref}: {doing}: the model code did not finish within {e.args[0]:g} s "
                            "(--timeout)") from None
    if isinstance(e, MemoryError):
        raise FrontendError(f"{ref}: {doing}: the model code ran out of memory") from None
    raise FrontendError(f"{ref}: {doing} failed: {type(e).__name__}: {_one_line(e)}") from None


class ModelExit(BaseException):
    """Raised in place of ``os._exit`` while a model file's code runs (which would end graphs with no
    word and exit status 0)."""


class ModelTimeout(BaseException):
    """Raised inside user code when ``LoadOptions.timeout_s`` runs out (a BaseException, so a model's
    ``except Exception`` cannot swallow it)."""


@contextmanager
def user_code(path: Path, timeout_s: float | None) -> Iterator[None]:
    """Run a model file's code as ``python file.py`` would see it — its folder first on ``sys.path`` —
    but with its prints sent to stderr (stdout may carry JSON) and, in the main thread, a time limit."""
    import signal
    import threading

    folder = str(path.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    timer = timeout_s and timeout_s > 0 and threading.current_thread() is threading.main_thread() \
        and hasattr(signal, "setitimer")
    old = None
    if timer:
        def expire(signum: int, frame: Any) -> None:
            raise ModelTimeout(timeout_s)
        old = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, float(timeout_s))
    real_exit = os._exit

    def refuse_exit(code: int = 0) -> None:
        raise ModelExit(code)

    os._exit = refuse_exit     # type: ignore[assignment]
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        os._exit = real_exit
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        if added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass


def _call_factory(factory: Any, options: LoadOptions, ref: str) -> Any:
    import torch

    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs: dict[str, Any] = {}
    for key in ("batch", "batch_size"):
        if key in params:
            kwargs[key] = options.batch
    if "seq_len" in params and options.seq_len is not None:
        kwargs["seq_len"] = options.seq_len
    try:
        with torch.device(options.device or "meta"):
            return factory(**kwargs)
    except BaseException as e:
        _reraise_user_code(e, ref, "calling the factory")


def _check_batch(factory: Any, options: LoadOptions, ref: str, attr: str) -> None:
    """``--batch N`` must reach the model: through the factory's ``batch``/``batch_size`` argument, or
    through ``--input-shape`` (whose shapes then say the batch); never silently dropped."""
    if options.batch == 1:
        return
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    if "batch" in params or "batch_size" in params:
        return
    shapes = dict(options.input_shapes or {})
    if shapes:
        firsts = {s[0] for s in shapes.values() if s}
        if firsts == {options.batch}:
            return
        raise FrontendError(f"{ref}: --batch {options.batch} disagrees with the --input-shape batch "
                            f"({', '.join(map(str, sorted(firsts)))}); give the batch in the shapes only")
    raise FrontendError(f"{ref}: --batch {options.batch} cannot reach the model: {attr}() takes no `batch` "
                        "argument; add one (def make(batch=1): ...) or give the inputs' shapes with "
                        "--input-shape NAME=...")


def _forward_params(module: Any) -> list[str]:
    try:
        sig = inspect.signature(module.forward)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def inputs_from_shapes(module: Any, options: LoadOptions, ref: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Example inputs from ``--input-shape``: one positional tensor per named forward argument.

    A bare shape (key ``""``) is the first argument. A dtype stated with the shape
    (``--input-shape ids=1x128:int64``) is used; otherwise arguments whose name says they hold indices
    (``input_ids``, ``tokens`` ...) are int64, and the rest take the dtype of the module's first
    floating-point parameter (float32 if it has none).
    """
    import torch

    shapes = dict(options.input_shapes or {})
    dtypes = dict(options.input_dtypes or {})
    if not shapes:
        raise FrontendError(f"{ref}: the factory returned only a module; give its input shape with "
                            "--input-shape NAME=1x3x224x224 (or return (module, example_inputs))")
    names = _forward_params(module)
    if "" in shapes:
        if not names:
            raise FrontendError(f"{ref}: cannot tell the name of forward's first argument; use --input-shape NAME=...")
        if names[0] in shapes:
            raise FrontendError(f"{ref}: input {names[0]!r} given twice (bare and named --input-shape)")
        shapes[names[0]] = shapes.pop("")
        if "" in dtypes:
            dtypes[names[0]] = dtypes.pop("")
    unknown = [n for n in shapes if n not in names]
    if unknown:
        raise FrontendError(f"{ref}: forward() has no argument {', '.join(map(repr, unknown))} "
                            f"(it takes {', '.join(names) or 'no named arguments'})")
    given = [n for n in names if n in shapes]
    missing = names[: max(names.index(n) for n in given)] if given else []
    missing = [n for n in missing if n not in shapes]
    if missing:
        raise FrontendError(f"{ref}: --input-shape is missing {', '.join(map(repr, missing))} "
                            "(positional arguments before the last one given)")
    float_dtype = next((p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32)
    args = []
    for n in given:
        if n in dtypes:
            dtype = getattr(torch, dtypes[n])
        else:
            dtype = torch.long if any(k in n.lower() for k in INDEX_NAMES) else float_dtype
        args.append(torch.empty(shapes[n], dtype=dtype, device="meta"))
    return tuple(args), {}


def _split_result(result: Any, options: LoadOptions, ref: str) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    import torch

    if isinstance(result, torch.nn.Module):
        args, kwargs = inputs_from_shapes(result, options, ref)
        return result, args, kwargs
    if isinstance(result, (tuple, list)) and len(result) in (2, 3) and isinstance(result[0], torch.nn.Module):
        module, inputs = result[0], result[1]
        kwargs = result[2] if len(result) == 3 else {}
        if not isinstance(kwargs, dict):
            raise FrontendError(f"{ref}: the factory's third item must be a dict of keyword inputs")
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs,)
        elif isinstance(inputs, dict):
            inputs, kwargs = (), {**inputs, **kwargs}
        elif not isinstance(inputs, (tuple, list)):
            raise FrontendError(f"{ref}: example inputs must be a tensor, a tuple of tensors or a dict "
                                f"(got {type(inputs).__name__})")
        return module, tuple(inputs), kwargs
    raise FrontendError(f"{ref}: the factory returned {type(result).__name__}; expected an nn.Module or "
                        "(module, example_inputs)")


class FxFrontend:
    """PyTorch models from ``file.py:factory``, traced with torch.fx (``make_fx`` on fake tensors)."""

    name = "fx"
    description = "PyTorch (file.py:factory, traced with torch.fx)"
    handles_python = True

    def sniff(self, path: Path, head: bytes) -> bool:
        """Never claims a bare file: Python models need ``file.py:factory`` to say what to call."""
        return False

    def load(self, ref: str, options: LoadOptions) -> Graph:
        """Import the file, call the factory, trace the module it returns."""
        from graphs_frontend_fx.api import graph_from_module

        path_part, sep, attr = ref.rpartition(":")
        if not sep or not path_part.endswith(".py") or not attr.isidentifier():
            raise FrontendError(f"{ref}: expected path/to/file.py:factory")
        path = Path(path_part)
        if not path.is_file():
            raise FrontendError(f"{path_part}: no such file")
        with user_code(path, options.timeout_s):
            module = import_file(path, ref)
            factory = getattr(module, attr, None)
            if factory is None:
                raise FrontendError(f"{ref}: {path.name} defines no {attr!r}")
            if not callable(factory):
                raise FrontendError(f"{ref}: {attr!r} is a {type(factory).__name__}, not a callable factory")
            _check_batch(factory, options, ref, attr)
            model, args, kwargs = _split_result(_call_factory(factory, options, ref), options, ref)
            try:
                return graph_from_module(model, args, kwargs, name=f"{path.stem}:{attr}",
                                         meta={"source_file": str(path), "factory": attr})
            except BaseException as e:
                _reraise_user_code(e, ref, "tracing the model")
                raise

    def accepts(self, obj: Any) -> bool:
        """A torch ``nn.Module`` object (``graphs.analyze(module, ...)``); torch is already imported if it is one."""
        torch = sys.modules.get("torch")
        return torch is not None and isinstance(obj, torch.nn.Module)

    def load_object(self, module: Any, example_inputs: Any, options: LoadOptions) -> Graph:
        """Trace an ``nn.Module`` with its example inputs (a tensor, a tuple of tensors, or a dict of
        keyword tensors), or with inputs built from ``options.input_shapes`` (and dtypes) when none are given."""
        from graphs_frontend_fx.api import graph_from_module

        name = type(module).__name__
        if example_inputs is not None and options.input_shapes:
            raise FrontendError(f"{name}: give example inputs or input shapes, not both")
        if options.batch != 1:
            raise FrontendError(f"{name}: batch={options.batch} cannot reach an nn.Module object; the batch is "
                                "the first dimension of its example inputs (or of input_shapes)")
        ref = name
        if example_inputs is None and not options.input_shapes:
            raise FrontendError(f"{name}: give its example inputs (example_inputs=tensor, a tuple or a dict of "
                                "tensors) or their shapes (input_shapes={NAME: (1, 3, 224, 224)})")
        if example_inputs is None:
            model, args, kwargs = _split_result(module, options, ref)
        else:
            model, args, kwargs = _split_result((module, example_inputs), options, ref)
        return graph_from_module(model, args, kwargs, name=name, meta={"module_class": f"{type(module).__module__}.{type(module).__qualname__}"})

