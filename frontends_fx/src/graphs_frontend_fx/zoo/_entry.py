"""Zoo specs: metadata that registers without importing torch, and the lazy build behind it.

A :class:`Spec` names the zoo module that builds the model (``build(name) -> nn.Module``,
constructed on the meta device: no weights) and an input builder (``inputs(options, name)
-> (args, kwargs)`` of meta tensors). ``graphs zoo list`` and every other command therefore
pay nothing for torch; the first build imports it. Built graphs are cached per (model,
batch, seq_len, input shapes): the IR is immutable, so sharing is safe.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from graphs.errors import FrontendError
from graphs.frontends import LoadOptions, ZooEntry
from graphs.ir import Graph

if TYPE_CHECKING:
    import torch

Inputs = tuple[tuple[Any, ...], dict[str, Any]]
InputBuilder = Callable[[LoadOptions, str], Inputs]

IMAGE = 224
ENCODER_SEQ = 128
DECODER_SEQ = 512


@dataclass(frozen=True, eq=False)  # hashed by identity: the build cache keys on it
class Spec:
    """One zoo model: where its builder lives, its inputs, and what ``graphs zoo list`` shows.

    :param module: zoo submodule whose ``build(name)`` returns the ``nn.Module``.
    """

    name: str
    family: str
    description: str
    module: str
    inputs: InputBuilder
    task: str = ""
    params: str = ""
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def model(self) -> "torch.nn.Module":
        """The model, constructed on the meta device (no memory for weights)."""
        import torch

        mod = importlib.import_module(f"graphs_frontend_fx.zoo.{self.module}")
        with torch.device("meta"):
            return mod.build(self.name)

    def example_inputs(self, options: LoadOptions | None = None) -> Inputs:
        return self.inputs(options or LoadOptions(), self.name)

    def entry(self) -> ZooEntry:
        return ZooEntry(self.name, self.family, self.description, functools.partial(build, self), self.task,
                        self.params, self.aliases, self.tags)


def build(spec: Spec, options: LoadOptions) -> Graph:
    """Build (or fetch from the cache) the graph of ``spec`` for ``options``."""
    if options.batch < 1:
        raise FrontendError(f"{spec.name}: batch must be >= 1 (got {options.batch})")
    if options.seq_len is not None and options.seq_len < 1:
        raise FrontendError(f"{spec.name}: seq_len must be >= 1 (got {options.seq_len})")
    shapes = tuple(sorted((k, tuple(v)) for k, v in (options.input_shapes or {}).items()))
    return _build_cached(spec, options.batch, options.seq_len, shapes)


@functools.lru_cache(maxsize=64)
def _build_cached(spec: Spec, batch: int, seq_len: int | None, shapes: tuple) -> Graph:
    from graphs_frontend_fx.zoo.trace_cache import cached
    parts = (spec.name, spec.module, repr(sorted(spec.meta.items())), batch, seq_len, shapes)
    return cached(parts, lambda: _trace(spec, batch, seq_len, shapes))


def _trace(spec: Spec, batch: int, seq_len: int | None, shapes: tuple) -> Graph:
    from graphs_frontend_fx.api import graph_from_module

    options = LoadOptions(batch=batch, seq_len=seq_len, input_shapes=dict(shapes))
    args, kwargs = spec.example_inputs(options)
    meta = {"zoo": spec.name, "batch": batch, **spec.meta}
    if seq_len is not None:
        meta["seq_len"] = seq_len
    model = spec.model()
    meta.update(getattr(model, "graphs_meta", dict)())  # e.g. decoders: {"llm": config} for LLM modes
    return graph_from_module(model, args, kwargs, name=spec.name, meta=meta)


# --- input builders (torch is imported when they run, not when the zoo registers) -------------
def _shape(options: LoadOptions, model: str, name: str, default: tuple[int, ...], first: bool = True) -> tuple[int, ...]:
    shapes = options.input_shapes or {}
    shape = shapes.get(name) or (shapes.get("") if first else None)
    if shape is None:
        return default
    if len(shape) != len(default):
        raise FrontendError(f"{model}: input {name!r} needs {len(default)} dimensions, got {'x'.join(map(str, shape))}")
    return tuple(shape)


def _check_names(options: LoadOptions, model: str, names: tuple[str, ...]) -> None:
    unknown = sorted(set(options.input_shapes or {}) - set(names) - {""})
    if unknown:
        raise FrontendError(f"{model}: unknown input name(s) {', '.join(unknown)} (inputs: {', '.join(names)})")


def images(size: int = IMAGE, channels: int = 3, fixed: bool = False) -> InputBuilder:
    """One float image batch ``x`` of shape (batch, channels, size, size); ``--input-shape`` overrides
    (only the batch when ``fixed``: the model's positions are tied to one image size)."""

    def inputs(options: LoadOptions, model: str) -> Inputs:
        import torch

        _check_names(options, model, ("x",))
        shape = _shape(options, model, "x", (options.batch, channels, size, size))
        if fixed and shape[1:] != (channels, size, size):
            raise FrontendError(f"{model}: input must be Nx{channels}x{size}x{size} "
                                f"(got {'x'.join(map(str, shape))})")
        return (torch.empty(shape, device="meta"),), {}

    return inputs


def tokens(default_seq: int, max_seq: int | None = None) -> InputBuilder:
    """One int64 token-id batch ``input_ids`` of shape (batch, seq_len)."""

    def inputs(options: LoadOptions, model: str) -> Inputs:
        import torch

        _check_names(options, model, ("input_ids",))
        shape = _shape(options, model, "input_ids", (options.batch, options.seq_len or default_seq))
        if max_seq is not None and shape[1] > max_seq:
            raise FrontendError(f"{model}: seq_len {shape[1]} exceeds the model's maximum of {max_seq} positions")
        return (torch.empty(shape, dtype=torch.long, device="meta"),), {}

    return inputs


def features(channels: int, default_len: int, max_len: int | None = None) -> InputBuilder:
    """One float feature sequence ``x`` of shape (batch, channels, length); ``seq_len`` sets the length."""

    def inputs(options: LoadOptions, model: str) -> Inputs:
        import torch

        _check_names(options, model, ("x",))
        shape = _shape(options, model, "x", (options.batch, channels, options.seq_len or default_len))
        if max_len is not None and shape[2] > max_len:
            raise FrontendError(f"{model}: input length {shape[2]} exceeds the model's maximum of {max_len}")
        return (torch.empty(shape, device="meta"),), {}

    return inputs


def latents(size: int = 64, channels: int = 4, context: tuple[int, int] = (77, 768)) -> InputBuilder:
    """A denoising step's inputs: ``sample`` (batch, channels, size, size), ``timestep`` (batch,)
    and the text ``context`` (batch, tokens, dim); ``seq_len`` sets the number of context tokens."""

    def inputs(options: LoadOptions, model: str) -> Inputs:
        import torch

        names = ("sample", "timestep", "context")
        _check_names(options, model, names)
        b = options.batch
        sample = _shape(options, model, "sample", (b, channels, size, size))
        timestep = _shape(options, model, "timestep", (sample[0],), first=False)
        ctx = _shape(options, model, "context", (sample[0], options.seq_len or context[0], context[1]), first=False)
        return tuple(torch.empty(s, device="meta") for s in (sample, timestep, ctx)), {}

    return inputs
