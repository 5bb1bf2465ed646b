"""The torch-cuda runner without a GPU: why it cannot run here, and its parts with fakes.

(No GPU in this repository's test environment: the runner itself has not been exercised on one.)
"""

import sys

import pytest

from graphs.bench import measure
from graphs.plugins import get_plugins
from graphs_mappers_gpu import runner as cuda_runner


def test_registered_and_says_why_it_cannot_run_here(graphs_cli, tmp_path):
    import torch

    r, plugin = get_plugins().runners["torch-cuda"]
    assert plugin == "mappers-gpu"
    if torch.cuda.is_available():  # pragma: no cover - only on a GPU machine
        pytest.skip("a GPU is visible")
    why = r.unavailable()
    assert why and "\n" not in why and ("CPU-only build" in why or "no CUDA device" in why)
    res = graphs_cli("benchmark", "--runner", "torch-cuda", "--suite", "quick", "--store", str(tmp_path / "s.sqlite"))
    assert res.exit_code == 2 and "cannot run here" in res.stderr and res.stderr.count("\n") == 1
    assert not (tmp_path / "s.sqlite").exists()          # refused before the store is created


class FakeEvent:
    now = 0.0

    def __init__(self, enable_timing=True):
        self.t = None
        self.synced = False

    def record(self):
        self.t = FakeEvent.now

    def synchronize(self):
        self.synced = True

    def elapsed_time(self, end):
        return (end.t - self.t) * 1e3      # milliseconds, as torch.cuda.Event does


def test_event_clock_drives_measure(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "Event", FakeEvent)
    clock = cuda_runner.EventClock()

    def kernel():                          # each call advances "GPU time" by 2 ms
        FakeEvent.now += 2e-3

    st = measure(kernel, clock=clock, sync=lambda: None, warmup=1, min_repeats=5, max_time_s=1.0)
    assert st.median_s == pytest.approx(2e-3) and st.stable
    a, b = clock(), clock()
    FakeEvent.now += 1.0
    c = clock()
    assert (c - a) == pytest.approx(1.0) and c.ev.synced


class FakeNVML:
    def __init__(self, counter=True):
        self.counter = counter
        self.mj = 1000.0

    def nvmlDeviceGetTotalEnergyConsumption(self, h):
        if not self.counter:
            raise RuntimeError("not supported")
        return self.mj

    def nvmlDeviceGetPowerUsage(self, h):
        return 250_000                     # mW


@pytest.mark.parametrize("counter", [True, False])
def test_nvml_energy_per_call(monkeypatch, counter):
    import torch

    nv = FakeNVML(counter)
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: None)
    calls = []

    def fn():
        calls.append(1)
        nv.mj += 5.0                       # 5 mJ per call
        if not counter:
            import time
            time.sleep(0.002)

    e = cuda_runner.nvml_energy(object(), fn, seconds=0.05 if counter else 0.002, window_s=0.2)
    assert e is not None
    j, w = e
    if counter:
        assert j == pytest.approx(5e-3) and len(calls) >= 10
    else:
        assert w == pytest.approx(250.0) and j == pytest.approx(250.0 * 0.002, rel=0.5)


def test_device_maps_the_gpu_name_to_a_catalog_id(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "NVIDIA H100 80GB HBM3")
    r = cuda_runner.TorchCUDARunner()
    assert r.device() == "h100"
    r2 = cuda_runner.TorchCUDARunner()
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "NVIDIA Imaginary 9000")
    with pytest.raises(Exception, match="not in the installed hardware catalog"):
        r2.device()
