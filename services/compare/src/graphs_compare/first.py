"""Time to first prediction: graphs' prediction path from a cold interpreter.

The harness runs ``python -m graphs_compare.first ...`` in a subprocess and times it from the
start of the process to its exit, so plugin discovery, imports, model building and the first
estimate are all counted (what a new user waits for)::

    python -m graphs_compare.first measured <neusight-root> <GPU folder>     # one GPU's label rows
    python -m graphs_compare.first core <model> <hardware> <precision> <batch> [<seq>]
    python -m graphs_compare.first llm <hf-config-json> <model> <hardware> <batch> <context> <tp> <precision>
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Sequence


def _measured(root: str, gpu: str) -> float:
    from graphs_datasets.validate import validate_dir
    from graphs.plugins import get_plugins

    rep = validate_dir(root, get_plugins(), gpus=[gpu])
    return rep.rows[0].predicted_s


def _core(model: str, hardware: str, precision: str, batch: str, seq: str | None = None) -> float:
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model
    from graphs.plugins import get_plugins
    from graphs_tools import to_seconds

    gp = get_plugins()
    g = load_model(model, LoadOptions(batch=int(batch), seq_len=int(seq) if seq else None), gp)
    return to_seconds(estimate(g, hardware, gp, precision=precision))


def _llm(config: str, model: str, hardware: str, batch: str, context: str, tp: str, precision: str) -> float:
    import json

    from graphs.plugins import get_plugins
    from graphs_compare.graphs_runs import llm_step_seconds
    from graphs_compare.model import Row

    row = Row(key="ttfp", model=model, hardware=hardware, device_name=hardware, family="decoder", seq=int(context),
              batch=int(batch), precision=precision, hf_config=json.loads(config), extra={"tp": int(tp)})
    return llm_step_seconds(row, get_plugins())[0]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    kind, rest = args[0], args[1:]
    value = _measured(*rest) if kind == "measured" else _llm(*rest) if kind == "llm" else _core(*rest)
    print(f"{value!r}")
    return 0


def time_first_prediction(args: Sequence[str], timeout_s: float = 600.0) -> tuple[float | None, str]:
    """Wall seconds of ``python -m graphs_compare.first ARGS`` in a fresh interpreter, and what happened."""
    t0 = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "graphs_compare.first", *args], capture_output=True, text=True,
                           timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return None, f"no prediction within {timeout_s:.0f} s"
    wall = time.monotonic() - t0
    if p.returncode != 0:
        tail = " ".join((p.stderr or p.stdout).strip().splitlines()[-1:])
        return None, f"the prediction path failed (exit {p.returncode}): {tail}"
    return wall, f"cold subprocess: {' '.join(args[:1])} prediction path, {p.stdout.strip()} s predicted"


if __name__ == "__main__":
    sys.exit(main())
