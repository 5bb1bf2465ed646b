"""The α–β collective model, topologies and the shipped system specs."""


import pytest

from graphs_distributed.collectives import CollectiveModel, Link, fit_alpha_beta, one_level
from graphs_distributed.system import builtin_systems, find_system, system_for
from graphs.errors import GraphsError
from graphs.testing import run_cli

SW = Link(beta=100e9, alpha=2e-6, alpha0=5e-6, name="sw")
N = 64e6


def test_ring_formulas():
    p = 8
    assert one_level("all_reduce", N, p, SW, "ring") == pytest.approx(5e-6 + 2 * 7 * 2e-6 + 2 * 7 / 8 * N / 100e9)
    assert one_level("all_gather", N, p, SW) == pytest.approx(5e-6 + 7 * 2e-6 + 7 / 8 * N / 100e9)
    assert one_level("reduce_scatter", N, p, SW) == one_level("all_gather", N, p, SW)
    assert one_level("send_recv", N, 2, SW) == pytest.approx(5e-6 + 2e-6 + N / 100e9)
    assert one_level("broadcast", N, p, SW) == pytest.approx(5e-6 + 7 * 2e-6 + N / 100e9)
    assert one_level("all_reduce", N, 1, SW) == 0.0


def test_algorithm_choice_and_in_network_reduction():
    tree = one_level("all_reduce", 1e3, 64, SW, "tree")
    ring = one_level("all_reduce", 1e3, 64, SW, "ring")
    assert tree < ring                                       # small messages: log p steps win
    assert one_level("all_reduce", 1e3, 64, SW) == tree
    assert one_level("all_reduce", 1e9, 64, SW) == one_level("all_reduce", 1e9, 64, SW, "ring")
    nvls = Link(beta=100e9, alpha=2e-6, in_network_reduction=True)
    assert one_level("all_reduce", 1e9, 8, nvls) == pytest.approx(2 * 2e-6 + 1e9 / 100e9)
    with pytest.raises(GraphsError, match="not available"):
        one_level("all_reduce", 1e9, 8, SW, "in_network")


def test_topologies():
    ring = Link(beta=100e9, alpha=2e-6, alpha0=5e-6, topology="ring")
    tree = Link(beta=100e9, alpha=2e-6, alpha0=5e-6, topology="tree")
    bw = 15 / 16 * N / 100e9
    assert one_level("all_to_all", N, 16, SW) == pytest.approx(5e-6 + 15 * 2e-6 + bw)
    assert one_level("all_to_all", N, 16, ring) == pytest.approx(5e-6 + 15 * 2e-6 + 4 * bw)   # ring bisection p/4
    assert one_level("all_reduce", N, 8, tree, "ring") - one_level("all_reduce", N, 8, SW, "ring") == \
        pytest.approx(14 * 2e-6 * (2 * 3 - 1))                # every ring step crosses 2 log2 p hops


def test_two_levels_hierarchical_and_nic_bound():
    intra, inter = Link(beta=300e9, alpha=3e-6), Link(beta=25e9, alpha=10e-6)
    m = CollectiveModel(intra, inter, node_size=8)
    one_node, two_nodes = m.time("all_reduce", N, 8), m.time("all_reduce", N, 16)
    expect = (one_level("reduce_scatter", N, 8, intra) + one_level("all_reduce", N / 8, 2, inter)
              + one_level("all_gather", N, 8, intra))
    assert two_nodes == pytest.approx(expect) and two_nodes > one_node
    assert m.time("send_recv", N, 2, per_node=1) == pytest.approx(10e-6 + N / 25e9)
    assert m.time("all_gather", N, 16) > m.time("all_gather", N, 8)
    with pytest.raises(GraphsError, match="cannot be placed"):
        m.time("all_reduce", N, 12, per_node=8)
    with pytest.raises(GraphsError, match="no inter-node"):
        CollectiveModel(intra, None).time("all_reduce", N, 16)
    with pytest.raises(GraphsError, match="unknown collective"):
        m.time("gossip", N, 8)


def test_fit_recovers_alpha_and_beta():
    a, b = fit_alpha_beta([(n, 14 * 3e-6 + 1.75 * n / 150e9) for n in (1e6, 4e6, 16e6, 64e6)], steps=14, traffic=1.75)
    assert a == pytest.approx(3e-6) and b == pytest.approx(150e9)


def test_shipped_systems_are_sourced():
    systems = builtin_systems()
    assert {"dgx-h100", "hgx-a100-8gpu", "dgx-a100-320gb"} <= set(systems)
    for s in systems.values():
        src = s.all_sources()
        assert src and all(x and "http" in x for _, x in src), s.id
    h = systems["dgx-h100"]
    assert h.intra_node.beta == 450e9 and h.inter_node.beta == 50e9 and h.node_size == 8
    assert systems["hgx-a100-8gpu"].intra_node.beta == 235e9            # NCCL's A100 bus-bandwidth cap
    assert system_for("h100").id == "dgx-h100"
    with pytest.raises(GraphsError, match="neither a multi-GPU system"):
        system_for("t4")


def test_system_file_and_bad_system(tmp_path):
    import yaml
    d = yaml.safe_load((find_system.__globals__["files"]("graphs_distributed") / "systems" / "dgx-h100.yaml").read_text())
    d["id"] = "my-box"
    p = tmp_path / "box.yaml"
    p.write_text(yaml.safe_dump(d))
    assert find_system(str(p)).id == "my-box"
    d["intra_node"]["bandwidth"] = {"value": 450, "unit": "TFLOP/s", "source": "x"}
    p.write_text(yaml.safe_dump(d))
    with pytest.raises(GraphsError, match="bandwidth"):
        find_system(str(p))


def test_systems_cli():
    r = run_cli("systems", "list")
    assert r.exit_code == 0 and "dgx-h100" in r.stdout
    r = run_cli("systems", "show", "dgx-h100")
    assert r.exit_code == 0 and "ConnectX-7" in r.stdout
    r = run_cli("systems", "collective", "dgx-h100", "--size", "1GiB", "--gpus", "16")
    assert r.exit_code == 0 and "all_reduce of 1 GiB over 16 GPU(s)" in r.stdout
    bad = run_cli("systems", "collective", "dgx-h100", "--size", "lots")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --size")
