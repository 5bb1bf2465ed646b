"""``graphs report``: one self-contained HTML page (plotly.js embedded, no network needed to view it)
for an analyze JSON, a sweep Parquet table, a validate JSON or a plan JSON.

* analyze — estimates per device with error bars, latency by kernel kind and by bound, and a
  roofline per device with every kernel placed by arithmetic intensity (FLOP/byte) and achieved
  FLOP/s under the device's peak and bandwidth;
* sweep — device comparison with error bars, latency and throughput against batch per device
  (the sweep curves), the Pareto front of latency against time per sample (and against cost where a
  device has a price), the refused points;
* validate — predicted against measured with the predicted intervals, on log axes with y = x;
* plan — the candidates, the Pareto front, the constraints.

Every chart is a ``<div class="graphs-chart" id="chart-...">``; the numbers plotted are the
result's own (seconds shown as ms), so a test can read them back from the page.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

from graphs.errors import GraphsError

MAX_ROOFLINES = 6
MAX_CURVES = 8
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf")
BOUND_COLORS = {"compute": "#d62728", "memory": "#1f77b4", "overhead": "#7f7f7f", "model overhead": "#bcbd22"}


# --- input ----------------------------------------------------------------------------------------
def load_input(path: Path) -> tuple[str, Any]:
    """(kind, data): ``analyze`` (list of results), ``sweep`` (rows, meta), ``validate`` or ``plan``."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        from graphs_sweep import table
        return "sweep", (table.read_rows(path), table.read_meta(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise GraphsError(f"{path}: neither a Parquet sweep table nor JSON ({type(e).__name__})") from None
    if isinstance(data, dict) and "schema" in data:          # a versioned graphs JSON document (docs/json.md)
        from graphs.documents import read
        data = read(json.dumps(data))
        kind = data["schema"]
        if kind == "graphs.analyze":
            return "analyze", data["results"]
        if kind == "graphs.plan":
            return "plan", data
        if kind == "graphs.validate.data" and "overall" not in data:
            raise GraphsError(f"{path}: a {kind} document of the {data.get('reader')!r} reader; the report draws "
                              "validations of the store (graphs validate -H ID) and of NeuSight-layout data")
        if kind not in ("graphs.validate", "graphs.validate.data"):
            raise GraphsError(f"{path}: a {kind} document; graphs report draws graphs analyze, sweep, validate and "
                              "plan results")
    if isinstance(data, dict):
        if isinstance(data.get("models"), list) and "summary" in data:
            return "validate", {"source": f"measurements of {data.get('device')}", "rows": data["models"],
                                "summary": data.get("summary", {}).get("all") or {}, "label": "model", "raw": data}
        if isinstance(data.get("rows"), list) and "overall" in data:
            return "validate", {"source": "labelled data", "rows": data["rows"], "summary": data.get("overall") or {},
                                "label": "gpu", "raw": data}
    raise GraphsError(f"{path}: not a result graphs report knows (graphs analyze -f json, a sweep .parquet, "
                      "graphs validate -f json or graphs plan -f json)")


# --- page -----------------------------------------------------------------------------------------
class Page:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.charts: list[str] = []

    def h2(self, text: str, note: str = "") -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")
        if note:
            self.parts.append(f"<p class='note'>{html.escape(note)}</p>")

    def p(self, text: str) -> None:
        self.parts.append(f"<p class='note'>{html.escape(text)}</p>")

    def chart(self, fig: Any, cid: str, height: int = 460) -> None:
        fig.update_layout(height=height, margin=dict(l=70, r=30, t=50, b=60), template="plotly_white",
                          font=dict(family="DejaVu Sans, Arial, sans-serif", size=12))
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=cid,
                          config={"displaylogo": False, "responsive": True})
        self.parts.append(f"<div class='graphs-chart' data-chart='{cid}'>{div}</div>")
        self.charts.append(cid)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]], tid: str = "") -> None:
        out = [f"<table class='numbers'{f' id={tid!r}' if tid else ''}><thead><tr>"
               + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr></thead><tbody>"]
        for r in rows:
            out.append("<tr>" + "".join(_cell(v) for v in r) + "</tr>")
        out.append("</tbody></table>")
        self.parts.append("".join(out))

    def render(self, title: str, subtitle: str) -> str:
        from plotly.offline import get_plotlyjs
        import graphs
        js = get_plotlyjs()
        return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                f"<meta name='generator' content='graphs {graphs.__version__}'>"
                f"<title>{html.escape(title)}</title><style>{CSS}</style>"
                f"<script type='text/javascript'>{js}</script></head><body>"
                f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle)}</p>"
                + "\n".join(self.parts)
                + f"<script type='application/json' id='graphs-charts'>{json.dumps(self.charts)}</script>"
                "</body></html>\n")


