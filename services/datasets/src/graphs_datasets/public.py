"""Import the public measurement sets in ``../shared/data`` into a results store.

:func:`import_public_data` reads, from a root laid out like ``../shared/data``:

* **NeuSight** (``neusight/``, PyTorch 2.1 eager, CUDA events, FP32 with TF32 off):
  single-kernel benchmarks ``kernels/train/<op>/<GPU>.csv`` and ``kernels/test/{bmm,linear,elem,ln,softmax}.csv``
  (``test/vec.csv`` and ``test/habitat.csv`` repeat ``elem + ln + softmax`` and are skipped) as level
  ``kernel``; the per-op rows of the model labels ``labels/<GPU>/<tag>.csv`` (one torch.fx node of the
  embeddings, one layer or the head each) as level ``layer``; the whole-model labels ``labels/<GPU>/<tag>.json``
  as level ``model``.
* **VIDUR** (``vidur/compute/<gpu>/<org>/<model>/mlp.csv``, fp16 GPU kernel times): each decoder
  op (projections, norms, activation, add, embedding, rotary) as level ``kernel``; ``vidur/network``
  collectives as level ``collective``.
* **DeepBench** (dense GEMM tables of the training FP32/FP16 and inference sheets) as level ``kernel``.
* **LLMCompass** (fp16 matmul, softmax, layer norm and GELU on A100 and MI210) as level ``kernel``.

Every run is ``Run(device=<catalog id>, runtime=…, source="imported:<dataset>")`` with its key
``<dataset>:<file>[#<device name>]`` in ``notes``; a key already in the store is not imported
again, so importing twice adds nothing. Devices that map to no installed hardware
(:mod:`graphs_datasets.devices`) are listed in the report's ``skipped``, never guessed.

Each kernel measurement keeps in ``shapes`` what :func:`kernel_from_shapes` needs to rebuild the
:class:`~graphs.partition.Kernel` (so a calibration can be fitted from the store alone) and in
``params`` its dtype and ``timing`` (``eager``: CUDA events around one eager op, host dispatch
included; ``kernel``: GPU kernel time only).
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from graphs_datasets.devices import catalog_id
from graphs.kernels import (conv_kernel, elementwise_kernel, embedding_kernel, gemm_kernel, rowwise_kernel,
                                     vector_kernel)
from graphs_datasets.labels import TAG, ModelLabel, op_kernel, parse_label_csv
from graphs.errors import GraphsError
from graphs.partition import Kernel
from graphs.store import Measurement, ResultsStore, Run

DATASETS = ("neusight", "vidur", "deepbench", "llmcompass")
NEUSIGHT_TEST = ("bmm.csv", "linear.csv", "elem.csv", "ln.csv", "softmax.csv")
NEUSIGHT_DUPLICATES = {"vec.csv": "elem.csv + ln.csv + softmax.csv", "habitat.csv": "elem.csv + ln.csv + softmax.csv"}
PRECISION_OF = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8"}


@dataclass
class ImportReport:
    """What an import added (runs, measurements by device) and what it skipped, with why."""

    runs_added: int = 0
    runs_present: int = 0
    measurements: int = 0
    by_device: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"runs_added": self.runs_added, "runs_present": self.runs_present, "measurements": self.measurements,
                "by_device": dict(sorted(self.by_device.items())),
                "skipped": [{"what": w, "why": y} for w, y in self.skipped]}


# --- rebuilding kernels from stored shapes ------------------------------------------------------
def kernel_from_shapes(shapes: Mapping[str, Any], dtype: str = "float32") -> Kernel | None:
    """The Kernel a stored measurement describes (see the builders in :mod:`graphs.kernels`)."""
    b = shapes.get("builder")
    if b == "gemm":
        return gemm_kernel(int(shapes["b"]), int(shapes["m"]), int(shapes["n"]), int(shapes["k"]), dtype,
                           linear=bool(shapes.get("linear")), bias=bool(shapes.get("bias", True)))
    if b == "conv":
        return conv_kernel(*(int(shapes[c]) for c in ("b", "cin", "cout", "ks", "size", "stride", "pad")), dtype=dtype)
    if b == "vector":
        return vector_kernel(str(shapes["op"]), int(shapes["b"]), int(shapes["h"]), dtype)
    if b == "rowwise":
        return rowwise_kernel(str(shapes["kind"]), tuple(shapes["shape"]), dtype)
    if b == "elementwise":
        return elementwise_kernel(str(shapes["kind"]), [tuple(s) for s in shapes["ins"]], tuple(shapes["out"]), dtype)
    if b == "embedding":
        return embedding_kernel(tuple(shapes["index"]), tuple(shapes["out"]), dtype)
    if b == "fx":
        return op_kernel(str(shapes["callee"]), [tuple(s) for s in shapes["ins"]], tuple(shapes["out"]), dtype,
                         shapes.get("contiguous", ()), shapes.get("in_dtypes", ()))
    return None


def stored_kernel(m: Measurement) -> Kernel | None:
    """Rebuild the kernel of a stored measurement (None if it has no kernel model)."""
    try:
        return kernel_from_shapes(m.shapes, str(m.params.get("dtype", "float32")))
    except (KeyError, TypeError, ValueError, IndexError):
        return None


# --- the importer ---------------------------------------------------------------------------------
class _Importer:
    def __init__(self, root: Path, store: ResultsStore, plugins, limit: int | None) -> None:
        self.root, self.store, self.plugins, self.limit = root, store, plugins, limit
        self.report = ImportReport()
        self.present = {r.notes for _, r in store.runs() if r.source.startswith("imported:")}
        self.unmapped: dict[str, dict[str, str]] = {}

    def device(self, name: str, dataset: str) -> str | None:
        try:
            return catalog_id(name, self.plugins, dataset)
        except GraphsError as e:
            why = str(e).split(": ", 1)[1] if " is not mapped: " in str(e) else "maps to no installed hardware"
            self.unmapped.setdefault(dataset, {})[name] = why
            return None

    def add(self, dataset: str, key: str, device: str, runtime: str, ms: Sequence[Measurement],
            software: Mapping[str, Any] | None = None, host: Mapping[str, Any] | None = None) -> None:
        notes = f"{dataset}:{key}"
        if notes in self.present:
            self.report.runs_present += 1
            return
        if not ms:
            self.report.skipped.append((notes, "no usable rows"))
            return
        self.store.add_batch(Run(device, runtime, f"imported:{dataset}", dict(software or {}), dict(host or {}), notes), ms)
        self.present.add(notes)
        self.report.runs_added += 1
        self.report.measurements += len(ms)
        self.report.by_device[device] = self.report.by_device.get(device, 0) + len(ms)

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        with path.open(newline="", encoding="utf-8") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                if self.limit is not None and i >= self.limit:
                    return
                yield r

    def rel(self, p: Path) -> str:
        return p.relative_to(self.root).as_posix()

    def finish(self) -> ImportReport:
        for ds, names in sorted(self.unmapped.items()):
            for n, why in sorted(names.items()):
                self.report.skipped.append((f"{ds}: device {n!r}", why))
        return self.report


def _kernel_measurement(name: str, shapes: dict, dtype: str, seconds: float, timing: str, repeats: int,
                        extra: dict | None = None, **stats: float | None) -> Measurement | None:
    if not (seconds > 0 and math.isfinite(seconds)):
        return None
    k = kernel_from_shapes(shapes, dtype)
    if k is None:
        return None
    return Measurement(level="kernel", name=name, median_s=seconds, repeats=repeats, op_kind=k.kind,
                       precision=PRECISION_OF.get(dtype, dtype), shapes=shapes,
                       params={"dtype": dtype, "timing": timing}, extra=extra or {}, **stats)


# NeuSight ------------------------------------------------------------------------------------------
def _neusight_shapes(op: str, r: Mapping[str, str]) -> dict | None:
    try:
        if op in ("bmm", "linear"):
            return {"builder": "gemm", "b": int(r["B"]), "m": int(r["M"]), "n": int(r["N"]), "k": int(r["K"]),
                    "linear": op == "linear"}
        if op == "conv":
            s = {k: int(r[c]) for k, c in (("b", "B"), ("cin", "Input_Channel"), ("cout", "Output_Channel"),
                                            ("ks", "Kernel_Szie"), ("size", "Input_Size"), ("stride", "Stride"),
                                            ("pad", "Padding"))}
            return {"builder": "conv", **s}
        return {"builder": "vector", "op": op, "b": int(r["B"]), "h": int(r["H"])}
    except (KeyError, ValueError):
        return None


def _import_neusight(im: _Importer) -> None:
    base = im.root / "neusight"
    if not base.is_dir():
        return
    files = sorted((base / "kernels" / "train").glob("*/*.csv"))
    test = base / "kernels" / "test"
    files += [test / f for f in NEUSIGHT_TEST if (test / f).exists()]
    for f, why in NEUSIGHT_DUPLICATES.items():
        if (test / f).exists():
            im.report.skipped.append((im.rel(test / f), f"duplicates {why}"))
    for f in files:
        per_dev: dict[str, list[Measurement]] = {}
        sw: dict[str, dict] = {}
        for i, r in enumerate(im.rows(f)):
            name, op = r.get("Device", ""), r.get("OPName", "")
            shapes = _neusight_shapes(op, r)
            try:
                lat = float(r["Latency"]) * 1e-3
            except (KeyError, ValueError):
                continue
            if shapes is None:
                continue
            try:
                m = _kernel_measurement(op, shapes, "float32", lat, "eager", 5, {"row": i, "kernel": r.get("Kernel Name", "")},
                                        mean_s=lat)
            except (ValueError, KeyError):
                m = None
            if m is not None:
                per_dev.setdefault(name, []).append(m)
                sw.setdefault(name, {"torch": r.get("Torch Version", ""), "cuda": r.get("CUDA Version", ""),
                                     "cudnn": r.get("CUDNN Version", "")})
        for name, ms in sorted(per_dev.items()):
            hw = im.device(name, "neusight")
            if hw is not None:
                im.add("neusight", f"{im.rel(f)}#{name}", hw, "pytorch-eager", ms, sw[name], {"gpu": name})
    # model labels: per-op rows (layer) and whole models (model)
    for gdir in sorted(p for p in (base / "labels").glob("*") if p.is_dir()):
        cfg = base / "device_configs" / f"{gdir.name}.json"
        name = json.loads(cfg.read_text()).get("Device", gdir.name) if cfg.exists() else gdir.name
        hw = im.device(name, "neusight")
        if hw is None:
            continue
        for jf in sorted(gdir.glob("*.json")):
            if not TAG.match(jf.stem):
                continue
            lab = ModelLabel.read(jf)
            k = lab.key
            meas = [Measurement(level="model", name=k.model, median_s=lab.e2e_s, repeats=5, precision="fp32",
                                params={"mode": k.mode, "seq": k.seq, "batch": k.batch, "option": k.option,
                                        "num_layer": lab.num_layer, "tag": k.tag},
                                extra={"fw_s": lab.fw_s, "bwall_s": lab.bw_s})] if lab.e2e_s > 0 else []
            im.add("neusight", im.rel(jf), hw, "pytorch-eager", meas, {"torch": "2.1", "cuda": "12.1"}, {"gpu": name})
        for cf in sorted(gdir.glob("*.csv")):
            if not TAG.match(cf.stem):
                continue
            try:
                g = parse_label_csv(cf, strict=False)
            except GraphsError as e:
                im.report.skipped.append((im.rel(cf), str(e)))
                continue
            meas = []
            for o in g.ops:
                if not (o.measured_s > 0):
                    continue
                shapes = {}
                if o.kernel is not None:
                    shapes = {"builder": "fx", "callee": o.op, "out": list(o.shape_out), "ins": [list(s) for s in o.shapes_in],
                              "contiguous": list(o.contiguous_in), "in_dtypes": list(o.in_dtypes)}
                meas.append(Measurement(level="layer", name=o.name, median_s=o.measured_s, repeats=5,
                                        op_kind=o.kernel.kind if o.kernel is not None else "",
                                        precision="fp32", shapes=shapes,
                                        params={"dtype": o.kernel.dtype if o.kernel is not None else "", "timing": "eager",
                                                "part": o.part, "callee": o.op, "tag": g.key.tag, "model": g.key.model,
                                                "index": o.index}))
            im.add("neusight", im.rel(cf), hw, "pytorch-eager", meas, {"torch": "2.1", "cuda": "12.1"}, {"gpu": name})


# VIDUR ---------------------------------------------------------------------------------------------
def _vidur_ops(r: Mapping[str, str]) -> Iterator[tuple[str, dict, str]]:
    t, e, h = int(r["num_tokens"]), int(r["n_embd"]), int(r["n_head"])
    kv, ff, p = int(r["n_kv_head"]), int(r["n_expanded_embd"]), int(r["num_tensor_parallel_workers"])
    gated = r["use_gated_mlp"].strip().lower() == "true"
    d = e // h
    gemm = lambda m, n, k: {"builder": "gemm", "b": 1, "m": m, "n": n, "k": k, "linear": True, "bias": False}  # noqa: E731
    yield "attn_pre_proj", gemm(t, (h + 2 * kv) * d // p, e), "linear"
    yield "attn_post_proj", gemm(t, e, h * d // p), "linear"
    yield "mlp_up_proj", gemm(t, ff * (2 if gated else 1) // p, e), "linear"
    yield "mlp_down_proj", gemm(t, e, ff // p), "linear"
    norm = "rms_norm" if gated else "layer_norm"
    yield "input_layernorm", {"builder": "rowwise", "kind": norm, "shape": [t, e]}, norm
    yield "post_attention_layernorm", {"builder": "rowwise", "kind": norm, "shape": [t, e]}, norm
    act = ({"builder": "elementwise", "kind": "silu", "ins": [[t, ff // p], [t, ff // p]], "out": [t, ff // p]} if gated
           else {"builder": "elementwise", "kind": "gelu", "ins": [[t, ff // p]], "out": [t, ff // p]})
    yield "mlp_act", act, act["kind"]
    yield "add", {"builder": "elementwise", "kind": "add", "ins": [[t, e], [t, e]], "out": [t, e]}, "add"
    yield "emb", {"builder": "embedding", "index": [t], "out": [t, e]}, "embedding"
    rope = [t, (h + kv) * d // p]
    yield "attn_rope", {"builder": "elementwise", "kind": "rotary", "ins": [rope], "out": rope}, "rotary"


def _import_vidur(im: _Importer) -> None:
    base = im.root / "vidur"
    for gdir in sorted(p for p in (base / "compute").glob("*") if p.is_dir()):
        hw = im.device(gdir.name, "vidur")
        if hw is None:
            continue
        for f in sorted(gdir.glob("*/*/mlp.csv")):
            model = f"{f.parent.parent.name}/{f.parent.name}"
            ms = []
            for i, r in enumerate(im.rows(f)):
                try:
                    ops = list(_vidur_ops(r))
                except (KeyError, ValueError, ZeroDivisionError):
                    continue
                for op, shapes, _ in ops:
                    try:
                        med = float(r.get(f"time_stats.{op}.median") or "nan") * 1e-3
                        stats = {s: float(r[f"time_stats.{op}.{s}"]) * 1e-3 for s in ("mean", "min", "max", "std")
                                 if r.get(f"time_stats.{op}.{s}")}
                    except ValueError:
                        continue
                    m = _kernel_measurement(op, shapes, "float16", med, "kernel", 1,
                                            {"row": i, "model": model,
                                             "config": {c: r.get(c) for c in ("n_head", "n_kv_head", "n_embd",
                                                                                "n_expanded_embd", "num_tokens",
                                                                                "num_tensor_parallel_workers")}},
                                            **{f"{s}_s": v for s, v in stats.items()})
                    if m is not None:
                        ms.append(m)
            im.add("vidur", im.rel(f), hw, "vidur-profiler", ms, {}, {"gpu": gdir.name})
    for cdir in sorted(p for p in (base / "network").glob("*") if p.is_dir()):
        hw = im.device(cdir.name, "vidur")
        if hw is None:
            continue
        for f in sorted(cdir.glob("*.csv")):
            ms = []
            for i, r in enumerate(im.rows(f)):
                coll = r.get("collective") or f.stem
                try:
                    med = float(r[f"time_stats.{coll}.median"]) * 1e-3
                    size = int(float(r["size"]))
                except (KeyError, ValueError):
                    continue
                if med > 0:
                    ms.append(Measurement(level="collective", name=coll, median_s=med, repeats=1, op_kind="collective",
                                          shapes={"bytes": size}, params={k: r.get(k) for k in ("num_workers",
                                                                                                   "devices_per_node", "rank")},
                                          extra={"row": i, "cluster": cdir.name}))
            im.add("vidur", im.rel(f), hw, "vidur-profiler", ms, {}, {"cluster": cdir.name})


# DeepBench -----------------------------------------------------------------------------------------
def _deepbench_precision(path: Path, first: str) -> str | None:
    s = (path.name + " " + first).lower()
    if "int8" in s:
        return None          # int8 GEMMs: recorded as skipped
    if "fp16" in s or "16 bit" in s or "mixed" in s:
        return "float16"
    return "float32"


def _import_deepbench(im: _Importer) -> None:
    base = im.root / "deepbench"
    for ddir in sorted(p for p in base.glob("*") if p.is_dir()):
        m = re.search(r"DeepBench_(.+)$", ddir.name)
        if not m:
            continue
        dev = m.group(1)
        if not dev.startswith(("NV_", "AMD_")):
            im.unmapped.setdefault("deepbench", {})[dev] = "not a GPU of the catalog (CPU, phone or board)"
            continue
        hw = im.device(dev, "deepbench")
        if hw is None:
            continue
        for f in sorted(ddir.glob("*.csv")):
            if f.name == "Specs.csv":
                continue
            lines = list(csv.reader(f.open(newline="", encoding="utf-8", errors="replace")))
            dtype = _deepbench_precision(f, " ".join(lines[0]) if lines else "")
            if dtype is None:
                im.report.skipped.append((im.rel(f), "int8 GEMMs (no int8 kernel model in this import)"))
                continue
            ms, cols = [], None
            for i, row in enumerate(lines):
                head = (row[0] if row else "").strip()
                if head:
                    cols = ({c.strip(): j for j, c in enumerate(row)} if "Matrix Multiplication" in head
                            and "Sparse" not in head else None)
                    continue
                if cols is None or "Time (msec)" not in cols:
                    continue
                try:
                    mm, nn, kk = (int(row[cols[c]]) for c in ("M", "N", "K"))
                    t = float(row[cols["Time (msec)"]]) * 1e-3
                except (ValueError, IndexError, KeyError):
                    continue
                ta = row[cols.get("A Transpose", 5)].strip() if cols.get("A Transpose") is not None else ""
                tb = row[cols.get("B Transpose", 6)].strip() if cols.get("B Transpose") is not None else ""
                meas = _kernel_measurement("gemm", {"builder": "gemm", "b": 1, "m": mm, "n": nn, "k": kk},
                                           dtype, t, "kernel", 1, {"row": i, "transposes": ta + tb})
                if meas is not None:
                    ms.append(meas)
            if not ms:
                im.report.skipped.append((im.rel(f), "no dense GEMM table (convolution/RNN/all-reduce tables are not imported)"))
                continue
            im.add("deepbench", im.rel(f), hw, "deepbench-cublas", ms, {}, {"gpu": dev})


# LLMCompass ----------------------------------------------------------------------------------------
def _import_llmcompass(im: _Importer) -> None:
    base = im.root / "llmcompass"
    for f in sorted(base.glob("*.csv")):
        m = re.search(r"real_hardware__(\w+?)_(A100|MI210)\.csv$", f.name)
        if not m:
            im.report.skipped.append((im.rel(f), "not a per-operator table (transformer layer sums / die areas)"))
            continue
        what, dev = m.group(1), m.group(2)
        if what.startswith("transformer"):
            im.report.skipped.append((im.rel(f), "transformer layer totals without their configurations"))
            continue
        hw = im.device(dev, "llmcompass")
        if hw is None:
            continue
        ms = []
        for i, line in enumerate(f.read_text().splitlines()):
            parts = [p.strip() for p in line.split(",")]
            try:
                if what == "matmul":
                    mm, kk, nn = int(parts[0]), int(parts[1]), int(parts[2])
                    t = float(parts[3].removesuffix("ms")) * 1e-3
                    shapes = {"builder": "gemm", "b": 1, "m": mm, "n": nn, "k": kk}
                elif what in ("softmax", "layernorm"):
                    mm, nn, thr = int(parts[0]), int(parts[1]), float(parts[2])   # G elements / s
                    t = mm * nn / (thr * 1e9)
                    shapes = {"builder": "rowwise", "kind": "softmax" if what == "softmax" else "layer_norm",
                              "shape": [mm, nn]}
                elif what == "gelu":
                    n, thr = int(parts[0]), float(parts[1])
                    t = n / (thr * 1e9)
                    shapes = {"builder": "elementwise", "kind": "gelu", "ins": [[n]], "out": [n]}
                else:
                    break
            except (ValueError, IndexError, ZeroDivisionError):
                continue
            meas = _kernel_measurement(what, shapes, "float16", t, "eager", 1, {"row": i})
            if meas is not None:
                ms.append(meas)
        im.add("llmcompass", im.rel(f), hw, "pytorch-eager", ms, {}, {"gpu": dev})


_IMPORTERS = {"neusight": _import_neusight, "vidur": _import_vidur, "deepbench": _import_deepbench,
              "llmcompass": _import_llmcompass}


def import_public_data(root: str | Path, store: ResultsStore, plugins=None, *,
                       datasets: Iterable[str] = DATASETS, limit: int | None = None) -> ImportReport:
    """Import the data sets under ``root`` (laid out like ``../shared/data``) into ``store``.

    Idempotent: runs are keyed by data set and file (and device, where one file holds several);
    a key already in the store is skipped. ``limit`` caps the rows read per file (quick runs, tests).
    """
    from graphs.plugins import get_plugins

    r = Path(root)
    if not r.is_dir():
        raise GraphsError(f"{r}: no such data folder")
    unknown = set(datasets) - set(_IMPORTERS)
    if unknown:
        raise GraphsError(f"unknown data set(s) {', '.join(sorted(unknown))} (known: {', '.join(DATASETS)})")
    im = _Importer(r, store, plugins or get_plugins(), limit)
    for ds in DATASETS:
        if ds in set(datasets):
            _IMPORTERS[ds](im)
    return im.finish()


__all__ = ["import_public_data", "ImportReport", "kernel_from_shapes", "stored_kernel", "DATASETS"]
