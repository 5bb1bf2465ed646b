"""Host measurements (graphs-mappers-cpu): the per-user cache, atomic writes, real measurements."""

import json

import pytest

from graphs_mappers_cpu import measure
from graphs_mappers_cpu.host import detect
from test_cpu_host import fake_measurements


@pytest.fixture
def host():
    return detect()


def _counting():
    calls = []

    def fake(h):
        calls.append(h)
        m = fake_measurements()
        m.pop("cache_file")
        return m

    return fake, calls


def test_cache_is_used_on_the_second_call(tmp_path, host, monkeypatch):
    monkeypatch.delenv("GRAPHS_CPU_REMEASURE", raising=False)
    fake, calls = _counting()
    first = measure.host_measurements(host, tmp_path, measure=fake)
    assert len(calls) == 1
    path = measure.cache_path(host, tmp_path)
    assert path.exists() and path.name.startswith("host-") and first["cache_file"] == str(path)

    def boom(h):
        raise AssertionError("measured again although the cache is valid")

    second = measure.host_measurements(host, tmp_path, measure=boom)
    assert second["bandwidth"] == first["bandwidth"] and second["dispatch"] == first["dispatch"]
    # forced (argument or environment) measures again
    measure.host_measurements(host, tmp_path, force=True, measure=fake)
    monkeypatch.setenv("GRAPHS_CPU_REMEASURE", "1")
    measure.host_measurements(host, tmp_path, measure=fake)
    assert len(calls) == 3


def test_cache_dir_from_environment(tmp_path, host, monkeypatch):
    monkeypatch.setenv("GRAPHS_CACHE_DIR", str(tmp_path / "c"))
    assert measure.cache_dir() == tmp_path / "c"
    assert measure.cache_path(host).parent == tmp_path / "c"


def test_cache_key_changes_with_what_changes_the_numbers(host, monkeypatch):
    a = measure.cache_path(host)
    monkeypatch.setenv("GRAPHS_CPU_BW_MIB", "32")
    assert measure.cache_path(host) != a


def test_corrupt_or_stale_cache_is_measured_again(tmp_path, host):
    fake, calls = _counting()
    path = measure.cache_path(host, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ not json")
    measure.host_measurements(host, tmp_path, measure=fake)
    path.write_text(json.dumps({"method": measure.METHOD_VERSION - 1, "bandwidth": {}, "dispatch": {}}))
    measure.host_measurements(host, tmp_path, measure=fake)
    assert len(calls) == 2
    assert json.loads(path.read_text())["method"] == measure.METHOD_VERSION


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "host-x.json"
    measure.write_json_atomic(path, {"good": 1})

    real_dump = json.dump

    def half_then_crash(obj, fh, **kw):
        fh.write('{"good": ')      # a partial file ...
        raise OSError("disk full")  # ... then the writer dies

    monkeypatch.setattr(json, "dump", half_then_crash)
    with pytest.raises(OSError):
        measure.write_json_atomic(path, {"good": 2})
    monkeypatch.setattr(json, "dump", real_dump)
    assert json.loads(path.read_text()) == {"good": 1}          # old content intact
    assert [p.name for p in tmp_path.iterdir()] == ["host-x.json"]  # no temp file left


def test_disturbed_measurement_is_cached_but_redone_later(tmp_path, host):
    calls = []

    def disturbed(h):
        calls.append(1)
        m = fake_measurements()
        m.pop("cache_file")
        m["bandwidth"]["disturbed_footprints"] = [2**20]
        return m

    data = measure.host_measurements(host, tmp_path, measure=disturbed)
    path = measure.cache_path(host, tmp_path)
    assert data["disturbed"] and json.loads(path.read_text())["disturbed"]
    measure.host_measurements(host, tmp_path, measure=disturbed)   # fresh: the cache is used
    assert len(calls) == 1
    old = json.loads(path.read_text())
    old["measured_at"] = "2020-01-01T00:00:00+00:00"                 # older than RETRY_DISTURBED_S
    path.write_text(json.dumps(old))
    fake, good_calls = _counting()
    again = measure.host_measurements(host, tmp_path, measure=fake)
    assert len(good_calls) == 1 and not again["disturbed"]


def test_real_measurement_is_sane(host):
    """Actually measure (≈0.3 s): positive bandwidths, main memory slower than small footprints."""
    m = measure.measure_host(host)
    pts = m["bandwidth"]["points"]
    assert [p["footprint_bytes"] for p in pts] == sorted(p["footprint_bytes"] for p in pts)
    assert all(p["bytes_per_s_1"] > 1e8 and p["bytes_per_s_all"] > 1e6 for p in pts)
    assert pts[-1]["footprint_bytes"] == 2 * 64 * 2**20
    # single-thread bandwidth, least disturbed by other processes: the smallest footprint (in cache)
    # streams faster than main memory on any CPU
    assert pts[0]["bytes_per_s_1"] > pts[-1]["bytes_per_s_1"]
    d = m["dispatch"]
    assert 1e-8 < d["functional_s"] < 1e-3 and 1e-8 < d["module_s"] < 1e-3
    assert d["module_s"] > d["functional_s"] * 0.8   # nn.Module.__call__ adds work
    assert m["bandwidth"]["seconds"] < 5


def test_without_torch_numpy_measures(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "torch", None)   # `import torch` raises ImportError
    monkeypatch.setenv("GRAPHS_CPU_BW_MIB", "4")
    bw = measure.measure_bandwidth(2)
    assert "numpy" in bw["how"] and bw["points"][-1]["footprint_bytes"] == 8 * 2**20
    assert all(p["bytes_per_s_all"] == p["bytes_per_s_1"] > 0 for p in bw["points"])
    d = measure.measure_dispatch(2)
    assert "numpy" in d["how"] and d["functional_s"] > 0


def test_bad_array_size_is_an_error(monkeypatch):
    from graphs_mappers_cpu.host import HostDetectionError
    monkeypatch.setenv("GRAPHS_CPU_BW_MIB", "0")
    with pytest.raises(HostDetectionError, match="GRAPHS_CPU_BW_MIB"):
        measure.main_memory_mib()
