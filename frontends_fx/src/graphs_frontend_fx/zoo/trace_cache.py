"""A disk cache of traced zoo graphs, so a second ``graphs analyze resnet50`` imports no torch.

A zoo graph depends only on the model's config, the batch, sequence length and input shapes,
the torch release that traced it and the tracer's own code. The cache key hashes all of those
(the tracer's code by the size and modification time of every file of this package and of core's
IR), so editing the tracer or upgrading torch invalidates every entry. Entries are pickles of
:class:`graphs.ir.Graph` (plain data: names, shapes, dtypes, attributes) in
``$GRAPHS_CACHE_DIR/traces`` (default ``~/.cache/graphs/traces``; ``XDG_CACHE_HOME`` honoured),
written atomically; an unreadable or foreign entry is ignored and traced again.
``GRAPHS_TRACE_CACHE=0`` turns the cache off. The folder is the user's own: pickles are only
read from it, never from anywhere a model file names.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

FORMAT = 1


def enabled() -> bool:
    return os.environ.get("GRAPHS_TRACE_CACHE", "1").strip() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    base = os.environ.get("GRAPHS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"), "graphs")
    return Path(base) / "traces"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Sizes and mtimes of the tracer's files (this package and core's IR) and the torch release."""
    import graphs.ir
    import graphs_frontend_fx
    h = hashlib.sha256(f"format {FORMAT}".encode())
    roots = [Path(graphs_frontend_fx.__file__).parent, Path(graphs.ir.__file__)]
    for root in roots:
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    try:
        h.update(md.version("torch").encode())
    except md.PackageNotFoundError:
        h.update(b"no-torch")
    return h.hexdigest()


def key(*parts: Any) -> str:
    return hashlib.sha256(repr((code_fingerprint(), parts)).encode()).hexdigest()[:32]


def cached(parts: tuple, build: Callable[[], Any]) -> Any:
    """The graph for ``parts`` from the cache, or ``build()`` (and stored)."""
    if not enabled():
        return build()
    path = cache_dir() / f"{key(*parts)}.pkl"
    try:
        with path.open("rb") as fh:
            got = pickle.load(fh)
        from graphs.ir import Graph
        if isinstance(got, Graph):
            return got
    except Exception:  # missing, truncated, from another version: trace again
        pass
    graph = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".trace-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(graph, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # a read-only cache folder must not stop an estimate
    return graph
