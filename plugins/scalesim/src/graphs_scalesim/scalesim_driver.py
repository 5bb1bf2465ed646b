"""SCALE-Sim driver (run by SCALE-Sim's own interpreter, never imported by graphs):
``python scalesim_driver.py CFG TOPOLOGY LAYOUT OUT_DIR conv|gemm``.

Runs ``scalesim.scale_sim.scalesim(...).run_scale(top_path=OUT_DIR)`` with ``save_disk_space=True``
(the CLI ignores ``-s`` and always writes the per-cycle traces: tens of MB per layer), SCALE-Sim's
chatter going to ``OUT_DIR/scalesim.log``. SCALE-Sim writes ``OUT_DIR/<run_name>/COMPUTE_REPORT.csv``,
``BANDWIDTH_REPORT.csv`` and ``DETAILED_ACCESS_REPORT.csv``; the driver adds ``OUT_DIR/driver.json``
(versions, wall time).
"""

import contextlib
import json
import os
import sys
import time


def main(argv):
    cfg, topo, layout, out_dir, kind = argv[1:6]
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.monotonic()
    from importlib.metadata import version
    import numpy
    from scalesim.scale_sim import scalesim
    import_s = time.monotonic() - t0
    t1 = time.monotonic()
    with open(os.path.join(out_dir, "scalesim.log"), "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
                     input_type_gemm=(kind == "gemm"))
        s.run_scale(top_path=out_dir)
    doc = {"tool": "scalesim", "version": version("scalesim"), "numpy": numpy.__version__,
           "python": sys.version.split()[0], "import_s": import_s, "run_s": time.monotonic() - t1}
    with open(os.path.join(out_dir, "driver.json"), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