CSS = """body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub,.note{color:#555;font-size:13px}table.numbers{border-collapse:collapse;font-size:12px;margin:8px 0}
table.numbers th,table.numbers td{border:1px solid #ddd;padding:3px 8px;text-align:right}
table.numbers th{background:#f4f4f4}table.numbers td.t{text-align:left}.graphs-chart{margin:8px 0 16px 0}"""


def _cell(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 2:      # (shown text, exact value for machines)
        text, raw = v
        return f"<td data-value='{html.escape(repr(raw))}'>{html.escape(str(text))}</td>"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"<td data-value='{html.escape(repr(v))}'>{html.escape(_num(v))}</td>"
    return f"<td class='t'>{html.escape('' if v is None else str(v))}</td>"


def _num(v: float) -> str:
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.4g}"


def _ms(s: float | None) -> float | None:
    return None if s is None else s * 1e3


def _si(x: float | None, unit: str) -> str:
    from graphs.fmt import fmt_si
    return "unknown" if x is None else fmt_si(x, unit)


def _err(values: Sequence[float], lows: Sequence[float], highs: Sequence[float]) -> dict[str, Any]:
    return dict(type="data", symmetric=False, array=[h - v for v, h in zip(values, highs)],
                arrayminus=[v - lo for v, lo in zip(values, lows)], visible=True)


def build_report(path: Path, plugins: Any, title: str | None = None) -> str:
    kind, data = load_input(path)
    page = Page()
    builders = {"analyze": analyze_report, "sweep": sweep_report, "validate": validate_report, "plan": plan_report}
    default_title = builders[kind](page, data, plugins)
    import graphs
    return page.render(title or default_title, f"{kind} result {path.name} — graphs {graphs.__version__}; "
                                                "estimates carry 90 % intervals and a confidence level")


