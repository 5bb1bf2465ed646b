"""What a measurement measured, as IR: the record a runner stores so it can be estimated again.

A kernel-level measurement taken by a runner that records the ops it ran (``torch-cpu``,
``torch-cuda``) stores in ``Measurement.shapes`` a small IR graph::

    {"builder": "graph",
     "values": {"v0": [[64, 128], "float32"], ...},      # every tensor: shape, dtype
     "inputs": ["v0", "v1"],                              # read before any node writes them
     "nodes":  [{"op": "aten::mm", "in": ["v0", "v1"], "out": ["v2"], "attrs": {...}}]}

built from the ATen calls that actually ran (so it is exactly what the PyTorch frontend would
trace for the same op). :func:`graph_from_record` rebuilds the :class:`~graphs.ir.Graph`;
:func:`record_kernels` partitions it (``none``: one kernel per non-view op, as eager runs it)
so calibration and validation estimate exactly the measured thing. Whole-model measurements
store ``{"builder": "zoo", "model": NAME, "batch": B, "seq_len": S|None}``
(:func:`model_reference`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from graphs.errors import GraphsError
from graphs.ir import Graph, GraphBuilder, TensorSpec
from graphs.partition import FusionPolicy, Kernel, partition

GRAPH = "graph"
ZOO = "zoo"


def graph_record(values: Mapping[str, tuple[Sequence[int], str]], inputs: Sequence[str],
                 nodes: Iterable[tuple[str, Sequence[str], Sequence[str], Mapping[str, Any]]]) -> dict[str, Any]:
    """The JSON-able record of a small graph: ``nodes`` are (op_type, inputs, outputs, attrs)."""
    return {"builder": GRAPH,
            "values": {k: [list(int(d) for d in s), str(dt)] for k, (s, dt) in values.items()},
            "inputs": list(inputs),
            "nodes": [{"op": op, "in": list(ins), "out": list(outs), "attrs": _jsonable(dict(attrs))}
                      for op, ins, outs, attrs in nodes]}


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def is_graph_record(shapes: Mapping[str, Any]) -> bool:
    return isinstance(shapes, Mapping) and shapes.get("builder") == GRAPH


def graph_from_record(rec: Mapping[str, Any], name: str = "measured") -> Graph:
    """Rebuild the IR graph of a ``builder: graph`` record (ValueError if malformed)."""
    if not is_graph_record(rec):
        raise ValueError("not a 'graph' record")
    b = GraphBuilder(name, "measured")
    values = rec["values"]
    written = {o for n in rec["nodes"] for o in n["out"] if o}
    for v in rec["inputs"]:
        shape, dt = values[v]
        b.input(v, TensorSpec(tuple(shape), dt))
    for v, (shape, dt) in values.items():  # a value nobody writes and not listed as input: a constant
        if v not in written and v not in rec["inputs"]:
            b.constant(v, TensorSpec(tuple(shape), dt))
    for i, n in enumerate(rec["nodes"]):
        outs = [(o, TensorSpec(tuple(values[o][0]), values[o][1])) if o else o for o in n["out"]]
        b.node(f"n{i}", n["op"], n["in"], [o for o in outs], n.get("attrs") or {})
    last = [o for o in rec["nodes"][-1]["out"] if o] if rec["nodes"] else []
    b.output(*(last or list(rec["inputs"][:1])))
    return b.build()


def record_kernels(rec: Mapping[str, Any], plugins, fusion: str = "none") -> list[Kernel]:
    """The kernels (after ``fusion``) of a ``builder: graph`` record, costed with the installed handlers.

    Raises :class:`~graphs.errors.UnsupportedOpError` for an op without a handler, ValueError
    for a malformed record.
    """
    g = graph_from_record(rec)
    return partition(g, plugins.ops, FusionPolicy.named(fusion))


def model_reference(model: str, batch: int, seq_len: int | None = None) -> dict[str, Any]:
    return {"builder": ZOO, "model": model, "batch": int(batch), "seq_len": seq_len}


def model_graph(shapes: Mapping[str, Any], plugins) -> Graph:
    """The traced graph of a whole-model measurement (``builder: zoo``)."""
    from graphs.frontends import LoadOptions, load_model

    if not isinstance(shapes, Mapping) or shapes.get("builder") != ZOO:
        raise GraphsError("measurement is not a zoo model run (shapes.builder != 'zoo')")
    return load_model(str(shapes["model"]), LoadOptions(batch=int(shapes["batch"]), seq_len=shapes.get("seq_len")),
                      plugins)


# --- compact files of measurements (committed data, sharing) ------------------------------------------
def dump_measurements(store, path, *, device: str | None = None, header: Mapping[str, Any] | None = None) -> int:
    """Write ``store``'s runs and measurements (optionally of one device) as gzipped JSON lines.

    Line 1: ``{"header": ...}``; then per run ``{"run": {...}}`` followed by its
    ``{"m": {...}}`` lines. Returns the number of measurements written. Deterministic (sorted
    keys, no timestamps in the gzip header) so a re-dump of the same store is byte-identical.
    """
    import dataclasses
    import gzip
    import json

    rows = store.query(device=device)
    by_run: dict[int, list] = {}
    runs: dict[int, Any] = {}
    for sm in rows:
        by_run.setdefault(sm.run_id, []).append(sm.m)
        runs[sm.run_id] = sm.run
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        def line(obj: Any) -> None:
            gz.write((json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n").encode())

        line({"header": dict(header or {}), "format": "graphs-measurements/1"})
        for rid in sorted(runs):
            line({"run": dataclasses.asdict(runs[rid])})
            for m in by_run[rid]:
                line({"m": dataclasses.asdict(m)})
    return len(rows)


def load_measurements(path, store) -> dict[str, Any]:
    """Add the runs of a :func:`dump_measurements` file to ``store``; returns its header."""
    import gzip
    import json

    from graphs.store import Measurement, Run

    header: dict[str, Any] = {}
    run = None
    batch: list = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for i, text in enumerate(fh):
                obj = json.loads(text)
                if i == 0:
                    if obj.get("format") != "graphs-measurements/1":
                        raise GraphsError(f"{path}: not a graphs measurements file")
                    header = obj.get("header") or {}
                elif "run" in obj:
                    if run is not None and batch:
                        store.add_batch(run, batch)
                    run, batch = Run(**obj["run"]), []
                else:
                    batch.append(Measurement(**obj["m"]))
    except (OSError, ValueError, TypeError) as e:
        raise GraphsError(f"{path}: cannot read measurements ({e})") from None
    if run is not None and batch:
        store.add_batch(run, batch)
    return header
