"""``graphs plan``: which device and configuration meets the constraints, on the Pareto front of
latency, energy and cost.

Candidates are sweep rows (forward passes at each batch and precision, or LLM serving replicas at
each batch, precision and tensor-parallel degree). For each:

* **latency** — forward: the pass; serve: time per output token (TPOT). Interval and confidence
  are the estimate's.
* **cost** — a device-hour price (sourced: ``prices.yaml``; or the user's ``--price``) × devices per
  replica × replicas. Without ``--rate``: USD per million inferences (forward) or per million output
  tokens (serve) at full load; with ``--rate R`` (requests/s): replicas = ⌈R / throughput of one
  replica⌉ and the cost is USD per hour. Its interval follows the latency interval (cost ∝ time).
  No price: cost unknown, never zero.
* **energy** — J per inference (forward) from the estimate's energy; unknown where the device has no
  sourced idle power (most today) and in serve mode (not modelled): such rows are never ranked on
  energy.

Constraints (``--max-latency``, ``--max-ttft``, ``--max-tpot``, memory fit, ``--max-power``) are
checked on the estimate; ``sure`` says whether the interval's high end meets them too. Power is
checked on the estimated average power where known, else on the TDP (an upper bound of average
power): a row whose TDP exceeds the limit and whose power is unknown is reported as unverified and
excluded.

Pareto front: a row is dominated when another row is no worse on every objective the first one knows
(latency always; cost and energy where known) — and knows them too — and better on one. So an unknown
cost or energy is never treated as zero, nor as better: a priced row is only beaten by priced rows, and a
row without a price is beaten by any faster row.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from graphs.errors import GraphsError


@dataclass(frozen=True)
class Price:
    usd_per_hour: float
    source: str
    offer: str = ""


@dataclass(frozen=True)
class Constraints:
    max_latency_s: float | None = None
    max_ttft_s: float | None = None
    max_tpot_s: float | None = None
    max_power_w: float | None = None
    must_fit: bool = True

    def describe(self) -> list[str]:
        out = []
        for k, label in (("max_latency_s", "latency"), ("max_ttft_s", "TTFT"), ("max_tpot_s", "TPOT")):
            v = getattr(self, k)
            if v is not None:
                out.append(f"{label} ≤ {v * 1e3:g} ms")
        if self.max_power_w is not None:
            out.append(f"power ≤ {self.max_power_w:g} W")
        if self.must_fit:
            out.append("fits in memory")
        return out


@dataclass
class Candidate:
    model: str
    hardware: str
    mode: str
    batch: int
    precision: str | None
    tp: int
    gpus: int
    latency_s: float
    latency_low_s: float
    latency_high_s: float
    latency_metric: str
    confidence: str
    ttft_s: float | None
    tpot_s: float | None
    throughput_per_s: float | None
    replicas: int | None
    cost: float | None
    cost_low: float | None
    cost_high: float | None
    cost_unit: str
    price_usd_per_hour: float | None
    price_source: str | None
    energy_j: float | None
    energy_low_j: float | None
    energy_high_j: float | None
    energy_unit: str
    power_w: float | None
    fits: bool | None
    feasible: bool
    sure: bool
    violations: list[str] = field(default_factory=list)
    pareto: bool = False
    notes: list[str] = field(default_factory=list)


def load_prices(path: Path | None = None) -> dict[str, Price]:
    """Device id -> Price from ``path`` (default: the sourced prices.yaml shipped here)."""
    from graphs.errors import SpecError
    from graphs.hardware.schema import read_yaml
    p = path or Path(__file__).with_name("prices.yaml")
    try:
        data = read_yaml(p, "price file")
    except SpecError as e:
        raise GraphsError(str(e)) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("prices"), Mapping):
        raise GraphsError(f"{p.name}: expected a mapping with prices: {{DEVICE: {{usd_per_hour, source}}}}")
    out: dict[str, Price] = {}
    for dev, e in data["prices"].items():
        if not isinstance(e, Mapping) or "usd_per_hour" not in e or not e.get("source"):
            raise GraphsError(f"{p.name}: prices.{dev}: needs usd_per_hour and a source")
        v = e["usd_per_hour"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise GraphsError(f"{p.name}: prices.{dev}.usd_per_hour {v!r}: expected a positive number")
        out[str(dev)] = Price(float(v), " ".join(str(e["source"]).split()), str(e.get("offer", "")))
    return out


def parse_price(items: Sequence[str]) -> dict[str, Price]:
    out = {}
    for it in items:
        dev, eq, val = it.partition("=")
        try:
            v = float(val.strip().lstrip("$"))
        except ValueError:
            v = float("nan")
        if not eq or not dev.strip() or not math.isfinite(v) or v <= 0:
            raise GraphsError(f"--price {it!r}: expected DEVICE=USD_PER_HOUR, e.g. h100=2.49")
        out[dev.strip().lower()] = Price(v, "user (--price)")
    return out


def _price_for(hw: str, prices: Mapping[str, Price], plugins: Any) -> Price | None:
    if hw in prices:
        return prices[hw]
    for k, v in prices.items():          # a price given under an alias
        try:
            if plugins.hardware_entry(k).spec.id == hw:
                return v
        except GraphsError:
            continue
    return None


def candidates(rows: Sequence[Mapping[str, Any]], prices: Mapping[str, Price], c: Constraints,
               rate: float | None, plugins: Any) -> list[Candidate]:
    out = []
    for r in rows:
        if r.get("status") != "ok" or not r.get("latency_s"):
            continue
        serve = r["mode"] == "serve"
        gpus = int(r.get("gpus") or r.get("tp") or 1)
        if serve:
            lat, lo, hi, metric = r["tpot_s"], r["tpot_low_s"], r["tpot_high_s"], "TPOT"
            work = r.get("tokens_per_s")          # output tokens per second of one replica
            unit_name = "output tokens"
            energy = e_lo = e_hi = None
        else:
            lat, lo, hi, metric = r["latency_s"], r["low_s"], r["high_s"], "latency"
            work = r.get("throughput_per_s")
            unit_name = "inferences"
            b = r["batch"]
            energy = r["energy_j"] / b if r.get("energy_j") is not None else None
            e_lo = r["energy_low_j"] / b if r.get("energy_low_j") is not None else None
            e_hi = r["energy_high_j"] / b if r.get("energy_high_j") is not None else None
        notes: list[str] = []
        price = _price_for(r["hardware"], prices, plugins)
        replicas = None
        cost = cost_lo = cost_hi = None
        if rate is not None:
            per_replica = r["throughput_per_s"]                    # requests (samples) per second
            replicas = max(1, math.ceil(rate / per_replica)) if per_replica else None
            # the interval ends of the latency move the replica count too
            rep_lo = max(1, math.ceil(rate / (r["batch"] / r["low_s"]))) if r.get("low_s") else replicas
            rep_hi = max(1, math.ceil(rate / (r["batch"] / r["high_s"]))) if r.get("high_s") else replicas
            cost_unit = "USD/hour"
            if price is not None and replicas is not None:
                cost, cost_lo, cost_hi = (price.usd_per_hour * gpus * n for n in (replicas, rep_lo, rep_hi))
        else:
            cost_unit = f"USD per 1M {unit_name}"
            if price is not None and work:
                cost = price.usd_per_hour * gpus / 3600.0 / work * 1e6
                scale = r["latency_s"]
                cost_lo, cost_hi = cost * r["low_s"] / scale, cost * r["high_s"] / scale
        if price is None:
            notes.append("no price: give --price " + r["hardware"] + "=USD_PER_HOUR to rank it on cost")
        if energy is None:
            notes.append("energy unknown (" + ("not modelled for serving" if serve else
                                               "no sourced idle power") + "): not ranked on energy")
        power = r.get("avg_power_w")
        n_rep = replicas or 1
        violations, unsure = [], []
        checks = [("max_latency_s", r["latency_s"], r["high_s"], "latency")]
        if serve:
            checks += [("max_ttft_s", r.get("ttft_s"), r.get("ttft_high_s"), "TTFT"),
                       ("max_tpot_s", r.get("tpot_s"), r.get("tpot_high_s"), "TPOT")]
        elif c.max_ttft_s is not None or c.max_tpot_s is not None:
            violations.append("TTFT/TPOT limits apply to LLM serving (give --prompt-len/--gen-len)")
        for attr, val, high, label in checks:
            lim = getattr(c, attr)
            if lim is None:
                continue
            if val is None or val > lim:
                violations.append(f"{label} {val * 1e3:.3g} ms > {lim * 1e3:g} ms" if val is not None else f"{label} unknown")
            elif high is None or high > lim:
                unsure.append(label)
        if c.must_fit and r.get("fits") is False:
            violations.append("does not fit in memory")
        elif c.must_fit and r.get("fits") is None:
            unsure.append("memory (capacity unknown)")
        if c.max_power_w is not None:
            tdp = r.get("tdp_w")
            if power is not None:
                if power * gpus * n_rep > c.max_power_w:
                    violations.append(f"power {power * gpus * n_rep:.3g} W > {c.max_power_w:g} W")
            elif tdp is not None and tdp * gpus * n_rep <= c.max_power_w:
                notes.append("power checked on the TDP (average power unknown)")
            else:
                violations.append("power unverified: average power unknown and TDP "
                                  + (f"{tdp * gpus * n_rep:.3g} W" if tdp else "unknown") + f" > {c.max_power_w:g} W")
        out.append(Candidate(
            model=r["model"], hardware=r["hardware"], mode=r["mode"], batch=r["batch"], precision=r.get("precision"),
            tp=int(r.get("tp") or 1), gpus=gpus, latency_s=lat, latency_low_s=lo, latency_high_s=hi,
            latency_metric=metric, confidence=r["confidence"], ttft_s=r.get("ttft_s"), tpot_s=r.get("tpot_s"),
            throughput_per_s=r.get("throughput_per_s"), replicas=replicas, cost=cost, cost_low=cost_lo,
            cost_high=cost_hi, cost_unit=cost_unit, price_usd_per_hour=price.usd_per_hour if price else None,
            price_source=price.source if price else None, energy_j=energy, energy_low_j=e_lo, energy_high_j=e_hi,
            energy_unit="J per inference", power_w=power, fits=r.get("fits"), feasible=not violations,
            sure=not violations and not unsure, violations=violations, notes=notes))
    return out


def _dominates(a: Candidate, b: Candidate) -> bool:
    """``a`` is no worse than ``b`` on every objective ``b`` knows — and ``a`` must know it too (an unknown
    cost or energy is not a better one) — and better on one."""
    pairs = [(a.latency_s, b.latency_s)]
    for x, y in ((a.cost, b.cost), (a.energy_j, b.energy_j)):
        if y is not None:
            if x is None:
                return False
            pairs.append((x, y))
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


def pareto(cands: Sequence[Candidate]) -> None:
    """Mark the feasible candidates no other feasible candidate dominates."""
    feas = [c for c in cands if c.feasible]
    for c in feas:
        c.pareto = not any(_dominates(o, c) for o in feas if o is not c)


def ranked(cands: Sequence[Candidate]) -> list[Candidate]:
    """Pareto rows first (cheapest, then fastest; unknown cost last), then other feasible rows, then the rest."""
    def key(c: Candidate) -> tuple:
        return (not c.pareto, not c.feasible, c.cost is None, c.cost if c.cost is not None else 0.0, c.latency_s)
    return sorted(cands, key=key)


@dataclass
class PlanReport:
    model: str
    mode: str
    workload: dict[str, Any]
    constraints: Constraints
    candidates: list[Candidate]
    prices: dict[str, dict[str, Any]]
    notes: list[str]
    refused: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "mode": self.mode, "workload": self.workload,
                "constraints": asdict(self.constraints), "constraints_text": self.constraints.describe(),
                "candidates": [asdict(c) for c in self.candidates], "prices": self.prices, "notes": self.notes,
                "refused": self.refused}


def make_plan(model: str, mode: str, rows: Sequence[Mapping[str, Any]], prices: Mapping[str, Price],
              c: Constraints, rate: float | None, workload: dict[str, Any], plugins: Any) -> PlanReport:
    cands = candidates(rows, prices, c, rate, plugins)
    pareto(cands)
    cands = ranked(cands)
    notes = ["Pareto front over latency (TPOT when serving), cost and energy; a row is beaten only by a row that "
             "knows every objective it knows and is no worse on each (unknown is never taken as zero or as better)"]
    n_e = sum(1 for x in cands if x.feasible and x.energy_j is None)
    if n_e:
        notes.append(f"{n_e} feasible row(s) have unknown energy (no sourced idle power, or serving) and are not "
                     "ranked on energy")
    n_c = sum(1 for x in cands if x.feasible and x.cost is None)
    if n_c:
        notes.append(f"{n_c} feasible row(s) have no price (sourced prices: prices.yaml; add --price ID=USD_PER_HOUR)")
    if not any(x.feasible for x in cands):
        notes.append("no configuration meets the constraints")
    used = {x.hardware for x in cands}
    pr = {h: asdict(p) for h, p in prices.items() if h in used}
    refused = [{"hardware": r["hardware"], "batch": r["batch"], "precision": r.get("precision"), "tp": r.get("tp"),
                "status": r["status"], "reason": r.get("reason")} for r in rows if r.get("status") != "ok"]
    return PlanReport(model, mode, workload, c, cands, pr, notes, refused)
