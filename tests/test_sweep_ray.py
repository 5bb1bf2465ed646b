"""graphs sweep on Ray gives the same table as the local process pool: a real local Ray cluster
(no mock), started by the test itself on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

# every Ray process of these tests listens on 127.0.0.1 only (set before ray is imported)
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray")
pytest.importorskip("pyarrow")

from graphs.plugins import get_plugins  # noqa: E402
from graphs_sweep import table  # noqa: E402
from graphs_sweep.runner import run_sweep  # noqa: E402
from graphs_sweep.spec import SweepSpec  # noqa: E402

SPEC = dict(models=["resnet18"], hardware=["h100", "t4", "tpu-v5e", "xeon-8480"], batch=[1, 8],
            precision=["fp32", "fp16", "int8"])


def _same(a: list[dict], b: list[dict]) -> None:
    a, b = sorted(a, key=lambda r: r["key"]), sorted(b, key=lambda r: r["key"])
    assert [r["key"] for r in a] == [r["key"] for r in b]
    assert a == b


@pytest.fixture
def local_ray():
    """A local Ray cluster of two CPUs for this test (127.0.0.1), shut down after it."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    yield
    ray.shutdown()


def test_ray_and_process_pool_give_the_same_table(tmp_path, local_ray):
    gp = get_plugins()
    pool = run_sweep(SweepSpec(**SPEC), tmp_path / "pool.parquet", gp, workers=2, progress=False)
    on_ray = run_sweep(SweepSpec(**SPEC), tmp_path / "ray.parquet", gp, workers=2, ray=True, progress=False)
    assert on_ray.executor.startswith("ray") and pool.executor.startswith("process pool")
    rows = table.read_rows(tmp_path / "ray.parquet")
    assert len(rows) == 4 * 2 * 3 and {r["status"] for r in rows} >= {"ok", "refused"}
    _same(table.read_rows(tmp_path / "pool.parquet"), rows)
    # and a re-run on Ray resumes like any other
    again = run_sweep(SweepSpec(**SPEC), tmp_path / "ray.parquet", gp, workers=2, ray=True, progress=False)
    assert again.computed == 0 and again.skipped == len(rows)


DRIVER = """
import sys, ray
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()          # until the test closes our stdin
ray.shutdown()
"""


@pytest.mark.slow
def test_cli_on_an_existing_cluster_by_address(tmp_path):
    """`graphs sweep --ray-address HOST:PORT` against a cluster another process started (and owns)."""
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    drv = subprocess.Popen([sys.executable, "-c", DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        addr = drv.stdout.readline().strip()
        assert addr.startswith("127.0.0.1:"), addr
        args = ["--model", "resnet18", "--hardware", "h100,t4", "--batch", "1,4", "--precision", "fp16",
                "--no-progress", "-f", "json"]
        graphs = os.path.join(os.path.dirname(sys.executable), "graphs")
        r = subprocess.run([graphs, "sweep", *args, "-o", str(tmp_path / "r.parquet"), "--ray-address", addr],
                           capture_output=True, text=True, timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        assert '"ray (' in r.stdout
        r = subprocess.run([graphs, "sweep", *args, "-o", str(tmp_path / "l.parquet"), "--workers", "1"],
                           capture_output=True, text=True, timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        _same(table.read_rows(tmp_path / "r.parquet"), table.read_rows(tmp_path / "l.parquet"))
    finally:
        drv.stdin.close()
        try:
            drv.wait(timeout=60)
        except subprocess.TimeoutExpired:
            drv.kill()
            drv.wait()
    time.sleep(0.5)
