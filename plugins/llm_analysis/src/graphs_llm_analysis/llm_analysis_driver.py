"""llm-analysis driver (run by llm-analysis' own interpreter, never imported by graphs):
``python llm_analysis_driver.py JOBS OUT``.

Builds llm-analysis' ``ModelConfig``, ``GPUConfig``, ``DtypeConfig`` (w16a16e16) and
``ParallelismConfig`` from each job graphs wrote and calls ``LLMAnalysis.inference``:

* decode: ``seq_len = 1`` and ``num_tokens_to_generate = context - 1``: the KV cache its decode
  step reads and writes holds ``seq_len + num_tokens_to_generate = context`` tokens (the decode
  latency depends on nothing else), and the prefill it also evaluates is one token, so its
  prefill-activation memory check (a whole batch of prompts at once, which a serving engine with
  chunked prefill never holds) does not refuse a decode step that fits; ``latency_s`` is
  ``decode_latency`` (one step of the batch);
* prefill: ``seq_len = prompt``; ``latency_s`` is ``prefill_latency``.

A gated MLP (three matrices of ``hidden x ffn``) is given as ``ffn_embed_dim = 1.5 * ffn`` with an
explicit ``expansion_ratio``, so the weight bytes (which decode reads) are right;
llm-analysis computes MLP FLOPs as two ``4h`` matrices whatever the width (stated by the adapter).
"""

import json
import logging
import sys
import time
import traceback


def run_job(la, cfg, job):
    c = job["config"]
    d = job["device"]
    ffn = float(c["ffn"]) * (1.5 if c["gated"] else 1.0)
    ffn_i = int(round(ffn))
    experts = int(c.get("experts") or 0)
    model = cfg.ModelConfig(name=job["model"], num_layers=int(c["layers"]), n_head=int(c["heads"]),
                            hidden_dim=int(c["dim"]), vocab_size=int(c["vocab"]), max_seq_len=int(c["max_pos"]),
                            num_key_value_heads=int(c["kv_heads"]), ffn_embed_dim=ffn_i,
                            expansion_ratio=ffn_i / float(c["dim"]), model_type="llama",
                            moe_num_experts=max(experts, 1), moe_top_k=int(c["top_k"]) if experts > 1 else 1)
    gpu = cfg.GPUConfig(name=d["id"], mem_per_GPU_in_GB=d["memory_bytes"] / 1e9,
                        hbm_bandwidth_in_GB_per_sec=d["hbm_bandwidth"] / 1e9,
                        intra_node_bandwidth_in_GB_per_sec=(d["link_bandwidth"] or 1e9) / 1e9,
                        intra_node_min_message_latency=d["link_latency_s"] or 1e-6,
                        peak_fp16_TFLOPS=d["peak_flops"] / 1e12)
    dtype = cfg.get_dtype_config_by_name("w16a16e16")
    par = cfg.ParallelismConfig(tp_size=int(job["tp"]))
    a = la.LLMAnalysis(model, gpu, dtype, par)
    t0 = time.monotonic()
    if job["phase"] == "decode":
        gen = max(int(job["context"]) - 1, 1)
        out = a.inference(batch_size_per_gpu=int(job["batch"]), seq_len=1, num_tokens_to_generate=gen)
        lat = out["decode_latency"]
    else:
        out = a.inference(batch_size_per_gpu=int(job["batch"]), seq_len=int(job["prompt"]), num_tokens_to_generate=1)
        lat = out["prefill_latency"]
    keep = {k: v for k, v in out.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return {"ok": True, "phase": job["phase"], "latency_s": float(lat), "wall_s": time.monotonic() - t0,
            "flops_efficiency": a.flops_efficiency, "hbm_memory_efficiency": a.hbm_memory_efficiency,
            "summary": keep}


def main(argv):
    jobs = json.load(open(argv[1], encoding="utf-8"))["jobs"]
    t0 = time.monotonic()
    from importlib.metadata import version
    import llm_analysis.analysis as la
    import llm_analysis.config as cfg
    from llm_analysis.logger import logger
    logger.setLevel(logging.ERROR)
    import_s = time.monotonic() - t0
    results = []
    for job in jobs:
        try:
            results.append(run_job(la, cfg, job))
        except Exception as e:  # one job's failure is that job's result
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}",
                            "trace": traceback.format_exc(limit=3)[-1500:]})
    doc = {"tool": "llm-analysis", "version": version("llm-analysis"), "python": sys.version.split()[0],
           "import_s": import_s, "results": results}
    with open(argv[2], "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