# --- analyze --------------------------------------------------------------------------------------
def analyze_report(page: Page, results: list[dict[str, Any]], plugins: Any) -> str:
    import plotly.graph_objects as go
    model = results[0]["metrics"].get("model", "model")
    hws = [r["metrics"].get("hardware", "?") for r in results]
    page.h2("Estimates", "latency of one forward pass with its 90 % interval and confidence; energy unknown where "
                         "no sourced idle power exists (never zero)")
    rows = []
    for r in results:
        m = r["metrics"]
        lo, hi = r["interval"]
        e = m.get("energy_j")
        rows.append([m.get("hardware"), (_si(r["value"], "s"), r["value"]), (_si(lo, "s"), lo), (_si(hi, "s"), hi),
                     r["confidence"], m.get("precision"), (_si(m["flops"], "FLOP"), m["flops"]),
                     (_si(m["bytes"], "B"), m["bytes"]), m["kernels"],
                     (_si(m["memory_bytes"], "B"), m["memory_bytes"]),
                     {True: "yes", False: "NO", None: "unknown"}[m.get("fits")],
                     (_si(e, "J"), e) if e is not None else "unknown", r["provenance"]["estimator"]])
    page.table(["device", "latency", "low", "high", "confidence", "precision", "FLOPs", "bytes", "kernels", "memory",
                "fits", "energy", "estimator"], rows, "summary")
    vals = [_ms(r["value"]) for r in results]
    fig = go.Figure(go.Bar(x=hws, y=vals, error_y=_err(vals, [_ms(r["interval"][0]) for r in results],
                                                       [_ms(r["interval"][1]) for r in results]),
                           marker_color=COLORS[0], name="latency",
                           text=[r["confidence"] for r in results], hovertemplate="%{x}: %{y:.4g} ms (%{text})"))
    fig.update_layout(title=f"{model}: latency per device (error bars: 90 % interval)", yaxis_title="latency (ms)")
    page.h2("Device comparison")
    page.chart(fig, "chart-devices")

    # breakdown by kernel kind
    kinds: dict[str, list[float]] = {}
    for i, r in enumerate(results):
        for k in r.get("breakdown", []):
            kinds.setdefault(k["kind"], [0.0] * len(results))[i] += k["time_s"]
    over = [r["metrics"].get("model_overhead_s", 0.0) for r in results]
    fig = go.Figure()
    for j, (kind, ts) in enumerate(sorted(kinds.items(), key=lambda kv: -sum(kv[1]))):
        fig.add_bar(x=hws, y=[_ms(t) for t in ts], name=kind, marker_color=COLORS[j % len(COLORS)])
    fig.add_bar(x=hws, y=[_ms(t) for t in over], name="model overhead", marker_color="#cccccc")
    fig.update_layout(barmode="stack", title="latency by kernel kind", yaxis_title="time (ms)")
    page.h2("Latency breakdown", "kernel time summed per kind and per bound (what limits each kernel: compute, "
                                 "memory bandwidth, or launch/dispatch overhead), plus the per-model overhead")
    if not kinds:
        page.p("the JSON has no per-kernel breakdown (graphs analyze -f json writes one)")
    page.chart(fig, "chart-kinds")
    fig = go.Figure()
    for b in ("compute", "memory", "overhead"):
        fig.add_bar(x=hws, y=[_ms((r["metrics"].get("time_by_bound_s") or {}).get(b, 0.0)) for r in results],
                    name=b, marker_color=BOUND_COLORS[b])
    fig.add_bar(x=hws, y=[_ms(t) for t in over], name="model overhead", marker_color=BOUND_COLORS["model overhead"])
    fig.update_layout(barmode="stack", title="latency by bound", yaxis_title="time (ms)")
    page.chart(fig, "chart-bounds")

    page.h2("Roofline", "every kernel at its arithmetic intensity (FLOP per byte moved) and achieved FLOP/s "
                        "(FLOPs / estimated time); the lines are the device's dense peak at the model's precision and "
                        "its main-memory bandwidth (from the spec). Kernels without FLOPs (copies) have no place on "
                        "log axes and are counted in the note.")
    for i, r in enumerate(results[:MAX_ROOFLINES]):
        _roofline(page, r, plugins, i)
    if len(results) > MAX_ROOFLINES:
        page.p(f"{len(results) - MAX_ROOFLINES} more devices not drawn (first {MAX_ROOFLINES} shown)")
    return f"graphs report: {model}"


def _roofline(page: Page, r: dict[str, Any], plugins: Any, i: int) -> None:
    import plotly.graph_objects as go
    m = r["metrics"]
    hw = m.get("hardware", "?")
    ks = r.get("breakdown", [])
    placed = [k for k in ks if k["flops"] > 0 and k["bytes"] > 0 and k["time_s"] > 0]
    skipped = len(ks) - len(placed)
    fig = go.Figure()
    for b in ("compute", "memory", "overhead"):
        sel = [k for k in placed if k["bound"] == b]
        if not sel:
            continue
        fig.add_scatter(x=[k["flops"] / k["bytes"] for k in sel], y=[k["flops"] / k["time_s"] for k in sel],
                        mode="markers", name=f"{b}-bound kernels", marker=dict(color=BOUND_COLORS[b], size=7, opacity=0.75),
                        text=[f"{k['name']} ({k['kind']}) {k['time_s'] * 1e6:.3g} us" for k in sel],
                        hovertemplate="%{text}<br>%{x:.3g} FLOP/B, %{y:.3g} FLOP/s")
    prec = (m.get("precision") or "fp32").split(",")[0]
    peak = bw = None
    installed = True
    try:
        spec = plugins.hardware_entry(hw).spec
        bw = spec.memory_bandwidth
        for q in dict.fromkeys((prec, "fp32", "tf32", "bf16", "fp16", "int8")):   # the spec's peak nearest the model's
            if spec.peak(q):
                peak, prec = spec.peak(q), q
                break
    except GraphsError:
        installed = False
    xs = [k["flops"] / k["bytes"] for k in placed] or [1.0]
    if peak and bw:
        x0, x1 = min(min(xs), peak / bw) / 4, max(max(xs), peak / bw) * 4
        ridge = peak / bw
        fig.add_scatter(x=[x0, ridge, x1], y=[x0 * bw, peak, peak], mode="lines", name=f"roofline ({prec} peak, "
                        f"{bw / 1e9:.4g} GB/s)", line=dict(color="black", width=2))
    else:
        page.p(f"{hw}: " + ("not installed here, so its peak and bandwidth are unknown" if not installed else
                            "its spec gives no dense peak") + ": kernels only")
    fig.update_layout(title=f"{hw}: {len(placed)} kernels placed" + (f", {skipped} without FLOPs not placed"
                                                                     if skipped else ""),
                      xaxis=dict(type="log", title="arithmetic intensity (FLOP/byte)"),
                      yaxis=dict(type="log", title="achieved FLOP/s"))
    page.chart(fig, f"chart-roofline-{i}")


