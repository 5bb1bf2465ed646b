"""Frontends turn a model reference into a :class:`~graphs.ir.Graph`.

A model reference is a zoo name (``resnet50``), a path to a model file (detected from its
bytes, not only its suffix), or ``path/to/file.py:factory``. Frontends are registered by
plugins; core only dispatches.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Protocol, runtime_checkable

from graphs.errors import FrontendError, UnknownModelError
from graphs.ir import Graph

if TYPE_CHECKING:
    from graphs.plugins import GraphsPlugins


@dataclass(frozen=True)
class LoadOptions:
    """What a user may say about a model's inputs.

    :param batch: batch size for zoo models and factories that accept it.
    :param seq_len: sequence length for sequence models.
    :param input_shapes: explicit input shapes by name (binds dynamic dims).
    :param input_dtypes: explicit input dtypes by name (IR names: ``int64``, ``float16`` ...; ``""`` = the
        first input): a model file's example inputs take them; a model whose inputs are typed (ONNX,
        TFLite, the zoo) must agree, or it is refused.
    :param device: ``meta`` (default: shapes only, no weights) or ``cpu``.
    :param timeout_s: longest a model file's own code may run (import, factory, trace); None: no limit.
    """

    batch: int = 1
    seq_len: int | None = None
    input_shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    input_dtypes: Mapping[str, str] = field(default_factory=dict)
    device: str = "meta"
    timeout_s: float | None = 30.0


@runtime_checkable
class Frontend(Protocol):
    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """True if the file (its first bytes given) is this frontend's format."""

    def load(self, ref: str, options: LoadOptions) -> Graph:
        """Load ``ref`` (a path, or ``file.py:factory``) into a Graph."""


@dataclass(frozen=True)
class ZooEntry:
    """A zoo model: built from a config, never from downloaded weights.

    :param build: ``build(options) -> Graph``.
    """

    name: str
    family: str
    description: str
    build: Callable[[LoadOptions], Graph]
    task: str = ""
    params: str = ""  # human-readable size, e.g. "25.6M"
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


#: what ``--input-shape NAME=1x128:DTYPE`` accepts, to the IR's dtype names
DTYPE_ALIASES = {"int64": "int64", "long": "int64", "i64": "int64", "int32": "int32", "int": "int32", "i32": "int32",
                 "int16": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
                 "float32": "float32", "fp32": "float32", "float": "float32", "float16": "float16", "fp16": "float16",
                 "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16", "float64": "float64",
                 "fp64": "float64", "double": "float64"}


def parse_input_specs(items: list[str] | None) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """``["ids=1x128:int64", "x=1x3x224x224"]`` -> (shapes, dtypes) by input name; a bare ``1x3x224x224``
    names the first input ``""``."""
    shapes: dict[str, tuple[int, ...]] = {}
    dtypes: dict[str, str] = {}
    for item in items or []:
        name, _, spec = item.rpartition("=")
        dims, colon, dtype = spec.partition(":")
        try:
            shape = tuple(int(d) for d in dims.lower().replace(",", "x").split("x") if d != "")
        except ValueError:
            raise FrontendError(f"--input-shape {item!r}: expected NAME=1x3x224x224 or NAME=1x128:int64") from None
        if not shape or any(d <= 0 for d in shape):
            raise FrontendError(f"--input-shape {item!r}: dimensions must be positive integers")
        if name in shapes:
            raise FrontendError(f"--input-shape: input {name or '(first)'!r} given twice")
        shapes[name] = shape
        if colon:
            d = DTYPE_ALIASES.get(dtype.strip().lower())
            if d is None:
                raise FrontendError(f"--input-shape {item!r}: unknown dtype {dtype!r} (use one of "
                                    f"{', '.join(sorted(set(DTYPE_ALIASES.values())))})")
            dtypes[name] = d
    return shapes, dtypes


def parse_input_shapes(items: list[str] | None) -> dict[str, tuple[int, ...]]:
    """The shapes of :func:`parse_input_specs` (a stated dtype is accepted and left out)."""
    return parse_input_specs(items)[0]


def check_input_dtypes(graph: Graph, dtypes: Mapping[str, str], ref: str) -> Graph:
    """A model whose inputs are typed must agree with the dtypes the user stated (never silently differ)."""
    for name, want in dtypes.items():
        key = name or (graph.inputs[0] if graph.inputs else "")
        if key not in graph.values or key not in graph.inputs:
            raise FrontendError(f"{ref}: --input-shape names input {name!r}, which the model does not have "
                                f"(inputs: {', '.join(graph.inputs) or 'none'})")
        have = graph.values[key].dtype
        if have != want:
            raise FrontendError(f"{ref}: input {key!r} is {have} in the model, not {want} as --input-shape says")
    return graph


