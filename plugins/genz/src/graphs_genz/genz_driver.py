"""GenZ driver (run by GenZ's own interpreter, never imported by graphs): ``python genz_driver.py JOBS OUT``.

Reads the jobs graphs wrote (``jobs.json``: model architecture, device numbers, phase, batch,
tokens, TP), runs ``GenZ.decode_moddeling`` / ``prefill_moddeling`` for each with a
``GenZ.ModelConfig`` and a ``real_values`` system dict, and writes one record per job to OUT.
GenZ writes a CSV per call under the hard-coded ``/tmp/genz/data/model``; the driver deletes the
files its own calls created (and only those).
"""

import json
import os
import sys
import time
import traceback
import warnings

GIB = 2.0 ** 30


def _model(GenZ, job):
    c = job["config"]
    kw = dict(model=job["model"], vocab_size=c["vocab"], max_model_len=max(int(c["max_pos"]), 1),
              hidden_size=c["dim"], intermediate_size=c["ffn"], num_ffi=2 if c["gated"] else 1,
              num_decoder_layers=c["layers"], num_attention_heads=c["heads"], num_key_value_heads=c["kv_heads"],
              head_dim=c["head_dim"], hidden_act=c.get("act", "silu"))
    if int(c.get("experts") or 0) > 1:
        kw.update(num_experts=int(c["experts"]), expert_top_k=int(c["top_k"]))
    return GenZ.ModelConfig(**kw)


def _system(job):
    d = job["device"]
    return {"Flops": d["peak_flops"] / 1e12, "Memory_size": d["memory_bytes"] / GIB, "Memory_BW": d["hbm_bandwidth"] / GIB,
            "ICN": (d["link_bandwidth"] or 1.0) / GIB, "ICN_LL": (d["link_latency_s"] or 1e-6) * 1e6, "real_values": True}


def _num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def run_job(GenZ, job):
    bits = {"fp16": "bf16"}.get(job["precision"], job["precision"])   # GenZ names 16-bit floats bf16 only
    common = dict(model=_model(GenZ, job), batch_size=int(job["batch"]), system_name=_system(job), system_eff=1,
                  bits=bits, tensor_parallel=int(job["tp"]))
    t0 = time.monotonic()
    if job["phase"] == "decode":
        out = GenZ.decode_moddeling(input_tokens=int(job["context"]), output_tokens=0, Bb=1, **common)
    else:
        out = GenZ.prefill_moddeling(input_tokens=int(job["prompt"]), **common)
    rec = {"ok": True, "phase": job["phase"], "latency_ms": float(out["Latency"]), "throughput": _num(out["Throughput"]),
           "wall_s": time.monotonic() - t0, "is_offload": bool(out.get("is_offload", False))}
    bd = out.get("Runtime_breakdown")
    if bd is not None:
        rec["breakdown_ms"] = {str(k): _num(v) for k, v in (bd.to_dict() if hasattr(bd, "to_dict") else dict(bd)).items()}
    st = out.get("summary_table")
    if st is not None:
        rec["summary"] = {str(k): _num(v) for k, v in st.iloc[0].to_dict().items()}
    return rec


def main(argv):
    jobs_path, out_path = argv[1], argv[2]
    jobs = json.load(open(jobs_path, encoding="utf-8"))["jobs"]
    warnings.filterwarnings("ignore")
    t0 = time.monotonic()
    import GenZ
    import GenZ.Models.get_language_model as glm
    from importlib.metadata import version
    import_s = time.monotonic() - t0
    created = []
    original = glm.save_layers

    def save_layers(layers, data_path, name):
        f = original(layers, data_path, name)
        created.append(os.path.join(data_path, "model", f))
        return f

    glm.save_layers = save_layers
    results = []
    try:
        for job in jobs:
            try:
                results.append(run_job(GenZ, job))
            except Exception as e:  # one job's failure is that job's result
                results.append({"ok": False, "error": f"{type(e).__name__}: {e}",
                                "trace": traceback.format_exc(limit=3)[-1500:]})
    finally:
        for f in created:
            try:
                os.remove(f)
            except OSError:
                pass
    doc = {"tool": "genz", "version": version("genz-llm"), "python": sys.version.split()[0],
           "import_s": import_s, "results": results}
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
