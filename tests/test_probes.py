"""Hostile inputs (issue 13): every probe of tests/probes/ has the outcome it must have.

Each probe runs ``graphs`` in a subprocess under a 2 GiB address-space limit and a wall-time
limit, with every pre-existing file snapshotted before and compared after (see
tests/probes/run.py). The fast probes run in the default test run; ``-m slow`` runs all of
them. The probes selected for a session run two at a time in the background, so the default
set stays well under a minute on two cores; each test then waits for its own probe.

Run the corpus by hand, with a table of outcomes: ``python tests/probes/run.py [--fast]``.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from probes.catalog import PROBES
from probes.run import failures, run_probe

BY_ID = {p.id: p for p in PROBES}
FAST = [p.id for p in PROBES if p.fast]
ALL = [p.id for p in PROBES]

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_futures: dict[str, Future] = {}


def _selected(session: Any) -> list[str]:
    ids = []
    for item in session.items:
        if getattr(item, "originalname", None) in ("test_probe", "test_probe_slow") and hasattr(item, "callspec"):
            ids.append(item.callspec.params["probe_id"])
    return ids


@pytest.fixture
def probe_result(request):
    """The record of this test's probe; the first request starts every selected probe (2 at a time)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(2)
            for pid in dict.fromkeys(_selected(request.session)):
                _futures[pid] = _pool.submit(run_probe, BY_ID[pid])

    def get(pid: str) -> dict[str, Any]:
        with _lock:
            fut = _futures.get(pid)
            if fut is None:
                fut = _futures[pid] = _pool.submit(run_probe, BY_ID[pid])
        probe = BY_ID[pid]
        return fut.result(timeout=probe.timeout * max(1, probe.parallel) + 600)
    return get


@pytest.fixture(scope="module", autouse=True)
def _stop_pool():
    """Probes still queued when the module ends (``-x``, ``-k``) are not started."""
    yield
    for fut in _futures.values():
        fut.cancel()


def _assert(rec: dict[str, Any]) -> None:
    if rec["outcome"] == "skip":
        pytest.skip(rec["reason"])
    assert rec["ok"], failures([rec])


@pytest.mark.parametrize("probe_id", FAST)
def test_probe(probe_id, probe_result):
    _assert(probe_result(probe_id))


@pytest.mark.slow
@pytest.mark.parametrize("probe_id", ALL)
def test_probe_slow(probe_id, probe_result):
    _assert(probe_result(probe_id))


def test_catalog_is_well_formed():
    """Unique ids, known expectations, and every issue-13 area covered."""
    from probes.base import CLASSES
    assert len(BY_ID) == len(PROBES), "duplicate probe ids"
    assert 80 <= len(PROBES) <= 150
    for p in PROBES:
        assert set(p.expected) <= set(CLASSES), p.id
    cats = {p.category for p in PROBES}
    assert {"output", "store", "resources", "spec", "calibration", "onnx", "plugins", "interrupt", "usercode",
            "tools", "new", "labels", "cli"} <= cats
