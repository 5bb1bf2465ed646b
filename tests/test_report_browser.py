"""graphs report in a real headless Chromium (Debian's chromium, DevTools protocol over a pipe): the
page loads with no console error and no network request, every chart renders (its screenshot is not
blank), and the numbers plotted are the result's. GRAPHS_SCREENSHOTS=DIR keeps the screenshots."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from browser import Chromium, chromium_path

pytest.importorskip("plotly")
pytest.importorskip("pyarrow")
Image = pytest.importorskip("PIL.Image")

from graphs.plugins import get_plugins  # noqa: E402
from graphs.testing import run_cli  # noqa: E402

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="no chromium on PATH: `apt-get install chromium` (.ci/run installs it)")
NEUSIGHT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "neusight"


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


def _shots(tmp_path: Path) -> Path:
    d = Path(os.environ.get("GRAPHS_SCREENSHOTS") or tmp_path / "shots")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _not_blank(png: bytes) -> tuple[float, int]:
    """(share of pixels that are not the background, distinct colours)."""
    im = Image.open(io.BytesIO(png)).convert("RGB")
    colours = im.getcolors(maxcolors=im.width * im.height)
    top = max(n for n, _ in colours)
    return 1 - top / (im.width * im.height), len(colours)


def render(browser, html: Path, shots: Path, name: str):
    """Open the page, wait for every chart, check errors and screenshot each chart; return the tab."""
    tab = browser.open(html.resolve().as_uri())
    charts = tab.eval("JSON.parse(document.getElementById('graphs-charts').textContent)")
    assert charts, "no chart on the page"
    tab.wait_for("JSON.parse(document.getElementById('graphs-charts').textContent).every("
                 "id => document.getElementById(id) && document.getElementById(id).querySelector('.main-svg'))", True)
    browser.pump(0.5)
    assert tab.errors == [], tab.errors
    height = tab.eval("document.documentElement.scrollHeight")
    (shots / f"{name}.png").write_bytes(tab.screenshot({"x": 0, "y": 0, "width": 1280, "height": min(height, 12000)}))
    for cid in charts:
        box = tab.eval(f"(() => {{const r = document.getElementById('{cid}').getBoundingClientRect();"
                       "return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}})()")
        assert box["width"] > 100 and box["height"] > 100, (cid, box)
        png = tab.screenshot(box)
        (shots / f"{name}-{cid}.png").write_bytes(png)
        share, colours = _not_blank(png)
        assert share > 0.02 and colours > 8, (cid, share, colours)
        marks = tab.eval(f"document.getElementById('{cid}').querySelectorAll("
                         "'.scatterlayer .point, .barlayer .point, .scatterlayer .js-line').length")
        assert marks > 0, cid
    return tab, charts


def _data(tab, cid: str) -> list[dict]:
    return tab.eval(f"document.getElementById('{cid}').data.map(t => ({{name: t.name, x: Array.from(t.x || []), "
                    "y: Array.from(t.y || []), ep: t.error_y ? Array.from(t.error_y.array || []) : null, "
                    "em: t.error_y ? Array.from(t.error_y.arrayminus || []) : null}))")


def test_analyze_report(browser, tmp_path):
    res = tmp_path / "analyze.json"
    r = run_cli("analyze", "resnet18", "--hardware", "h100,t4,xeon-8480,tpu-v5e", "-f", "json", "-o", str(res))
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "analyze.html"
    r = run_cli("report", str(res), "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = out.read_text()
    assert "<script src=" not in text      # plotly.js is inline: the page needs no network (checked below too)
    tab, charts = render(browser, out, _shots(tmp_path), "analyze")
    assert {"chart-devices", "chart-kinds", "chart-bounds", "chart-roofline-0"} <= set(charts)
    results = json.loads(res.read_text())["results"]
    bars = _data(tab, "chart-devices")[0]
    assert bars["x"] == [x["metrics"]["hardware"] for x in results]
    for y, ep, em, x in zip(bars["y"], bars["ep"], bars["em"], results):
        assert y == pytest.approx(x["value"] * 1e3, rel=1e-12)
        assert y + ep == pytest.approx(x["interval"][1] * 1e3, rel=1e-9)
        assert y - em == pytest.approx(x["interval"][0] * 1e3, rel=1e-9)
    # the summary table's machine values are the JSON's
    cells = tab.eval("Array.from(document.querySelectorAll('#summary tbody tr')).map(r => "
                     "Array.from(r.querySelectorAll('td')).map(c => c.dataset.value || c.textContent))")
    for row, x in zip(cells, results):
        assert row[0] == x["metrics"]["hardware"] and float(row[1]) == x["value"] and row[4] == x["confidence"]
    # stacked kinds add up to the kernel times; the roofline places every kernel with FLOPs
    kinds = _data(tab, "chart-kinds")
    for i, x in enumerate(results):
        total = sum(t["y"][i] for t in kinds)
        assert total == pytest.approx((sum(k["time_s"] for k in x["breakdown"]) + x["metrics"]["model_overhead_s"]) * 1e3)
    for i, x in enumerate(results):
        pts = [t for t in _data(tab, f"chart-roofline-{i}") if t["name"].endswith("kernels")]
        placed = [k for k in x["breakdown"] if k["flops"] > 0 and k["bytes"] > 0]
        assert sum(len(t["x"]) for t in pts) == len(placed)
        xs = sorted(v for t in pts for v in t["x"])
        assert xs == pytest.approx(sorted(k["flops"] / k["bytes"] for k in placed))


def test_sweep_report(browser, tmp_path):
    from graphs_sweep import table
    from graphs_sweep.runner import run_sweep
    from graphs_sweep.spec import SweepSpec
    pq = tmp_path / "sweep.parquet"
    run_sweep(SweepSpec(models=["resnet18"], hardware=["h100", "t4", "tpu-v5e", "xeon-8480"], batch=[1, 4, 16],
                        precision=["fp16", "int8"]), pq, get_plugins(), workers=1, progress=False)
    out = tmp_path / "sweep.html"
    r = run_cli("report", str(pq), "-o", str(out))
    assert r.exit_code == 0, r.stderr
    tab, charts = render(browser, out, _shots(tmp_path), "sweep")
    assert {"chart-devices-0", "chart-curve-latency-0", "chart-curve-throughput-0", "chart-pareto",
            "chart-pareto-cost"} <= set(charts)
    rows = [x for x in table.read_rows(pq) if x["status"] == "ok" and x["precision"] == "fp16"]
    curves = _data(tab, "chart-curve-latency-0")
    for t in curves:
        mine = sorted((x for x in rows if x["hardware"] == t["name"]), key=lambda x: x["batch"])
        assert t["x"] == [x["batch"] for x in mine]
        assert t["y"] == pytest.approx([x["latency_s"] * 1e3 for x in mine], rel=1e-12)
    assert {t["name"] for t in curves} == {x["hardware"] for x in rows}
    refused = tab.eval("document.querySelectorAll('#refused tbody tr').length")
    assert refused == sum(1 for x in table.read_rows(pq) if x["status"] != "ok") > 0


@pytest.mark.skipif(not NEUSIGHT.is_dir(), reason="../shared/data/neusight is not beside this checkout")
def test_validate_report(browser, tmp_path):
    root = tmp_path / "data"
    (root / "labels").mkdir(parents=True)
    (root / "device_configs").symlink_to(NEUSIGHT / "device_configs")
    (root / "labels" / "Tesla_V100-PCIE-32GB").symlink_to(NEUSIGHT / "labels" / "Tesla_V100-PCIE-32GB")
    res = tmp_path / "validate.json"
    r = run_cli("validate", "--data", str(root), "-f", "json", "-o", str(res))
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "validate.html"
    assert run_cli("report", str(res), "-o", str(out)).exit_code == 0
    tab, charts = render(browser, out, _shots(tmp_path), "validate")
    rows = json.loads(res.read_text())["rows"]
    pts = [t for t in _data(tab, "chart-validation") if t["name"] != "predicted = measured"]
    got = sorted((x, y) for t in pts for x, y in zip(t["x"], t["y"]))
    want = sorted((x["measured_s"] * 1e3, x["predicted_s"] * 1e3) for x in rows)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-12)


def test_plan_report(browser, tmp_path):
    res = tmp_path / "plan.json"
    r = run_cli("plan", "resnet18", "--hardware", "h100,tpu-v5e,t4,l4", "--batch", "1,4,16", "--precision", "fp16",
                "--max-latency", "20", "--price", "t4=0.526", "--workers", "1", "-f", "json", "-o", str(res))
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "plan.html"
    assert run_cli("report", str(res), "-o", str(out)).exit_code == 0
    tab, charts = render(browser, out, _shots(tmp_path), "plan")
    plan = json.loads(res.read_text())
    front = sorted((c for c in plan["candidates"] if c["pareto"] and c["cost"] is not None), key=lambda c: c["latency_s"])
    line = next(t for t in _data(tab, "chart-pareto") if t["name"] == "Pareto front")
    assert line["y"] == pytest.approx([c["cost"] for c in front], rel=1e-12)
    assert line["x"] == pytest.approx([c["latency_s"] * 1e3 for c in front], rel=1e-12)


def test_report_refuses_what_it_does_not_know(tmp_path):
    f = tmp_path / "x.json"
    f.write_text('{"hello": 1}')
    r = run_cli("report", str(f), "-o", str(tmp_path / "x.html"))
    assert r.exit_code == 2 and "not a result" in r.stderr
    r = run_cli("report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.html"))
    assert r.exit_code == 2
