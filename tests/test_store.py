"""The SQLite results store: batches are atomic, concurrent writers lose nothing."""

import json
import multiprocessing as mp
import sqlite3

import pytest

from graphs.errors import GraphsError
from graphs.store import Measurement, ResultsStore, Run, SCHEMA_VERSION

RUN = Run("host", "torch-cpu", software={"torch": "2.13.0"}, host={"cpu": "test"})


def m(name="mm", t=1e-3, **kw):
    return Measurement(level="kernel", name=name, median_s=t, repeats=10, op_kind="matmul", precision="fp32",
                       shapes={"m": 64, "n": 64, "k": 64}, **kw)


def test_roundtrip_and_export(tmp_path):
    s = ResultsStore(tmp_path / "r.sqlite")
    rid = s.add_batch(RUN, [m(t=1e-3, std_s=1e-5), m("relu", 2e-4)])
    rows = s.query(device="host")
    assert [r.m.name for r in rows] == ["mm", "relu"] and rows[0].run_id == rid
    assert rows[0].m.shapes == {"k": 64, "m": 64, "n": 64} and rows[0].run.software["torch"] == "2.13.0"
    assert s.query(op_kind="matmul", name="relu")[0].m.median_s == 2e-4
    assert s.export("csv").splitlines()[0].startswith("id,run_id,device")
    assert len(json.loads(s.export("json"))) == 2
    with pytest.raises(GraphsError):
        s.export("xml")


def test_batch_is_all_or_nothing(tmp_path):
    s = ResultsStore(tmp_path / "r.sqlite")
    s.add_batch(RUN, [m()])
    bad = Measurement(level="nonsense", name="x", median_s=1.0, repeats=1)
    with pytest.raises(sqlite3.IntegrityError):
        s.add_batch(RUN, [m("a"), bad])
    assert s.count() == 1 and len(s.query()) == 1  # the earlier batch is intact, the bad one left nothing


def test_measurement_validation():
    with pytest.raises(ValueError):
        Measurement(level="kernel", name="x", median_s=0.0, repeats=3)
    with pytest.raises(ValueError):
        Measurement(level="kernel", name="x", median_s=1.0, repeats=0)


def _writer(path, worker, batches):
    s = ResultsStore(path)
    for b in range(batches):
        s.add_batch(Run(f"dev{worker}", "torch-cpu"), [m(f"w{worker}b{b}i{i}", 1e-3 + i) for i in range(5)])
    s.close()


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "r.sqlite"
    ResultsStore(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    s = ResultsStore(path)
    assert s.count() == 4 * 15 * 5
    assert len({r.m.name for r in s.query()}) == 4 * 15 * 5


def test_newer_schema_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "r.sqlite"
    ResultsStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(GraphsError, match="upgrade graphs"):
        ResultsStore(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(GraphsError, match="not a graphs results store"):
        ResultsStore(junk)


def test_benchmark_cli_measures_and_stores(fake_site, tmp_path):
    from graphs.testing import run_cli
    store = tmp_path / "bench.sqlite"
    r = run_cli("benchmark", "--runner", "fake-python", "--store", str(store))
    assert r.exit_code == 0, r.stderr
    rows = ResultsStore(store).query(device="fake-npu", op_kind="sum")
    assert [x.m.name for x in rows] == ["sum1000", "sum4000"]
    assert rows[1].m.median_s > rows[0].m.median_s  # 4x the work takes longer
    assert rows[0].run.software["python"]
    r = run_cli("benchmark", "--runner", "fake-python", "--suite", "broken", "--store", str(store))
    assert r.exit_code == 0 and "explodes" in r.stderr  # a failing case is reported, the rest stored
    assert len(ResultsStore(store).query()) == 5
    r = run_cli("benchmark", "--store", str(store), "--export", "--format", "csv")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 6
    r = run_cli("benchmark", "--runner", "nope", "--store", str(store))
    assert r.exit_code == 2 and "unknown runner 'nope'" in r.stderr


def test_measure_is_stable_on_a_steady_callable():
    from graphs.bench import measure
    st = measure(lambda: sum(range(2000)), max_time_s=1.0)
    assert st.repeats >= 7 and st.min_s <= st.median_s <= st.max_s and st.median_s > 0
