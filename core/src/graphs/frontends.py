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
    :param device: ``meta`` (default: shapes only, no weights) or ``cpu``.
    :param timeout_s: longest a model file's own code may run (import, factory, trace); None: no limit.
    """

    batch: int = 1
    seq_len: int | None = None
    input_shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
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


def parse_input_shapes(items: list[str] | None) -> dict[str, tuple[int, ...]]:
    """``["x=1x3x224x224", "mask=1x128"]`` -> dict; a bare ``1x3x224x224`` names the first input ``""``."""
    out: dict[str, tuple[int, ...]] = {}
    for item in items or []:
        name, _, dims = item.rpartition("=")
        try:
            shape = tuple(int(d) for d in dims.lower().replace(",", "x").split("x") if d != "")
        except ValueError:
            raise FrontendError(f"--input-shape {item!r}: expected NAME=1x3x224x224") from None
        if not shape or any(d <= 0 for d in shape):
            raise FrontendError(f"--input-shape {item!r}: dimensions must be positive integers")
        out[name] = shape
    return out


def load_model(ref: str, options: LoadOptions, plugins: "GraphsPlugins") -> Graph:
    """Resolve a model reference through the registered frontends and the zoo."""
    path_part, sep, factory = ref.rpartition(":")
    if sep and path_part.endswith(".py") and factory.isidentifier():
        p = Path(path_part)
        if not p.is_file():
            raise FrontendError(f"{path_part}: no such file")
        from graphs.output import note_input
        note_input(p)
        return _contained_load(_frontend_for_python(plugins), ref, options)
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
                from graphs.plugins import _real_interrupt
                if _real_interrupt(e):
                    raise
                broken.append(f"{fe.name}: {type(e).__name__}")
                continue
            if ok:
                return _contained_load(fe, ref, options)
        names = ", ".join(getattr(f, "description", f.name) for f in plugins.frontends.values()) or "no frontends installed"
        extra = f"; frontends that failed to check it: {', '.join(broken)}" if broken else ""
        raise FrontendError(f"{ref}: not a recognised model file (tried: {names}){extra}")
    entry = plugins.find_model(ref)
    if entry is not None:
        return _contained_call(lambda: entry.build(options), f"zoo model {entry.name!r}")
    close = difflib.get_close_matches(ref, plugins.model_names(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphs zoo list`"
    if ref.endswith((".onnx", ".tflite", ".py", ".pt")):
        raise UnknownModelError(f"{ref}: no such file")
    raise UnknownModelError(f"unknown model {ref!r}: not a zoo name or an existing file{hint}")


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
        from graphs.plugins import _real_interrupt
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