# --- sweep ----------------------------------------------------------------------------------------
def sweep_report(page: Page, data: tuple[list[dict[str, Any]], dict[str, Any]], plugins: Any) -> str:
    import plotly.graph_objects as go
    rows, meta = data
    ok = [r for r in rows if r["status"] == "ok" and r.get("latency_s")]
    bad = [r for r in rows if r["status"] != "ok"]
    modes = sorted({r["mode"] for r in rows})
    mode = modes[0] if modes else "forward"
    models = list(dict.fromkeys(r["model"] for r in rows))
    devices = list(dict.fromkeys(r["hardware"] for r in ok))
    page.h2("Sweep", f"{len(rows)} points: {len(ok)} estimated, {len(bad)} refused or failed; mode "
                     f"{', '.join(modes)}; models {', '.join(models)}; {len(devices)} devices")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    page.table(["points", *sorted(counts)], [[len(rows), *[counts[k] for k in sorted(counts)]]], "summary")
    lat_key, lat_label = ("tpot_s", "time per output token") if mode == "serve" else ("latency_s", "latency")
    lo_key, hi_key = ("tpot_low_s", "tpot_high_s") if mode == "serve" else ("low_s", "high_s")
    thr_key, thr_label = (("tokens_per_s", "output tokens/s") if mode == "serve" else
                          ("tokens_per_s", "tokens/s") if mode == "train" else ("throughput_per_s", "samples/s"))

    # device comparison at the smallest batch of each (model, precision)
    page.h2("Device comparison", f"{lat_label} per device with its 90 % interval, at the smallest batch of each model "
                                 "and precision")
    combos = list(dict.fromkeys((r["model"], r.get("precision")) for r in ok))
    for i, (model, prec) in enumerate(combos[:MAX_CURVES]):
        sel = [r for r in ok if r["model"] == model and r.get("precision") == prec]
        b = min(r["batch"] for r in sel)
        sel = _first_per_device([r for r in sel if r["batch"] == b])
        vals = [_ms(r[lat_key]) for r in sel]
        fig = go.Figure(go.Bar(x=[r["hardware"] for r in sel], y=vals,
                               error_y=_err(vals, [_ms(r[lo_key]) for r in sel], [_ms(r[hi_key]) for r in sel]),
                               text=[r["confidence"] for r in sel], marker_color=COLORS[0],
                               hovertemplate="%{x}: %{y:.4g} ms (%{text})", name=lat_label))
        fig.update_layout(title=f"{model}, {prec or 'model precision'}, batch {b}", yaxis_title=f"{lat_label} (ms)")
        page.chart(fig, f"chart-devices-{i}")

    page.h2("Sweep curves", f"{lat_label} (error bars: 90 % interval) and throughput against batch size, one line per "
                            "device")
    for i, (model, prec) in enumerate(combos[:MAX_CURVES]):
        sel = [r for r in ok if r["model"] == model and r.get("precision") == prec]
        f1, f2 = go.Figure(), go.Figure()
        for j, hw in enumerate(dict.fromkeys(r["hardware"] for r in sel)):
            pts = sorted(_first_per_batch([r for r in sel if r["hardware"] == hw]), key=lambda r: r["batch"])
            vals = [_ms(r[lat_key]) for r in pts]
            c = COLORS[j % len(COLORS)]
            f1.add_scatter(x=[r["batch"] for r in pts], y=vals, mode="lines+markers", name=hw, line=dict(color=c),
                           error_y=_err(vals, [_ms(r[lo_key]) for r in pts], [_ms(r[hi_key]) for r in pts]))
            f2.add_scatter(x=[r["batch"] for r in pts], y=[r.get(thr_key) for r in pts], mode="lines+markers", name=hw,
                           line=dict(color=c))
        f1.update_layout(title=f"{model}, {prec or 'model precision'}: {lat_label} against batch",
                         xaxis=dict(type="log", title="batch", dtick=math.log10(2)), yaxis=dict(type="log", title=f"{lat_label} (ms)"))
        f2.update_layout(title=f"{model}, {prec or 'model precision'}: throughput against batch",
                         xaxis=dict(type="log", title="batch", dtick=math.log10(2)), yaxis=dict(type="log", title=thr_label))
        page.chart(f1, f"chart-curve-latency-{i}")
        page.chart(f2, f"chart-curve-throughput-{i}")

    _sweep_pareto(page, ok, plugins, lat_key, lat_label, thr_key, thr_label)
    page.h2("Refused and failed points", "a point graphs cannot answer is listed with the reason, never dropped")
    if bad:
        page.table(["status", "model", "device", "batch", "precision", "reason"],
                   [[r["status"], r["model"], r["hardware"], r["batch"], r.get("precision") or "", r.get("reason")]
                    for r in bad[:200]], "refused")
        if len(bad) > 200:
            page.p(f"{len(bad) - 200} more not shown")
    else:
        page.p("none")
    return f"graphs sweep report: {', '.join(models[:3])}{' …' if len(models) > 3 else ''}"