def load_model(ref: str, options: LoadOptions, plugins: "GraphsPlugins") -> Graph:
    """Resolve a model reference through the registered frontends and the zoo."""
    path_part, sep, factory = ref.rpartition(":")
    if sep and path_part.endswith(".py") and factory.isidentifier():
        p = Path(path_part)
        if not p.is_file():
            raise FrontendError(f"{path_part}: no such file")
        from graphs.output import note_input
        note_input(p)
        return check_input_dtypes(_contained_load(_frontend_for_python(plugins), ref, options), options.input_dtypes,
                                  ref)
    p = Path(ref)
    try:
        exists = p.exists()
    except OSError as e:      # e.g. a name longer than the file system allows
        raise FrontendError(f"{ref[:80]}{'...' if len(ref) > 80 else ''}: {e.strerror or e}") from None
    if exists:
        if p.is_dir():
            raise FrontendError(f"{ref}: is a directory, not a model file")
        if not p.is_file():
            raise FrontendError(f"{ref}: not a regular file (a FIFO or device is not a model file)")
        from graphs.output import note_input
        note_input(p)
        try:
            with p.open("rb") as fh:
                head = fh.read(64)
        except OSError as e:
            raise FrontendError(f"{ref}: cannot read ({e.strerror or e})") from None
        broken = []
        for fe in plugins.frontends.values():
            try:
                ok = fe.sniff(p, head)
            except BaseException as e:           # a frontend's bug must not stop the others
                from graphs.interrupts import real_interrupt as _real_interrupt
                if _real_interrupt(e):
                    raise
                broken.append(f"{fe.name}: {type(e).__name__}")
                continue
            if ok:
                return check_input_dtypes(_contained_load(fe, ref, options), options.input_dtypes, ref)
        names = ", ".join(getattr(f, "description", f.name) for f in plugins.frontends.values()) or "no frontends installed"
        extra = f"; frontends that failed to check it: {', '.join(broken)}" if broken else ""
        raise FrontendError(f"{ref}: not a recognised model file (tried: {names}){extra}")
    entry = plugins.find_model(ref)
    if entry is not None:
        return check_input_dtypes(_contained_call(lambda: entry.build(options), f"zoo model {entry.name!r}"),
                                  options.input_dtypes, ref)
    close = _suggest(ref, plugins)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphs zoo list`"
    if ref.endswith((".onnx", ".tflite", ".py", ".pt")):
        raise UnknownModelError(f"{ref}: no such file")
    raise UnknownModelError(f"unknown model {ref!r}: not a zoo name or an existing file{hint}")


def load_object(obj: object, example_inputs: object, options: LoadOptions, plugins: "GraphsPlugins") -> Graph:
    """A model given as a Python object (e.g. a torch ``nn.Module``) through the first frontend that
    accepts it: a frontend may define ``accepts(obj) -> bool`` and ``load_object(obj, example_inputs,
    options) -> Graph`` (optional; the FX frontend does for ``nn.Module``). ``example_inputs``: a tensor,
    a tuple of tensors or a dict of keyword tensors; None: built from ``options.input_shapes``."""
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    for fe in plugins.frontends.values():
        accepts = getattr(fe, "accepts", None)
        if accepts is None or not callable(getattr(fe, "load_object", None)):
            continue
        try:
            ok = accepts(obj)
        except BaseException as e:
            from graphs.interrupts import real_interrupt as _real_interrupt
            if _real_interrupt(e):
                raise
            continue
        if ok:
            graph = _contained_call(lambda: fe.load_object(obj, example_inputs, options),  # type: ignore[attr-defined]
                                    f"the {fe.name} frontend")
            return check_input_dtypes(graph, options.input_dtypes, type(obj).__name__)
    hint = " (a torch nn.Module needs the FX frontend: pip install graphs-frontend-fx)" \
        if type(obj).__module__.startswith("torch") or any(c.__module__.startswith("torch.nn")
                                                            for c in type(obj).__mro__) else ""
    raise FrontendError(f"cannot load a {kind} object: no installed frontend accepts it{hint}; give a zoo name, "
                        "a model file path, a graphs Graph or a torch nn.Module")


def _contained_load(fe: Frontend, ref: str, options: LoadOptions) -> Graph:
    return _contained_call(lambda: fe.load(ref, options), f"the {fe.name} frontend")


def _contained_call(fn: Callable[[], Graph], who: str) -> Graph:
    """``fn()``: a user error passes through; any other failure of plugin code is one line naming it."""
    try:
        return fn()
    except FrontendError:
        raise
    except BaseException as e:
        from graphs.errors import GraphsError
        from graphs.interrupts import real_interrupt as _real_interrupt
        if isinstance(e, GraphsError) or _real_interrupt(e):
            raise
        if isinstance(e, MemoryError):
            raise FrontendError(f"{who}: ran out of memory loading the model") from None
        if isinstance(e, RecursionError):
            raise FrontendError(f"{who}: the model nests too deeply") from None
        if isinstance(e, SystemExit):
            raise FrontendError(f"{who}: the model code called sys.exit({e.code!r})") from None
        msg = " ".join(str(e).split())[:300]
        raise FrontendError(f"{who} failed: {type(e).__name__}: {msg}") from None


def _frontend_for_python(plugins: "GraphsPlugins") -> Frontend:
    for fe in plugins.frontends.values():
        if getattr(fe, "handles_python", False):
            return fe
    raise FrontendError("no frontend for Python model files is installed (pip install graphs-frontend-fx)")


def _suggest(ref: str, plugins: "GraphsPlugins", n: int = 3) -> list[str]:
    """Up to ``n`` zoo models close to ``ref``, one per model (an alias matched counts as its model's name)."""
    owner: dict[str, str] = {}
    for entry, _ in plugins.models.values():
        owner[entry.name] = entry.name
        for a in entry.aliases:
            owner.setdefault(a, entry.name)
    out: list[str] = []
    for match in difflib.get_close_matches(ref.lower(), list(owner), n=max(len(owner), 1), cutoff=0.6):
        name = owner[match]
        if name not in out:
            out.append(name)
        if len(out) == n:
            break
    return out

