"""Measure LLM decode steps and their GPU energy (NVML) on a lent GPU; compare with graphs' estimate.

    python benchmarks/gpu_decode_energy.py --out $OUT/decode_energy.json        # on a CUDA machine (< 10 min)
    python benchmarks/gpu_decode_energy.py --dry-run --out /tmp/d.json           # anywhere: tiny model on CPU

For one or two published architectures (``graphs_llm/data/architectures.yaml``, random bf16 weights built
on the device: nothing is downloaded), a plain PyTorch decoder (RMSNorm, fused QKV, RoPE, GQA attention
over a static KV cache with ``scaled_dot_product_attention``, SwiGLU MLP, LM head) runs decode steps at
several batch sizes with a fixed cached context. Per batch: warm-up steps, then ``--steps`` timed steps
(CUDA events and wall clock), and the GPU's energy from NVML's total-energy counter
(``nvmlDeviceGetTotalEnergyConsumption``, mJ, Volta and newer) over the same window, with power samples
(``nvmlDeviceGetPowerUsage``). Written as JSON (and CSV beside it): GPU name, driver, CUDA, torch and
graphs versions, every measurement, and graphs' own estimate for the same step (the kernel model in the
``eager`` runtime — this script runs eager PyTorch — and the power model of the device, or of its family).

``--dry-run`` runs a 2-layer miniature of the same model on the CPU for 2 steps per batch (no NVML),
so the whole path — model build, timing, graphs' estimate, output files — is exercised without a GPU
(``tests/test_gpu_script.py``). Nothing here is a GPU measurement unless ``device`` in the output says cuda.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B")
BATCHES = (1, 8, 32, 128)
CONTEXT = 1024


@dataclass(frozen=True)
class Arch:
    name: str
    layers: int
    dim: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    qk_norm: bool


def arch(model_id: str, dry: bool) -> Arch:
    from graphs_llm.archs import published
    c = published(model_id).cfg
    if dry:   # same shape family, tiny: runs on a CPU in a second
        return Arch(c.name + "-mini", 2, 256, 4, 2, 64, 512, 1024, c.qk_norm)
    return Arch(c.name, c.layers, c.dim, c.heads, c.kv_heads, c.head_dim, c.ffn, c.vocab, c.qk_norm)


class Decoder:
    """A plain decoder with random weights and a static KV cache of ``ctx + steps`` slots per sequence."""

    def __init__(self, a: Arch, batch: int, ctx: int, max_new: int, device: str, dtype: Any) -> None:
        import torch
        self.a, self.torch = a, torch
        g = torch.Generator(device=device).manual_seed(0)

        def w(*shape: int) -> Any:
            return (torch.randn(*shape, device=device, dtype=dtype, generator=g) * 0.02)
        self.emb = w(a.vocab, a.dim)
        self.layers = [dict(qkv=w((a.heads + 2 * a.kv_heads) * a.head_dim, a.dim), o=w(a.dim, a.heads * a.head_dim),
                            up=w(2 * a.ffn, a.dim), down=w(a.dim, a.ffn), n1=torch.ones(a.dim, device=device, dtype=dtype),
                            n2=torch.ones(a.dim, device=device, dtype=dtype),
                            qn=torch.ones(a.head_dim, device=device, dtype=dtype)) for _ in range(a.layers)]
        self.head = w(a.vocab, a.dim)
        self.norm = torch.ones(a.dim, device=device, dtype=dtype)
        slots = ctx + max_new
        self.k = [torch.randn(batch, a.kv_heads, slots, a.head_dim, device=device, dtype=dtype, generator=g) * 0.1
                  for _ in range(a.layers)]
        self.v = [torch.randn(batch, a.kv_heads, slots, a.head_dim, device=device, dtype=dtype, generator=g) * 0.1
                  for _ in range(a.layers)]
        self.pos = ctx
        inv = 1.0 / (1e6 ** (torch.arange(0, a.head_dim, 2, device=device, dtype=torch.float32) / a.head_dim))
        self.inv = inv
        self.tokens = torch.randint(0, a.vocab, (batch,), device=device, generator=g)

    def _rms(self, x: Any, w: Any) -> Any:
        t = self.torch
        return (x.float() * t.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6)).to(x.dtype) * w

    def _rope(self, x: Any) -> Any:
        t = self.torch
        ang = self.pos * self.inv
        cos, sin = t.cos(ang).to(x.dtype), t.sin(ang).to(x.dtype)
        x1, x2 = x[..., ::2], x[..., 1::2]
        return t.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)

    def step(self) -> None:
        """One decode step: every sequence produces one token attending to ``pos`` cached tokens."""
        t, a = self.torch, self.a
        F = t.nn.functional
        b = self.tokens.shape[0]
        x = self.emb[self.tokens]
        for i, L in enumerate(self.layers):
            h = self._rms(x, L["n1"])
            qkv = h @ L["qkv"].T
            q, k, v = qkv.split([a.heads * a.head_dim, a.kv_heads * a.head_dim, a.kv_heads * a.head_dim], dim=-1)
            q = q.view(b, a.heads, 1, a.head_dim)
            k = k.view(b, a.kv_heads, 1, a.head_dim)
            if a.qk_norm:
                q, k = self._rms(q, L["qn"]), self._rms(k, L["qn"])
            q, k = self._rope(q), self._rope(k)
            self.k[i][:, :, self.pos:self.pos + 1] = k
            self.v[i][:, :, self.pos:self.pos + 1] = v.view(b, a.kv_heads, 1, a.head_dim)
            kk, vv = self.k[i][:, :, :self.pos + 1], self.v[i][:, :, :self.pos + 1]
            o = F.scaled_dot_product_attention(q, kk, vv, enable_gqa=a.heads != a.kv_heads)
            x = x + o.reshape(b, a.heads * a.head_dim) @ L["o"].T
            h = self._rms(x, L["n2"])
            gu = h @ L["up"].T
            gate, up = gu.chunk(2, dim=-1)
            x = x + (F.silu(gate) * up) @ L["down"].T
        logits = self._rms(x, self.norm) @ self.head.T
        self.tokens = logits.argmax(-1)
        self.pos += 1


class Energy:
    """NVML energy counter and power samples of one GPU (None where NVML is unavailable)."""

    def __init__(self, index: int) -> None:
        self.handle, self.why, self.nvml = None, "", None
        try:
            import pynvml
            pynvml.nvmlInit()
            self.nvml, self.handle = pynvml, pynvml.nvmlDeviceGetHandleByIndex(index)
        except Exception as e:   # no pynvml, no driver, no GPU
            self.why = f"NVML unavailable: {type(e).__name__}: {e}"

    def joules(self) -> float | None:
        if self.handle is None:
            return None
        try:
            return self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle) / 1e3
        except Exception as e:
            self.why = f"nvmlDeviceGetTotalEnergyConsumption: {e}"
            return None

    def watts(self) -> float | None:
        if self.handle is None:
            return None
        try:
            return self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1e3
        except Exception:
            return None

    def info(self) -> dict[str, Any]:
        if self.handle is None:
            return {"nvml": self.why}
        n = self.nvml
        out: dict[str, Any] = {}
        for key, fn in (("driver", lambda: n.nvmlSystemGetDriverVersion()), ("name", lambda: n.nvmlDeviceGetName(self.handle)),
                        ("power_limit_w", lambda: n.nvmlDeviceGetPowerManagementLimit(self.handle) / 1e3),
                        ("max_sm_clock_mhz", lambda: n.nvmlDeviceGetMaxClockInfo(self.handle, n.NVML_CLOCK_SM))):
            try:
                v = fn()
                out[key] = v.decode() if isinstance(v, bytes) else v
            except Exception as e:
                out[key] = f"unavailable: {e}"
        return out


def graphs_estimate(model_id: str, hw: str | None, batch: int, ctx: int) -> dict[str, Any]:
    """graphs' estimate of the same decode step (eager runtime) and its power on ``hw`` (None: not estimated)."""
    if hw is None:
        return {"hardware": None, "why": "GPU not in graphs' catalog"}
    from graphs.plugins import get_plugins
    from graphs.power import average_power
    from graphs_llm.archs import published
    from graphs_llm.builder import Precision
    from graphs_llm.steady import Deployment, ServingStep
    from graphs_llm.timing import mapper_for_runtime
    m = published(model_id)
    mapper = mapper_for_runtime(get_plugins(), hw, "eager")
    step = ServingStep(m.cfg, mapper, Deployment(), Precision(act="bfloat16"), runtime="eager").decode(batch, ctx)
    out: dict[str, Any] = {"hardware": hw, "runtime": "eager", "step_s": step.time_s, "low_s": step.low_s,
                           "high_s": step.high_s, "confidence": step.confidence.name}
    coeffs = mapper.power_coefficients()
    if coeffs is not None:
        p = average_power(coeffs, step.activity, step.time_s, step.compute_bound_s)
        out.update(power_w=p.power_w, power_interval_w=[p.low_w, p.high_w], energy_per_step_j=p.energy_j,
                   power_confidence=p.confidence)
    return out


