"""nn-Meter driver (run by nn-Meter's own interpreter, never imported by graphs): ``python nn_meter_driver.py JOBS OUT``.

For each job (an nn-Meter IR file and a predictor name/version; any predictor nn-Meter knows,
built-in or registered with ``nn-meter register``): load the predictor, detect the model's
kernels with the predictor's fusion rules, and **refuse** when a detected kernel type has no
kernel predictor — nn-Meter itself silently counts such kernels as 0 ms. Otherwise predict as
``nnMeterPredictor.predict`` does and record the per-kernel-type counts and times (ms).
"""

import json
import sys
import time
import traceback


def run_job(nn_meter, job):
    from nn_meter.ir_converter import model_file_to_graph
    from nn_meter.predictor.prediction.extract_feature import get_predict_features
    from nn_meter.predictor.prediction.predict_by_kernel import merge_conv_kernels
    from nn_meter.predictor.prediction.utils import get_kernel_name

    t0 = time.monotonic()
    pred = nn_meter.load_latency_predictor(job["predictor"], float(job["version"]) if job.get("version") else None)
    graph = model_file_to_graph(job["ir"], "nnmeter-ir")
    pred.kd.load_graph(graph)
    kernels = pred.kd.get_kernels()
    features = get_predict_features(kernels)
    groups = {}
    for layer in features:
        kernel = list(features[layer].keys())[0]
        name = get_kernel_name(merge_conv_kernels(kernel))
        groups.setdefault(name, []).append(features[layer][kernel])
    missing = sorted(k for k in groups if k not in pred.kernel_predictors)
    counts = {k: len(v) for k, v in groups.items()}
    if missing:
        return {"ok": False, "missing_kernels": missing, "kernel_counts": counts,
                "error": (f"predictor {job['predictor']} has no kernel predictor for {', '.join(missing)} "
                          f"({sum(counts[k] for k in missing)} kernel(s) of this model): nn-Meter would count "
                          "them as 0 ms, so no prediction is made")}
    per = {k: float(sum(pred.kernel_predictors[k].predict(v))) for k, v in groups.items()}
    return {"ok": True, "latency_ms": float(sum(per.values())), "kernel_counts": counts, "kernel_ms": per,
            "kernels": len(kernels), "wall_s": time.monotonic() - t0}


def main(argv):
    jobs = json.load(open(argv[1], encoding="utf-8"))["jobs"]
    t0 = time.monotonic()
    import logging
    logging.disable(logging.INFO)
    from importlib.metadata import version
    import nn_meter
    import_s = time.monotonic() - t0
    results = []
    for job in jobs:
        try:
            results.append(run_job(nn_meter, job))
        except Exception as e:  # one job's failure is that job's result
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}",
                            "trace": traceback.format_exc(limit=3)[-1500:]})
    try:
        sk = version("scikit-learn")
    except Exception:
        sk = None
    doc = {"tool": "nn-meter", "version": version("nn-meter"), "scikit_learn": sk, "python": sys.version.split()[0],
           "import_s": import_s, "results": results}
    with open(argv[2], "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
