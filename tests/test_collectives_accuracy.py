"""Collective estimates against VIDUR's A100 NCCL profiles and DeepBench's all-reduce tables (sizes >= 1 MB).

α and β are fitted per measured configuration on some sizes and scored on the others (see
graphs_distributed.accuracy); gates are at what benchmarks/accuracy_llm.py measures.
"""

from pathlib import Path

import pytest

from graphs_distributed.accuracy import (deepbench_allreduce, size_holdout, spec_only, vidur_collectives,
                                         worker_transfer)
from graphs_distributed.system import system_for

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "vidur" / "network").is_dir(), reason="../shared/data not present")


@pytest.fixture(scope="module")
def vidur():
    return vidur_collectives(DATA)


@needs_data
def test_vidur_sizes_are_bytes_and_every_cluster_is_read(vidur):
    assert {s.source for s in vidur} == {"a100_dgx", "a100_pairwise_nvlink", "a40_pairwise_nvlink"}
    biggest = max(s.nbytes for s in vidur if s.source == "a100_dgx" and s.workers == 2 and s.per_node == 2)
    assert biggest == 67108864        # VIDUR records size*2 bytes of its fp16 buffer


@needs_data
def test_vidur_size_holdout(vidur):
    acc = size_holdout(vidur, "alternate")
    assert acc.n() > 7000 and acc.mape() <= 8.0
    single_node_ar = [r for r in acc.rows if r["collective"] == "all_reduce" and r["workers"] == r["per_node"]]
    assert all(r["mape"] <= 10.0 for r in single_node_ar), single_node_ar
    # fitted NVLink bus bandwidth of the DGX A100 nodes sits below the 300 GB/s link and NCCL's 235 GB/s cap
    assert all(100 < r["busbw_gbs"] < 235 for r in single_node_ar if r["source"] == "a100_dgx")


@needs_data
def test_deepbench_leave_one_size_out():
    samples = deepbench_allreduce(DATA)
    assert {s.source for s in samples} >= {"NV_1080Ti", "NV_M40", "NV_P100", "NV_TitanX", "NV_TitanX_Pascal"}
    acc = size_holdout(samples, "loo")
    assert all(len(r["apes"]) >= 5 for r in acc.rows)
    assert acc.n() >= 150 and acc.mape() <= 13.0
    one_node = [a for r in acc.rows if r["per_node"] == r["workers"] for a in r["apes"]]
    assert 100 * sum(one_node) / len(one_node) <= 7.0


@needs_data
def test_fitting_beats_the_spec_only_prediction(vidur):
    fitted = size_holdout([s for s in vidur if s.source == "a100_dgx" and s.workers == s.per_node], "alternate")
    spec = spec_only(vidur, system_for("hgx-a100-8gpu"))
    assert spec.mape() > 2 * fitted.mape()
    transfer = {(r["workers"], r["per_node"]): r["mape"] for r in worker_transfer(vidur).rows if r["n"]}
    assert transfer[(4, 4)] <= 20.0            # intra-node link from 2 and 8 GPUs predicts 4 GPUs
    assert set(transfer) == {(4, 2), (4, 4), (8, 4), (16, 8)}