def _first_per_device(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["hardware"], r)
    return list(seen.values())


def _first_per_batch(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["batch"], r)
    return list(seen.values())


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both coordinates (both minimised), by x."""
    idx = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best = [], math.inf
    for i in idx:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front


def _sweep_pareto(page: Page, ok: list[dict[str, Any]], plugins: Any, lat_key: str, lat_label: str, thr_key: str,
                  thr_label: str) -> None:
    import plotly.graph_objects as go
    page.h2("Pareto front", f"each estimated point at its {lat_label} and its time per unit of work (1 / throughput): "
                            "the front (red) is every point no other point beats on both; batch trades one for the "
                            "other. With a price (prices.yaml, sourced), the same against USD per million.")
    pts = [r for r in ok if r.get(thr_key)]
    if not pts:
        page.p("no point has a throughput")
        return
    xy = [(_ms(r[lat_key]), 1e3 / r[thr_key]) for r in pts]
    front = pareto_front(xy)
    fig = go.Figure()
    fig.add_scatter(x=[p[0] for p in xy], y=[p[1] for p in xy], mode="markers", name="points",
                    marker=dict(color="#9aa7b8", size=7),
                    text=[f"{r['hardware']} b{r['batch']} {r.get('precision') or ''}" for r in pts],
                    hovertemplate="%{text}<br>%{x:.4g} ms, %{y:.4g} ms per unit")
    fig.add_scatter(x=[xy[i][0] for i in front], y=[xy[i][1] for i in front], mode="lines+markers", name="Pareto front",
                    marker=dict(color="#d62728", size=9), line=dict(color="#d62728"),
                    text=[f"{pts[i]['hardware']} b{pts[i]['batch']} {pts[i].get('precision') or ''}" for i in front],
                    hovertemplate="%{text}<br>%{x:.4g} ms, %{y:.4g} ms per unit")
    fig.update_layout(title=f"{lat_label} against time per unit of work ({thr_label})",
                      xaxis=dict(type="log", title=f"{lat_label} (ms)"),
                      yaxis=dict(type="log", title="ms per unit of work (1 / throughput)"))
    page.chart(fig, "chart-pareto")
    page.table(["device", "batch", "precision", f"{lat_label} (ms)", "ms per unit", "confidence"],
               [[pts[i]["hardware"], pts[i]["batch"], pts[i].get("precision") or "", xy[i][0], xy[i][1],
                 pts[i]["confidence"]] for i in front], "pareto")
    from graphs_sweep.plan import load_prices
    prices = load_prices()
    priced = [(r, prices[r["hardware"]]) for r in pts if r["hardware"] in prices]
    if priced:
        cost = [(_ms(r[lat_key]), p.usd_per_hour * (r.get("gpus") or 1) / 3600.0 / r[thr_key] * 1e6) for r, p in priced]
        front = pareto_front(cost)
        fig = go.Figure()
        fig.add_scatter(x=[c[0] for c in cost], y=[c[1] for c in cost], mode="markers", name="priced points",
                        marker=dict(color="#9aa7b8", size=7),
                        text=[f"{r['hardware']} b{r['batch']}" for r, _ in priced])
        fig.add_scatter(x=[cost[i][0] for i in front], y=[cost[i][1] for i in front], mode="lines+markers",
                        name="Pareto front", marker=dict(color="#d62728", size=9), line=dict(color="#d62728"),
                        text=[f"{priced[i][0]['hardware']} b{priced[i][0]['batch']}" for i in front])
        fig.update_layout(title=f"{lat_label} against cost (sourced on-demand prices, {len({r['hardware'] for r, _ in priced})}"
                                " priced devices)", xaxis=dict(type="log", title=f"{lat_label} (ms)"),
                          yaxis=dict(type="log", title="USD per million units of work"))
        page.chart(fig, "chart-pareto-cost")
        page.p("prices: " + "; ".join(f"{h}: {p.usd_per_hour:g} USD/h ({p.source})" for h, p in prices.items()
                                      if any(r['hardware'] == h for r, _ in priced)))
    else:
        page.p("no device of this sweep has a sourced price: cost not shown (graphs plan --price ID=USD_PER_HOUR)")


# --- validate -------------------------------------------------------------------------------------
def validate_report(page: Page, data: dict[str, Any], plugins: Any) -> str:
    import plotly.graph_objects as go
    from graphs import metrics
    rows = [r for r in data["rows"] if r.get("measured_s") and r.get("predicted_s")]
    label = data["label"]
    page.h2("Validation", f"estimates against {data['source']}: {len(rows)} rows")
    if rows:
        s = metrics.score([r["predicted_s"] for r in rows], [r["measured_s"] for r in rows],
                          [r["low_s"] for r in rows], [r["high_s"] for r in rows])
        page.table(["rows", "MAPE %", "max APE %", "Spearman", "interval coverage"],
                   [[s.n, s.mape, s.max_ape, s.spearman if math.isfinite(s.spearman) else "n/a", s.coverage]],
                   "summary")
    groups = list(dict.fromkeys(str(r.get(label)) for r in rows))
    fig = go.Figure()
    for j, g in enumerate(groups):
        sel = [r for r in rows if str(r.get(label)) == g]
        vals = [_ms(r["predicted_s"]) for r in sel]
        fig.add_scatter(x=[_ms(r["measured_s"]) for r in sel], y=vals, mode="markers", name=g,
                        marker=dict(color=COLORS[j % len(COLORS)], size=8),
                        error_y=_err(vals, [_ms(r["low_s"]) for r in sel], [_ms(r["high_s"]) for r in sel]),
                        text=[f"{r.get('model')} b{r.get('batch')}" for r in sel],
                        hovertemplate="%{text}<br>measured %{x:.4g} ms, predicted %{y:.4g} ms")
    allv = [_ms(r["measured_s"]) for r in rows] + [_ms(r["low_s"]) for r in rows] + [_ms(r["high_s"]) for r in rows]
    if allv:
        lo, hi = min(v for v in allv if v > 0) / 1.5, max(allv) * 1.5
        fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="predicted = measured",
                        line=dict(color="black", dash="dash"))
    fig.update_layout(title="predicted against measured (error bars: predicted 90 % interval)",
                      xaxis=dict(type="log", title="measured (ms)"), yaxis=dict(type="log", title="predicted (ms)"))
    page.chart(fig, "chart-validation", height=560)
    page.table(["group", "model", "batch", "measured (ms)", "predicted (ms)", "low (ms)", "high (ms)", "APE %",
                "inside", "confidence"],
               [[r.get(label), r.get("model"), r.get("batch"), _ms(r["measured_s"]), _ms(r["predicted_s"]),
                 _ms(r["low_s"]), _ms(r["high_s"]), r.get("ape"),
                 "yes" if r["low_s"] <= r["measured_s"] <= r["high_s"] else "no", r.get("confidence")]
                for r in rows[:300]], "rows")
    return "graphs validation report"


# --- plan -----------------------------------------------------------------------------------------
def plan_report(page: Page, data: dict[str, Any], plugins: Any) -> str:
    import plotly.graph_objects as go
    cands = data["candidates"]
    feas = [c for c in cands if c["feasible"]]
    front = [c for c in cands if c["pareto"]]
    page.h2("Plan", f"{data['model']} ({data['mode']}); constraints: {', '.join(data.get('constraints_text') or []) or 'none'}; "
                    f"{len(cands)} configurations, {len(feas)} feasible, {len(front)} on the Pareto front")
    for n in data.get("notes", []):
        page.p(n)
    cost_known = [c for c in feas if c["cost"] is not None]
    y_key, y_title = (("cost", cost_known[0]["cost_unit"]) if cost_known else ("energy_j", "energy (J per inference)"))
    pts = [c for c in feas if c[y_key] is not None]
    fig = go.Figure()
    if pts:
        fig.add_scatter(x=[_ms(c["latency_s"]) for c in pts], y=[c[y_key] for c in pts], mode="markers",
                        name="feasible", marker=dict(color="#9aa7b8", size=8),
                        text=[f"{c['hardware']} b{c['batch']} {c['precision'] or ''}" for c in pts])
        fr = sorted([c for c in pts if c["pareto"]], key=lambda c: c["latency_s"])
        vals = [c[y_key] for c in fr]
        fig.add_scatter(x=[_ms(c["latency_s"]) for c in fr], y=vals, mode="lines+markers", name="Pareto front",
                        marker=dict(color="#d62728", size=10), line=dict(color="#d62728"),
                        error_x=_err([_ms(c["latency_s"]) for c in fr], [_ms(c["latency_low_s"]) for c in fr],
                                     [_ms(c["latency_high_s"]) for c in fr]),
                        text=[f"{c['hardware']} b{c['batch']} {c['precision'] or ''}" for c in fr])
    else:
        page.p("no feasible configuration has a known cost or energy: the front is on latency alone (table below)")
    fig.update_layout(title=f"{cands[0]['latency_metric'] if cands else 'latency'} against {y_title}",
                      xaxis=dict(type="log", title="latency (ms)"), yaxis=dict(type="log", title=y_title))
    page.chart(fig, "chart-pareto")
    unit = cands[0]["cost_unit"] if cands else "cost"
    page.table(["Pareto", "feasible", "device", "batch", "precision", "tp", "latency (ms)", "low", "high",
                "confidence", unit, "low", "high", "energy (J)", "why not"],
               [["yes" if c["pareto"] else "", "yes" if c["feasible"] else "no", c["hardware"], c["batch"],
                 c["precision"] or "", c["tp"], _ms(c["latency_s"]), _ms(c["latency_low_s"]), _ms(c["latency_high_s"]),
                 c["confidence"], "unknown" if c["cost"] is None else c["cost"],
                 "" if c["cost_low"] is None else c["cost_low"], "" if c["cost_high"] is None else c["cost_high"],
                 "unknown" if c["energy_j"] is None else c["energy_j"], "; ".join(c["violations"])]
                for c in cands[:300]], "candidates")
    return f"graphs plan report: {data['model']}"
