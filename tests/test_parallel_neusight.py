"""Training-step estimates against NeuSight's measured 4-GPU rows (GPT-2 large, FP32, A100-SXM4-40GB).

Nothing is fitted on these rows: GPU engine + system spec + collective model. Gates at what
benchmarks/accuracy_llm.py measures (dp4 1.0 %, tp4 1.7 %, pp4 8.1 %; NeuSight: 12.9, 8.4, 10.3 %).
"""

from pathlib import Path

import pytest

from graphs_llm.training_accuracy import neusight_training_accuracy, neusight_training_labels, parallel_of
from graphs.plugins import get_plugins

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "neusight" / "labels").is_dir(), reason="../shared/data not present")


def test_option_names():
    assert parallel_of("dp4").dp == 4 and parallel_of("tp4").tp == 4
    p = parallel_of("pp4_1")
    assert (p.pp, p.micro_batches) == (4, 1)


@needs_data
def test_distributed_rows():
    labels = {(lab.gpu, lab.option) for lab in neusight_training_labels(DATA)}
    assert {("NVIDIA_A100-SXM4-40GB", o) for o in ("dp4", "tp4", "pp4_1")} <= labels
    rows = {r["option"]: r for r in neusight_training_accuracy(DATA, get_plugins()) if r["gpu"] == "NVIDIA_A100-SXM4-40GB"}
    for opt, gate in (("dp4", 0.05), ("tp4", 0.05), ("pp4_1", 0.10)):
        r = rows[opt]
        assert r["ape"] <= gate, r
        assert r["inside"], r                                   # inside the 90 % interval
        assert r["roofline_ape"] > 2 * r["ape"], r
    # the relations the data show: tensor parallel a little slower than data parallel; one micro-batch of
    # four pipeline stages about as slow as one GPU
    assert rows["dp4"]["graphs_ms"] < rows["tp4"]["graphs_ms"] < rows["pp4_1"]["graphs_ms"]