def catalog_id(name: str) -> str | None:
    n = name.upper()
    for key, hw in (("H200", "h200"), ("H100", "h100"), ("B200", "b200"), ("A100", "a100-sxm4-80gb"), ("L40S", "l40s"),
                    ("L4", "l4"), ("A40", "a40"), ("T4", "t4")):
        if key in n:
            return hw
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    import graphs
    cuda = torch.cuda.is_available() and not args.dry_run
    device = "cuda" if cuda else "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    energy = Energy(args.gpu_index) if cuda else None
    gpu_name = torch.cuda.get_device_name(args.gpu_index) if cuda else "none (dry run on CPU)"
    hw = args.hardware or (catalog_id(gpu_name) if cuda else "h200")
    meta = {
        "script": "benchmarks/gpu_decode_energy.py", "device": device, "dry_run": not cuda, "gpu": gpu_name,
        "gpu_info": energy.info() if energy else {}, "torch": torch.__version__,
        "cuda": torch.version.cuda, "graphs": getattr(graphs, "__version__", "?"), "python": platform.python_version(),
        "host": platform.node(), "dtype": str(dtype).replace("torch.", ""), "context_tokens": args.context,
        "steps_per_batch": args.steps, "warmup_steps": args.warmup, "graphs_hardware": hw,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    rows: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    for model_id in args.models:
        a = arch(model_id, not cuda)
        for batch in args.batches:
            if time.perf_counter() - t_start > args.budget_s:
                rows.append({"model": model_id, "batch": batch, "skipped": f"time budget {args.budget_s:g} s spent"})
                continue
            try:
                dec = Decoder(a, batch, args.context, args.warmup + args.steps + 1, device, dtype)
            except RuntimeError as e:     # out of memory and the like: recorded, not fatal
                rows.append({"model": model_id, "batch": batch, "skipped": f"{type(e).__name__}: {str(e)[:200]}"})
                continue
            with torch.inference_mode():
                for _ in range(args.warmup):
                    dec.step()
                if cuda:
                    torch.cuda.synchronize()
                    start_ev, end_ev = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                e0, w0 = (energy.joules(), energy.watts()) if energy else (None, None)
                t0 = time.perf_counter()
                if cuda:
                    start_ev.record()
                samples = []
                for i in range(args.steps):
                    dec.step()
                    if energy and i % max(1, args.steps // 5) == 0:
                        samples.append(energy.watts())
                if cuda:
                    end_ev.record()
                    torch.cuda.synchronize()
                wall = time.perf_counter() - t0
                e1, w1 = (energy.joules(), energy.watts()) if energy else (None, None)
            ev_s = start_ev.elapsed_time(end_ev) / 1e3 if cuda else None
            joules = (e1 - e0) if (e0 is not None and e1 is not None) else None
            row = {"model": model_id, "arch": a.name, "batch": batch, "context": args.context, "steps": args.steps,
                   "wall_s": wall, "cuda_event_s": ev_s, "step_ms": 1e3 * (ev_s or wall) / args.steps,
                   "tokens_per_s": batch * args.steps / (ev_s or wall), "energy_j": joules,
                   "avg_power_w": joules / wall if joules is not None else None,
                   "energy_per_token_j": joules / (batch * args.steps) if joules is not None else None,
                   "power_samples_w": [w for w in [w0, *samples, w1] if w is not None],
                   "energy_note": None if joules is not None else (energy.why if energy else "no CUDA: dry run")}
            try:
                row["graphs"] = graphs_estimate(model_id, hw, batch, args.context) if not args.no_graphs else None
            except Exception as e:   # the measurement stays even if the estimate fails
                row["graphs"] = {"error": f"{type(e).__name__}: {e}"}
            rows.append(row)
            del dec
            if cuda:
                torch.cuda.empty_cache()
    meta["elapsed_s"] = time.perf_counter() - t_start
    return {"meta": meta, "rows": rows}


def write(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    cols = ["model", "batch", "context", "steps", "step_ms", "tokens_per_s", "energy_j", "avg_power_w",
            "energy_per_token_j", "graphs_step_ms", "graphs_power_w", "skipped"]
    with out.with_suffix(".csv").open("w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(cols)
        for r in result["rows"]:
            g = r.get("graphs") or {}
            vals = {**r, "graphs_step_ms": 1e3 * g["step_s"] if "step_s" in g else None,
                    "graphs_power_w": g.get("power_w")}
            wr.writerow([vals.get(c) for c in cols])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="JSON file to write (a .csv is written beside it)")
    ap.add_argument("--dry-run", action="store_true", help="tiny model on the CPU, no NVML (exercises the script)")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--batches", nargs="+", type=int, default=list(BATCHES))
    ap.add_argument("--context", type=int, default=CONTEXT)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--gpu-index", type=int, default=0)
    ap.add_argument("--hardware", help="graphs hardware id to estimate (default: from the GPU name)")
    ap.add_argument("--budget-s", type=float, default=480.0, help="stop starting new batches after this many seconds")
    ap.add_argument("--no-graphs", action="store_true", help="skip graphs' estimate")
    args = ap.parse_args(argv)
    if args.dry_run:
        args.steps, args.warmup, args.context = min(args.steps, 2), min(args.warmup, 1), min(args.context, 64)
    if min(args.batches) < 1 or args.steps < 1 or args.context < 1:
        print("error: batches, steps and context must be >= 1", file=sys.stderr)
        return 2
    result = run(args)
    write(result, args.out)
    ok = [r for r in result["rows"] if "step_ms" in r]
    for r in ok:
        g = r.get("graphs") or {}
        est = f"graphs {1e3 * g['step_s']:.2f} ms" if "step_s" in g else "graphs –"
        pw = f", {r['avg_power_w']:.0f} W measured" if r.get("avg_power_w") else ""
        gp = f" / {g['power_w']:.0f} W graphs" if g.get("power_w") else ""
        print(f"{r['model']} batch {r['batch']}: {r['step_ms']:.2f} ms/step ({est}){pw}{gp}")
    print(f"wrote {args.out} and {args.out.with_suffix('.csv')} ({result['meta']['device']}, "
          f"{result['meta']['elapsed_s']:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
